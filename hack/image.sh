#!/usr/bin/env bash
# `make image`: Glass's image from runtime-image/Dockerfile as localhost/glass:dev, and a Redis
# for it from hack/image/redis.Containerfile as localhost/glass-redis:dev, built with podman.
# Prints the time of each step and what is in the images.
#
#   hack/image.sh
#
# Bases: NODE_IMAGE / DEBIAN_IMAGE when given; else node:20-bookworm-slim / debian:bookworm-slim
# when podman has or can pull them; else the bases hack/image-base.sh makes from debootstrap
# and npm (cached). The machine's npm settings and CA bundle reach `npm ci` as build secrets, its
# apt sources reach apt the same way; none of them ends up in an image (ADR 112).
#
# Environment:
#   GLASS_IMAGE_REF         the Glass image to build (default localhost/glass:dev)
#   GLASS_REDIS_IMAGE_REF   the Redis image to build (default localhost/glass-redis:dev)
#   NODE_IMAGE, DEBIAN_IMAGE  bases to use as they are
#   GLASS_PULL_TIMEOUT      seconds a pull of an official base may take (default 120)
#   GLASS_CACHE, GLASS_DEBIAN_MIRROR, ...: see hack/image-base.sh
#
# Needs root, podman, debootstrap, npm (make setup installs them). See hack/README.md.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
IMAGE=${GLASS_IMAGE_REF:-localhost/glass:dev}
REDIS_IMAGE=${GLASS_REDIS_IMAGE_REF:-localhost/glass-redis:dev}
# Short names, as the Dockerfile's: podman resolves them with the machine's registries.conf.
OFFICIAL_NODE=node:20-bookworm-slim
OFFICIAL_DEBIAN=debian:bookworm-slim
# shellcheck source=hack/image-base.sh
source "$HACK_DIR/image-base.sh"

log() { printf 'image: %s\n' "$*" >&2; }
die() {
  printf 'image: error: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# An official base, if podman has it or can pull it (no registry answers here: it fails fast).
pullable() {
  podman image exists "$1" || timeout "${GLASS_PULL_TIMEOUT:-120}" podman pull -q "$1" >/dev/null 2>&1
}

# The npm configuration `npm ci` needs inside the build, from this machine's: its registry,
# proxies and CA bundle. Written to $1/npmrc (and $1/npm-ca); prints the podman --secret flags.
npm_secrets() {
  local dir=$1 key value ca
  : >"$dir/npmrc"
  for key in registry proxy https-proxy noproxy strict-ssl; do
    value=$(npm config get "$key" 2>/dev/null) || value=
    [[ -z $value || $value == null || ($key == strict-ssl && $value == true) ]] ||
      printf '%s=%s\n' "$key" "$value" >>"$dir/npmrc"
  done
  ca=$(npm config get cafile 2>/dev/null) || ca=
  [[ -n $ca && $ca != null && -f $ca ]] || ca=${NODE_EXTRA_CA_CERTS:-}
  [[ -n $ca && -f $ca ]] || ca=/etc/ssl/certs/ca-certificates.crt
  printf -- '--secret\nid=npmrc,src=%s\n' "$dir/npmrc"
  if [[ -f $ca ]]; then
    cp "$ca" "$dir/npm-ca"
    printf 'cafile=/run/secrets/npm-ca\n' >>"$dir/npmrc"
    printf -- '--secret\nid=npm-ca,src=%s\n' "$dir/npm-ca"
  fi
}

# The ID of an image, or nothing.
image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# The image $1 was before a rebuild, if the rebuild left it without a name: removed, so that
# repeated builds do not fill the store. Anything still using it keeps it.
drop_replaced() {
  local old=$1 ref=$2
  [[ -n $old && $old != "$(image_id "$ref")" ]] || return 0
  [[ -z "$(podman image inspect --format '{{.RepoTags}}' "$old" 2>/dev/null | tr -d '[]')" ]] || return 0
  podman rmi "$old" >/dev/null 2>&1 || true
}

# What is in an image: its size, its layers, and (Glass's image) the size of its main dirs.
report() {
  local ref=$1
  shift
  log "$ref: $(podman image inspect --format '{{.Size}}' "$ref" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
  podman history --format '  {{.Size}}\t{{.CreatedBy}}' "$ref" | cut -c1-140 | awk -F'\t' '$1 !~ /^  0 *B$/' >&2
  if (($# > 0)); then
    # One du per path: du counts a directory once, so /app would hide /app/node_modules.
    # shellcheck disable=SC2016 # $d is for the inner sh
    podman run --rm --user 0:0 --entrypoint sh "$ref" -c 'for d; do du -sh "$d"; done' sh "$@" |
      sed 's/^/  /' >&2 || true
  fi
}

main() {
  glass_image_base_require_podman || exit 1
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js and npm (or run make setup)"
  local work t0 node_image debian_image
  work=$(mktemp -d "${TMPDIR:-/tmp}/glass-image.XXXXXX")
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT

  t0=$(now)
  if [[ -n "${NODE_IMAGE:-}" ]]; then
    node_image=$NODE_IMAGE
  elif pullable "$OFFICIAL_NODE"; then
    node_image=$OFFICIAL_NODE
  else
    log "$OFFICIAL_NODE cannot be pulled here: using a base made from debootstrap and npm"
    node_image=$(glass_image_base_node) || die "making the Node base failed (see above)"
  fi
  if [[ -n "${DEBIAN_IMAGE:-}" ]]; then
    debian_image=$DEBIAN_IMAGE
  elif [[ $node_image == "$OFFICIAL_NODE" ]] && pullable "$OFFICIAL_DEBIAN"; then
    debian_image=$OFFICIAL_DEBIAN
  else
    debian_image=$(glass_image_base_debian) || die "making the Debian base failed (see above)"
  fi
  log "bases ready in $(since "$t0"): $node_image, $debian_image"

  local -a secrets=()
  mapfile -t secrets < <(npm_secrets "$work")
  local old
  t0=$(now)
  old=$(image_id "$IMAGE")
  podman build -f "$REPO_ROOT/runtime-image/Dockerfile" --build-arg "NODE_IMAGE=$node_image" \
    "${secrets[@]}" -t "$IMAGE" "$REPO_ROOT" >&2 || die "building $IMAGE failed (see above)"
  drop_replaced "$old" "$IMAGE"
  log "built $IMAGE in $(since "$t0")"

  glass_image_base__write_apt_sources "$work/apt-sources"
  t0=$(now)
  old=$(image_id "$REDIS_IMAGE")
  podman build -f "$HACK_DIR/image/redis.Containerfile" --build-arg "DEBIAN_IMAGE=$debian_image" \
    --secret "id=apt-sources,src=$work/apt-sources" -t "$REDIS_IMAGE" "$HACK_DIR/image" >&2 ||
    die "building $REDIS_IMAGE failed (see above)"
  drop_replaced "$old" "$REDIS_IMAGE"
  log "built $REDIS_IMAGE in $(since "$t0")"

  report "$IMAGE" /usr /var /etc /app /app/node_modules /app/crds/samples /usr/local/bin/node
  report "$REDIS_IMAGE"
}

main "$@"
