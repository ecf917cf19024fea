//! The TUI: a topic browser, a live tail, a timestamp scrubber, publish and delete.
//!
//! Elm style: a [`model::Model`], a pure [`update::update`] that returns
//! [`msg::Effect`]s, and a side-effect-free [`view::view`]. One task ([`app`]) owns the
//! terminal; a worker actor ([`worker`]) owns the client. Keys are data ([`keymap`]).

pub(crate) mod app;
pub(crate) mod buffer;
pub(crate) mod detail_text;
pub(crate) mod dialog;
pub(crate) mod find;
pub(crate) mod find_task;
pub(crate) mod help;
pub mod inspector;
pub(crate) mod keymap;
pub mod layout;
pub mod model;
pub mod msg;
pub mod pages;
pub(crate) mod picker;
pub(crate) mod position;
pub(crate) mod query;
pub(crate) mod theme;
pub mod update;
pub mod view;
pub mod worker;

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
    /// The config file context in use.
    pub context: Option<String>,
    /// Every context the picker offers, resolved.
    pub contexts: Vec<ContextChoice>,
    /// Land on this shared position at start (`swmq open LINK`).
    pub open: Option<crate::link::Link>,
}

/// A context the TUI can switch to, with its settings resolved.
#[derive(Debug, Clone)]
pub struct ContextChoice {
    /// Its name.
    pub name: String,
    /// Where and how to connect.
    pub connect: ConnectOptions,
    /// Whether writes are refused there.
    pub read_only: bool,
    /// Times in UTC.
    pub utc: bool,
}

/// Runs the TUI until the user quits; restores the terminal on every exit path.
pub async fn run(opts: TuiOptions) -> anyhow::Result<()> {
    app::run(opts).await
}
