//! The worker actor: owns the client, takes [`WorkerCmd`]s, reports [`WorkerEvent`]s.
//!
//! Every tail subscription runs in its own task with a [`CancellationToken`]; its events
//! carry its id so the UI drops stale ones. A refresher task lists the topics every few
//! seconds and doubles as the connection watchdog (reconnecting with backoff).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

mod serve;

use serve::Server;

use super::msg::{Start, SubId, TailEnd, WorkerCmd, WorkerEvent};
use crate::client::{
    Client, ClientError, ConnectOptions, HistogramRequest, HistogramUnit, ReadEvent, ReadSpec,
    TopicName,
};
use crate::time::TimeSpec;

/// How often the topic list is refreshed.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3);
/// How often the broker is probed (the connection watchdog).
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long a probe may take before the broker counts as lost.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// Capacity of the command and event channels.
pub const CHANNEL_CAPACITY: usize = 1024;

/// The UI's ends of the worker's channels.
pub struct WorkerHandle {
    /// Commands to the worker.
    pub commands: mpsc::Sender<WorkerCmd>,
    /// Events from the worker.
    pub events: mpsc::Receiver<WorkerEvent>,
    /// Stops the worker and all its tasks.
    pub shutdown: CancellationToken,
}

pub use crate::client::backoff;

/// Starts the worker: it connects (retrying with backoff), then serves commands.
pub fn spawn(opts: ConnectOptions) -> WorkerHandle {
    let (ctx, crx) = mpsc::channel(CHANNEL_CAPACITY);
    let (etx, erx) = mpsc::channel(CHANNEL_CAPACITY);
    let shutdown = CancellationToken::new();
    tokio::spawn(run(opts, crx, etx, shutdown.clone()));
    WorkerHandle {
        commands: ctx,
        events: erx,
        shutdown,
    }
}

/// Sends an event unless the worker is stopping; `false`: stop.
pub(super) async fn send(
    tx: &mpsc::Sender<WorkerEvent>,
    stop: &CancellationToken,
    ev: WorkerEvent,
) -> bool {
    tokio::select! {
        r = tx.send(ev) => r.is_ok(),
        _ = stop.cancelled() => false,
    }
}

async fn connect(
    opts: &ConnectOptions,
    tx: &mpsc::Sender<WorkerEvent>,
    stop: &CancellationToken,
) -> Option<Client> {
    let mut attempt = 0;
    loop {
        match Client::connect(opts).await {
            Ok(c) => return Some(c),
            Err(e) => {
                attempt += 1;
                let wait = backoff(attempt).max(Duration::from_secs(1));
                tracing::info!(addr = %opts.broker, error = %e, attempt, "broker unreachable");
                let ev = WorkerEvent::Unreachable {
                    addr: opts.broker.clone(),
                    error: e,
                    attempt,
                    retry_in_ms: wait.as_millis() as u64,
                };
                if !send(tx, stop, ev).await {
                    return None;
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.cancelled() => return None,
                }
            }
        }
    }
}

/// The worker: connects (commands sent meanwhile wait), starts the refresher, then serves
/// commands until stopped.
async fn run(
    opts: ConnectOptions,
    mut commands: mpsc::Receiver<WorkerCmd>,
    tx: mpsc::Sender<WorkerEvent>,
    stop: CancellationToken,
) {
    let Some(client) = connected(&opts, &tx, &stop).await else {
        return;
    };
    let refresh = Arc::new(Notify::new());
    tokio::spawn(refresher(
        client.clone(),
        tx.clone(),
        stop.clone(),
        refresh.clone(),
    ));
    let mut server = Server {
        client,
        tx,
        stop: stop.clone(),
        refresh,
        subs: HashMap::new(),
        find: None,
    };
    loop {
        let cmd = tokio::select! {
            c = commands.recv() => c,
            _ = stop.cancelled() => None,
        };
        let Some(cmd) = cmd else {
            break;
        };
        tracing::debug!(?cmd, "command");
        server.command(cmd);
    }
    server.cancel_all();
}

/// Connects (retrying) and says so; `None`: stopped first.
async fn connected(
    opts: &ConnectOptions,
    tx: &mpsc::Sender<WorkerEvent>,
    stop: &CancellationToken,
) -> Option<Client> {
    let client = tokio::select! {
        c = connect(opts, tx, stop) => c,
        _ = stop.cancelled() => None,
    }?;
    tracing::info!(addr = client.broker_addr(), protocol = %client.protocol(), "connected");
    let ev = WorkerEvent::Connected {
        protocol: client.protocol(),
        addr: client.broker_addr().to_string(),
    };
    send(tx, stop, ev).await.then_some(client)
}

/// Probes the broker every [`PROBE_EVERY`] (at most [`PROBE_TIMEOUT`] each, so a lost
/// broker shows as disconnected within 2 s) and lists the topics every [`REFRESH_EVERY`]
/// (or when notified) while it answers; reports the connection going away and coming
/// back. While it is away only the probe is sent (4.x: a starting broker crashes on other
/// calls, see [`Client::ping`]).
async fn refresher(
    client: Client,
    tx: mpsc::Sender<WorkerEvent>,
    stop: CancellationToken,
    now: Arc<Notify>,
) {
    let mut failures = 0u32;
    let mut listed: Option<tokio::time::Instant> = None;
    let mut asked = true;
    loop {
        let due = asked || listed.is_none_or(|t| t.elapsed() >= REFRESH_EVERY);
        let result = match probe(&client).await {
            Ok(()) if failures > 0 => client.ready_after_fault().await.map(|()| None),
            Ok(()) if due => client.list_topics().await.map(Some),
            Ok(()) => Ok(None),
            Err(e) => Err(e),
        };
        match result {
            Ok(list) => {
                if failures > 0 {
                    failures = 0;
                    let ev = WorkerEvent::Connected {
                        protocol: client.protocol(),
                        addr: client.broker_addr().to_string(),
                    };
                    if !send(&tx, &stop, ev).await {
                        return;
                    }
                    asked = true; // list at once
                    continue;
                }
                if let Some(list) = list {
                    (listed, asked) = (Some(tokio::time::Instant::now()), false);
                    if !send(&tx, &stop, WorkerEvent::Topics(list)).await {
                        return;
                    }
                }
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, failures, "broker probe or listing failed");
                let ev = WorkerEvent::Unreachable {
                    addr: client.broker_addr().to_string(),
                    error,
                    attempt: failures,
                    retry_in_ms: PROBE_EVERY.as_millis() as u64,
                };
                if !send(&tx, &stop, ev).await {
                    return;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(PROBE_EVERY) => {}
            _ = now.notified() => asked = true,
            _ = stop.cancelled() => return,
        }
    }
}

/// [`Client::ping`] within [`PROBE_TIMEOUT`].
async fn probe(client: &Client) -> Result<(), ClientError> {
    match tokio::time::timeout(PROBE_TIMEOUT, client.ping()).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Timeout {
            addr: client.broker_addr().to_string(),
            secs: PROBE_TIMEOUT.as_secs_f64(),
        }),
    }
}

/// The histogram of several topics: per bucket, the sum of theirs (the same window and
/// buckets for each).
async fn union_histogram(
    client: &Client,
    topics: &[TopicName],
    req: HistogramRequest,
) -> Result<crate::client::Histogram, ClientError> {
    let mut sum: Option<crate::client::Histogram> = None;
    for t in topics {
        let h = client.histogram(t, req).await?;
        match &mut sum {
            None => sum = Some(h),
            Some(s) => {
                for (a, b) in s.counts.iter_mut().zip(&h.counts) {
                    *a = a.saturating_add(*b);
                }
            }
        }
    }
    sum.ok_or_else(|| ClientError::invalid("topics", "no topic to draw"))
}

/// Where to start for about the newest `n` records: walks the histogram back from the end.
pub async fn newest_start(client: &Client, topic: &TopicName, n: usize) -> TimeSpec {
    let req = HistogramRequest {
        start_ns: None,
        stop_ns: None,
        buckets: 256,
    };
    let h = match client.histogram(topic, req).await {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(%topic, error = %e, "no histogram; reading from the earliest");
            return TimeSpec::Earliest;
        }
    };
    let want = match h.unit {
        HistogramUnit::Messages => n as u64,
        HistogramUnit::Bytes => {
            let avg = match client.describe(topic, None).await {
                Ok(d) => match (d.info.bytes(), d.info.message_count()) {
                    (Some(b), Some(c)) if c > 0 => (b / c).max(1),
                    _ => 256,
                },
                Err(_) => 256,
            };
            (n as u64).saturating_mul(avg)
        }
    };
    start_for_newest(&h, want)
}

/// The start of the latest bucket from which the histogram holds at least `want`.
pub fn start_for_newest(h: &crate::client::Histogram, want: u64) -> TimeSpec {
    let w = h.bucket_width();
    let mut sum = 0u64;
    for (i, c) in h.counts.iter().enumerate().rev() {
        sum = sum.saturating_add(*c);
        if sum >= want {
            return TimeSpec::At(h.start_ns + i as i64 * w);
        }
    }
    TimeSpec::Earliest
}

/// One tail subscription: reads (following) and forwards batches until cancelled;
/// on a transient failure re-reads from just after the last record forwarded.
async fn tail(
    client: Client,
    id: SubId,
    topics: Vec<TopicName>,
    start: Start,
    stop: CancellationToken,
    tx: mpsc::Sender<WorkerEvent>,
) {
    let first = match start {
        Start::At(t) => TimeSpec::At(t),
        // Several topics: the earliest of their starts (about `n` of each, at least).
        Start::Newest(n) => tokio::select! {
            s = newest_start_of(&client, &topics, n) => s,
            _ = stop.cancelled() => return,
        },
    };
    let sub = TailSub {
        client,
        id,
        topics,
        stop,
        tx,
        last_ts: None,
        attempt: 0,
    };
    sub.run(first).await;
}

/// A running tail subscription: what it reads, where its events go, how far it got.
struct TailSub {
    client: Client,
    id: SubId,
    topics: Vec<TopicName>,
    stop: CancellationToken,
    tx: mpsc::Sender<WorkerEvent>,
    /// The last record forwarded: a reopened read starts just after it.
    last_ts: Option<i64>,
    /// Reopenings in a row that failed (0: reading).
    attempt: u32,
}

impl TailSub {
    /// Reads from `first`, reopening after transient failures, until the end.
    async fn run(mut self, first: TimeSpec) {
        loop {
            let from = self
                .last_ts
                .map_or(first, |t| TimeSpec::At(t.saturating_add(1)));
            let Some(failure) = self.read(from).await else {
                return;
            };
            if !self.retry(failure).await {
                return;
            }
        }
    }

    async fn send(&self, ev: WorkerEvent) -> bool {
        send(&self.tx, &self.stop, ev).await
    }

    /// Opens the read at `from` and forwards its events; the failure that ended it, or
    /// `None` when the tail is over (the channel closed, or stopped).
    async fn read(&mut self, from: TimeSpec) -> Option<ClientError> {
        let spec = ReadSpec {
            from,
            until: None,
            partitions: None,
            follow: true,
        };
        let opened = tokio::select! {
            r = open_read(&self.client, &self.topics, spec) => r,
            _ = self.stop.cancelled() => return None,
        };
        let mut stream = match opened {
            Ok(stream) => stream,
            Err(e) => return Some(e),
        };
        if self.attempt > 0 {
            self.attempt = 0;
            let ev = WorkerEvent::TailReconnected {
                id: self.id,
                partition: None,
            };
            if !self.send(ev).await {
                return None;
            }
        }
        loop {
            let ev = tokio::select! {
                e = stream.next() => e,
                _ = self.stop.cancelled() => return None,
            };
            let out = match ev {
                None => {
                    let end = TailEnd::Closed;
                    self.send(WorkerEvent::TailEnded { id: self.id, end }).await;
                    return None;
                }
                Some(Ok(ev)) => tail_event(self.id, ev, &mut self.last_ts),
                Some(Err(e)) => return Some(e),
            };
            if !self.send(out).await {
                return None;
            }
        }
    }

    /// After `failure`: ends the tail when it is not transient, else says so and waits
    /// (backoff, then until the broker is ready); `false`: stop.
    async fn retry(&mut self, failure: ClientError) -> bool {
        // "Topic not found" while reconnecting: a restarting broker that has not loaded
        // the topic yet; given up after `NOT_FOUND_RETRIES`.
        let missing_again = matches!(failure, ClientError::TopicNotFound(_))
            && (1..NOT_FOUND_RETRIES).contains(&self.attempt);
        if !(failure.is_transient() || missing_again) {
            let end = TailEnd::Failed(failure);
            self.send(WorkerEvent::TailEnded { id: self.id, end }).await;
            return false;
        }
        self.attempt += 1;
        let ev = WorkerEvent::TailReconnecting {
            id: self.id,
            partition: None,
            error: failure,
            attempt: self.attempt,
        };
        if !self.send(ev).await {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff(self.attempt)) => {}
            _ = self.stop.cancelled() => return false,
        }
        self.wait_ready().await
    }

    /// Waits until the broker is ready again: only the probe goes to a broker that may be
    /// starting (4.x crashes otherwise). `false`: stopped.
    async fn wait_ready(&self) -> bool {
        loop {
            let ready = tokio::select! {
                r = self.client.ready_after_fault() => r,
                _ = self.stop.cancelled() => return false,
            };
            if ready.is_ok() {
                return true;
            }
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = self.stop.cancelled() => return false,
            }
        }
    }
}

/// One topic's read, or several topics' merged by time.
async fn open_read(
    client: &Client,
    topics: &[TopicName],
    spec: ReadSpec,
) -> Result<crate::client::ReadStream, ClientError> {
    match topics {
        [one] => client.read(one, spec).await,
        many => crate::client::merge_topics::read_topics(client, many, spec).await,
    }
}

/// [`newest_start`] of several topics: the earliest of theirs.
async fn newest_start_of(client: &Client, topics: &[TopicName], n: usize) -> TimeSpec {
    let mut first: Option<i64> = None;
    for t in topics {
        match newest_start(client, t, n).await {
            TimeSpec::At(at) => first = Some(first.map_or(at, |f| f.min(at))),
            _ => return TimeSpec::Earliest,
        }
    }
    first.map_or(TimeSpec::Earliest, TimeSpec::At)
}

/// How many reopenings in a row may meet "topic not found" before the tail gives up.
const NOT_FOUND_RETRIES: u32 = 10;

/// The worker event for a read event of subscription `id`; notes the last timestamp.
fn tail_event(id: SubId, ev: ReadEvent, last_ts: &mut Option<i64>) -> WorkerEvent {
    match ev {
        ReadEvent::Records(records) => {
            if let Some(r) = records.last() {
                *last_ts = Some(r.ts_ns);
            }
            WorkerEvent::Records { id, records }
        }
        ReadEvent::CaughtUp => WorkerEvent::CaughtUp { id },
        ReadEvent::Reconnecting {
            partition,
            error,
            attempt,
        } => WorkerEvent::TailReconnecting {
            id,
            partition,
            error,
            attempt,
        },
        ReadEvent::Reconnected { partition } => WorkerEvent::TailReconnected { id, partition },
        ReadEvent::PartitionFailed { partition, error } => WorkerEvent::TailPartitionFailed {
            id,
            partition,
            error,
        },
        ReadEvent::Notice(text) => WorkerEvent::TailNotice { id, text },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Histogram;

    #[test]
    fn newest_start_walks_back_from_the_end() {
        let h = Histogram {
            start_ns: 1000,
            stop_ns: 1400,
            counts: vec![5, 5, 5, 5],
            unit: HistogramUnit::Messages,
        };
        assert_eq!(start_for_newest(&h, 7), TimeSpec::At(1200));
        assert_eq!(start_for_newest(&h, 5), TimeSpec::At(1300));
        assert_eq!(start_for_newest(&h, 100), TimeSpec::Earliest);
    }
}
