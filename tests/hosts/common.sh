# Shared settings for the container test hosts; sourced by build-image.sh, start.sh and stop.sh.
# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts sourcing this

# The image every test host runs. Bump IMAGE_RECIPE when build-image.sh changes what goes into
# the rootfs: the cached tarball and the image carry it, and a mismatch rebuilds both.
IMAGE=oxible-test/debian:bookworm
IMAGE_RECIPE=4

# Everything built lives outside the clone (like the oracle venv, see tests/oracle.sh):
# $OXIBLE_CACHE, else /var/cache/oxible when writable, else ~/.cache/oxible.
CACHE=${OXIBLE_CACHE:-}
if [ -z "$CACHE" ]; then
  if mkdir -p /var/cache/oxible 2>/dev/null && [ -w /var/cache/oxible ]; then CACHE=/var/cache/oxible
  else CACHE=$HOME/.cache/oxible; fi
fi
ROOTFS_TAR=$CACHE/debian-bookworm-rootfs.tar
# The test key pair: generated at build time, authorized in the image, never committed.
KEY=$CACHE/test-hosts/id_ed25519

die() { echo "${0##*/}: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_docker() {
  command -v docker >/dev/null || die "docker is not installed"
  docker info >/dev/null 2>&1 ||
    die "the Docker engine does not answer (docker info failed); start dockerd"
}

# The label value the current image must carry: recipe version and the authorized key, so that
# a regenerated key or a changed recipe never meets a stale image.
image_stamp() { echo "recipe-$IMAGE_RECIPE-$(ssh-keygen -lf "$KEY.pub" | awk '{print $2}')"; }
