//! `swmq groups [NS/TOPIC]`: the consumer groups of a topic (or of every topic) with, per
//! partition, the committed position, the high-water mark, the lag and the live members.

use clap::Args;
use serde_json::json;

use super::args::TableOrJson;
use super::complete::topic_completer;
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use super::tables::{Col, WIDTH, group, render, short_time, topic_cell};
use crate::client::mq::groups::{ConsumerGroup, TopicGroups};
use crate::client::{Client, TopicName};
use crate::config::Config;
use crate::format::escape::{escape, to_json_string};
use crate::time;

/// `swmq groups`.
#[derive(Debug, Args)]
pub struct GroupsArgs {
    /// The topic, NAMESPACE/TOPIC (none: every topic that has a group).
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: Option<String>,
    /// Output format (json: one object per topic and line).
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

/// Runs `swmq groups`.
pub(crate) async fn run(cfg: &Config, a: GroupsArgs) -> CliResult {
    let one = a.topic.as_deref().map(super::parse_topic).transpose()?;
    let client = super::connect(cfg).await?;
    let topics = match one {
        Some(t) => vec![t],
        None => all_topics(&client).await?,
    };
    let mut out = Out::new();
    let mut shown = 0;
    for t in &topics {
        let g = match client.groups(t).await {
            Ok(g) => g,
            // Listing every topic: one that vanished meanwhile is skipped.
            Err(crate::client::ClientError::TopicNotFound(_)) if topics.len() > 1 => continue,
            Err(e) => return Err(client_error(&format!("groups of {t}"), Some(&client), e)),
        };
        if topics.len() > 1 && g.groups.is_empty() {
            continue;
        }
        match a.format {
            TableOrJson::Json => {
                out.line(&to_json_string(&groups_json(&g)).map_err(CliError::runtime)?)
            }
            TableOrJson::Table => {
                if shown > 0 {
                    out.line("");
                }
                for l in groups_table(&g, cfg.utc) {
                    out.line(&l);
                }
            }
        }
        shown += 1;
        out.flush_if(64)?;
    }
    if shown == 0 && a.format == TableOrJson::Table {
        out.line("no consumer groups");
    }
    out.flush()
}

async fn all_topics(client: &Client) -> CliResult<Vec<TopicName>> {
    match client {
        Client::Mq(c) => c
            .topic_names()
            .await
            .map_err(|e| client_error("list topics", Some(client), e)),
        Client::Legacy(_) => Err(CliError::runtime(format!(
            "groups on {}: {}",
            client.broker_addr(),
            crate::client::GROUPS_ONLY_4X
        ))),
    }
}

/// The JSON object of a topic's groups (times as RFC 3339 beside the ns).
pub(crate) fn groups_json(g: &TopicGroups) -> serde_json::Value {
    let mut v = serde_json::to_value(g).unwrap_or_default();
    v["topic"] = json!(g.topic.to_string());
    if let Some(groups) = v["groups"].as_array_mut() {
        for (gv, grp) in groups.iter_mut().zip(&g.groups) {
            gv["lag"] = json!(grp.lag());
            gv["last_commit"] = json!(grp.last_commit_ns().map(time::format_rfc3339));
            if let Some(ps) = gv["partitions"].as_array_mut() {
                for (pv, p) in ps.iter_mut().zip(&grp.partitions) {
                    pv["committed_time"] = json!(p.committed_ts_ns.map(time::format_rfc3339));
                    pv["committed_at"] = json!(p.committed_at_ns.map(time::format_rfc3339));
                }
            }
        }
    }
    v
}

const fn col(header: &'static str, right: bool) -> Col {
    Col { header, right }
}

/// The table of a topic's groups: one summary line per group, then its partitions.
pub(crate) fn groups_table(g: &TopicGroups, utc: bool) -> Vec<String> {
    let mut out = vec![format!(
        "topic {}  ({} partitions, {} groups)",
        topic_cell(&g.topic),
        g.partitions,
        g.groups.len()
    )];
    for grp in &g.groups {
        out.push(String::new());
        out.push(group_line(grp, g.partitions, utc));
        out.extend(
            partition_rows(grp, utc)
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        for m in &grp.members {
            let part = m
                .partition
                .map(|p| format!("p{p}"))
                .unwrap_or_else(|| "p?".into());
            out.push(format!(
                "  member {} {} at {} ({part})",
                escape(&m.consumer_id),
                escape(&m.client_id),
                escape(&m.broker)
            ));
        }
    }
    for n in &g.notes {
        out.push(format!("note: {}", escape(n)));
    }
    out
}

fn group_line(grp: &ConsumerGroup, partitions: usize, utc: bool) -> String {
    let lag = match grp.lag() {
        Some(l) if grp.partitions.iter().any(|p| p.lag_at_least) => format!("≥{}", group(l)),
        Some(l) => group(l),
        None => "-".into(),
    };
    let done = if grp.caught_up(partitions) {
        "  consumed"
    } else {
        ""
    };
    let last = grp
        .last_commit_ns()
        .map(|ns| format!("  last commit {}", time::format_datetime(ns, utc)))
        .unwrap_or_default();
    format!(
        "group {} ({})  lag {lag}  members {}{last}{done}",
        escape(&grp.name),
        grp.kind.label(),
        grp.members.len()
    )
}

fn partition_rows(grp: &ConsumerGroup, utc: bool) -> Vec<String> {
    if grp.partitions.is_empty() {
        return vec!["(no committed position yet)".into()];
    }
    let cols = [
        col("PART", true),
        col("COMMITTED", true),
        col("POSITION TIME", false),
        col("HWM", true),
        col("LAG", true),
        col("COMMITTED AT", false),
    ];
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = grp
        .partitions
        .iter()
        .map(|p| {
            let lag = p.lag.map(|l| {
                if p.lag_at_least {
                    format!("≥{}", group(l))
                } else {
                    group(l)
                }
            });
            vec![
                p.partition.to_string(),
                p.committed_offset
                    .map(|o| o.to_string())
                    .unwrap_or_else(dash),
                p.committed_ts_ns
                    .map(|ns| time::format_datetime(ns, utc))
                    .unwrap_or_else(dash),
                p.high_water_mark
                    .map(|h| h.to_string())
                    .unwrap_or_else(dash),
                lag.unwrap_or_else(dash),
                p.committed_at_ns
                    .map(|ns| short_time(ns, utc))
                    .unwrap_or_else(dash),
            ]
        })
        .collect();
    render(&cols, &rows, 2, WIDTH - 2)
}
