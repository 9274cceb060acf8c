//! What the integration tests need from outside the crate: external tools and the pinned
//! third-party data `scripts/test.sh` fetches into `target/third-party/`.
//!
//! A test that needs one is `#[ignore = "needs <tool>: run scripts/test.sh"]`, so a plain
//! `cargo test` lists it as ignored by name; `scripts/test.sh` (and so CI) runs the ignored
//! tests too. Once it runs, a missing tool or data directory is a panic that says what to do,
//! never an early return that would count as a pass.

#![allow(dead_code, clippy::panic)]

use std::path::{Path, PathBuf};

/// How to get every tool and data set the ignored tests need.
pub const HOW_TO_GET: &str = "run ./scripts/test.sh (it installs the tools, fetches the pinned data and exports \
     KFORGE_TOOLS_BIN and KFORGE_CALICO_CRDS), or run the test with those set";

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
