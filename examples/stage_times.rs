//! Times each pipeline stage on a generated blueprint of about N objects, to see where a
//! render spends its time: the same stage functions `kforge render` runs, on a repository
//! held in memory. Run: `cargo run --release --example stage_times [OBJECTS]`.

use std::time::Instant;

// The same allocator as the kforge binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kforge::pipeline::{self, MemoryFiles, Plan, RepoPath};
use kforge::synthetic;

/// CPU time of the whole process so far (user + system, every thread), from /proc; 10 ms
/// resolution.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with `)`): utime and stime are 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / 100.0
}

/// Resident memory now, in MiB (from /proc).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn main() {
    let objects: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let apps = synthetic::apps_for(objects);
    let text = synthetic::blueprint("big", apps);
    let mut stages: Vec<(&str, f64, f64, f64)> = Vec::new();
    let mut clock = Instant::now();
    let mut cpu = cpu_seconds();
    let mut lap = |name: &'static str, stages: &mut Vec<(&str, f64, f64, f64)>| {
        let now = cpu_seconds();
        stages.push((name, clock.elapsed().as_secs_f64(), now - cpu, rss_mib()));
        clock = Instant::now();
        cpu = now;
    };
    let fail = |stage: &str| -> ! {
        eprintln!("the generated blueprint failed at {stage}");
        std::process::exit(2)
    };
    let files = MemoryFiles::new()
        .with("blueprints/big.yaml", text)
        .unwrap_or_else(|_| fail("setup"));
    let path = RepoPath::new("blueprints/big.yaml").unwrap_or_else(|_| fail("setup"));
    let plan = Plan::new(&files, &[path], &[]).unwrap_or_else(|_| fail("plan"));
    lap("plan (read, parse, spans)", &mut stages);
    let Some(target) = plan.targets.first() else {
        fail("plan")
    };
    let loaded = pipeline::load(&target.parsed, None).unwrap_or_else(|_| fail("load"));
    lap("load (schema + serde)", &mut stages);
    let checked = pipeline::check(loaded).unwrap_or_else(|_| fail("check"));
    lap("check", &mut stages);
    let inputs = pipeline::inputs::read(checked.loaded(), &files, &|_| None);
    let expanded = pipeline::expand(checked, inputs).unwrap_or_else(|_| fail("expand"));
    lap("expand + schemas", &mut stages);
    let reviewed = pipeline::review(expanded).unwrap_or_else(|_| fail("review"));
    lap("review (xref + lint)", &mut stages);
    let rendered = pipeline::emit(reviewed, "base").unwrap_or_else(|_| fail("emit"));
    lap("emit", &mut stages);
    println!(
        "{apps} apps, {} objects, {} files, {} warnings",
        rendered.objects.len(),
        rendered.tree.len(),
        rendered.warnings.len()
    );
    let total: f64 = stages.iter().map(|(_, t, _, _)| t).sum();
    let total_cpu: f64 = stages.iter().map(|(_, _, c, _)| c).sum();
    println!(
        "{:<28} {:>11} {:>11} {:>13}",
        "stage", "wall", "cpu (all threads)", "RSS after"
    );
    for (name, t, c, rss) in &stages {
        println!(
            "{name:<28} {:>8.1} ms {:>8.0} ms {:>10.0} MiB",
            t * 1e3,
            c * 1e3,
            rss
        );
    }
    println!(
        "{:<28} {:>8.1} ms {:>8.0} ms",
        "total",
        total * 1e3,
        total_cpu * 1e3
    );
}
