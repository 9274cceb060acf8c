#!/usr/bin/env bash
# Tries `kforge diff --live` in one command, against a throw-away kube-apiserver + etcd on
# 127.0.0.1 (the test API server, scripts/lib/apiserver.sh): applies this repository's
# rendered tree out/minimal/base server-side as field manager kforge, edits its
# Deployment's image by another manager and deletes its Service, and runs kforge diff --live
# on a copy of that tree; then stops the server
# and removes its files. Nothing outside a temporary directory is touched.
#
# Usage: scripts/try-live.sh [--output text|markdown|json]
# Needs KFORGE_KUBE_BIN (default ~/.cache/kforge/kube/v1.33.4/bin; `scripts/test.sh
# --tools-only` builds it), kubectl and openssl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/apiserver.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/apiserver.sh"
export KFORGE_KUBE_BIN=${KFORGE_KUBE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kube/v1.33.4/bin}

cargo build -q --bin kforge
KFORGE=${CARGO_TARGET_DIR:-$ROOT/target}/debug/kforge
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kforge-try-live-XXXXXX")
cleanup() {
  apiserver_stop
  rm -rf -- "$WORK"
}
trap cleanup EXIT

echo "starting kube-apiserver and etcd in $WORK ..."
apiserver_start "$WORK/cluster"
kc() { kubectl --kubeconfig "$WORK/cluster/kubeconfig" "$@"; }
# A repository holding only the rendered tree of blueprints/minimal.yaml.
mkdir -p "$WORK/repo/out"
cp -a out/minimal "$WORK/repo/out/"
kc apply --server-side --field-manager=kforge -f out/minimal/base/default/
# Drift: the image edited by hand, the Service deleted.
kc patch deployment hello --field-manager=kubectl-edit \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"hello","image":"nginx:edited-by-hand"}]}}}}'
kc delete service hello
echo
echo "\$ kforge diff --live --kubeconfig \$WORK/cluster/kubeconfig $*"
set +e
(cd "$WORK/repo" && "$KFORGE" diff --live --kubeconfig "$WORK/cluster/kubeconfig" "$@")
status=$?
set -e
echo "(exit $status)"
