//! Writes kforge's strict schema of every built-in kind (Kubernetes and Calico) of one
//! Kubernetes minor as one self-contained JSON Schema file per kind, named the way
//! kubeconform's `-schema-location` template finds them:
//! `DIR/<kind lowercased>-<group's first label>-<version>.json` (`deployment-apps-v1.json`,
//! `service-v1.json`, `networkpolicy-projectcalico-v3.json`).
//!
//! `scripts/bench.sh` hands these to kubeconform, so that both validators judge the same
//! manifests against the same schemas offline:
//! `kubeconform -schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'`.
//!
//! Usage: standalone_schemas DIR [VERSION]   (VERSION defaults to kforge's default minor)

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: standalone_schemas DIR [VERSION]");
        std::process::exit(2);
    };
    let version = args
        .next()
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_else(|| kforge::validate::DEFAULT_VERSION.to_owned());
    let validator = match kforge::validate::Validator::new(&version) {
        Ok(validator) => validator,
        Err(e) => {
            eprintln!("standalone_schemas: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("standalone_schemas: {}: {e}", dir.display());
        std::process::exit(1);
    }
    let mut written = 0;
    for (api_version, kind) in validator.builtin_kinds() {
        let Some(schema) = validator.standalone_schema(api_version, kind) else {
            continue;
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let first = group.split('.').next().unwrap_or_default();
        let suffix = if group.is_empty() {
            format!("-{}", version.to_lowercase())
        } else {
            format!("-{}-{}", first.to_lowercase(), version.to_lowercase())
        };
        let path = dir.join(format!("{}{suffix}.json", kind.to_lowercase()));
        if let Err(e) = std::fs::write(&path, schema.to_string()) {
            eprintln!("standalone_schemas: {}: {e}", path.display());
            std::process::exit(1);
        }
        written += 1;
    }
    println!(
        "{written} schemas of Kubernetes {} in {}",
        validator.version(),
        dir.display()
    );
}
