//! `swmq topics` and `swmq describe`.

use serde_json::json;

use super::args::{DescribeArgs, TableOrJson, TopicsArgs};
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use super::tables;
use crate::client::{HistogramRequest, PartitionInfo, TopicInfo};
use crate::config::Config;
use crate::format::escape::to_json_string;
use crate::time;

/// Runs `swmq topics`.
pub(super) async fn topics(cfg: &Config, args: TopicsArgs) -> CliResult {
    let client = super::connect(cfg).await?;
    let mut list = client
        .list_topics()
        .await
        .map_err(|e| client_error("list topics", Some(&client), e))?;
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let only = super::topics_bulk::filter(args.consumed, args.unconsumed, args.older_than);
    let now = crate::time::now_ns();
    list.retain(|t| only.matches_topic(t, now));
    warn_without_filer(&client);
    let mut out = Out::new();
    match args.format {
        TableOrJson::Table => {
            for l in tables::topics_table(&list, cfg.utc, args.consumed || args.unconsumed) {
                out.line(&l);
            }
        }
        TableOrJson::Json => {
            for t in &list {
                out.line(&to_json_string(&topic_json(t)).map_err(CliError::runtime)?);
            }
        }
    }
    out.flush()
}

/// Runs `swmq describe`.
pub(super) async fn describe(cfg: &Config, args: DescribeArgs) -> CliResult {
    let topic = super::parse_topic(&args.topic)?;
    let client = super::connect(cfg).await?;
    let req = HistogramRequest {
        start_ns: None,
        stop_ns: None,
        buckets: args.buckets,
    };
    let d = client
        .describe(&topic, Some(req))
        .await
        .map_err(|e| client_error(&format!("describe {topic}"), Some(&client), e))?;
    warn_without_filer(&client);
    let schema = client
        .schema(&topic)
        .await
        .map_err(|e| client_error(&format!("describe {topic}: schema"), Some(&client), e))?;
    // 4.x: retention, generations and schema (a failure leaves them out).
    let conf = match &client {
        crate::client::Client::Mq(c) => c.topic_config(&topic).await.ok(),
        crate::client::Client::Legacy(_) => None,
    };
    let mut out = Out::new();
    match args.format {
        TableOrJson::Table => {
            let proto = client.protocol().describe();
            for l in tables::describe_table(&d, proto, cfg.utc) {
                out.line(&l);
            }
            for l in super::schema::describe_lines(schema.as_ref()) {
                out.line(&l);
            }
            if let Some(conf) = &conf {
                out.line("");
                for l in super::topic::config_lines(conf, cfg.utc) {
                    out.line(&l);
                }
            }
        }
        TableOrJson::Json => {
            let mut v = topic_json(&d.info);
            v["protocol"] = json!(client.protocol());
            v["histogram"] = serde_json::to_value(&d.histogram).map_err(CliError::runtime)?;
            v["schema"] = super::schema::describe_json(schema.as_ref());
            if let Some(conf) = &conf {
                v["config"] = super::topic::config_json(conf);
            }
            out.line(&to_json_string(&v).map_err(CliError::runtime)?);
        }
    }
    out.flush()
}

/// Says on stderr, once, that the filer could not be reached: the figures that come from
/// its log files are missing, not zero.
fn warn_without_filer(client: &crate::client::Client) {
    if let Some(e) = client.filer_unreachable() {
        eprintln!(
            "swmq: warning: {e}: the sizes, times and timeline that come from the filer's \
             log files are not shown"
        );
    }
}

fn time_json(ns: Option<i64>) -> serde_json::Value {
    match ns {
        Some(ns) => json!(time::format_rfc3339(ns)),
        None => serde_json::Value::Null,
    }
}

fn partition_json(p: &PartitionInfo) -> serde_json::Value {
    json!({
        "id": p.id,
        "ring": p.ring,
        "leader": p.leader,
        "message_count": p.message_count,
        "bytes": p.bytes,
        "first_ts_ns": p.first_ts_ns,
        "last_ts_ns": p.last_ts_ns,
        "first_time": time_json(p.first_ts_ns),
        "last_time": time_json(p.last_ts_ns),
        "closed": p.closed,
        "consumed": p.consumed,
        "subscribers": p.subscribers,
    })
}

/// One topic as a JSON object (a line of `topics --format json`), with its consumed
/// state (`consumed`, `consumed_by`, `consumed_at_ns`).
pub(super) fn topic_json(t: &TopicInfo) -> serde_json::Value {
    let mut v = topic_json_base(t);
    if let (Some(v), serde_json::Value::Object(c)) =
        (v.as_object_mut(), super::topics_bulk::consumed_json(t))
    {
        v.extend(c);
    }
    v
}

fn topic_json_base(t: &TopicInfo) -> serde_json::Value {
    json!({
        "name": t.name.to_string(),
        "namespace": t.name.namespace,
        "topic": t.name.name,
        "partition_count": t.partitions.len(),
        "message_count": t.message_count(),
        "bytes": t.bytes(),
        "first_ts_ns": t.first_ts_ns(),
        "last_ts_ns": t.last_ts_ns(),
        "first_time": time_json(t.first_ts_ns()),
        "last_time": time_json(t.last_ts_ns()),
        "is_channel": t.name.is_channel(),
        "closed": t.closed(),
        "publishers": t.publishers,
        "subscribers": t.subscribers,
        "partitions": t.partitions.iter().map(partition_json).collect::<Vec<_>>(),
    })
}
