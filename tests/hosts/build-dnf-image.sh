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
# Idempotent and cheap when done (exits at once when the image is current); safe to run
# concurrently (flock). Needs the Debian archive reachable from containers (the base image's
# sources.list). Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

DNF_IMAGE=oxible-test/dnf:bookworm
# Bump when what goes into the image changes.
DNF_RECIPE=3
PACKAGES="dnf rpm createrepo-c python3-dnf gpg-agent"

need_docker
command -v flock >/dev/null || die "flock (util-linux) is missing"

"$here/build-image.sh" >/dev/null

dnf_stamp() {
  local base
  base=$(docker image inspect --format '{{.Id}}' "$IMAGE") || return 1
  echo "dnf-$DNF_RECIPE-$base"
}

image_current() {
  local have want
  want=$(dnf_stamp) || return 1
  have=$(docker image inspect --format '{{ index .Config.Labels "oxible.dnf-stamp" }}' \
    "$DNF_IMAGE" 2>/dev/null) || return 1
  [ "$have" = "$want" ]
}

# Fast path without the lock: most calls (every test start) find the image ready.
if image_current; then echo "$DNF_IMAGE"; exit 0; fi

mkdir -p "$CACHE/test-hosts"
exec 9>"$CACHE/.test-dnf-image.lock"
flock 9
if image_current; then echo "$DNF_IMAGE"; exit 0; fi

stamp=$(dnf_stamp)
# The image this build replaces, removed afterwards (only it, by id, when nothing uses it).
old=$(docker image inspect --format '{{.Id}}' "$DNF_IMAGE" 2>/dev/null || true)
name=oxible-dnf-build-$$
# The build container is removed whatever happens.
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
echo "installing $PACKAGES into $DNF_IMAGE (a minute)" >&2
if ! docker run --name "$name" "$IMAGE" sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/log/*.log
    rpm --version; dnf --version | head -n1" >&2; then
  die "installing $PACKAGES failed (is the Debian archive reachable from containers?)"
fi
# The build command replaced the base's CMD: sshd is set back as the main process. The label
# marks what the image was built from.
docker commit --change 'CMD ["/usr/sbin/sshd","-D","-e"]' --change "LABEL oxible.dnf-stamp=$stamp" \
  "$name" "$DNF_IMAGE" >/dev/null
image_current || die "committed $DNF_IMAGE but it does not carry the expected label"
[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
echo "$DNF_IMAGE"
