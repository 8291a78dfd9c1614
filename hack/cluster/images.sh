# shellcheck shell=bash
# The node's own images, made on this machine because no registry is reachable: the pod
# sandbox ("pause") compiled from the Kubernetes module's C source, and CoreDNS from its Go
# build. Each is packaged with buildah from scratch into a docker-archive cached outside the
# work tree, keyed by version, and imported into containerd by every `up`. Sourced by
# hack/cluster.sh after lib.sh and k8s-binaries.sh.

PAUSE_VERSION=3.10.2 # build/pause/Makefile's TAG at k8s.io/kubernetes v1.37.1
PAUSE_IMAGE=localhost/pause:$PAUSE_VERSION
COREDNS_IMAGE=localhost/coredns:${GLASS_COREDNS_VERSION#v}

images_cache() { printf '%s/images\n' "$(glass_k8s__cache_root)"; }

# buildah with storage of its own (vfs: no mounts), so podman's image store is not touched.
# $1 = the temp dir that holds it; the rest = buildah arguments.
private_buildah() {
  local store=$1
  shift
  buildah --root "$store/root" --runroot "$store/runroot" --storage-driver vfs "$@"
}

# Package files into an image from scratch and write it as a docker-archive.
# $1 = image name, $2 = archive, $3 = user, $4 = entrypoint JSON, rest = src:dest pairs.
scratch_image() (
  set -euo pipefail
  local name=$1 out=$2 user=$3 entry=$4 store c pair
  shift 4
  store=$(mktemp -d "$(dirname "$out")/.buildah.XXXXXX")
  trap 'rm -rf "$store" "$out.tmp"' EXIT
  c=$(private_buildah "$store" from scratch)
  for pair in "$@"; do
    private_buildah "$store" copy --chmod 0755 "$c" "${pair%%:*}" "${pair#*:}" >/dev/null
  done
  private_buildah "$store" config --user "$user" --entrypoint "$entry" --cmd '' "$c"
  private_buildah "$store" commit --quiet "$c" "$name" >/dev/null
  private_buildah "$store" push --quiet "$name" "docker-archive:$out.tmp:$name"
  mv -f "$out.tmp" "$out"
)

# pause.c from the k8s.io/kubernetes module (already in the Go module cache after the
# binaries were built), statically linked as its own Makefile does.
build_pause_image() (
  set -euo pipefail
  local out=$1 info dir work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  info=$(glass_k8s__download "k8s.io/kubernetes@$GLASS_K8S_VERSION" "$work")
  dir=$(glass_k8s__json_field Dir <<<"$info")
  [[ -f "$dir/build/pause/linux/pause.c" ]] || cdie "no build/pause/linux/pause.c in $dir"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-glass" \
    -o "$work/pause" "$dir/build/pause/linux/pause.c" || cdie "gcc could not build pause (apt-get install gcc libc6-dev)"
  strip "$work/pause"
  scratch_image "$PAUSE_IMAGE" "$out" 65535:65535 '["/pause"]' "$work/pause:/pause"
)

build_coredns_image() {
  local out=$1
  [[ -x "$BIN/coredns" ]] || cdie "no coredns in $BIN; run hack/k8s-binaries.sh node"
  scratch_image "$COREDNS_IMAGE" "$out" 65532:65532 '["/coredns"]' "$BIN/coredns:/coredns"
}

# Print the cached archive of an image, building it first if needed (under a lock).
# $1 = pause | coredns.
image_archive() {
  local kind=$1 dir out
  dir=$(images_cache)
  mkdir -p "$dir"
  case $kind in
  pause) out="$dir/pause-$PAUSE_VERSION-$GLASS_K8S_VERSION.tar" ;;
  coredns) out="$dir/coredns-$GLASS_COREDNS_VERSION.tar" ;;
  esac
  if [[ ! -s "$out" ]]; then
    # Not `( ... ) || cdie`: errexit does not hold inside a command whose status is tested,
    # and a build that went on after a failed step could cache a broken image.
    local rc
    set +e
    (
      set -e
      exec 9>"$out.lock"
      flock 9
      [[ -s "$out" ]] && exit 0
      clog "building the $kind image into $out"
      "build_${kind}_image" "$out"
    )
    rc=$?
    set -e
    ((rc == 0)) || cdie "could not build the $kind image"
  fi
  printf '%s\n' "$out"
}

# Import a docker/OCI archive into containerd's k8s.io namespace, where the CRI looks.
import_archive() {
  ctr_k8s images import "$1" >/dev/null || cdie "ctr could not import $1"
}

# `load <image>`: from podman's (or buildah's) store into the node.
load_image() {
  local image=$1 tmp
  cneed podman "apt-get install podman"
  podman image exists "$image" || cdie "podman has no image $image (build it first, e.g. make image)"
  tmp=$(mktemp -d "$CLUSTER_DIR/load.XXXXXX")
  # docker-archive keeps the name (localhost/...) as the tag ctr imports it under.
  if ! podman save --quiet --format docker-archive -o "$tmp/image.tar" "$image"; then
    rm -rf "$tmp"
    cdie "podman save $image failed"
  fi
  import_archive "$tmp/image.tar"
  rm -rf "$tmp"
}
