#!/usr/bin/env bash
# Builds oxible-test/dnf:bookworm, the test hosts' image plus an RPM toolchain, so the dnf
# modules are tested for real on Debian: dnf (4.14), rpm (with rpmbuild), createrepo-c and
# python3-dnf (ansible-core's dnf module imports it) from Debian's archive, and gpg-agent (the
# tests generate signing keys). Derived from oxible-test/debian:bookworm (build-image.sh, built
# first when missing): a container of it installs the packages with apt-get, and `docker commit`
# makes the image. The image carries a
# label stamp made of this recipe's version and the base image's id, so a rebuilt base (new key,
# new recipe) rebuilds this one too.
#
# Made by build_derived_image (derived.sh): idempotent, cheap when done, safe to run
# concurrently. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"
# shellcheck source-path=SCRIPTDIR
. "$here/derived.sh"

# Bump the recipe (second argument) when what goes into the image changes.
build_derived_image dnf 3 "dnf rpm createrepo-c python3-dnf gpg-agent" \
  'rpm --version; dnf --version | head -n1' "$SSHD_CMD"
