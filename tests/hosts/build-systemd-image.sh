#!/usr/bin/env bash
# Builds oxible-test/systemd:bookworm, the test hosts' image booting systemd as PID 1, so the
# service/systemd modules and service_facts are tested against a real service manager: systemd,
# systemd-sysv and dbus from Debian's archive, ssh.service enabled (sshd then runs under
# systemd, with the same users and key as the base image). libpam-systemd (logind) and
# dbus-user-session give an ssh login its user manager (user@UID.service, with its bus at
# /run/user/UID/bus) for `scope: user`; root lingers, so root's user manager runs from boot
# and `docker exec` can reach it with XDG_RUNTIME_DIR=/run/user/0. Derived from oxible-test/debian:bookworm
# (build-image.sh, built first when missing): a container of it installs the packages with
# apt-get, and `docker commit` makes the image with /lib/systemd/systemd as its command. The image
# carries a label stamp made of this recipe's version and the base image's id (a rebuilt base
# rebuilds this one too), and a label oxible.docker-run-args holding the `docker run` options a
# systemd container needs (start.sh reads it): /run and /run/lock as tmpfs, the host's cgroup
# tree read-only, container=docker. Not --privileged (the engine here refuses it: "unable to
# apply caps").
#
# Made by build_derived_image (derived.sh): idempotent, cheap when done, safe to run
# concurrently. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"
# shellcheck source-path=SCRIPTDIR
. "$here/derived.sh"

# ssh.service is enabled explicitly: openssh-server was installed before systemd, so its
# postinst did not enable the unit. getty units are masked (no console in a container).
# Bump the recipe (second argument) when what goes into the image changes.
build_derived_image systemd 2 "systemd systemd-sysv dbus libpam-systemd dbus-user-session" '
    systemctl enable ssh.service
    mkdir -p /var/lib/systemd/linger && touch /var/lib/systemd/linger/root
    systemctl mask getty@tty1.service console-getty.service >/dev/null 2>&1 || true
    test "$(systemctl is-enabled ssh.service)" = enabled
    systemctl --version | head -n1' '["/lib/systemd/systemd"]' \
  "--tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:ro -e container=docker"
