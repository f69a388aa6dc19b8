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
# Made by build_derived_image (derived.sh): idempotent, cheap when done, safe to run
# concurrently. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/common.sh"
# shellcheck source-path=SCRIPTDIR
. "$here/derived.sh"

# Bump the recipe (second argument) when what goes into the image changes.
build_derived_image postgres 1 "postgresql python3-psycopg2" \
  'pg_lsclusters; psql --version' "$SSHD_CMD"
