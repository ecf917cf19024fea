//! The protocol-neutral types of the client API.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::ClientError;
use crate::time::TimeSpec;

/// The namespace that 2.x channels live in: channel `x` is topic `chan/x`, partition 0.
pub const CHANNEL_NAMESPACE: &str = "chan";

/// `namespace/topic`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TopicName {
    /// The namespace.
    pub namespace: String,
    /// The topic within the namespace.
    pub name: String,
}

impl TopicName {
    /// A topic name from its parts, validated.
    pub fn new(namespace: &str, name: &str) -> Result<Self, ClientError> {
        validate_name_part("namespace", namespace)?;
        validate_name_part("topic", name)?;
        Ok(TopicName {
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// Parses `NS/TOPIC`.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        match s.split_once('/') {
            Some((ns, t)) => TopicName::new(ns, t),
            None => Err(ClientError::invalid(
                "topic",
                format!("{} is not NAMESPACE/TOPIC", crate::names::quote(s)),
            )),
        }
    }

    /// The topic behind channel `name`: `chan/<name>`.
    pub fn channel(name: &str) -> Result<Self, ClientError> {
        TopicName::new(CHANNEL_NAMESPACE, name)
    }

    /// Whether this topic is a 2.x channel (`chan/<name>`).
    pub fn is_channel(&self) -> bool {
        self.namespace == CHANNEL_NAMESPACE
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Validates a namespace or topic name ([`crate::names::check_name`]): not empty or
/// whitespace-only, at most 255 bytes, not `.` or `..`, no `/`, control, Unicode format
/// or line-separator characters. The error quotes the name escaped and shortened.
pub fn validate_name_part(what: &str, s: &str) -> Result<(), ClientError> {
    crate::names::check_name(s).map_err(|detail| ClientError::invalid(what, detail))
}

/// One message as read from a broker.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Which topic it came from.
    pub topic: Arc<TopicName>,
    /// Partition number (4.x: the index of its range in `LookupTopicBrokers` order).
    pub partition: i32,
    /// The stored timestamp, ns since the epoch (unique and increasing per partition).
    pub ts_ns: i64,
    /// The message key (may be empty).
    pub key: Bytes,
    /// The message value.
    pub value: Bytes,
    /// Headers, sorted by name (2.x only; 4.x has none).
    pub headers: Vec<(String, Bytes)>,
    /// A 2.x close message (sealing a channel).
    pub is_close: bool,
    /// The offset within the partition, where the protocol knows it.
    pub offset: Option<i64>,
    /// The key and value decoded following the topic's schema, computed once when read
    /// (`None`: the topic has no schema). See [`Record::shown_value`].
    pub decoded: Option<Arc<super::Decoded>>,
}

/// A 4.x partition's place on the ring, exactly as `LookupTopicBrokers` returned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RingRange {
    /// Ring size (2520).
    pub ring_size: i32,
    /// First slot.
    pub range_start: i32,
    /// One past the last slot.
    pub range_stop: i32,
    /// The generation's creation time.
    pub unix_time_ns: i64,
}

/// One partition of a topic; `None` where the broker cannot tell.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PartitionInfo {
    /// Partition number.
    pub id: i32,
    /// 4.x ring range.
    pub ring: Option<RingRange>,
    /// 4.x leader broker.
    pub leader: Option<String>,
    /// Messages stored.
    pub message_count: Option<u64>,
    /// Bytes stored.
    pub bytes: Option<u64>,
    /// Timestamp of the first message.
    pub first_ts_ns: Option<i64>,
    /// Timestamp of the last message.
    pub last_ts_ns: Option<i64>,
    /// Sealed by a close message (2.x).
    pub closed: bool,
    /// Read through its close message (see [`super::Consumed`]).
    pub consumed: super::Consumed,
    /// The subscribers it has served, most recent first (embedded broker only).
    pub subscribers: Vec<super::SubscriberInfo>,
}

/// A topic with what the broker can tell about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicInfo {
    /// Its name.
    pub name: TopicName,
    /// Its partitions (may be empty when the broker does not say).
    pub partitions: Vec<PartitionInfo>,
    /// Live publishers (4.x).
    pub publishers: Option<u32>,
    /// Live subscribers (4.x).
    pub subscribers: Option<u32>,
}

impl TopicInfo {
    /// A topic about which nothing but the name is known.
    pub fn bare(name: TopicName) -> Self {
        TopicInfo {
            name,
            partitions: Vec::new(),
            publishers: None,
            subscribers: None,
        }
    }

    /// Total messages, when every partition knows its count.
    pub fn message_count(&self) -> Option<u64> {
        sum_known(self.partitions.iter().map(|p| p.message_count))
    }

    /// Total bytes, when every partition knows its size.
    pub fn bytes(&self) -> Option<u64> {
        sum_known(self.partitions.iter().map(|p| p.bytes))
    }

    /// The earliest first-message timestamp over all partitions.
    pub fn first_ts_ns(&self) -> Option<i64> {
        self.partitions.iter().filter_map(|p| p.first_ts_ns).min()
    }

    /// The latest last-message timestamp over all partitions.
    pub fn last_ts_ns(&self) -> Option<i64> {
        self.partitions.iter().filter_map(|p| p.last_ts_ns).max()
    }

    /// For a channel: whether it is sealed (its partition 0 holds a close message).
    pub fn closed(&self) -> bool {
        !self.partitions.is_empty() && self.partitions.iter().all(|p| p.closed)
    }
}

fn sum_known(it: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let mut total = 0u64;
    let mut any = false;
    for v in it {
        total = total.saturating_add(v?);
        any = true;
    }
    any.then_some(total)
}

/// What a histogram counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HistogramUnit {
    /// Messages per bucket (embedded broker's index).
    Messages,
    /// Stored bytes per bucket (4.x: sizes of the flushed log files).
    Bytes,
}

/// Asks for a histogram between two times (defaults: the topic's first and last message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramRequest {
    /// Start, inclusive.
    pub start_ns: Option<i64>,
    /// Stop, exclusive.
    pub stop_ns: Option<i64>,
    /// Number of buckets (≥ 1).
    pub buckets: u32,
}

/// Volume per time bucket: bucket i covers `[start + i*w, start + (i+1)*w)`,
/// `w = (stop - start) / counts.len()`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Start of the first bucket.
    pub start_ns: i64,
    /// End of the last bucket.
    pub stop_ns: i64,
    /// One value per bucket.
    pub counts: Vec<u64>,
    /// What the values count.
    pub unit: HistogramUnit,
}

impl Histogram {
    /// Width of one bucket in ns (at least 1).
    pub fn bucket_width(&self) -> i64 {
        // Checked: both ends come from the server.
        (self.stop_ns.saturating_sub(self.start_ns) / self.counts.len().max(1) as i64).max(1)
    }
}

/// A topic's description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicDescription {
    /// Partitions, counts, time range.
    pub info: TopicInfo,
    /// The density histogram, when asked for and available.
    pub histogram: Option<Histogram>,
}

/// What to read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadSpec {
    /// Where to start; `At(t)` is inclusive: records with `ts_ns >= t`.
    pub from: TimeSpec,
    /// Stop after the last record with `ts_ns <= until`.
    pub until: Option<i64>,
    /// Only these partitions (`None`: all).
    pub partitions: Option<Vec<i32>>,
    /// Keep tailing new records (`false`: stop at the end that existed when the read began).
    pub follow: bool,
}

impl Default for ReadSpec {
    fn default() -> Self {
        ReadSpec {
            from: TimeSpec::Earliest,
            until: None,
            partitions: None,
            follow: true,
        }
    }
}

/// What a read delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadEvent {
    /// Records in timestamp order (across partitions).
    Records(Vec<Record>),
    /// The history that existed when the read began has been delivered; what follows is live.
    CaughtUp,
    /// A transient failure; the reader retries with backoff and resumes after the last
    /// delivered record, without gap or duplicate. The other partitions go on.
    Reconnecting {
        /// The partition that failed, when one did (not the whole read).
        partition: Option<i32>,
        /// What failed.
        error: ClientError,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// Connected again after `Reconnecting` (`partition`: that partition only).
    Reconnected {
        /// The partition that is back, when one was reported.
        partition: Option<i32>,
    },
    /// One partition gave up with a fatal error; the others go on. A read that ends
    /// after this is incomplete: callers say so (the CLI exits non-zero).
    PartitionFailed {
        /// The partition.
        partition: i32,
        /// Why.
        error: ClientError,
    },
    /// Something the user must know that does not end the read (a range skipped, a slower
    /// path taken): shown on stderr / in the status bar.
    Notice(String),
}

/// A running read. Dropping it cancels the read.
pub struct ReadStream {
    rx: mpsc::Receiver<Result<ReadEvent, ClientError>>,
    decoder: Option<super::RecordDecoder>,
    cancel: CancellationToken,
    _guard: DropGuard,
}

impl ReadStream {
    /// Makes a stream and the sender a reader task feeds; the task should stop when
    /// `cancel` fires (it does when the stream is dropped) or the sender fails.
    pub fn channel(capacity: usize) -> (ReadSender, ReadStream) {
        let (tx, rx) = mpsc::channel(capacity);
        let cancel = CancellationToken::new();
        (
            ReadSender {
                tx,
                cancel: cancel.clone(),
            },
            ReadStream {
                rx,
                decoder: None,
                cancel: cancel.clone(),
                _guard: cancel.drop_guard(),
            },
        )
    }

    /// The next event; `None` when the read has ended (non-follow reads, `until`, a
    /// closed channel, or cancellation).
    pub async fn next(&mut self) -> Option<Result<ReadEvent, ClientError>> {
        let mut ev = self.rx.recv().await;
        if let (Some(d), Some(Ok(ReadEvent::Records(batch)))) = (&self.decoder, &mut ev) {
            batch.iter_mut().for_each(|r| d(r));
        }
        ev
    }

    /// Decodes every record delivered (once, as [`ReadStream::next`] hands it out).
    pub fn with_decoder(mut self, d: Option<super::RecordDecoder>) -> Self {
        self.decoder = d;
        self
    }

    /// Cancels the read.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// The feeding side of a [`ReadStream`].
#[derive(Clone)]
pub struct ReadSender {
    /// Events to the stream.
    pub tx: mpsc::Sender<Result<ReadEvent, ClientError>>,
    /// Fires when the stream is dropped or cancelled.
    pub cancel: CancellationToken,
}

impl ReadSender {
    /// Sends an event; `false` when the reader is gone or cancelled (stop reading).
    pub async fn send(&self, ev: Result<ReadEvent, ClientError>) -> bool {
        tokio::select! {
            r = self.tx.send(ev) => r.is_ok(),
            _ = self.cancel.cancelled() => false,
        }
    }
}

/// A message to publish.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutMessage {
    /// Key (empty: none; 2.x goes round robin, 4.x hashes the empty key).
    pub key: Bytes,
    /// Value.
    pub value: Bytes,
    /// Headers (2.x only; a 4.x publish with headers is refused).
    pub headers: Vec<(String, Bytes)>,
    /// Event time to ask for (`None`: the broker's clock).
    pub ts_ns: Option<i64>,
    /// A 2.x close message.
    pub is_close: bool,
}

/// Where a published message landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PublishOutcome {
    /// Partition number.
    pub partition: i32,
    /// Offset (4.x `assigned_offset`).
    pub offset: Option<i64>,
    /// Timestamp acknowledged by the broker, where it tells.
    pub ts_ns: Option<i64>,
}

/// A long-lived publishing session (for many messages).
pub struct Publisher {
    tx: mpsc::Sender<OutMessage>,
    task: JoinHandle<Result<Vec<PublishOutcome>, ClientError>>,
}

impl Publisher {
    /// Wraps a publishing task that consumes messages from the receiver and returns the
    /// outcomes when the receiver ends.
    pub fn new(
        tx: mpsc::Sender<OutMessage>,
        task: JoinHandle<Result<Vec<PublishOutcome>, ClientError>>,
    ) -> Self {
        Publisher { tx, task }
    }

    /// Queues one message; an error means the publishing task has failed (see `finish`).
    pub async fn send(&self, m: OutMessage) -> Result<(), ClientError> {
        self.tx.send(m).await.map_err(|_| ClientError::Cancelled)
    }

    /// Waits until every queued message is acknowledged (2.x: durable) and returns
    /// the outcomes, or the first error.
    pub async fn finish(self) -> Result<Vec<PublishOutcome>, ClientError> {
        drop(self.tx);
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ClientError::task("publisher task", &e)),
        }
    }
}

/// The result of a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteOutcome {
    /// Whether the topic existed (when known).
    pub existed: Option<bool>,
    /// What the user should know (4.x: brokers may list it for up to ~30 s).
    pub note: Option<String>,
}

/// What a broker says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerStatus {
    /// The address asked.
    pub address: String,
    /// The detected protocol.
    pub protocol: super::Protocol,
    /// 4.x: the balancer (`FindBrokerLeader`).
    pub balancer: Option<String>,
    /// Number of topics, when the broker can list them.
    pub topic_count: Option<usize>,
    /// The embedded swmq broker's version, when it is one.
    pub embedded_version: Option<String>,
}
