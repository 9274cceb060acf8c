//! Writes a synthetic repository (blueprints/ and overlays/) of about N objects per
//! environment into DIR, for benchmarks and profiling.
//! Run: `cargo run --release --example synthetic_repo DIR [OBJECTS]`.

use kforge::synthetic;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "synthetic".into()));
    let objects: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let apps = synthetic::apps_for(objects);
    for (path, text) in synthetic::repository(objects) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir))?;
        std::fs::write(path, text)?;
    }
    println!("{}: {apps} apps", dir.display());
    Ok(())
}
