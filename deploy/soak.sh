#!/usr/bin/env bash
# One soak on one path, from apply to the merged report (docs/cluster.md walks through it):
#
#   deploy/soak.sh PATH LABEL [--namespace NS] [--timeout 4h] [--gateway-address HOST[:PORT]] [--render]
#
#   PATH      direct-tls | gateway (deploy/k8s/loadgen-job/overlays/PATH)
#   LABEL     names this run's objects (loadgen-PATH-LABEL, loadgen-merge-PATH-LABEL): a release or a date,
#             lower-case letters, digits and '-'; a label already used is refused, so no run meets another's names
#   --gateway-address  aim the gateway path at the load balancer's address real clients use (its idle timeout is
#             part of the path), keeping :authority (and so SNI) lab.loadgen.example
#   --render  print the soak and merge manifests this would create, and touch no cluster
#
# Steps: checks what the Job needs (namespace, the runs volume Bound, the token Secret, the CA ConfigMap); creates the
# soak Job; waits until it is Complete or Failed; merges the shards (a failed shard's folder is merged up to where it
# stopped and named; a shard with no folder makes the merge refuse, naming it); prints the merge's summary and how to
# copy the run out. Exit: the merge's (0 passed, 1 a threshold failed, 2 cannot merge), 3 when the soak never ended.
# Baseline then soak: run it for direct-tls before the migration and for gateway after, then
#   loadgen compare-runs <baseline>/merged/<id> <soak>/merged/<id>
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
path=$1 label=$2
shift 2
ns=loadgen timeout=4h gateway_address="" render=0
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) ns=${2:?--namespace needs a value}; shift 2 ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
    --gateway-address) gateway_address=${2:?--gateway-address needs HOST[:PORT]}; shift 2 ;;
    --render) render=1; shift ;;
    *) echo "error: unknown option '$1'" >&2; usage ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
overlay="$here/k8s/loadgen-job/overlays/$path"
[ -d "$overlay" ] || { echo "error: PATH '$path': expected one of: $(ls "$here/k8s/loadgen-job/overlays" | tr '\n' ' ')" >&2; exit 2; }
[[ "$label" =~ ^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$ ]] || { echo "error: LABEL '$label': 1 to 30 lower-case letters, digits or '-' (it names Kubernetes objects)" >&2; exit 2; }
if [ -n "$gateway_address" ] && [ "$path" != gateway ]; then
  echo "error: --gateway-address is for the gateway path" >&2; exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The soak: the overlay with this run's name suffix (and, on request, the load balancer's address).
mkdir -p "$tmp/soak" "$tmp/merge"
{
  echo "resources:"
  echo "  - $(realpath --relative-to="$tmp/soak" "$overlay")"
  echo "nameSuffix: -$label"
} > "$tmp/soak/kustomization.yaml"
if [ -n "$gateway_address" ]; then
  case "$gateway_address" in *:*) ;; *) gateway_address="$gateway_address:443" ;; esac
  sed "s#^\(    address: \)https://[^ ]*#\1https://$gateway_address#" "$overlay/scenario.yaml" > "$tmp/soak/scenario.yaml"
  grep -q "address: https://$gateway_address\$" "$tmp/soak/scenario.yaml" || { echo "error: could not set the address in $overlay/scenario.yaml" >&2; exit 2; }
  cat >> "$tmp/soak/kustomization.yaml" <<EOF
configMapGenerator:
  - name: loadgen-scenario
    namespace: loadgen
    behavior: replace
    files:
      - scenario.yaml
EOF
fi

# The merge of one run: its run id, and names of its own.
merge_manifest() {
  cat > "$tmp/merge/kustomization.yaml" <<EOF
resources:
  - $(realpath --relative-to="$tmp/merge" "$here/k8s/loadgen-job/merge")
nameSuffix: -$path-$label
configMapGenerator:
  - name: loadgen-merge
    namespace: loadgen
    behavior: replace
    literals:
      - runId=$1
EOF
  kubectl kustomize "$tmp/merge"
}

if [ "$render" = 1 ]; then
  kubectl kustomize "$tmp/soak"
  echo "---"
  merge_manifest RUN-ID
  exit 0
fi

k() { kubectl -n "$ns" "$@"; }
job="loadgen-$path-$label"
merge="loadgen-merge-$path-$label"

# What the Job needs, checked before anything is created.
k get namespace "$ns" >/dev/null 2>&1 || kubectl get namespace "$ns" >/dev/null || { echo "error: namespace $ns does not exist: kubectl create namespace $ns" >&2; exit 2; }
if ! k wait --for=jsonpath='{.status.phase}'=Bound pvc/loadgen-runs --timeout=120s >/dev/null 2>&1; then
  echo "error: the runs volume (pvc/loadgen-runs) is not Bound after 2 minutes. Applied? kubectl apply -k deploy/k8s/runs-volume." >&2
  echo "       Pending usually means no storage class offers ReadWriteMany: kubectl get storageclass; kubectl -n $ns describe pvc loadgen-runs" >&2
  exit 2
fi
k get secret loadgen-auth >/dev/null || { echo "error: Secret loadgen-auth (the token file) is missing: docs/cluster.md, section 3" >&2; exit 2; }
k get configmap loadgen-target-ca >/dev/null || { echo "error: ConfigMap loadgen-target-ca (the CA) is missing: docs/cluster.md, section 3" >&2; exit 2; }
if k get job "$job" >/dev/null 2>&1; then
  echo "error: job/$job exists: label '$label' was used for an earlier run; choose another (each run keeps its own names)" >&2
  exit 2
fi

# Wait for a Job to be Complete or Failed (kubectl wait takes one condition: race the two).
wait_job() {
  local name=$1 limit=$2
  k wait --for=condition=complete "job/$name" --timeout="$limit" >/dev/null 2>&1 & local a=$!
  k wait --for=condition=failed "job/$name" --timeout="$limit" >/dev/null 2>&1 & local b=$!
  wait -n "$a" "$b" || true
  kill "$a" "$b" 2>/dev/null || true
  k get job "$name" -o jsonpath='{.status.conditions[?(@.status=="True")].type}'
}

kubectl kustomize "$tmp/soak" | k create -f -
uid=$(k get job "$job" -o jsonpath='{.metadata.uid}')
echo "soak job/$job created; run id $uid; waiting up to $timeout (kubectl -n $ns logs -f -l job-name=$job --prefix)"
state=$(wait_job "$job" "$timeout")
case "$state" in
  *Complete*) echo "soak complete" ;;
  *Failed*) echo "WARNING: the soak Job failed (failed shards: $(k get job "$job" -o jsonpath='{.status.failedIndexes}'); $(k get job "$job" -o jsonpath='{.status.conditions[?(@.type=="Failed")].message}')); merging what the shards wrote" >&2 ;;
  *) echo "error: job/$job neither completed nor failed within $timeout (state: '${state:-running}')" >&2; exit 3 ;;
esac

merge_manifest "$uid" | k create -f -
state=$(wait_job "$merge" 1h)
k logs "job/$merge" || true
code=$(k get pods -l "job-name=$merge" -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
echo "merged run: /runs/$uid/merged/$uid on the runs volume (copy it out: docs/cluster.md, section 4)"
exit "${code:-3}"
