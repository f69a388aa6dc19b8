#!/usr/bin/env bash
# The oracle's `docker` connection plugin: ansible-core ships no docker connection, its users get
# it from the community.docker collection. No Galaxy server is reachable, but PyPI's `ansible`
# package bundles the collections: download that wheel (pinned; it pairs with ansible-core 2.19)
# without dependencies and extract community.docker alone (~2 MB; its `docker` connection needs
# only the docker CLI). Prints a directory for ANSIBLE_COLLECTIONS_PATH. Cached outside the clone
# like the oracle venv, reused when present, safe to run concurrently (flock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

bundle=12.3.0 # the `ansible` package version; it carries community.docker 4.8.5
dest=$CACHE/ansible-collections-$bundle
if [ -f "$dest/ansible_collections/community/docker/MANIFEST.json" ]; then echo "$dest"; exit 0; fi

bin=$("$here/../oracle.sh")
mkdir -p "$CACHE"
exec 9>"$CACHE/.collections.lock"
flock 9
if [ ! -f "$dest/ansible_collections/community/docker/MANIFEST.json" ]; then
  work=$(mktemp -d "$CACHE/collections-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  "$bin/pip" download --quiet --disable-pip-version-check --no-deps "ansible==$bundle" \
    -d "$work" >&2 || die "cannot download ansible==$bundle from PyPI"
  "$bin/python" - "$work" <<'PY'
import glob, sys, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{work}/ansible-*.whl")[0])
prefix = "ansible_collections/community/docker/"
wheel.extractall(f"{work}/out", [n for n in wheel.namelist() if n.startswith(prefix)])
PY
  rm -rf "$dest"
  mv "$work/out" "$dest"
fi
echo "$dest"
