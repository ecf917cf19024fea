//! `swmq chan list` and the bulk `swmq chan delete --closed --consumed`: which channels a
//! subscriber read through their close, and clearing those without touching anything else.
//!
//! A bulk delete only ever selects closed channels that are consumed (the broker recorded a
//! subscriber receiving the close); each one is described again right before its delete, so
//! a channel deleted and re-created (open) meanwhile is skipped, never deleted.

use serde_json::{Value, json};

use super::args::{ChanListFilter, TableOrJson};
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use super::tables::{Col, WIDTH, render};
use crate::client::{ChannelFilter, Client, ClientError, Consumed, TopicInfo};
use crate::config::Config;
use crate::format::{human_bytes, preview};
use crate::time::{format_duration, now_ns};

/// `swmq chan delete` without a name.
#[derive(Debug, Clone, Copy)]
pub(super) struct BulkDelete {
    /// `--closed`.
    pub closed: bool,
    /// `--consumed`.
    pub consumed: bool,
    /// `--older-than`, ns.
    pub older_than: Option<i64>,
    /// `--yes`: delete (else only show).
    pub yes: bool,
    /// Output format.
    pub format: TableOrJson,
}

/// Runs `swmq chan list`.
pub(super) async fn list(cfg: &Config, f: &ChanListFilter, format: TableOrJson) -> CliResult {
    let what = "chan list";
    let client = super::chan::channels(cfg, what).await?;
    let filter = ChannelFilter {
        closed: f.closed,
        consumed: (f.consumed || f.unconsumed).then_some(f.consumed),
        older_than_ns: f.older_than,
    };
    let now = now_ns();
    let all = all_channels(&client, what).await?;
    let shown: Vec<&TopicInfo> = all.iter().filter(|t| filter.matches(t, now)).collect();
    let mut out = Out::new();
    match format {
        TableOrJson::Json => {
            for t in shown {
                out.line(&channel_json(t).to_string());
            }
        }
        TableOrJson::Table => {
            for l in channels_table(&shown, now) {
                out.line(&l);
            }
            if let Some(note) = unknown_note(&all) {
                eprintln!("swmq: {note}");
            }
        }
    }
    out.flush()
}

/// Runs the bulk `swmq chan delete --closed --consumed [--older-than D] [--yes]`.
pub(super) async fn delete(cfg: &Config, a: BulkDelete) -> CliResult {
    let what = "chan delete";
    if !(a.closed && a.consumed) {
        return Err(CliError::usage(
            "a bulk chan delete needs both --closed and --consumed (it never deletes an open \
             or unconsumed channel); to delete one channel, name it",
        ));
    }
    let filter = ChannelFilter::done(a.older_than);
    debug_assert!(filter.is_safe_for_bulk_delete());
    super::refuse_if_read_only(cfg, what)?;
    let client = super::chan::channels(cfg, what).await?;
    let now = now_ns();
    let all = all_channels(&client, what).await?;
    let doomed: Vec<&TopicInfo> = all.iter().filter(|t| filter.matches(t, now)).collect();
    if let Some(note) = unknown_note(&all) {
        eprintln!("swmq: {note}");
    }
    let mut out = Out::new();
    if !a.yes {
        match a.format {
            TableOrJson::Json => {
                let names: Vec<Value> = doomed.iter().map(|t| channel_json(t)).collect();
                out.line(&json!({"dry_run": true, "would_delete": names}).to_string());
            }
            TableOrJson::Table => {
                out.line(&format!(
                    "would delete {} closed, consumed channel{}{}:",
                    doomed.len(),
                    plural(doomed.len()),
                    a.older_than
                        .map(|d| format!(" older than {}", format_duration(d)))
                        .unwrap_or_default()
                ));
                for l in channels_table(&doomed, now) {
                    out.line(&l);
                }
                out.line("nothing was deleted; pass --yes to delete them");
            }
        }
        return out.flush();
    }
    let report = delete_selected(&client, &|t| filter.matches(t, now), &doomed, true).await;
    report.print(&mut out, a.format);
    out.flush()?;
    match report.failed.len() {
        0 => Ok(()),
        n => Err(CliError::runtime(format!(
            "{what}: {n} channel{} could not be deleted (see above)",
            plural(n)
        ))),
    }
}

/// What a bulk delete did (of channels, by channel name; or of topics, `NS/TOPIC`).
#[derive(Debug, Default)]
pub(super) struct Report {
    pub deleted: Vec<String>,
    pub skipped: Vec<(String, String)>,
    pub failed: Vec<(String, String)>,
    pub channels: bool,
}

impl Report {
    pub(super) fn print(&self, out: &mut Out, format: TableOrJson) {
        let key = if self.channels { "channel" } else { "topic" };
        let pairs = |v: &[(String, String)]| -> Vec<Value> {
            v.iter()
                .map(|(c, why)| json!({key: c, "reason": why}))
                .collect()
        };
        let label = |c: &str| {
            let c = preview(c.as_bytes(), 200);
            if self.channels {
                format!("chan/{c}")
            } else {
                c
            }
        };
        match format {
            TableOrJson::Json => out.line(
                &json!({
                    "deleted": self.deleted,
                    "skipped": pairs(&self.skipped),
                    "failed": pairs(&self.failed),
                })
                .to_string(),
            ),
            TableOrJson::Table => {
                for c in &self.deleted {
                    out.line(&format!("deleted {}", label(c)));
                }
                for (c, why) in &self.skipped {
                    out.line(&format!("skipped {}: {why}", label(c)));
                }
                for (c, why) in &self.failed {
                    out.line(&format!("FAILED {}: {why}", label(c)));
                }
                out.line(&format!(
                    "{} {key}{} deleted",
                    self.deleted.len(),
                    plural(self.deleted.len())
                ));
            }
        }
    }
}

/// Deletes each selected channel (or topic) after describing it again: one that changed
/// since the listing (re-created, so open or unread; or gone) is skipped; a failure does
/// not stop the rest.
pub(super) async fn delete_selected(
    client: &Client,
    still_matches: &dyn Fn(&TopicInfo) -> bool,
    doomed: &[&TopicInfo],
    channels: bool,
) -> Report {
    let mut r = Report {
        channels,
        ..Default::default()
    };
    for t in doomed {
        let name = if channels {
            t.name.name.clone()
        } else {
            t.name.to_string()
        };
        match client.describe(&t.name, None).await {
            Ok(d) if still_matches(&d.info) => {}
            Ok(_) => {
                let why = if channels {
                    "no longer closed and consumed"
                } else {
                    "no longer consumed"
                };
                r.skipped.push((name, why.into()));
                continue;
            }
            Err(ClientError::TopicNotFound(_)) => {
                r.skipped.push((name, "already gone".into()));
                continue;
            }
            Err(e) => {
                r.failed.push((name, e.to_string()));
                continue;
            }
        }
        match client.delete(&t.name).await {
            Ok(_) => r.deleted.push(name),
            Err(e) => r.failed.push((name, e.to_string())),
        }
    }
    r
}

/// Every channel the broker lists, by name.
async fn all_channels(client: &Client, what: &str) -> CliResult<Vec<TopicInfo>> {
    let mut all: Vec<TopicInfo> = client
        .list_topics()
        .await
        .map_err(|e| client_error(what, Some(client), e))?
        .into_iter()
        .filter(|t| t.name.is_channel())
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// Said when closed channels have an unknown consumed state (nothing is deleted for them).
fn unknown_note(all: &[TopicInfo]) -> Option<String> {
    let n = all
        .iter()
        .filter(|t| t.closed() && t.consumed() == Consumed::Unknown)
        .count();
    (n > 0).then(|| {
        format!(
            "{n} closed channel{} with an unknown consumed state (?): this broker does not \
             record subscribers, or they were closed before it began to; a bulk delete \
             leaves them alone",
            plural(n)
        )
    })
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `✓ worker-3 2h ago`, `✓ audit +1 5m ago` (4.x: two groups at the end), `✗`, `?`.
pub(super) fn consumed_cell(t: &TopicInfo, now: i64) -> String {
    let by = t.consumers();
    match (t.consumed(), by.first()) {
        (Consumed::Yes, Some(s)) => format!(
            "✓ {}{} {} ago",
            preview(s.id.as_bytes(), 20),
            more(by.len()),
            format_duration(now - s.close_received_at_ns.unwrap_or(now))
        ),
        (c, _) => c.mark().to_string(),
    }
}

/// ` +N` for the consumers beyond the first.
pub(super) fn more(n: usize) -> String {
    if n > 1 {
        format!(" +{}", n - 1)
    } else {
        String::new()
    }
}

/// The `chan list` table (also what a bulk delete shows).
fn channels_table(ts: &[&TopicInfo], now: i64) -> Vec<String> {
    let cols = [
        Col {
            header: "CHANNEL",
            right: false,
        },
        Col {
            header: "STATE",
            right: false,
        },
        Col {
            header: "CONSUMED",
            right: false,
        },
        Col {
            header: "MESSAGES",
            right: true,
        },
        Col {
            header: "SIZE",
            right: true,
        },
        Col {
            header: "LAST",
            right: true,
        },
    ];
    let rows: Vec<Vec<String>> = ts
        .iter()
        .map(|t| {
            vec![
                preview(t.name.name.as_bytes(), 200),
                if t.closed() { "closed" } else { "open" }.into(),
                consumed_cell(t, now),
                t.message_count().map_or("-".into(), super::tables::group),
                t.bytes().map_or("-".into(), human_bytes),
                t.last_ts_ns()
                    .map_or("-".into(), |l| format!("{} ago", format_duration(now - l))),
            ]
        })
        .collect();
    render(&cols, &rows, 0, WIDTH)
}

/// One channel as a JSON object (`chan list --format json`, the bulk delete's dry run).
fn channel_json(t: &TopicInfo) -> Value {
    let consumer = t.consumer();
    json!({
        "channel": t.name.name,
        "topic": t.name.to_string(),
        "closed": t.closed(),
        "consumed": t.consumed(),
        "consumed_by": consumer.map(|s| s.id.clone()),
        "consumed_at_ns": consumer.and_then(|s| s.close_received_at_ns),
        "messages": t.message_count(),
        "bytes": t.bytes(),
        "first_ts_ns": t.first_ts_ns(),
        "last_ts_ns": t.last_ts_ns(),
        "subscribers": t.partitions.iter().flat_map(|p| p.subscribers.iter()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{PartitionInfo, SubscriberInfo, TopicName};

    const NOW: i64 = 1_764_200_000_000_000_000;
    const H: i64 = 3_600_000_000_000;

    fn chan(name: &str, closed: bool, consumer: Option<&str>) -> TopicInfo {
        let mut t = TopicInfo::bare(TopicName::channel(name).unwrap());
        t.partitions = vec![PartitionInfo {
            closed,
            consumed: if consumer.is_some() {
                Consumed::Yes
            } else if closed {
                Consumed::Unknown
            } else {
                Consumed::No
            },
            message_count: Some(1234),
            bytes: Some(2048),
            last_ts_ns: Some(NOW - 3 * H),
            subscribers: consumer
                .map(|id| SubscriberInfo {
                    id: id.into(),
                    close_received_at_ns: Some(NOW - 2 * H),
                    ..Default::default()
                })
                .into_iter()
                .collect(),
            ..Default::default()
        }];
        t
    }

    #[test]
    fn the_table_shows_state_and_who_consumed_it() {
        let a = chan("nightly", true, Some("worker-3"));
        let b = chan("live", false, None);
        let c = chan("old", true, None);
        let hostile = chan("evil", true, Some("w\x1b[2J\x07"));
        let lines = channels_table(&[&a, &b, &c, &hostile], NOW);
        assert!(lines[0].starts_with("CHANNEL"), "{lines:?}");
        assert!(lines[1].contains("closed") && lines[1].contains("✓ worker-3 2h ago"));
        assert!(lines[1].contains("1,234") && lines[1].contains("3h ago"));
        assert!(lines[2].contains("open") && lines[2].contains('✗'));
        assert!(lines[3].contains('?'));
        assert!(
            !lines[4].contains('\x1b') && !lines[4].contains('\x07'),
            "{}",
            lines[4]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        let j = channel_json(&a);
        assert_eq!(j["consumed"], "yes");
        assert_eq!(j["consumed_by"], "worker-3");
        assert_eq!(j["topic"], "chan/nightly");
        assert_eq!(channel_json(&c)["consumed"], "unknown");
        assert!(
            unknown_note(&[a, b, c])
                .unwrap()
                .starts_with("1 closed channel ")
        );
    }
}
