#!/usr/bin/env bash
# Ensures the oracle venv (ansible-core 2.19.14 + passlib + jmespath for json_query, from PyPI) exists and prints its bin dir.
# The venv lives outside the clone and is reused: $OXIBLE_CACHE, else /var/cache/oxible when
# writable, else ~/.cache/oxible. Safe to call from parallel tests (flock).
set -euo pipefail
version=2.19.14
cache=${OXIBLE_CACHE:-}
if [ -z "$cache" ]; then
  if mkdir -p /var/cache/oxible 2>/dev/null && [ -w /var/cache/oxible ]; then cache=/var/cache/oxible
  else cache=$HOME/.cache/oxible; fi
fi
mkdir -p "$cache"
venv=$cache/ansible-core-$version
exec 9>"$cache/.oracle.lock"
flock 9
if [ ! -x "$venv/bin/ansible-playbook" ] || ! "$venv/bin/python" -c "import passlib, jmespath" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "ansible-core==$version" passlib jmespath >&2
fi
echo "$venv/bin"
