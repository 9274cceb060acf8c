//! `kforge init`: a starter repository whose first render is clean — a blueprint that shows
//! the main features in comments, the blueprint schema for editors, a `.sops.yaml` hint, a
//! `.gitignore` for age keys, and the CI workflow of docs/ci.md.

use std::path::{Path, PathBuf};

use super::exit::Exit;
use super::{print_error, usage};
use crate::load::schema::blueprint_schema_text;
use crate::write::WriteError;

/// The starter blueprint (`tests/cli.rs` renders it: exit 0, no warnings).
pub const STARTER: &str = include_str!("starter/starter.yaml");
const SOPS_HINT: &str = include_str!("starter/sops.yaml");
const GITIGNORE: &str = include_str!("starter/gitignore");
/// The workflow docs/ci.md describes, as the repository ships it.
const WORKFLOW: &str = include_str!("../../docs/examples/github-workflow.yaml");

struct Planned {
    path: PathBuf,
    text: String,
    /// A file a repository may already have: kept as it is, and said so.
    optional: bool,
}

pub(super) fn run(dir: &Path) -> Exit {
    let planned = [
        ("blueprints/starter.yaml", STARTER.to_owned(), false),
        (
            "schemas/blueprint.schema.json",
            blueprint_schema_text(),
            false,
        ),
        (".sops.yaml", SOPS_HINT.to_owned(), true),
        (".gitignore", GITIGNORE.to_owned(), true),
        (".github/workflows/kforge.yaml", WORKFLOW.to_owned(), true),
    ]
    .map(|(path, text, optional)| Planned {
        path: dir.join(path),
        text,
        optional,
    });
    if let Some(taken) = planned.iter().find(|p| !p.optional && p.path.exists()) {
        return usage(format!(
            "`{}` already exists; kforge init never overwrites files",
            taken.path.display()
        ));
    }
    let mut created = Vec::new();
    let mut kept = Vec::new();
    for file in &planned {
        if file.path.exists() {
            kept.push(file.path.display().to_string());
            continue;
        }
        if let Err(error) = write(&file.path, &file.text) {
            print_error(&error.into(), false);
            return Exit::BadInput;
        }
        created.push(file.path.display().to_string());
    }
    eprintln!("created {}", created.join(", "));
    if !kept.is_empty() {
        eprintln!("kept {} as they were", kept.join(", "));
    }
    eprintln!("next: kforge render, then kforge explain FIELD to learn the format");
    Exit::Success
}

fn write(path: &Path, text: &str) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}
