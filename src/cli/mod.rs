//! The scriptable CLI: `swmq status | topics | describe | tail | publish | delete | chan`,
//! plus `broker` and `demo` (see [`serve`]) and, without a command, the TUI.
//!
//! Commands call [`crate::client::Client`] directly. Every failure is one line on stderr
//! and an exit code: 0 ok, 1 runtime error, 2 usage error (see [`error`]).

pub(crate) mod args;
mod brokers;
mod chan;
mod chan_bulk;
mod complete;
mod config_cmd;
mod delete;
pub(crate) mod error;
pub(crate) mod grep;
pub(crate) mod groups;
mod info;
mod last;
mod multi;
pub(crate) mod open;
pub(crate) mod output;
mod publish;
mod schema;
pub(crate) mod serve;
mod status;
mod tables;
mod tail;
pub(crate) mod topic;
mod topics_bulk;

use std::ffi::OsString;

use clap::Parser;

pub use args::{Cli, Command};
pub use error::{CliError, CliResult, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};

use crate::client::{Client, TopicName};
use crate::config::Config;

/// Runs the CLI on the process arguments; returns the exit code.
pub fn run() -> i32 {
    // A completion script asking for candidates: answered here, then the process exits.
    complete::complete_from_env();
    run_from(std::env::args_os())
}

/// A clap usage error as one line (the contract: errors are one line on stderr): its
/// message, the arguments it names and its tip, without the usage block.
fn one_line_usage_error(rendered: &str) -> String {
    let body: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let msg = body.join(" ").replace(" tip: ", "; tip: ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    format!("{msg} (see --help)")
}

/// Runs the CLI on the given arguments (the first is the program name); returns the exit code.
pub fn run_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // --help / --version print to stdout and succeed; real errors exit 2.
            if !e.use_stderr() {
                let _ = e.print();
                return EXIT_OK;
            }
            eprintln!("swmq: {}", one_line_usage_error(&e.render().to_string()));
            return EXIT_USAGE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("swmq: cannot start the async runtime: {e}");
            return EXIT_RUNTIME;
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // Do not wait for lingering background tasks (a cancelled stream, a reconnect loop).
    runtime.shutdown_background();
    tracing::debug!("exiting");
    match result {
        Ok(()) => EXIT_OK,
        Err(e) => {
            if let Some(m) = e.message() {
                eprintln!("swmq: {m}");
            }
            e.exit_code()
        }
    }
}

/// The configuration from the global flags, the environment and the config file; prints
/// the warnings (a broken config file: one line naming file, line and problem, then the
/// defaults). An error (an unknown `--context`, a bad environment value) is a usage error.
pub fn config_from(g: &args::GlobalArgs) -> CliResult<Config> {
    let env = |k: &str| std::env::var(k).ok();
    let path = crate::config::file::default_path(&env);
    let (file, problem) = crate::config::file::load(&path);
    if let Some(p) = problem {
        eprintln!("swmq: warning: {p}; using the defaults");
    }
    let home = dirs::home_dir();
    let inputs = crate::config::Inputs {
        env: &env,
        file_path: &path,
        file: &file,
        home: home.as_deref(),
    };
    let (cfg, warnings) = crate::config::resolve(&g.flags(), &inputs).map_err(CliError::usage)?;
    for w in warnings {
        eprintln!("swmq: warning: {w}");
    }
    Ok(cfg)
}

/// Opt-in diagnostics for one-shot commands: `SWMQ_LOG=debug` (an `EnvFilter`) logs to
/// stderr. The TUI logs to its file instead.
fn init_cli_logging() {
    let Ok(spec) = std::env::var(crate::config::ENV_LOG) else {
        return;
    };
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_new(spec) {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
}

async fn dispatch(cli: Cli) -> CliResult {
    // The config file's own commands, the completion script and the manual page work with
    // a broken or mismatched configuration.
    match cli.command {
        Some(Command::Config(c)) => return config_cmd::config(&cli.global, c),
        Some(Command::Context(c)) => return config_cmd::context(&cli.global, c),
        Some(Command::Completions(a)) => return complete::completions(&a),
        Some(Command::Man(a)) => return complete::man(&a),
        _ => {}
    }
    let cfg = config_from(&cli.global)?;
    let Some(cmd) = cli.command else {
        let contexts = config_cmd::tui_contexts(&cli.global);
        return run_tui_labelled(&cfg, None, contexts).await;
    };
    if !matches!(cmd, Command::Demo(_)) {
        init_cli_logging();
        tracing::debug!("arguments and configuration read");
    }
    match cmd {
        Command::Status(a) => status::run(&cfg, a).await,
        Command::Topics(a) => info::topics(&cfg, a).await,
        Command::Describe(a) => info::describe(&cfg, a).await,
        Command::Tail(a) => tail::run(&cfg, a).await,
        Command::Open(a) => open::run(&cfg, a).await,
        Command::Grep(a) => grep::run(&cfg, a).await,
        Command::Publish(a) => publish::run(&cfg, a).await,
        Command::Delete(a) => delete::run(&cfg, a).await,
        Command::Chan(c) => chan::run(&cfg, c).await,
        Command::Groups(a) => groups::run(&cfg, a).await,
        Command::Brokers(a) => brokers::run(&cfg, a).await,
        Command::Topic(c) => topic::run(&cfg, c).await,
        Command::Broker(a) => {
            let g = &cli.global;
            let tls = a
                .tls(g.tls_cert.clone(), g.tls_key.clone())
                .map_err(|e| CliError::usage(e.to_string()))?;
            serve::run_broker(a, tls).await.map_err(CliError::Runtime)
        }
        Command::Demo(a) => run_demo(&cfg, a).await,
        // Answered above.
        Command::Config(_) | Command::Context(_) | Command::Completions(_) | Command::Man(_) => {
            Ok(())
        }
    }
}

/// `swmq demo`: on a terminal, the TUI on a freshly seeded embedded broker (stopped when
/// the TUI quits); otherwise the headless demo broker until Ctrl-C.
async fn run_demo(cfg: &Config, args: serve::DemoArgs) -> CliResult {
    if !(output::stdin_is_terminal() && std::io::IsTerminal::is_terminal(&std::io::stdout())) {
        return serve::run_demo(args).await.map_err(CliError::Runtime);
    }
    let demo = crate::broker::demo::start_demo(args.data)
        .await
        .map_err(|e| CliError::runtime(format!("demo: starting the embedded broker: {e}")))?;
    let mut cfg = cfg.clone();
    cfg.connect.broker = demo.addr().to_string();
    cfg.connect.protocol = crate::client::ProtocolChoice::Legacy;
    let result = run_tui_labelled(&cfg, Some("embedded demo".into()), Vec::new()).await;
    let stopped = demo
        .shutdown()
        .await
        .map_err(|e| CliError::runtime(format!("demo: stopping the embedded broker: {e}")));
    result.and(stopped)
}

/// The TUI landed on a shared position (`swmq open LINK`).
async fn run_tui_opened(cfg: &Config, link: crate::link::Link) -> CliResult {
    run_tui_with(cfg, None, Vec::new(), Some(link)).await
}

async fn run_tui_labelled(
    cfg: &Config,
    label: Option<String>,
    contexts: Vec<crate::tui::ContextChoice>,
) -> CliResult {
    run_tui_with(cfg, label, contexts, None).await
}

async fn run_tui_with(
    cfg: &Config,
    label: Option<String>,
    contexts: Vec<crate::tui::ContextChoice>,
    open: Option<crate::link::Link>,
) -> CliResult {
    let opts = crate::tui::TuiOptions {
        connect: cfg.connect.clone(),
        read_only: cfg.read_only,
        utc: cfg.utc,
        buffer: cfg.tui_buffer,
        log_file: cfg.log_file.clone(),
        label,
        context: cfg.context.clone(),
        contexts,
        open,
    };
    crate::tui::run(opts).await.map_err(CliError::Runtime)
}

/// Connects (detecting the protocol); a failure names the address.
pub async fn connect(cfg: &Config) -> CliResult<Client> {
    Client::connect(&cfg.connect).await.map_err(|e| match e {
        crate::client::ClientError::Invalid { .. } => CliError::usage(e),
        e => CliError::runtime(e),
    })
}

/// Parses `NS/TOPIC`; a bad name is a usage error.
pub fn parse_topic(s: &str) -> CliResult<TopicName> {
    TopicName::parse(s).map_err(CliError::usage)
}

/// The channel topic `chan/NAME`; a bad name is a usage error.
pub fn parse_channel(name: &str) -> CliResult<TopicName> {
    TopicName::channel(name).map_err(|e| CliError::usage(format!("bad channel name: {e}")))
}

/// Refuses a write in read-only mode (exit 1), saying why it is on.
pub fn refuse_if_read_only(cfg: &Config, what: &str) -> CliResult {
    if let Some(why) = cfg.read_only_reason() {
        return Err(CliError::runtime(format!("{what}: refused: {why}")));
    }
    Ok(())
}

/// The `swmq brokers` table as one string (for tests).
pub fn brokers_table_for_tests(v: &crate::client::mq::brokers::ClusterView) -> String {
    brokers::brokers_table(v).join("\n")
}
