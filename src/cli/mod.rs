//! The scriptable CLI. PLACEHOLDER: being written.

pub mod serve;

/// Runs the CLI; returns the process exit code.
pub fn run() -> i32 {
    0
}
