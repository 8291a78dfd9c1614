#!/usr/bin/env bash
# Installs what building and testing Glass needs on a fresh Debian/Ubuntu machine.
# Idempotent: a second run checks and returns in a second. `make test` and .ci/run call it.
set -euo pipefail
cd "$(dirname "$0")/.."

required_node_major=20
required_node_minor=19
if ! command -v node >/dev/null; then
  echo "setup: node not found: install Node.js >= ${required_node_major}.${required_node_minor} (e.g. apt-get install nodejs npm)" >&2
  exit 1
fi
IFS=. read -r major minor _ <<<"$(node --version | tr -d v)"
if ((major < required_node_major || (major == required_node_major && minor < required_node_minor))); then
  echo "setup: node $(node --version) is too old: Glass needs >= ${required_node_major}.${required_node_minor}" >&2
  exit 1
fi

# Debian packages: the command each one provides, then the package.
apt_needs=()
# `ip` sets up the real cluster's bridge; containerd, runc, the CNI plugins, conntrack and
# nftables are its node, buildah and gcc build its pause and CoreDNS images (hack/cluster.sh,
# ADR 115). haproxy and
# nginx are the router bench's anchors and wrk its load generator (ADR 24); Debian puts the
# first two in /usr/sbin, which a non-root PATH may leave out. podman builds and runs Glass's
# image, on bases made with debootstrap where none can be pulled (`make image`, ADR 110); its
# containers' networks and published ports need the CNI plugins and iptables.
for pair in redis-server:redis-server shellcheck:shellcheck openssl:openssl ip:iproute2 \
  haproxy:haproxy nginx:nginx wrk:wrk podman:podman debootstrap:debootstrap iptables:iptables \
  /usr/lib/cni/portmap:containernetworking-plugins containerd:containerd runc:runc buildah:buildah \
  conntrack:conntrack nft:nftables gcc:gcc; do
  command -v "${pair%%:*}" >/dev/null || [[ -x /usr/sbin/${pair%%:*} ]] || apt_needs+=("${pair##*:}")
done
# Guest toolchains (guests/scripts/native.mjs): clang, wasm-ld, wasi-libc and the wasm32
# builtins every wasm-ld link pulls in, for C; Debian's rustc and its wasm32-wasi standard
# library, for Rust (ADR 120). Checked by file: rustup's rustc, often first on PATH, is not
# the one the build uses, and the last two packages are libraries.
for pair in /usr/bin/clang:clang /usr/bin/wasm-ld:lld /usr/lib/wasm32-wasi/libc.a:wasi-libc \
  /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a:libclang-rt-14-dev-wasm32 \
  /usr/bin/rustc:rustc /usr/lib/rustlib/wasm32-wasi/lib:libstd-rust-dev-wasm32; do
  [[ -e ${pair%%:*} ]] || apt_needs+=("${pair##*:}")
done
if ((${#apt_needs[@]} > 0)); then
  if [[ $(id -u) == 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "setup: missing ${apt_needs[*]}: run 'apt-get install ${apt_needs[*]}' as root" >&2
    exit 1
  fi
  echo "setup: installing ${apt_needs[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${apt_needs[@]}" >/dev/null
fi

# podman asks runc for 1048576 open files per container unless containers.conf says otherwise.
# Where root may not raise its limit that far (a sandbox without CAP_SYS_RESOURCE), every
# container fails with "error setting rlimit type 7"; an empty default_ulimits lets containers
# inherit podman's own limits. Machine-wide, so that a user's own `podman run` works too (ADR 111).
ulimits_conf=/etc/containers/containers.conf.d/50-glass-ulimits.conf
if ! (ulimit -Hn 1048576) 2>/dev/null &&
  ! grep -qs '^[[:space:]]*default_ulimits' /etc/containers/containers.conf /etc/containers/containers.conf.d/*.conf; then
  if [[ $(id -u) == 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "setup: podman's containers cannot start here (open files capped at $(ulimit -Hn)): as root, write $ulimits_conf with '[containers]' and 'default_ulimits = []'" >&2
    exit 1
  fi
  echo "setup: writing $ulimits_conf (containers inherit podman's open-files limit, $(ulimit -Hn))"
  "${sudo[@]}" mkdir -p "$(dirname "$ulimits_conf")"
  printf '# Written by Glass hack/setup.sh (ADR 111): runc cannot raise open files past the\n# cap of this machine, so containers inherit the limits of podman.\n[containers]\ndefault_ulimits = []\n' |
    "${sudo[@]}" tee "$ulimits_conf" >/dev/null
fi

# npm dependencies, exactly as locked, whenever the lock file is newer than the install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

# The real Kubernetes control plane and helm for the operator and chart tests: built once
# from their Go modules (10-30 minutes on 2 cores) and cached outside the work tree, so the
# build happens here and never inside a test's timeout.
# The node's binaries too (kubelet, kube-scheduler, kube-proxy, CoreDNS) for `make e2e-local`'s
# real cluster (hack/cluster.sh, ADR 115).
if ! hack/k8s-binaries.sh check-node >/dev/null 2>&1; then
  echo "setup: building the Kubernetes control plane, a node's binaries and helm from their Go modules (once; cached in ${GLASS_CACHE:-$HOME/.cache/glass})"
  nice -n 10 hack/k8s-binaries.sh node >/dev/null
fi
