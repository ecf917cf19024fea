//! The TUI. PLACEHOLDER: being written.

use std::path::PathBuf;

use crate::client::ConnectOptions;

/// What the TUI needs from the command line.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// Where to connect.
    pub connect: ConnectOptions,
    /// Remove publish, close and delete.
    pub read_only: bool,
    /// Show times in UTC instead of local time.
    pub utc: bool,
    /// Tail ring-buffer capacity in records.
    pub buffer: usize,
    /// Log file (tracing); `None`: the XDG state dir default.
    pub log_file: Option<PathBuf>,
    /// A label for the status bar, e.g. "embedded demo".
    pub label: Option<String>,
}

/// Runs the TUI until the user quits; restores the terminal on every exit path.
pub async fn run(_opts: TuiOptions) -> anyhow::Result<()> {
    anyhow::bail!("the TUI is not built yet")
}
