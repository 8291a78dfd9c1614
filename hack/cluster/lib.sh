# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this file
# Shared by hack/cluster.sh and its helpers: where the node keeps its state, its fixed
# addresses, logging, and the PID bookkeeping that lets `down` stop exactly what `up` started.
# Sourced, not run.

CLUSTER_HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_REPO_ROOT=$(cd "$CLUSTER_HACK_DIR/.." && pwd)
# shellcheck source=hack/lib/processes.sh
. "$CLUSTER_HACK_DIR/lib/processes.sh"

# One node per machine, so its state lives at fixed, machine-wide paths (the kubelet root and
# containerd's are node-wide anyway); nothing else on the machine uses these two.
CLUSTER_DIR=${GLASS_CLUSTER_DIR:-/var/lib/glass-cluster}
CLUSTER_RUN=${GLASS_CLUSTER_RUN:-/run/glass-cluster}
CLUSTER_MARKER=.glass-cluster

# The network. The bridge exists before the apiserver starts, with the pods' gateway address,
# so the apiserver can bind and advertise an address every pod routes to (this machine's
# kernel has no dummy interfaces). The service range is control-plane.sh's.
BRIDGE=glass0
CNI_NETWORK=glass
# Debian's containernetworking-plugins; /opt/cni/bin elsewhere.
CNI_BIN_DIR=${GLASS_CNI_BIN_DIR:-/usr/lib/cni}
POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
DNS_IP=10.0.0.10
CLUSTER_DOMAIN=cluster.local
NODE_NAME=glass-node

CONTAINERD_SOCK=$CLUSTER_RUN/containerd/containerd.sock

# Node processes, started in this order (after the control plane), stopped in reverse.
NODE_COMPONENTS=(containerd kube-scheduler kube-proxy kubelet)

clog() { printf 'cluster: %s\n' "$*" >&2; }
cdie() {
  printf 'cluster: error: %s\n' "$*" >&2
  exit 1
}
cneed() { command -v "$1" >/dev/null 2>&1 || cdie "$1 not found: ${2}"; }

cnow() { date +%s.%N; }
celapsed() { awk -v a="$1" -v b="$(cnow)" 'BEGIN { printf "%.1f", b - a }'; }

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

cpid_file() { printf '%s/%s.pid\n' "$CLUSTER_DIR" "$1"; }

# The recorded PID of a component if it is alive and ours: its command line names the
# cluster dir or run dir. A reused PID is never signalled.
clive_pid() { proc_live_pid "$(cpid_file "$1")" "$CLUSTER_DIR" "$CLUSTER_RUN"; }

# Start a component detached in its own session, logging to <dir>/<name>.log.
cstart() {
  local name=$1
  shift
  proc_start "$(cpid_file "$name")" "$CLUSTER_DIR/$name.log" "$@" ||
    cdie "$name did not start; see $CLUSTER_DIR/$name.log"
}

# SIGTERM, up to 20 s, then SIGKILL; only the recorded PID.
cstop() { proc_stop cluster "$1" "$(cpid_file "$1")" "$CLUSTER_DIR" "$CLUSTER_RUN"; }

# The control plane's state lives inside the node's dir; control-plane.sh does the rest.
control_plane() {
  GLASS_CONTROL_PLANE_DIR="$CLUSTER_DIR/control-plane" GLASS_KUBECONFIG="$CLUSTER_DIR/kubeconfig" \
    GLASS_APISERVER_ADDRESS="$NODE_IP" "$CLUSTER_HACK_DIR/control-plane.sh" "$@"
}

ckubectl() { "$BIN/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" --request-timeout=10s "$@"; }
