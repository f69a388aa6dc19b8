#!/usr/bin/env bash
# Builds oxible-test/systemd:bookworm, the test hosts' image booting systemd as PID 1, so the
# service/systemd modules and service_facts are tested against a real service manager: systemd,
# systemd-sysv and dbus from Debian's archive, ssh.service enabled (sshd then runs under
# systemd, with the same users and key as the base image). Derived from oxible-test/debian:bookworm
# (build-image.sh, built first when missing): a container of it installs the packages with
# apt-get, and `docker commit` makes the image with /lib/systemd/systemd as its command. The image
# carries a label stamp made of this recipe's version and the base image's id (a rebuilt base
# rebuilds this one too), and a label oxible.docker-run-args holding the `docker run` options a
# systemd container needs (start.sh reads it): /run and /run/lock as tmpfs, the host's cgroup
# tree read-only, container=docker. Not --privileged (the engine here refuses it: "unable to
# apply caps").
#
# Idempotent and cheap when done (exits at once when the image is current); safe to run
# concurrently (flock). Needs the Debian archive reachable from containers (the base image's
# sources.list). Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

SYSTEMD_IMAGE=oxible-test/systemd:bookworm
# Bump when what goes into the image changes.
SYSTEMD_RECIPE=1
PACKAGES="systemd systemd-sysv dbus"
RUN_ARGS="--tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro -e container=docker"

need_docker
command -v flock >/dev/null || die "flock (util-linux) is missing"

"$here/build-image.sh" >/dev/null

systemd_stamp() {
  local base
  base=$(docker image inspect --format '{{.Id}}' "$IMAGE") || return 1
  echo "systemd-$SYSTEMD_RECIPE-$base"
}

image_current() {
  local have want
  want=$(systemd_stamp) || return 1
  have=$(docker image inspect --format '{{ index .Config.Labels "oxible.systemd-stamp" }}' \
    "$SYSTEMD_IMAGE" 2>/dev/null) || return 1
  [ "$have" = "$want" ]
}

# Fast path without the lock: most calls (every test start) find the image ready.
if image_current; then echo "$SYSTEMD_IMAGE"; exit 0; fi

mkdir -p "$CACHE/test-hosts"
exec 9>"$CACHE/.test-systemd-image.lock"
flock 9
if image_current; then echo "$SYSTEMD_IMAGE"; exit 0; fi

stamp=$(systemd_stamp)
# The image this build replaces, removed afterwards (only it, by id, when nothing uses it).
old=$(docker image inspect --format '{{.Id}}' "$SYSTEMD_IMAGE" 2>/dev/null || true)
name=oxible-systemd-build-$$
# The build container is removed whatever happens.
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
echo "installing $PACKAGES into $SYSTEMD_IMAGE (a minute)" >&2
# ssh.service is enabled explicitly: openssh-server was installed before systemd, so its
# postinst did not enable the unit. getty units are masked (no console in a container).
if ! docker run --name "$name" "$IMAGE" sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/log/*.log
    systemctl enable ssh.service
    systemctl mask getty@tty1.service console-getty.service >/dev/null 2>&1 || true
    test \"\$(systemctl is-enabled ssh.service)\" = enabled
    systemctl --version | head -n1" >&2; then
  die "installing $PACKAGES failed (is the Debian archive reachable from containers?)"
fi
# The build command replaced the base's CMD: systemd is set as the main process. The labels
# mark what the image was built from and how to run it.
docker commit --change 'CMD ["/lib/systemd/systemd"]' \
  --change "LABEL oxible.systemd-stamp=$stamp" \
  --change "LABEL oxible.docker-run-args=\"$RUN_ARGS\"" \
  "$name" "$SYSTEMD_IMAGE" >/dev/null
image_current || die "committed $SYSTEMD_IMAGE but it does not carry the expected label"
[ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
echo "$SYSTEMD_IMAGE"
