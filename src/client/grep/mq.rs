//! SeaweedFS MQ 4.x: the search over the filer's log files, partition by partition in
//! parallel, merged by time ([`super::merge`]).
//!
//! Per partition (one task each): one listing of its directory, a seek to `from`
//! ([`seek_index`]), then each log file fetched whole and decoded; without a schema the
//! [`Prefilter`] runs on the file's raw bytes first (a file with no candidate is only
//! decoded for its timestamps) and on each entry's key and value before the matcher. A
//! topic with a schema is matched on the decoded text ([`Record::shown_value`]): every
//! entry is decoded first. What the broker has not flushed yet (the unflushed tail) is
//! then read through the normal read path of that partition from just after the last
//! file record, so nothing is missed and nothing comes twice. A partition whose files
//! cannot be listed (filer unreachable) is searched through the read path alone, with a
//! notice.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt as _;

use super::merge::{ScanBatch, ScanMerger, Stamped};
use super::scan_read::PROGRESS_EVERY;
use super::{GrepEvent, GrepProgress, GrepQuery, GrepSender, GrepStream, STREAM_CAPACITY};
use crate::client::mq::files::{PartitionFiles, decode_entries, entry_timestamps, seek_index};
use crate::client::mq::{MqClient, Part};
use crate::client::schema::RecordDecoder;
use crate::client::{Client, ClientError, ReadEvent, ReadSpec, Record, TopicName};
use crate::matcher::Matcher;
use crate::matcher::Prefilter;
use crate::proto::filer::LogEntry;
use crate::time::TimeSpec;

impl Stamped for Record {
    fn ts(&self) -> i64 {
        self.ts_ns
    }
    fn partition(&self) -> i32 {
        self.partition
    }
}

type Batch = Result<ScanBatch<Record>, ClientError>;

/// What every partition's scanner shares.
#[derive(Clone)]
struct Scan {
    client: MqClient,
    topic: TopicName,
    /// `topic`, as records carry it.
    shared_topic: Arc<TopicName>,
    from: Option<i64>,
    until: Option<i64>,
    matcher: Matcher,
    prefilter: Prefilter,
    decoder: Option<RecordDecoder>,
    events: GrepSender,
}

/// Starts the file search; `Ok(None)`: the topic's partitions cannot be looked up here
/// (the read path reports why). When the filer cannot list any partition's files, the
/// search goes through the read path, after a notice saying so.
pub(crate) async fn start(
    client: &Client,
    c: &MqClient,
    topic: &TopicName,
    q: &GrepQuery,
    matcher: &Matcher,
) -> Result<Option<GrepStream>, ClientError> {
    let Ok(all) = c.partitions(topic).await else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    for &i in &q.partitions {
        match all.iter().find(|p| p.index == i) {
            Some(p) if !parts.contains(p) => parts.push(p.clone()),
            Some(_) => {}
            None => return Err(crate::client::no_such_partition(topic, i, all.len())),
        }
    }
    if q.partitions.is_empty() {
        parts = all;
    }
    let listings =
        futures::future::join_all(parts.iter().map(|p| c.partition_files(topic, p))).await;
    if let Some(Err(e)) = listings.iter().find(|l| l.is_err())
        && listings.iter().all(|l| l.is_err())
    {
        let line = format!(
            "the filer's log files could not be listed ({e}); searching through the \
             broker's read path"
        );
        let inner = super::scan_read::start(client, topic, q.clone(), matcher.clone()).await?;
        return Ok(Some(with_notice(line, inner)));
    }
    let (tx, stream) = GrepStream::channel(STREAM_CAPACITY);
    let scan = Scan {
        client: c.clone(),
        topic: topic.clone(),
        shared_topic: Arc::new(topic.clone()),
        from: q.from,
        until: q.until,
        matcher: matcher.clone(),
        prefilter: matcher.prefilter(),
        decoder: c.decoder(topic).await,
        events: tx.clone(),
    };
    let mut total = 0u64;
    let mut rxs = Vec::with_capacity(parts.len());
    for (p, listing) in parts.into_iter().zip(listings) {
        if let Ok(f) = &listing {
            let first = q.from.map_or(0, |t| seek_index(&f.logs, t));
            total += f.logs.iter().skip(first).map(|l| l.bytes).sum::<u64>();
        }
        let files = listing;
        let (btx, brx) = tokio::sync::mpsc::channel(4);
        let s = scan.clone();
        let cancel = tx.cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = scan_partition(s, p, files, btx) => {}
            }
        });
        rxs.push(brx);
    }
    let start = q.from.map_or(i64::MIN, |f| f.saturating_sub(1));
    let progress = GrepProgress {
        start_ns: q.from,
        end_ns: q.until,
        total_bytes: Some(total),
        ..Default::default()
    };
    tokio::spawn(run(ScanMerger::new(rxs, start), tx, q.max, progress));
    Ok(Some(stream))
}

/// `inner`'s events after a notice.
fn with_notice(line: String, mut inner: GrepStream) -> GrepStream {
    let (tx, stream) = GrepStream::channel(STREAM_CAPACITY);
    tokio::spawn(async move {
        if !tx.send(Ok(GrepEvent::Notice(line))).await {
            return;
        }
        loop {
            let ev = tokio::select! {
                _ = tx.cancel.cancelled() => return,
                ev = inner.next() => ev,
            };
            match ev {
                Some(ev) => {
                    if !tx.send(ev).await {
                        return;
                    }
                }
                None => return,
            }
        }
    });
    stream
}

/// Merges the partitions' matches and reports them with progress.
async fn run(
    mut merger: ScanMerger<Record, ClientError>,
    tx: GrepSender,
    max: Option<usize>,
    mut p: GrepProgress,
) {
    let mut last_report = Instant::now();
    let complete = loop {
        let step = tokio::select! {
            _ = tx.cancel.cancelled() => return,
            s = merger.next_step() => s,
        };
        let group = match step {
            Ok(Some(g)) => g,
            Ok(None) => break true,
            Err(e) => {
                tx.send(Err(e)).await;
                return;
            }
        };
        let mut stop = false;
        for r in group {
            p.matches += 1;
            if !tx.send(Ok(GrepEvent::Match(r))).await {
                return;
            }
            if max.is_some_and(|m| p.matches >= m as u64) {
                stop = true;
                break;
            }
        }
        let t = merger.totals();
        (p.records, p.bytes, p.covered_until_ns) = (t.records, t.bytes, t.covered_until);
        if stop {
            break false;
        }
        if last_report.elapsed() >= PROGRESS_EVERY {
            last_report = Instant::now();
            if !tx.send(Ok(GrepEvent::Progress(p.clone()))).await {
                return;
            }
        }
    };
    if complete {
        p.covered_until_ns = p.end_ns.or(p.covered_until_ns);
    }
    if tx.send(Ok(GrepEvent::Progress(p))).await {
        tx.send(Ok(GrepEvent::Done { complete })).await;
    }
}

impl Scan {
    /// The entry as a record when it matches: without a schema, the prefilter on its
    /// stored key and value first; with one, on its decoded text.
    fn match_entry(&self, partition: i32, e: LogEntry) -> Option<Record> {
        if self.decoder.is_none()
            && !self.prefilter.may_match(&e.key)
            && !self.prefilter.may_match(&e.data)
        {
            return None;
        }
        let mut r = Record {
            topic: self.shared_topic.clone(),
            partition,
            ts_ns: e.ts_ns,
            key: e.key,
            value: e.data,
            headers: Vec::new(),
            is_close: false,
            offset: Some(e.offset),
            decoded: None,
        };
        if let Some(d) = &self.decoder {
            d(&mut r);
        }
        self.matcher.matches(&r).then_some(r)
    }
}

/// The bytes of an entry as scanned (key and value).
fn entry_bytes(r: &Record) -> u64 {
    (r.key.len() + r.value.len()) as u64
}

/// One partition: its log files, then its unflushed tail through the read path.
async fn scan_partition(
    s: Scan,
    part: Part,
    files: Result<PartitionFiles, ClientError>,
    out: tokio::sync::mpsc::Sender<Batch>,
) {
    let tail_from = match scan_files(&s, &part, files, &out).await {
        Ok(Some(last)) => Some(last.saturating_add(1)),
        Ok(None) => s.from,
        Err(Stop) => return,
    };
    let tail_from = match (tail_from, s.from) {
        (Some(t), Some(f)) => Some(t.max(f)),
        (t, f) => t.or(f),
    };
    if s.until.is_some_and(|u| tail_from.is_some_and(|t| t > u)) {
        let _ = out.send(Ok(done_batch(s.until.unwrap_or(i64::MAX)))).await;
        return;
    }
    scan_tail(&s, &part, tail_from, &out).await;
}

/// The scan is over (the merger went away).
struct Stop;

fn done_batch(until: i64) -> ScanBatch<Record> {
    ScanBatch {
        matches: Vec::new(),
        scanned_until: until,
        records: 0,
        bytes: 0,
        done: true,
    }
}

/// Scans the partition's log files from `from`; the last file record's timestamp
/// (`None`: no file record, or the files could not be listed: the read path covers the
/// whole range then, with a notice).
async fn scan_files(
    s: &Scan,
    part: &Part,
    files: Result<PartitionFiles, ClientError>,
    out: &tokio::sync::mpsc::Sender<Batch>,
) -> Result<Option<i64>, Stop> {
    let files = match files {
        Ok(f) => f,
        Err(e) => {
            let line = format!(
                "partition {}: the filer's log files could not be listed ({e}); \
                 searching it through the broker's read path",
                part.index
            );
            let _ = s.events.send(Ok(GrepEvent::Notice(line))).await;
            return Ok(None);
        }
    };
    let first = s.from.map_or(0, |f| seek_index(&files.logs, f));
    let mut last = None;
    // The next files are fetched while one is scanned (memory: PREFETCH files).
    let (c, topic, p) = (s.client.clone(), s.topic.clone(), part.clone());
    let names: Vec<String> = files
        .logs
        .iter()
        .skip(first)
        .map(|f| f.name.clone())
        .collect();
    let mut fetches = futures::stream::iter(names.into_iter().map(move |name| {
        let (c, topic, p) = (c.clone(), topic.clone(), p.clone());
        async move {
            let r = c.fetch_log_file(&topic, &p, &name).await;
            (name, r)
        }
    }))
    .buffered(PREFETCH);
    while let Some((name, r)) = fetches.next().await {
        let bytes = match r {
            Ok(Some(b)) => b,
            // Gone since it was listed (truncated or compacted): the tail read covers it.
            Ok(None) => continue,
            Err(e) => {
                let _ = out.send(Err(e)).await;
                return Err(Stop);
            }
        };
        let (b, past) = scan_file(s, part, &name, bytes, &mut last).await;
        if out.send(Ok(b)).await.is_err() || past {
            return Err(Stop);
        }
    }
    Ok(last)
}

/// Log files fetched ahead of the one scanned, per partition.
const PREFETCH: usize = 4;

/// Scans one fetched log file: its batch, and whether the scan is past `until`. Without
/// a schema, a file whose raw bytes hold no candidate is only walked for its timestamps.
async fn scan_file(
    s: &Scan,
    part: &Part,
    name: &str,
    bytes: bytes::Bytes,
    last: &mut Option<i64>,
) -> (ScanBatch<Record>, bool) {
    let any = s.decoder.is_some() || s.prefilter.may_match(&bytes);
    let file_bytes = bytes.len() as u64;
    let mut b = ScanBatch {
        matches: Vec::new(),
        scanned_until: last.unwrap_or(i64::MIN),
        records: 0,
        bytes: file_bytes,
        done: false,
    };
    // Whether the entry stamped `ts` is scanned; `Err(())` past `until`.
    let mut keep = |ts: i64, b: &mut ScanBatch<Record>| -> Result<bool, ()> {
        if s.from.is_some_and(|lo| ts < lo) || last.is_some_and(|l| ts <= l) {
            return Ok(false);
        }
        if s.until.is_some_and(|u| ts > u) {
            return Err(());
        }
        *last = Some(ts);
        b.records += 1;
        Ok(true)
    };
    let mut past = false;
    let bad = if any {
        let (entries, bad) = decode_entries(bytes);
        for e in entries {
            match keep(e.ts_ns, &mut b) {
                Ok(true) => b.matches.extend(s.match_entry(part.index, e)),
                Ok(false) => {}
                Err(()) => {
                    past = true;
                    break;
                }
            }
        }
        bad
    } else {
        let (stamps, bad) = entry_timestamps(&bytes);
        past = stamps.into_iter().any(|ts| keep(ts, &mut b).is_err());
        bad
    };
    if let Some(why) = bad {
        let line = format!("partition {} file {name}: {why}", part.index);
        let _ = s.events.send(Ok(GrepEvent::Notice(line))).await;
    }
    b.scanned_until = last.unwrap_or(i64::MIN);
    if past {
        b.scanned_until = s.until.unwrap_or(i64::MAX);
        b.done = true;
    }
    (b, past)
}

/// Reads the partition from `from` through the read path (its unflushed tail, or all
/// of it when the files could not be listed) and matches each record.
async fn scan_tail(
    s: &Scan,
    part: &Part,
    from: Option<i64>,
    out: &tokio::sync::mpsc::Sender<Batch>,
) {
    let spec = ReadSpec {
        from: from.map_or(TimeSpec::Earliest, TimeSpec::At),
        until: s.until,
        partitions: Some(vec![part.index]),
        follow: false,
    };
    let mut read = match s.client.read(&s.topic, spec).await {
        Ok(r) => r,
        Err(e) => {
            let _ = out.send(Err(e)).await;
            return;
        }
    };
    let mut scanned = from.map_or(i64::MIN, |f| f.saturating_sub(1));
    while let Some(ev) = read.next().await {
        let batch = match ev {
            Err(e) => {
                let _ = out.send(Err(e)).await;
                return;
            }
            Ok(ReadEvent::Records(batch)) => batch,
            Ok(ReadEvent::PartitionFailed { error, .. }) => {
                let _ = out.send(Err(error)).await;
                return;
            }
            Ok(_) => continue,
        };
        let mut b = ScanBatch {
            matches: Vec::new(),
            scanned_until: scanned,
            records: batch.len() as u64,
            bytes: batch.iter().map(entry_bytes).sum(),
            done: false,
        };
        for r in batch {
            scanned = scanned.max(r.ts_ns);
            if s.matcher.matches(&r) {
                b.matches.push(r);
            }
        }
        b.scanned_until = scanned;
        if out.send(Ok(b)).await.is_err() {
            return;
        }
    }
    let _ = out.send(Ok(done_batch(s.until.unwrap_or(scanned)))).await;
}
