#!/usr/bin/env bash
# Builds the container test hosts' image (oxible-test/debian:bookworm) offline from Debian's
# archive: debootstrap minbase + python3, python3-apt (ansible-core's apt module needs it; oxible
# must not) + python3-venv and python3-pip (the pip module's venvs and system pip), gpg (apt-key
# needs it), curl (get_url/uri download on the target), git, unzip/zip/bzip2/xz-utils (unarchive,
# archive) + openssh-server, sudo, procps, iproute2, acl, cron (the cron module writes through
# crontab); users `tester` (passwordless sudo) and `pwuser` (sudo with password "oxible"); sshd
# as the main process with a test key for root, tester and pwuser. No registry is involved: the rootfs is imported with `docker import`.
#
# Idempotent and cheap when done: exits at once when the image exists with the current recipe
# and key; reuses the cached rootfs tarball when only the image is missing. Safe to run
# concurrently (flock). Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

need_docker
command -v flock >/dev/null || die "flock (util-linux) is missing"

image_current() {
  [ -f "$KEY" ] && [ -f "$KEY.pub" ] || return 1
  local have
  have=$(docker image inspect --format '{{ index .Config.Labels "oxible.stamp" }}' "$IMAGE" \
    2>/dev/null) || return 1
  [ "$have" = "$(image_stamp)" ]
}

# Fast path without the lock: most calls (every test start) find the image ready.
if image_current; then echo "$IMAGE"; exit 0; fi

mkdir -p "$CACHE/test-hosts"
exec 9>"$CACHE/.test-image.lock"
flock 9
# Someone else may have built it while we waited.
if image_current; then echo "$IMAGE"; exit 0; fi

# Tools the build needs on the controller: debootstrap for the rootfs, ssh-keygen for the key
# (the ssh client is also what ansible-core and oxible connect with).
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# The key pair comes first: the rootfs authorizes it, so a new key means a new rootfs.
if [ ! -f "$KEY" ] || [ ! -f "$KEY.pub" ]; then
  rm -f "$KEY" "$KEY.pub" "$ROOTFS_TAR" "$ROOTFS_TAR.stamp"
  ssh-keygen -q -t ed25519 -N '' -C oxible-test -f "$KEY"
fi
chmod 600 "$KEY"
stamp=$(image_stamp)

# The mirror apt uses on this machine (deb822 .sources or one-line .list), for the suite
# "bookworm" itself (not -security/-updates); Debian's default when none is configured.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: stanzas separated by blank lines; take URIs of a stanza whose Suites has bookworm.
    awk 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0; en = 1
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
          if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
          if ($i ~ /^Enabled:[ \t]*no/) en = 0 }
        if (ok && en && uri != "") { print uri; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == "bookworm") { print $i; exit } }' "$f"
  done
}

if [ -f "$ROOTFS_TAR" ] && [ "$(cat "$ROOTFS_TAR.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "reusing $ROOTFS_TAR" >&2
else
  mirror=${OXIBLE_DEBIAN_MIRROR:-}
  [ -n "$mirror" ] || mirror=$(debian_mirror)
  mirror=${mirror%%$'\n'*}
  mirror=${mirror:-http://deb.debian.org/debian}
  # The rootfs is built as root (debootstrap needs it) in a scratch dir next to the cache, so
  # the final tarball appears atomically (rename) and a failed build leaves nothing half-done.
  work=$(mktemp -d "$CACHE/rootfs-build.XXXXXX")
  cleanup() { as_root rm -rf --one-file-system "$work"; }
  trap cleanup EXIT
  root=$work/rootfs
  echo "debootstrap bookworm from $mirror (a minute or two)" >&2
  # --include resolves dependencies; debootstrap stubs out start-stop-daemon while installing,
  # so openssh-server's postinst does not start a daemon on the build machine.
  if ! as_root debootstrap --variant=minbase \
      --include=python3,python3-apt,python3-venv,python3-pip,gpg,openssh-server,sudo,procps,iproute2,acl,cron,curl,git,unzip,zip,bzip2,xz-utils \
      bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (mirror $mirror; set OXIBLE_DEBIAN_MIRROR to use another)"
  fi

  # Package installs inside a test host must not start services (there is no init anyway).
  as_root tee "$root/usr/sbin/policy-rc.d" >/dev/null <<'SH'
#!/bin/sh
# Test hosts run no init: services are never started by package installs.
exit 101
SH
  as_root chmod 755 "$root/usr/sbin/policy-rc.d"

  # Users: tester sudoes without a password, pwuser with its password (to test -K and
  # ansible_become_password). Both can log in with the test key, like root.
  as_root chroot "$root" /bin/sh -eu <<'SH'
useradd -m -s /bin/bash tester
useradd -m -s /bin/bash -G sudo pwuser
echo 'pwuser:oxible' | chpasswd
echo 'tester ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/tester
chmod 440 /etc/sudoers.d/tester
# pam_loginuid cannot write /proc/self/loginuid in an unprivileged container: a required
# module failing would refuse every ssh login.
sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd
# Host keys are generated here, at build time, fresh for this image.
rm -f /etc/ssh/ssh_host_*
ssh-keygen -A
mkdir -p /run/sshd
chmod 755 /run/sshd
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log
SH
  for home in /root /home/tester /home/pwuser; do
    user=$(basename "$home"); [ "$home" = /root ] && user=root
    as_root install -d -m 700 "$root$home/.ssh"
    as_root install -m 600 "$KEY.pub" "$root$home/.ssh/authorized_keys"
    as_root chroot "$root" chown -R "$user:" "$home/.ssh"
  done
  as_root tee "$root/etc/ssh/sshd_config.d/oxible-test.conf" >/dev/null <<'CONF'
# Test hosts: key login for root (no password), keys or password for the others; no DNS
# lookups (slow without a network); many sessions at once (parallel tests, many forks).
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
UseDNS no
MaxSessions 100
MaxStartups 100:30:200
CONF
  # A container has no hostname of its own in the rootfs; docker sets it at run time.
  as_root rm -f "$root/etc/hostname"

  as_root tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
  as_root chown "$(id -u):$(id -g)" "$work/rootfs.tar"
  mv "$work/rootfs.tar" "$ROOTFS_TAR"
  echo "$stamp" >"$ROOTFS_TAR.stamp"
  cleanup
  trap - EXIT
fi

echo "importing $IMAGE" >&2
docker import \
  --change 'CMD ["/usr/sbin/sshd","-D","-e"]' \
  --change 'EXPOSE 22' \
  --change "LABEL oxible.stamp=$stamp" \
  "$ROOTFS_TAR" "$IMAGE" >/dev/null
image_current || die "imported $IMAGE but it does not carry the expected label"
echo "$IMAGE"
