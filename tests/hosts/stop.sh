#!/usr/bin/env bash
# Removes the container test hosts that `start.sh N <prefix>` started: only containers labelled
# oxible-test=<prefix>, never anything else on the engine. Also removes that prefix's default
# inventory. Succeeds when there is nothing to remove.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

[ $# -eq 1 ] || { echo "usage: ${0##*/} <name-prefix>" >&2; exit 2; }
prefix=$1
[[ $prefix =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "bad name prefix '$prefix'"
need_docker

mapfile -t ids < <(docker ps -aq --filter "label=oxible-test=$prefix")
if [ ${#ids[@]} -gt 0 ]; then
  # -f: running hosts are killed rather than stopped (sshd holds no state worth a clean stop);
  # -v: their anonymous volumes go too.
  docker rm -f -v "${ids[@]}" >/dev/null
fi
rm -f "$CACHE/test-hosts/$prefix.ini"
echo "removed ${#ids[@]} container(s) labelled oxible-test=$prefix"
