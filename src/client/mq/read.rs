//! Reading 4.x partitions.
//!
//! [`read_partition`] reads the persisted history from the partition's log files in the
//! filer and the rest from the broker by offset (`logread`, `live`); when the filer cannot
//! be used it says so and falls back to [`read_partition_broker`], the subscription reader
//! (`subscribe`), which works around the 4.48 broker's live-tail bug.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

mod live;
mod logread;
mod seam;
mod subscribe;
pub(crate) use subscribe::read_partition_broker;

use super::MqClient;
use super::Part;
use crate::client::TopicName;
use crate::client::merge::PartEvent;
use crate::time::TimeSpec;

/// Timing of the per-partition readers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionReadConfig {
    /// A stream without data for this long is considered quiet (and reopened).
    pub quiet: Duration,
    /// Following, how often an idle partition asks the broker whether it grew
    /// (`GetPartitionRangeInfo`), reporting a watermark when it did not.
    pub poll: Duration,
    /// Following, the longest time an idle partition keeps one subscription before
    /// reopening it anyway (in case the broker's counts do not move).
    pub refresh: Duration,
    /// Reading from the earliest, how long to keep reopening without progress while the
    /// broker's count says more records exist, before declaring the history complete.
    pub settle: Duration,
    /// `sliding_window_size` of the subscriptions (≥ 1; 0 kills a 4.48 broker).
    pub window: i32,
    /// How far behind the time of the last empty reopen the watermark of an idle
    /// partition is put.
    pub watermark_slack: Duration,
    /// Records per batch.
    pub batch: usize,
    /// Read history from the filer's log files (else through the broker's subscriptions).
    pub from_files: bool,
    /// Log files fetched ahead, per partition.
    pub prefetch: usize,
    /// At the live edge, how often `FetchMessage` asks for new records.
    pub live_poll: Duration,
    /// While the broker cannot serve a partition by offset, how often its directory is
    /// listed again for new log files (5× that otherwise).
    pub relist: Duration,
    /// At most this many records of each partition are wanted: the consumer takes only the
    /// first N records of the merged read (no partition can contribute more than N of
    /// them), so a partition reader stops reading its log files once it has delivered N
    /// (`swmq tail --count N` without `--grep`). `None`: no limit.
    pub limit: Option<usize>,
}

impl Default for PartitionReadConfig {
    fn default() -> Self {
        PartitionReadConfig {
            quiet: Duration::from_millis(300),
            poll: Duration::from_millis(150),
            refresh: Duration::from_secs(2),
            settle: Duration::from_secs(2),
            window: 256,
            watermark_slack: Duration::from_millis(250),
            batch: 1000,
            from_files: true,
            prefetch: 4,
            live_poll: Duration::from_millis(40),
            relist: Duration::from_secs(2),
            limit: None,
        }
    }
}

/// What one partition reader is asked to do.
#[derive(Debug, Clone)]
pub struct PartitionRead {
    /// The topic (shared by its records).
    pub topic: Arc<TopicName>,
    /// The partition, as looked up.
    pub part: Part,
    /// Where to start.
    pub from: TimeSpec,
    /// Stop after this timestamp.
    pub until: Option<i64>,
    /// Keep following once caught up.
    pub follow: bool,
    /// When the read began (ns): a non-follow read ends at the first record after it,
    /// and `Latest` starts there.
    pub began_ns: i64,
    /// The broker's count of records when the read began (`max(record_count, hwm)`).
    pub count_at_start: Option<i64>,
}

/// Backoff before retry `attempt` (from 1): 200 ms doubling, at most 5 s.
fn backoff(attempt: u32) -> Duration {
    let ms = 200u64.saturating_mul(1 << attempt.saturating_sub(1).min(5));
    Duration::from_millis(ms.min(5000))
}

/// Transient failures in a row a non-follow read retries before it reports the
/// partition failed (about 21 s of backoff); a following read retries for ever.
const MAX_ATTEMPTS_NO_FOLLOW: u32 = 8;

/// Reads one partition into `tx` until done (non-follow), `until` is passed, the merger
/// is gone (`tx` closed) or a fatal error: history from the log files in the filer, the
/// rest by `FetchMessage`; through the broker's subscriptions when the filer cannot be
/// used (said once, as a notice).
pub async fn read_partition(
    client: MqClient,
    job: PartitionRead,
    cfg: PartitionReadConfig,
    tx: mpsc::Sender<PartEvent>,
) {
    if !cfg.from_files {
        return read_partition_broker(client, job, cfg, tx).await;
    }
    let mut r = logread::LogReader::new(client.clone(), job.clone(), cfg, tx.clone());
    match r.read_files().await {
        logread::FilesOutcome::Stop => return,
        logread::FilesOutcome::NoFiler(e) => {
            let text = format!(
                "{}: the filer's log files cannot be read ({e}); history comes through the \
                 broker instead: slower, without offsets, and seeks can miss records whose \
                 stamps are older than their arrival",
                job.topic
            );
            tracing::warn!("{text}");
            if r.send(PartEvent::Notice(text)).await == logread::Go::Stop {
                return;
            }
            return read_partition_broker(client, job, cfg, tx).await;
        }
        logread::FilesOutcome::Done => {}
    }
    if r.done_reading {
        let _ = r.send(PartEvent::CaughtUp).await;
        return;
    }
    r.live().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(400));
        assert_eq!(backoff(5), Duration::from_millis(3200));
        assert_eq!(backoff(6), Duration::from_secs(5));
        assert_eq!(backoff(60), Duration::from_secs(5));
    }

    #[test]
    fn the_default_window_is_never_zero() {
        // 0 kills a 4.48 broker on the first keyed message.
        assert!(PartitionReadConfig::default().window >= 1);
    }
}
