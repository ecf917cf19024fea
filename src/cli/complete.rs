//! Shell completions (`swmq completions bash|zsh|fish`) with topic names completed from the
//! broker (clap_complete's dynamic engine), and the manual page (`swmq man`).
//!
//! The completion script calls `swmq` back with [`COMPLETE_VAR`] set and the words typed so
//! far; [`complete_from_env`] answers before anything else runs. Topic arguments carry
//! [`topic_completer`]: it connects to the broker named by `--broker`/`--filer`/`--protocol`
//! on the line being completed (or SWMQ_BROKER, or the default), within a second, and offers
//! the `NS/TOPIC` names that start with what was typed. A broker that does not answer
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
pub const COMPLETE_VAR: &str = "_SWMQ_COMPLETE";

/// How long topic completion may take in all (connecting, detecting, listing).
const COMPLETE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Answers a completion request when [`COMPLETE_VAR`] is set (then exits); returns
/// otherwise.
pub fn complete_from_env() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
}

/// Runs `swmq completions SHELL`: the registration script on stdout.
pub fn completions(a: &CompletionsArgs) -> CliResult {
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
pub fn man(a: &ManArgs) -> CliResult {
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
pub fn topic_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| complete_names(current, false))
}

/// The completer of channel names (`chan` commands): topics of namespace `chan`.
pub fn channel_completer() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| complete_names(current, true))
}

fn complete_names(current: &OsStr, channels: bool) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy().into_owned();
    let opts = options_from_line(std::env::args_os().collect());
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

/// The broker options on the line being completed (after `--`), else the environment's.
fn options_from_line(args: Vec<OsString>) -> ConnectOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    let mut broker = env(config::ENV_BROKER, config::DEFAULT_BROKER);
    let mut filer = env(config::ENV_FILER, config::DEFAULT_FILER);
    let mut protocol = ProtocolChoice::Auto;
    let words: Vec<String> = args
        .iter()
        .skip_while(|a| *a != "--")
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let (flag, value) = match w.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (w.as_str(), words.get(i + 1).cloned()),
        };
        let Some(value) = value else { continue };
        match flag {
            "--broker" => broker = value,
            "--filer" => filer = value,
            "--protocol" => {
                protocol = <ProtocolChoice as clap::ValueEnum>::from_str(&value, true)
                    .unwrap_or(ProtocolChoice::Auto)
            }
            _ => {}
        }
    }
    let mut c = ConnectOptions::new(broker);
    c.filer = filer;
    c.protocol = protocol;
    c.connect_timeout = Duration::from_secs(1);
    c
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
        let line = |v: &[&str]| options_from_line(v.iter().map(OsString::from).collect());
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
            "de",
        ]);
        assert_eq!(o.broker, "h:1");
        assert_eq!(o.filer, "f:2");
        assert_eq!(o.protocol, ProtocolChoice::Mq);
        // Words before `--` are the completer's own, not the line's.
        let o = line(&["swmq", "--broker", "x:9", "--", "swmq", "tail"]);
        assert_ne!(o.broker, "x:9");
    }
}
