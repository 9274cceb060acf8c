//! Throughput of `kforge validate`: writes 20,000 objects (2,000 files of 10 documents:
//! Deployments, Services, ConfigMaps, ServiceAccounts, PodDisruptionBudgets) into a temp dir,
//! runs the release binary on them, prints objects/s, then runs `kubernetes-validate --strict`
//! on a sample of the same files in the same run and prints the ratio.
//!
//! Run: `cargo build --release && cargo run --release --example validate_bench [KEEP_DIR]`
//! (kubernetes-validate is taken from KFORGE_TOOLS_BIN, else target/tools-venv/bin).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FILES: usize = 2_000;
const PER_FILE: usize = 10;
const SAMPLE_FILES: usize = 20;

/// Document `n` of a file: groups of five objects of one app (Deployment, its Service,
/// ConfigMap, ServiceAccount and PDB), written the way a careful team writes them, so that
/// the run measures validation rather than the printing of findings.
fn document(file: usize, n: usize) -> String {
    let name = format!("app-{file}-{}", n - n % 5);
    match n % 5 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: bench\n  labels: {{app.kubernetes.io/name: {name}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app.kubernetes.io/name: {name}}}\n  template:\n    metadata:\n      labels: {{app.kubernetes.io/name: {name}}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27.2\n          ports: [{{name: http, containerPort: 8080}}]\n          resources:\n            requests: {{cpu: 50m, memory: 64Mi}}\n            limits: {{cpu: 200m, memory: 128Mi}}\n          readinessProbe:\n            httpGet: {{path: /, port: http}}\n          livenessProbe:\n            tcpSocket: {{port: http}}\n          securityContext:\n            runAsNonRoot: true\n            readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n      serviceAccountName: {name}\n"
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: bench\nspec:\n  type: ClusterIP\n  selector: {{app.kubernetes.io/name: {name}}}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n"
        ),
        2 => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: bench\ndata:\n  LOG_LEVEL: info\n  config.yaml: |\n    listen: :8080\n    workers: 4\n"
        ),
        3 => format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: bench\nautomountServiceAccountToken: false\n"
        ),
        _ => format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n  namespace: bench\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {{app.kubernetes.io/name: {name}}}\n"
        ),
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kforge = root.join("target/release/kforge");
    assert!(
        kforge.exists(),
        "build the release binary first: cargo build --release"
    );
    // An optional argument keeps the generated files there, for profiling.
    let temp = tempfile::tempdir().unwrap();
    let kept = std::env::args().nth(1).map(PathBuf::from);
    let dir_path = kept.unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&dir_path).unwrap();
    let dir = dir_path.as_path();
    let mut bytes = 0;
    for file in 0..FILES {
        let text: Vec<String> = (0..PER_FILE).map(|n| document(file, n)).collect();
        let text = text.join("---\n");
        bytes += text.len();
        std::fs::write(dir.join(format!("f{file:04}.yaml")), text).unwrap();
    }
    let objects = FILES * PER_FILE;
    println!(
        "{objects} objects in {FILES} files ({:.1} MB)",
        bytes as f64 / 1e6
    );

    let start = Instant::now();
    let status = Command::new(&kforge)
        .args(["validate", "--output", "json"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let kforge_seconds = start.elapsed().as_secs_f64();
    assert!(status.success(), "kforge validate found problems: {status}");
    let kforge_rate = objects as f64 / kforge_seconds;
    println!("kforge validate: {kforge_seconds:.3} s, {kforge_rate:.0} objects/s");

    let tools = std::env::var_os("KFORGE_TOOLS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/tools-venv/bin"));
    let reference = tools.join("kubernetes-validate");
    if !reference.exists() {
        println!(
            "kubernetes-validate not found in {}; no ratio",
            tools.display()
        );
        return;
    }
    let sample: Vec<PathBuf> = (0..SAMPLE_FILES)
        .map(|f| dir.join(format!("f{f:04}.yaml")))
        .collect();
    let start = Instant::now();
    let status = Command::new(&reference)
        .args(["--strict", "--quiet", "-k", "1.33"])
        .args(sample.iter().map(PathBuf::as_path).map(Path::as_os_str))
        .status()
        .unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let sampled = SAMPLE_FILES * PER_FILE;
    let rate = sampled as f64 / seconds;
    println!(
        "kubernetes-validate --strict: {sampled} objects in {seconds:.3} s, {rate:.0} objects/s ({status})"
    );
    println!("ratio: kforge is {:.0}x faster", kforge_rate / rate);
}
