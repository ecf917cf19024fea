//! Reading: one `Subscribe` stream per partition, merged by [`crate::client::merge`].
//!
//! - `from`: `Earliest` → `EARLIEST`, `Latest` → `LATEST`, `At(t)` → `TIMESTAMP` at `t − 1`
//!   (the broker sends what is strictly after, so a record at exactly `t` is included);
//! - the end of a non-follow read is, per partition, the last timestamp the admin service
//!   reported when the read began (without the admin service: a quiet period);
//! - in follow mode a caught-up partition reports a watermark of the local clock minus a
//!   slack (the broker's clock stamps messages; on loopback that clock is ours);
//! - a record's `ts_ns` is its log timestamp (see [`to_record`]);
//! - a transient failure is retried with backoff and the partition resumes at
//!   `TIMESTAMP(last delivered)`: no gap, no duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codec::Streaming;

use super::{LegacyClient, backoff};
use crate::client::merge::{PartEvent, spawn_merged_growing};
use crate::client::{ClientError, ReadSpec, ReadStream, Record, TopicName};
use crate::proto::v2;
use crate::proto::v2::subscriber_message::init_message::StartPosition;
use crate::time::{TimeSpec, now_ns};

mod discover;
use discover::Snapshot;

/// Events queued per partition reader.
const PART_QUEUE: usize = 16;
/// Most records (and bytes) a reader sends to the merger at once.
const BATCH_RECORDS: usize = 1024;
const BATCH_BYTES: usize = 8 << 20;
/// Without the admin service, a partition is caught up after this long without a message.
pub(super) const QUIET_END: Duration = Duration::from_secs(2);
/// A live partition's watermark trails the local clock by this much.
pub(super) const WATERMARK_SLACK: Duration = Duration::from_millis(500);
/// How often an idle live partition reports its watermark.
const WATERMARK_TICK: Duration = Duration::from_millis(100);
/// How long the merger lets an idle live partition hold the others back at most.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(1);
/// Reconnect attempts of a non-follow read before it fails (a follow read retries forever).
const MAX_ATTEMPTS_NO_FOLLOW: u32 = 20;

/// Where a partition's subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Earliest,
    /// `LATEST`, at this local time (a resumed subscription continues from it).
    Latest(i64),
    /// Strictly after this timestamp.
    After(i64),
}

impl Start {
    fn from_spec(from: TimeSpec, now: i64) -> Start {
        match from {
            TimeSpec::Earliest => Start::Earliest,
            TimeSpec::Latest => Start::Latest(now),
            TimeSpec::At(t) if t <= 0 => Start::Earliest,
            TimeSpec::At(t) => Start::After(t - 1),
        }
    }

    /// `(startPosition, timestampNs)`, resuming strictly after `last` when something was
    /// delivered already.
    fn position(self, last: Option<i64>) -> (StartPosition, i64) {
        match (last, self) {
            (Some(ts), _) => (StartPosition::Timestamp, ts),
            (None, Start::Earliest) => (StartPosition::Earliest, 0),
            (None, Start::Latest(_)) => (StartPosition::Latest, 0),
            (None, Start::After(t)) => (StartPosition::Timestamp, t),
        }
    }

    /// The position after a reconnect with nothing delivered yet.
    fn resumed(self) -> Start {
        match self {
            Start::Latest(t) => Start::After(t),
            s => s,
        }
    }
}

/// Where a partition's history (for `CaughtUp`) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HistoryEnd {
    /// The admin service's last timestamp at read start (`None`: the partition was empty).
    Known(Option<i64>),
    /// Unknown: caught up after `QUIET_END` without a message.
    Quiet,
}

/// Starts a merged read of `topic`. A follow read of all partitions also watches for
/// partitions that appear while it runs (module `discover`).
pub(super) async fn start(
    client: &LegacyClient,
    topic: &TopicName,
    spec: ReadSpec,
) -> Result<ReadStream, ClientError> {
    let snap = Snapshot::take(client, topic, spec.follow).await?;
    let partitions = snap.select(topic, spec.partitions.as_deref())?;
    let topic = Arc::new(topic.clone());
    let start = Start::from_spec(spec.from, now_ns());
    let inputs = partitions
        .iter()
        .map(|&p| discover::spawn_reader(client, &topic, p, start, &snap, spec.follow))
        .collect();
    let added = if spec.follow && spec.partitions.is_none() && !topic.is_channel() {
        let (tx, rx) = mpsc::channel(PART_QUEUE);
        let known = partitions.iter().copied().collect();
        tokio::spawn(discover::watch(client.clone(), topic, start, known, tx));
        Some(rx)
    } else {
        None
    };
    Ok(spawn_merged_growing(
        partitions, inputs, added, spec, MAX_WAIT,
    ))
}

/// A unique subscriber id (the broker keeps no state for it; it names the subscription).
fn subscriber_id(partition: i32) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "swmq-{}-{}-p{partition}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        now_ns() % 1_000_000_000
    )
}

/// Whether a failed subscription may succeed when retried (the one classifier).
fn transient(s: &tonic::Status) -> bool {
    crate::client::classify(s.code(), s.message()) == crate::client::ErrorClass::Transient
}

/// A record from a stored message; `None` for a heartbeat (no data).
///
/// `floor` is the log timestamp the record is known to be after (the previous record's,
/// or the `TIMESTAMP` the subscription started after). The broker stamps a message with
/// `max(event time, previous + 1)` but keeps the publisher's `event_time_ns` when one was
/// set, so `max(event_time_ns, floor + 1)` is exactly the log timestamp: the one `TIMESTAMP`
/// resumes from, the admin statistics report, and that orders the partition.
fn to_record(
    topic: &Arc<TopicName>,
    partition: i32,
    floor: Option<i64>,
    bm: v2::BrokerMessage,
) -> Option<Record> {
    let m = bm.data?;
    let ts_ns = if m.event_time_ns != 0 {
        // The embedded broker's log starts above 0, so a negative event time is logged
        // (and shown, stably at every read) at 1 ns or just after the previous record.
        m.event_time_ns
            .max(floor.map_or(1, |f| f.saturating_add(1)))
    } else {
        let after = floor.map_or(i64::MIN, |f| f.saturating_add(1));
        // An original 2.x broker leaves 0 when the publisher did (the Go client never
        // sets it): stamp those on arrival, in order.
        now_ns().max(after)
    };
    let mut headers: Vec<(String, bytes::Bytes)> = m.headers.into_iter().collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    Some(Record {
        topic: topic.clone(),
        partition,
        ts_ns,
        key: m.key,
        value: m.value,
        headers,
        is_close: m.is_close,
        offset: None,
        decoded: None,
    })
}

/// What ended one subscription.
enum Outcome {
    /// The reader is finished (closed partition, end of a non-follow read, merger gone).
    Done,
    /// A transient failure: resubscribe.
    Retry(ClientError),
    /// A fatal failure.
    Fatal(ClientError),
}

/// What [`PartReader::gather`] took from a subscription.
struct Gathered {
    batch: Vec<Record>,
    /// How the stream ended, if it did (a close message: `Done`).
    ended: Option<Outcome>,
    /// A record at or past the known end of the history came.
    reached_end: bool,
}

/// An open subscription: the messages, and the request side that keeps it alive.
type Sub = (
    Streaming<v2::BrokerMessage>,
    mpsc::Sender<v2::SubscriberMessage>,
);

/// The result of opening a subscription.
enum Subscribed {
    Open(Box<Sub>),
    /// The reader is finished (merger gone, or a non-follow read caught up meanwhile).
    Stop,
    Failed(tonic::Status),
}

fn watermark_ticks() -> tokio::time::Interval {
    let mut tick = tokio::time::interval(WATERMARK_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

struct PartReader {
    client: LegacyClient,
    topic: Arc<TopicName>,
    partition: i32,
    start: Start,
    end: HistoryEnd,
    /// The partition was sealed when the read began: a subscription that ends cleanly has
    /// delivered everything (the broker ends it at the end of a closed partition).
    closed: bool,
    follow: bool,
    tx: mpsc::Sender<PartEvent>,
}

/// The reader's progress, kept across reconnects.
struct State {
    /// The log timestamp of the last record delivered.
    last: Option<i64>,
    /// What the current subscription started strictly after (`TIMESTAMP`), if anything.
    after: Option<i64>,
    caught_up: bool,
    watermark: i64,
}

impl State {
    /// The log timestamp the next record is known to be after.
    fn floor(&self) -> Option<i64> {
        self.last.or(self.after)
    }
}

impl PartReader {
    async fn run(self) {
        let mut st = State {
            last: None,
            after: None,
            caught_up: false,
            watermark: i64::MIN,
        };
        let history_empty = match (self.end, self.start) {
            (HistoryEnd::Known(None), _) | (HistoryEnd::Known(Some(_)), Start::Latest(_)) => true,
            (HistoryEnd::Known(Some(l)), Start::After(t)) => t >= l,
            _ => false,
        };
        if history_empty && !self.caught_up(&mut st).await {
            return;
        }
        let mut start = self.start;
        let mut attempt = 0u32;
        loop {
            st.after = match start.position(st.last) {
                (StartPosition::Timestamp, t) => Some(t),
                _ => None,
            };
            let outcome = match self.subscribe(start, &mut st).await {
                Subscribed::Open(sub) => {
                    if attempt > 0 {
                        attempt = 0;
                        if self.tx.send(PartEvent::Reconnected).await.is_err() {
                            return;
                        }
                    }
                    self.pump(*sub, &mut st).await
                }
                Subscribed::Stop => return,
                Subscribed::Failed(s) if transient(&s) => Outcome::Retry(self.describe_error(s)),
                Subscribed::Failed(s) => Outcome::Fatal(ClientError::rpc(self.context(), s)),
            };
            let error = match outcome {
                Outcome::Done => return,
                Outcome::Fatal(e) => {
                    let _ = self.tx.send(PartEvent::Failed(e)).await;
                    return;
                }
                Outcome::Retry(e) => e,
            };
            attempt += 1;
            if !self.follow && attempt > MAX_ATTEMPTS_NO_FOLLOW {
                let e = ClientError::Rpc {
                    context: self.context(),
                    code: tonic::Code::Unavailable,
                    message: format!("gave up after {MAX_ATTEMPTS_NO_FOLLOW} attempts: {error}"),
                };
                let _ = self.tx.send(PartEvent::Failed(e)).await;
                return;
            }
            let ev = PartEvent::Reconnecting { error, attempt };
            if self.tx.send(ev).await.is_err() {
                return;
            }
            start = start.resumed();
            tokio::select! {
                _ = tokio::time::sleep(backoff(attempt)) => {}
                _ = self.tx.closed() => return,
            }
        }
    }

    fn context(&self) -> String {
        format!(
            "subscribe to {} partition {} at {}",
            self.topic,
            self.partition,
            self.client.broker_addr()
        )
    }

    fn describe_error(&self, s: tonic::Status) -> ClientError {
        ClientError::rpc(self.context(), s)
    }

    /// Opens a subscription. The broker may hold back the response headers until it has
    /// a message to send (a Go broker does), so the wait counts as quiet time and, once
    /// caught up, as idle time (watermarks).
    async fn subscribe(&self, start: Start, st: &mut State) -> Subscribed {
        let (position, ts) = start.position(st.last);
        let init = v2::SubscriberMessage {
            init: Some(v2::subscriber_message::InitMessage {
                namespace: self.topic.namespace.clone(),
                topic: self.topic.name.clone(),
                partition: self.partition,
                start_position: position as i32,
                timestamp_ns: ts,
                subscriber_id: subscriber_id(self.partition),
            }),
            ..Default::default()
        };
        let (tx, rx) = mpsc::channel(1);
        // Cannot fail: the receiver is alive and the queue empty.
        let _ = tx.try_send(init);
        let mut client = self.client.v2();
        let call = client.subscribe(ReceiverStream::new(rx));
        tokio::pin!(call);
        let quiet = matches!(self.end, HistoryEnd::Quiet);
        let quiet_deadline = Instant::now() + QUIET_END;
        let mut tick = watermark_ticks();
        loop {
            tokio::select! {
                r = &mut call => return match r {
                    // `tx` keeps the request side open for as long as the subscription lives.
                    Ok(resp) => Subscribed::Open(Box::new((resp.into_inner(), tx))),
                    Err(s) => Subscribed::Failed(s),
                },
                _ = self.tx.closed() => return Subscribed::Stop,
                _ = tick.tick(), if st.caught_up && self.follow => {
                    if !self.watermark(st).await {
                        return Subscribed::Stop;
                    }
                }
                _ = tokio::time::sleep_until(quiet_deadline), if quiet && !st.caught_up => {
                    if !self.caught_up(st).await {
                        return Subscribed::Stop;
                    }
                }
            }
        }
    }

    /// Reports the watermark of an idle live partition; `false` when the merger is gone.
    async fn watermark(&self, st: &mut State) -> bool {
        let wm = (now_ns() - WATERMARK_SLACK.as_nanos() as i64)
            .max(st.last.map_or(i64::MIN, |l| l.saturating_add(1)));
        if wm > st.watermark {
            st.watermark = wm;
            return self.tx.send(PartEvent::Watermark(wm)).await.is_ok();
        }
        true
    }

    /// Reports `CaughtUp`; `false` when the reader should stop (non-follow, or the merger
    /// is gone).
    async fn caught_up(&self, st: &mut State) -> bool {
        st.caught_up = true;
        self.tx.send(PartEvent::CaughtUp).await.is_ok() && self.follow
    }

    /// Forwards one subscription's messages until it ends.
    async fn pump(&self, (mut stream, _requests): Sub, st: &mut State) -> Outcome {
        let quiet = matches!(self.end, HistoryEnd::Quiet);
        let mut quiet_deadline = Instant::now() + QUIET_END;
        let mut tick = watermark_ticks();
        loop {
            let first = tokio::select! {
                _ = self.tx.closed() => return Outcome::Done,
                _ = tick.tick(), if st.caught_up && self.follow => {
                    if !self.watermark(st).await {
                        return Outcome::Done;
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(quiet_deadline), if quiet && !st.caught_up => {
                    if !self.caught_up(st).await {
                        return Outcome::Done;
                    }
                    continue;
                }
                m = stream.message() => m,
            };
            let Gathered {
                batch,
                ended,
                reached_end,
            } = self.gather(first, &mut stream, st);
            quiet_deadline = Instant::now() + QUIET_END;
            if !batch.is_empty() && self.tx.send(PartEvent::Records(batch)).await.is_err() {
                return Outcome::Done;
            }
            if let Some(Outcome::Done) = ended {
                // A close message seals the partition: its history ends here.
                if !st.caught_up {
                    let _ = self.tx.send(PartEvent::CaughtUp).await;
                }
                return Outcome::Done;
            }
            if reached_end && !st.caught_up && !self.caught_up(st).await {
                return Outcome::Done;
            }
            if let Some(o) = ended {
                return o;
            }
        }
    }

    /// Takes `first` and the messages ready after it, up to a batch; stops at a close
    /// message, at the known end of the history (not caught up yet), or when the stream
    /// ends or fails.
    fn gather(
        &self,
        first: Result<Option<v2::BrokerMessage>, tonic::Status>,
        stream: &mut Streaming<v2::BrokerMessage>,
        st: &mut State,
    ) -> Gathered {
        let mut g = Gathered {
            batch: Vec::new(),
            ended: None,
            reached_end: false,
        };
        let mut bytes = 0usize;
        let mut next = first;
        loop {
            match next {
                Ok(Some(bm)) => {
                    if let Some(r) = to_record(&self.topic, self.partition, st.floor(), bm) {
                        st.last = Some(r.ts_ns);
                        bytes += r.value.len() + r.key.len();
                        let close = r.is_close;
                        if let HistoryEnd::Known(Some(l)) = self.end
                            && r.ts_ns >= l
                        {
                            g.reached_end = true;
                        }
                        g.batch.push(r);
                        if close {
                            g.ended = Some(Outcome::Done);
                            break;
                        }
                        if g.reached_end && !st.caught_up {
                            break;
                        }
                    }
                }
                Ok(None) if self.closed => {
                    g.ended = Some(Outcome::Done);
                    break;
                }
                Ok(None) => {
                    g.ended = Some(Outcome::Retry(ClientError::Rpc {
                        context: self.context(),
                        code: tonic::Code::Unavailable,
                        message: "the broker ended the subscription".into(),
                    }));
                    break;
                }
                Err(s) if transient(&s) => {
                    g.ended = Some(Outcome::Retry(self.describe_error(s)));
                    break;
                }
                Err(s) => {
                    g.ended = Some(Outcome::Fatal(ClientError::rpc(self.context(), s)));
                    break;
                }
            }
            if g.batch.len() >= BATCH_RECORDS || bytes >= BATCH_BYTES {
                break;
            }
            match stream.message().now_or_never() {
                Some(m) => next = m,
                None => break,
            }
        }
        g
    }
}

#[cfg(test)]
mod tests;
