# shellcheck shell=bash
# Starts a throw-away kube-apiserver + etcd on 127.0.0.1 for the scripts that try or
# measure `kforge diff --live` (scripts/try-live.sh, scripts/bench-live.sh); the tests
# start their own through tests/common/apiserver.rs, the same way. Sourced; needs
# KFORGE_KUBE_BIN (the binaries scripts/lib/kube.sh builds) and openssl.
#
#   apiserver_start DIR   certificates, tokens, etcd and kube-apiserver in DIR (free
#                         ports, RBAC, an admin token); writes DIR/kubeconfig and waits
#                         until /readyz answers. Sets APISERVER_PIDS.
#   apiserver_stop        stops both process groups by PID.

APISERVER_PIDS=()

apiserver_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

apiserver_start() {
  local dir=$1 bin=${KFORGE_KUBE_BIN:?KFORGE_KUBE_BIN is not set: run scripts/test.sh --tools-only, or point it at kube-apiserver and etcd}
  for tool in kube-apiserver etcd; do
    [[ -x $bin/$tool ]] || { echo "no $tool in $bin" >&2; return 1; }
  done
  mkdir -p "$dir"
  local cert_args=(-nodes -days 7 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
  openssl req -x509 "${cert_args[@]}" -subj /CN=kforge-try-ca -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -x509 "${cert_args[@]}" -subj /CN=kube-apiserver -keyout "$dir/serving.key" -out "$dir/serving.crt" \
    -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -addext basicConstraints=critical,CA:FALSE -addext extendedKeyUsage=serverAuth 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/sa.key" 2>/dev/null
  openssl pkey -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  local token
  token=$(openssl rand -hex 16)
  echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"
  local client peer secure
  client=$(apiserver_free_port) peer=$(apiserver_free_port) secure=$(apiserver_free_port)
  setsid "$bin/etcd" --name=kforge-try --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$client" --advertise-client-urls="http://127.0.0.1:$client" \
    --listen-peer-urls="http://127.0.0.1:$peer" --initial-advertise-peer-urls="http://127.0.0.1:$peer" \
    --initial-cluster="kforge-try=http://127.0.0.1:$peer" --unsafe-no-fsync --log-level=warn \
    >"$dir/etcd.log" 2>&1 &
  APISERVER_PIDS+=($!)
  setsid "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$client" --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 --secure-port="$secure" --cert-dir="$dir/certs" \
    --tls-cert-file="$dir/serving.crt" --tls-private-key-file="$dir/serving.key" \
    --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$dir/sa.pub" --service-account-signing-key-file="$dir/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --v=0 \
    >"$dir/kube-apiserver.log" 2>&1 &
  APISERVER_PIDS+=($!)
  cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: kforge-try
    cluster: {server: "https://127.0.0.1:$secure", certificate-authority: "$dir/ca.crt"}
users:
  - name: admin
    user: {token: "$token"}
contexts:
  - name: kforge-try
    context: {cluster: kforge-try, user: admin, namespace: default}
current-context: kforge-try
KUBECONFIG
  local i
  for ((i = 0; i < 240; i++)); do
    if kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  echo "kube-apiserver did not become ready; see $dir/kube-apiserver.log" >&2
  tail -20 "$dir/kube-apiserver.log" >&2
  return 1
}

apiserver_stop() {
  local pid
  for pid in "${APISERVER_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${APISERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  APISERVER_PIDS=()
}
