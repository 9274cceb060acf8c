//! The `kforge` binary: everything happens in [`kforge::cli::run`].

fn main() -> std::process::ExitCode {
    kforge::cli::run()
}
