//! The `kforge` binary: everything happens in [`kforge::cli::run`].

/// kforge builds and drops many small strings and maps (YAML nodes, JSON values); mimalloc
/// serves that pattern markedly faster than the system allocator (ARCHITECTURE.md, choices).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kforge::cli::run()
}
