//! One `SubscribeMessage` stream of one partition, run on its own task so that it can be
//! abandoned (dropped) at any moment, e.g. when it has gone silent at the live edge.
//!
//! Every subscription uses its own ephemeral consumer group and id, an empty
//! `follower_broker`, `sliding_window_size ≥ 1` and either `RESET_TO_EARLIEST` or
//! `EXACT_TS_NS`, with the partition exactly as looked up: no consumer-group state is made.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::{MqClient, Part, pb_topic};
use crate::client::TopicName;
use crate::proto::mq::messaging_pb::subscribe_message_request::{
    AckMessage, InitMessage, Message as Req,
};
use crate::proto::mq::messaging_pb::subscribe_message_response::Message as Resp;
use crate::proto::mq::messaging_pb::{DataMessage, SubscribeMessageRequest};
use crate::proto::mq::schema_pb::{OffsetType, PartitionOffset};

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StartAt {
    /// `RESET_TO_EARLIEST`.
    Earliest,
    /// `EXACT_TS_NS` at this timestamp (inclusive in memory, exclusive on disk).
    Ts(i64),
}

/// What a subscription delivers.
#[derive(Debug)]
pub(super) enum SubItem {
    /// A message (already acknowledged).
    Data(DataMessage),
    /// A control message: an error text, or the end of the stream/topic.
    Ctrl { error: String, end: bool },
    /// The stream failed.
    Failed(tonic::Status),
    /// The stream ended.
    Ended,
}

/// A running subscription; dropping it cancels the stream.
pub(super) struct Sub {
    /// Its items.
    pub rx: mpsc::Receiver<SubItem>,
    task: JoinHandle<()>,
}

impl Drop for Sub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A consumer group (and id) no one else uses.
fn ephemeral_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "swmq-inspect-{}-{}-{}",
        std::process::id(),
        crate::time::now_ns(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Sub {
    /// A subscription that delivers nothing (a placeholder until the first one opens).
    pub(super) fn none() -> Sub {
        let (_tx, rx) = mpsc::channel(1);
        Sub {
            rx,
            task: tokio::spawn(async {}),
        }
    }

    /// Opens a subscription of `part` starting at `start`.
    pub(super) fn open(
        client: &MqClient,
        topic: &TopicName,
        part: &Part,
        start: StartAt,
        window: i32,
    ) -> Sub {
        let (tx, rx) = mpsc::channel(1024);
        let name = ephemeral_name();
        let (offset_type, start_ts_ns) = match start {
            StartAt::Earliest => (OffsetType::ResetToEarliest, 0),
            StartAt::Ts(ts) => (OffsetType::ExactTsNs, ts),
        };
        let init = InitMessage {
            consumer_group: name.clone(),
            consumer_id: name.clone(),
            client_id: name,
            topic: Some(pb_topic(topic)),
            partition_offset: Some(PartitionOffset {
                partition: Some(part.pb()),
                start_ts_ns,
                start_offset: 0,
            }),
            offset_type: offset_type as i32,
            filter: String::new(),
            follower_broker: String::new(),
            sliding_window_size: window.max(1),
        };
        let client = client.clone();
        let leader = part.leader.clone();
        let task = tokio::spawn(async move {
            let (req_tx, req_rx) = mpsc::unbounded_channel();
            let _ = req_tx.send(SubscribeMessageRequest {
                message: Some(Req::Init(init)),
            });
            let mut broker = client.broker_for(&leader).await;
            let mut stream = match broker
                .subscribe_message(UnboundedReceiverStream::new(req_rx))
                .await
            {
                Ok(r) => r.into_inner(),
                Err(s) => {
                    let _ = tx.send(SubItem::Failed(s)).await;
                    return;
                }
            };
            loop {
                let item = match stream.message().await {
                    Ok(Some(r)) => match r.message {
                        Some(Resp::Data(d)) => {
                            // Ack every message: a repeated key otherwise stalls the
                            // partition for up to 30 s.
                            let _ = req_tx.send(SubscribeMessageRequest {
                                message: Some(Req::Ack(AckMessage {
                                    ts_ns: d.ts_ns,
                                    key: d.key.clone(),
                                })),
                            });
                            SubItem::Data(d)
                        }
                        Some(Resp::Ctrl(c)) => SubItem::Ctrl {
                            error: c.error,
                            end: c.is_end_of_stream || c.is_end_of_topic,
                        },
                        None => continue,
                    },
                    Ok(None) => SubItem::Ended,
                    Err(s) => SubItem::Failed(s),
                };
                let last = matches!(item, SubItem::Ended | SubItem::Failed(_));
                if tx.send(item).await.is_err() || last {
                    return;
                }
            }
        });
        Sub { rx, task }
    }
}
