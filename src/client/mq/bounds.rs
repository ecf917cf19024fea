//! Exact first and last timestamps of a partition, for `describe`.
//!
//! 4.48 never fills `GetPartitionRangeInfo.timestamp_range`, and the log file names give
//! seconds only (and nothing for data still in memory). The first timestamp is the first
//! message of a `RESET_TO_EARLIEST` subscription; the last one comes from a subscription
//! at the start of the last flushed log file (or the first message), read until it goes
//! quiet. Both are bounded in time; on a timeout the filer's bounds are kept.

use std::time::Duration;

use tokio::time::Instant;

use super::logs::LogFile;
use super::sub::{StartAt, Sub, SubItem};
use super::{MqClient, Part};
use crate::client::TopicName;

/// How long to wait for the first message.
const FIRST_WAIT: Duration = Duration::from_millis(1500);
/// Quiet time that ends the scan for the last message (a repeated key costs the broker
/// ~137 ms per message, so this stays above that).
const QUIET: Duration = Duration::from_millis(500);
/// Longest scan for the last message.
const LAST_BUDGET: Duration = Duration::from_secs(3);

/// `(first, last)` timestamps of a partition, `None` where they could not be found.
pub async fn exact_bounds(
    client: &MqClient,
    topic: &TopicName,
    part: &Part,
    files: &[LogFile],
) -> (Option<i64>, Option<i64>) {
    let first = first_ts(client, topic, part).await;
    let Some(first) = first else {
        return (None, None);
    };
    let from = files
        .last()
        .map(|f| f.start_ns.saturating_sub(1))
        .unwrap_or(first - 1)
        .max(first - 1);
    let last = last_ts(client, topic, part, from).await;
    // The scan cannot end before the last log file begins.
    let floor = files.last().map_or(first, |f| f.start_ns.max(first));
    (Some(first), Some(last.unwrap_or(first).max(floor)))
}

async fn first_ts(client: &MqClient, topic: &TopicName, part: &Part) -> Option<i64> {
    let mut sub = Sub::open(client, topic, part, StartAt::Earliest, 1);
    let deadline = Instant::now() + FIRST_WAIT;
    loop {
        match tokio::time::timeout_at(deadline, sub.rx.recv()).await {
            Ok(Some(SubItem::Data(d))) => return Some(d.ts_ns),
            Ok(Some(SubItem::Ctrl { error, end })) if error.is_empty() && !end => continue,
            _ => return None,
        }
    }
}

async fn last_ts(client: &MqClient, topic: &TopicName, part: &Part, from: i64) -> Option<i64> {
    let mut sub = Sub::open(client, topic, part, StartAt::Ts(from), 64);
    let budget = Instant::now() + LAST_BUDGET;
    let mut last = None;
    loop {
        let deadline = (Instant::now() + QUIET).min(budget);
        match tokio::time::timeout_at(deadline, sub.rx.recv()).await {
            Ok(Some(SubItem::Data(d))) => last = Some(d.ts_ns),
            Ok(Some(SubItem::Ctrl { error, end })) if error.is_empty() && !end => continue,
            _ => return last,
        }
    }
}
