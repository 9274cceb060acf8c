//! What the integration tests need from outside the crate: external tools and the pinned
//! third-party data `scripts/test.sh` fetches into `target/third-party/`.
//!
//! A test that needs one is `#[ignore = "needs <tool>: run scripts/test.sh"]`, so a plain
//! `cargo test` lists it as ignored by name; `scripts/test.sh` (and so CI) runs the ignored
//! tests too. Once it runs, a missing tool or data directory is a panic that says what to do,
//! never an early return that would count as a pass.

#![allow(dead_code, clippy::panic)]

pub mod git;

use std::path::{Path, PathBuf};

/// How to get every tool and data set the ignored tests need.
pub const HOW_TO_GET: &str = "run ./scripts/test.sh (it installs the tools, fetches the pinned data and exports \
     KFORGE_TOOLS_BIN, KFORGE_CALICO_CRDS and KFORGE_THIRD_PARTY), or run the test with those set";

/// The path of an external command: from `KFORGE_TOOLS_BIN` (the venv `scripts/test.sh`
/// sets up), else from `PATH`. Panics when neither has it.
pub fn tool(name: &str) -> PathBuf {
    let from_tools_bin = std::env::var_os("KFORGE_TOOLS_BIN").map(|bin| Path::new(&bin).join(name));
    let from_path = || {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|candidate| candidate.is_file())
        })
    };
    from_tools_bin
        .filter(|candidate| candidate.is_file())
        .or_else(from_path)
        .unwrap_or_else(|| {
            panic!("this test needs `{name}`, found neither in KFORGE_TOOLS_BIN nor on PATH: {HOW_TO_GET}")
        })
}

/// Cargo's target directory as the test script sees it: `CARGO_TARGET_DIR`, else `target/`.
fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |dir| root.join(dir))
}

/// The directory of the pinned Calico CRDs: `KFORGE_CALICO_CRDS`, else
/// `target/third-party/calico`. Panics when it holds no stamp of a completed fetch.
pub fn calico_crds() -> PathBuf {
    let dir = std::env::var_os("KFORGE_CALICO_CRDS")
        .map_or_else(|| target_dir().join("third-party/calico"), PathBuf::from);
    assert!(
        dir.join(".pinned").is_file(),
        "this test needs the pinned Calico CRDs, not found in {}: {HOW_TO_GET}",
        dir.display()
    );
    dir
}

/// A directory of pinned third-party data (`flux-source`, `flux-kustomize`, `argocd`, ...):
/// `KFORGE_THIRD_PARTY/<name>`, else `target/third-party/<name>`. Panics when it holds no
/// stamp of a completed fetch.
pub fn third_party(name: &str) -> PathBuf {
    let root = std::env::var_os("KFORGE_THIRD_PARTY")
        .map_or_else(|| target_dir().join("third-party"), PathBuf::from);
    let dir = root.join(name);
    assert!(
        dir.join(".pinned").is_file(),
        "this test needs the pinned third-party data `{name}`, not found in {}: {HOW_TO_GET}",
        dir.display()
    );
    dir
}

/// The files of `tests/corpus/<kind>/` (`valid` or `invalid`) that are cases, sorted: YAML
/// and JSON files, not the `.expect` sidecars.
pub fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "json"))
        .collect();
    files.sort();
    files
}

/// What one run of the `kforge` binary printed, and its exit status.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `kforge` binary in `dir` as a user would, without colour and without an age
/// identity from the caller's environment (only those `env` gives), feeding `stdin` when
/// given.
pub fn run_kforge(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
    stdin: Option<&[u8]>,
) -> Run {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kforge"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("SOPS_AGE_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start kforge: {e}"));
    let input = child.stdin.take();
    let bytes = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(mut input) = input {
            let _ = input.write_all(&bytes);
        }
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("kforge did not finish: {e}"));
    let _ = writer.join();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub mod apiserver;
