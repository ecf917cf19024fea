//! `swmq topic create | alter | truncate | config`: a 4.x topic's partitions, retention and
//! generations, and clearing its data.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::TableOrJson;
use super::complete::topic_completer;
use super::delete::{confirm_question, require_terminal};
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use crate::client::mq::MqClient;
use crate::client::mq::config::{TopicChange, TopicConfig};
use crate::client::{Client, TopicName};
use crate::config::Config;
use crate::format::escape::to_json_string;
use crate::format::human_bytes;
use crate::time;

/// `swmq topic ...`.
#[derive(Debug, Subcommand)]
pub enum TopicCommand {
    /// Create a topic (no publish needed): `--partitions N [--retention 7d]`.
    Create(CreateArgs),
    /// Change a topic's retention (or, with --new-generation, its partition count).
    Alter(AlterArgs),
    /// Delete the log files of every partition, keeping the topic and its configuration
    /// (asks for the name unless --yes).
    Truncate(TruncateArgs),
    /// Show partitions, retention, generations and schema format.
    Config(ConfigArgs),
}

/// `swmq topic create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC")]
    pub topic: String,
    /// Number of partitions (4.x: 1 to 2520).
    #[arg(long, short = 'p', value_name = "N")]
    pub partitions: u32,
    /// Keep data this long (7d, 12h, 30m; 4.x).
    #[arg(long, value_name = "D", value_parser = parse_retention)]
    pub retention: Option<i64>,
}

/// `swmq topic alter`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true)
    .args(["retention", "no_retention", "partitions"])))]
pub struct AlterArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// Keep data this long (7d, 30d, 12h).
    #[arg(long, value_name = "D", value_parser = parse_retention, conflicts_with = "no_retention")]
    pub retention: Option<i64>,
    /// Turn retention off (keep everything).
    #[arg(long)]
    pub no_retention: bool,
    /// A new partition count: refused unless --new-generation (it starts a new generation,
    /// and the records written so far are no longer served).
    #[arg(long, short = 'p', value_name = "N")]
    pub partitions: Option<u32>,
    /// Start a new generation when the partition count changes.
    #[arg(long)]
    pub new_generation: bool,
}

/// `swmq topic truncate`.
#[derive(Debug, Args)]
pub struct TruncateArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

/// `swmq topic config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

/// A retention duration in whole seconds (at least one).
fn parse_retention(s: &str) -> Result<i64, String> {
    let ns = time::parse_duration(s)?;
    let secs = ns / 1_000_000_000;
    if secs < 1 {
        return Err(format!("{s}: a retention is at least 1s"));
    }
    Ok(secs)
}

fn need_mq<'a>(client: &'a Client, what: &str) -> CliResult<&'a MqClient> {
    match client {
        Client::Mq(c) => Ok(c),
        Client::Legacy(_) => Err(CliError::runtime(format!(
            "{what} on {}: topic configuration (retention, generations, truncate) exists \
             only in SeaweedFS MQ 4.x; this broker speaks messaging 2.x",
            client.broker_addr()
        ))),
    }
}

/// Runs `swmq topic ...`.
pub(crate) async fn run(cfg: &Config, cmd: TopicCommand) -> CliResult {
    match cmd {
        TopicCommand::Create(a) => create(cfg, a).await,
        TopicCommand::Alter(a) => alter(cfg, a).await,
        TopicCommand::Truncate(a) => truncate(cfg, a).await,
        TopicCommand::Config(a) => show(cfg, a).await,
    }
}

async fn create(cfg: &Config, a: CreateArgs) -> CliResult {
    let topic = super::parse_topic(&a.topic)?;
    let what = format!("create {topic}");
    super::refuse_if_read_only(cfg, &what)?;
    let client = super::connect(cfg).await?;
    if a.retention.is_some() {
        // 2.x topics have no retention: refused there.
        need_mq(&client, &format!("{what} --retention"))?;
    }
    let r = match &client {
        Client::Mq(c) => c.create_topic_with(&topic, a.partitions, a.retention).await,
        Client::Legacy(_) => client.create_topic(&topic, a.partitions).await,
    };
    r.map_err(|e| client_error(&what, Some(&client), e))?;
    let mut out = Out::new();
    let ret = a
        .retention
        .map(|s| format!(", retention {}", time::format_duration(s * 1_000_000_000)))
        .unwrap_or_default();
    out.line(&format!(
        "created {topic} ({} partitions{ret})",
        a.partitions
    ));
    out.flush()
}

async fn alter(cfg: &Config, a: AlterArgs) -> CliResult {
    let topic = super::parse_topic(&a.topic)?;
    let what = format!("alter {topic}");
    super::refuse_if_read_only(cfg, &what)?;
    let client = super::connect(cfg).await?;
    let c = need_mq(&client, &what)?;
    let change = TopicChange {
        partitions: a.partitions,
        retention: if a.no_retention {
            Some(None)
        } else {
            a.retention.map(Some)
        },
        new_generation: a.new_generation,
    };
    c.alter_topic(&topic, change)
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    let conf = c
        .topic_config(&topic)
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    let mut out = Out::new();
    out.line(&format!("altered {topic}"));
    for l in config_lines(&conf, cfg.utc) {
        out.line(&l);
    }
    out.flush()
}

async fn truncate(cfg: &Config, a: TruncateArgs) -> CliResult {
    let topic = super::parse_topic(&a.topic)?;
    let what = format!("truncate {topic}");
    super::refuse_if_read_only(cfg, &what)?;
    if !a.yes {
        require_terminal(&what)?;
    }
    let client = super::connect(cfg).await?;
    let c = need_mq(&client, &what)?;
    if !a.yes {
        confirm_truncate(&what, &topic)?;
    }
    let o = c
        .truncate(&topic)
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    let mut out = Out::new();
    match a.format {
        TableOrJson::Json => {
            let v = json!({"topic": topic.to_string(), "partitions": o.partitions,
                "files": o.files, "bytes": o.bytes});
            out.line(&to_json_string(&v).map_err(CliError::runtime)?);
        }
        TableOrJson::Table => {
            out.line(&format!(
                "truncated {topic}: deleted {} files ({}) in {} partition directories",
                o.files,
                human_bytes(o.bytes),
                o.partitions
            ));
            out.line(
                "note: the brokers keep reporting the old high-water marks; new records \
                 continue from there",
            );
        }
    }
    out.flush()
}

fn confirm_truncate(what: &str, topic: &TopicName) -> CliResult {
    // The same typed-name question as a delete, about the data only.
    confirm_question(
        what,
        &format!(
            "Delete the records of every partition of {topic}? The topic and its \
             configuration stay."
        ),
        &[topic.to_string()],
    )
}

async fn show(cfg: &Config, a: ConfigArgs) -> CliResult {
    let topic = super::parse_topic(&a.topic)?;
    let what = format!("configuration of {topic}");
    let client = super::connect(cfg).await?;
    let c = need_mq(&client, &what)?;
    let conf = c
        .topic_config(&topic)
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    let mut out = Out::new();
    match a.format {
        TableOrJson::Json => {
            out.line(&to_json_string(&config_json(&conf)).map_err(CliError::runtime)?)
        }
        TableOrJson::Table => {
            for l in config_lines(&conf, cfg.utc) {
                out.line(&l);
            }
        }
    }
    out.flush()
}

/// The JSON of a topic's configuration.
pub(crate) fn config_json(c: &TopicConfig) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["topic"] = json!(c.topic.to_string());
    v
}

/// The lines `describe` and `topic config` show about a topic's configuration.
pub(crate) fn config_lines(c: &TopicConfig, utc: bool) -> Vec<String> {
    c.summary(utc)
}
