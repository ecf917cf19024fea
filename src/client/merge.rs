//! The k-way merge of per-partition readers into one time-ordered stream.
//!
//! Each protocol module spawns one reader task per partition; each reports [`PartEvent`]s
//! on its own channel. The merger queues records per partition and releases the smallest
//! timestamp once no other partition can still deliver an earlier one:
//! - a partition still reading its history (not [`PartEvent::CaughtUp`]) always holds the
//!   others back, so history comes out in exact order;
//! - a live partition holds them back until its [`PartEvent::Watermark`] passes them, or at
//!   most `max_wait` (a bounded wait: an idle partition never stalls the others for long);
//! - in a non-follow read a caught-up partition has nothing more to say.
//!
//! Timestamps are unique and increasing per partition, so the merger also drops any record
//! not above the last one it released for that partition: readers that resume after a
//! reconnect may safely overlap.

use std::collections::VecDeque;
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::StreamExt as _;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::ReceiverStream;

use super::{ClientError, ReadEvent, ReadSender, ReadSpec, ReadStream, Record};

/// What one partition reader reports to the merger.
#[derive(Debug)]
pub enum PartEvent {
    /// Records of this partition, in increasing `ts_ns` order.
    Records(Vec<Record>),
    /// No record with `ts_ns` below this will come from this partition any more.
    Watermark(i64),
    /// This partition has delivered the history that existed when the read began.
    CaughtUp,
    /// A transient failure; the reader retries and resumes after its last record.
    Reconnecting {
        /// What failed.
        error: String,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// Connected again after `Reconnecting`.
    Reconnected,
    /// Something the user must know that does not end the read (a range skipped, a slower
    /// path taken); the merger passes each distinct text on once.
    Notice(String),
    /// A fatal error: the whole read fails with it.
    Failed(ClientError),
}

/// The most records sent to the consumer in one batch.
pub const MAX_BATCH: usize = 4096;
/// The most input events handled before records are released.
const MAX_DRAIN: usize = 256;

#[derive(Default)]
struct Part {
    queue: VecDeque<Record>,
    /// No record below this will come.
    watermark: i64,
    /// The last timestamp released (or queued) for this partition.
    last_ts: Option<i64>,
    caught_up: bool,
    /// The input ended, or `until` was passed: nothing more comes.
    done: bool,
    /// A record past `until` was seen: later records are ignored.
    past_until: bool,
    reconnecting: bool,
}

struct Merger {
    parts: Vec<Part>,
    until: Option<i64>,
    follow: bool,
    max_wait: Duration,
    blocked_since: Option<Instant>,
    caught_up_sent: bool,
}

enum Blocker {
    /// Nothing blocks: release it.
    None,
    /// A partition still reading history, or reconnecting.
    Hard,
    /// A live, idle partition: released after the bounded wait.
    Live,
}

impl Merger {
    fn new(n: usize, spec: &ReadSpec, max_wait: Duration) -> Self {
        Merger {
            parts: (0..n).map(|_| Part::default()).collect(),
            until: spec.until,
            follow: spec.follow,
            max_wait,
            blocked_since: None,
            caught_up_sent: false,
        }
    }

    fn push_records(&mut self, i: usize, records: Vec<Record>) {
        let p = &mut self.parts[i];
        if p.past_until {
            return;
        }
        for r in records {
            if p.last_ts.is_some_and(|last| r.ts_ns <= last) {
                continue; // already delivered (a resumed reader overlapping)
            }
            if self.until.is_some_and(|u| r.ts_ns > u) {
                p.past_until = true;
                p.done = true;
                break;
            }
            p.last_ts = Some(r.ts_ns);
            p.watermark = p.watermark.max(r.ts_ns);
            p.queue.push_back(r);
        }
    }

    fn set_watermark(&mut self, i: usize, wm: i64) {
        let p = &mut self.parts[i];
        p.watermark = p.watermark.max(wm);
        if self.until.is_some_and(|u| wm > u) && p.queue.is_empty() {
            p.done = true;
        }
    }

    /// Whether partition `j` (with an empty queue) blocks releasing `ts` from `i`.
    fn blocker(&self, j: usize, i: usize, ts: i64) -> Blocker {
        let p = &self.parts[j];
        if p.done || !p.queue.is_empty() {
            return Blocker::None;
        }
        if p.reconnecting || !p.caught_up {
            return Blocker::Hard;
        }
        if !self.follow || p.watermark > ts || (p.watermark == ts && j > i) {
            return Blocker::None;
        }
        Blocker::Live
    }

    /// Releases what can be released, in order, into `batch`. Returns the instant at which
    /// a live-blocked record may be released by the bounded wait, if any.
    fn release(&mut self, batch: &mut Vec<Record>, now: Instant) -> Option<Instant> {
        loop {
            let Some(i) = self.min_head() else {
                self.blocked_since = None;
                return None;
            };
            let ts = self.parts[i].queue[0].ts_ns;
            let mut live_blocked = false;
            for j in 0..self.parts.len() {
                if j == i {
                    continue;
                }
                match self.blocker(j, i, ts) {
                    Blocker::None => {}
                    Blocker::Hard => {
                        self.blocked_since = None;
                        return None;
                    }
                    Blocker::Live => live_blocked = true,
                }
            }
            if live_blocked {
                let since = *self.blocked_since.get_or_insert(now);
                let deadline = since + self.max_wait;
                if now < deadline {
                    return Some(deadline);
                }
            } else {
                self.blocked_since = None;
            }
            if let Some(r) = self.parts[i].queue.pop_front() {
                batch.push(r);
            }
            if batch.len() >= MAX_BATCH {
                return None;
            }
        }
    }

    fn min_head(&self) -> Option<usize> {
        let mut best: Option<(i64, usize)> = None;
        for (i, p) in self.parts.iter().enumerate() {
            if let Some(r) = p.queue.front()
                && best.is_none_or(|(ts, _)| r.ts_ns < ts)
            {
                best = Some((r.ts_ns, i));
            }
        }
        best.map(|(_, i)| i)
    }

    fn all_caught_up(&self) -> bool {
        self.parts.iter().all(|p| p.caught_up || p.done)
    }

    fn finished(&self) -> bool {
        let drained = self.parts.iter().all(|p| p.queue.is_empty());
        if !drained {
            return false;
        }
        self.parts.iter().all(|p| {
            p.done || (!self.follow && p.caught_up) || self.until.is_some_and(|u| p.watermark > u)
        })
    }
}

/// Merges per-partition readers into `out` in timestamp order (ties: partition order),
/// applying `spec.until` and `spec.follow`. Emits [`ReadEvent::CaughtUp`] once every
/// partition has delivered its history. Ends when every input has ended, when a non-follow
/// read has drained its history, when `until` is passed everywhere, or when `out` is
/// cancelled.
pub async fn merge_partitions(
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    spec: &ReadSpec,
    out: ReadSender,
    max_wait: Duration,
) {
    let mut m = Merger::new(inputs.len(), spec, max_wait);
    let mut streams = StreamMap::new();
    for (i, rx) in inputs.into_iter().enumerate() {
        streams.insert(i, ReceiverStream::new(rx));
    }
    let mut deadline: Option<Instant> = None;
    let mut reconnecting_sent = false;
    let mut notices = std::collections::HashSet::new();
    loop {
        if m.finished() || streams.is_empty() && m.parts.iter().all(|p| p.queue.is_empty()) {
            if !m.caught_up_sent && !out.send(Ok(ReadEvent::CaughtUp)).await {
                return;
            }
            return;
        }
        let first = tokio::select! {
            _ = out.cancel.cancelled() => return,
            ev = streams.next() => ev,
            _ = sleep_until_opt(deadline) => None,
        };
        let mut events: Vec<(usize, PartEvent)> = Vec::new();
        match first {
            Some(ev) => events.push(ev),
            None if streams.is_empty() => {
                for p in &mut m.parts {
                    p.done = true;
                }
            }
            None => {}
        }
        while events.len() < MAX_DRAIN {
            match streams.next().now_or_never() {
                Some(Some(ev)) => events.push(ev),
                _ => break,
            }
        }
        for (i, ev) in events {
            match ev {
                PartEvent::Records(rs) => {
                    m.parts[i].reconnecting = false;
                    m.push_records(i, rs);
                }
                PartEvent::Watermark(wm) => m.set_watermark(i, wm),
                PartEvent::CaughtUp => m.parts[i].caught_up = true,
                PartEvent::Reconnecting { error, attempt } => {
                    m.parts[i].reconnecting = true;
                    if !reconnecting_sent || attempt > 1 {
                        reconnecting_sent = true;
                        if !out
                            .send(Ok(ReadEvent::Reconnecting { error, attempt }))
                            .await
                        {
                            return;
                        }
                    }
                }
                PartEvent::Reconnected => {
                    m.parts[i].reconnecting = false;
                    if reconnecting_sent && m.parts.iter().all(|p| !p.reconnecting) {
                        reconnecting_sent = false;
                        if !out.send(Ok(ReadEvent::Reconnected)).await {
                            return;
                        }
                    }
                }
                PartEvent::Notice(text) => {
                    if notices.insert(text.clone()) && !out.send(Ok(ReadEvent::Notice(text))).await
                    {
                        return;
                    }
                }
                PartEvent::Failed(e) => {
                    let _ = out.send(Err(e)).await;
                    return;
                }
            }
        }
        // Inputs that ended are done (StreamMap drops them); their queues still drain.
        for (i, p) in m.parts.iter_mut().enumerate() {
            if !streams.contains_key(&i) {
                p.done = true;
            }
        }
        loop {
            let mut batch = Vec::new();
            deadline = m.release(&mut batch, Instant::now());
            if batch.is_empty() {
                break;
            }
            let full = batch.len() >= MAX_BATCH;
            if !out.send(Ok(ReadEvent::Records(batch))).await {
                return;
            }
            if !full {
                break;
            }
        }
        if !m.caught_up_sent && m.all_caught_up() && m.parts.iter().all(|p| p.queue.is_empty()) {
            m.caught_up_sent = true;
            if !out.send(Ok(ReadEvent::CaughtUp)).await {
                return;
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Spawns [`merge_partitions`] on a task and returns the stream it feeds.
pub fn spawn_merged(
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    spec: ReadSpec,
    max_wait: Duration,
) -> ReadStream {
    let (tx, stream) = ReadStream::channel(64);
    tokio::spawn(async move { merge_partitions(inputs, &spec, tx, max_wait).await });
    stream
}

#[cfg(test)]
mod tests;
