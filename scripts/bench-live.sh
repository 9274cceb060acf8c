#!/usr/bin/env bash
# Benchmarks `kforge diff --live` against `kubectl diff --server-side -f` (issue 17), in
# one run, on one tree of about 2,000 objects and one real kube-apiserver + etcd started
# here (scripts/lib/apiserver.sh), and prints both wall times and the ratio, then one
# PASS/FAIL line for the target (kforge at least 5x faster).
#
# Steps: examples/synthetic_repo writes a repository, kforge renders it; the base tree
# (Calico policies left out: a bare API server does not serve them, and kubectl diff stops
# at the first kind it cannot map) is applied server-side as field manager kforge; then a
# few Deployments' images are edited by another manager, so both tools report differences. kforge
# diff --live --env base and kubectl diff --server-side --force-conflicts
# --field-manager=kforge -f (the same objects, one stream) each run once.
#
# Usage: scripts/bench-live.sh [--smoke]   (--smoke: 200 objects, the debug build)
# Environment:
#   KFORGE_BENCH_LIVE_OBJECTS=2300   objects the generator is asked for (about 2,000 stay
#                                    once the Calico policies are left out)
#   KFORGE_BENCH_PROFILE=release     cargo profile of kforge (smoke: debug)
#   KFORGE_BENCH_BIN=PATH            measure this kforge binary instead
#   KFORGE_BENCH_STRICT=1            exit 1 when the target is not met
#   KFORGE_KUBE_BIN=DIR              kube-apiserver and etcd (scripts/lib/kube.sh builds them)
# Output: the table on stdout and in target/bench/live.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/apiserver.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/apiserver.sh"

SMOKE=0
[[ ${1:-} == --smoke ]] && SMOKE=1
OBJECTS=${KFORGE_BENCH_LIVE_OBJECTS:-2300}
PROFILE=${KFORGE_BENCH_PROFILE:-release}
if ((SMOKE)); then
  OBJECTS=200
  PROFILE=${KFORGE_BENCH_PROFILE:-debug}
fi
export KFORGE_KUBE_BIN=${KFORGE_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kube/v1.33.4/bin}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
profile_flag=()
[[ $PROFILE == release ]] && profile_flag=(--release)
KFORGE=${KFORGE_BENCH_BIN:-$TARGET_DIR/$PROFILE/kforge}
GEN=$TARGET_DIR/$PROFILE/examples/synthetic_repo
if [[ -z ${KFORGE_BENCH_BIN:-} || ! -x $GEN ]]; then
  cargo build -q "${profile_flag[@]}" --bin kforge --example synthetic_repo
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kforge-bench-live-XXXXXX")
cleanup() {
  apiserver_stop
  rm -rf -- "$WORK"
}
trap cleanup EXIT

repo=$WORK/repo
"$GEN" "$repo" "$OBJECTS" >/dev/null
(cd "$repo" && "$KFORGE" render >/dev/null 2>&1) || { echo "render failed" >&2; exit 1; }
tree=$(echo "$repo"/out/*/base)
# The same objects for both tools: Calico kinds out of the tree and its owned list.
find "$tree" -name '*projectcalico.org*' -delete
grep -v projectcalico.org "$tree/.kforge-owned" >"$WORK/owned" && mv "$WORK/owned" "$tree/.kforge-owned"
stream() { # the files named, as one multi-document stream
  sort | while read -r f; do
    echo ---
    cat "$f"
  done
}
find "$tree" -path '*/_cluster/*.yaml' ! -name kustomization.yaml | stream >"$WORK/cluster.yaml"
find "$tree" -name '*.yaml' ! -name kustomization.yaml ! -path '*/_cluster/*' ! -name 'resourcequota-*' | stream >"$WORK/namespaced.yaml"
find "$tree" -name 'resourcequota-*.yaml' | stream >"$WORK/quotas.yaml"
cat "$WORK/cluster.yaml" "$WORK/namespaced.yaml" "$WORK/quotas.yaml" >"$WORK/all.yaml"
count=$(grep -c '^kind:' "$WORK/all.yaml")

apiserver_start "$WORK/cluster"
KUBECONFIG_FILE=$WORK/cluster/kubeconfig
kc() { kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"; }
apply_start=$SECONDS
# Quotas last: without a quota controller a namespace with a ResourceQuota refuses creates.
for part in cluster namespaced quotas; do
  kc apply --server-side --field-manager=kforge -f "$WORK/$part.yaml" >/dev/null
done
echo "applied $count objects in $((SECONDS - apply_start)) s"
# Drift: a few Deployments' images edited by another manager.
# awk, not head: head would close the pipe early and kubectl's SIGPIPE fail the run (pipefail).
kc get deployments -A --no-headers -o custom-columns=NS:.metadata.namespace,N:.metadata.name | awk 'NR <= 5' |
  while read -r ns name; do
    kc patch deployment "$name" -n "$ns" --field-manager=kubectl-edit --type=json \
      -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:edited"}]' >/dev/null
  done

now() { date +%s.%N; }
t0=$(now)
set +e
(cd "$repo" && "$KFORGE" diff --live --kubeconfig "$KUBECONFIG_FILE" --env base --output json >"$WORK/kforge.json" 2>"$WORK/kforge.err")
kforge_rc=$?
t1=$(now)
kc diff --server-side --force-conflicts --field-manager=kforge -f "$WORK/all.yaml" >"$WORK/kubectl.diff" 2>"$WORK/kubectl.err"
kubectl_rc=$?
t2=$(now)
set -e
if [[ $kforge_rc != 1 || $kubectl_rc != 1 ]]; then
  echo "expected both to report a difference (exit 1): kforge $kforge_rc, kubectl $kubectl_rc" >&2
  tail -n 5 "$WORK/kforge.err" "$WORK/kubectl.err" >&2
  exit 1
fi
changed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["change"])' "$WORK/kforge.json")
insync=$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["live"]["inSync"].values()))' "$WORK/kforge.json")
kforge_s=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
kubectl_s=$(python3 -c "print(f'{$t2 - $t1:.2f}')")
ratio=$(python3 -c "print(f'{($t2 - $t1) / ($t1 - $t0):.1f}')")
mkdir -p "$TARGET_DIR/bench"
{
  echo "| tool | objects | wall time (s) | objects/s |"
  echo "|---|---:|---:|---:|"
  echo "| kforge diff --live ($PROFILE) | $count | $kforge_s | $(python3 -c "print(round($count / ($t1 - $t0)))") |"
  echo "| kubectl diff --server-side -f | $count | $kubectl_s | $(python3 -c "print(round($count / ($t2 - $t1)))") |"
  echo
  echo "kforge: $changed to change, $insync in sync; kforge is ${ratio}x faster than kubectl diff."
} | tee "$TARGET_DIR/bench/live.md"
if python3 -c "import sys; sys.exit(0 if ($t2 - $t1) >= 5 * ($t1 - $t0) else 1)"; then
  echo "PASS diff --live at least 5x faster than kubectl diff --server-side (${ratio}x)"
else
  echo "FAIL diff --live at least 5x faster than kubectl diff --server-side (${ratio}x)"
  ((SMOKE)) || [[ ${KFORGE_BENCH_STRICT:-0} != 1 ]] || exit 1
fi
