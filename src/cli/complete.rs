//! Shell completions (`swmq completions bash|zsh|fish`) with topic names completed from the
//! broker (clap_complete's dynamic engine), and the manual page (`swmq man`).
//!
//! The completion script calls `swmq` back with [`COMPLETE_VAR`] set and the words typed so
//! far; [`complete_from_env`] answers before anything else runs. Topic arguments carry
//! [`topic_completer`]: it connects as the line being completed would (its `--broker`,
//! `--filer`, `--protocol`, `--context`, `--tls-*`, `--security-toml`, then the environment
//! and the config file's context, TLS included), within a second, and offers the `NS/TOPIC`
//! names that start with what was typed. `--context` and `context use` complete the config
//! file's context names ([`context_completer`]). A broker that does not answer
//! offers nothing: completion never prints an error into the shell.

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::time::Duration;

use clap::CommandFactory;
use clap_complete::env::{Bash, EnvCompleter, Fish, Zsh};
use clap_complete::{ArgValueCompleter, CompletionCandidate};

use super::args::{Cli, CompletionShell, CompletionsArgs, ManArgs};
use super::error::{CliError, CliResult, output_error};
use crate::client::{ConnectOptions, ProtocolChoice};
use crate::config;

/// The variable the completion scripts set when they call swmq for candidates.
pub(super) const COMPLETE_VAR: &str = "_SWMQ_COMPLETE";

/// How long topic completion may take in all (connecting, detecting, listing).
const COMPLETE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Answers a completion request when [`COMPLETE_VAR`] is set (then exits); returns
/// otherwise.
pub(super) fn complete_from_env() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// Runs `swmq completions SHELL`: the registration script on stdout.
pub(super) fn completions(a: &CompletionsArgs) -> CliResult {
    let shell: &dyn EnvCompleter = match a.shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
    };
    let completer = completer_path();
    let mut buf = Vec::new();
    shell
        .write_registration(COMPLETE_VAR, "swmq", "swmq", &completer, &mut buf)
        .map_err(output_error)?;
    write_stdout(&buf)
}

/// The program the script calls back: as invoked (`swmq` on the PATH), or absolute when
/// invoked by a path.
fn completer_path() -> String {
    let arg0 = std::env::args_os().next().unwrap_or_else(|| "swmq".into());
    let p = std::path::PathBuf::from(&arg0);
    if p.components().count() > 1
        && p.is_relative()
        && let Ok(cwd) = std::env::current_dir()
    {
        return cwd.join(p).to_string_lossy().into_owned();
    }
    p.to_string_lossy().into_owned()
}

/// Runs `swmq man [COMMAND]`: the roff page on stdout.
pub(super) fn man(a: &ManArgs) -> CliResult {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match &a.command {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                return Err(CliError::usage(format!(
                    "man: no command {name:?}; commands: {}",
                    names.join(", ")
                )));
            };
            sub.clone().display_name(format!("swmq-{}", sub.get_name()))
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut buf)
        .map_err(output_error)?;
    write_stdout(&buf)
}

fn write_stdout(buf: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    out.write_all(buf).map_err(output_error)?;
    out.flush().map_err(output_error)
}

/// The completer of `NS/TOPIC` arguments.
pub(super) fn topic_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| complete_names(current, false))
}

/// The completer of channel names (`chan` commands): topics of namespace `chan`.
pub(super) fn channel_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| complete_names(current, true))
}

fn complete_names(current: &OsStr, channels: bool) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy().into_owned();
    let Some(opts) = options_from_line(std::env::args_os().collect()) else {
        return Vec::new();
    };
    let Some(names) = list_names(opts) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter_map(|t| {
            if channels {
                t.is_channel().then(|| t.name.clone())
            } else {
                Some(t.to_string())
            }
        })
        .filter(|n| n.starts_with(&prefix))
        .map(CompletionCandidate::new)
        .collect()
}

/// The global flags on the line being completed (the words after `--`).
fn flags_from_line(args: &[OsString]) -> config::Flags {
    let words: Vec<String> = args
        .iter()
        .skip_while(|a| *a != "--")
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut f = config::Flags::default();
    for (i, w) in words.iter().enumerate() {
        match w.as_str() {
            "--read-only" => f.read_only = true,
            "--utc" => f.utc = true,
            _ => {}
        }
        let (flag, value) = match w.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (w.as_str(), words.get(i + 1).cloned()),
        };
        let Some(v) = value else { continue };
        let path = || Some(std::path::PathBuf::from(&v));
        match flag {
            "--broker" => f.broker = Some(v.clone()),
            "--filer" => f.filer = Some(v.clone()),
            "--protocol" => {
                f.protocol = <ProtocolChoice as clap::ValueEnum>::from_str(&v, true).ok()
            }
            "--context" => f.context = Some(v.clone()),
            "--tls-ca" => f.tls_ca = path(),
            "--tls-cert" => f.tls_cert = path(),
            "--tls-key" => f.tls_key = path(),
            "--tls-server-name" => f.tls_server_name = Some(v.clone()),
            "--security-toml" => f.security_toml = path(),
            _ => {}
        }
    }
    f
}

/// How the line being completed would connect: its flags, then the environment and the
/// config file's context (TLS included), as the command itself would; `None` when that
/// does not resolve (an unknown context, …). Connects within a second.
fn options_from_line(args: Vec<OsString>) -> Option<ConnectOptions> {
    let env = |k: &str| std::env::var(k).ok();
    let path = config::file::default_path(&env);
    let (file, _) = config::file::load(&path);
    let home = dirs::home_dir();
    let inputs = config::Inputs {
        env: &env,
        file_path: &path,
        file: &file,
        home: home.as_deref(),
    };
    let (cfg, _) = config::resolve(&flags_from_line(&args), &inputs).ok()?;
    let mut c = cfg.connect;
    c.connect_timeout = Duration::from_secs(1);
    Some(c)
}

/// The completer of context names (`--context`, `context use`): the config file's.
pub(super) fn context_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let prefix = current.to_string_lossy();
        let env = |k: &str| std::env::var(k).ok();
        let (file, _) = config::file::load(&config::file::default_path(&env));
        file.contexts
            .keys()
            .filter(|n| n.starts_with(prefix.as_ref()))
            .map(CompletionCandidate::new)
            .collect()
    })
}

/// The topics of the broker, or `None` when it does not answer in time.
fn list_names(opts: ConnectOptions) -> Option<Vec<crate::client::TopicName>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let names = rt.block_on(async {
        tokio::time::timeout(COMPLETE_TIMEOUT, async {
            let client = crate::client::Client::connect(&opts).await.ok()?;
            let topics = client.list_topics().await.ok()?;
            Some(topics.into_iter().map(|t| t.name).collect::<Vec<_>>())
        })
        .await
        .ok()
        .flatten()
    });
    rt.shutdown_background();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_options_come_from_the_line() {
        let line = |v: &[&str]| {
            let f = flags_from_line(&v.iter().map(OsString::from).collect::<Vec<_>>());
            let mut o = ConnectOptions::new(f.broker.unwrap_or_default());
            o.filer = f.filer.unwrap_or_default();
            o.protocol = f.protocol.unwrap_or_default();
            (o, f.tls_ca, f.context)
        };
        let o = line(&[
            "swmq",
            "--",
            "swmq",
            "--broker",
            "h:1",
            "tail",
            "--filer=f:2",
            "--protocol",
            "mq",
            "--tls-ca=/ca.pem",
            "--context",
            "prod",
            "de",
        ]);
        let (o, ca, ctx) = o;
        assert_eq!(ca.as_deref(), Some(std::path::Path::new("/ca.pem")));
        assert_eq!(ctx.as_deref(), Some("prod"));
        assert_eq!(o.broker, "h:1");
        assert_eq!(o.filer, "f:2");
        assert_eq!(o.protocol, ProtocolChoice::Mq);
        // Words before `--` are the completer's own, not the line's.
        let o = line(&["swmq", "--broker", "x:9", "--", "swmq", "tail"]).0;
        assert_ne!(o.broker, "x:9");
    }
}
