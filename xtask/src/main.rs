//! `cargo xtask <task>`: project automation written in Rust.
//!
//! No task exists yet: `figures` (regenerate every figure of docs/figures) is planned
//! and not implemented, so every call ends with a one-line error and exit code 2
//! rather than silently doing nothing.

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("figures") => eprintln!("error: `cargo xtask figures` is not implemented yet"),
        Some(other) => eprintln!("error: unknown task '{other}' (no tasks are implemented yet)"),
        None => eprintln!("error: no task given; usage: cargo xtask <task> (no tasks are implemented yet)"),
    }
    ExitCode::from(2)
}
