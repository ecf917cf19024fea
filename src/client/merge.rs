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
use std::ops::ControlFlow;
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
    /// Records of this partition older than some it sent already, never sent before (a
    /// reader that found them after a gap closed: `mq::read::seam`): released in their
    /// place among what is queued, or at once, late, when their turn has passed.
    Late(Vec<Record>),
    /// No record with `ts_ns` below this will come from this partition any more.
    Watermark(i64),
    /// This partition has delivered the history that existed when the read began.
    CaughtUp,
    /// A transient failure; the reader retries and resumes after its last record.
    Reconnecting {
        /// What failed.
        error: ClientError,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// Connected again after `Reconnecting`.
    Reconnected,
    /// Something the user must know that does not end the read (a range skipped, a slower
    /// path taken); the merger passes each distinct text on once.
    Notice(String),
    /// A fatal error of this partition: it is reported and the others go on; a missing
    /// or deleted topic ([`ClientError::is_topic_gone`]) fails the whole read.
    Failed(ClientError),
}

/// The most records sent to the consumer in one batch.
pub(crate) const MAX_BATCH: usize = 4096;
/// The most input events handled before records are released.
const MAX_DRAIN: usize = 256;
/// How long a reconnecting partition may hold the others back; after that the others go
/// on, and its records are released as they come (late, but none lost or repeated).
pub(crate) const STALL_LIMIT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Part {
    /// The partition number (for reports).
    id: i32,
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
    /// Since when this partition has been reconnecting.
    reconnecting: Option<Instant>,
    /// It gave up with a fatal error.
    failed: bool,
}

/// The time-ordered merge of partitions, without channels: [`Merger::apply`] takes one
/// partition's event, [`Merger::release`] gives what may go out.
struct Merger {
    parts: Vec<Part>,
    until: Option<i64>,
    follow: bool,
    max_wait: Duration,
    stall_limit: Duration,
    blocked_since: Option<Instant>,
    caught_up_sent: bool,
    /// Notice texts already passed on (each is said once per read).
    notices: std::collections::HashSet<String>,
}

enum Blocker {
    /// Nothing blocks: release it.
    None,
    /// A partition still reading history, or reconnecting (for a while).
    Hard(Option<Instant>),
    /// A live, idle partition: released after the bounded wait.
    Live,
}

/// What applying an event asks the merge loop to do.
#[derive(Debug, PartialEq)]
enum Applied {
    /// Nothing to tell the consumer.
    Quiet,
    /// Tell the consumer this.
    Tell(ReadEvent),
    /// The whole read fails with this error.
    Fail(ClientError),
}

impl Merger {
    fn new(ids: &[i32], spec: &ReadSpec, max_wait: Duration) -> Self {
        Merger {
            parts: ids
                .iter()
                .map(|&id| Part {
                    id,
                    ..Part::default()
                })
                .collect(),
            until: spec.until,
            follow: spec.follow,
            max_wait,
            stall_limit: STALL_LIMIT,
            blocked_since: None,
            caught_up_sent: false,
            notices: std::collections::HashSet::new(),
        }
    }

    /// Applies partition `i`'s event at `now`.
    fn apply(&mut self, i: usize, ev: PartEvent, now: Instant) -> Applied {
        let id = self.parts[i].id;
        let late = matches!(ev, PartEvent::Late(_));
        match ev {
            PartEvent::Records(rs) | PartEvent::Late(rs) => {
                let was_down = self.parts[i].reconnecting.take().is_some();
                if late {
                    self.push_late(i, rs);
                } else {
                    self.push_records(i, rs);
                }
                match was_down {
                    true => Applied::Tell(ReadEvent::Reconnected {
                        partition: Some(id),
                    }),
                    false => Applied::Quiet,
                }
            }
            PartEvent::Watermark(wm) => {
                self.set_watermark(i, wm);
                Applied::Quiet
            }
            PartEvent::CaughtUp => {
                self.parts[i].caught_up = true;
                Applied::Quiet
            }
            PartEvent::Reconnecting { error, attempt } => {
                self.parts[i].reconnecting.get_or_insert(now);
                Applied::Tell(ReadEvent::Reconnecting {
                    partition: Some(id),
                    error,
                    attempt,
                })
            }
            PartEvent::Reconnected => match self.parts[i].reconnecting.take() {
                Some(_) => Applied::Tell(ReadEvent::Reconnected {
                    partition: Some(id),
                }),
                None => Applied::Quiet,
            },
            PartEvent::Notice(text) => match self.notices.insert(text.clone()) {
                true => Applied::Tell(ReadEvent::Notice(text)),
                false => Applied::Quiet,
            },
            PartEvent::Failed(error) => {
                let p = &mut self.parts[i];
                p.failed = true;
                p.done = true;
                p.reconnecting = None;
                // A TLS failure is a setting to fix, the same for every partition: the
                // whole read fails with it, once (docs/tls.md).
                let whole = error.is_topic_gone() || matches!(error, ClientError::Tls { .. });
                if whole || self.parts.iter().all(|p| p.failed) {
                    Applied::Fail(error)
                } else {
                    Applied::Tell(ReadEvent::PartitionFailed {
                        partition: id,
                        error,
                    })
                }
            }
        }
    }

    fn push_records(&mut self, i: usize, records: Vec<Record>) {
        let p = &mut self.parts[i];
        if p.past_until {
            return;
        }
        for r in records {
            if p.last_ts.is_some_and(|last| r.ts_ns <= last) {
                // Already delivered (a resumed reader overlapping).
                tracing::debug!(
                    "partition {}: record {} dropped as a repeat (last {:?})",
                    p.id,
                    r.ts_ns,
                    p.last_ts
                );
                continue;
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

    /// Queues records older than some this partition sent, each in its place by time.
    fn push_late(&mut self, i: usize, records: Vec<Record>) {
        let p = &mut self.parts[i];
        if p.past_until {
            return;
        }
        for r in records {
            if self.until.is_some_and(|u| r.ts_ns > u) {
                continue;
            }
            p.last_ts = p.last_ts.max(Some(r.ts_ns));
            let at = p.queue.partition_point(|q| q.ts_ns <= r.ts_ns);
            p.queue.insert(at, r);
        }
    }

    fn set_watermark(&mut self, i: usize, wm: i64) {
        let p = &mut self.parts[i];
        p.watermark = p.watermark.max(wm);
        if self.until.is_some_and(|u| wm > u) && p.queue.is_empty() {
            p.done = true;
        }
    }

    /// Whether partition `j` (with an empty queue) blocks releasing `ts` from `i` at `now`.
    fn blocker(&self, j: usize, i: usize, ts: i64, now: Instant) -> Blocker {
        let p = &self.parts[j];
        if p.done || !p.queue.is_empty() {
            return Blocker::None;
        }
        if let Some(since) = p.reconnecting {
            // A failing partition holds the others back only for a while.
            let until = since + self.stall_limit;
            return if now < until {
                Blocker::Hard(Some(until))
            } else {
                Blocker::None
            };
        }
        if !p.caught_up {
            return Blocker::Hard(None);
        }
        if !self.follow || p.watermark > ts || (p.watermark == ts && j > i) {
            return Blocker::None;
        }
        Blocker::Live
    }

    /// Releases what can be released, in order, into `batch`. Returns the instant at which
    /// something blocked may be released by a bounded wait, if any.
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
                match self.blocker(j, i, ts, now) {
                    Blocker::None => {}
                    Blocker::Hard(wake) => {
                        self.blocked_since = None;
                        return wake;
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

    fn drained(&self) -> bool {
        self.parts.iter().all(|p| p.queue.is_empty())
    }

    /// `CaughtUp` is due: every partition delivered its history (or is done) and all of
    /// it went out.
    fn caught_up_due(&self) -> bool {
        !self.caught_up_sent && self.drained() && self.parts.iter().all(|p| p.caught_up || p.done)
    }

    fn finished(&self) -> bool {
        self.drained()
            && self.parts.iter().all(|p| {
                p.done
                    || (!self.follow && p.caught_up)
                    || self.until.is_some_and(|u| p.watermark > u)
            })
    }
}

/// The receiving end of partitions added while a read runs: each new partition's number and
/// the events of its reader.
pub(crate) type AddedParts = mpsc::Receiver<(i32, mpsc::Receiver<PartEvent>)>;

/// Merges per-partition readers into `out` in timestamp order (ties: partition order),
/// applying `spec.until` and `spec.follow`. Emits [`ReadEvent::CaughtUp`] once every
/// partition has delivered its history. A partition that fails is reported
/// ([`ReadEvent::PartitionFailed`]) and the others go on; a reconnecting one holds them
/// back for at most [`STALL_LIMIT`]. Ends when every input has ended, when a non-follow
/// read has drained its history, when `until` is passed everywhere, when the topic is
/// gone, or when `out` is cancelled. Partition `k` of `inputs` is numbered `ids[k]`.
///
/// It also takes partitions added while it runs (`added`). A new partition reading its
/// history holds the others back like any other, so its records merge in time order from
/// then on.
pub(crate) async fn merge_growing(
    ids: Vec<i32>,
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    mut added: Option<AddedParts>,
    spec: &ReadSpec,
    out: ReadSender,
    max_wait: Duration,
) {
    let mut m = Merger::new(&ids, spec, max_wait);
    let mut streams = StreamMap::new();
    for (i, rx) in inputs.into_iter().enumerate() {
        streams.insert(i, ReceiverStream::new(rx));
    }
    let mut deadline: Option<Instant> = None;
    let mut live_inputs = usize::MAX;
    loop {
        if m.finished() || streams.is_empty() && m.drained() {
            if !m.caught_up_sent {
                out.send(Ok(ReadEvent::CaughtUp)).await;
            }
            return;
        }
        let first = tokio::select! {
            _ = out.cancel.cancelled() => return,
            ev = streams.next() => ev,
            _ = sleep_until_opt(deadline) => None,
            new = recv_opt(&mut added) => {
                match new {
                    Some((id, rx)) => {
                        streams.insert(m.parts.len(), ReceiverStream::new(rx));
                        m.parts.push(Part { id, ..Part::default() });
                        live_inputs = usize::MAX; // an input may also have ended meanwhile
                    }
                    None => added = None,
                }
                continue;
            }
        };
        let events = drain(first, &mut streams);
        if apply_all(&mut m, events, &out).await.is_break() {
            return;
        }
        mark_ended(&mut m, &streams, &mut live_inputs);
        match send_released(&mut m, &out).await {
            ControlFlow::Continue(next) => deadline = next,
            ControlFlow::Break(()) => return,
        }
        if m.caught_up_due() {
            m.caught_up_sent = true;
            if !out.send(Ok(ReadEvent::CaughtUp)).await {
                return;
            }
        }
    }
}

type Inputs = StreamMap<usize, ReceiverStream<PartEvent>>;

/// `first` and the events ready after it (at most [`MAX_DRAIN`]).
fn drain(first: Option<(usize, PartEvent)>, streams: &mut Inputs) -> Vec<(usize, PartEvent)> {
    let mut events: Vec<(usize, PartEvent)> = first.into_iter().collect();
    while events.len() < MAX_DRAIN {
        match streams.next().now_or_never() {
            Some(Some(ev)) => events.push(ev),
            _ => break,
        }
    }
    events
}

/// Applies `events` in order, telling the reader what they say; `Break` when the read
/// is over (the reader is gone, or a failure ends it).
async fn apply_all(
    m: &mut Merger,
    events: Vec<(usize, PartEvent)>,
    out: &ReadSender,
) -> ControlFlow<()> {
    for (i, ev) in events {
        match m.apply(i, ev, Instant::now()) {
            Applied::Quiet => {}
            Applied::Tell(ev) => {
                if !out.send(Ok(ev)).await {
                    return ControlFlow::Break(());
                }
            }
            Applied::Fail(e) => {
                out.send(Err(e)).await;
                return ControlFlow::Break(());
            }
        }
    }
    ControlFlow::Continue(())
}

/// Inputs that ended are done (StreamMap drops them); their queues still drain.
/// Looked at only when one ended, through a set: `contains_key` scans the map, which
/// made this quadratic in the partition count on every event.
fn mark_ended(m: &mut Merger, streams: &Inputs, live_inputs: &mut usize) {
    if streams.len() != *live_inputs {
        *live_inputs = streams.len();
        let live: std::collections::HashSet<usize> = streams.keys().copied().collect();
        for (i, p) in m.parts.iter_mut().enumerate() {
            if !live.contains(&i) {
                p.done = true;
            }
        }
    }
}

/// Sends what the merger can release, in batches; returns when to look again
/// (`Break`: the reader is gone).
async fn send_released(m: &mut Merger, out: &ReadSender) -> ControlFlow<(), Option<Instant>> {
    loop {
        let mut batch = Vec::new();
        let deadline = m.release(&mut batch, Instant::now());
        if batch.is_empty() {
            return ControlFlow::Continue(deadline);
        }
        let full = batch.len() >= MAX_BATCH;
        if !out.send(Ok(ReadEvent::Records(batch))).await {
            return ControlFlow::Break(());
        }
        if !full {
            return ControlFlow::Continue(deadline);
        }
    }
}

/// The next added partition; pending forever without (or after the end of) `added`.
async fn recv_opt(added: &mut Option<AddedParts>) -> Option<(i32, mpsc::Receiver<PartEvent>)> {
    match added {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Spawns [`merge_growing`] on a task and returns the stream it feeds.
pub(crate) fn spawn_merged_growing(
    ids: Vec<i32>,
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    added: Option<AddedParts>,
    spec: ReadSpec,
    max_wait: Duration,
) -> ReadStream {
    let (tx, stream) = ReadStream::channel(64);
    tokio::spawn(async move { merge_growing(ids, inputs, added, &spec, tx, max_wait).await });
    stream
}

/// [`spawn_merged_growing`] for inputs numbered 0, 1, 2, … (the unit tests' entry).
#[cfg(test)]
fn spawn_merged(
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    spec: ReadSpec,
    max_wait: Duration,
) -> ReadStream {
    let ids = (0..inputs.len() as i32).collect();
    spawn_merged_growing(ids, inputs, None, spec, max_wait)
}

#[cfg(test)]
mod tests;
