//! The command line, declared once with clap: `swmq --help` is generated from here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::complete::{channel_completer, context_completer, topic_completer};
pub(crate) use super::grep::GrepArgs;
use super::serve::{BrokerArgs, DemoArgs};
use crate::client::{Partitioner, ProtocolChoice};
use crate::config;
use crate::format::template::{DIRECTIVES, Template};

const AFTER_HELP: &str = "\
Without a COMMAND, swmq opens the terminal UI.

Time SPECs (--from, --until): earliest, latest, now, RFC 3339
(2026-11-26T23:10:52.123456789Z, offsets allowed), nanoseconds since the epoch, or relative
to now (-15m, -1h30m, -45s, -2d). The .time field of `tail --format json` is exact to the
nanosecond and goes back into --from as printed; .ts_ns is a JSON number that jq 1.6 rounds
(by a few hundred ns), so take .time, or read ts_ns with jq 1.7+.

Exit codes: 0 ok, 1 runtime error (broker, network, refused), 2 usage error.

Settings: flags > environment > context > defaults (swmq config show). Environment:
SWMQ_BROKER, SWMQ_FILER, SWMQ_PROTOCOL, SWMQ_READ_ONLY=1, SWMQ_UTC=1,
SWMQ_CONNECT_TIMEOUT, SWMQ_CONTEXT, SWMQ_CONFIG (config file), SWMQ_TLS_CA,
SWMQ_TLS_CERT, SWMQ_TLS_KEY, SWMQ_TLS_SERVER_NAME, SWMQ_SECURITY_TOML,
SWMQ_LOG=debug (commands log to stderr).

Examples:
  swmq status --format json
  swmq topics
  swmq describe demo/orders --buckets 40
  swmq tail demo/orders --from -15m --grep 'sku\":\"A-17'
  swmq tail demo/orders --from earliest --no-follow --format json > orders.jsonl
  swmq tail demo/orders -o -1h -e -f '%T %p %k %{.customer.city}'
  swmq tail demo/orders --last 20
  swmq publish demo/orders --key ord-1 '{\"order\":1}'
  swmq publish demo/copy --input json --file orders.jsonl
  swmq chan read nightly-export --no-follow
  swmq chan list --closed --consumed --older-than 1d
  swmq chan delete --closed --consumed --older-than 1d --yes";

/// swmq: inspect and administer the SeaweedFS message queue (MQ 4.x and messaging 2.x).
#[derive(Debug, Parser)]
#[command(name = "swmq", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do (none: open the terminal UI).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every command (listed after each command's own options). Each one
/// not given takes its environment variable, then the context's value, then the default
/// (`swmq config show` tells which).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Broker gRPC address, HOST:PORT [env SWMQ_BROKER; default localhost:17777].
    #[arg(long, global = true, value_name = "ADDR")]
    pub broker: Option<String>,
    /// Filer gRPC address, HOST:PORT (4.x listings and deletes, 2.x filer layout)
    /// [env SWMQ_FILER; default localhost:18888].
    #[arg(long, global = true, value_name = "ADDR")]
    pub filer: Option<String>,
    /// Broker protocol: detect it, or force SeaweedFS MQ 4.x or messaging 2.x
    /// [env SWMQ_PROTOCOL; default auto].
    #[arg(long, global = true, value_enum)]
    pub protocol: Option<ProtocolChoice>,
    /// Refuse publish, delete and channel publish/close/delete [env SWMQ_READ_ONLY=1].
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Connect and protocol-detection timeout, in seconds [env SWMQ_CONNECT_TIMEOUT;
    /// default 3].
    #[arg(long, global = true, value_name = "SECS", value_parser = config::parse_timeout_secs)]
    pub connect_timeout: Option<Duration>,
    /// Show times in UTC instead of local time [env SWMQ_UTC=1].
    #[arg(long, global = true)]
    pub utc: bool,
    /// Use this context of the config file [env SWMQ_CONTEXT; default: its current-context].
    #[arg(long, global = true, value_name = "NAME", add = context_completer())]
    pub context: Option<String>,
    /// TLS: the CA certificate (PEM) that signed the servers' certificates [env SWMQ_TLS_CA].
    #[arg(long, global = true, value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,
    /// TLS: client certificate (PEM) for servers that require one (mTLS); `swmq broker`:
    /// the broker's certificate [env SWMQ_TLS_CERT].
    #[arg(long, global = true, value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the private key (PEM) of --tls-cert [env SWMQ_TLS_KEY].
    #[arg(long, global = true, value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// TLS: also verify the servers' certificates against this name (SeaweedFS checks the
    /// chain only) [env SWMQ_TLS_SERVER_NAME].
    #[arg(long, global = true, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// TLS settings from a SeaweedFS security.toml ([grpc] ca, [grpc.client] cert/key)
    /// [env SWMQ_SECURITY_TOML; default: the first of ./security.toml,
    /// ~/.seaweedfs/security.toml, /etc/seaweedfs/security.toml when no --tls-* is given].
    #[arg(long, global = true, value_name = "PATH")]
    pub security_toml: Option<PathBuf>,
    /// TUI: capacity of the tail buffer, in records.
    #[arg(long, global = true, value_name = "N", hide_short_help = true)]
    pub buffer: Option<usize>,
    /// TUI: log file (default: the XDG state directory).
    #[arg(long, global = true, value_name = "PATH", hide_short_help = true)]
    pub log_file: Option<PathBuf>,
}

impl GlobalArgs {
    /// The flags as given (for [`config::resolve`]).
    pub fn flags(&self) -> config::Flags {
        config::Flags {
            broker: self.broker.clone(),
            filer: self.filer.clone(),
            protocol: self.protocol,
            read_only: self.read_only,
            utc: self.utc,
            connect_timeout: self.connect_timeout,
            tls_ca: self.tls_ca.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            tls_server_name: self.tls_server_name.clone(),
            security_toml: self.security_toml.clone(),
            context: self.context.clone(),
            buffer: self.buffer,
            log_file: self.log_file.clone(),
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the broker address, its protocol and (4.x) the balancer and topic count.
    Status(StatusArgs),
    /// List namespaces and topics with partitions, counts, sizes and time ranges.
    Topics(TopicsArgs),
    /// Show one topic: partitions, counts, time range and a density histogram.
    Describe(DescribeArgs),
    /// Print a topic's records, all partitions merged in time order; follows by default.
    Tail(TailArgs),
    /// Open the TUI at a shared position: a swmq:// link (`y` in the TUI copies one).
    Open(super::open::OpenArgs),
    /// Search a topic's history: the records whose key, value or a header matches REGEX,
    /// in time order (exit 1 when nothing matched).
    Grep(GrepArgs),
    /// Publish messages: VALUEs, the lines of --file, or the lines of stdin.
    Publish(PublishArgs),
    /// Delete a topic with all its data (asks for the name unless --yes).
    Delete(DeleteArgs),
    /// Consumer groups of a topic (4.x): committed positions, lag, live members.
    Groups(super::groups::GroupsArgs),
    /// The 4.x cluster: brokers, balancer, partitions led/followed, flagged partitions.
    Brokers(super::brokers::BrokersArgs),
    /// A 4.x topic's configuration: create, alter retention, truncate, show.
    #[command(subcommand)]
    Topic(super::topic::TopicCommand),
    /// SeaweedFS 2.x channels (topic chan/NAME, one partition, sealed by close).
    #[command(subcommand)]
    Chan(ChanCommand),
    /// Run the embedded broker (SeaweedFS messaging 2.x protocol).
    Broker(BrokerArgs),
    /// Open the TUI on an embedded demo broker filled with sample topics.
    Demo(DemoArgs),
    /// The config file: write an example, show the resolved settings and their sources.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Named contexts (clusters) of the config file.
    #[command(subcommand)]
    Context(ContextCommand),
    /// Print a shell completion script (topic names are completed from the broker).
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `swmq man | man -l -`.
    Man(ManArgs),
}

pub(crate) use super::config_cmd::{ConfigCommand, ContextCommand};

/// `swmq completions`.
#[derive(Debug, Args)]
#[command(after_help = "\
Install (the script asks swmq for candidates, so topic names come from the broker that
--broker or SWMQ_BROKER names at completion time):
  bash: swmq completions bash > ~/.local/share/bash-completion/completions/swmq
  zsh:  swmq completions zsh > \"${fpath[1]}/_swmq\"
  fish: swmq completions fish > ~/.config/fish/completions/swmq.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `swmq completions` supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

/// `swmq man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command's own page (`swmq man tail`); none: the main page.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// `--format` of tail and chan read: `text`, `json`, or a format string.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordFormat {
    /// `time  pN  key  value` lines.
    Text,
    /// One lossless JSON object per line.
    Json,
    /// A format string (`%T %p %k %s`).
    Template(Template),
}

impl RecordFormat {
    /// `text`, `json`, or a format string with `%` directives.
    pub fn parse(s: &str) -> Result<RecordFormat, String> {
        match s {
            "text" => Ok(RecordFormat::Text),
            "json" => Ok(RecordFormat::Json),
            s if s.contains('%') => Template::parse(s).map(RecordFormat::Template),
            s => Err(format!(
                "{s:?} is not text, json or a format string with % directives (like '%T %k %s')"
            )),
        }
    }
}

/// The `tail` and `chan read` help after the options: the format directives.
fn format_help() -> String {
    format!(
        "Format strings (--format '%T %p %k %s'; a newline ends each record; keys, values and \
         headers have control characters and invalid UTF-8 escaped as \\n, \\t, \\xNN):\n{DIRECTIVES}"
    )
}

/// `--format text|json` for status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// For people.
    Text,
    /// One JSON object per line.
    Json,
}

/// `--format table|json` for topics and describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableOrJson {
    /// An 80-column table.
    Table,
    /// JSON (one object per line for topics).
    Json,
}

/// `--input text|json|raw` for publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// One message value per line.
    Text,
    /// One `tail --format json` object per line (a "value" field is required), re-published
    /// losslessly; any other line is an error and nothing is published.
    Json,
    /// The whole input is one message value (binary safe).
    Raw,
}

/// `swmq status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

/// `swmq topics`.
#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
    /// Only consumed topics (4.x: a consumer group committed the end of every partition;
    /// 2.x: closed channels a subscriber read through their close), with a CONSUMED column.
    #[arg(long, conflicts_with = "unconsumed")]
    pub consumed: bool,
    /// Only topics not known to be consumed (not consumed, or unknown), with a CONSUMED
    /// column.
    #[arg(long)]
    pub unconsumed: bool,
    /// Only topics whose last message is older than D (1d, 12h, 30m).
    #[arg(long, value_name = "D", value_parser = parse_age)]
    pub older_than: Option<i64>,
}

/// `swmq describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
    /// Number of histogram buckets between the first and the last message.
    #[arg(long, value_name = "N", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub buckets: u32,
}

/// `swmq tail`.
#[derive(Debug, Args)]
#[command(after_help = format_help())]
pub struct TailArgs {
    /// The topic, NAMESPACE/TOPIC. Several, or a pattern ('shop/*', * and ?), are read
    /// merged by time with the topic shown per record. None with --from LINK: its topic.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topics: Vec<String>,
    /// Start at this time SPEC (inclusive), or at a link's record (swmq://…, as `y` copies
    /// in the TUI: its broker, topic and time). Default: latest (only new records).
    #[arg(long, short = 'o', value_name = "SPEC", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Stop after the last record at or before this time SPEC.
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Only this partition (repeatable).
    #[arg(long = "partition", short = 'p', value_name = "N")]
    pub partitions: Vec<i32>,
    /// Stop after N records (counted after --grep).
    #[arg(long, short = 'c', value_name = "N")]
    pub count: Option<u64>,
    /// Start with the last N records (merged across partitions, after --grep, before
    /// --until), then follow, or stop with -e.
    #[arg(long, value_name = "N", conflicts_with = "from",
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub last: Option<u64>,
    /// Exit at the end that exists now instead of following new records (kcat -e).
    #[arg(long, short = 'e', visible_alias = "exit")]
    pub no_follow: bool,
    /// Output: text, json (lossless, one object per line) or a format string ('%T %k %s').
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
          value_parser = RecordFormat::parse)]
    pub format: RecordFormat,
    /// Only records whose key, value or a header matches this regular expression (the
    /// same matcher as the TUI's search).
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// --grep is a literal string, not a regular expression.
    #[arg(long, short = 'F', requires = "grep")]
    pub fixed_strings: bool,
    /// --grep ignores case.
    #[arg(long, short = 'i', requires = "grep")]
    pub ignore_case: bool,
}

/// `swmq publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// Message values (none and no --file: one message per line of stdin).
    #[arg(value_name = "VALUE", conflicts_with = "file")]
    pub values: Vec<String>,
    /// The key of every message (overrides the key of --input json lines).
    #[arg(long, short = 'k', value_name = "K")]
    pub key: Option<String>,
    /// A header K=V (repeatable; 2.x only).
    #[arg(long = "header", short = 'H', value_name = "K=V")]
    pub headers: Vec<String>,
    /// Publish the messages N times over.
    #[arg(long, short = 'c', value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,
    /// How messages spread over partitions. hash (default) is the Go client's rule: the
    /// same key, the same partition; on 4.x every unkeyed message hashes to one partition.
    /// round-robin and random ignore keys (test load over every partition).
    #[arg(long, value_enum, value_name = "RULE", default_value_t = Partitioner::Hash)]
    pub partitioner: Partitioner,
    /// When the topic does not exist, create it with N partitions (4.x needs a topic before
    /// the first publish; 2.x creates one with 4 partitions otherwise).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=2520))]
    pub partitions: Option<u32>,
    /// Read messages from this file ('-': stdin).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// How --file / stdin is read (text: each line is one value, JSON or not).
    #[arg(long, value_enum, default_value_t = InputFormat::Text)]
    pub input: InputFormat,
    /// On a 4.x topic with a record type, publish values as given instead of encoding
    /// each JSON object (VALUE, text lines) into a RecordValue. JSON and raw input are
    /// always published as given.
    #[arg(long)]
    pub no_schema: bool,
}

/// `swmq delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The topic, NAMESPACE/TOPIC (none: a bulk delete of the consumed topics).
    #[arg(value_name = "NS/TOPIC", add = topic_completer(), required_unless_present = "consumed")]
    pub topic: Option<String>,
    /// Do not ask for confirmation (bulk: delete instead of only showing).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Bulk: every consumed topic (4.x: a consumer group committed the end of every
    /// partition; 2.x: closed channels a subscriber read through their close).
    #[arg(long, conflicts_with = "topic")]
    pub consumed: bool,
    /// Bulk: only topics whose last message is older than D (1d, 12h, 30m).
    #[arg(long, value_name = "D", requires = "consumed", value_parser = parse_age)]
    pub older_than: Option<i64>,
    /// Bulk: only topics of this namespace.
    #[arg(long, value_name = "NS", requires = "consumed")]
    pub namespace: Option<String>,
    /// Bulk: output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table, requires = "consumed")]
    pub format: TableOrJson,
}

/// `swmq chan ...` (SeaweedFS 2.x only).
#[derive(Debug, Subcommand)]
pub enum ChanCommand {
    /// Publish values to a channel.
    Publish {
        /// The channel name.
        #[arg(add = channel_completer())]
        name: String,
        /// Values, one message each.
        #[arg(value_name = "VALUE", required = true)]
        values: Vec<String>,
    },
    /// Seal a channel with a close message.
    Close {
        /// The channel name.
        #[arg(add = channel_completer())]
        name: String,
        /// Close the channel even when it does not exist yet (creates it sealed).
        #[arg(long)]
        create: bool,
    },
    /// Print a channel's messages from the start until it is closed.
    #[command(after_help = format_help())]
    Read {
        /// The channel name.
        #[arg(add = channel_completer())]
        name: String,
        /// Output: text, json (lossless, one object per line) or a format string.
        #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
              value_parser = RecordFormat::parse)]
        format: RecordFormat,
        /// Stop at the current end instead of waiting for the close.
        #[arg(long, short = 'e', visible_alias = "exit")]
        no_follow: bool,
    },
    /// Delete a channel (asks for the name unless --yes), or in bulk every closed channel a
    /// subscriber read through its close: --closed --consumed [--older-than D] shows them,
    /// --yes deletes them. A bulk delete never touches an open or unconsumed channel.
    Delete {
        /// The channel name (none: a bulk delete, which needs --closed --consumed).
        #[arg(add = channel_completer(), required_unless_present_any = ["closed", "consumed", "older_than"])]
        name: Option<String>,
        /// Do not ask for confirmation (bulk: delete instead of only showing).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Bulk: closed channels only (required).
        #[arg(long, conflicts_with = "name")]
        closed: bool,
        /// Bulk: channels a subscriber read through their close only (required).
        #[arg(long, conflicts_with = "name")]
        consumed: bool,
        /// Bulk: only channels whose last message is older than D (1d, 12h, 30m).
        #[arg(long, value_name = "D", conflicts_with = "name", value_parser = parse_age)]
        older_than: Option<i64>,
        /// Bulk: output format.
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
    /// List channels: open or closed, consumed (by whom, when), messages, size, age.
    List {
        /// Which channels.
        #[command(flatten)]
        filter: ChanListFilter,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
}

/// The filters of `swmq chan list`.
#[derive(Debug, Clone, Args)]
pub struct ChanListFilter {
    /// Closed channels only.
    #[arg(long)]
    pub closed: bool,
    /// Channels a subscriber read through their close only.
    #[arg(long, conflicts_with = "unconsumed")]
    pub consumed: bool,
    /// Channels not known to be consumed only (not consumed, or unknown).
    #[arg(long)]
    pub unconsumed: bool,
    /// Only channels whose last message is older than D (1d, 12h, 30m).
    #[arg(long, value_name = "D", value_parser = parse_age)]
    pub older_than: Option<i64>,
}

/// An age such as `1d`, `12h`, `1h30m` (ns).
fn parse_age(s: &str) -> Result<i64, String> {
    crate::time::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let c = Cli::try_parse_from(["swmq", "tail", "a/b", "--broker", "h:1", "--utc"]).unwrap();
        assert_eq!(c.global.broker.as_deref(), Some("h:1"));
        assert!(c.global.utc);
        let c = Cli::try_parse_from([
            "swmq",
            "tail",
            "a/b",
            "--from",
            "-15m",
            "--partition",
            "1",
            "--partition",
            "3",
        ])
        .unwrap();
        let Some(Command::Tail(t)) = c.command else {
            panic!()
        };
        assert_eq!(t.from.as_deref(), Some("-15m"));
        assert_eq!(t.partitions, vec![1, 3]);
    }

    #[test]
    fn chan_delete_is_one_name_or_a_bulk_selection() {
        let c = Cli::try_parse_from(["swmq", "chan", "delete", "x", "--yes"]).unwrap();
        let Some(Command::Chan(ChanCommand::Delete { name, closed, .. })) = c.command else {
            panic!()
        };
        assert_eq!(name.as_deref(), Some("x"));
        assert!(!closed);
        let c = Cli::try_parse_from([
            "swmq",
            "chan",
            "delete",
            "--closed",
            "--consumed",
            "--older-than",
            "1d",
        ])
        .unwrap();
        let Some(Command::Chan(ChanCommand::Delete {
            name, older_than, ..
        })) = c.command
        else {
            panic!()
        };
        assert_eq!((name, older_than), (None, Some(86_400_000_000_000)));
        for bad in [
            &["swmq", "chan", "delete"][..],
            &["swmq", "chan", "delete", "x", "--closed"],
            &["swmq", "chan", "delete", "--closed", "--unconsumed"],
            &["swmq", "chan", "list", "--consumed", "--unconsumed"],
            &["swmq", "chan", "list", "--older-than", "yesterday"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_and_file_conflict() {
        assert!(Cli::try_parse_from(["swmq", "publish", "a/b", "v", "--file", "x"]).is_err());
    }
}
