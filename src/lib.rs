//! swmq: a terminal inspector and administration tool for the SeaweedFS message queue.
//!
//! One library behind three faces: the TUI ([`tui`]), the scriptable CLI ([`cli`]) and an
//! embedded broker speaking the original SeaweedFS messaging protocol ([`broker`]).

// The public surface is documented (the binary, tests and benchmarks are other crates:
// the lint is set here, not in Cargo.toml, so it covers the library only).
#![warn(missing_docs)]

pub mod broker;
pub mod cli;
pub mod client;
pub(crate) mod config;
pub(crate) mod fields;
pub(crate) mod format;
pub mod link;
pub mod matcher;
pub(crate) mod names;
pub mod proto;
pub mod time;
pub mod tui;
