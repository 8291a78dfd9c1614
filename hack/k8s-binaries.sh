#!/usr/bin/env bash
# Ensure the Kubernetes control-plane binaries and helm exist, and print the directory
# that holds them: etcd, kube-apiserver, kube-controller-manager, kubectl, helm.
#
#   hack/k8s-binaries.sh              ensure (build once if needed), print the bin dir
#   hack/k8s-binaries.sh versions     print the pinned versions
#   hack/k8s-binaries.sh check        print the bin dir if nothing needs building, else exit 1
#   hack/k8s-binaries.sh node         as ensure, plus a node's: kube-scheduler, kubelet,
#                                     kube-proxy and coredns (for hack/cluster.sh)
#   source hack/k8s-binaries.sh       define glass_k8s_bin_dir (and the pins), build nothing
#
# Binaries come from KUBEBUILDER_ASSETS when it is set and holds them. Whatever is missing
# is built from its Go module with the machine's Go toolchain and the Go module proxy, at
# the versions pinned below, and cached outside the work tree, keyed by version:
#
#   ${GLASS_CACHE:-$HOME/.cache/glass}/k8s/<version>/bin/{kube-apiserver,kube-controller-manager,kubectl}
#   ${GLASS_CACHE:-$HOME/.cache/glass}/etcd/<version>/bin/etcd
#   ${GLASS_CACHE:-$HOME/.cache/glass}/helm/<version>/bin/helm
#   ${GLASS_CACHE:-$HOME/.cache/glass}/coredns/<version>/bin/coredns
#   ${GLASS_CACHE:-$HOME/.cache/glass}/sets/<key>/      symlinks to the five; this is printed
#
# See hack/README.md and docs/adr/0030-k8s-binaries-from-go-modules.md.

# Pins. See docs/adr/0030-k8s-binaries-from-go-modules.md before changing them.
: "${GLASS_K8S_VERSION:=v1.37.1}"  # k8s.io/kubernetes; staging modules at v0.37.1
: "${GLASS_ETCD_VERSION:=v3.7.3}"  # go.etcd.io/etcd/server/v3; k8s 1.37 wants etcd 3.7 (min 3.5.24)
: "${GLASS_HELM_VERSION:=v3.22.0}" # helm.sh/helm/v3
: "${GLASS_COREDNS_VERSION:=v1.15.0}" # github.com/coredns/coredns; only hack/cluster.sh needs it

GLASS_K8S__SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

glass_k8s__log() { printf 'k8s-binaries: %s\n' "$*" >&2; }
glass_k8s__die() {
  printf 'k8s-binaries: error: %s\n' "$*" >&2
  return 1
}

glass_k8s__cache_root() { printf '%s\n' "${GLASS_CACHE:-${HOME:?HOME is not set}/.cache/glass}"; }

# The go binary: GLASS_GO, else go on PATH, else /usr/local/go/bin/go.
glass_k8s__go() {
  if [[ -n "${GLASS_GO:-}" ]]; then
    [[ -x "$GLASS_GO" ]] || glass_k8s__die "GLASS_GO=$GLASS_GO is not an executable go" || return 1
    printf '%s\n' "$GLASS_GO"
  elif command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    glass_k8s__die "go not found (needed to build the Kubernetes binaries): install Go >= 1.26 at /usr/local/go or on PATH (Debian bookworm's golang packages are too old), or set KUBEBUILDER_ASSETS to a directory holding etcd, kube-apiserver, kube-controller-manager and kubectl"
  fi
}

glass_k8s__require_tools() {
  local t pkg
  for t in flock:util-linux sha256sum:coreutils mktemp:coreutils; do
    pkg=${t#*:}
    t=${t%%:*}
    command -v "$t" >/dev/null 2>&1 || glass_k8s__die "$t not found: apt-get install $pkg" || return 1
  done
}

# Go toolchain check: GOTOOLCHAIN=local is used for builds, so the local go must be new enough.
glass_k8s__check_go() {
  local go=$1 want=$2 have
  have=$("$go" env GOVERSION) || glass_k8s__die "'$go env GOVERSION' failed" || return 1
  have=${have#go}
  # Compare major.minor only (want is like 1.26.0).
  local hmaj hmin wmaj wmin
  IFS=. read -r hmaj hmin _ <<<"$have"
  IFS=. read -r wmaj wmin _ <<<"$want"
  if ((hmaj < wmaj || (hmaj == wmaj && ${hmin%%[!0-9]*} < wmin))); then
    glass_k8s__die "Go $have is too old; these modules need Go >= $want: install a newer Go at /usr/local/go or on PATH, or set GLASS_GO to one" || return 1
  fi
}

# Run the go tool for builds: niced (the machines are shared), for the host platform, with
# the local toolchain only and no workspace, in module mode.
glass_k8s__gorun() {
  local go
  go=$(glass_k8s__go) || return 1
  env -u GOOS -u GOARCH -u GOARM -u GOAMD64 \
    GOTOOLCHAIN=local GOWORK=off GOFLAGS="-mod=mod -buildvcs=false ${GLASS_GOFLAGS:-}" CGO_ENABLED=0 \
    nice -n "${GLASS_BUILD_NICE:-19}" "$go" "$@"
}

# Drop `go get`'s per-requirement "upgraded"/"added" lines; keep the rest.
glass_k8s__quiet() { grep -Ev '^go: (upgraded|added) ' || true; }

glass_k8s__is_exe() { [[ -f "$1" && -x "$1" ]]; }

glass_k8s__now() { date +%s; }

# A fresh module in a temp dir: $1 = dir, $2 = go version for the go directive.
glass_k8s__init_module() {
  local dir=$1 gover=$2
  (cd "$dir" && glass_k8s__gorun mod init glass.invalid/build >/dev/null 2>&1) || return 1
  (cd "$dir" && glass_k8s__gorun mod edit -go="$gover") || return 1
}

# Field from `go mod download -json` output on stdin: "Dir", "GoMod", "Hash" (Origin.Hash), ...
glass_k8s__json_field() {
  sed -n "s/^[[:space:]]*\"$1\": \"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

# `go mod download -json` for one module version, with a clear error if unavailable.
glass_k8s__download() {
  local mod=$1 out
  if ! out=$(cd "$2" && glass_k8s__gorun mod download -json "$mod" 2>&1); then
    printf '%s\n' "$out" >&2
    glass_k8s__die "cannot download $mod from the Go module proxy (GOPROXY=$(glass_k8s__gorun env GOPROXY)); check network access to it, or set KUBEBUILDER_ASSETS" || return 1
  fi
  if grep -q '"Error"' <<<"$out"; then
    printf '%s\n' "$out" >&2
    glass_k8s__die "cannot download $mod from the Go module proxy" || return 1
  fi
  printf '%s\n' "$out"
}

glass_k8s__fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Build the named Kubernetes commands at version $1 into $2 (the final bin dir).
# Caller holds the lock. Each binary is built to a temp name, then renamed into place.
glass_k8s__build_k8s() (
  set -euo pipefail
  local version=$1 bindir=$2
  shift 2
  local work
  mkdir -p "$bindir"
  work=$(mktemp -d "$bindir/../.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT

  if [[ ! "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
    glass_k8s__die "unsupported Kubernetes version '$version' (want v1.MINOR.PATCH)"
  fi
  local minor=${BASH_REMATCH[1]} staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

  glass_k8s__log "downloading k8s.io/kubernetes@$version (about 130 MB)"
  local info gomod commit modtime gover
  info=$(glass_k8s__download "k8s.io/kubernetes@$version" "$work")
  gomod=$(glass_k8s__json_field GoMod <<<"$info")
  commit=$(glass_k8s__json_field Hash <<<"$info")
  # The tag's time, from the proxy's .info file ({"Version":…,"Time":…}), as the build date.
  modtime=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(glass_k8s__json_field Info <<<"$info")")
  gover=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")
  glass_k8s__check_go "$(glass_k8s__go)" "$gover"

  # k8s.io/kubernetes requires its staging repos at v0.0.0 and replaces them with
  # ./staging/src/k8s.io/*, which a dependency cannot do. Replace each with its
  # published module at the matching v0.MINOR.PATCH instead.
  glass_k8s__init_module "$work" "$gover"
  local -a edits=(-require="k8s.io/kubernetes@$version")
  local m
  while read -r m; do
    edits+=(-replace="$m=$m@$staging")
  done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/.*#\1#p' "$gomod")
  ((${#edits[@]} > 10)) || glass_k8s__die "found no staging replace directives in $gomod"
  # Keep the GODEBUG defaults Kubernetes builds with.
  while read -r m; do
    edits+=(-godebug="$m")
  done < <(sed -n 's/^godebug \([^()]*\)$/\1/p' "$gomod")
  (cd "$work" && glass_k8s__gorun mod edit "${edits[@]}")

  local -a pkgs=()
  local name
  for name in "$@"; do pkgs+=("k8s.io/kubernetes/cmd/$name@$version"); done
  glass_k8s__log "resolving dependencies for ${*}"
  (cd "$work" && glass_k8s__gorun get "${pkgs[@]}" 2>&1 | glass_k8s__quiet >&2)

  # What hack/lib/version.sh sets, so the binaries report their real version.
  local ldflags="-s -w" key val
  for key in gitVersion=$version gitMajor=1 gitMinor=$minor gitCommit=$commit \
    gitTreeState=archive buildDate=$modtime; do
    val=${key#*=}
    key=${key%%=*}
    [[ -n "$val" ]] || continue
    ldflags+=" -X k8s.io/component-base/version.$key=$val -X k8s.io/client-go/pkg/version.$key=$val"
  done

  for name in "$@"; do
    glass_k8s__log "building $name $version (several minutes on 2 cores)"
    glass_k8s__build_binary "$work" "$name" "$version" "k8s.io/kubernetes/cmd/$name" "$ldflags" \
      "$bindir" -tags selinux,notest,grpcnotrace
  done
)

# Download module $1 at version $2 and make the fresh build module in $3 require it, after
# checking the Go toolchain against the module's go directive. Prints the commit hash the
# proxy reports (possibly empty); everything else goes to stderr.
glass_k8s__require_module() {
  local mod=$1 version=$2 work=$3 info gomod gover
  glass_k8s__log "downloading $mod@$version"
  info=$(glass_k8s__download "$mod@$version" "$work") || return 1
  gomod=$(glass_k8s__json_field GoMod <<<"$info")
  gover=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")
  glass_k8s__check_go "$(glass_k8s__go)" "$gover" || return 1
  glass_k8s__init_module "$work" "$gover" >&2 || return 1
  (cd "$work" && glass_k8s__gorun mod edit -require="$mod@$version") >&2 || return 1
  glass_k8s__json_field Hash <<<"$info"
}

# Build package $4 of the module in $1 as binary $2 (at version $3, for the log) with
# ldflags $5 and any further `go build` flags, then move it into bin dir $6.
glass_k8s__build_binary() {
  local work=$1 name=$2 version=$3 pkg=$4 ldflags=$5 bindir=$6 t0 t1
  shift 6
  t0=$(glass_k8s__now)
  (cd "$work" && glass_k8s__gorun build -trimpath "$@" -ldflags "$ldflags" -o "$work/$name" "$pkg") || return 1
  mv -f "$work/$name" "$bindir/$name" || return 1
  t1=$(glass_k8s__now)
  glass_k8s__log "built $name $version in $(glass_k8s__fmt_secs $((t1 - t0)))"
}

glass_k8s__build_etcd() (
  set -euo pipefail
  local version=$1 bindir=$2 work
  mkdir -p "$bindir"
  work=$(mktemp -d "$bindir/../.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  local mod=go.etcd.io/etcd/server/v3 commit
  # The server module's own replace directives (../api etc.) do not apply to a
  # dependency; its requirements name the published sibling modules.
  commit=$(glass_k8s__require_module "$mod" "$version" "$work")
  (cd "$work" && glass_k8s__gorun get "$mod@$version" 2>&1 | glass_k8s__quiet >&2)
  local ldflags="-s -w"
  [[ -z "$commit" ]] || ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:7}"
  glass_k8s__log "building etcd $version"
  glass_k8s__build_binary "$work" etcd "$version" "$mod" "$ldflags" "$bindir"
)

glass_k8s__build_coredns() (
  set -euo pipefail
  local version=$1 bindir=$2 work
  mkdir -p "$bindir"
  work=$(mktemp -d "$bindir/../.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  local mod=github.com/coredns/coredns commit
  commit=$(glass_k8s__require_module "$mod" "$version" "$work")
  (cd "$work" && glass_k8s__gorun get "$mod@$version" 2>&1 | glass_k8s__quiet >&2)
  # As CoreDNS's Makefile; the plugin set is the default one compiled into its module.
  local ldflags="-s -w"
  [[ -z "$commit" ]] || ldflags+=" -X $mod/coremain.GitCommit=${commit:0:7}"
  glass_k8s__log "building coredns $version"
  glass_k8s__build_binary "$work" coredns "$version" "$mod" "$ldflags" "$bindir"
)

glass_k8s__build_helm() (
  set -euo pipefail
  local version=$1 bindir=$2 work
  mkdir -p "$bindir"
  work=$(mktemp -d "$bindir/../.build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  local mod=helm.sh/helm/v3 commit
  commit=$(glass_k8s__require_module "$mod" "$version" "$work")
  (cd "$work" && glass_k8s__gorun get "$mod/cmd/helm@$version" 2>&1 | glass_k8s__quiet >&2)
  # As helm's Makefile: the Kubernetes version helm assumes comes from its client-go.
  local cgo kmaj kmin
  cgo=$(cd "$work" && glass_k8s__gorun list -m -f '{{.Version}}' k8s.io/client-go)
  IFS=. read -r kmaj kmin _ <<<"${cgo#v}"
  local p=$mod
  local ldflags="-s -w -X $p/internal/version.version=$version -X $p/internal/version.gitTreeState=clean"
  [[ -z "$commit" ]] || ldflags+=" -X $p/internal/version.gitCommit=$commit"
  ldflags+=" -X $p/pkg/lint/rules.k8sVersionMajor=$((kmaj + 1)) -X $p/pkg/lint/rules.k8sVersionMinor=$kmin"
  ldflags+=" -X $p/pkg/chartutil.k8sVersionMajor=$((kmaj + 1)) -X $p/pkg/chartutil.k8sVersionMinor=$kmin"
  glass_k8s__log "building helm $version"
  glass_k8s__build_binary "$work" helm "$version" "$mod/cmd/helm" "$ldflags" "$bindir"
)

# Runs in its own bash process (so that errexit holds whatever the caller does): take the
# lock, re-check, build what is still missing. $1 = component, $2 = version, $3 = bin dir,
# rest = names.
glass_k8s__build_locked() {
  set -euo pipefail
  local component=$1 version=$2 bindir=$3
  shift 3
  glass_k8s__go >/dev/null
  mkdir -p "$bindir"
  local lock="${bindir%/bin}/.lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    glass_k8s__log "waiting for another build of $component $version to finish ($lock)"
    flock 9
  fi
  # Re-check under the lock: another caller may have built them meanwhile.
  local name
  local -a todo=()
  for name in "$@"; do glass_k8s__is_exe "$bindir/$name" || todo+=("$name"); done
  ((${#todo[@]} > 0)) || return 0
  case $component in
  k8s) glass_k8s__build_k8s "$version" "$bindir" "${todo[@]}" ;;
  etcd) glass_k8s__build_etcd "$version" "$bindir" ;;
  helm) glass_k8s__build_helm "$version" "$bindir" ;;
  coredns) glass_k8s__build_coredns "$version" "$bindir" ;;
  *) glass_k8s__die "unknown component $component" ;;
  esac
}

# Ensure binaries of one component exist in the cache; build those missing, under a lock
# so that parallel callers build once. $1 = component (k8s|etcd|helm), $2 = version, rest = names.
# Prints the bin dir. With GLASS_K8S_NO_BUILD=1, fails instead of building.
glass_k8s__ensure() {
  local component=$1 version=$2
  shift 2
  local bindir name
  bindir="$(glass_k8s__cache_root)/$component/$version/bin" || return 1
  local -a missing=()
  for name in "$@"; do glass_k8s__is_exe "$bindir/$name" || missing+=("$name"); done
  if ((${#missing[@]} == 0)); then
    printf '%s\n' "$bindir"
    return 0
  fi
  if [[ "${GLASS_K8S_NO_BUILD:-}" == 1 ]]; then
    glass_k8s__log "not built yet: ${missing[*]} ($component $version); run hack/k8s-binaries.sh"
    return 1
  fi
  glass_k8s__require_tools || return 1
  "$BASH" "$GLASS_K8S__SELF" __build "$component" "$version" "$bindir" "${missing[@]}" >&2 || {
    glass_k8s__die "building ${missing[*]} ($component $version) failed; see the output above"
    return 1
  }
  printf '%s\n' "$bindir"
}

# The Kubernetes version a kube-apiserver binary reports ("Kubernetes v1.31.0" -> v1.31.0).
glass_k8s__apiserver_version() {
  "$1" --version 2>/dev/null | sed -n 's/^Kubernetes \(v[0-9]*\.[0-9]*\.[0-9]*\).*/\1/p'
}

# Ensure all five binaries and print a directory of symlinks to them. With $1 = node, also
# the node's: kube-scheduler, kubelet, kube-proxy (k8s.io/kubernetes) and coredns.
glass_k8s_bin_dir() {
  local cache k8s_version=$GLASS_K8S_VERSION
  cache=$(glass_k8s__cache_root) || return 1
  local -A path=()
  local name assets=${KUBEBUILDER_ASSETS:-} key
  local -a k8s_names=(kube-apiserver kube-controller-manager kubectl) all_names
  local node_key=""
  if [[ "${1:-}" == node ]]; then
    k8s_names+=(kube-scheduler kubelet kube-proxy)
    node_key="_node_coredns-${GLASS_COREDNS_VERSION}"
  fi
  all_names=(etcd "${k8s_names[@]}" helm)
  [[ -z "$node_key" ]] || all_names+=(coredns)
  key="k8s-${GLASS_K8S_VERSION}_etcd-${GLASS_ETCD_VERSION}_helm-${GLASS_HELM_VERSION}$node_key"

  if [[ -n "$assets" ]]; then
    [[ -d "$assets" ]] || glass_k8s__log "KUBEBUILDER_ASSETS=$assets is not a directory; building the pinned binaries instead"
    for name in "${all_names[@]}"; do
      if glass_k8s__is_exe "$assets/$name"; then path[$name]="$assets/$name"; fi
    done
    if [[ -n "${path[kube-apiserver]:-}" ]]; then
      # Build what the assets lack at the version of their apiserver, to respect version skew.
      k8s_version=$(glass_k8s__apiserver_version "${path[kube-apiserver]}")
      [[ -n "$k8s_version" ]] || glass_k8s__die "cannot tell the version of $assets/kube-apiserver (--version)" || return 1
    fi
    key="assets-$(printf '%s' "$assets" | sha256sum | cut -c1-12)_k8s-${k8s_version}_etcd-${GLASS_ETCD_VERSION}_helm-${GLASS_HELM_VERSION}$node_key"
    local -a have=("${!path[@]}")
    glass_k8s__log "using ${have[*]:-nothing} from KUBEBUILDER_ASSETS=$assets"
  fi

  local -a k8s_missing=()
  for name in "${k8s_names[@]}"; do
    [[ -n "${path[$name]:-}" ]] || k8s_missing+=("$name")
  done
  local d
  if ((${#k8s_missing[@]} > 0)); then
    d=$(glass_k8s__ensure k8s "$k8s_version" "${k8s_missing[@]}") || return 1
    for name in "${k8s_missing[@]}"; do path[$name]="$d/$name"; done
  fi
  if [[ -z "${path[etcd]:-}" ]]; then
    d=$(glass_k8s__ensure etcd "$GLASS_ETCD_VERSION" etcd) || return 1
    path[etcd]="$d/etcd"
  fi
  if [[ -z "${path[helm]:-}" ]]; then
    d=$(glass_k8s__ensure helm "$GLASS_HELM_VERSION" helm) || return 1
    path[helm]="$d/helm"
  fi
  if [[ -n "$node_key" && -z "${path[coredns]:-}" ]]; then
    d=$(glass_k8s__ensure coredns "$GLASS_COREDNS_VERSION" coredns) || return 1
    path[coredns]="$d/coredns"
  fi

  # A directory of symlinks to the five, replaced atomically when out of date.
  local set="$cache/sets/$key" ok=1
  for name in "${!path[@]}"; do
    [[ "$(readlink "$set/$name" 2>/dev/null)" == "${path[$name]}" ]] || ok=0
  done
  if ((ok == 0)); then
    mkdir -p "$cache/sets" || return 1
    local tmp
    tmp=$(mktemp -d "$cache/sets/.tmp.XXXXXX") && chmod 755 "$tmp" || return 1
    for name in "${!path[@]}"; do
      ln -s "${path[$name]}" "$tmp/$name" || return 1
    done
    # Under a lock, so that two callers do not swap the directory under each other.
    # shellcheck disable=SC2016 # $1/$2 are for the inner sh
    flock "$cache/sets/.lock" sh -c 'rm -rf "$1" && mv -T "$2" "$1"' sh "$set" "$tmp" || {
      rm -rf "$tmp"
      glass_k8s__die "cannot create $set"
      return 1
    }
  fi
  printf '%s\n' "$set"
}

glass_k8s__main() {
  set -euo pipefail
  case "${1:-}" in
  "" | ensure) glass_k8s_bin_dir ;;
  check) GLASS_K8S_NO_BUILD=1 glass_k8s_bin_dir ;;
  node) glass_k8s_bin_dir node ;;
  check-node) GLASS_K8S_NO_BUILD=1 glass_k8s_bin_dir node ;;
  __build)
    shift
    glass_k8s__build_locked "$@"
    ;;
  versions)
    printf 'kubernetes %s\netcd %s\nhelm %s\ncoredns %s\n' "$GLASS_K8S_VERSION" "$GLASS_ETCD_VERSION" "$GLASS_HELM_VERSION" "$GLASS_COREDNS_VERSION"
    ;;
  -h | --help | help) sed -n '2,23s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
  *)
    glass_k8s__die "unknown argument '$1' (try: ensure, check, node, check-node, versions)"
    ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  glass_k8s__main "$@"
fi
