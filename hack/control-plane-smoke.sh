#!/usr/bin/env bash
# Smoke test of hack/control-plane.sh against a control plane of its own (a temp state
# dir, so it does not touch .glass/): readyz and version, Deployment -> ReplicaSet -> Pod,
# garbage collection, a CRD with a CEL rule, server-side apply, and helm against it.
# Stops the control plane and removes its state on exit, pass or fail.
#
#   hack/control-plane-smoke.sh
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=$(mktemp -d "${TMPDIR:-/tmp}/glass-smoke.XXXXXX")
WORK="$STATE/work"
export GLASS_CONTROL_PLANE_DIR="$STATE/control-plane"
export GLASS_KUBECONFIG="$STATE/kubeconfig"

cleanup() {
  "$HACK_DIR/control-plane.sh" down || true
  rm -rf "$STATE"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() {
  printf 'smoke: FAIL: %s\n' "$*" >&2
  exit 1
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

step "up"
"$HACK_DIR/control-plane.sh" up
eval "$("$HACK_DIR/control-plane.sh" env)"
export KUBECONFIG
k() { "$GLASS_K8S_BIN_DIR/kubectl" "$@"; }
mkdir -p "$WORK"

step "readyz and version"
[[ "$(k get --raw /readyz)" == ok ]] || fail "/readyz is not ok"
k version

step "Deployment -> ReplicaSet -> Pod (Pending: there is no kubelet)"
k create deployment smoke --image=example.invalid/smoke:1 --replicas=1
k wait --for=jsonpath='{.status.replicas}'=1 deployment/smoke --timeout=60s
rs=$(k get rs -l app=smoke -o jsonpath='{.items[0].metadata.name}')
[[ -n "$rs" ]] || fail "no ReplicaSet for the Deployment"
k wait --for=jsonpath='{.status.replicas}'=1 "rs/$rs" --timeout=60s
owner=$(k get pods -l app=smoke -o jsonpath='{.items[0].metadata.ownerReferences[0].name}')
[[ "$owner" == "$rs" ]] || fail "the Pod is not owned by ReplicaSet $rs (owner: '$owner')"
k get deploy,rs,pods -l app=smoke

step "garbage collection of an owned ConfigMap"
k create configmap smoke-owner --from-literal=a=b
uid=$(k get configmap smoke-owner -o jsonpath='{.metadata.uid}')
k apply -f - <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: smoke-owned
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: smoke-owner, uid: "$uid"}
data: {x: "1"}
EOF
t=$(date +%s.%N)
k delete configmap smoke-owner
k wait --for=delete configmap/smoke-owned --timeout=90s
echo "collected in $(since "$t")s"

step "cascading delete of the Deployment"
t=$(date +%s.%N)
k delete deployment smoke
k wait --for=delete "rs/$rs" --timeout=90s
echo "ReplicaSet collected in $(since "$t")s"

step "CRD with a CEL rule, server-side apply"
cat >"$WORK/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: smokes.smoke.glass.invalid
spec:
  group: smoke.glass.invalid
  names: {kind: Smoke, plural: smokes, singular: smoke, listKind: SmokeList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              min: {type: integer}
              max: {type: integer}
            x-kubernetes-validations:
            - rule: "self.min <= self.max"
              message: "min must not exceed max"
EOF
k apply --server-side -f "$WORK/crd.yaml"
k wait --for=condition=Established crd/smokes.smoke.glass.invalid --timeout=60s
smoke() { printf 'apiVersion: smoke.glass.invalid/v1\nkind: Smoke\nmetadata: {name: %s}\nspec: {min: %s, max: %s}\n' "$@"; }
smoke good 1 2 | k apply --server-side -f -
if out=$(smoke bad 3 2 | k apply --server-side -f - 2>&1); then
  fail "the CEL rule did not reject min > max"
fi
echo "$out"
grep -q 'min must not exceed max' <<<"$out" || fail "rejected without the rule's message"
manager=$(k get smoke good -o jsonpath='{.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}')
[[ "$manager" == kubectl/Apply ]] || fail "managedFields do not show a server-side apply ($manager)"
if smoke good 0 2 | k apply --server-side --field-manager=other -f - >/dev/null 2>&1; then
  fail "a second field manager took .spec.min without a conflict"
fi
echo "server-side apply: field manager kubectl/Apply; a second manager gets a conflict"

step "helm lint, template, server-side dry-run"
helm="$GLASS_K8S_BIN_DIR/helm"
"$helm" version
HELM_CACHE_HOME="$WORK/helm" HELM_CONFIG_HOME="$WORK/helm" HELM_DATA_HOME="$WORK/helm" \
  "$helm" create "$WORK/chart" >/dev/null
"$helm" lint "$WORK/chart"
"$helm" template smoke "$WORK/chart" | k apply --server-side --dry-run=server -f -

step "down"
trap - EXIT
cleanup
printf '\nsmoke: PASS\n'
