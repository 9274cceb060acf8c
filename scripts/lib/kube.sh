# shellcheck shell=bash
# Builds the Kubernetes binaries the API-server tests run, from Go modules, into
# a cache outside the checkout, once per pinned version. Sourced by
# scripts/test.sh; the caller sets ROOT (the repository root) first and calls
# setup_kube, which exports KFORGE_KUBE_BIN.
#
#   kube-apiserver, kubeadm  from k8s.io/kubernetes  (KUBE_VERSION)
#   etcd                     from go.etcd.io/etcd/server/v3 at the version that
#                            Kubernetes release pins (tools/kube/go.mod)
#
# tools/kube/go.mod and go.sum are the pins: the go.sum lines are the checksums
# every downloaded module is verified against (the checksum database is not
# consulted). KUBE_VERSION must equal the k8s.io/kubernetes requirement there.
#
# Cache layout (KFORGE_KUBE_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kube):
#   go/mod/              GOMODCACHE, about 700 MB, shared by every version
#   go/build/            GOCACHE, about 2.5 GB, shared by every version
#   <version>/bin/       kube-apiserver, kubeadm, etcd  (KFORGE_KUBE_BIN)
#   <version>/bin/.stamp what they were built from: a hash of go.mod, go.sum,
#                        the link flags and the Go version
# A bin directory whose stamp matches is used as it is (no go command runs), so
# the second run costs nothing. A cold build (empty go/ caches) downloads the
# modules and compiles about 2,000 packages: 9 minutes of wall time on a
# 2-core machine shared with other builds, 7 minutes of CPU time (see the
# testing section of ARCHITECTURE.md).

# The Kubernetes minor kforge targets (k8s-openapi's v1_33 feature) and the
# cluster version of blueprints/platform.yaml.
KUBE_VERSION=v1.33.4
KUBE_GO_MODULE=$ROOT/tools/kube
KUBE_CACHE=${KFORGE_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kube}

kube_fail() {
  echo "${0##*/}: kube binaries: $*" >&2
  return 1
}

# The link flags: drop the symbol tables (smaller binaries, a faster link) and
# stamp the version the binaries report, as the Kubernetes release build does;
# kubeadm compares it with kubernetesVersion.
kube_ldflags() {
  local minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  local pkg flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  printf '%s\n' "$flags"
}

# Runs the go command in tools/kube with the shared caches and pinned modules.
kube_go() {
  (cd "$KUBE_GO_MODULE" &&
    env GOMODCACHE="$KUBE_CACHE/go/mod" GOCACHE="$KUBE_CACHE/go/build" \
      GOFLAGS="-mod=readonly -modcacherw -trimpath" GOSUMDB=off GOWORK=off \
      GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on \
      go "$@")
}

setup_kube() {
  command -v go >/dev/null 2>&1 ||
    kube_fail "the go command is needed to build them (Debian package golang-go)" || return 1
  # Kubernetes 1.33 needs Go 1.24 or later (go.mod's go line); GOTOOLCHAIN=local
  # keeps the go command from fetching a newer toolchain by itself.
  local go_version go_minor
  go_version=$(go env GOVERSION)
  go_minor=${go_version#go1.}
  go_minor=${go_minor%%.*}
  [[ $go_minor =~ ^[0-9]+$ && $go_minor -ge 24 ]] ||
    kube_fail "Go 1.24 or later is needed to build Kubernetes $KUBE_VERSION, found $go_version" ||
    return 1
  grep -qE "^\s*k8s.io/kubernetes $KUBE_VERSION( |$)" "$KUBE_GO_MODULE/go.mod" ||
    kube_fail "tools/kube/go.mod does not require k8s.io/kubernetes $KUBE_VERSION" || return 1
  local bin=$KUBE_CACHE/$KUBE_VERSION/bin ldflags stamp
  ldflags=$(kube_ldflags)
  stamp=$(cat "$KUBE_GO_MODULE/go.mod" "$KUBE_GO_MODULE/go.sum" <(printf '%s\n' "$ldflags") \
    <(go version) | sha256sum | cut -d' ' -f1)
  if [[ -f $bin/.stamp && "$(cat "$bin/.stamp")" == "$stamp" &&
    -x $bin/kube-apiserver && -x $bin/kubeadm && -x $bin/etcd ]]; then
    echo "kube binaries present: $bin ($KUBE_VERSION)"
  else
    echo "building kube-apiserver, kubeadm $KUBE_VERSION and etcd into $bin"
    echo "(a cold build takes several minutes; later runs reuse $KUBE_CACHE)"
    local start=$SECONDS stage=$bin.partial
    rm -rf "$stage"
    mkdir -p "$stage" "$KUBE_CACHE/go" || kube_fail "cannot create $stage" || return 1
    kube_go mod download ||
      kube_fail "go mod download failed in tools/kube (is the Go module proxy reachable?)" ||
      return 1
    kube_go build -ldflags="$ldflags" -o "$stage/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubeadm ||
      kube_fail "go build of kube-apiserver and kubeadm failed" || return 1
    kube_go build -ldflags="-s -w" -o "$stage/etcd" go.etcd.io/etcd/server/v3 ||
      kube_fail "go build of etcd failed" || return 1
    printf '%s\n' "$stamp" >"$stage/.stamp"
    rm -rf "$bin"
    mv "$stage" "$bin" || kube_fail "cannot move $stage to $bin" || return 1
    echo "built in $((SECONDS - start)) s"
  fi
  "$bin/kube-apiserver" --version
  export KFORGE_KUBE_BIN=$bin
  echo "KFORGE_KUBE_BIN=$KFORGE_KUBE_BIN"
}
