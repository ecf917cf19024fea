//! `swmq config init | show | path` and `swmq context list | use | add`.

use std::path::PathBuf;

use clap::Subcommand;

use super::args::{GlobalArgs, TextOrJson};
use super::output::Out;
use super::{CliError, CliResult, config_from};
use crate::config::file::{self, ContextSettings};

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

fn config_path() -> PathBuf {
    file::default_path(&env)
}

/// `swmq config ...`.
pub(super) fn config(g: &GlobalArgs, cmd: ConfigCommand) -> CliResult {
    match cmd {
        ConfigCommand::Init { force } => {
            let path = config_path();
            file::init(&path, force).map_err(CliError::runtime)?;
            println!("wrote {}", path.display());
            Ok(())
        }
        ConfigCommand::Path => {
            println!("{}", config_path().display());
            Ok(())
        }
        ConfigCommand::Show { format } => show(g, format),
    }
}

/// A value with control characters escaped (a path or name from a file or the
/// environment must not drive the terminal).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn show(g: &GlobalArgs, format: TextOrJson) -> CliResult {
    let cfg = config_from(g)?;
    let exists = cfg.config_path.is_file();
    let mut out = Out::new();
    if format == TextOrJson::Json {
        let v = serde_json::json!({
            "config_file": cfg.config_path,
            "config_file_exists": exists,
            "context": cfg.context,
            "settings": cfg.settings,
        });
        out.line(&v.to_string());
        return out.flush();
    }
    let note = if exists { "" } else { " (not there)" };
    out.line(&format!(
        "config file      {}{note}",
        printable(&cfg.config_path.display().to_string())
    ));
    if cfg.context.is_none() {
        out.line("context          (none)");
    }
    for s in &cfg.settings {
        let value = if s.value.is_empty() {
            "-".to_string()
        } else {
            printable(&s.value)
        };
        let source = printable(&s.source.to_string());
        out.line(&format!("{:<16} {value:<32} {source}", s.key));
    }
    out.flush()
}

/// `swmq context ...`.
pub(super) fn context(g: &GlobalArgs, cmd: ContextCommand) -> CliResult {
    let path = config_path();
    match cmd {
        ContextCommand::List => list(&path),
        ContextCommand::Use { name } => {
            file::set_current(&path, &name).map_err(CliError::runtime)?;
            println!("current context: {name}");
            Ok(())
        }
        ContextCommand::Add {
            name,
            replace,
            make_current,
        } => add(g, &path, &name, replace, make_current),
    }
}

fn list(path: &std::path::Path) -> CliResult {
    let (f, problem) = file::load(path);
    if let Some(p) = problem {
        return Err(CliError::runtime(p));
    }
    if f.contexts.is_empty() {
        eprintln!(
            "no contexts in {} (swmq context add NAME --broker HOST:PORT)",
            path.display()
        );
        return Ok(());
    }
    let mut out = Out::new();
    let active = env(crate::config::ENV_CONTEXT)
        .filter(|c| !c.is_empty())
        .or(f.current_context.clone());
    for (name, c) in &f.contexts {
        let mark = if active.as_deref() == Some(name) {
            "*"
        } else {
            " "
        };
        let mut notes = Vec::new();
        if c.read_only == Some(true) {
            notes.push("read-only");
        }
        if c.tls_ca.is_some() || c.tls_cert.is_some() || c.security_toml.is_some() {
            notes.push("tls");
        }
        let line = format!(
            "{mark} {:<16} {:<28} {}",
            name,
            c.broker.as_deref().unwrap_or(crate::config::DEFAULT_BROKER),
            notes.join(", ")
        );
        out.line(&printable(line.trim_end()));
    }
    out.flush()
}

fn add(
    g: &GlobalArgs,
    path: &std::path::Path,
    name: &str,
    replace: bool,
    make_current: bool,
) -> CliResult {
    crate::config::validate_context_name(name).map_err(CliError::usage)?;
    let (f, problem) = file::load(path);
    if let Some(p) = problem {
        return Err(CliError::runtime(format!("{p}; fix it first")));
    }
    if f.contexts.contains_key(name) && !replace {
        return Err(CliError::runtime(format!(
            "context {name:?} exists in {}; add --replace to replace it",
            path.display()
        )));
    }
    if g.broker.is_none() && g.security_toml.is_none() && g.tls_ca.is_none() {
        return Err(CliError::usage(format!(
            "context add {name}: give at least --broker (and --filer, --tls-*, --read-only…)"
        )));
    }
    let ctx = ContextSettings {
        broker: g.broker.clone(),
        filer: g.filer.clone(),
        protocol: g.protocol,
        read_only: g.read_only.then_some(true),
        utc: g.utc.then_some(true),
        connect_timeout: g.connect_timeout.map(|d| d.as_secs_f64()),
        tls_ca: g.tls_ca.clone().map(absolute),
        tls_cert: g.tls_cert.clone().map(absolute),
        tls_key: g.tls_key.clone().map(absolute),
        tls_server_name: g.tls_server_name.clone(),
        security_toml: g.security_toml.clone().map(absolute),
    };
    file::put_context(path, name, &ctx).map_err(CliError::runtime)?;
    if make_current || f.current_context.is_none() {
        file::set_current(path, name).map_err(CliError::runtime)?;
    }
    println!("context {name} saved in {}", path.display());
    Ok(())
}

/// A path made absolute against the current directory (a context is used from anywhere).
fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// Every context of the config file resolved for the TUI's picker: each one's own settings
/// (flags and environment that name a broker or TLS files do not follow a switch), kept
/// read-only when `--read-only` or `SWMQ_READ_ONLY` is set. A context that cannot be
/// resolved (its security.toml is gone) is left out with a warning in the log.
pub(super) fn tui_contexts(g: &GlobalArgs) -> Vec<crate::tui::ContextChoice> {
    let path = config_path();
    let (f, _) = file::load(&path);
    let home = dirs::home_dir();
    let no_env = |_: &str| None;
    let forced_read_only = g.read_only
        || env(crate::config::ENV_READ_ONLY)
            .is_some_and(|v| crate::config::parse_bool(&v) == Ok(true));
    let mut out = Vec::new();
    for name in f.contexts.keys() {
        let flags = crate::config::Flags {
            context: Some(name.clone()),
            ..Default::default()
        };
        let inputs = crate::config::Inputs {
            env: &no_env,
            file_path: &path,
            file: &f,
            home: home.as_deref(),
        };
        match crate::config::resolve(&flags, &inputs) {
            Ok((cfg, _)) => out.push(crate::tui::ContextChoice {
                name: name.clone(),
                connect: cfg.connect,
                read_only: cfg.read_only || forced_read_only,
                utc: cfg.utc,
            }),
            Err(e) => tracing::warn!(context = %name, "left out of the picker: {e}"),
        }
    }
    out
}

/// `swmq config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented example config file (SWMQ_CONFIG, else
    /// $XDG_CONFIG_HOME/swmq/config.toml).
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print every setting as resolved, with where it came from (flag, env, context,
    /// security.toml, default).
    Show {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Print the config file's path.
    Path,
}

/// `swmq context ...`.
#[derive(Debug, Subcommand)]
pub enum ContextCommand {
    /// List the contexts (* marks the one in use).
    List,
    /// Make NAME the current context (used without --context / SWMQ_CONTEXT).
    Use {
        /// The context.
        #[arg(add = super::complete::context_completer())]
        name: String,
    },
    /// Add (or with --replace, replace) context NAME from the connection flags given here:
    /// --broker, --filer, --protocol, --read-only, --utc, --connect-timeout, --tls-*,
    /// --security-toml.
    Add {
        /// The context's name.
        name: String,
        /// Replace an existing context of that name.
        #[arg(long)]
        replace: bool,
        /// Also make it the current context.
        #[arg(long = "use")]
        make_current: bool,
    },
}
