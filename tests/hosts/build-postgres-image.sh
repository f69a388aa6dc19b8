#!/usr/bin/env bash
# Builds oxible-test/postgres:bookworm, the test hosts' image plus a PostgreSQL 15 server
# (Debian's `postgresql`, cluster 15/main created but not running) and python3-psycopg2 (the
# oracle's community.postgresql modules import it; oxible's modules only need `psql`). Derived
# from oxible-test/debian:bookworm (build-image.sh, built first when missing) as
# build-dnf-image.sh derives its image: a container of the base installs the packages with
# apt-get and `docker commit` makes the image, labelled with this recipe's version and the base
# image's id so that a rebuilt base rebuilds this one too. Tests start the cluster themselves
# (`pg_ctlcluster 15 main start`): sshd stays the containers' main process.
#
# Idempotent and cheap when done (exits at once when the image is current); safe to run
# concurrently (flock). Needs the Debian archive reachable from containers. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

PG_IMAGE=oxible-test/postgres:bookworm
# Bump when what goes into the image changes.
PG_RECIPE=1
PACKAGES="postgresql python3-psycopg2"

need_docker
command -v flock >/dev/null || die "flock (util-linux) is missing"

"$here/build-image.sh" >/dev/null

pg_stamp() {
  local base
  base=$(docker image inspect --format '{{.Id}}' "$IMAGE") || return 1
  echo "postgres-$PG_RECIPE-$base"
}

image_current() {
  local have want
  want=$(pg_stamp) || return 1
  have=$(docker image inspect --format '{{ index .Config.Labels "oxible.postgres-stamp" }}' \
    "$PG_IMAGE" 2>/dev/null) || return 1
  [ "$have" = "$want" ]
}

# Fast path without the lock: most calls (every test start) find the image ready.
if image_current; then echo "$PG_IMAGE"; exit 0; fi

mkdir -p "$CACHE/test-hosts"
exec 9>"$CACHE/.test-postgres-image.lock"
flock 9
if image_current; then echo "$PG_IMAGE"; exit 0; fi

stamp=$(pg_stamp)
# The image this build replaces, removed afterwards (only it, by id, when nothing uses it).
old=$(docker image inspect --format '{{.Id}}' "$PG_IMAGE" 2>/dev/null || true)
name=oxible-postgres-build-$$
# The build container is removed whatever happens.
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
echo "installing $PACKAGES into $PG_IMAGE (a minute)" >&2
if ! docker run --name "$name" "$IMAGE" sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/log/*.log
    pg_lsclusters; psql --version" >&2; then
  die "installing $PACKAGES failed (is the Debian archive reachable from containers?)"
fi
# The build command replaced the base's CMD: sshd is set back as the main process. The label
# marks what the image was built from.
docker commit --change 'CMD ["/usr/sbin/sshd","-D","-e"]' \
  --change "LABEL oxible.postgres-stamp=$stamp" "$name" "$PG_IMAGE" >/dev/null
image_current || die "committed $PG_IMAGE but it does not carry the expected label"
[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
echo "$PG_IMAGE"
