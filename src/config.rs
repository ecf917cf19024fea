//! Settings shared by every face of swmq: defaults, the environment variables that
//! override them, and the resolved configuration the CLI hands to commands and the TUI.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::{ConnectOptions, ProtocolChoice};

/// Default broker address (`--broker`, env [`ENV_BROKER`]).
pub const DEFAULT_BROKER: &str = "localhost:17777";
/// Default filer gRPC address (`--filer`, env [`ENV_FILER`]).
pub const DEFAULT_FILER: &str = "localhost:18888";
/// Default connect (and protocol detection) timeout in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: f64 = 3.0;
/// Default capacity of the TUI's tail ring buffer, in records.
pub const DEFAULT_TUI_BUFFER: usize = crate::tui::buffer::DEFAULT_CAPACITY;

/// Environment variable for the broker address.
pub const ENV_BROKER: &str = "SWMQ_BROKER";
/// Environment variable for the filer address.
pub const ENV_FILER: &str = "SWMQ_FILER";
/// Environment variable with a log filter (`debug`, `swmq=trace`) for one-shot commands,
/// which then log to stderr.
pub const ENV_LOG: &str = "SWMQ_LOG";
/// Environment variable that turns on read-only mode (`1`, `true`, `yes`, `on`).
pub const ENV_READ_ONLY: &str = "SWMQ_READ_ONLY";

/// The configuration every command runs with (global flags resolved with env and defaults).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where and how to connect.
    pub connect: ConnectOptions,
    /// Refuse anything that writes (publish, delete, channel close).
    pub read_only: bool,
    /// Show times in UTC instead of local time.
    pub utc: bool,
    /// TUI tail buffer capacity.
    pub tui_buffer: usize,
    /// TUI log file.
    pub log_file: Option<PathBuf>,
}

impl Config {
    /// A configuration for `broker` with every other setting at its default.
    pub fn new(broker: impl Into<String>) -> Self {
        Config {
            connect: ConnectOptions {
                broker: broker.into(),
                filer: DEFAULT_FILER.to_string(),
                protocol: ProtocolChoice::Auto,
                connect_timeout: Duration::from_secs_f64(DEFAULT_CONNECT_TIMEOUT_SECS),
            },
            read_only: false,
            utc: false,
            tui_buffer: DEFAULT_TUI_BUFFER,
            log_file: None,
        }
    }
}

/// Parses a timeout in seconds (`3`, `0.5`): positive, finite, at most one hour.
pub fn parse_timeout_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v <= 0.0 || v > 3600.0 {
        return Err(format!("{s:?} must be between 0 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout_secs("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_timeout_secs("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "abc", "inf", "NaN", "7200"] {
            assert!(parse_timeout_secs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c = Config::new("h:1");
        assert_eq!(c.connect.broker, "h:1");
        assert_eq!(c.connect.filer, DEFAULT_FILER);
        assert_eq!(c.connect.connect_timeout, Duration::from_secs(3));
        assert!(!c.read_only);
    }
}
