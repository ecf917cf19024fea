//! Settings shared by every face of swmq: defaults, the environment variables, the config
//! file's contexts, and the resolved configuration the CLI hands to commands and the TUI.
//!
//! Precedence, highest first: command-line flags > environment (`SWMQ_*`) > the context
//! (`--context`, `SWMQ_CONTEXT`, else the file's `current-context`) > defaults. TLS
//! settings not given by any of those come from a SeaweedFS `security.toml` (given, or
//! found where `weed` looks). [`resolve`] is pure (environment and files are passed in),
//! so precedence is unit-tested; every value keeps its [`Source`] for `swmq config show`.

pub(crate) mod file;
pub(crate) mod security;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::client::{ConnectOptions, ProtocolChoice, TlsOptions};
use file::ConfigFile;

pub(crate) use crate::client::transport::{DEFAULT_BROKER, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FILER};
/// Default capacity of the TUI's tail ring buffer, in records.
pub(crate) const DEFAULT_TUI_BUFFER: usize = crate::tui::buffer::DEFAULT_CAPACITY;

/// Environment variable for the broker address.
pub(crate) const ENV_BROKER: &str = "SWMQ_BROKER";
/// Environment variable for the filer address.
pub(crate) const ENV_FILER: &str = "SWMQ_FILER";
/// Environment variable with a log filter (`debug`, `swmq=trace`) for one-shot commands,
/// which then log to stderr.
pub(crate) const ENV_LOG: &str = "SWMQ_LOG";
/// Environment variable that turns on read-only mode (`1`, `true`, `yes`, `on`).
pub(crate) const ENV_READ_ONLY: &str = "SWMQ_READ_ONLY";
/// Environment variable naming the context.
pub(crate) const ENV_CONTEXT: &str = "SWMQ_CONTEXT";
/// Environment variable for `--protocol`.
pub(crate) const ENV_PROTOCOL: &str = "SWMQ_PROTOCOL";
/// Environment variable for `--connect-timeout` (seconds).
pub(crate) const ENV_CONNECT_TIMEOUT: &str = "SWMQ_CONNECT_TIMEOUT";
/// Environment variable for `--utc` (`1`, `true`, `yes`, `on`).
pub(crate) const ENV_UTC: &str = "SWMQ_UTC";
/// Environment variable for `--tls-ca`.
pub(crate) const ENV_TLS_CA: &str = "SWMQ_TLS_CA";
/// Environment variable for `--tls-cert`.
pub(crate) const ENV_TLS_CERT: &str = "SWMQ_TLS_CERT";
/// Environment variable for `--tls-key`.
pub(crate) const ENV_TLS_KEY: &str = "SWMQ_TLS_KEY";
/// Environment variable for `--tls-server-name`.
pub(crate) const ENV_TLS_SERVER_NAME: &str = "SWMQ_TLS_SERVER_NAME";
pub(crate) use security::ENV_SECURITY_TOML;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env(String),
    /// A context of the config file.
    Context(String),
    /// A SeaweedFS security.toml.
    SecurityToml(PathBuf),
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Context(c) => write!(f, "context {c}"),
            Source::SecurityToml(p) => write!(f, "security.toml {}", p.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// One resolved value and its source, for `swmq config show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The setting's name (as in the config file).
    pub key: &'static str,
    /// Its value (empty: unset).
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// The configuration every command runs with (global flags resolved with env, context
/// and defaults).
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
    /// The context in use.
    pub context: Option<String>,
    /// Every resolved value with its source.
    pub settings: Vec<Setting>,
    /// The config file consulted.
    pub config_path: PathBuf,
}

impl Config {
    /// A configuration for `broker` with every other setting at its default.
    pub fn new(broker: impl Into<String>) -> Self {
        Config {
            connect: ConnectOptions::new(broker),
            read_only: false,
            utc: false,
            tui_buffer: DEFAULT_TUI_BUFFER,
            log_file: None,
            context: None,
            settings: Vec::new(),
            config_path: PathBuf::new(),
        }
    }

    /// Why writes are refused, when they are.
    pub fn read_only_reason(&self) -> Option<String> {
        if !self.read_only {
            return None;
        }
        let src = self.settings.iter().find(|s| s.key == "read-only");
        Some(match src.map(|s| &s.source) {
            Some(Source::Context(c)) => format!("context {c} is read-only"),
            Some(Source::Env(v)) => format!("read-only mode ({v} is set)"),
            _ => "read-only mode (--read-only)".to_string(),
        })
    }
}

/// The global flags as given on the command line (`None`/`false`: not given).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub broker: Option<String>,
    pub filer: Option<String>,
    pub protocol: Option<ProtocolChoice>,
    pub read_only: bool,
    pub utc: bool,
    pub connect_timeout: Option<Duration>,
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_server_name: Option<String>,
    pub security_toml: Option<PathBuf>,
    pub context: Option<String>,
    pub buffer: Option<usize>,
    pub log_file: Option<PathBuf>,
}

/// What resolution reads besides the flags (so that it can be tested without a process
/// environment or a home directory).
pub(crate) struct Inputs<'a> {
    /// The environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The config file's path and contents.
    pub file_path: &'a Path,
    /// The parsed config file.
    pub file: &'a ConfigFile,
    /// The home directory (for the security.toml lookup).
    pub home: Option<&'a Path>,
}

/// Parses a boolean from the environment.
pub(crate) fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "{s:?} is not a boolean (1/0, true/false, yes/no, on/off)"
        )),
    }
}

/// A context name: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
pub(crate) fn validate_context_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid context name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        ))
    }
}

/// Parses a timeout in seconds (`3`, `0.5`): positive, finite, at most one hour.
pub(crate) fn parse_timeout_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v <= 0.0 || v > 3600.0 {
        return Err(format!("{s:?} must be between 0 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(v))
}

mod resolve;
pub(crate) use resolve::resolve;

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

    #[test]
    fn names_and_booleans() {
        assert!(validate_context_name("prod-eu.1").is_ok());
        for bad in ["", "a b", "a/b", "ü", &"x".repeat(65)] {
            assert!(validate_context_name(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
