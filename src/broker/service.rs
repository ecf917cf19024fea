//! `messaging_pb.SeaweedMessaging` (2.x): Publish, Subscribe, DeleteTopic, FindBroker,
//! ConfigureTopic and GetTopicConfiguration, with the semantics of the original broker.

use std::pin::Pin;
use std::sync::Arc;

use futures::{FutureExt, Stream, StreamExt};
use prost::Message as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::Shared;
use super::partition::Partition;
use super::reader::Chunk;
use super::subscribers::Session;
use crate::proto::v2::seaweed_messaging_server::SeaweedMessaging;
use crate::proto::v2::subscriber_message::init_message::StartPosition;
use crate::proto::v2::*;

/// Messages buffered per subscriber; a slower subscriber waits and continues from disk.
const SUBSCRIBER_QUEUE: usize = 512;
/// Bytes buffered per subscriber, at most (a slow subscriber of large messages must not
/// hold 512 of them in memory).
const SUBSCRIBER_QUEUE_BYTES: u32 = 8 * 1024 * 1024;
/// Bytes read from disk per step of a subscriber: small at first (the first message of a
/// seek comes quickly), doubling up to the maximum while it streams history.
const FIRST_READ: u64 = 8 * 1024;
const READ_CHUNK: u64 = 256 * 1024;

/// A queued item of a subscription, with its share of the byte budget (released when the
/// response stream hands the item to the transport).
type Queued = (Result<BrokerMessage, Status>, Option<OwnedSemaphorePermit>);

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The 2.x service.
#[derive(Debug, Clone)]
pub(super) struct MessagingService {
    pub(super) shared: Arc<Shared>,
}

/// A publish batch is written once it holds this many bytes of messages.
const BATCH_BYTES: usize = 1 << 20;

/// What a publish stream delivered next: messages received so far without waiting, and
/// how the stream ended if it did (`Some(None)`: a clean end).
struct Received {
    msgs: Vec<Message>,
    end: Option<Option<Result<PublishResponse, Status>>>,
}

/// Takes `first` and whatever else the stream already holds (up to a close message or
/// [`BATCH_BYTES`]).
fn gather(
    first: Option<Result<PublishRequest, Status>>,
    inbound: &mut Streaming<PublishRequest>,
) -> Received {
    let mut got = Received {
        msgs: Vec::new(),
        end: None,
    };
    let mut bytes = 0;
    let mut item = first;
    loop {
        match item {
            None => got.end = Some(None),
            Some(Err(status)) => {
                // A client that went away does not read this; one whose request could not
                // be decoded (e.g. above the size limit) learns why.
                tracing::debug!(%status, "publish stream failed");
                got.end = Some(Some(Err(Status::new(
                    status.code(),
                    format!("bad publish request: {}", status.message()),
                ))));
            }
            Some(Ok(req)) => {
                if let Some(data) = req.data {
                    bytes += data.encoded_len();
                    let close = data.is_close;
                    got.msgs.push(data);
                    if close || bytes >= BATCH_BYTES {
                        return got;
                    }
                }
                match inbound.next().now_or_never() {
                    Some(next) => {
                        item = next;
                        continue;
                    }
                    None => return got,
                }
            }
        }
        return got;
    }
}

impl MessagingService {
    async fn publish_loop(
        self,
        part: Arc<Partition>,
        mut inbound: Streaming<PublishRequest>,
        tx: mpsc::Sender<Result<PublishResponse, Status>>,
    ) {
        let hard_stop = self.shared.hard_stop.clone();
        let last = loop {
            let first = tokio::select! {
                m = inbound.next() => m,
                _ = hard_stop.cancelled() => {
                    break Some(Err(Status::unavailable("the broker is shutting down")));
                }
            };
            let got = gather(first, &mut inbound);
            if !got.msgs.is_empty() {
                let batch = part.append_batch(got.msgs).await;
                if let Some(e) = batch.error {
                    break Some(Err(e.into()));
                }
                if batch.closed {
                    break Some(match part.seal().await {
                        Ok(()) => Ok(PublishResponse {
                            is_closed: true,
                            ..Default::default()
                        }),
                        Err(e) => Err(e.into()),
                    });
                }
            }
            if let Some(end) = got.end {
                break end;
            }
        };
        // The stream ends OK only once everything it stored is on disk.
        let synced = part.sync().await;
        let last = match (last, synced) {
            (Some(Err(s)), _) => Some(Err(s)),
            (_, Err(e)) => Some(Err(e.into())),
            (last, Ok(())) => last,
        };
        if let Some(resp) = last {
            let _ = tx.send(resp).await;
        }
    }

    async fn subscribe_loop(
        part: Arc<Partition>,
        init: subscriber_message::InitMessage,
        start: StartPosition,
        tx: mpsc::Sender<Queued>,
        cancel: tokio_util::sync::CancellationToken,
    ) {
        let budget = Arc::new(Semaphore::new(SUBSCRIBER_QUEUE_BYTES as usize));
        let (mut cur, skip_upto) = match start {
            StartPosition::Latest => (part.cursor_end(), i64::MIN),
            StartPosition::Earliest => (part.cursor_start(), i64::MIN),
            StartPosition::Timestamp => (part.cursor_after(init.timestamp_ns), init.timestamp_ns),
        };
        let mut changes = part.watch.subscribe();
        let mut step = FIRST_READ;
        loop {
            changes.borrow_and_update();
            let chunk = tokio::select! {
                c = part.read(&mut cur, step) => c,
                _ = cancel.cancelled() => return,
            };
            match chunk {
                Err(e) => {
                    let status = if part.is_deleted() {
                        Status::aborted(format!(
                            "topic {}/{} was deleted",
                            init.namespace, init.topic
                        ))
                    } else {
                        Status::internal(format!("reading the log: {e}"))
                    };
                    let _ = tx.send((Err(status), None)).await;
                    return;
                }
                Ok(Chunk::Records(recs)) => {
                    step = (step * 2).min(READ_CHUNK);
                    for r in recs {
                        if r.ts_ns <= skip_upto {
                            continue;
                        }
                        let is_close = r.message.is_close;
                        let size =
                            (r.message.encoded_len() as u32).clamp(1, SUBSCRIBER_QUEUE_BYTES);
                        let permit = tokio::select! {
                            p = Arc::clone(&budget).acquire_many_owned(size) => p.ok(),
                            _ = cancel.cancelled() => return,
                        };
                        let msg = Ok(BrokerMessage {
                            data: Some(r.message),
                        });
                        tokio::select! {
                            sent = tx.send((msg, permit)) => if sent.is_err() { return },
                            _ = cancel.cancelled() => return,
                        }
                        if is_close {
                            return;
                        }
                    }
                }
                Ok(Chunk::AtEnd { deleted: true, .. }) => {
                    let status = Status::aborted(format!(
                        "topic {}/{} was deleted",
                        init.namespace, init.topic
                    ));
                    let _ = tx.send((Err(status), None)).await;
                    return;
                }
                Ok(Chunk::AtEnd { closed: true, .. }) => return,
                Ok(Chunk::AtEnd { .. }) => {
                    tokio::select! {
                        changed = changes.changed() => if changed.is_err() { return },
                        _ = cancel.cancelled() => return,
                        _ = tx.closed() => return,
                    }
                }
            }
        }
    }
}

/// Reads a subscription's request side. The subscription ends when the client sends
/// is_close or its side fails; a clean half-close keeps the live tail going (the response
/// side still reaches the client). It is read until the response is over (`done`): a
/// client's is_close after the close message is its receipt of it.
async fn watch_requests(
    mut inbound: Streaming<SubscriberMessage>,
    cancel: tokio_util::sync::CancellationToken,
    receipt: Arc<Session>,
    done: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            m = inbound.message() => match m {
                Ok(Some(m)) if m.is_close => {
                    receipt.client_closed();
                    break cancel.cancel();
                }
                Ok(Some(_)) => {}
                Ok(None) => break receipt.client_gone(),
                Err(_) => {
                    receipt.client_gone();
                    break cancel.cancel();
                }
            },
            _ = done.cancelled() => break,
        }
    }
}

/// The response stream: every message handed out is recorded in the session; after a close
/// message it stays open for the subscriber's receipt ([`Session::linger`]); `served` fires
/// when it is dropped.
fn recorded(
    rx: mpsc::Receiver<Queued>,
    session: Arc<Session>,
    served: tokio_util::sync::CancellationToken,
    stopping: tokio_util::sync::CancellationToken,
) -> impl Stream<Item = Result<BrokerMessage, Status>> + Send + 'static {
    let recorder = Arc::clone(&session);
    let served = served.drop_guard();
    ReceiverStream::new(rx)
        .map(move |(item, _permit): Queued| {
            if let Ok(BrokerMessage { data: Some(m) }) = &item {
                recorder.delivered(m);
            }
            item
        })
        .chain(
            futures::stream::once(async move {
                session.linger(&stopping).await;
                drop(served);
            })
            .filter_map(|()| async { None }),
        )
}

#[tonic::async_trait]
impl SeaweedMessaging for MessagingService {
    type SubscribeStream = BoxStream<BrokerMessage>;
    type PublishStream = BoxStream<PublishResponse>;

    async fn subscribe(
        &self,
        request: Request<Streaming<SubscriberMessage>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let mut inbound = request.into_inner();
        let first = inbound.message().await?.ok_or_else(|| {
            Status::invalid_argument("empty subscribe stream: the first request must carry init")
        })?;
        let init = first.init.ok_or_else(|| {
            Status::invalid_argument(
                "the first subscribe request must carry init {namespace, topic, partition, startPosition}",
            )
        })?;
        let start = StartPosition::try_from(init.start_position).map_err(|_| {
            Status::invalid_argument(format!(
                "unknown startPosition {} (expected LATEST=0, EARLIEST=1 or TIMESTAMP=2)",
                init.start_position
            ))
        })?;
        let part = self
            .shared
            .store
            .partition(&init.namespace, &init.topic, init.partition)
            .await?;
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        let cancel = self.shared.stopping.child_token();
        // Recorded for the admin service (who read the partition, through its close?).
        let session = Arc::new(
            self.shared
                .subscribers
                .session(&part, &init.subscriber_id)
                .await,
        );
        // Fires when the response stream is dropped (delivered, or the client went away).
        let served = tokio_util::sync::CancellationToken::new();
        tokio::spawn(watch_requests(
            inbound,
            cancel.clone(),
            Arc::clone(&session),
            served.clone(),
        ));
        let guard = cancel.clone().drop_guard();
        tokio::spawn(async move {
            let _guard = guard;
            Self::subscribe_loop(part, init, start, tx, cancel).await;
        });
        let items = recorded(rx, session, served, self.shared.stopping.clone());
        Ok(Response::new(Box::pin(items)))
    }

    async fn publish(
        &self,
        request: Request<Streaming<PublishRequest>>,
    ) -> Result<Response<Self::PublishStream>, Status> {
        let mut inbound = request.into_inner();
        let first = inbound.message().await?.ok_or_else(|| {
            Status::invalid_argument("empty publish stream: the first request must carry init")
        })?;
        let init = first.init.ok_or_else(|| {
            Status::invalid_argument(
                "the first publish request must carry init {namespace, topic, partition}",
            )
        })?;
        let part = self
            .shared
            .store
            .partition(&init.namespace, &init.topic, init.partition)
            .await?;
        let (tx, rx) = mpsc::channel(4);
        let _ = tx.send(Ok(PublishResponse::default())).await;
        if part.is_closed() {
            let _ = tx
                .send(Err(Status::failed_precondition(format!(
                    "channel is already closed: {}/{} partition {}",
                    init.namespace, init.topic, init.partition
                ))))
                .await;
        } else {
            tokio::spawn(self.clone().publish_loop(part, inbound, tx));
        }
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn delete_topic(
        &self,
        request: Request<DeleteTopicRequest>,
    ) -> Result<Response<DeleteTopicResponse>, Status> {
        let r = request.into_inner();
        self.shared
            .store
            .delete_topic(&r.namespace, &r.topic)
            .await?;
        Ok(Response::new(DeleteTopicResponse {}))
    }

    async fn configure_topic(
        &self,
        request: Request<ConfigureTopicRequest>,
    ) -> Result<Response<ConfigureTopicResponse>, Status> {
        let r = request.into_inner();
        let config = r
            .configuration
            .ok_or_else(|| Status::invalid_argument("ConfigureTopic needs a configuration"))?;
        self.shared
            .store
            .configure(&r.namespace, &r.topic, config)
            .await?;
        Ok(Response::new(ConfigureTopicResponse {}))
    }

    async fn get_topic_configuration(
        &self,
        request: Request<GetTopicConfigurationRequest>,
    ) -> Result<Response<GetTopicConfigurationResponse>, Status> {
        let r = request.into_inner();
        let configuration = self.shared.store.configuration(&r.namespace, &r.topic)?;
        Ok(Response::new(GetTopicConfigurationResponse {
            configuration: Some(configuration),
        }))
    }

    async fn find_broker(
        &self,
        request: Request<FindBrokerRequest>,
    ) -> Result<Response<FindBrokerResponse>, Status> {
        let local = request.local_addr();
        let r = request.into_inner();
        super::names::validate_topic(&r.namespace, &r.topic)?;
        super::names::validate_partition(r.parition)?;
        Ok(Response::new(FindBrokerResponse {
            broker: self.shared.find_broker_answer(local),
        }))
    }
}
