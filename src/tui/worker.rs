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

async fn run(
    opts: ConnectOptions,
    mut commands: mpsc::Receiver<WorkerCmd>,
    tx: mpsc::Sender<WorkerEvent>,
    stop: CancellationToken,
) {
    // Commands sent before the connection exists are kept until it does.
    let client = tokio::select! {
        c = connect(&opts, &tx, &stop) => c,
        _ = stop.cancelled() => None,
    };
    let Some(client) = client else {
        return;
    };
    tracing::info!(addr = client.broker_addr(), protocol = %client.protocol(), "connected");
    let connected = WorkerEvent::Connected {
        protocol: client.protocol(),
        addr: client.broker_addr().to_string(),
    };
    if !send(&tx, &stop, connected).await {
        return;
    }
    let refresh = Arc::new(Notify::new());
    tokio::spawn(refresher(
        client.clone(),
        tx.clone(),
        stop.clone(),
        refresh.clone(),
    ));
    let mut subs: HashMap<SubId, CancellationToken> = HashMap::new();
    let mut find: Option<SubId> = None;
    loop {
        let cmd = tokio::select! {
            c = commands.recv() => c,
            _ = stop.cancelled() => None,
        };
        let Some(cmd) = cmd else {
            break;
        };
        tracing::debug!(?cmd, "command");
        let (c, tx, stop2) = (client.clone(), tx.clone(), stop.clone());
        match cmd {
            WorkerCmd::Subscribe { id, topic, start } => {
                subs.retain(|_, t| !t.is_cancelled());
                let token = stop.child_token();
                subs.insert(id, token.clone());
                tokio::spawn(tail(c, id, vec![topic], start, token, tx));
            }
            WorkerCmd::SubscribeMany { id, topics, start } => {
                subs.retain(|_, t| !t.is_cancelled());
                let token = stop.child_token();
                subs.insert(id, token.clone());
                tokio::spawn(tail(c, id, topics, start, token, tx));
            }
            WorkerCmd::HistogramMany {
                id,
                topics,
                start_ns,
                stop_ns,
                buckets,
            } => {
                tokio::spawn(async move {
                    let req = HistogramRequest {
                        start_ns: Some(start_ns),
                        stop_ns: Some(stop_ns),
                        buckets: buckets.max(1),
                    };
                    let result = union_histogram(&c, &topics, req).await;
                    send(&tx, &stop2, WorkerEvent::Histogram { id, result }).await;
                });
            }
            WorkerCmd::Find { id, topic, query } => {
                // One search at a time: a new one cancels the others.
                if let Some(t) = find.replace(id).and_then(|old| subs.remove(&old)) {
                    t.cancel();
                }
                let token = stop.child_token();
                subs.insert(id, token.clone());
                tokio::spawn(super::find_task::run(c, id, topic, query, token, tx));
            }
            WorkerCmd::Cancel { id } => {
                if let Some(t) = subs.remove(&id) {
                    t.cancel();
                }
            }
            WorkerCmd::RefreshTopics => refresh.notify_one(),
            WorkerCmd::Inspect { id, topic, cluster } => {
                tokio::spawn(async move {
                    let result = super::inspector::inspect(&c, &topic, cluster)
                        .await
                        .map(Box::new);
                    send(&tx, &stop2, WorkerEvent::Inspected { id, result }).await;
                });
            }
            WorkerCmd::Histogram {
                id,
                topic,
                start_ns,
                stop_ns,
                buckets,
            } => {
                tokio::spawn(async move {
                    let req = HistogramRequest {
                        start_ns: Some(start_ns),
                        stop_ns: Some(stop_ns),
                        buckets: buckets.max(1),
                    };
                    let result = c.histogram(&topic, req).await;
                    send(&tx, &stop2, WorkerEvent::Histogram { id, result }).await;
                });
            }
            WorkerCmd::Publish {
                req,
                topic,
                messages,
            } => {
                tokio::spawn(async move {
                    let result = c.publish_schematized(&topic, messages).await;
                    send(&tx, &stop2, WorkerEvent::Published { req, result }).await;
                });
            }
            WorkerCmd::CloseChannel { req, name } => {
                tokio::spawn(async move {
                    let result = c.chan_close(&name).await;
                    send(&tx, &stop2, WorkerEvent::ChannelClosed { req, result }).await;
                });
            }
            WorkerCmd::Delete { req, topic } => {
                let refresh = refresh.clone();
                tokio::spawn(async move {
                    let result = c.delete(&topic).await;
                    send(&tx, &stop2, WorkerEvent::Deleted { req, result }).await;
                    refresh.notify_one();
                });
            }
            WorkerCmd::DeleteMany { req, topics } => {
                let refresh = refresh.clone();
                tokio::spawn(async move {
                    let (mut deleted, mut failed) = (Vec::new(), Vec::new());
                    for t in topics {
                        match c.delete(&t).await {
                            Ok(_) => deleted.push(t),
                            Err(e) => failed.push((t, e.to_string())),
                        }
                    }
                    let ev = WorkerEvent::DeletedMany {
                        req,
                        deleted,
                        failed,
                    };
                    send(&tx, &stop2, ev).await;
                    refresh.notify_one();
                });
            }
            WorkerCmd::ReadBefore {
                req,
                topic,
                before_ns,
                floor_ns,
                limit,
            } => {
                tokio::spawn(async move {
                    let read = super::pages::read_before(&c, &topic, before_ns, floor_ns, limit);
                    let result = tokio::select! {
                        r = read => r.map_err(|e| e.to_string()),
                        _ = stop2.cancelled() => return,
                    };
                    send(&tx, &stop2, WorkerEvent::Earlier { req, result }).await;
                });
            }
        }
    }
    for t in subs.values() {
        t.cancel();
    }
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
    let mut last_ts: Option<i64> = None;
    let mut attempt = 0u32;
    loop {
        let spec = ReadSpec {
            from: last_ts.map_or(first, |t| TimeSpec::At(t.saturating_add(1))),
            until: None,
            partitions: None,
            follow: true,
        };
        let opened = tokio::select! {
            r = open_read(&client, &topics, spec) => r,
            _ = stop.cancelled() => return,
        };
        let failure = match opened {
            Ok(mut stream) => {
                if attempt > 0 {
                    attempt = 0;
                    let ev = WorkerEvent::TailReconnected {
                        id,
                        partition: None,
                    };
                    if !send(&tx, &stop, ev).await {
                        return;
                    }
                }
                loop {
                    let ev = tokio::select! {
                        e = stream.next() => e,
                        _ = stop.cancelled() => return,
                    };
                    let out = match ev {
                        None => {
                            let end = WorkerEvent::TailEnded {
                                id,
                                end: TailEnd::Closed,
                            };
                            send(&tx, &stop, end).await;
                            return;
                        }
                        Some(Ok(ev)) => tail_event(id, ev, &mut last_ts),
                        Some(Err(e)) => break e,
                    };
                    if !send(&tx, &stop, out).await {
                        return;
                    }
                }
            }
            Err(e) => e,
        };
        // "Topic not found" while reconnecting: a restarting broker that has not loaded
        // the topic yet; given up after `NOT_FOUND_RETRIES`.
        let missing_again = matches!(failure, ClientError::TopicNotFound(_))
            && (1..NOT_FOUND_RETRIES).contains(&attempt);
        if !(failure.is_transient() || missing_again) {
            let end = TailEnd::Failed(failure);
            send(&tx, &stop, WorkerEvent::TailEnded { id, end }).await;
            return;
        }
        attempt += 1;
        let ev = WorkerEvent::TailReconnecting {
            id,
            partition: None,
            error: failure,
            attempt,
        };
        if !send(&tx, &stop, ev).await {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff(attempt)) => {}
            _ = stop.cancelled() => return,
        }
        // Only the probe goes to a broker that may be starting (4.x crashes otherwise).
        loop {
            let ready = tokio::select! {
                r = client.ready_after_fault() => r,
                _ = stop.cancelled() => return,
            };
            if ready.is_ok() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = stop.cancelled() => return,
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
