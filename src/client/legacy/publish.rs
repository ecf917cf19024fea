//! Publishing the way the Go `msgclient` does: a message with a non-empty key goes to
//! partition `xxhash64(key) % partitions`, one without a key round robin; one `Publish`
//! stream per partition used, `init` first, then the broker's empty first answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

use super::{LegacyClient, is_closed_status};
use crate::client::{
    ClientError, OutMessage, PartitionPicker, Partitioner, PublishOutcome, Publisher, TopicName,
};
use crate::proto::v2;

/// Messages queued between the caller and the publishing task.
const QUEUE: usize = 256;
/// Requests queued per partition stream.
const STREAM_QUEUE: usize = 64;
/// How long a publish waits without any progress (the broker answering, or taking queued
/// messages off the connection) before it fails: a frozen broker (stopped, wedged) accepts
/// connections in the kernel and never answers, and HTTP/2 alone waits forever.
pub(super) const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The `msgclient` partition of a keyed message: `xxhash64(key) % partitions` (xxh64, seed
/// 0). `None` for an empty key (those go round robin).
pub fn partition_for_key(key: &[u8], partitions: u32) -> Option<i32> {
    if key.is_empty() || partitions == 0 {
        return None;
    }
    Some((xxhash_rust::xxh64::xxh64(key, 0) % u64::from(partitions)) as i32)
}

/// Starts the publishing task of `topic` with `partitions` partitions.
pub(super) fn start(
    client: LegacyClient,
    topic: Arc<TopicName>,
    partitions: u32,
    rule: Partitioner,
) -> Publisher {
    let (tx, rx) = mpsc::channel(QUEUE);
    let picker = PartitionPicker::new(rule);
    let task = tokio::spawn(run(client, topic, partitions.max(1), picker, rx));
    Publisher::new(tx, task)
}

async fn run(
    client: LegacyClient,
    topic: Arc<TopicName>,
    partitions: u32,
    mut picker: PartitionPicker,
    mut rx: mpsc::Receiver<OutMessage>,
) -> Result<Vec<PublishOutcome>, ClientError> {
    let mut streams: BTreeMap<i32, PartStream> = BTreeMap::new();
    let mut round_robin: u32 = 0;
    let mut out = Vec::new();
    while let Some(m) = rx.recv().await {
        let p = if topic.is_channel() {
            0
        } else if let Some(i) = picker.pick(partitions as usize) {
            i as i32
        } else {
            partition_for_key(&m.key, partitions).unwrap_or_else(|| {
                let p = round_robin % partitions;
                round_robin = round_robin.wrapping_add(1);
                p as i32
            })
        };
        let stream = match streams.entry(p) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(PartStream::open(&client, &topic, p).await?)
            }
        };
        stream.send(m).await?;
        out.push(PublishOutcome {
            partition: p,
            offset: None,
            ts_ns: None,
        });
    }
    for (_, s) in streams {
        s.finish().await?;
    }
    Ok(out)
}

/// Publishes `Message {is_close: true}` to one partition and waits for `is_closed`.
pub(super) async fn close_partition(
    client: &LegacyClient,
    topic: &Arc<TopicName>,
    partition: i32,
) -> Result<PublishOutcome, ClientError> {
    let mut s = PartStream::open(client, topic, partition).await?;
    s.send(OutMessage {
        is_close: true,
        ..Default::default()
    })
    .await?;
    if s.finish().await? {
        Ok(PublishOutcome {
            partition,
            offset: None,
            ts_ns: None,
        })
    } else {
        Err(ClientError::Rpc {
            context: format!("closing {topic} at {}", client.broker_addr()),
            code: tonic::Code::Unknown,
            message: "the broker ended the stream without confirming the close".into(),
        })
    }
}

/// What happened to one queued request.
enum Step {
    Sent,
    SendFailed,
    /// No queued request was taken for [`STALL_TIMEOUT`].
    Stalled,
    Ended(Result<bool, ClientError>),
}

/// One open `Publish` stream.
struct PartStream {
    topic: Arc<TopicName>,
    partition: i32,
    addr: String,
    /// Requests to the broker; `None` once a close message was sent (half-closed).
    tx: Option<mpsc::Sender<v2::PublishRequest>>,
    /// Drains the broker's answers; `Ok(true)` when it confirmed a close.
    done: Option<JoinHandle<Result<bool, ClientError>>>,
    /// The drain's result once it has ended.
    ended: Option<Result<bool, ClientError>>,
    /// A close message was sent on this stream.
    closed: bool,
    /// Requests the transport has taken so far.
    pulled: Arc<AtomicU64>,
}

impl PartStream {
    async fn open(
        client: &LegacyClient,
        topic: &Arc<TopicName>,
        partition: i32,
    ) -> Result<PartStream, ClientError> {
        let addr = client.broker_addr().to_string();
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        let init = v2::PublishRequest {
            init: Some(v2::publish_request::InitMessage {
                namespace: topic.namespace.clone(),
                topic: topic.name.clone(),
                partition,
            }),
            data: None,
        };
        tx.send(init).await.map_err(|_| ClientError::Cancelled)?;
        let err = |s: tonic::Status| stream_error(topic, partition, &addr, s);
        // Counts the requests the transport takes: progress while the broker says nothing.
        let pulled = Arc::new(AtomicU64::new(0));
        let counter = pulled.clone();
        let requests = tokio_stream::StreamExt::map(ReceiverStream::new(rx), move |r| {
            counter.fetch_add(1, Ordering::Relaxed);
            r
        });
        let stalled = || stall_error(topic, partition, &addr, "acknowledge the stream");
        let mut v2 = client.v2();
        let opened = async {
            let mut stream = v2.publish(requests).await.map_err(err)?.into_inner();
            let first = stream.message().await.map_err(err)?;
            Ok::<_, ClientError>((stream, first))
        };
        let (mut stream, first) = tokio::time::timeout(STALL_TIMEOUT, opened)
            .await
            .map_err(|_| stalled())??;
        match first {
            None => {
                return Err(ClientError::Rpc {
                    context: context(topic, partition, &addr),
                    code: tonic::Code::Unknown,
                    message: "the broker ended the stream before acknowledging it".into(),
                });
            }
            Some(r) if r.is_closed => return Err(closed_error(topic, partition)),
            Some(r) => {
                if let Some(new) = r.redirect.map(|r| r.new_broker).filter(|b| !b.is_empty()) {
                    return Err(ClientError::Unsupported(format!(
                        "{topic} partition {partition} is hosted by broker {new}, not {addr}; \
                         connect to that broker"
                    )));
                }
            }
        }
        let (t, a) = (topic.clone(), addr.clone());
        let done = tokio::spawn(async move {
            let mut closed = false;
            loop {
                match stream.message().await {
                    Ok(Some(r)) => closed |= r.is_closed,
                    Ok(None) => return Ok(closed),
                    Err(s) => return Err(stream_error(&t, partition, &a, s)),
                }
            }
        });
        Ok(PartStream {
            topic: topic.clone(),
            partition,
            addr,
            tx: Some(tx),
            done: Some(done),
            ended: None,
            closed: false,
            pulled,
        })
    }

    /// Queues one message; fails when the partition is sealed or the stream has failed.
    async fn send(&mut self, m: OutMessage) -> Result<(), ClientError> {
        if self.closed {
            return Err(closed_error(&self.topic, self.partition));
        }
        let is_close = m.is_close;
        let req = v2::PublishRequest {
            init: None,
            data: Some(v2::Message {
                event_time_ns: m.ts_ns.unwrap_or(0),
                key: m.key,
                value: m.value,
                headers: m.headers.into_iter().collect(),
                is_close,
            }),
        };
        let step = {
            let (Some(tx), Some(done)) = (self.tx.as_ref(), self.done.as_mut()) else {
                return Err(self.early_end());
            };
            // A send waits only while the queue is full: nothing was taken for that long.
            tokio::select! {
                r = tx.send(req) => if r.is_ok() { Step::Sent } else { Step::SendFailed },
                r = done => Step::Ended(joined(r)),
                _ = tokio::time::sleep(STALL_TIMEOUT) => Step::Stalled,
            }
        };
        match step {
            Step::Sent => {}
            Step::Stalled => {
                if let Some(h) = self.done.take() {
                    h.abort();
                }
                self.tx = None;
                return Err(self.stall("take more messages"));
            }
            Step::SendFailed => {
                let r = self.wait().await;
                self.ended = Some(r);
                return Err(self.early_end());
            }
            Step::Ended(r) => {
                self.done = None;
                self.ended = Some(r);
                return Err(self.early_end());
            }
        }
        if is_close {
            self.closed = true;
            self.tx = None;
        }
        Ok(())
    }

    /// Waits for the broker to end the stream, failing after [`STALL_TIMEOUT`] without
    /// progress (the transport taking no queued message and the broker not answering).
    async fn wait(&mut self) -> Result<bool, ClientError> {
        let Some(mut h) = self.done.take() else {
            return self.ended.take().unwrap_or(Ok(false));
        };
        let mut seen = self.pulled.load(Ordering::Relaxed);
        loop {
            match tokio::time::timeout(STALL_TIMEOUT, &mut h).await {
                Ok(r) => return joined(r),
                Err(_) => {
                    let now = self.pulled.load(Ordering::Relaxed);
                    if now == seen {
                        h.abort();
                        return Err(self.stall("confirm what it received"));
                    }
                    seen = now;
                }
            }
        }
    }

    fn stall(&self, what: &str) -> ClientError {
        stall_error(&self.topic, self.partition, &self.addr, what)
    }

    /// The error for a stream that ended while messages were still being sent.
    fn early_end(&mut self) -> ClientError {
        match self.ended.take() {
            Some(Err(e)) => e,
            Some(Ok(true)) => closed_error(&self.topic, self.partition),
            _ => ClientError::Rpc {
                context: context(&self.topic, self.partition, &self.addr),
                code: tonic::Code::Unknown,
                message: "the broker ended the stream early".into(),
            },
        }
    }

    /// Half-closes the stream and waits until the broker ends it cleanly (everything
    /// stored). `Ok(true)` when the broker confirmed a close message.
    async fn finish(mut self) -> Result<bool, ClientError> {
        self.tx = None;
        self.wait().await
    }
}

fn joined(
    r: Result<Result<bool, ClientError>, tokio::task::JoinError>,
) -> Result<bool, ClientError> {
    r.unwrap_or_else(|e| Err(ClientError::task("publish task", &e)))
}

fn context(topic: &TopicName, partition: i32, addr: &str) -> String {
    format!("publish to {topic} partition {partition} at {addr}")
}

/// The broker made no progress for [`STALL_TIMEOUT`] (`what`: what it failed to do).
fn stall_error(topic: &TopicName, partition: i32, addr: &str, what: &str) -> ClientError {
    ClientError::Rpc {
        context: context(topic, partition, addr),
        code: tonic::Code::DeadlineExceeded,
        message: format!(
            "the broker did not {what} within {}s; it may be frozen or overloaded \
             (nothing after the last acknowledged publish is known to be stored)",
            STALL_TIMEOUT.as_secs()
        ),
    }
}

fn closed_error(topic: &TopicName, partition: i32) -> ClientError {
    if topic.is_channel() {
        ClientError::ChannelClosed(topic.name.clone())
    } else {
        ClientError::ChannelClosed(format!("{topic} partition {partition}"))
    }
}

fn stream_error(topic: &TopicName, partition: i32, addr: &str, s: tonic::Status) -> ClientError {
    if is_closed_status(&s) {
        closed_error(topic, partition)
    } else {
        ClientError::rpc(context(topic, partition, addr), s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_partition_is_xxh64_mod_n() {
        // xxh64("", 0) = 0xef46db3751d8e999 (the published test vector of xxHash64).
        assert_eq!(xxhash_rust::xxh64::xxh64(b"", 0), 0xef46_db37_51d8_e999);
        assert_eq!(partition_for_key(b"", 4), None);
        for key in [&b"a"[..], b"user-1", b"\x00\xff binary"] {
            let h = xxhash_rust::xxh64::xxh64(key, 0);
            assert_eq!(partition_for_key(key, 4), Some((h % 4) as i32));
            assert_eq!(partition_for_key(key, 1), Some(0));
        }
        // Different keys spread over the partitions.
        let used: std::collections::BTreeSet<i32> = (0..64)
            .filter_map(|i| partition_for_key(format!("k{i}").as_bytes(), 4))
            .collect();
        assert_eq!(used.len(), 4);
    }

    #[test]
    fn closed_errors_name_the_channel_or_partition() {
        let c = TopicName::channel("jobs").unwrap();
        assert_eq!(closed_error(&c, 0).to_string(), "channel jobs is closed");
        let t = TopicName::new("ns", "t").unwrap();
        assert!(closed_error(&t, 2).to_string().contains("ns/t partition 2"));
        let e = stream_error(
            &t,
            1,
            "h:1",
            tonic::Status::unknown("channel is already closed"),
        );
        assert!(matches!(e, ClientError::ChannelClosed(_)), "{e:?}");
    }
}
