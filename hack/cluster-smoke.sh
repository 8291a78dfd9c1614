#!/usr/bin/env bash
# Acceptance of hack/cluster.sh on this machine: up, then a pod from an image built here runs
# and everything a user does with it works, then down leaves the machine as it found it.
# Exits non-zero if any check fails. Needs root, Go, buildah and curl.
#
#   hack/cluster-smoke.sh
#
# Checks: the Node is Ready; a pod from a locally built scratch image (hack/cluster/probe,
# moved in with `hack/cluster.sh load`) runs; kubectl logs, exec and port-forward (curl from
# the host) work; the pod reaches the API server through the `kubernetes` Service ClusterIP
# (TLS verified, service-account token); CoreDNS answers Service names; a Service ClusterIP
# reaches the pod; its memory limit is in its cgroup; after down, iptables, links, addresses,
# mounts, sysctls, cgroups and the fixed paths are as before up (hack/cluster/machine.sh).
# When podman has localhost/glass:dev (make image; or GLASS_SMOKE_IMAGE), it is loaded too and
# a runtime pod with the chart's securityContext serves add?value=10 twice (10, 20) through
# port-forward, runs as uid 65532, cannot write /app and can write /tmp; with localhost/glass-redis:dev (GLASS_SMOKE_REDIS_IMAGE), a Redis pod answers
# PING through its Service.
# Prints the times: up to Node Ready, and pod creation to Running.
#
# GLASS_MACHINE_IGNORE: lines the machine comparison leaves out (see hack/cluster/machine.sh).
# By default podman's and buildah's own state (storage mounts, its netns-* namespaces, libpod
# cgroups, its CNI network and chains): this script uses buildah, and these machines share
# podman with image builds that run meanwhile. The node itself creates none of these (its
# netns are cni-*, under its own run dir). Set it to '' for a strict diff.
set -euo pipefail
export GLASS_MACHINE_IGNORE=${GLASS_MACHINE_IGNORE-/var/lib/containers/storage|/run/netns/netns-|libpod|cni-podman|CNI-|NETAVARK|podman}
HACK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROBE_IMAGE=localhost/glass-probe:smoke
GLASS_IMAGE=${GLASS_SMOKE_IMAGE:-localhost/glass:dev}
REDIS_IMAGE=${GLASS_SMOKE_REDIS_IMAGE:-localhost/glass-redis:dev}
MEM_LIMIT=64Mi
MEM_BYTES=67108864

say() { printf 'cluster-smoke: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || {
  say "error: $1 not found: $2"
  exit 1
}; }

[[ $(id -u) == 0 ]] || {
  say "error: needs root (hack/cluster.sh does)"
  exit 1
}
need go "install Go >= 1.26 (see hack/README.md)"
need buildah "apt-get install buildah"
need curl "apt-get install curl"

WORK=$(mktemp -d /tmp/glass-cluster-smoke.XXXXXX)
FAILED=0
PF_PID=""
UP=0

ok() { printf 'ok   - %s\n' "$*"; }
bad() {
  printf 'FAIL - %s\n' "$*"
  FAILED=1
}
# check NAME WANT-REGEX CMD...: run CMD, pass if it succeeds and its output, joined into one
# line, matches; show the output either way.
# A Service's endpoints reach kube-proxy's iptables a moment after its pod is Ready, so each
# check is retried for up to 20 s before it fails, as a client would.
check() {
  local name=$1 want=$2 out t0=$SECONDS
  shift 2
  while true; do
    if out=$("$@" 2>&1 | tr -s '\n ' '  ') && grep -Eq -- "$want" <<<"$out"; then
      ok "$name: ${out:0:300}"
      return 0
    fi
    ((SECONDS - t0 < 20)) || break
    sleep 1
  done
  bad "$name: wanted /$want/, got: ${out:0:600}"
}

finish() {
  local rc=$?
  set +e
  [[ -z "$PF_PID" ]] || kill "$PF_PID" 2>/dev/null
  if ((UP)); then
    local t0=$SECONDS
    "$HACK/cluster.sh" down || bad "hack/cluster.sh down failed"
    say "down took $((SECONDS - t0))s"
    "$HACK/cluster/machine.sh" snapshot "$WORK/after"
    if "$HACK/cluster/machine.sh" compare "$WORK/before" "$WORK/after"; then
      ok "down restored the machine (iptables, ip6tables, links, addresses, mounts, sysctls, cgroups, fixed paths, processes)"
    else
      bad "down left the machine changed (diff above)"
    fi
  fi
  buildah rmi "$PROBE_IMAGE" >/dev/null 2>&1
  rm -rf "$WORK"
  if ((FAILED || rc != 0)); then
    say "FAILED"
    exit 1
  fi
  say "PASS"
}
trap finish EXIT

# --- the machine before ------------------------------------------------------------------
"$HACK/cluster/machine.sh" snapshot "$WORK/before"

# --- the test image: a static Go binary in a scratch image, in podman's store --------------
(cd "$HACK/cluster/probe" && CGO_ENABLED=0 GOWORK=off GOFLAGS=-buildvcs=false \
  go build -trimpath -ldflags='-s -w' -o "$WORK/probe" main.go)
c=$(buildah from scratch)
buildah copy "$c" "$WORK/probe" /probe >/dev/null
buildah config --entrypoint '["/probe"]' --cmd serve --user 65532:65532 "$c"
buildah commit --quiet "$c" "$PROBE_IMAGE" >/dev/null
buildah rm "$c" >/dev/null

# --- up ------------------------------------------------------------------------------------
UP=1
t_up=$(date +%s.%N)
"$HACK/cluster.sh" up 2>&1 | tee "$WORK/up.log" >&2
eval "$("$HACK/cluster.sh" env)"
K() { "$GLASS_K8S_BIN_DIR/kubectl" --request-timeout=20s "$@"; }
# kubectl port-forward TARGET to PORT from a random local port ($PF_PORT), in the background.
forward() {
  PF_PORT=$((20000 + RANDOM % 10000))
  K port-forward "$1" "$PF_PORT:$2" >"$WORK/pf.log" 2>&1 &
  PF_PID=$!
  for _ in $(seq 1 100); do grep -q Forwarding "$WORK/pf.log" && return 0; sleep 0.1; done
  bad "kubectl port-forward $1 did not start: $(cat "$WORK/pf.log")"
}
unforward() {
  kill "$PF_PID" 2>/dev/null || true
  wait "$PF_PID" 2>/dev/null || true
  PF_PID=""
}
t_ready=$(awk -v a="$t_up" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
"$HACK/cluster.sh" load "$PROBE_IMAGE"

check "Node Ready" '^True$' K get node glass-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'

# --- a pod and its Service -----------------------------------------------------------------
t_pod=$(date +%s.%N)
K apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: probe, labels: {app: probe}}
spec:
  containers:
    - name: probe
      image: $PROBE_IMAGE
      imagePullPolicy: IfNotPresent
      ports: [{containerPort: 8080}]
      resources: {limits: {memory: $MEM_LIMIT}}
      securityContext: {runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  selector: {app: probe}
  ports: [{port: 80, targetPort: 8080}]
YAML
until [[ "$(K get pod probe -o jsonpath='{.status.phase}')" == Running ]]; do
  if (($(date +%s) - ${t_pod%.*} > 120)); then
    K describe pod probe >&2
    bad "pod probe not Running after 120 s"
    exit 1
  fi
  sleep 0.1
done
t_running=$(awk -v a="$t_pod" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
ok "pod from $PROBE_IMAGE Running ${t_running}s after kubectl apply"
K wait --for=condition=Ready pod/probe --timeout=60s >/dev/null

check "kubectl logs" 'serving on :8080' K logs probe
check "kubectl exec" '^probe ?$' K exec probe -- /probe cat /etc/hostname

forward pod/probe 8080
check "kubectl port-forward + curl from the host" '^hello from probe ?$' curl -fsS --max-time 10 "http://127.0.0.1:$PF_PORT/"
unforward

svc_ip=$(K get svc hello -o jsonpath='{.spec.clusterIP}')
check "pod -> API server via the kubernetes Service ClusterIP 10.0.0.1" '^200 .*"gitVersion": *"v1\.37\.1"' \
  K exec probe -- /probe get https://10.0.0.1/version
check "pod -> API server by name (DNS + Service)" '^200 ' K exec probe -- /probe get https://kubernetes.default.svc/version
check "CoreDNS answers a Service name (hello -> $svc_ip)" "^${svc_ip//./\\.} ?\$" K exec probe -- /probe lookup hello
check "CoreDNS answers a full Service name" '^10\.0\.0\.1 ?$' K exec probe -- /probe lookup kubernetes.default.svc.cluster.local
check "pod -> Service ClusterIP -> pod (kube-proxy)" '^200 hello from probe ?$' K exec probe -- /probe get http://hello.default.svc/

# The memory limit, seen from the host's cgroup tree and from inside the pod.
uid=$(K get pod probe -o jsonpath='{.metadata.uid}')
cg=$(find /sys/fs/cgroup/memory/kubepods -maxdepth 2 -type d -name "pod$uid" | head -n 1)
if [[ -n "$cg" && "$(<"$cg/memory.limit_in_bytes")" == "$MEM_BYTES" ]]; then
  ok "memory limit $MEM_LIMIT in the pod's cgroup: $cg/memory.limit_in_bytes = $(<"$cg/memory.limit_in_bytes")"
else
  bad "memory limit not found in the pod's cgroup (${cg:-no cgroup pod$uid under /sys/fs/cgroup/memory/kubepods})"
fi
check "memory limit seen inside the container" "^$MEM_BYTES ?\$" K exec probe -- /probe cat /sys/fs/cgroup/memory/memory.limit_in_bytes

# --- the Glass image, when `make image` has built it -----------------------------------------
t_glass=""
if podman image exists "$GLASS_IMAGE" 2>/dev/null; then
  "$HACK/cluster.sh" load "$GLASS_IMAGE"
  t_glass=$(date +%s.%N)
  # The chart's securityContext: uid 65532, read-only root, no capabilities; /tmp writable.
  K apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: glass-runtime}
spec:
  securityContext: {runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true}
  containers:
    - name: runtime
      image: $GLASS_IMAGE
      imagePullPolicy: IfNotPresent
      args: [runtime, --host, 0.0.0.0, --port, "8080", --faaslets, /app/crds/samples]
      readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
      securityContext:
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
      volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
YAML
  if K wait --for=condition=Ready pod/glass-runtime --timeout=120s >/dev/null; then
    t_glass=$(awk -v a="$t_glass" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    ok "pod from $GLASS_IMAGE Ready ${t_glass}s after kubectl apply"
    forward pod/glass-runtime 8080
    check "glass runtime through port-forward: add?value=10" '(^|[^0-9])10([^0-9]|$)' curl -fsS --max-time 10 "http://127.0.0.1:$PF_PORT/invoke/add?value=10"
    check "glass runtime through port-forward: add?value=10 again" '(^|[^0-9])20([^0-9]|$)' curl -fsS --max-time 10 "http://127.0.0.1:$PF_PORT/invoke/add?value=10"
    unforward
    check "glass runtime: id in the container" '^uid=65532' K exec glass-runtime -- id
    check "glass runtime: /app is read-only" 'Read-only file system' \
      K exec glass-runtime -- sh -c 'touch /app/x 2>&1; exit 0'
    check "glass runtime: /tmp is writable" '^ok ?$' K exec glass-runtime -- sh -c 'touch /tmp/x && echo ok'
  else
    K describe pod glass-runtime | tail -n 20 >&2
    K logs glass-runtime >&2 || true
    bad "pod from $GLASS_IMAGE not Ready in 120 s"
    t_glass=""
  fi
else
  say "NOT CHECKED: the Glass image ($GLASS_IMAGE is not in podman's store; 'make image' builds it)"
fi

# --- the Redis image built beside it -------------------------------------------------------
if podman image exists "$REDIS_IMAGE" 2>/dev/null; then
  "$HACK/cluster.sh" load "$REDIS_IMAGE"
  K apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: redis, labels: {app: redis}}
spec:
  containers:
    - name: redis
      image: $REDIS_IMAGE
      imagePullPolicy: IfNotPresent
      readinessProbe: {tcpSocket: {port: 6379}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: redis}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
YAML
  if K wait --for=condition=Ready pod/redis --timeout=120s >/dev/null; then
    check "pod -> Redis pod through its Service: PING" '^\+PONG ?$' K exec probe -- /probe send redis:6379 PING
  else
    K describe pod redis | tail -n 20 >&2
    bad "pod from $REDIS_IMAGE not Ready in 120 s"
  fi
else
  say "NOT CHECKED: the Redis image ($REDIS_IMAGE is not in podman's store)"
fi

printf 'timings: up to Node Ready and CoreDNS available %ss (%s); probe pod creation to Running %ss%s\n' \
  "$t_ready" "$(grep -o 'Node glass-node Ready.*' "$WORK/up.log" | head -n 1)" "$t_running" \
  "${t_glass:+; glass runtime pod creation to Ready ${t_glass}s}"
