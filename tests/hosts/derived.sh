# The one way the variant images (oxible-test/<variant>:bookworm) are made from the test
# hosts' image; sourced by the build-<variant>-image.sh scripts after common.sh.
# shellcheck shell=bash

# build_derived_image VARIANT RECIPE PACKAGES SETUP CMD [RUN_ARGS]
#   A container of $IMAGE (built first when missing, by build-image.sh) installs PACKAGES from
#   Debian's archive with apt-get (none: nothing installed), then runs the shell commands SETUP
#   (which also prove the install worked); `docker commit` makes oxible-test/VARIANT:bookworm
#   with CMD (JSON form) as its main process. The image is labelled oxible.VARIANT-stamp (the
#   RECIPE version, bumped when what goes in changes, and the base image's id, so a rebuilt base
#   rebuilds it) and, when RUN_ARGS is given, oxible.docker-run-args: the `docker run` options
#   start.sh adds for its containers.
# Idempotent and cheap when done (exits at once when the image is current); safe to run
# concurrently (flock). Prints the image name.
build_derived_image() {
  local variant=$1 recipe=$2 packages=$3 setup=$4 cmd=$5 run_args=${6:-}
  local image=oxible-test/$variant:bookworm label=oxible.$variant-stamp
  need_docker
  command -v flock >/dev/null || die "flock (util-linux) is missing"
  "$here/build-image.sh" >/dev/null

  derived_stamp() {
    local base
    base=$(docker image inspect --format '{{.Id}}' "$IMAGE") || return 1
    echo "$variant-$recipe-$base"
  }
  derived_current() {
    local have want
    want=$(derived_stamp) || return 1
    have=$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$image" \
      2>/dev/null) || return 1
    [ "$have" = "$want" ]
  }

  # Fast path without the lock: most calls (every test start) find the image ready.
  if derived_current; then echo "$image"; return 0; fi
  mkdir -p "$CACHE/test-hosts"
  exec 9>"$CACHE/.test-$variant-image.lock"
  flock 9
  if derived_current; then echo "$image"; return 0; fi

  local stamp old name install=true
  stamp=$(derived_stamp)
  # The image this build replaces, removed afterwards (only it, by id, when nothing uses it).
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  name=oxible-$variant-build-$$
  # The build container is removed whatever happens.
  trap "docker rm -f $name >/dev/null 2>&1 || true" EXIT
  if [ -n "$packages" ]; then
    echo "installing $packages into $image (a minute)" >&2
    install="export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends $packages >/dev/null
      apt-get clean
      rm -rf /var/lib/apt/lists/* /var/log/*.log"
  fi
  docker run --name "$name" "$IMAGE" sh -ec "$install
    $setup" >&2 ||
    die "making $image failed (installing '$packages' needs the Debian archive reachable from containers)"
  # The build command replaced the base's CMD: CMD is set as the main process; the labels say
  # what the image was built from and how to run it.
  local changes=(--change "CMD $cmd" --change "LABEL $label=$stamp")
  [ -z "$run_args" ] || changes+=(--change "LABEL oxible.docker-run-args=\"$run_args\"")
  docker commit "${changes[@]}" "$name" "$image" >/dev/null
  derived_current || die "committed $image but it does not carry the expected label"
  [ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
  echo "$image"
}

# The base image's main process: sshd in the foreground.
SSHD_CMD='["/usr/sbin/sshd","-D","-e"]'
