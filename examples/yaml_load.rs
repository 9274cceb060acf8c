//! Measures blueprint loading: kforge's span-aware loader (yaml-rust2 events + schema validation +
//! serde) against plain serde_yaml deserialisation without spans, on a generated blueprint.
//! Run: `cargo run --release --example yaml_load [APPS]`.

use std::path::PathBuf;
use std::time::Instant;

use kforge::diagnostic::SourceFile;
use kforge::load::{Blueprint, load_blueprint};

fn blueprint(apps: usize) -> String {
    let mut text = String::from(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bench\nspec:\n  apps:\n",
    );
    for i in 0..apps {
        text.push_str(&format!(
            "    - name: app-{i}\n      namespace: ns-{}\n      image: nginx:1.27.2\n      replicas: 2\n      ports: [{{name: http, port: 80}}]\n      env: {{A: \"1\", B: two}}\n      config:\n        env: {{LOG_LEVEL: info}}\n      resources: {{requests: {{cpu: 50m, memory: 64Mi}}, limits: {{cpu: 200m, memory: 128Mi}}}}\n      probes:\n        readiness: {{http: {{path: /ready, port: http}}, periodSeconds: 5}}\n      ingress:\n        hosts: [{{host: app-{i}.example.com, paths: [{{path: /}}]}}]\n      autoscale: {{minReplicas: 2, maxReplicas: 10, cpuUtilization: 60}}\n      disruption: {{minAvailable: 1}}\n",
            i % 20
        ));
    }
    text
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let apps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let text = blueprint(apps);
    let spanned = best_of(5, || {
        load_blueprint(
            SourceFile::new("bench.yaml", text.clone()),
            PathBuf::from("."),
        )
        .is_ok()
    });
    let plain = best_of(5, || serde_yaml::from_str::<Blueprint>(&text).is_ok());
    println!("blueprint: {apps} apps, {} bytes", text.len());
    println!(
        "kforge loader (spans, schema, serde)        : {:>8.1} ms",
        spanned * 1e3
    );
    println!(
        "serde_yaml 0.9 (no spans, first error only):       {:>8.1} ms",
        plain * 1e3
    );
}
