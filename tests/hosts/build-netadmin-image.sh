#!/usr/bin/env bash
# Builds oxible-test/netadmin:bookworm: the test hosts' image unchanged, labelled so start.sh
# runs its containers with `--cap-add NET_ADMIN` (the label oxible.docker-run-args), so the
# iptables tests change real rules inside the container's own network namespace. Nothing is
# installed (the tests' setup scripts install iptables); the label oxible.netadmin-stamp holds
# the base image's id, so a rebuilt base rebuilds this one. Cheap and idempotent; safe to run
# concurrently (flock). Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

NETADMIN_IMAGE=oxible-test/netadmin:bookworm
need_docker
"$here/build-image.sh" >/dev/null

image_current() {
  local base have
  base=$(docker image inspect --format '{{.Id}}' "$IMAGE") || return 1
  have=$(docker image inspect --format '{{ index .Config.Labels "oxible.netadmin-stamp" }}' \
    "$NETADMIN_IMAGE" 2>/dev/null) || return 1
  [ "$have" = "$base" ]
}
if image_current; then echo "$NETADMIN_IMAGE"; exit 0; fi

mkdir -p "$CACHE/test-hosts"
exec 9>"$CACHE/.test-netadmin-image.lock"
flock 9
if ! image_current; then
  base=$(docker image inspect --format '{{.Id}}' "$IMAGE")
  printf 'FROM %s\nLABEL oxible.docker-run-args="--cap-add NET_ADMIN" oxible.netadmin-stamp="%s"\n' \
    "$IMAGE" "$base" | docker build -q -t "$NETADMIN_IMAGE" - >/dev/null ||
    die "building $NETADMIN_IMAGE failed"
  image_current || die "built $NETADMIN_IMAGE but it does not carry the expected label"
fi
echo "$NETADMIN_IMAGE"
