//! The admin RPC `Grep`: a search of a topic's stored records on the broker, so the
//! history never crosses the wire.
//!
//! Each chosen partition is scanned by its own task, one chunk (about [`CHUNK`] bytes of
//! whole records) at a time on the blocking pool, at most [`parallelism`] chunks at once.
//! A chunk is read straight from the segment file; the [`Prefilter`] searches its stored
//! bytes for the pattern's literals and only the records holding a hit are decoded and
//! checked with the [`Matcher`]. The partitions' matches are merged by time
//! ([`ScanMerger`]: bounded channels, pulled only when needed, so memory stays bounded
//! by a few chunks per partition). The scan reads the segments as they were when the
//! search began. When the caller goes away, the response channel closes, the merger
//! stops, and each partition's task stops before its next chunk; [`Shared::grep_scans`]
//! counts the partition scans running (reported by `BrokerInfo`).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message as _;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::Shared;
use super::partition::Partition;
use super::reader::Cursor;
use super::record::MAX_RECORD_BYTES;
use crate::client::GrepQuery;
use crate::client::grep::merge::{ScanBatch, ScanMerger, Stamped};
use crate::matcher::{Matcher, Prefilter};
use crate::proto::admin::{GrepDone, GrepMatch, GrepProgress, GrepRequest, GrepResponse};
use crate::proto::filer::LogEntry;
use crate::proto::v2::Message;

/// Bytes of records read per step of a partition's scan.
pub(super) const CHUNK: usize = 1 << 20;
/// How often progress is sent.
pub(super) const PROGRESS_EVERY: Duration = Duration::from_millis(200);
/// Match bytes per response (a response never splits a record).
const RESPONSE_BYTES: usize = 4 << 20;

/// Chunks scanned at once per search.
pub(super) fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// The response stream of `Grep`.
pub(super) type GrepResponses = ReceiverStream<Result<GrepResponse, Status>>;

impl Stamped for GrepMatch {
    fn ts(&self) -> i64 {
        self.ts_ns
    }
    fn partition(&self) -> i32 {
        self.partition
    }
}

/// What every partition's scan of one search shares.
struct Search {
    matcher: Matcher,
    prefilter: Prefilter,
    from: i64,
    until: i64,
    cancel: CancellationToken,
    permits: Semaphore,
    shared: Arc<Shared>,
}

/// Starts a search; the stream ends after a `done` (or an error status).
pub(super) async fn start(shared: &Arc<Shared>, r: GrepRequest) -> Result<GrepResponses, Status> {
    let q = GrepQuery {
        pattern: r.pattern,
        fixed: r.fixed,
        ignore_case: r.ignore_case,
        from: r.from_ts_ns,
        until: r.until_ts_ns,
        partitions: r.partitions,
        max: (r.max_matches > 0).then(|| usize::try_from(r.max_matches).unwrap_or(usize::MAX)),
    };
    let matcher = q
        .validate()
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
    let t = shared.store.topic(&r.namespace, &r.topic)?.ok_or_else(|| {
        Status::not_found(format!("topic {}/{} does not exist", r.namespace, r.topic))
    })?;
    let (from, until) = (q.from.unwrap_or(i64::MIN), q.until.unwrap_or(i64::MAX));
    let chosen = |n: u32| q.partitions.is_empty() || q.partitions.contains(&(n as i32));
    let plans: Vec<Plan> = t
        .partitions()
        .iter()
        .filter(|p| chosen(p.number))
        .map(|p| Plan::new(p, q.from, q.until))
        .collect();
    let base = GrepProgress {
        start_ts_ns: q
            .from
            .or(plans.iter().filter_map(|p| p.first_ts).min())
            .unwrap_or(0),
        end_ts_ns: q
            .until
            .or(plans.iter().filter_map(|p| p.last_ts).max())
            .unwrap_or(0),
        total_bytes: plans.iter().map(|p| p.total).sum(),
        ..Default::default()
    };
    let search = Arc::new(Search {
        prefilter: matcher.prefilter(),
        matcher,
        from,
        until,
        cancel: CancellationToken::new(),
        permits: Semaphore::new(parallelism()),
        shared: Arc::clone(shared),
    });
    tracing::debug!(topic = %format!("{}/{}", r.namespace, r.topic), partitions = plans.len(),
        prefilter = search.prefilter.describe(), "grep started");
    let mut rxs = Vec::with_capacity(plans.len());
    for plan in plans {
        let (tx, rx) = mpsc::channel(2);
        rxs.push(rx);
        tokio::spawn(scan_partition(plan, Arc::clone(&search), tx));
    }
    let (tx, rx) = mpsc::channel(4);
    let merger = ScanMerger::new(rxs, from.saturating_sub(1));
    tokio::spawn(send_merged(merger, tx, search, q.max, base));
    Ok(ReceiverStream::new(rx))
}

/// Counts a running partition scan in [`Shared::grep_scans`] while it lives.
struct Running(Arc<Shared>);

impl Running {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.grep_scans.fetch_add(1, Ordering::SeqCst);
        Running(Arc::clone(shared))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.grep_scans.fetch_sub(1, Ordering::SeqCst);
    }
}

type BatchResult = Result<ScanBatch<GrepMatch>, Status>;

/// Scans one partition chunk by chunk until it is done, the merger is gone, or the
/// search is cancelled.
async fn scan_partition(plan: Plan, search: Arc<Search>, tx: mpsc::Sender<BatchResult>) {
    let _running = Running::new(&search.shared);
    let number = plan.number;
    let mut state = Some((plan, Vec::new()));
    while let Some((mut plan, mut buf)) = state.take() {
        if search.cancel.is_cancelled() {
            break;
        }
        let Ok(permit) = search.permits.acquire().await else {
            break;
        };
        let s = Arc::clone(&search);
        let stepped = tokio::task::spawn_blocking(move || {
            let r = plan.step(&mut buf, &s);
            (plan, buf, r)
        })
        .await;
        drop(permit);
        let batch = match stepped {
            Ok((p, b, r)) => {
                state = Some((p, b));
                r.map_err(|e| Status::internal(format!("reading partition {number}: {e}")))
            }
            Err(e) => Err(Status::internal(format!("grep scan task: {e}"))),
        };
        let last = !matches!(&batch, Ok(b) if !b.done);
        let sent = tokio::select! {
            r = tx.send(batch) => r.is_ok(),
            _ = search.cancel.cancelled() => false,
        };
        if !sent || last {
            break;
        }
    }
    tracing::debug!(
        partition = number,
        cancelled = search.cancel.is_cancelled(),
        "grep partition scan ended"
    );
}

/// Merges the partitions' matches and sends them with progress; stops everything when
/// the caller goes away (the response channel closes) or `max` is reached.
async fn send_merged(
    mut merger: ScanMerger<GrepMatch, Status>,
    tx: mpsc::Sender<Result<GrepResponse, Status>>,
    search: Arc<Search>,
    max: Option<usize>,
    base: GrepProgress,
) {
    let _stop = search.cancel.clone().drop_guard();
    let mut found = 0usize;
    let mut last_progress = Instant::now();
    let progress = |m: &ScanMerger<GrepMatch, Status>, found: usize| {
        let t = m.totals();
        GrepProgress {
            records: t.records,
            bytes: t.bytes,
            matches: found as u64,
            covered_until_ns: t.covered_until.unwrap_or(0),
            ..base
        }
    };
    loop {
        let next = tokio::select! {
            n = merger.next_step() => n,
            _ = tx.closed() => return,
        };
        let mut group = match next {
            Err(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
            Ok(None) => {
                let mut p = progress(&merger, found);
                if base.end_ts_ns != 0 {
                    p.covered_until_ns = p.covered_until_ns.max(base.end_ts_ns);
                }
                let _ = tx.send(Ok(done_response(p, true))).await;
                return;
            }
            Ok(Some(g)) => g,
        };
        let limit = max.map(|m| m - found);
        let stop = limit.is_some_and(|l| group.len() >= l);
        if let Some(l) = limit {
            group.truncate(l);
        }
        found += group.len();
        for part in split(group) {
            let resp = GrepResponse {
                matches: part,
                ..Default::default()
            };
            if tx.send(Ok(resp)).await.is_err() {
                return;
            }
        }
        if stop {
            let _ = tx
                .send(Ok(done_response(progress(&merger, found), false)))
                .await;
            return;
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            let resp = GrepResponse {
                progress: Some(progress(&merger, found)),
                ..Default::default()
            };
            if tx.send(Ok(resp)).await.is_err() {
                return;
            }
        }
    }
}

fn done_response(p: GrepProgress, complete: bool) -> GrepResponse {
    GrepResponse {
        matches: Vec::new(),
        progress: Some(p),
        done: Some(GrepDone { complete }),
    }
}

/// Groups matches into responses of about [`RESPONSE_BYTES`].
fn split(group: Vec<GrepMatch>) -> Vec<Vec<GrepMatch>> {
    let mut out: Vec<Vec<GrepMatch>> = Vec::new();
    let mut size = 0usize;
    for m in group {
        let n = m.encoded_len();
        if out.is_empty() || size + n > RESPONSE_BYTES {
            out.push(Vec::new());
            size = 0;
        }
        size += n;
        out.last_mut().expect("pushed above").push(m);
    }
    out
}

/// One segment as it was when the search began.
struct Seg {
    path: PathBuf,
    size: u64,
}

/// Where one partition's scan is.
struct Plan {
    number: u32,
    segs: Vec<Seg>,
    cur: Cursor,
    file: Option<File>,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// Bytes to scan (about: from the index block before `from` to the one after `until`).
    total: u64,
}

impl Plan {
    fn new(p: &Partition, from: Option<i64>, until: Option<i64>) -> Plan {
        let cur = match from {
            Some(f) => p.cursor_after(f.saturating_sub(1)),
            None => p.cursor_start(),
        };
        let end = until.map(|u| p.cursor_after(u));
        let st = p.lock();
        let segs: Vec<Seg> = match st.deleted {
            true => Vec::new(),
            false => st
                .segments
                .iter()
                .map(|s| Seg {
                    path: s.path.clone(),
                    size: s.size,
                })
                .collect(),
        };
        let nonempty = || st.segments.iter().filter(|s| s.count > 0);
        let at =
            |c: &Cursor| -> u64 { segs.iter().take(c.seg).map(|s| s.size).sum::<u64>() + c.pos };
        let all: u64 = segs.iter().map(|s| s.size).sum();
        let stop = end.as_ref().map_or(all, |e| at(e).min(all));
        Plan {
            number: p.number,
            total: stop.saturating_sub(at(&cur)),
            first_ts: nonempty().next().map(|s| s.first_ts),
            last_ts: nonempty().next_back().map(|s| s.last_ts),
            segs,
            cur,
            file: None,
        }
    }

    fn done(&self, scanned_until: i64) -> ScanBatch<GrepMatch> {
        ScanBatch {
            matches: Vec::new(),
            scanned_until,
            records: 0,
            bytes: 0,
            done: true,
        }
    }

    /// Reads and searches the next chunk of whole records (blocking).
    fn step(&mut self, buf: &mut Vec<u8>, s: &Search) -> io::Result<ScanBatch<GrepMatch>> {
        let (len, size) = loop {
            let Some(seg) = self.segs.get(self.cur.seg) else {
                return Ok(self.done(i64::MAX));
            };
            if self.cur.pos < seg.size {
                break (seg.size - self.cur.pos, seg.size);
            }
            self.cur.seg += 1;
            self.cur.pos = 0;
            self.file = None;
        };
        let seg_path = &self.segs[self.cur.seg].path;
        if self.file.is_none() {
            self.file = Some(File::open(seg_path)?);
        }
        let f = self.file.as_mut().expect("opened above");
        let mut want = len.min(CHUNK as u64) as usize;
        // A record larger than a chunk is read whole (it is decoded whole anyway).
        let head = read_at(f, self.cur.pos, buf, want.min(4))?;
        if head >= 4 {
            let rec = 4 + u32::from_be_bytes(buf[..4].try_into().expect("4 bytes")) as u64;
            if rec > len || rec > MAX_RECORD_BYTES as u64 {
                return Err(io::Error::other(format!(
                    "damaged record at byte {} of {} (length {rec}, {} bytes left of {size})",
                    self.cur.pos,
                    seg_path.display(),
                    len
                )));
            }
            want = want.max(rec as usize);
        }
        read_at(f, self.cur.pos, buf, want)?;
        let walked = walk(&buf[..want], self.cur.ord)?;
        if walked.consumed == 0 {
            return Err(io::Error::other(format!(
                "damaged record at byte {} of {}",
                self.cur.pos,
                seg_path.display()
            )));
        }
        let mut batch = self.search(buf, &walked, s)?;
        self.cur.pos += walked.consumed as u64;
        self.cur.ord += walked.records.len() as u64;
        batch.done = batch.done || (self.cur.seg + 1 >= self.segs.len() && self.cur.pos >= size);
        Ok(batch)
    }

    /// Applies the range and the pattern to the walked records of `buf`.
    fn search(&self, buf: &[u8], w: &Walked, s: &Search) -> io::Result<ScanBatch<GrepMatch>> {
        let in_range: Vec<&Rec> = w
            .records
            .iter()
            .filter(|r| r.ts >= s.from && r.ts <= s.until)
            .collect();
        let past_until = w.records.last().is_some_and(|r| r.ts > s.until);
        let spans: Vec<Range<usize>> = in_range.iter().map(|r| r.span.clone()).collect();
        let mut cands = Vec::new();
        s.prefilter.candidates(buf, &spans, &mut cands);
        let mut matches = Vec::new();
        for i in cands {
            let r = in_range[i];
            if let Some(m) = decode_match(&buf[r.span.clone()], r, self.number, &s.matcher)? {
                matches.push(m);
            }
        }
        let scanned_until = w.records.last().map_or(i64::MIN, |r| r.ts);
        Ok(ScanBatch {
            matches,
            scanned_until: if past_until { i64::MAX } else { scanned_until },
            records: in_range.len() as u64,
            bytes: spans.iter().map(|r| r.len() as u64 + 4).sum(),
            done: past_until,
        })
    }
}

/// Reads `n` bytes at `pos` into `buf` (resized); returns how many (`n` unless the file
/// ended early, which is an error: the snapshot said the bytes exist).
fn read_at(f: &mut File, pos: u64, buf: &mut Vec<u8>, n: usize) -> io::Result<usize> {
    buf.resize(n, 0);
    f.seek(SeekFrom::Start(pos))?;
    f.read_exact(&mut buf[..n])?;
    Ok(n)
}

/// One record in a chunk: its stored `LogEntry` bytes, timestamp and ordinal.
struct Rec {
    span: Range<usize>,
    ts: i64,
    ord: u64,
}

struct Walked {
    records: Vec<Rec>,
    consumed: usize,
}

/// The whole records at the start of `chunk` (4-byte big-endian length + `LogEntry`).
fn walk(chunk: &[u8], mut ord: u64) -> io::Result<Walked> {
    let mut records = Vec::with_capacity(chunk.len() / 128);
    let mut at = 0usize;
    while at + 4 <= chunk.len() {
        let len = u32::from_be_bytes(chunk[at..at + 4].try_into().expect("4 bytes")) as usize;
        let span = at + 4..at + 4 + len;
        if span.end > chunk.len() {
            break;
        }
        let ts = entry_ts(&chunk[span.clone()])?;
        records.push(Rec { span, ts, ord });
        ord += 1;
        at += 4 + len;
    }
    Ok(Walked {
        records,
        consumed: at,
    })
}

/// A `LogEntry`'s `ts_ns` without decoding the rest: field 1 comes first as SeaweedFS and
/// swmq write it; anything else is decoded in full.
fn entry_ts(entry: &[u8]) -> io::Result<i64> {
    if entry.first() == Some(&0x08) {
        let mut v: u64 = 0;
        for (i, b) in entry[1..].iter().take(10).enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v as i64);
            }
        }
    }
    LogEntry::decode(entry)
        .map(|e| e.ts_ns)
        .map_err(|e| io::Error::other(format!("log entry does not decode: {e}")))
}

/// The match of a candidate record, if the pattern really matches it.
fn decode_match(
    entry: &[u8],
    r: &Rec,
    partition: u32,
    matcher: &Matcher,
) -> io::Result<Option<GrepMatch>> {
    let e = LogEntry::decode(Bytes::copy_from_slice(entry))
        .map_err(|e| io::Error::other(format!("log entry does not decode: {e}")))?;
    let m = Message::decode(e.data)
        .map_err(|e| io::Error::other(format!("message does not decode: {e}")))?;
    let headers = m.headers.iter().map(|(k, v)| (k.as_str(), &v[..]));
    if !matcher.matches_fields(&m.key, &m.value, headers) {
        return Ok(None);
    }
    Ok(Some(GrepMatch {
        partition: partition as i32,
        ts_ns: r.ts,
        ordinal: r.ord,
        key: m.key,
        value: m.value,
        headers: m.headers.into_iter().collect(),
        is_close: m.is_close,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::record;

    #[test]
    fn walks_whole_records_and_reads_timestamps_without_decoding() {
        let mut buf = Vec::new();
        for (i, ts) in [5i64, 1 << 40, i64::MAX - 1].iter().enumerate() {
            let m = Message {
                value: Bytes::from(format!("v{i}")),
                ..Default::default()
            };
            record::encode(&mut buf, *ts, i as u64, &m);
        }
        let full = walk(&buf, 7).unwrap();
        let ts: Vec<i64> = full.records.iter().map(|r| r.ts).collect();
        assert_eq!(ts, [5, 1 << 40, i64::MAX - 1]);
        assert_eq!(full.consumed, buf.len());
        assert_eq!(full.records[2].ord, 9);
        // A torn last record is left for the next chunk.
        let part = walk(&buf[..buf.len() - 1], 0).unwrap();
        assert_eq!(part.records.len(), 2);
        assert_eq!(part.consumed, full.records[2].span.start - 4);
        // A timestamp that is not the first field (offset 3, then ts 42) is still found.
        assert_eq!(entry_ts(&[0x28, 0x03, 0x08, 42]).unwrap(), 42);
        // Damage is an error, never a loop or a panic.
        assert!(walk(&[0, 0, 0, 2, 0xff, 0xff], 0).is_err());
    }
}
