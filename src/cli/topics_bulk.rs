//! The consumed state of topics in `swmq topics` (a column and filters) and the bulk
//! `swmq delete --consumed [--older-than D] [--yes]`: every consumed topic, on both
//! protocols. On 4.x a topic is consumed when one consumer group committed the end of every
//! partition (`client::mq::consumed`); on 2.x only closed channels a subscriber read
//! through their close are. Nothing unknown (`?`) or unconsumed is ever deleted in bulk,
//! and each topic is described again right before its delete.

use serde_json::{Value, json};

use super::args::{DeleteArgs, TableOrJson};
use super::chan_bulk::{delete_selected, more, plural};
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use crate::client::{ChannelFilter, Consumed, TopicInfo};
use crate::config::Config;
use crate::format::preview;
use crate::time::{format_duration, now_ns};

/// The filter of `swmq topics --consumed|--unconsumed --older-than D`.
pub(super) fn filter(consumed: bool, unconsumed: bool, older_than: Option<i64>) -> ChannelFilter {
    ChannelFilter {
        closed: false,
        consumed: (consumed || unconsumed).then_some(consumed),
        older_than_ns: older_than,
    }
}

/// The `CONSUMED` cell of `swmq topics`: `✓ audit`, `✓ audit +1`, `✗`, `?`.
pub(super) fn consumed_short(t: &TopicInfo) -> String {
    let by = t.consumers();
    match (t.consumed(), by.first()) {
        (Consumed::Yes, Some(s)) => {
            format!("✓ {}{}", preview(s.id.as_bytes(), 16), more(by.len()))
        }
        (c, _) => c.mark().to_string(),
    }
}

/// The consumed state of a topic for `topics --format json` and the bulk delete.
pub(super) fn consumed_json(t: &TopicInfo) -> Value {
    let by = t.consumers();
    json!({
        "consumed": t.consumed(),
        "consumed_by": by.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "consumed_at_ns": by.first().and_then(|s| s.close_received_at_ns),
    })
}

/// Runs the bulk `swmq delete --consumed [--older-than D] [--yes]`.
pub(super) async fn delete_consumed(cfg: &Config, a: &DeleteArgs) -> CliResult {
    let what = "delete --consumed";
    super::refuse_if_read_only(cfg, what)?;
    let f = filter(true, false, a.older_than);
    let client = super::connect(cfg).await?;
    let now = now_ns();
    let mut all = client
        .list_topics()
        .await
        .map_err(|e| client_error(what, Some(&client), e))?;
    all.sort_by(|x, y| x.name.cmp(&y.name));
    all.retain(|t| {
        a.namespace
            .as_ref()
            .is_none_or(|ns| t.name.namespace == *ns)
    });
    let doomed: Vec<&TopicInfo> = all.iter().filter(|t| f.matches_topic(t, now)).collect();
    let unknown = all
        .iter()
        .filter(|t| t.consumed() == Consumed::Unknown)
        .count();
    if unknown > 0 {
        eprintln!(
            "swmq: {unknown} topic{} with an unknown consumed state (?) left alone",
            plural(unknown)
        );
    }
    let mut out = Out::new();
    if !a.yes {
        match a.format {
            TableOrJson::Json => {
                let names: Vec<Value> = doomed.iter().map(|t| doomed_json(t)).collect();
                out.line(&json!({"dry_run": true, "would_delete": names}).to_string());
            }
            TableOrJson::Table => {
                out.line(&format!(
                    "would delete {} consumed topic{}{}:",
                    doomed.len(),
                    plural(doomed.len()),
                    a.older_than
                        .map(|d| format!(" older than {}", format_duration(d)))
                        .unwrap_or_default()
                ));
                let list: Vec<TopicInfo> = doomed.iter().map(|t| (*t).clone()).collect();
                for l in super::tables::topics_table(&list, cfg.utc, true) {
                    out.line(&l);
                }
                out.line("nothing was deleted; pass --yes to delete them");
            }
        }
        return out.flush();
    }
    let report = delete_selected(&client, &|t| f.matches_topic(t, now), &doomed, false).await;
    report.print(&mut out, a.format);
    out.flush()?;
    match report.failed.len() {
        0 => Ok(()),
        n => Err(CliError::runtime(format!(
            "{what}: {n} topic{} could not be deleted (see above)",
            plural(n)
        ))),
    }
}

fn doomed_json(t: &TopicInfo) -> Value {
    let mut v = consumed_json(t);
    v["topic"] = json!(t.name.to_string());
    v["messages"] = json!(t.message_count());
    v["bytes"] = json!(t.bytes());
    v["last_ts_ns"] = json!(t.last_ts_ns());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{PartitionInfo, SubscriberInfo, TopicName};

    fn topic(consumed: Consumed, groups: &[(&str, Option<i64>)]) -> TopicInfo {
        let mut t = TopicInfo::bare(TopicName::parse("shop/orders").unwrap());
        t.partitions = vec![PartitionInfo {
            consumed,
            last_ts_ns: Some(10),
            subscribers: groups
                .iter()
                .map(|(id, at)| SubscriberInfo {
                    id: (*id).into(),
                    close_received_at_ns: *at,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }];
        t
    }

    #[test]
    fn the_cell_names_the_groups_at_the_end_and_the_filter_selects_on_it() {
        let two = topic(
            Consumed::Yes,
            &[("audit", Some(9)), ("billing", Some(5)), ("late", None)],
        );
        assert_eq!(consumed_short(&two), "✓ audit +1");
        assert_eq!(
            consumed_json(&two)["consumed_by"],
            json!(["audit", "billing"])
        );
        assert_eq!(consumed_json(&two)["consumed_at_ns"], 9);
        let no = topic(Consumed::No, &[("late", None)]);
        assert_eq!(consumed_short(&no), "✗");
        assert_eq!(consumed_short(&topic(Consumed::Unknown, &[])), "?");
        let f = filter(true, false, None);
        assert!(f.matches_topic(&two, 20) && !f.matches_topic(&no, 20));
        let old = filter(true, false, Some(15));
        assert!(
            !old.matches_topic(&two, 20),
            "last message 10 ns ago, not 15"
        );
        assert!(old.matches_topic(&two, 25));
        let un = filter(false, true, None);
        assert!(un.matches_topic(&no, 20) && !un.matches_topic(&two, 20));
        assert!(filter(false, false, None).matches_topic(&no, 0));
    }
}
