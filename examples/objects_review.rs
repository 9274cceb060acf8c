//! Measures the review of an object set: cross-resource checks (`xref::check_references`) and
//! lint rules (`lint::run`) over the objects a generated blueprint expands into (issue 7's
//! target: 10,000 objects in well under 0.5 s, together with the rest of a render).
//! Run: `cargo run --release --example objects_review [APPS] [NAMESPACES]`.

use std::path::PathBuf;
use std::time::Instant;

use kforge::diagnostic::SourceFile;
use kforge::expand::{Inputs, expand};
use kforge::lint::{self, Settings};
use kforge::load::load_blueprint;
use kforge::xref;

fn blueprint(apps: usize, namespaces: usize) -> String {
    let mut text = String::from(
        "apiVersion: kforge.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bench\nspec:\n  namespaces:\n",
    );
    for n in 0..namespaces {
        text.push_str(&format!(
            "    - {{name: ns-{n}, isolation: default-deny}}\n"
        ));
    }
    text.push_str("  apps:\n");
    for i in 0..apps {
        text.push_str(&format!(
            "    - name: app-{i}\n      namespace: ns-{}\n      image: nginx:1.27.2\n      replicas: 2\n      ports: [{{name: http, port: 80}}]\n      config:\n        env: {{LOG_LEVEL: info}}\n        files: {{app.conf: \"x = 1\"}}\n        mountPath: /etc/app\n      resources: {{requests: {{cpu: 50m, memory: 64Mi}}, limits: {{memory: 128Mi}}}}\n      probes:\n        readiness: {{http: {{path: /ready, port: http}}}}\n        liveness: {{tcp: http}}\n      ingress:\n        className: nginx\n        hosts: [{{host: app-{i}.example.com, paths: [{{path: /}}]}}]\n      autoscale: {{minReplicas: 2, maxReplicas: 10}}\n      disruption: {{minAvailable: 1}}\n      rbac:\n        rules: [{{apiGroups: [\"\"], resources: [pods], verbs: [get]}}]\n      network:\n        ingress:\n          - from: {{ingressController: true}}\n",
            i % namespaces
        ));
    }
    text
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = std::hint::black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(value);
    }
    (best, last.unwrap_or_else(f))
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let apps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let namespaces: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let text = blueprint(apps, namespaces);
    let loaded = load_blueprint(SourceFile::new("bench.yaml", text), PathBuf::from("."))
        .map_err(|e| format!("{} load errors", e.len()))?;
    let objects =
        expand(&loaded, &Inputs::default()).map_err(|e| format!("{} expand errors", e.len()))?;
    let settings = Settings::from_blueprint(&loaded.blueprint);
    let (xref_s, references) = best_of(5, || xref::check_references(&objects, true));
    let (lint_s, findings) = best_of(5, || lint::run(&objects, &settings));
    let n = objects.len() as f64;
    println!(
        "{} objects ({apps} apps in {namespaces} namespaces), best of 5:",
        objects.len()
    );
    println!(
        "  xref::check_references  {:8.1} ms  {:>10.0} objects/s  ({} findings)",
        xref_s * 1e3,
        n / xref_s,
        references.len()
    );
    println!(
        "  lint::run (13 rules)    {:8.1} ms  {:>10.0} objects/s  ({} findings)",
        lint_s * 1e3,
        n / lint_s,
        findings.len()
    );
    println!(
        "  both                    {:8.1} ms",
        (xref_s + lint_s) * 1e3
    );
    println!("  per rule:");
    for code in lint::CODES {
        let (seconds, hits) = best_of(3, || code.rule.check(&objects));
        println!(
            "    {} {:<30} {:8.1} ms  ({} hits)",
            code.id,
            code.name,
            seconds * 1e3,
            hits.len()
        );
    }
    Ok(())
}
