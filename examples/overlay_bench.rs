//! Measures what environments cost: `kforge render` of a generated blueprint of about 10,000
//! objects as base alone, against base plus two overlays (dev, prod) in one run. Issue 5's
//! target: the three environments cost at most 3.5x the base alone, because the blueprint is
//! read and parsed once and the environments compile in parallel.
//! Run: `cargo run --release --example overlay_bench [OBJECTS]`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use kforge::synthetic;

/// The median wall time of `runs` runs of a kforge command; `render` writes into a fresh
/// output directory each time.
fn median(root: &Path, command: &str, args: &[&str], runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|run| {
            let out = root.join(format!("out-{command}-{}-{run}", args.join("-")));
            let out_text = out.display().to_string();
            let mut argv = vec!["kforge", command];
            if command == "render" {
                argv.extend(["--out", out_text.as_str()]);
            }
            argv.extend_from_slice(args);
            let start = Instant::now();
            let code = kforge::cli::run_from(argv);
            let elapsed = start.elapsed().as_secs_f64();
            assert!(code == ExitCode::SUCCESS, "kforge {command} failed");
            // Output directories are kept until the end: on this ext4 (mounted with
            // `discard`), creating files right after deleting as many costs several times
            // more kernel time and would measure the deletion.
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() -> std::io::Result<()> {
    let objects: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let apps = synthetic::apps_for(objects);
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    for (path, text) in synthetic::repository(objects) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(root))?;
        std::fs::write(path, text)?;
    }
    std::env::set_current_dir(root)?;
    // Warm the page cache and the lazily compiled schema once.
    median(root, "check", &["--env", "base"], 1);
    let check_base = median(root, "check", &["--env", "base"], 5);
    let check_all = median(root, "check", &[], 5);
    let render_base = median(root, "render", &["--env", "base"], 3);
    let render_all = median(root, "render", &[], 3);
    eprintln!();
    println!(
        "blueprint: {apps} apps, about {} objects per environment; {} cores",
        apps * synthetic::OBJECTS_PER_APP,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("                       base only   base+dev+prod   ratio (target <= 3.5x)");
    for (what, base, all) in [
        ("check (compile only)", check_base, check_all),
        ("render (and write)", render_base, render_all),
    ] {
        println!(
            "{what:<22} {:>9.0} ms {:>12.0} ms {:>9.2}x",
            base * 1e3,
            all * 1e3,
            all / base
        );
    }
    Ok(())
}
