#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, then runs them all.
# Works on a fresh Debian 12 machine with Rust; reuses what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The oracle venv needs Python's venv module (Debian ships it separately).
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq python3-venv
fi
tests/oracle.sh >/dev/null
# Container test hosts (tests/hosts): the image built offline from Debian's archive (about a
# minute once, cached outside the clone) and the oracle's docker connection plugin. Without a
# Docker engine the container tests fail on their own with the reason.
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  tests/hosts/build-image.sh >/dev/null
  tests/hosts/build-dnf-image.sh >/dev/null || echo "run.sh: no dnf image (see above); the dnf tests will fail" >&2
  tests/hosts/build-systemd-image.sh >/dev/null || echo "run.sh: no systemd image (see above); the systemd tests will fail" >&2
  tests/hosts/build-postgres-image.sh >/dev/null || echo "run.sh: no postgres image (see above); the postgres tests will fail" >&2
  tests/hosts/docker-collection.sh >/dev/null
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo build --quiet --bin oxible
# The container suites spend most of their time waiting on their hosts (apt, dnf, systemd,
# PostgreSQL): with cargo-nextest several test binaries run at once; plain `cargo test` runs
# them one after the other. (There are no doctests: the doc comments' examples are text.)
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --test-threads 6 --no-fail-fast --status-level fail \
    --final-status-level slow --hide-progress-bar
else
  cargo test --workspace --quiet
fi
