# shellcheck shell=bash
# Installs kubeconform, the schema-only manifest validator scripts/bench.sh
# races kforge validate against (issue 19), from its Go module at a pinned
# version into a cache outside the checkout, once. Sourced by scripts/bench.sh
# and scripts/test.sh; the caller sets ROOT first and calls setup_kubeconform,
# which exports KFORGE_KUBECONFORM (the binary).
#
#   GOBIN=<cache>/<version>/bin go install github.com/yannh/kubeconform/cmd/kubeconform@<version>
#
# The module's checksums are verified against the Go checksum database through
# the module proxy, as `go install module@version` does by default.
#
# kubeconform needs JSON schemas; offline it reads them from a local
# -schema-location. The kubernetes-json-schema data it fetches by default are on
# no package registry, so the bench writes kforge's own strict schemas of the
# same Kubernetes minor, one file per kind, where kubeconform's template finds
# them (examples/standalone_schemas.rs): both tools judge against the same
# schemas, and the race measures the validators, not the schema sources.
#
# Cache layout (KFORGE_KUBECONFORM_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kubeconform):
#   go/mod/ go/build/      GOMODCACHE and GOCACHE
#   <version>/bin/kubeconform

KUBECONFORM_MODULE=github.com/yannh/kubeconform
KUBECONFORM_VERSION=v0.8.0
KUBECONFORM_CACHE=${KFORGE_KUBECONFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kforge/kubeconform}

setup_kubeconform() {
  local bin=$KUBECONFORM_CACHE/$KUBECONFORM_VERSION/bin
  if [[ ! -x $bin/kubeconform ]]; then
    command -v go >/dev/null 2>&1 || {
      echo "${0##*/}: kubeconform: the go command is needed to install it (Debian package golang-go)" >&2
      return 1
    }
    echo "installing $KUBECONFORM_MODULE $KUBECONFORM_VERSION into $bin"
    mkdir -p "$bin" "$KUBECONFORM_CACHE/go" || return 1
    env GOBIN="$bin" GOMODCACHE="$KUBECONFORM_CACHE/go/mod" GOCACHE="$KUBECONFORM_CACHE/go/build" \
      GOFLAGS="-modcacherw -trimpath" GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 \
      go install "$KUBECONFORM_MODULE/cmd/kubeconform@$KUBECONFORM_VERSION" || {
      echo "${0##*/}: kubeconform: go install failed (is the Go module proxy reachable?)" >&2
      return 1
    }
  fi
  export KFORGE_KUBECONFORM=$bin/kubeconform
  echo "KFORGE_KUBECONFORM=$KFORGE_KUBECONFORM ($KUBECONFORM_VERSION)"
}
