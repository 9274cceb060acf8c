//! Writes a synthetic repository (blueprints/ and overlays/) of about N objects per
//! environment into DIR, for benchmarks and profiling. `--findings` leaves out every app's
//! securityContext, so each app draws three lint warnings; `--findings-disabled` is the same
//! blueprint with those rules turned off in `spec.lint.disable`.
//! Run: `cargo run --release --example synthetic_repo DIR [OBJECTS] [--findings |
//! --findings-disabled]`.

use kforge::synthetic::{self, Findings};

fn main() -> std::io::Result<()> {
    let mut findings = Findings::None;
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--findings" => findings = Findings::Many,
            "--findings-disabled" => findings = Findings::Disabled,
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    let dir = std::path::PathBuf::from(positional.next().unwrap_or_else(|| "synthetic".into()));
    let objects: usize = positional
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let apps = synthetic::apps_for(objects);
    for (path, text) in synthetic::repository_with(objects, findings) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
        std::fs::write(path, text)?;
    }
    match findings {
        Findings::None => println!("{}: {apps} apps", dir.display()),
        Findings::Many | Findings::Disabled => println!(
            "{}: {apps} apps, each drawing {} lint warnings{}",
            dir.display(),
            synthetic::FINDING_RULES.len(),
            if findings == Findings::Disabled {
                " (disabled)"
            } else {
                ""
            }
        ),
    }
    Ok(())
}
