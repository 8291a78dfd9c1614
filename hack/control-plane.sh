#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for tests: etcd, kube-apiserver and
# kube-controller-manager, on free ports, with generated certificates. No kubelet, so
# Pods are created but stay Pending.
#
#   hack/control-plane.sh up       start it (building the binaries once if needed); waits for
#                                  /readyz and the controller-manager; writes the kubeconfig
#   hack/control-plane.sh down     stop exactly the processes `up` started; remove the state dir
#   hack/control-plane.sh status   exit 0 when every process runs and /readyz answers ok
#   hack/control-plane.sh env      print `export KUBECONFIG=...` (eval "$(hack/control-plane.sh env)")
#
# Environment:
#   GLASS_CONTROL_PLANE_DIR  state dir (certs, etcd data, logs, pid files);
#                            default <repo>/.glass/control-plane. One per parallel test run.
#   GLASS_KUBECONFIG         admin kubeconfig to write; default <repo>/.glass/kubeconfig with
#                            the default state dir, else $GLASS_CONTROL_PLANE_DIR/kubeconfig
#   GLASS_READY_TIMEOUT      seconds `up` waits for readiness (default 60)
#   GLASS_APISERVER_ADDRESS  address the apiserver binds to and advertises (default 127.0.0.1).
#                            Another address (hack/cluster.sh uses its bridge's) also gives the
#                            `kubernetes` Service endpoints and the apiserver a kubelet client
#                            certificate, so that pods and kubelets can use it.
#   KUBEBUILDER_ASSETS, GLASS_CACHE, GLASS_K8S_VERSION, ...: see hack/k8s-binaries.sh
#
# See hack/README.md.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=hack/lib/processes.sh
. "$HACK_DIR/lib/processes.sh"
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
DEFAULT_STATE_DIR="$REPO_ROOT/.glass/control-plane"
STATE_DIR=${GLASS_CONTROL_PLANE_DIR:-$DEFAULT_STATE_DIR}
if [[ -n "${GLASS_KUBECONFIG:-}" ]]; then
  KUBECONFIG_OUT=$GLASS_KUBECONFIG
elif [[ "$STATE_DIR" == "$DEFAULT_STATE_DIR" ]]; then
  KUBECONFIG_OUT="$REPO_ROOT/.glass/kubeconfig"
else
  KUBECONFIG_OUT="$STATE_DIR/kubeconfig"
fi
READY_TIMEOUT=${GLASS_READY_TIMEOUT:-60}
APISERVER_ADDRESS=${GLASS_APISERVER_ADDRESS:-127.0.0.1}
[[ "$APISERVER_ADDRESS" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  printf 'control-plane: error: GLASS_APISERVER_ADDRESS=%s is not an IPv4 address\n' "$APISERVER_ADDRESS" >&2
  exit 1
}
# Loopback (the default, for tests) is not a valid endpoint address: no pod or node could
# reach it, so the apiserver must not publish it in the `kubernetes` Service.
if [[ "$APISERVER_ADDRESS" == 127.* ]]; then
  FOR_NODES=0
else
  FOR_NODES=1
fi
SERVICE_CIDR=10.0.0.0/24
SERVICE_IP=10.0.0.1
MARKER=.glass-control-plane
# Started in this order, stopped in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

log() { printf 'control-plane: %s\n' "$*" >&2; }
die() {
  printf 'control-plane: error: %s\n' "$*" >&2
  exit 1
}

# Absolute path, for paths given relative to the caller's working directory.
abspath() {
  case $1 in
  /*) printf '%s\n' "$1" ;;
  *) printf '%s\n' "$PWD/$1" ;;
  esac
}
STATE_DIR=$(abspath "$STATE_DIR")
KUBECONFIG_OUT=$(abspath "$KUBECONFIG_OUT")

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: apt-get install $2"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- processes ---------------------------------------------------------------------------

pid_file() { printf '%s/%s.pid\n' "$STATE_DIR" "$1"; }

# The PID recorded for a component, if that process is alive, not a zombie, and really ours
# (its command line names the state dir). Guards against killing a reused PID.
live_pid() { proc_live_pid "$(pid_file "$1")" "$STATE_DIR"; }

# Start a component detached, logging to <state>/<name>.log (a fresh log per start).
start() {
  local name=$1
  shift
  : >"$STATE_DIR/$name.log"
  proc_start "$(pid_file "$name")" "$STATE_DIR/$name.log" "$@" ||
    die "$name did not start; see $STATE_DIR/$name.log"
}

# Stop one component: SIGTERM, wait up to 20 s, then SIGKILL. Only the recorded PID.
stop() { proc_stop control-plane "$1" "$(pid_file "$1")" "$STATE_DIR"; }

# --- ports ---------------------------------------------------------------------------

# Ports anything listens on, from /proc (no ss/netstat needed).
listening_ports() {
  local f _sl local_addr _rem st _rest
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$f" ]] || continue
    while read -r _sl local_addr _rem st _rest; do
      [[ "$st" == 0A ]] && printf '%d\n' "$((16#${local_addr##*:}))"
    done < <(tail -n +2 "$f")
  done
  return 0
}

# N distinct free ports below the kernel's ephemeral range (so outgoing connections do not
# take them between picking and binding). `up` retries with new ports if one is taken.
free_ports() {
  local n=$1 used port
  local -A taken=()
  used=$(listening_ports)
  for port in $used; do taken[$port]=1; done
  local -a out=()
  while ((${#out[@]} < n)); do
    port=$((20000 + RANDOM % 12000))
    [[ -z "${taken[$port]:-}" ]] || continue
    taken[$port]=1
    out+=("$port")
  done
  printf '%s\n' "${out[@]}"
}

# --- certificates ------------------------------------------------------------------------

# ECDSA P-256 keys: fast to generate, accepted everywhere here (TLS, client certs, and
# ES256 service-account tokens).
genkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# ca <name> <common name>: a self-signed CA, <name>.key/.crt.
ca() {
  local pki="$STATE_DIR/pki"
  genkey "$pki/$1.key"
  openssl req -x509 -new -key "$pki/$1.key" -subj "/CN=$2" -days 30 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/$1.crt" 2>/dev/null
}

# sign <ca> <name> <subject> <extensions>: <name>.key/.crt signed by <ca>.
sign() {
  local ca=$1 name=$2 subj=$3 ext=$4 pki="$STATE_DIR/pki"
  genkey "$pki/$name.key"
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -CAcreateserial -days 30 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

gen_pki() {
  local pki="$STATE_DIR/pki"
  mkdir -p "$pki"
  chmod 700 "$pki"
  ca ca glass-test-ca
  # The front-proxy (request-header) CA, as kubeadm makes it: aggregated API servers and
  # the controller-manager's delegated authentication read it from the apiserver.
  ca front-proxy-ca glass-test-front-proxy-ca
  sign ca apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP$( ((FOR_NODES)) && printf ',IP:%s' "$APISERVER_ADDRESS")"
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  sign ca admin "/O=system:masters/CN=glass-admin" "$client"
  sign ca controller-manager "/CN=system:kube-controller-manager" "$client"
  sign front-proxy-ca front-proxy-client "/CN=front-proxy-client" "$client"
  # What the apiserver shows kubelets for logs, exec and port-forward (as kubeadm's
  # apiserver-kubelet-client; system:masters passes the kubelet's webhook authorization).
  ((FOR_NODES == 0)) || sign ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  # Service-account token signing pair.
  genkey "$pki/sa.key"
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# kubeconfig <file> <server> <client cert name>, with the certificates embedded.
kubeconfig() {
  local file=$1 server=$2 user=$3 pki="$STATE_DIR/pki" tmp
  tmp="$file.tmp.$$"
  (
    umask 077
    cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: glass-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$pki/$user.crt")
    client-key-data: $(base64 -w0 "$pki/$user.key")
contexts:
- name: glass-test
  context:
    cluster: glass-test
    user: $user
current-context: glass-test
EOF
  )
  mv -f "$tmp" "$file"
}

# --- up ----------------------------------------------------------------------------------

# Remove the state dir, but only one this script made (it holds the marker) or an empty
# one, so a mistaken GLASS_CONTROL_PLANE_DIR cannot wipe anything else.
clear_state_dir() {
  [[ -e "$STATE_DIR" ]] || return 0
  if [[ -f "$STATE_DIR/$MARKER" ]] || [[ -d "$STATE_DIR" && -z "$(ls -A "$STATE_DIR")" ]]; then
    rm -rf "$STATE_DIR"
  else
    die "$STATE_DIR exists and is not a control-plane state dir (no $MARKER); choose another GLASS_CONTROL_PLANE_DIR or remove it"
  fi
}

any_running() {
  local c
  for c in "${COMPONENTS[@]}"; do live_pid "$c" >/dev/null && return 0; done
  return 1
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do live_pid "$c" >/dev/null || return 1; done
}

# Last lines of each log, for failure messages.
show_logs() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -f "$STATE_DIR/$c.log" ]] || continue
    printf '\n--- last lines of %s ---\n' "$STATE_DIR/$c.log" >&2
    tail -n 15 "$STATE_DIR/$c.log" >&2
  done
}

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$STATE_DIR/admin.kubeconfig" --request-timeout=5s "$@"; }

# One attempt at starting everything; returns 2 if a port was taken (caller retries).
start_all() {
  local -a ports
  mapfile -t ports < <(free_ports 4)
  local etcd_port=${ports[0]} peer_port=${ports[1]} api_port=${ports[2]} kcm_port=${ports[3]}
  local d=$STATE_DIR pki="$STATE_DIR/pki" t_attempt
  t_attempt=$(now)
  printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nCONTROLLER_MANAGER_PORT=%s\n' \
    "$etcd_port" "$peer_port" "$api_port" "$kcm_port" >"$d/ports.env"
  rm -rf "$d/etcd"
  mkdir -p "$d/etcd" "$d/apiserver-certs" "$d/controller-manager-certs"
  chmod 700 "$d/etcd"

  kubeconfig "$d/admin.kubeconfig" "https://$APISERVER_ADDRESS:$api_port" admin
  kubeconfig "$d/controller-manager.kubeconfig" "https://$APISERVER_ADDRESS:$api_port" controller-manager

  local -a node_flags=(--endpoint-reconciler-type=none)
  if ((FOR_NODES)); then
    # The lease reconciler publishes the advertised address as the `kubernetes` endpoints.
    node_flags=(--endpoint-reconciler-type=lease
      --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt"
      --kubelet-client-key="$pki/apiserver-kubelet-client.key"
      --kubelet-preferred-address-types=InternalIP)
  fi

  # etcd: plain HTTP on loopback; throwaway data, so no fsync.
  start etcd "$BIN/etcd" \
    --name=glass \
    --data-dir="$d/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="glass=http://127.0.0.1:$peer_port" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true \
    --log-level=warn

  start kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address="$APISERVER_ADDRESS" \
    --advertise-address="$APISERVER_ADDRESS" \
    --secure-port="$api_port" \
    --cert-dir="$d/apiserver-certs" \
    --tls-cert-file="$pki/apiserver.crt" \
    --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" \
    --proxy-client-key-file="$pki/front-proxy-client.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    "${node_flags[@]}" \
    --profiling=false

  # Wait for the apiserver before the controller-manager, which otherwise backs off.
  local t0 ready=0 c
  t0=$(date +%s)
  while (($(date +%s) - t0 < READY_TIMEOUT)); do
    if [[ "$(kubectl_admin get --raw /readyz 2>/dev/null)" == ok ]]; then
      ready=1
      break
    fi
    for c in etcd kube-apiserver; do
      if ! live_pid "$c" >/dev/null; then
        grep -qi 'address already in use' "$d/$c.log" && return 2
        log "$c exited during startup"
        return 1
      fi
    done
    sleep 0.2
  done
  ((ready)) || {
    log "kube-apiserver not ready after ${READY_TIMEOUT}s"
    return 1
  }
  log "kube-apiserver ready after $(elapsed "$t_attempt")s"

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$d/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$d/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$d/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$kcm_port" \
    --cert-dir="$d/controller-manager-certs" \
    --flex-volume-plugin-dir="$d/flexvolume" \
    --leader-elect=false \
    --controllers='*' \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" \
    --cluster-signing-cert-file="$pki/ca.crt" \
    --cluster-signing-key-file="$pki/ca.key" \
    --profiling=false

  # The controller-manager is working once its serviceaccount controller has made the
  # default ServiceAccount (Pods cannot be admitted before that).
  while (($(date +%s) - t0 < READY_TIMEOUT)); do
    if kubectl_admin -n default get serviceaccount default -o name >/dev/null 2>&1; then
      log "kube-controller-manager working after $(elapsed "$t_attempt")s"
      return 0
    fi
    if ! live_pid kube-controller-manager >/dev/null; then
      grep -qi 'address already in use' "$d/kube-controller-manager.log" && return 2
      log "kube-controller-manager exited during startup"
      return 1
    fi
    sleep 0.2
  done
  log "kube-controller-manager did not create the default ServiceAccount in ${READY_TIMEOUT}s"
  return 1
}

stop_all() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop "${COMPONENTS[i]}"; done
}

cmd_up() {
  need openssl openssl
  need setsid util-linux
  need base64 coreutils
  need awk mawk
  local t_start
  t_start=$(now)

  if all_running && [[ -f "$KUBECONFIG_OUT" ]]; then
    log "already running ($STATE_DIR); kubeconfig: $KUBECONFIG_OUT"
    return 0
  fi
  if any_running; then
    log "a partial control plane is running in $STATE_DIR; stopping it first"
    stop_all
  fi

  BIN=$("$HACK_DIR/k8s-binaries.sh") || die "could not get the Kubernetes binaries (see above)"
  local c
  for c in etcd kube-apiserver kube-controller-manager kubectl; do
    [[ -x "$BIN/$c" ]] || die "$BIN/$c is missing; run hack/k8s-binaries.sh"
  done

  local t_bins
  t_bins=$(now)
  clear_state_dir
  mkdir -p "$STATE_DIR"
  : >"$STATE_DIR/$MARKER"
  # From here on, anything that ends `up` early stops what it started.
  trap 'up_failed' EXIT
  trap 'exit 130' INT TERM
  printf '%s\n' "$BIN" >"$STATE_DIR/bin-dir"
  printf '%s\n' "$KUBECONFIG_OUT" >"$STATE_DIR/kubeconfig-path"
  gen_pki

  local attempt rc=1
  for attempt in 1 2 3; do
    # A subshell with errexit of its own (errexit does not hold in a function called
    # from an `||` list).
    set +e
    (
      set -e
      start_all
    )
    rc=$?
    set -e
    ((rc == 0)) && break
    if ((rc == 2)); then
      log "a port was taken; retrying with new ports (attempt $attempt)"
      stop_all
      continue
    fi
    break
  done
  ((rc == 0)) || exit 1

  mkdir -p "$(dirname "$KUBECONFIG_OUT")"
  cp "$STATE_DIR/admin.kubeconfig" "$KUBECONFIG_OUT.tmp.$$"
  mv -f "$KUBECONFIG_OUT.tmp.$$" "$KUBECONFIG_OUT"
  # shellcheck source=/dev/null
  . "$STATE_DIR/ports.env"
  log "ready in $(elapsed "$t_bins")s ($(elapsed "$t_start")s including the binary check): apiserver https://$APISERVER_ADDRESS:$APISERVER_PORT"
  log "kubeconfig: $KUBECONFIG_OUT   binaries: $BIN"
  trap - EXIT INT TERM
}

up_failed() {
  local rc=$?
  trap - EXIT
  show_logs
  stop_all
  printf 'control-plane: error: %s\n' "the control plane did not come up; logs are in $STATE_DIR (kept for inspection; 'hack/control-plane.sh down' removes them)" >&2
  exit "$((rc == 0 ? 1 : rc))"
}

# --- down / status / env -----------------------------------------------------------------

cmd_down() {
  if [[ ! -d "$STATE_DIR" ]]; then
    log "nothing to stop ($STATE_DIR does not exist)"
    return 0
  fi
  [[ -f "$STATE_DIR/$MARKER" ]] || die "$STATE_DIR is not a control-plane state dir (no $MARKER); not touching it"
  stop_all
  local kc=""
  [[ -f "$STATE_DIR/kubeconfig-path" ]] && kc=$(<"$STATE_DIR/kubeconfig-path")
  # Remove the kubeconfig only if it is still the one this control plane wrote.
  if [[ -n "$kc" && -f "$kc" ]] && cmp -s "$kc" "$STATE_DIR/admin.kubeconfig"; then
    rm -f "$kc"
  fi
  clear_state_dir
  log "stopped; removed $STATE_DIR"
}

cmd_status() {
  local c pid rc=0
  if [[ ! -d "$STATE_DIR" ]]; then
    log "not running ($STATE_DIR does not exist)"
    return 1
  fi
  for c in "${COMPONENTS[@]}"; do
    if pid=$(live_pid "$c"); then
      printf '%-24s running (pid %s)\n' "$c" "$pid"
    else
      printf '%-24s not running\n' "$c"
      rc=1
    fi
  done
  local ready=""
  if [[ -f "$STATE_DIR/bin-dir" && -f "$STATE_DIR/admin.kubeconfig" ]]; then
    BIN=$(<"$STATE_DIR/bin-dir")
    ready=$(kubectl_admin get --raw /readyz 2>&1) || true
  fi
  printf '%-24s %s\n' "/readyz" "$ready"
  [[ "$ready" == ok ]] || rc=1
  printf '%-24s %s\n' "kubeconfig" "$KUBECONFIG_OUT"
  return "$rc"
}

cmd_env() {
  [[ -f "$KUBECONFIG_OUT" ]] || die "no kubeconfig at $KUBECONFIG_OUT; run 'hack/control-plane.sh up' first"
  printf 'export KUBECONFIG=%q\n' "$KUBECONFIG_OUT"
  [[ ! -f "$STATE_DIR/bin-dir" ]] || printf 'export GLASS_K8S_BIN_DIR=%q\n' "$(<"$STATE_DIR/bin-dir")"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
-h | --help | help) sed -n '2,26s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" ;;
*) die "usage: hack/control-plane.sh up|down|status|env" ;;
esac
