//! The per-partition reader of 4.x history from its source of truth: the log files in the
//! filer, then the broker's unflushed memory and the live edge by `FetchMessage`.
//!
//! Per partition (one task each, feeding the merger with [`PartEvent`]s):
//! 1. one listing of the partition directory; a seek to `T` starts at the last log file
//!    named at least a second before `T` (binary search over the names: file names are
//!    the second of their first record, and a partition's timestamps strictly increase
//!    from file to file), never a scan from the start;
//! 2. the files from there are fetched whole over the filer's HTTP port, at most
//!    [`PartitionReadConfig::prefetch`] at a time (memory stays bounded whatever the
//!    topic's size), decoded in order, and every record at or after `T` is delivered with
//!    its real offset and original timestamp (back-dated stamps included: nothing depends
//!    on the broker's `EXACT_TS_NS` positioning);
//! 3. the directory is listed once more for files flushed meanwhile;
//! 4. handover: `FetchMessage` from the last file offset + 1 reads what the broker has not
//!    flushed, then polls the live edge every [`PartitionReadConfig::live_poll`]. A record
//!    is delivered only when its timestamp is above the last delivered one (timestamps are
//!    unique and increasing per partition), so nothing comes twice across the handover;
//! 5. while `FetchMessage` cannot serve the partition (4.48: "partition not found" on a
//!    broker that is not the balancer once it unloaded, or a high-water mark below the
//!    files'), the directory is listed again every [`PartitionReadConfig::relist`] and new
//!    files are read: nothing flushed is skipped.
//!
//! A non-follow read ends when `FetchMessage` has nothing more, or at the first record that
//! is both past the broker's count at the start and stamped after the read began.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use tokio::sync::mpsc;

use super::seam::{Seam, Source};
use super::{MAX_ATTEMPTS_NO_FOLLOW, PartitionRead, PartitionReadConfig, backoff};
use crate::client::error::retried_by_reader;
use crate::client::merge::PartEvent;
use crate::client::mq::files::{DirFile, PartitionFiles, decode_each, seek_index};
use crate::client::mq::{MqClient, Part, pb_topic};
use crate::client::{ClientError, Record, TopicName};
use crate::proto::filer::LogEntry;
use crate::proto::mq::messaging_pb::FetchMessageRequest;
use crate::time::TimeSpec;

/// Records asked for per `FetchMessage` (4.48 answers at most 1000).
const FETCH_MAX: i32 = 1000;
/// Bytes asked for per `FetchMessage`.
const FETCH_BYTES: i32 = 16 << 20;
/// How long a listing of a partition directory may take.
const LIST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether the reader goes on.
#[derive(PartialEq)]
pub(super) enum Go {
    On,
    Stop,
}

/// How the read of the files ended.
pub(super) enum FilesOutcome {
    /// Read (or there were none).
    Done,
    /// The filer could not be used at all: the broker's subscriptions must read instead.
    NoFiler(ClientError),
    /// The read is over.
    Stop,
}

/// One partition's reader over the log files and `FetchMessage`.
pub(super) struct LogReader {
    pub(super) client: MqClient,
    pub(super) job: PartitionRead,
    pub(super) cfg: PartitionReadConfig,
    pub(super) tx: mpsc::Sender<PartEvent>,
    /// Records before this are not delivered.
    lower: Option<i64>,
    /// What was delivered (the newest timestamp, and records delivered out of order
    /// around a resync).
    seam: Seam,
    /// The newest timestamp sent to the merger (older records go as [`PartEvent::Late`]).
    sent_max: Option<i64>,
    /// The last record seen, in read order (delivered or not): its offset and timestamp.
    /// The live edge asks the broker for this offset and checks that the record there has
    /// this timestamp, so that a broker that renumbered its offsets is noticed.
    anchor: Option<(i64, i64)>,
    /// The last log file read: its name and the size it had.
    read_upto: Option<(String, u64)>,
    caught_up: bool,
    attempt: u32,
    pub(super) watermark: i64,
    said: HashSet<String>,
    /// A record past `until` (or past the history of a non-follow read) was met, or the
    /// [`PartitionReadConfig::limit`] was reached.
    pub(super) done_reading: bool,
    /// [`PartitionReadConfig::limit`] while the files are read first (steps 1–3), less the
    /// records delivered from them; `None` from the live edge on (records found after a
    /// resync can be older than some delivered, so delivered counts prove nothing there).
    left: Option<usize>,
}

impl LogReader {
    pub(super) fn new(
        client: MqClient,
        job: PartitionRead,
        cfg: PartitionReadConfig,
        tx: mpsc::Sender<PartEvent>,
    ) -> Self {
        let lower = match job.from {
            TimeSpec::Earliest => None,
            TimeSpec::At(t) => Some(t),
            TimeSpec::Latest => Some(job.began_ns),
        };
        LogReader {
            client,
            job,
            cfg,
            tx,
            lower,
            seam: Seam::default(),
            sent_max: None,
            anchor: None,
            read_upto: None,
            caught_up: false,
            attempt: 0,
            watermark: i64::MIN,
            said: HashSet::new(),
            done_reading: false,
            left: cfg.limit,
        }
    }

    pub(super) async fn send(&self, ev: PartEvent) -> Go {
        match self.tx.send(ev).await {
            Ok(()) => Go::On,
            Err(_) => Go::Stop,
        }
    }

    /// Reports `text` once per reader.
    pub(super) async fn notice(&mut self, text: String) -> Go {
        if self.said.insert(text.clone()) {
            tracing::warn!("{text}");
            return self.send(PartEvent::Notice(text)).await;
        }
        Go::On
    }

    pub(super) fn what(&self) -> String {
        format!("{} partition {}", self.job.topic, self.job.part.index)
    }

    /// Adds an entry from `source` to `batch` unless it was delivered already or is before
    /// the start; `true` when the read of this partition is over (past `until`, or past the
    /// history of a non-follow read).
    pub(super) fn take(
        &mut self,
        e: LogEntry,
        offset: i64,
        source: Source,
        batch: &mut Vec<Record>,
    ) -> bool {
        self.anchor = Some((offset, e.ts_ns));
        if self.lower.is_some_and(|lo| e.ts_ns < lo) {
            return false;
        }
        if self.seam.known(e.ts_ns) {
            self.seam.seen(e.ts_ns, source, false);
            return false;
        }
        if self.job.until.is_some_and(|u| e.ts_ns > u) || self.past_history(e.ts_ns, offset) {
            return true;
        }
        if self.seam.last().is_some_and(|l| e.ts_ns < l) {
            tracing::debug!(
                "{}: record at offset {offset} ({}) delivered late: it came after a resync",
                self.what(),
                e.ts_ns
            );
        }
        self.seam.seen(e.ts_ns, source, true);
        batch.push(Record {
            topic: self.job.topic.clone(),
            partition: self.job.part.index,
            ts_ns: e.ts_ns,
            key: e.key,
            value: e.data,
            headers: Vec::new(),
            is_close: false,
            offset: Some(offset),
            decoded: None,
        });
        false
    }

    /// Whether a non-follow read has passed the history that existed when it began.
    fn past_history(&self, ts_ns: i64, offset: i64) -> bool {
        !self.job.follow
            && ts_ns > self.job.began_ns
            && self.job.count_at_start.is_none_or(|c| offset >= c)
    }

    /// Sends a batch in chunks; `Stop` when the merger is gone.
    pub(super) async fn deliver(&mut self, batch: Vec<Record>) -> Go {
        if batch.is_empty() {
            return Go::On;
        }
        // Records older than one sent already (found after a gap closed, `seam`) go apart:
        // the merger drops old plain records as repeats.
        let mut late = Vec::new();
        let mut batch: Vec<Record> = batch
            .into_iter()
            .filter_map(|r| {
                if self.sent_max.is_some_and(|m| r.ts_ns <= m) {
                    late.push(r);
                    return None;
                }
                self.sent_max = Some(r.ts_ns);
                Some(r)
            })
            .collect();
        tracing::debug!(
            "{}: sending {} records, {} late (newest sent {:?})",
            self.what(),
            batch.len(),
            late.len(),
            self.sent_max
        );
        if !late.is_empty() && self.send(PartEvent::Late(late)).await == Go::Stop {
            return Go::Stop;
        }
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(self.cfg.batch));
            if self.send(PartEvent::Records(batch)).await == Go::Stop {
                return Go::Stop;
            }
            batch = rest;
        }
        Go::On
    }

    /// Backs off after a transient failure (reporting it); `Stop` when the read is over.
    /// A broker fault (`broker`) is resumed only once the broker answers the readiness
    /// probe and the partition's leader has been looked up again; a non-follow read gives
    /// the partition up (`Failed`) after [`MAX_ATTEMPTS_NO_FOLLOW`] attempts in a row.
    pub(super) async fn retry_later(&mut self, err: &ClientError, broker: bool) -> Go {
        let mut err = err.clone();
        loop {
            if !self.job.follow && self.attempt >= MAX_ATTEMPTS_NO_FOLLOW {
                let _ = self.send(PartEvent::Failed(err)).await;
                return Go::Stop;
            }
            self.attempt += 1;
            let ev = PartEvent::Reconnecting {
                error: err,
                attempt: self.attempt,
            };
            if self.send(ev).await == Go::Stop {
                return Go::Stop;
            }
            tokio::select! {
                _ = self.tx.closed() => return Go::Stop,
                _ = tokio::time::sleep(backoff(self.attempt)) => {}
            }
            if !broker {
                return Go::On;
            }
            let tx = self.tx.clone();
            let ready = tokio::select! {
                _ = tx.closed() => return Go::Stop,
                r = self.client.ready_and_relooked_up(&self.job.topic, &mut self.job.part) => r,
            };
            match ready {
                Ok(()) => return Go::On,
                Err(e) => err = e,
            }
        }
    }

    pub(super) async fn reconnected(&mut self) -> Go {
        if self.attempt > 0 {
            self.attempt = 0;
            self.seam.after_reconnect();
            return self.send(PartEvent::Reconnected).await;
        }
        Go::On
    }

    /// Lists the partition directory, retrying transient failures once the files have
    /// been used (before that, an unreachable filer means reading through the broker).
    async fn list(&mut self, first: bool) -> Result<PartitionFiles, FilesOutcome> {
        // After the first listing, only the files from the last one read on.
        let from = match (&self.read_upto, first) {
            (Some((name, _)), false) => name.clone(),
            _ => String::new(),
        };
        loop {
            let listing = self
                .client
                .partition_files_from(&self.job.topic, &self.job.part, &from);
            // An unanswered listing would stop this partition's reader for good.
            let listed = tokio::time::timeout(LIST_TIMEOUT, listing)
                .await
                .unwrap_or_else(|_| {
                    Err(ClientError::Timeout {
                        addr: format!("the filer (listing {})", self.what()),
                        secs: LIST_TIMEOUT.as_secs_f64(),
                    })
                });
            match listed {
                Ok(f) => return Ok(f),
                Err(e) if first => return Err(FilesOutcome::NoFiler(e)),
                Err(e) if self.retried(&e) => {
                    if self.retry_later(&e, false).await == Go::Stop {
                        return Err(FilesOutcome::Stop);
                    }
                }
                Err(e) => {
                    let _ = self.send(PartEvent::Failed(e)).await;
                    return Err(FilesOutcome::Stop);
                }
            }
        }
    }

    /// Whether a failed listing or file fetch is retried (each retry is reported): the
    /// readers' rule ([`retried_by_reader`]); seen in `cluster_faults` after a KILL, a
    /// chunk's volume lookup failing until the volume server had registered again.
    fn retried(&self, e: &ClientError) -> bool {
        retried_by_reader(e, self.job.follow)
    }

    /// Steps 1–3: the files from the seek point, then those flushed meanwhile.
    pub(super) async fn read_files(&mut self) -> FilesOutcome {
        let listed = std::time::Instant::now();
        let files = match self.list(true).await {
            Ok(f) => f,
            Err(o) => return o,
        };
        tracing::debug!(
            "{}: listed {} log files in {:?}",
            self.what(),
            files.logs.len(),
            listed.elapsed()
        );
        // The filer answered; its HTTP port must too (tried on the first file).
        if let Some((name, from, to)) = crate::client::mq::files::uncovered_parquet(&files).first()
        {
            let to = to.map_or("?".into(), crate::time::format_rfc3339);
            let text = format!(
                "{}: records from {} to {to} are only in the compacted file {name} \
                 (parquet is not read): skipped",
                self.what(),
                crate::time::format_rfc3339(*from),
            );
            if self.notice(text).await == Go::Stop {
                return FilesOutcome::Stop;
            }
        }
        let start = match self.lower {
            Some(t) => seek_index(&files.logs, t),
            None => 0,
        };
        let logs: Vec<DirFile> = files.logs[start.min(files.logs.len())..].to_vec();
        match self.read_logs(logs, true).await {
            FilesOutcome::Done => {}
            other => return other,
        }
        // Files flushed while these were read.
        let outcome = match self.read_new_files().await {
            Go::On => FilesOutcome::Done,
            Go::Stop => FilesOutcome::Stop,
        };
        self.left = None;
        outcome
    }

    /// Lists the directory again and reads the log files written since the last one read
    /// (that one again when it grew: appended flushes).
    pub(super) async fn read_new_files(&mut self) -> Go {
        let files = match self.list(false).await {
            Ok(f) => f,
            Err(_) => return Go::Stop,
        };
        let newer: Vec<DirFile> = files
            .logs
            .into_iter()
            .filter(|f| match &self.read_upto {
                None => self
                    .lower
                    .is_none_or(|t| f.start_ns.saturating_add(1_000_000_000) > t),
                Some((name, size)) => f.name > *name || (f.name == *name && f.bytes > *size),
            })
            .collect();
        if newer.is_empty() {
            return Go::On;
        }
        match self.read_logs(newer, false).await {
            FilesOutcome::Stop => Go::Stop,
            _ => Go::On,
        }
    }

    /// Fetches `logs` in order, `prefetch` at a time, and delivers their records. With
    /// `first`, a failure of the very first fetch means the filer cannot be used.
    async fn read_logs(&mut self, logs: Vec<DirFile>, first: bool) -> FilesOutcome {
        let mut i = 0;
        let mut first = first;
        while i < logs.len() {
            // One file at a time until one gives a record, then the first file alone and
            // `prefetch` at a time: the first records (what a seek waits for) do not share
            // the filer's bandwidth with the files after them. A seek usually starts one
            // file early (a file named at second S holds records up to S + 5 s): measured
            // on 1M records, the file holding T came after 0.5 s when it was fetched
            // beside three others, while the first file gave nothing.
            let rest = if self.seam.last().is_none() {
                i + 1
            } else {
                logs.len()
            };
            let mut fetches = log_fetches(
                self.client.clone(),
                self.job.topic.clone(),
                self.job.part.clone(),
                &logs,
                i..rest,
                self.cfg.prefetch.max(1),
            );
            loop {
                let next = tokio::select! {
                    _ = self.tx.closed() => return FilesOutcome::Stop,
                    n = fetches.next() => n,
                };
                let Some((f, r)) = next else {
                    if i < logs.len() {
                        break; // the next file: alone, or with the prefetch window
                    }
                    return FilesOutcome::Done;
                };
                match r {
                    Ok(body) => {
                        first = false;
                        if self.reconnected().await == Go::Stop {
                            return FilesOutcome::Stop;
                        }
                        i += 1;
                        match self.read_one(&f, body).await {
                            Go::On => {}
                            Go::Stop => return FilesOutcome::Stop,
                        }
                        if self.done_reading {
                            return FilesOutcome::Stop;
                        }
                    }
                    // A TLS problem is a setting to fix, not a filer to do without: said
                    // as the read's error (docs/tls.md, HTTPS).
                    Err(e) if first && !matches!(e, ClientError::Tls { .. }) => {
                        return FilesOutcome::NoFiler(e);
                    }
                    Err(e) if self.retried(&e) => {
                        if self.retry_later(&e, false).await == Go::Stop {
                            return FilesOutcome::Stop;
                        }
                        break; // restart the prefetch at file i
                    }
                    Err(e) => {
                        let _ = self.send(PartEvent::Failed(e)).await;
                        return FilesOutcome::Stop;
                    }
                }
            }
        }
        FilesOutcome::Done
    }

    /// Decodes one fetched file and delivers its records (`None`: it vanished).
    async fn read_one(&mut self, f: &DirFile, body: Option<bytes::Bytes>) -> Go {
        let Some(buf) = body else {
            let text = format!(
                "{}: log file {} vanished while being read (truncated?): skipped",
                self.what(),
                f.name
            );
            return self.notice(text).await;
        };
        let size = buf.len() as u64;
        let at = std::time::Instant::now();
        let mut batch = Vec::with_capacity(buf.len() / 128);
        // `take` stops at a record past `until` or past the history of a non-follow read;
        // the limit after the records wanted (the rest of the file is not decoded).
        let mut stop = false;
        let left = self.left;
        let err = decode_each(buf, |e| {
            let offset = e.offset;
            stop = self.take(e, offset, Source::Files, &mut batch);
            stop |= left.is_some_and(|n| batch.len() >= n);
            stop
        });
        self.left = left.map(|n| n.saturating_sub(batch.len()));
        if self.left == Some(0) {
            tracing::debug!("{}: the records wanted are read", self.what());
        }
        self.done_reading |= stop;
        tracing::debug!(
            "{}: decoded {} ({} records kept, {size} B) in {:?}",
            self.what(),
            f.name,
            batch.len(),
            at.elapsed()
        );
        self.read_upto = Some((f.name.clone(), size));
        if self.deliver(batch).await == Go::Stop {
            return Go::Stop;
        }
        match err {
            Some(err) if !self.done_reading => {
                let text = format!(
                    "{}: log file {} is damaged ({err}): the rest of it is skipped",
                    self.what(),
                    f.name
                );
                self.notice(text).await
            }
            _ => Go::On,
        }
    }

    /// The `FetchMessage` request for `offset`.
    pub(super) fn fetch_request(&self, offset: i64) -> FetchMessageRequest {
        FetchMessageRequest {
            topic: Some(pb_topic(&self.job.topic)),
            partition: Some(self.job.part.pb()),
            start_offset: offset,
            max_bytes: FETCH_BYTES,
            max_messages: FETCH_MAX,
            ..Default::default()
        }
    }

    /// The last record seen: its offset and timestamp.
    pub(super) fn anchor(&self) -> Option<(i64, i64)> {
        self.anchor
    }

    /// Whether the history of a non-follow read is complete.
    pub(super) fn caught_up(&self) -> bool {
        self.caught_up
    }

    pub(super) fn set_caught_up(&mut self) {
        self.caught_up = true;
    }

    /// Whether records were delivered after a resync that the files have not reached yet.
    pub(super) fn seam_open(&self) -> bool {
        self.seam.open()
    }

    /// The broker did not serve the partition for a while: what it gives once it does
    /// again is checked against the files ([`Seam::after_reconnect`]).
    pub(super) fn distrust_broker(&mut self) {
        self.seam.after_reconnect();
    }

    /// Whether the record stamped `ts` was delivered already.
    pub(super) fn delivered(&self, ts: i64) -> bool {
        self.seam.known(ts)
    }

    /// The last delivered timestamp.
    pub(super) fn last_ts(&self) -> Option<i64> {
        self.seam.last()
    }
}

/// The fetches of `logs[range]`, in order: the first file alone, then the others
/// `prefetch` at a time.
fn log_fetches(
    client: MqClient,
    topic: Arc<TopicName>,
    part: Part,
    logs: &[DirFile],
    range: std::ops::Range<usize>,
    prefetch: usize,
) -> impl Stream<Item = (DirFile, Result<Option<Bytes>, ClientError>)> + Unpin + '_ {
    let fetch = move |f: DirFile| {
        let (c, t, p) = (client.clone(), topic.clone(), part.clone());
        async move {
            let at = std::time::Instant::now();
            let r = c.fetch_log_file(&t, &p, &f.name).await;
            tracing::debug!(
                "{t} partition {}: fetched {} ({} B) in {:?}",
                p.index,
                f.name,
                f.bytes,
                at.elapsed()
            );
            (f, r)
        }
    };
    let (i, rest) = (range.start, range.end);
    futures::stream::iter(logs.get(i).cloned().map(fetch.clone()))
        .buffered(1)
        .chain(
            futures::stream::iter(logs[(i + 1).min(rest)..rest].iter().cloned().map(fetch))
                .buffered(prefetch),
        )
}
