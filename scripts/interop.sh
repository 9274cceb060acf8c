#!/usr/bin/env bash
# Interop checks of kforge's output against the real tools.
#
# Usage: scripts/interop.sh [KFORGE_BINARY]    (default: target/debug/kforge)
#
#  1. render: `kforge render --out DIR` in a scratch copy of blueprints/ (and
#     overlays/), twice, each into an empty directory, to check that it renders
#     and is deterministic; the result must equal the committed out/ (the same
#     files, the same bytes; SOPS-encrypted Secrets, whose bytes differ on every
#     encryption, must decrypt with the real `sops -d` to the same documents
#     for the same recipients); `kforge render --check` in the repo root must
#     exit 0 (exit 1 means out/ is stale).
#  2. kustomize: for each out/*/*/ holding a kustomization.yaml, the objects
#     `kubectl kustomize` yields must equal, as a multiset, the objects in the
#     *.yaml files kforge wrote there (nodes/ and delivery/ left out).
#  3. kubernetes-validate --strict on every file of out/ whose objects have a
#     core Kubernetes apiVersion (not Calico, Flux, Argo, ...); SOPS-encrypted
#     Secrets are first decrypted with the real `sops -d` and the example
#     identity tests/fixtures/age/dev.key, and the plain object is validated.
#  4. yamllint (rules in .yamllint.yaml) on out/, blueprints/ and overlays/.
#
# Each check counts as passed or failed, and nothing is skipped silently: a
# missing tool, or a tree with nothing for a check to look at, is a failure.
# The last line is "interop: N passed, M failed" and the exit status is 1 when
# M > 0.
#
# Environment:
#   KFORGE_OUT=DIR          check this tree instead of the repo's out/; the
#                           render checks (1) are then skipped
#   KFORGE_SKIP_RENDER=1    skip the render checks (1)
#   KFORGE_K8S_VERSION=X.Y  Kubernetes version to validate against (1.33)
#   KFORGE_TOOLS_BIN=DIR    where kubernetes-validate, yamllint, sops and a python
#                           with PyYAML are (default: target/tools-venv/bin,
#                           set up by scripts/test.sh --tools-only)
#   KFORGE_INTEROP_COUNTS=F write "N M" (passed, failed) to F on exit
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

abspath() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

KFORGE=$(abspath "${1:-target/debug/kforge}")
REPO_OUT=$ROOT/out
OUT=$(abspath "${KFORGE_OUT:-out}")
OUT=${OUT%/}
SKIP_RENDER=${KFORGE_SKIP_RENDER:-0}
if [[ $OUT != "$REPO_OUT" ]]; then
  SKIP_RENDER=1
fi
# The cluster version the project targets (k8s-openapi feature v1_33).
# kubernetes-validate 1.37.0 bundles schemas for 1.25 up to 1.37, so 1.33 is
# validated against its own schemas, not a neighbour's.
K8S_VERSION=${KFORGE_K8S_VERSION:-1.33}
TOOLS_BIN=${KFORGE_TOOLS_BIN:-$ROOT/target/tools-venv/bin}
PY=$TOOLS_BIN/python
HELPER=$ROOT/scripts/compare_kustomize.py
# The throwaway identity of the example blueprints' spec.encryption.age.
EXAMPLE_KEY=$ROOT/tests/fixtures/age/dev.key
JOBS=$(nproc 2>/dev/null || echo 2)

PASSED=0
FAILED=0
SCRATCH=$(mktemp -d)

finish() {
  rm -rf "$SCRATCH"
  if [[ -n ${KFORGE_INTEROP_COUNTS:-} ]]; then
    echo "$PASSED $FAILED" >"$KFORGE_INTEROP_COUNTS"
  fi
}
trap finish EXIT

pass() {
  PASSED=$((PASSED + 1))
  echo "ok   $*"
}

fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL $*"
}

# Print a captured log, indented, at most 60 lines of it.
show() {
  local n
  n=$(wc -l <"$1")
  sed -n '1,60s/^/    /p' "$1"
  if [[ $n -gt 60 ]]; then
    echo "    ... ($((n - 60)) more lines)"
  fi
}

header() {
  printf -- '--- %s\n' "$*"
}

rel() {
  printf '%s\n' "${1#"$ROOT"/}"
}

# Whether two SOPS files hold the same Secret: the same comment header and
# recipients, and the same document once the real sops decrypted them (which
# also checks their MACs).
same_secret() { # A B
  local a b
  a=$(SOPS_AGE_KEY_FILE=$EXAMPLE_KEY "$TOOLS_BIN/sops" -d "$1") || return 1
  b=$(SOPS_AGE_KEY_FILE=$EXAMPLE_KEY "$TOOLS_BIN/sops" -d "$2") || return 1
  [[ $a == "$b" ]] || return 1
  [[ "$(grep -E '^#|recipient:' "$1")" == "$(grep -E '^#|recipient:' "$2")" ]]
}

# Whether two trees hold the same files with the same content (Secrets by
# same_secret); prints what differs.
same_tree() { # A B
  local a=$1 b=$2 f status=0
  if ! diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort); then
    echo "(the file lists differ: < only in $a, > only in $b)"
    return 1
  fi
  while IFS= read -r f; do
    if cmp -s "$a/$f" "$b/$f"; then
      continue
    fi
    if grep -q '^sops:' "$a/$f" && grep -q '^sops:' "$b/$f" && same_secret "$a/$f" "$b/$f"; then
      continue
    fi
    echo "differs: $f"
    diff "$a/$f" "$b/$f" | sed -n '1,20p' || true
    status=1
  done < <(cd "$a" && find . -type f | sort)
  return $status
}

# ---------------------------------------------------------------- tools ----

missing=()
for tool in kubectl "$TOOLS_BIN/kubernetes-validate" "$TOOLS_BIN/yamllint" "$TOOLS_BIN/sops" "$PY"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -eq 0 ]] && ! "$PY" -c 'import yaml' 2>/dev/null; then
  missing+=("PyYAML in $PY")
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  fail "tools missing: ${missing[*]} (run ./scripts/test.sh --tools-only)"
  echo "interop: $PASSED passed, $FAILED failed"
  exit 1
fi

# --------------------------------------------------------------- render ----

if [[ $SKIP_RENDER == 1 ]]; then
  header "render (skipped: checking $OUT)"
elif [[ ! -x $KFORGE ]]; then
  header "render"
  fail "kforge binary not found at $KFORGE (build it first)"
elif [[ ! -d blueprints ]]; then
  header "render"
  fail "no blueprints/ directory to render"
else
  header "render with $(rel "$KFORGE")"
  work=$SCRATCH/work
  mkdir -p "$work"
  cp -R blueprints "$work/"
  if [[ -d overlays ]]; then
    cp -R overlays "$work/"
  fi
  # Both renders start from nothing, as in a new checkout, but for the
  # committed cluster CA and tokens (nodes/ca.crt, nodes/cluster-secrets.yaml):
  # state a render keeps, like a Secret's values, where a render from nothing
  # would make a new CA. Without an identity, which keeping them does not need.
  unset SOPS_AGE_KEY_FILE SOPS_AGE_KEY
  seed_cluster_material() { # DEST
    local ca tree rel_tree
    [[ -d $REPO_OUT ]] || return 0
    while IFS= read -r ca; do
      tree=${ca%/nodes/ca.crt}
      rel_tree=${tree#"$REPO_OUT"/}
      mkdir -p "$1/$rel_tree/nodes"
      cp "$ca" "$tree/nodes/cluster-secrets.yaml" "$1/$rel_tree/nodes/"
      printf 'nodes/ca.crt\nnodes/cluster-secrets.yaml\n' >"$1/$rel_tree/.kforge-owned"
    done < <(find "$REPO_OUT" -mindepth 4 -maxdepth 4 -path '*/nodes/ca.crt' | sort)
  }
  seed_cluster_material "$work/out"
  seed_cluster_material "$work/out-again"
  rendered=0
  if (cd "$work" && "$KFORGE" render --out "$work/out") >"$SCRATCH/render.log" 2>&1; then
    pass "kforge render --out in a scratch copy of blueprints/"
    rendered=1
  else
    fail "kforge render --out in a scratch copy of blueprints/ exited non-zero"
    show "$SCRATCH/render.log"
  fi

  if [[ $rendered == 1 ]]; then
    # A tree that was not written at all (no blueprints) counts as empty.
    mkdir -p "$work/out" "$work/out-again" "$SCRATCH/empty"
    if (cd "$work" && "$KFORGE" render --out "$work/out-again") >"$SCRATCH/render2.log" 2>&1 &&
      same_tree "$work/out" "$work/out-again" >"$SCRATCH/determinism.diff" 2>&1; then
      pass "rendering twice gives identical trees"
    else
      fail "rendering twice gives different trees (or the second render failed)"
      show "$SCRATCH/render2.log"
      show "$SCRATCH/determinism.diff"
    fi

    if compgen -G "$work/blueprints/*.yaml" >/dev/null &&
      [[ -z $(find "$work/out" -type f -print -quit) ]]; then
      fail "kforge render wrote no files although blueprints/*.yaml exist"
    fi

    committed=$REPO_OUT
    [[ -d $committed ]] || committed=$SCRATCH/empty
    if same_tree "$committed" "$work/out" >"$SCRATCH/committed.diff" 2>&1; then
      pass "a fresh render equals the committed out/"
    else
      fail "a fresh render differs from the committed out/ (diff committed fresh):"
      show "$SCRATCH/committed.diff"
    fi
  fi

  # As CI runs it: without any identity (kforge keeps Secret files whose keys
  # and recipients are unchanged, see docs/secrets.md).
  check_rc=0
  "$KFORGE" render --check >"$SCRATCH/check.log" 2>&1 || check_rc=$?
  case $check_rc in
    0) pass "kforge render --check: out/ is current" ;;
    1)
      fail "out/ is stale: run kforge render and commit"
      show "$SCRATCH/check.log"
      ;;
    *)
      fail "kforge render --check failed with exit $check_rc"
      show "$SCRATCH/check.log"
      ;;
  esac
fi

# ------------------------------------------------------------ kustomize ----

header "kubectl kustomize vs kforge's files in $(rel "$OUT")"
kdirs=()
if [[ -d $OUT ]]; then
  mapfile -t kdirs < <(find "$OUT" -mindepth 3 -maxdepth 3 -type f \
    -name kustomization.yaml -printf '%h\n' | sort)
fi
if [[ ${#kdirs[@]} -eq 0 ]]; then
  fail "no $(rel "$OUT")/*/*/kustomization.yaml found: nothing for kubectl kustomize to build"
fi
for dir in "${kdirs[@]}"; do
  name=$(rel "$dir")
  if ! kubectl kustomize "$dir" >"$SCRATCH/kustomize.yaml" 2>"$SCRATCH/kustomize.err"; then
    fail "kubectl kustomize $name"
    show "$SCRATCH/kustomize.err"
    continue
  fi
  if "$PY" "$HELPER" compare "$dir" "$SCRATCH/kustomize.yaml" >"$SCRATCH/compare.log" 2>&1; then
    pass "kustomize $name: $(sed -n '1s/^.*: //p' "$SCRATCH/compare.log")"
  else
    fail "kustomize $name: objects differ from kforge's files"
    show "$SCRATCH/compare.log"
  fi
done

# ------------------------------------------------- kubernetes-validate ----

header "kubernetes-validate --strict --kubernetes-version $K8S_VERSION on core objects"
core_files=()
if [[ -d $OUT ]]; then
  if "$PY" "$HELPER" core-files "$OUT" >"$SCRATCH/core-files" 2>"$SCRATCH/core-files.err"; then
    :
  else
    fail "some files under $(rel "$OUT") cannot be parsed"
  fi
  if [[ -s $SCRATCH/core-files.err ]]; then
    show "$SCRATCH/core-files.err"
  fi
  mapfile -t core_files <"$SCRATCH/core-files"
  # SOPS-encrypted Secrets: the real sops decrypts them (which also checks the
  # MAC), and the plain object is validated like the others.
  "$PY" "$HELPER" sops-files "$OUT" >"$SCRATCH/sops-files" 2>/dev/null || true
  mkdir -p "$SCRATCH/decrypted"
  while IFS= read -r f; do
    [[ -n $f ]] || continue
    plain=$SCRATCH/decrypted/$(rel "$f" | tr '/' '_')
    if SOPS_AGE_KEY_FILE=$EXAMPLE_KEY "$TOOLS_BIN/sops" -d "$f" >"$plain" 2>"$SCRATCH/sops.err"; then
      pass "sops -d $(rel "$f")"
      core_files+=("$plain")
    else
      fail "sops -d $(rel "$f")"
      show "$SCRATCH/sops.err"
    fi
  done <"$SCRATCH/sops-files"
fi

validate_batch() { # OUTPUT_FILE FILES...
  local log=$1 rc=0
  shift
  "$TOOLS_BIN/kubernetes-validate" --strict --kubernetes-version "$K8S_VERSION" \
    "$@" >"$log" 2>&1 || rc=$?
  echo "EXIT $rc" >>"$log"
}

n=${#core_files[@]}
if [[ $n -gt 0 ]]; then
  # One process per core, at most 200 files each; every process loads the
  # schemas once per object, so batching saves the interpreter start-up.
  size=$(((n + JOBS - 1) / JOBS))
  if [[ $size -gt 200 ]]; then size=200; fi
  batches=0
  running=0
  for ((i = 0; i < n; i += size)); do
    printf '%s\n' "${core_files[@]:i:size}" >"$SCRATCH/kv.$batches.files"
    validate_batch "$SCRATCH/kv.$batches.log" "${core_files[@]:i:size}" &
    batches=$((batches + 1))
    running=$((running + 1))
    if [[ $running -ge $JOBS ]]; then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait

  # kubernetes-validate prints "INFO <file> passed ..." per valid object,
  # "ERROR <file> ..." for an invalid one and "WARN <file> Couldn't find
  # schema ..." (exit 0!) for an unknown kind. Every file here has a core
  # apiVersion, so a missing schema means a wrong kind or apiVersion and
  # counts as a failure. A file with no line at all was never validated
  # (the tool aborts the batch on a YAML error).
  for ((b = 0; b < batches; b++)); do
    log=$SCRATCH/kv.$b.log
    while IFS= read -r f; do
      if grep -qF -e "ERROR $f " -e "WARN $f " -e "FATAL" "$log"; then
        fail "kubernetes-validate $(rel "$f")"
        grep -F -e "ERROR $f " -e "WARN $f " -e "FATAL" "$log" | sed 's/^/    /'
      elif grep -qF "INFO $f passed" "$log"; then
        pass "kubernetes-validate $(rel "$f")"
      else
        fail "kubernetes-validate $(rel "$f"): not validated"
        grep -v -e '^INFO ' -e '^EXIT 0$' "$log" | sed 's/^/    /' || true
      fi
    done <"$SCRATCH/kv.$b.files"
  done
else
  fail "no core Kubernetes objects under $(rel "$OUT"): nothing for kubernetes-validate to check"
fi

# ------------------------------------------------------------- yamllint ----

header "yamllint"
if [[ ! -d $OUT ]]; then
  fail "yamllint: $(rel "$OUT") does not exist"
fi
for target in "$OUT" "$ROOT/blueprints" "$ROOT/overlays"; do
  [[ -d $target ]] || continue
  if "$TOOLS_BIN/yamllint" -c "$ROOT/.yamllint.yaml" -f parsable "$target" \
    >"$SCRATCH/yamllint.log" 2>&1; then
    pass "yamllint $(rel "$target")"
    if [[ -s $SCRATCH/yamllint.log ]]; then
      show "$SCRATCH/yamllint.log"
    fi
  else
    fail "yamllint $(rel "$target")"
    show "$SCRATCH/yamllint.log"
  fi
done

echo "interop: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
