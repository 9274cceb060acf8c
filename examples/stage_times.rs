//! Times each pipeline stage on a generated blueprint of about N objects, to see where a
//! render spends its time. Run: `cargo run --release --example stage_times [OBJECTS]`.

use std::time::Instant;

use kforge::diagnostic::SourceFile;
use kforge::{check, emit, expand, load, review, synthetic};

fn main() {
    let objects: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let apps = synthetic::apps_for(objects);
    let text = synthetic::blueprint("big", apps);
    let mut stages: Vec<(&str, f64)> = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, stages: &mut Vec<(&str, f64)>| {
        stages.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let file = SourceFile::new("big.yaml", text);
    let (document, spans) = load::parse_blueprint(&file).unwrap_or_else(|_| std::process::exit(2));
    lap("parse (marked-yaml, spans)", &mut stages);
    let loaded =
        load::from_value(document, spans, ".".into()).unwrap_or_else(|_| std::process::exit(2));
    lap("schema + serde", &mut stages);
    let problems = check::check(&loaded);
    lap("check", &mut stages);
    let objects = expand::expand(&loaded, &expand::Inputs::default())
        .unwrap_or_else(|_| std::process::exit(2));
    lap("expand", &mut stages);
    let findings = review::objects(&loaded, &objects);
    lap("review (xref + lint)", &mut stages);
    let files = emit::emit(loaded.name(), &objects).unwrap_or_else(|_| std::process::exit(2));
    lap("emit", &mut stages);
    println!(
        "{apps} apps, {} objects, {} files, {} problems, {} findings",
        objects.len(),
        files.len(),
        problems.len(),
        findings.len()
    );
    let total: f64 = stages.iter().map(|(_, t)| t).sum();
    for (name, t) in &stages {
        println!("{name:<28} {:>8.1} ms", t * 1e3);
    }
    println!("{:<28} {:>8.1} ms", "total", total * 1e3);
}
