//! A real `kube-apiserver` + `etcd` on 127.0.0.1 for the tests that talk to a cluster or ask
//! "would Kubernetes accept this".
//!
//! The binaries come from `KFORGE_KUBE_BIN`, which `scripts/test.sh` exports after building
//! them from Go modules into a cache outside the checkout (`scripts/lib/kube.sh`). A test that
//! needs the server is `#[ignore = "needs kube-apiserver: run scripts/test.sh"]` and panics
//! when the binaries are missing. `KFORGE_E2E_KUBECONFIG` names a full cluster (with
//! controllers) to use instead; nothing is started then.
//!
//! [`shared`] starts one server per test binary, on first use; [`ApiServer::start`] starts a
//! private one that stops when dropped. Each server gets free ports, a fresh data directory,
//! its own CA and serving certificate, a service-account key pair (all made with `openssl`),
//! static bearer tokens (an admin in `system:masters`, and a user no RBAC rule grants anything,
//! for 403 cases), `--authorization-mode=RBAC`, and an audit log of every request.
//!
//! No process outlives the test binary: etcd and kube-apiserver run in process groups of their
//! own, watched by a small shell process that reads its standard input from a pipe the test
//! process holds. When the pipe closes (the server is dropped, or the test process exits,
//! panics or is killed, which a `static` never being dropped makes the usual case), the
//! watcher stops both groups (TERM, then KILL) and removes the data directory.

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How to get the binaries, for the panic message of a test that runs without them.
pub const HOW_TO_GET_KUBE: &str = "run ./scripts/test.sh (it builds kube-apiserver, kubeadm and etcd from Go modules \
     into ~/.cache/kforge/kube and exports KFORGE_KUBE_BIN), or set KFORGE_KUBE_BIN to a directory holding \
     them, or KFORGE_E2E_KUBECONFIG to a cluster to use instead";

/// How long the server may take to report ready: a 2-core machine shared with builds can be
/// slow, a healthy start takes a few seconds.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A running API server (or the opt-in external cluster) and how to reach it.
pub struct ApiServer {
    /// A kubeconfig for an admin user (`system:masters`).
    pub kubeconfig: PathBuf,
    /// A kubeconfig for an authenticated user that RBAC grants nothing: every request but
    /// discovery is refused with 403. `None` for an external cluster.
    pub limited_kubeconfig: Option<PathBuf>,
    /// The audit log (one JSON event per request, level Metadata, so each `requestURI` with
    /// its `dryRun` parameter). `None` for an external cluster.
    pub audit_log: Option<PathBuf>,
    /// Whether this is the `KFORGE_E2E_KUBECONFIG` cluster rather than a server started here.
    pub external: bool,
    /// The data directory (certificates, tokens, logs, etcd's data), removed at the end.
    /// `None` for an external cluster.
    pub data_dir: Option<PathBuf>,
    watcher: Option<Watcher>,
}

struct Watcher {
    /// The watcher's standard input; closing it stops the servers.
    pipe: Option<ChildStdin>,
    watcher: Child,
    servers: Vec<Child>,
}

/// The server shared by every test of this test binary, started on first use.
pub fn shared() -> &'static ApiServer {
    static SERVER: OnceLock<ApiServer> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var_os("KFORGE_E2E_KUBECONFIG") {
        Some(path) if !path.is_empty() => ApiServer::external(PathBuf::from(path)),
        _ => ApiServer::start(),
    })
}

/// The directory holding `kube-apiserver`, `kubeadm` and `etcd`: `KFORGE_KUBE_BIN`. Panics,
/// saying how to get them, when it is unset or incomplete.
pub fn kube_bin() -> PathBuf {
    let dir = std::env::var_os("KFORGE_KUBE_BIN")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "this test needs kube-apiserver, and KFORGE_KUBE_BIN is not set: {HOW_TO_GET_KUBE}"
            )
        });
    for name in ["kube-apiserver", "kubeadm", "etcd"] {
        assert!(
            dir.join(name).is_file(),
            "this test needs {name}, not found in KFORGE_KUBE_BIN={}: {HOW_TO_GET_KUBE}",
            dir.display()
        );
    }
    dir
}

/// The `kubeadm` built beside the server, for `kubeadm config validate`.
pub fn kubeadm() -> PathBuf {
    kube_bin().join("kubeadm")
}

impl ApiServer {
    fn external(kubeconfig: PathBuf) -> Self {
        assert!(
            kubeconfig.is_file(),
            "KFORGE_E2E_KUBECONFIG={} is not a file",
            kubeconfig.display()
        );
        ApiServer {
            kubeconfig,
            limited_kubeconfig: None,
            audit_log: None,
            external: true,
            data_dir: None,
            watcher: None,
        }
    }

    /// Starts etcd and kube-apiserver from `KFORGE_KUBE_BIN` and waits until `/readyz` says
    /// ready. Panics with the servers' last log lines when they do not get there.
    pub fn start() -> Self {
        let bin = kube_bin();
        let dir = tempfile::Builder::new()
            .prefix("kforge-apiserver-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a data directory: {e}"))
            .keep();
        let files = Files::make(&dir);

        // Free ports, held until just before the servers bind them.
        let listeners: Vec<TcpListener> = (0..3)
            .map(|_| {
                TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("no free port: {e}"))
            })
            .collect();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()).unwrap_or_default())
            .collect();
        let (client, peer, secure) = (ports[0], ports[1], ports[2]);
        drop(listeners);

        let etcd_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let etcd = spawn_logged(
            Command::new(bin.join("etcd"))
                .arg("--name=kforge-test")
                .arg(format!("--data-dir={}", dir.join("etcd").display()))
                .arg(format!("--listen-client-urls={etcd_url}"))
                .arg(format!("--advertise-client-urls={etcd_url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=kforge-test={peer_url}"))
                .arg("--unsafe-no-fsync")
                .arg("--log-level=warn"),
            &dir.join("etcd.log"),
        );
        let apiserver = spawn_logged(
            Command::new(bin.join("kube-apiserver"))
                .arg(format!("--etcd-servers={etcd_url}"))
                .arg("--bind-address=127.0.0.1")
                .arg("--advertise-address=127.0.0.1")
                .arg(format!("--secure-port={secure}"))
                .arg(format!("--cert-dir={}", dir.join("certs").display()))
                .arg(format!("--tls-cert-file={}", files.serving_cert.display()))
                .arg(format!(
                    "--tls-private-key-file={}",
                    files.serving_key.display()
                ))
                .arg(format!("--token-auth-file={}", files.tokens.display()))
                .arg("--authorization-mode=RBAC")
                .arg("--service-account-issuer=https://kubernetes.default.svc.cluster.local")
                .arg(format!(
                    "--service-account-key-file={}",
                    files.sa_public.display()
                ))
                .arg(format!(
                    "--service-account-signing-key-file={}",
                    files.sa_private.display()
                ))
                .arg("--service-cluster-ip-range=10.96.0.0/16")
                .arg("--allow-privileged=true")
                .arg(format!(
                    "--audit-policy-file={}",
                    files.audit_policy.display()
                ))
                .arg(format!("--audit-log-path={}", files.audit_log.display()))
                .arg("--audit-log-mode=blocking")
                .arg("--v=1"),
            &dir.join("kube-apiserver.log"),
        );
        let servers = vec![etcd, apiserver];

        // The watcher: on end of input, stop both process groups and remove the directory.
        let mut watcher = Command::new("bash")
            .arg("-c")
            .arg(WATCHER)
            .arg("kforge-apiserver-watcher")
            .arg(&dir)
            .args(servers.iter().map(|s| s.id().to_string()))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the watcher (bash): {e}"));
        let pipe = watcher.stdin.take();

        let mut server = ApiServer {
            kubeconfig: dir.join("kubeconfig"),
            limited_kubeconfig: Some(dir.join("kubeconfig-limited")),
            audit_log: Some(files.audit_log.clone()),
            external: false,
            data_dir: Some(dir.clone()),
            watcher: Some(Watcher {
                pipe,
                watcher,
                servers,
            }),
        };
        let url = format!("https://127.0.0.1:{secure}");
        write_kubeconfig(
            &server.kubeconfig,
            &url,
            &files.ca_cert,
            "admin",
            &files.admin_token,
        );
        if let Some(limited) = &server.limited_kubeconfig {
            write_kubeconfig(
                limited,
                &url,
                &files.ca_cert,
                "limited",
                &files.limited_token,
            );
        }
        server.wait_ready(&dir);
        server
    }

    fn wait_ready(&mut self, dir: &Path) {
        let start = Instant::now();
        loop {
            let ready = self
                .kubectl(&["get", "--raw", "/readyz"], None)
                .status
                .success();
            if ready {
                return;
            }
            let exited = self.watcher.as_mut().and_then(|w| {
                w.servers
                    .iter_mut()
                    .find_map(|s| s.try_wait().ok().flatten())
            });
            if exited.is_some() || start.elapsed() > READY_TIMEOUT {
                let logs = ["etcd.log", "kube-apiserver.log"]
                    .iter()
                    .map(|name| format!("--- {name} (last lines)\n{}", tail(&dir.join(name), 40)))
                    .collect::<Vec<_>>()
                    .join("\n");
                panic!(
                    "kube-apiserver did not become ready ({}):\n{logs}",
                    match exited {
                        Some(status) => format!("a server exited: {status}"),
                        None => format!("not ready after {READY_TIMEOUT:?}"),
                    }
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The process ids of etcd and kube-apiserver (each leads its own process group), and of
    /// the watcher; empty for an external cluster.
    pub fn pids(&self) -> Vec<u32> {
        self.watcher.as_ref().map_or_else(Vec::new, |w| {
            w.servers
                .iter()
                .chain([&w.watcher])
                .map(Child::id)
                .collect()
        })
    }

    /// Runs `kubectl --kubeconfig <admin kubeconfig> ARGS`, feeding `stdin` when given.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        kubectl_with(&self.kubeconfig, args, stdin)
    }
}

/// Runs `kubectl --kubeconfig KUBECONFIG ARGS`, feeding `stdin` when given (the bytes never
/// touch the disk).
pub fn kubectl_with(kubeconfig: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(super::tool("kubectl"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start kubectl: {e}"));
    let input = child.stdin.take();
    let bytes = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let (Some(mut input), Some(bytes)) = (input, bytes) {
            let _ = input.write_all(&bytes);
        }
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("kubectl did not finish: {e}"));
    let _ = writer.join();
    output
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(mut watcher) = self.watcher.take() {
            drop(watcher.pipe.take());
            let _ = watcher.watcher.wait();
            for server in &mut watcher.servers {
                let _ = server.wait();
            }
        }
    }
}

/// Stops the servers' process groups ($2, $3, ...) when its input ends, then removes the data
/// directory ($1).
const WATCHER: &str = r#"
dir=$1; shift
while read -r _; do :; done
for pid in "$@"; do kill -TERM -- "-$pid" 2>/dev/null; done
for _ in $(seq 50); do
  alive=0
  for pid in "$@"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for pid in "$@"; do kill -KILL -- "-$pid" 2>/dev/null; done
rm -rf -- "$dir"
"#;

fn spawn_logged(command: &mut Command, log: &Path) -> Child {
    let out = std::fs::File::create(log)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
    let err = out
        .try_clone()
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
    command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program()))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The keys, certificates and configuration files one server needs.
struct Files {
    ca_cert: PathBuf,
    serving_cert: PathBuf,
    serving_key: PathBuf,
    sa_private: PathBuf,
    sa_public: PathBuf,
    tokens: PathBuf,
    admin_token: String,
    limited_token: String,
    audit_policy: PathBuf,
    audit_log: PathBuf,
}

impl Files {
    fn make(dir: &Path) -> Self {
        let path = |name: &str| dir.join(name);
        let files = Files {
            ca_cert: path("ca.crt"),
            serving_cert: path("serving.crt"),
            serving_key: path("serving.key"),
            sa_private: path("sa.key"),
            sa_public: path("sa.pub"),
            tokens: path("tokens.csv"),
            admin_token: format!("{:032x}", rand::random::<u128>()),
            limited_token: format!("{:032x}", rand::random::<u128>()),
            audit_policy: path("audit-policy.yaml"),
            audit_log: path("audit.log"),
        };
        let ca_key = path("ca.key");
        let p = |p: &Path| p.display().to_string();
        certificate(
            "/CN=kforge-test-ca",
            &ca_key,
            &files.ca_cert,
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        certificate(
            "/CN=kube-apiserver",
            &files.serving_key,
            &files.serving_cert,
            &[
                "-CA",
                &p(&files.ca_cert),
                "-CAkey",
                &p(&ca_key),
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
            ],
        );
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &p(&files.sa_private),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &p(&files.sa_private),
            "-pubout",
            "-out",
            &p(&files.sa_public),
        ]);
        write(
            &files.tokens,
            &format!(
                "{},admin,admin,system:masters\n{},limited,limited\n",
                files.admin_token, files.limited_token
            ),
        );
        write(
            &files.audit_policy,
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n",
        );
        files
    }
}

/// A new P-256 key and a certificate for it, valid for a week: self-signed, or signed by the
/// CA that `extra` names with `-CA`/`-CAkey`.
fn certificate(subject: &str, key: &Path, cert: &Path, extra: &[&str]) {
    let (key, cert) = (key.display().to_string(), cert.display().to_string());
    let mut args = vec![
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "7",
        "-subj",
        subject,
        "-keyout",
        &key,
        "-out",
        &cert,
    ];
    args.extend_from_slice(extra);
    openssl(&args);
}

fn openssl(args: &[&str]) {
    let output = Command::new(super::tool("openssl"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}"));
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn write_kubeconfig(path: &Path, server: &str, ca: &Path, user: &str, token: &str) {
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kforge-test", "cluster": {
            "server": server,
            "certificate-authority": ca,
        }}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": "kforge-test", "context": {
            "cluster": "kforge-test",
            "user": user,
            "namespace": "default",
        }}],
        "current-context": "kforge-test",
    });
    write(path, &config.to_string());
}
