#!/usr/bin/env bash
# A real single-node Kubernetes on this machine: the control plane of control-plane.sh plus
# a node (containerd with CNI, kubelet, kube-proxy in iptables mode, kube-scheduler) and
# CoreDNS. Needs root. One node per machine.
#
#   hack/cluster.sh up             start it; waits for the Node Ready and CoreDNS available
#   hack/cluster.sh down           stop exactly what `up` started and undo its changes to the
#                                  machine (iptables, links, mounts, cgroups, sysctls, paths)
#   hack/cluster.sh status         exit 0 when every process runs and the Node is Ready
#   hack/cluster.sh env            print `export KUBECONFIG=...` (eval "$(hack/cluster.sh env)")
#   hack/cluster.sh load IMAGE...  copy images from podman's store into the node (e.g.
#                                  localhost/glass:dev), for pods with imagePullPolicy IfNotPresent
#
# Environment:
#   GLASS_CLUSTER_DIR   state (configs, logs, pids, containerd and kubelet roots);
#                       default /var/lib/glass-cluster
#   GLASS_CLUSTER_RUN   runtime state (sockets, runc, netns); default /run/glass-cluster
#   GLASS_READY_TIMEOUT seconds to wait for each step (default 120)
#   KUBEBUILDER_ASSETS, GLASS_CACHE, GLASS_K8S_VERSION, ...: see hack/k8s-binaries.sh
#
# See hack/README.md and docs/adr/0115-single-node-cluster-on-the-machine.md.
set -euo pipefail
# Command substitutions stop at a failure too.
shopt -s inherit_errexit
# shellcheck source=hack/cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cluster/lib.sh"
# shellcheck source=hack/k8s-binaries.sh
. "$CLUSTER_HACK_DIR/k8s-binaries.sh"
# shellcheck source=hack/cluster/images.sh
. "$CLUSTER_HACK_DIR/cluster/images.sh"
# shellcheck source=hack/cluster/configs.sh
. "$CLUSTER_HACK_DIR/cluster/configs.sh"

TIMEOUT=${GLASS_READY_TIMEOUT:-120}
MACHINE="$CLUSTER_HACK_DIR/cluster/machine.sh"
BEFORE="$CLUSTER_DIR/machine-before"

need_tools() {
  [[ $(id -u) == 0 ]] || cdie "needs root (a kubelet and containerd manage mounts, cgroups and iptables)"
  cneed containerd "apt-get install containerd"
  cneed ctr "apt-get install containerd"
  cneed runc "apt-get install runc"
  [[ -x "$CNI_BIN_DIR/bridge" && -x "$CNI_BIN_DIR/host-local" && -x "$CNI_BIN_DIR/loopback" ]] ||
    cdie "CNI plugins not found in $CNI_BIN_DIR: apt-get install containernetworking-plugins (or set GLASS_CNI_BIN_DIR)"
  cneed iptables "apt-get install iptables"
  # `down` removes the nf_tables tables iptables-nft made for the kubelet and kube-proxy.
  cneed nft "apt-get install nftables"
  cneed ip "apt-get install iproute2"
  cneed findmnt "apt-get install util-linux"
  cneed setsid "apt-get install util-linux"
  cneed openssl "apt-get install openssl"
  cneed buildah "apt-get install buildah"
  cneed gcc "apt-get install gcc libc6-dev"
  # kube-proxy clears stale UDP conntrack entries with it (DNS after a CoreDNS restart).
  cneed conntrack "apt-get install conntrack"
  [[ -d /sys/fs/cgroup ]] || cdie "no /sys/fs/cgroup"
}

# Wait until "$@" succeeds; $1 = what, for the message.
wait_for() {
  local what=$1 t0
  shift
  t0=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) - t0 < TIMEOUT)) || {
      clog "timed out after ${TIMEOUT}s waiting for $what"
      return 1
    }
    sleep 0.25
  done
}

node_ready() {
  [[ "$(ckubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

all_running() {
  local c
  for c in "${NODE_COMPONENTS[@]}"; do clive_pid "$c" >/dev/null || return 1; done
  control_plane status >/dev/null 2>&1
}

# The machine must look like it has no node yet: the checks that keep two from colliding.
check_machine_free() {
  local ctl
  ! ip link show "$BRIDGE" >/dev/null 2>&1 || cdie "interface $BRIDGE exists: another node runs here, or a 'down' did not finish (run hack/cluster.sh down)"
  for ctl in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ ! -d "$ctl" ]] || cdie "$ctl exists: another kubelet runs on this machine (one node per machine)"
  done
  if ip -4 route show | grep -q "^${POD_CIDR%/*}"; then cdie "$POD_CIDR is already routed on this machine"; fi
}

start_node() {
  local t0=$1
  start_containerd
  import_archive "$(image_archive pause)"
  import_archive "$(image_archive coredns)"

  cstart kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$CLUSTER_DIR/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false
  cstart kube-proxy "$BIN/kube-proxy" --config="$CLUSTER_DIR/kube-proxy.yaml"
  cstart kubelet "$BIN/kubelet" \
    --config="$CLUSTER_DIR/kubelet.yaml" \
    --kubeconfig="$CLUSTER_DIR/kubelet.kubeconfig" \
    --root-dir="$CLUSTER_DIR/kubelet" \
    --cert-dir="$CLUSTER_DIR/pki" \
    --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP"
  local t_kubelet
  t_kubelet=$(cnow)
  wait_for "the Node $NODE_NAME to be Ready" node_ready
  clog "Node $NODE_NAME Ready $(celapsed "$t_kubelet")s after the kubelet started ($(celapsed "$t0")s after up)"
}

start_containerd() {
  mkdir -p "$CLUSTER_RUN/containerd"
  cstart containerd containerd --config "$CLUSTER_DIR/containerd.toml"
  wait_for "containerd on $CONTAINERD_SOCK" ctr --address "$CONTAINERD_SOCK" version
}

deploy_coredns() {
  sed -e "s|__DNS_IP__|$DNS_IP|" -e "s|__DOMAIN__|$CLUSTER_DOMAIN|" -e "s|__IMAGE__|$COREDNS_IMAGE|" \
    "$CLUSTER_HACK_DIR/cluster/coredns.yaml" | ckubectl apply --server-side -f - >/dev/null
  ckubectl -n kube-system rollout status deployment/coredns --timeout="${TIMEOUT}s" >/dev/null
}

cmd_up() {
  need_tools
  local t0
  t0=$(cnow)
  if [[ -f "$CLUSTER_DIR/$CLUSTER_MARKER" ]]; then
    BIN=$(<"$CLUSTER_DIR/bin-dir")
    if all_running && node_ready; then
      clog "already running; kubeconfig: $CLUSTER_DIR/kubeconfig"
      return 0
    fi
    clog "a partial cluster is in $CLUSTER_DIR; taking it down first"
    cmd_down
  fi
  [[ ! -e "$CLUSTER_DIR" ]] || cdie "$CLUSTER_DIR exists and is not this script's (no $CLUSTER_MARKER); remove it or set GLASS_CLUSTER_DIR"
  check_machine_free
  BIN=$("$CLUSTER_HACK_DIR/k8s-binaries.sh" node) || cdie "could not get the Kubernetes binaries (see above)"
  image_archive pause >/dev/null
  image_archive coredns >/dev/null

  mkdir -p "$CLUSTER_DIR" "$CLUSTER_RUN"
  : >"$CLUSTER_DIR/$CLUSTER_MARKER"
  printf '%s\n' "$BIN" >"$CLUSTER_DIR/bin-dir"
  # First, what the machine looks like without a node: `down` restores it.
  "$MACHINE" snapshot "$BEFORE"
  trap 'up_failed' EXIT
  trap 'exit 130' INT TERM

  ip link add "$BRIDGE" type bridge
  ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  control_plane up
  write_node_configs
  start_node "$t0"
  deploy_coredns
  trap - EXIT INT TERM
  clog "up in $(celapsed "$t0")s; eval \"\$(hack/cluster.sh env)\""
}

up_failed() {
  local rc=$? c
  trap - EXIT
  for c in "${NODE_COMPONENTS[@]}"; do
    [[ -f "$CLUSTER_DIR/$c.log" ]] || continue
    printf '\n--- last lines of %s ---\n' "$CLUSTER_DIR/$c.log" >&2
    tail -n 15 "$CLUSTER_DIR/$c.log" >&2
  done
  clog "up failed; taking down what it started"
  GLASS_CLUSTER_KEEP_LOGS=1 cmd_down || true
  exit "$((rc == 0 ? 1 : rc))"
}

# Pods first, through the kubelet, so that containerd tears sandboxes down itself (CNI DEL,
# netns, cgroups); whatever is left is killed through containerd, then swept.
drain_node() {
  cstop kube-scheduler
  ckubectl delete pods --all-namespaces --all --force --grace-period=0 --wait=false >/dev/null 2>&1 || true
  wait_for "the kubelet to stop every pod" no_sandboxes || true
}

no_sandboxes() { [[ -z "$(ctr_k8s tasks ls -q 2>/dev/null)" ]]; }

# Kill and delete through containerd whatever containers the kubelet did not remove.
kill_containers() {
  local id
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  done
  wait_for "containers to exit" no_running_tasks || true
  for id in $(ctr_k8s containers ls -q 2>/dev/null); do
    ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true
    ctr_k8s containers delete "$id" >/dev/null 2>&1 || true
  done
}

no_running_tasks() { ! ctr_k8s tasks ls 2>/dev/null | grep -q RUNNING; }

# containerd's shims outlive it by design; ours name our socket on their command line.
stop_shims() {
  local pid
  for pid in $(pgrep -f -- "-address $CONTAINERD_SOCK" || true); do
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *containerd-shim* ]] || continue
    kill -KILL "$pid" 2>/dev/null || true
  done
}

cmd_down() {
  [[ $(id -u) == 0 ]] || cdie "needs root"
  if [[ ! -d "$CLUSTER_DIR" ]]; then
    clog "nothing to stop ($CLUSTER_DIR does not exist)"
    return 0
  fi
  [[ -f "$CLUSTER_DIR/$CLUSTER_MARKER" ]] || cdie "$CLUSTER_DIR is not a cluster dir (no $CLUSTER_MARKER); not touching it"
  local t0
  t0=$(cnow)
  BIN=$(<"$CLUSTER_DIR/bin-dir")
  if clive_pid kubelet >/dev/null && clive_pid containerd >/dev/null; then drain_node; fi
  cstop kube-scheduler
  cstop kubelet
  cstop kube-proxy
  # kube-proxy's own teardown of its iptables rules.
  [[ ! -x "$BIN/kube-proxy" ]] || "$BIN/kube-proxy" --cleanup >>"$CLUSTER_DIR/kube-proxy.log" 2>&1 || true
  if clive_pid containerd >/dev/null; then kill_containers; fi
  cstop containerd
  stop_shims
  control_plane down || clog "control-plane.sh down failed; continuing"
  if [[ -f "$BEFORE/sysctls" ]]; then "$MACHINE" sweep "$BEFORE"; fi
  if [[ -n "${GLASS_CLUSTER_KEEP_LOGS:-}" ]]; then
    local keep
    keep=$(mktemp -d /tmp/glass-cluster-logs.XXXXXX)
    cp "$CLUSTER_DIR"/*.log "$keep/" 2>/dev/null || true
    clog "logs kept in $keep"
  fi
  # The dirs hold no mounts any more (the sweep unmounted them).
  rm -rf "$CLUSTER_RUN" "$CLUSTER_DIR"
  clog "down in $(celapsed "$t0")s"
}

cmd_status() {
  local c pid rc=0
  [[ -f "$CLUSTER_DIR/$CLUSTER_MARKER" ]] || {
    clog "not running ($CLUSTER_DIR does not exist)"
    return 1
  }
  BIN=$(<"$CLUSTER_DIR/bin-dir")
  control_plane status || rc=1
  for c in "${NODE_COMPONENTS[@]}"; do
    if pid=$(clive_pid "$c"); then
      printf '%-24s running (pid %s)\n' "$c" "$pid"
    else
      printf '%-24s not running\n' "$c"
      rc=1
    fi
  done
  if node_ready 2>/dev/null; then
    printf '%-24s Ready\n' "node/$NODE_NAME"
  else
    printf '%-24s not Ready\n' "node/$NODE_NAME"
    rc=1
  fi
  return "$rc"
}

cmd_env() {
  [[ -f "$CLUSTER_DIR/kubeconfig" ]] || cdie "no cluster; run 'hack/cluster.sh up' first"
  printf 'export KUBECONFIG=%q\n' "$CLUSTER_DIR/kubeconfig"
  printf 'export GLASS_K8S_BIN_DIR=%q\n' "$(<"$CLUSTER_DIR/bin-dir")"
}

cmd_load() {
  local image
  (($# > 0)) || cdie "usage: hack/cluster.sh load IMAGE..."
  if [[ ! -f "$CLUSTER_DIR/$CLUSTER_MARKER" ]] || ! clive_pid containerd >/dev/null; then
    cdie "the cluster is not running; run 'hack/cluster.sh up' first"
  fi
  for image in "$@"; do
    load_image "$image"
    clog "loaded $image into the node"
  done
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
load)
  shift
  cmd_load "$@"
  ;;
-h | --help | help) sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
*) cdie "usage: hack/cluster.sh up|down|status|env|load IMAGE..." ;;
esac
