#!/usr/bin/env bash
# The oracle's collections: the `docker` connection plugin (ansible-core ships no docker
# connection, its users get it from the community.docker collection) and the modules
# ansible-core redirects to collections that the module suites compare with (ansible.posix's
# authorized_key/mount/sysctl, community.general's alternatives) or that the OME roles use
# (community.postgresql's postgresql_db/user/privs). No Galaxy server is reachable,
# but PyPI's `ansible` package bundles the collections: download that wheel (pinned; it pairs
# with ansible-core 2.19) without dependencies and extract those collections alone
# (community.docker's `docker` connection needs only the docker CLI). Prints a directory for
# ANSIBLE_COLLECTIONS_PATH. Cached outside the clone like the oracle venv, reused when present,
# safe to run concurrently (flock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

bundle=12.3.0 # the `ansible` package version; it carries community.docker 4.8.5
collections="community/docker ansible/posix community/general community/postgresql"
dest=$CACHE/ansible-collections-$bundle
complete() {
  local c
  for c in $collections; do [ -f "$dest/ansible_collections/$c/MANIFEST.json" ] || return 1; done
}
if complete; then echo "$dest"; exit 0; fi

bin=$("$here/../oracle.sh")
mkdir -p "$CACHE"
exec 9>"$CACHE/.collections.lock"
flock 9
if ! complete; then
  work=$(mktemp -d "$CACHE/collections-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  "$bin/pip" download --quiet --disable-pip-version-check --no-deps "ansible==$bundle" \
    -d "$work" >&2 || die "cannot download ansible==$bundle from PyPI"
  "$bin/python" - "$work" $collections <<'PY'
import glob, sys, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{work}/ansible-*.whl")[0])
prefixes = tuple(f"ansible_collections/{c}/" for c in sys.argv[2:])
wheel.extractall(f"{work}/out", [n for n in wheel.namelist() if n.startswith(prefixes)])
PY
  rm -rf "$dest"
  mv "$work/out" "$dest"
fi
echo "$dest"
