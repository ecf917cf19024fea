//! Reading 4.x partitions.
//!
//! [`read_partition`] reads the persisted history from the partition's log files in the
//! filer and the rest from the broker by offset (`logread`, `live`); when the filer cannot
//! be used it says so and falls back to [`read_partition_broker`], the subscription reader
//! below, which works around the 4.48 broker's live-tail bug.
//!
//! The subscription reader:
//!
//! Facts (`seaweedfs-4x.md`, "Reading"): `SubscribeMessage` reads history reliably (disk
//! then memory) from `RESET_TO_EARLIEST` or `EXACT_TS_NS`, but once caught up the stream
//! stays open and silent; `EXACT_TS_NS` is inclusive in memory and exclusive on disk;
//! timestamps are unique and strictly increasing per partition.
//!
//! Design, per partition (one task each, feeding the merger with [`PartEvent`]s):
//! - start with `RESET_TO_EARLIEST`, or for `from = At(T)` with `EXACT_TS_NS` at `T − 1`,
//!   dropping records before `T` (so a record at exactly `T` is delivered whichever side
//!   of the memory/disk boundary it is on);
//! - ack every record (unacked, a repeated key stalls the partition for up to 30 s; acked,
//!   4.48 still pauses ~137 ms before it sends a key again: measured, 7 records/s for a
//!   topic whose records all share one key);
//! - when the stream has been quiet for [`PartitionReadConfig::quiet`], open a new
//!   subscription at the last delivered timestamp, then cancel the quiet one, and drop
//!   every record at or before the last delivered one: no gap and no duplicate;
//! - the history that existed when the read began is complete once two reopened streams
//!   in a row bring nothing new (or, reading from the earliest, once as many records as
//!   `GetPartitionRangeInfo` counted at the start have come, or the settle time passed);
//!   a non-follow read also ends at the first record stamped after the read began;
//! - following, an idle partition whose last subscription brought nothing new asks the
//!   broker every [`PartitionReadConfig::poll`] for its count (`GetPartitionRangeInfo`,
//!   taken before each subscription is opened): when it grew, the partition reopens at the
//!   last delivered timestamp; when it did not, nothing was written since, and the
//!   partition reports a watermark (the time of the check, less a slack). It also reopens
//!   every [`PartitionReadConfig::refresh`] in case the count does not move;
//! - transient failures are retried with backoff and resume after the last delivered
//!   timestamp.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::sub::{StartAt, Sub, SubItem};

mod fetch;
mod live;
mod logread;
mod seam;
use super::{MqClient, Part};
use crate::client::merge::PartEvent;
use crate::client::{ClientError, Record, TopicName};
use crate::proto::mq::messaging_pb::DataMessage;
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

/// After this long without a record, an idle partition polls at a third of the rate.
const LONG_IDLE: Duration = Duration::from_secs(5);

/// Failures of the broker's control messages tolerated in a row before giving up.
const MAX_CTRL_ERRORS: u32 = 5;

/// How long a reader waits before it subscribes again after the broker ended its stream.
const ENDED_PAUSE: Duration = Duration::from_secs(2);

/// "Topic not found" answers in a row retried while the filer cannot confirm it.
const MAX_NOT_FOUND_UNCONFIRMED: u32 = 15;

/// Transient failures in a row a non-follow read retries before it reports the
/// partition failed (about 21 s of backoff); a following read retries for ever.
const MAX_ATTEMPTS_NO_FOLLOW: u32 = 8;

/// Whether the reader goes on.
enum Flow {
    Go,
    Stop,
}

/// One partition's reader.
struct Reader {
    client: MqClient,
    job: PartitionRead,
    cfg: PartitionReadConfig,
    tx: mpsc::Sender<PartEvent>,
    /// The last delivered timestamp.
    last: Option<i64>,
    /// Records before this are dropped (inclusive lower bound).
    lower: Option<i64>,
    /// Records delivered since the start.
    seen: i64,
    caught_up: bool,
    /// Whether the current subscription brought something new.
    got_new: bool,
    /// Consecutive quiet periods without anything new.
    empty_reopens: u32,
    last_progress: Instant,
    /// Retry attempt (0: none in progress).
    attempt: u32,
    watermark: i64,
    /// The broker's count taken just before the current subscription was opened.
    count_at_open: Option<i64>,
    /// When the current subscription was opened.
    opened_at: Instant,
    sub: Sub,
    /// The current subscription has ended (its channel gives nothing more).
    sub_done: bool,
    /// `FetchMessage`'s first answer confirmed the count of the start (reading from the
    /// earliest): it can read on where the subscriptions stall.
    fetch_trusted: bool,
    quiet_at: Instant,
}

impl Reader {
    fn start_at(&self) -> StartAt {
        match (self.last, self.job.from) {
            (Some(ts), _) => StartAt::Ts(ts),
            (None, TimeSpec::Earliest) => StartAt::Earliest,
            (None, TimeSpec::At(t)) => StartAt::Ts(t.saturating_sub(1)),
            (None, TimeSpec::Latest) => StartAt::Ts(self.job.began_ns.saturating_sub(1)),
        }
    }

    /// The broker's count of records in this partition (`max(record_count, hwm)`).
    async fn broker_count(&self) -> Option<i64> {
        let r = self
            .client
            .range_info(&self.job.topic, &self.job.part)
            .await;
        r.ok().map(|r| r.record_count.max(r.high_water_mark))
    }

    /// Opens a new subscription at the resume point, then cancels the old one. Following,
    /// the broker's count is taken first (`count`, or asked now).
    async fn reopen(&mut self, wait: Duration, count: Option<i64>) {
        if self.job.follow {
            self.count_at_open = match count {
                Some(c) => Some(c),
                None => self.broker_count().await,
            };
        }
        tracing::debug!(
            "{} partition {}: subscribe at {:?} ({} delivered, {} empty reopens)",
            self.job.topic,
            self.job.part.index,
            self.start_at(),
            self.seen,
            self.empty_reopens
        );
        let next = Sub::open(
            &self.client,
            &self.job.topic,
            &self.job.part,
            self.start_at(),
            self.cfg.window,
        );
        self.opened_at = Instant::now();
        self.sub = next;
        self.sub_done = false;
        self.got_new = false;
        self.quiet_at = Instant::now() + wait;
    }

    async fn send(&self, ev: PartEvent) -> Flow {
        match self.tx.send(ev).await {
            Ok(()) => Flow::Go,
            Err(_) => Flow::Stop,
        }
    }

    async fn reconnected(&mut self) -> Flow {
        if self.attempt > 0 {
            self.attempt = 0;
            return self.send(PartEvent::Reconnected).await;
        }
        Flow::Go
    }

    /// Adds a message to `batch` unless it is a duplicate or out of bounds; `true` when
    /// the read of this partition is over (past `until`, or past its start when not
    /// following).
    fn take(&mut self, d: DataMessage, offset: Option<i64>, batch: &mut Vec<Record>) -> bool {
        if self.last.is_some_and(|l| d.ts_ns <= l) || self.lower.is_some_and(|lo| d.ts_ns < lo) {
            return false;
        }
        if (!self.job.follow && d.ts_ns > self.job.began_ns)
            || self.job.until.is_some_and(|u| d.ts_ns > u)
        {
            return true;
        }
        self.last = Some(d.ts_ns);
        self.seen += 1;
        batch.push(Record {
            topic: self.job.topic.clone(),
            partition: self.job.part.index,
            ts_ns: d.ts_ns,
            key: d.key,
            value: d.value,
            headers: Vec::new(),
            is_close: false,
            offset,
            decoded: None,
        });
        false
    }

    /// A message arrived: takes it and whatever else is ready, sends one batch.
    async fn on_data(&mut self, first: DataMessage) -> Flow {
        let mut batch = Vec::new();
        let mut done = self.take(first, None, &mut batch);
        let mut other = None;
        while !done && batch.len() < self.cfg.batch {
            match self.sub.rx.try_recv() {
                Ok(SubItem::Data(d)) => done = self.take(d, None, &mut batch),
                Ok(item) => {
                    other = Some(item);
                    break;
                }
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            self.got_new = true;
            self.last_progress = Instant::now();
            if let Flow::Stop = self.send(PartEvent::Records(batch)).await {
                return Flow::Stop;
            }
        }
        if done {
            if !self.caught_up {
                let _ = self.send(PartEvent::CaughtUp).await;
            }
            return Flow::Stop;
        }
        if let Flow::Stop = self.reconnected().await {
            return Flow::Stop;
        }
        self.quiet_at = Instant::now() + self.cfg.quiet;
        match other {
            Some(item) => Box::pin(self.on_item(item)).await,
            None => Flow::Go,
        }
    }

    async fn on_item(&mut self, item: SubItem) -> Flow {
        match item {
            SubItem::Data(d) => self.on_data(d).await,
            SubItem::Ended | SubItem::Ctrl { end: true, .. } => {
                // The broker ended the stream (it keeps idle ones open): a delete
                // (CloseSubscribers) ends the read instead of reloading the topic.
                self.sub_done = true;
                let flow = self.check_deleted().await;
                // Not at once: a broker that ended the stream may be shutting the partition
                // down, and 4.48 crashed ("close of closed channel") when a subscription
                // arrived during that shutdown.
                self.quiet_at = Instant::now() + ENDED_PAUSE;
                flow
            }
            SubItem::Ctrl { error, .. } if error.is_empty() => Flow::Go,
            SubItem::Ctrl { error, .. } => {
                let status = tonic::Status::unknown(error);
                self.on_failure(status, true).await
            }
            SubItem::Failed(status) => self.on_failure(status, false).await,
        }
    }

    /// A stream failed: fatal errors end this partition's read (the merger reports it
    /// and goes on with the others); transient ones are retried after a backoff, with the
    /// leader looked up again, resuming after the last delivered record. "Topic not found"
    /// is transient while the filer still holds the topic (a restarting broker says it
    /// before it has loaded the topic), or while the filer is down too during a retry.
    async fn on_failure(&mut self, status: tonic::Status, from_ctrl: bool) -> Flow {
        let topic = self.job.topic.to_string();
        let err = if super::is_missing_topic(&status) {
            ClientError::TopicNotFound(topic)
        } else {
            ClientError::rpc(
                format!("read {topic} partition {}", self.job.part.index),
                status,
            )
        };
        let retry = match &err {
            // Unless the filer confirms it is gone: a broker shutting down (seen on TERM)
            // or starting says "not found" while the filer cannot be asked.
            ClientError::TopicNotFound(_) => {
                match self.client.topic_in_filer(&self.job.topic).await {
                    Some(exists) => exists,
                    None => self.attempt < MAX_NOT_FOUND_UNCONFIRMED,
                }
            }
            // Following, any other failure of one partition is retried (reported each
            // time): a restarted weed refuses partitions until it has reassigned them,
            // and a broker that cannot load a partition may get it back.
            e => {
                e.is_transient() || self.job.follow || (from_ctrl && self.attempt < MAX_CTRL_ERRORS)
            }
        };
        if !retry {
            let _ = self.send(PartEvent::Failed(err)).await;
            return Flow::Stop;
        }
        self.sub_done = true;
        let mut err = err;
        loop {
            if !self.job.follow && self.attempt >= MAX_ATTEMPTS_NO_FOLLOW {
                let _ = self.send(PartEvent::Failed(err)).await;
                return Flow::Stop;
            }
            self.attempt += 1;
            let ev = PartEvent::Reconnecting {
                error: err,
                attempt: self.attempt,
            };
            if let Flow::Stop = self.send(ev).await {
                return Flow::Stop;
            }
            tokio::select! {
                _ = self.tx.closed() => return Flow::Stop,
                _ = tokio::time::sleep(backoff(self.attempt)) => {}
            }
            // Nothing but the readiness probe goes to a broker that may be starting.
            let tx = self.tx.clone();
            let ready = tokio::select! {
                _ = tx.closed() => return Flow::Stop,
                r = self.ready_and_relooked_up() => r,
            };
            match ready {
                Ok(()) => break,
                Err(e) => err = e,
            }
        }
        self.reopen(self.cfg.quiet, None).await;
        Flow::Go
    }

    /// Probes the connected broker, looks the leader up again, then probes the leader.
    async fn ready_and_relooked_up(&mut self) -> Result<(), ClientError> {
        self.client
            .ready_and_relooked_up(&self.job.topic, &mut self.job.part)
            .await
    }

    /// The stream has been quiet: decides whether the history is complete, reports
    /// progress, then reopens at the last delivered timestamp.
    async fn on_quiet(&mut self) -> Flow {
        if self.got_new {
            self.empty_reopens = 0;
        } else {
            self.empty_reopens += 1;
        }
        if !self.sub_done
            && let Flow::Stop = self.reconnected().await
        {
            return Flow::Stop;
        }
        if !self.caught_up
            && self.fetch_trusted
            && self.empty_reopens >= 2
            && self.job.count_at_start.is_some_and(|c| self.seen < c)
        {
            if let Flow::Stop = self.fetch_rest().await {
                return Flow::Stop;
            }
            if self.caught_up {
                self.reopen(self.cfg.quiet, None).await;
                return Flow::Go;
            }
        }
        if !self.caught_up && self.history_complete() {
            self.caught_up = true;
            if let Flow::Stop = self.send(PartEvent::CaughtUp).await {
                return Flow::Stop;
            }
            if !self.job.follow {
                return Flow::Stop;
            }
        }
        if !self.caught_up || self.got_new {
            // Still reading history, or the stream delivered and may have stopped short
            // at the live edge: confirm with a fresh subscription.
            self.reopen(self.cfg.quiet, None).await;
            return Flow::Go;
        }
        // Idle at the live edge, and the current subscription (opened after
        // `count_at_open` was taken) brought nothing new: it has delivered all of it.
        let checked_ns = crate::time::now_ns();
        let count = self.broker_count().await;
        let grew = match (count, self.count_at_open) {
            (Some(c), Some(at_open)) => c > at_open,
            // No count (the broker did not answer): reopen, which reports a failure, and
            // claim no watermark for a broker that may be gone.
            (Some(_), None) | (None, _) => true,
        };
        if grew || self.opened_at.elapsed() >= self.cfg.refresh {
            if let Flow::Stop = self.check_deleted().await {
                return Flow::Stop;
            }
            self.reopen(self.cfg.quiet, count).await;
            return Flow::Go;
        }
        // Nothing was written since: nothing stamped before now (less a slack for
        // publishers' clocks and writes in flight) can still come.
        let wm = checked_ns - self.cfg.watermark_slack.as_nanos() as i64;
        let wm = wm.max(self.last.map_or(i64::MIN, |l| l + 1));
        if wm > self.watermark {
            self.watermark = wm;
            if let Flow::Stop = self.send(PartEvent::Watermark(wm)).await {
                return Flow::Stop;
            }
        }
        if self.job.until.is_some_and(|u| wm > u) {
            // Nothing at or before `until` can come any more.
            return Flow::Stop;
        }
        // Long idle partitions are asked less often (the broker's load, many partitions).
        let poll = if self.last_progress.elapsed() < LONG_IDLE {
            self.cfg.poll
        } else {
            self.cfg.poll * 3
        };
        self.quiet_at = Instant::now() + poll;
        Flow::Go
    }

    /// Ends the read with `TopicNotFound` when the topic's directory is gone from the
    /// filer (deleted); goes on when it exists or the filer cannot be asked.
    async fn check_deleted(&mut self) -> Flow {
        if self.client.topic_in_filer(&self.job.topic).await == Some(false) {
            let e = ClientError::TopicNotFound(format!("{} (deleted)", self.job.topic));
            let _ = self.send(PartEvent::Failed(e)).await;
            return Flow::Stop;
        }
        Flow::Go
    }

    /// Whether the history that existed when the read began has been delivered, judged
    /// when the stream has gone quiet.
    fn history_complete(&self) -> bool {
        let counted = match (self.job.from, self.job.count_at_start) {
            (TimeSpec::Earliest, Some(c)) if c > 0 => Some(self.seen >= c),
            _ => None,
        };
        match counted {
            Some(true) => true,
            // The broker counts more than came: keep reopening for a while (a reloading
            // partition can hide recent records), then accept what came (its counts are
            // not exact).
            Some(false) => {
                self.empty_reopens >= 3 && self.last_progress.elapsed() >= self.cfg.settle
            }
            // Two fresh subscriptions in a row brought nothing new (one could be slow to
            // start on a loaded broker).
            None => self.empty_reopens >= 2,
        }
    }
}

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

/// [`read_partition`] through the broker's `SubscribeMessage` (and `FetchMessage` for
/// repeated keys) only: the reader used when the filer cannot be read.
pub async fn read_partition_broker(
    client: MqClient,
    job: PartitionRead,
    cfg: PartitionReadConfig,
    tx: mpsc::Sender<PartEvent>,
) {
    let lower = match job.from {
        TimeSpec::Earliest => None,
        TimeSpec::At(t) => Some(t),
        TimeSpec::Latest => Some(job.began_ns),
    };
    let mut r = Reader {
        count_at_open: job.count_at_start,
        opened_at: Instant::now(),
        client,
        job,
        cfg,
        tx,
        last: None,
        lower,
        seen: 0,
        caught_up: false,
        got_new: false,
        empty_reopens: 0,
        last_progress: Instant::now(),
        attempt: 0,
        watermark: i64::MIN,
        sub: Sub::none(),
        sub_done: true,
        fetch_trusted: false,
        quiet_at: Instant::now() + cfg.quiet,
    };
    if let Flow::Stop = r.fetch_history().await {
        return;
    }
    let count = r.count_at_open;
    r.reopen(r.cfg.quiet, count).await;
    loop {
        let flow = tokio::select! {
            biased;
            _ = r.tx.closed() => Flow::Stop,
            item = r.sub.rx.recv(), if !r.sub_done => {
                r.on_item(item.unwrap_or(SubItem::Ended)).await
            }
            _ = tokio::time::sleep_until(r.quiet_at) => r.on_quiet().await,
        };
        if let Flow::Stop = flow {
            return;
        }
    }
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
