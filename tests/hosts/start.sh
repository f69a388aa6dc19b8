#!/usr/bin/env bash
# Starts N container test hosts from oxible-test/debian:bookworm (built on demand by
# build-image.sh), each running sshd with port 22 published on 127.0.0.1 only at a free port the
# engine picks, waits until every sshd accepts the test key, and writes an INI inventory:
#   [ssh]     h1..hN  over ssh as root with the test key (host keys not checked: every image
#                     build makes new ones)
#   [docker]  the container names, with ansible_connection=docker
# Usage: start.sh N [name-prefix] [inventory-path]
# Containers are named <prefix>-1..N and labelled oxible-test=<prefix>; `stop.sh <prefix>`
# removes them and nothing else. The prefix defaults to oxible-test-<pid>, the inventory to
# $CACHE/test-hosts/<prefix>.ini. Prints the inventory path. On failure, removes what it
# started. OXIBLE_HOSTS_TIMEOUT (seconds, default 60) bounds the wait for sshd.
# OXIBLE_HOSTS_IMAGE starts the hosts from another image derived from the default one (sshd as
# its command, the same users and key); an image oxible-test/<x>:bookworm is built on demand by
# build-<x>-image.sh when that script exists (e.g. oxible-test/dnf:bookworm). An image's label
# oxible.docker-run-args adds `docker run` options (split on blanks), e.g. what the systemd-booted
# oxible-test/systemd:bookworm needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"

usage() { echo "usage: ${0##*/} N [name-prefix] [inventory-path]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 3 ]; then usage; fi
n=$1
prefix=${2:-oxible-test-$$}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, not '$n'"
# Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; the prefix is also a label value.
[[ $prefix =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] ||
  die "bad name prefix '$prefix' (letters, digits, _ . -)"
inventory=${3:-$CACHE/test-hosts/$prefix.ini}
timeout=${OXIBLE_HOSTS_TIMEOUT:-60}

"$here/build-image.sh" >/dev/null
image=${OXIBLE_HOSTS_IMAGE:-$IMAGE}
if [ "$image" != "$IMAGE" ]; then
  variant=${image#oxible-test/}; variant=${variant%%:*}
  if [ "$image" = "oxible-test/$variant:bookworm" ] && [ -x "$here/build-$variant-image.sh" ]; then
    "$here/build-$variant-image.sh" >/dev/null
  fi
fi
run_args=()
read -r -a run_args <<<"$(docker image inspect \
  --format '{{ index .Config.Labels "oxible.docker-run-args" }}' "$image" 2>/dev/null || true)"
mkdir -p "$(dirname "$inventory")"

# From here on a failure removes every container of this prefix (only those: by label).
started=0
on_exit() { if [ "$started" = 1 ]; then "$here/stop.sh" "$prefix" >/dev/null 2>&1 || true; fi; }
trap on_exit EXIT
trap 'exit 130' INT TERM

if [ -n "$(docker ps -aq --filter "label=oxible-test=$prefix")" ]; then
  trap - EXIT
  die "containers labelled oxible-test=$prefix exist already; stop.sh $prefix first"
fi

started=1
# Start all containers at once: the engine does them in parallel, N starts take about one's time.
# --init is not used: sshd is the main process and reaps its own children. The hostname is the
# container name, so each host tells which one it is.
pids=()
for i in $(seq "$n"); do
  docker run -d --name "$prefix-$i" --hostname "$prefix-$i" --label "oxible-test=$prefix" \
    -p 127.0.0.1::22 ${run_args[@]+"${run_args[@]}"} "$image" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || die "docker run failed for a container of $prefix"; done

ports=()
for i in $(seq "$n"); do
  addr=$(docker port "$prefix-$i" 22/tcp | head -n1)
  ports+=("${addr##*:}")
done

# sshd is ready when a real login with the test key runs a command: a listening port alone is
# not enough (docker-proxy accepts before sshd is up). `timeout` keeps a stuck login from
# hanging the start.
ssh_ok() {
  timeout 10 ssh -i "$KEY" -p "$1" -o BatchMode=yes -o ConnectTimeout=2 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@127.0.0.1 true </dev/null 2>/dev/null
}
deadline=$((SECONDS + timeout))
for i in $(seq "$n"); do
  port=${ports[$((i - 1))]}
  until ssh_ok "$port"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      docker logs --tail 20 "$prefix-$i" >&2 || true
      die "sshd in $prefix-$i (127.0.0.1:$port) not ready after ${timeout}s"
    fi
    sleep 0.2
  done
done

tmp=$inventory.tmp.$$
{
  echo "# Written by tests/hosts/start.sh for $n container(s) labelled oxible-test=$prefix."
  echo "[ssh]"
  for i in $(seq "$n"); do
    echo "h$i ansible_host=127.0.0.1 ansible_port=${ports[$((i - 1))]}"
  done
  echo
  echo "[ssh:vars]"
  echo "ansible_user=root"
  echo "ansible_ssh_private_key_file=$KEY"
  echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
  # The tests' harness points ansible-core's interpreter setting at the oracle venv (for local
  # runs); inventory vars win over it, so remote modules use the hosts' own Python.
  echo "ansible_python_interpreter=/usr/bin/python3"
  echo
  echo "[docker]"
  for i in $(seq "$n"); do echo "$prefix-$i"; done
  echo
  echo "[docker:vars]"
  echo "ansible_connection=docker"
  echo "ansible_python_interpreter=/usr/bin/python3"
} >"$tmp"
mv "$tmp" "$inventory"
started=0
echo "$inventory"
