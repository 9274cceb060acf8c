# shellcheck shell=bash
# Fetches the pinned third-party data the tests read (CustomResourceDefinitions
# of Calico, Flux and Argo CD) from the Go module proxy, by exact version and
# checksum, into target/third-party/<name>/. Sourced by scripts/test.sh; the
# caller sets ROOT (the repository root) first. Nothing here is committed.
#
# Where the files land (test.sh exports KFORGE_THIRD_PARTY=target/third-party
# and KFORGE_CALICO_CRDS=target/third-party/calico):
#   calico/          crd.projectcalico.org_{networkpolicies,globalnetworkpolicies,
#                    stagednetworkpolicies,globalnetworksets,networksets,tiers,
#                    ippools}.yaml (read by tests/calico_crd.rs)
#   flux-source/     source.toolkit.fluxcd.io_gitrepositories.yaml
#   flux-kustomize/  kustomize.toolkit.fluxcd.io_kustomizations.yaml
#   argocd/          application-crd.yaml, appproject-crd.yaml
# (Flux and Argo CD: read by tests/delivery.rs, which validates every delivery
# object against them with `kforge validate --crd`.)
# Each directory holds a .pinned stamp ("MODULE@VERSION SUM"); a directory whose
# stamp matches its pin is not fetched again, so a second run costs nothing.
#
# The Go module cache is target/third-party/go-mod (GOMODCACHE): the fetched
# data then lives inside the checkout only, `cargo clean` removes it with the
# rest of target/ (-modcacherw keeps it deletable), and no run depends on, or
# fills, a cache in the user's home. The price is one download per checkout
# (under 60 MB in all, a few seconds). Go's build cache is not used by
# `go mod download`.
#
# Integrity: every module's h1: checksum is pinned below and compared with what
# `go mod download -json` reports, which is what a go.sum line would do. The
# checksum database is not consulted (GOSUMDB=off): it does not know every
# pseudo-version, and the pin is the stronger check.

THIRD_PARTY=$ROOT/target/third-party

# Calico. The projectcalico.org/v3 CRDs (api/config/crd/ of the Calico
# monorepo) are published in the github.com/projectcalico/api module only in
# versions the module proxy here does not serve, and v3.31.0's api module has
# no config/crd/. So the pin is Calico v3.31.0's monorepo module, whose
# libcalico-go/config/crd/ holds the crd.projectcalico.org/v1 CRDs generated
# from the same v3 Go types: every spec field of NetworkPolicy and
# GlobalNetworkPolicy is the same as in the v3 CRDs, but they carry no
# descriptions, enums, bounds or CEL rules (tests/calico_crd.rs says which
# checks that leaves out).
CALICO_MODULE=github.com/projectcalico/calico
CALICO_VERSION=v0.0.0-20251021213802-b1f3c43f8437 # Calico v3.31.0
CALICO_SUM=h1:PbLe6D0Yis8ce4F+o/Dmlrv4Her2ZN6ns8rmlZoFoEY=
CALICO_FILES=(
  libcalico-go/config/crd/crd.projectcalico.org_networkpolicies.yaml
  libcalico-go/config/crd/crd.projectcalico.org_globalnetworkpolicies.yaml
  libcalico-go/config/crd/crd.projectcalico.org_stagednetworkpolicies.yaml
  libcalico-go/config/crd/crd.projectcalico.org_globalnetworksets.yaml
  libcalico-go/config/crd/crd.projectcalico.org_networksets.yaml
  libcalico-go/config/crd/crd.projectcalico.org_tiers.yaml
  libcalico-go/config/crd/crd.projectcalico.org_ippools.yaml
)

# Flux: the newest releases at the time of pinning; byte-identical to the
# copies the delivery issue was written against.
FLUX_SOURCE_MODULE=github.com/fluxcd/source-controller
FLUX_SOURCE_VERSION=v1.9.1
FLUX_SOURCE_SUM=h1:FF8XTxLND/pXzVtUESKURUDiItFJQDZBZkbHvZimN8s=
FLUX_KUSTOMIZE_MODULE=github.com/fluxcd/kustomize-controller
FLUX_KUSTOMIZE_VERSION=v1.9.4
FLUX_KUSTOMIZE_SUM=h1:VBnBMhnemqnE5Zca2AoG2gC4472MoiTmk9rdqvLoMcY=

# Argo CD v3.5.1 (a 56 MB module zip, about 2 s to fetch and unpack here).
ARGOCD_MODULE=github.com/argoproj/argo-cd/v3
ARGOCD_VERSION=v3.5.1
ARGOCD_SUM=h1:jtwPLEFX9mNj3jSq88ugFcScGnOZVs2DWaXFuZxrRT8=

thirdparty_fail() {
  echo "${0##*/}: third-party data: $*" >&2
  return 1
}

# Runs `go mod download -json MODULE@VERSION` with the cache under target/
# and prints the module's directory, after checking its checksum against SUM.
go_module_dir() { # MODULE VERSION SUM
  local module=$1 version=$2 sum=$3 json dir got
  command -v go >/dev/null 2>&1 ||
    thirdparty_fail "the go command is needed to fetch $module@$version (Debian package golang-go)" ||
    return 1
  mkdir -p "$THIRD_PARTY/go-mod"
  # Run outside any Go module (GOWORK=off, cwd without go.mod) so that nothing
  # but the named version is resolved.
  if ! json=$(cd "$THIRD_PARTY" &&
    env GOMODCACHE="$THIRD_PARTY/go-mod" GOFLAGS="-mod=mod -modcacherw" \
      GOSUMDB=off GOWORK=off GOTOOLCHAIN=local GO111MODULE=on \
      go mod download -json "$module@$version" 2>&1); then
    printf '%s\n' "$json" >&2
    thirdparty_fail "go mod download $module@$version failed" || return 1
  fi
  dir=$(jq -r '.Dir // empty' <<<"$json")
  got=$(jq -r '.Sum // empty' <<<"$json")
  if [[ -z $dir || ! -d $dir ]]; then
    printf '%s\n' "$json" >&2
    thirdparty_fail "go mod download $module@$version gave no directory" || return 1
  fi
  if [[ $got != "$sum" ]]; then
    thirdparty_fail "$module@$version has checksum $got, pinned $sum" || return 1
  fi
  printf '%s\n' "$dir"
}

# Copies FILES (paths inside the module) of MODULE@VERSION into
# target/third-party/NAME/, unless its stamp already names that pin.
fetch_module_files() { # NAME MODULE VERSION SUM FILE...
  local name=$1 module=$2 version=$3 sum=$4
  shift 4
  local dest=$THIRD_PARTY/$name pin="$module@$version $sum" file dir stage
  local complete=0
  if [[ -f $dest/.pinned && "$(cat "$dest/.pinned")" == "$pin" ]]; then
    complete=1
    for file in "$@"; do
      [[ -s $dest/${file##*/} ]] || complete=0
    done
  fi
  if [[ $complete -eq 1 ]]; then
    echo "third-party $name present: $module@$version"
    return 0
  fi
  echo "fetching third-party $name: $module@$version"
  dir=$(go_module_dir "$module" "$version" "$sum") || return 1
  # Assemble beside the old copy and swap, so an interrupted fetch never
  # leaves a directory with a stamp but without its files.
  stage=$THIRD_PARTY/.$name.partial
  rm -rf "$stage"
  mkdir -p "$stage"
  for file in "$@"; do
    if [[ ! -f $dir/$file ]]; then
      rm -rf "$stage"
      thirdparty_fail "$module@$version has no $file" || return 1
    fi
    install -m 0644 "$dir/$file" "$stage/${file##*/}"
  done
  printf '%s' "$pin" >"$stage/.pinned"
  rm -rf "$dest"
  mv "$stage" "$dest"
  # The unpacked module (Argo CD's is 200 MB) is not needed any more; the zip
  # stays in the download cache, so a re-fetch does not go to the network.
  rm -rf "$dir"
}

fetch_third_party() {
  fetch_module_files calico "$CALICO_MODULE" "$CALICO_VERSION" "$CALICO_SUM" \
    "${CALICO_FILES[@]}" || return 1
  fetch_module_files flux-source "$FLUX_SOURCE_MODULE" "$FLUX_SOURCE_VERSION" \
    "$FLUX_SOURCE_SUM" \
    config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml || return 1
  fetch_module_files flux-kustomize "$FLUX_KUSTOMIZE_MODULE" "$FLUX_KUSTOMIZE_VERSION" \
    "$FLUX_KUSTOMIZE_SUM" \
    config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml || return 1
  fetch_module_files argocd "$ARGOCD_MODULE" "$ARGOCD_VERSION" "$ARGOCD_SUM" \
    manifests/crds/application-crd.yaml manifests/crds/appproject-crd.yaml || return 1
}
