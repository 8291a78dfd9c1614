#!/usr/bin/env bash
# The user's path to Glass on a real Kubernetes, end to end, for machines with Docker:
# build the image, create a kind cluster, load the image into it, `helm install` the chart,
# `kubectl apply` a sample Faaslet, port-forward to the router and curl it, checking the
# answers (and that one user's calls stay on one runtime pod). Everything it creates (the kind
# cluster, the port-forward, its temp dir) goes on exit, pass or fail; a failure prints the
# cluster's objects, events and logs first.
#
#   hack/kind-e2e.sh
#
# Environment:
#   GLASS_KIND_CLUSTER   kind cluster to create and delete (default glass-e2e; must not exist)
#   GLASS_KIND_KEEP=1    keep the cluster at the end (its kubeconfig path is printed)
#   GLASS_IMAGE          image to build and load, with a tag other than latest (default glass:e2e)
#   GLASS_E2E_PORT       local port of the port-forward (default 18080)
#   GLASS_E2E_TIMEOUT    seconds each wait may take (default 300)
#   KIND_NODE_IMAGE      node image for kind (default: kind's own)
#
# Needs: docker (with a running engine), kind, kubectl, helm, curl. kubectl and helm may also
# come from hack/k8s-binaries.sh once it has built them. See hack/README.md.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
CLUSTER=${GLASS_KIND_CLUSTER:-glass-e2e}
IMAGE=${GLASS_IMAGE:-glass:e2e}
PORT=${GLASS_E2E_PORT:-18080}
TIMEOUT=${GLASS_E2E_TIMEOUT:-300}
USER_ID=kind-e2e

WORK=""
CREATED=""
PF_PID=""

log() { printf '\n== %s\n' "$*"; }
die() {
  printf 'kind-e2e: error: %s\n' "$*" >&2
  exit 1
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# kubectl and helm from PATH, else from the cache hack/k8s-binaries.sh fills (never built here).
tool() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
  elif dir=$("$HACK_DIR/k8s-binaries.sh" check 2>/dev/null) && [[ -x "$dir/$name" ]]; then
    printf '%s\n' "$dir/$name"
  else
    return 1
  fi
}

require_tools() {
  command -v docker >/dev/null 2>&1 || die "docker not found: install Docker (https://docs.docker.com/engine/install/)"
  docker info >/dev/null 2>&1 || die "docker cannot reach an engine ('docker info' fails): start the Docker daemon"
  command -v kind >/dev/null 2>&1 || die "kind not found: go install sigs.k8s.io/kind@latest (or see https://kind.sigs.k8s.io)"
  command -v curl >/dev/null 2>&1 || die "curl not found: apt-get install curl"
  KUBECTL=$(tool kubectl) || die "kubectl not found: install it, or build it with hack/k8s-binaries.sh"
  HELM=$(tool helm) || die "helm not found: install it, or build it with hack/k8s-binaries.sh"
}

check_settings() {
  [[ "$IMAGE" == *:* && "${IMAGE##*:}" != */* ]] || die "GLASS_IMAGE=$IMAGE needs a tag (repository:tag)"
  [[ "${IMAGE##*:}" != latest ]] || die "GLASS_IMAGE=$IMAGE: use a tag other than latest, so the pods use the loaded image instead of pulling"
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "GLASS_E2E_PORT=$PORT is not a port"
  [[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "GLASS_E2E_TIMEOUT=$TIMEOUT is not a number of seconds"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    die "a kind cluster named $CLUSTER exists: delete it (kind delete cluster --name $CLUSTER) or set GLASS_KIND_CLUSTER"
  fi
}

k() { "$KUBECTL" "$@"; }

diagnostics() {
  printf '\n== diagnostics\n' >&2
  k get glassclusters,faaslets,deployments,replicasets,pods,services,endpointslices -o wide >&2 || true
  k describe glasscluster glass >&2 || true
  k describe faaslet counter >&2 || true
  k get events --sort-by=.lastTimestamp >&2 || true
  local pod
  for pod in $(k get pods -o name 2>/dev/null); do
    printf '\n-- logs of %s\n' "$pod" >&2
    k logs "$pod" --all-containers --tail=80 >&2 || true
  done
  [[ -z "$WORK" || ! -f "$WORK/port-forward.log" ]] || {
    printf '\n-- port-forward\n' >&2
    cat "$WORK/port-forward.log" >&2
  }
}

cleanup() {
  local rc=$?
  trap - EXIT
  if [[ $rc -ne 0 && -n "$CREATED" ]]; then diagnostics; fi
  if [[ -n "$PF_PID" ]] && kill -0 "$PF_PID" 2>/dev/null; then
    kill "$PF_PID" 2>/dev/null || true
    wait "$PF_PID" 2>/dev/null || true
  fi
  if [[ -n "$CREATED" ]]; then
    if [[ "${GLASS_KIND_KEEP:-}" == 1 ]]; then
      cp "$KUBECONFIG" "$REPO_ROOT/.glass/kind-$CLUSTER.kubeconfig" 2>/dev/null || true
      printf 'kind-e2e: kept cluster %s; KUBECONFIG=%s\n' "$CLUSTER" "$REPO_ROOT/.glass/kind-$CLUSTER.kubeconfig" >&2
    else
      log "deleting kind cluster $CLUSTER"
      kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" || true
    fi
  fi
  [[ -z "$WORK" ]] || rm -rf "$WORK"
  if [[ $rc -eq 0 ]]; then printf '\nkind-e2e: PASS\n'; else printf '\nkind-e2e: FAIL (exit %s)\n' "$rc" >&2; fi
  exit "$rc"
}

# One request; prints "<http code> <X-Glass-Pod> <body>".
invoke() {
  local path=$1 headers body code pod
  headers="$WORK/headers"
  body="$WORK/body"
  code=$(curl -sS -o "$body" -D "$headers" -w '%{http_code}' -H "X-User-ID: $USER_ID" \
    "http://127.0.0.1:$PORT$path" 2>/dev/null) || code=000
  pod=$(awk 'tolower($1) == "x-glass-pod:" { gsub(/\r/, "", $2); print $2 }' "$headers" 2>/dev/null || true)
  printf '%s %s %s\n' "$code" "${pod:--}" "$(cat "$body" 2>/dev/null || true)"
}

# Waits until `invoke PATH` answers 200; prints that answer.
first_success() {
  local path=$1 deadline answer
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    answer=$(invoke "$path")
    if [[ "$answer" == "200 "* ]]; then
      printf '%s\n' "$answer"
      return 0
    fi
    sleep 0.5
  done
  die "GET $path did not answer 200 within ${TIMEOUT}s (last: $answer)"
}

main() {
  require_tools
  check_settings
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/glass-kind-e2e.XXXXXX")
  export KUBECONFIG="$WORK/kubeconfig"
  mkdir -p "$REPO_ROOT/.glass"

  log "building $IMAGE"
  docker build -f "$REPO_ROOT/runtime-image/Dockerfile" -t "$IMAGE" "$REPO_ROOT"

  log "creating kind cluster $CLUSTER"
  local node_image=()
  [[ -z "${KIND_NODE_IMAGE:-}" ]] || node_image=(--image "$KIND_NODE_IMAGE")
  CREATED=1
  kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait "${TIMEOUT}s" "${node_image[@]}"

  log "loading $IMAGE into the cluster"
  kind load docker-image "$IMAGE" --name "$CLUSTER"

  log "helm install glass charts/glass"
  "$HELM" install glass "$REPO_ROOT/charts/glass" \
    --set "image.repository=${IMAGE%:*}" --set "image.tag=${IMAGE##*:}" \
    --set image.pullPolicy=IfNotPresent --wait --timeout "${TIMEOUT}s"
  k wait --for=condition=Ready glasscluster/glass --timeout="${TIMEOUT}s"

  log "kubectl apply -f crds/samples/counter.yaml"
  local applied
  applied=$(date +%s.%N)
  k apply -f "$REPO_ROOT/crds/samples/counter.yaml"
  k wait --for=condition=Ready faaslet/counter --timeout="${TIMEOUT}s"

  log "kubectl port-forward svc/glass-router $PORT:80"
  k port-forward svc/glass-router "$PORT:80" >"$WORK/port-forward.log" 2>&1 &
  PF_PID=$!
  local deadline=$((SECONDS + 60))
  until grep -q 'Forwarding from' "$WORK/port-forward.log"; do
    kill -0 "$PF_PID" 2>/dev/null || die "kubectl port-forward exited: $(cat "$WORK/port-forward.log")"
    ((SECONDS < deadline)) || die "kubectl port-forward did not start within 60s"
    sleep 0.2
  done

  check_router "$applied"
}

# Through the port-forward: the sample answers, twice from the same pod for one user (affinity),
# with the counter 5 higher the second time (that pod's local state); and /lb/status answers.
check_router() {
  local applied=$1 first code pod value second pod2 value2 status
  log "curl localhost:$PORT/invoke/add?value=5 (X-User-ID: $USER_ID)"
  first=$(first_success "/invoke/add?value=5")
  echo "time from kubectl apply of the Faaslet to its first successful curl: $(since "$applied")s"
  read -r code pod value <<<"$first"
  [[ "$value" =~ ^[0-9]+$ ]] || die "add answered '$value', not a number"
  echo "first answer: $value from pod $pod"

  second=$(invoke "/invoke/add?value=5")
  read -r code pod2 value2 <<<"$second"
  [[ "$code" == 200 ]] || die "the second call answered $code: $second"
  [[ "$pod2" == "$pod" ]] || die "X-User-ID $USER_ID moved from pod $pod to $pod2 between two calls"
  ((value2 == value + 5)) || die "the counter went from $value to $value2, not $((value + 5)) (same pod, local state)"
  echo "second answer: $value2 from the same pod: affinity and local state hold"

  status=$(curl -fsS "http://127.0.0.1:$PORT/lb/status") || die "GET /lb/status failed"
  echo "router status: $status"
}

trap cleanup EXIT
main "$@"
