//! Every integration test of swmq, in one test binary (one module per area), so that the
//! suite links once and the tests that need the real SeaweedFS share one `weed`
//! ([`support::weed::weed`]). Run one module's tests with
//! `scripts/test --test it client_mq::`. Adding a file: put it here as `tests/it/NAME.rs`
//! with `use crate::support;` (and `use crate::cli_common;`) where a test file of its
//! own would say `mod support;`, and add `mod NAME;` below.
#![allow(clippy::unwrap_used)] // tests fail loudly

mod cli_common;
mod grep_common;
mod support;

mod broker_admin;
mod broker_crash;
mod broker_demo;
mod broker_durability;
mod broker_edges;
mod broker_errors;
mod broker_fanout;
mod broker_lifecycle;
mod broker_semantics;
mod chan_consumed;
mod cli_chan_bulk;
mod cli_demo;
mod cli_legacy;
mod cli_links;
mod cli_mq;
mod cli_safety;
mod cli_tty;
mod cli_usage;
mod client_legacy;
mod client_legacy_errors;
mod client_legacy_filer;
mod client_legacy_grow;
mod client_legacy_v2only;
mod client_mq;
mod client_mq_admin;
mod client_mq_files;
mod client_mq_files_deleted;
mod client_mq_ports;
mod client_mq_regen;
mod client_mq_resume;
mod cluster_brokers;
mod cluster_faults;
mod cluster_operators;
mod consumed_4x;
mod detect;
mod grep_cli;
mod grep_embedded;
mod grep_tty;
mod grep_weed;
mod mq_operators;
mod mq_schema;
mod tls_cli;
mod tls_embedded;
mod tls_https;
mod tls_weed;
mod tui_chan_e2e;
mod tui_e2e;
mod tui_find_e2e;
mod tui_find_snapshots;
mod tui_inspector;
mod tui_keys_e2e;
mod tui_links_e2e;
mod tui_links_snapshots;
mod tui_pages;
mod tui_snapshots;
mod tui_snapshots_day;
mod tui_worker;
