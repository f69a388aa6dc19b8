#!/usr/bin/env bash
# Builds oxible-test/netadmin:bookworm: the test hosts' image unchanged, labelled so start.sh
# runs its containers with `--cap-add NET_ADMIN` (the label oxible.docker-run-args), so the
# iptables tests change real rules inside the container's own network namespace. Nothing is
# installed (the tests' setup scripts install iptables). Made by build_derived_image
# (derived.sh): idempotent, cheap when done, safe to run concurrently. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"
# shellcheck source-path=SCRIPTDIR
. "$here/derived.sh"

build_derived_image netadmin 1 "" 'true' "$SSHD_CMD" "--cap-add NET_ADMIN"
