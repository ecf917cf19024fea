//! Publishing to 4.x (`PublishMessage`), partitioned like the Go client.
//!
//! One stream per partition: `init {topic, partition (as looked up), ack_interval 1,
//! publisher_name, follower_broker ""}`, one empty answer, then one ack per `data` in order
//! (`ack_ts_ns`, `assigned_offset`), matched by position because the first ack of a fresh
//! partition may be all defaults. A stream refused with "log buffer is stopping" (the
//! partition was unloading) is reopened a second later and the unacknowledged messages are
//! sent again. A retry never duplicates: a stream is reopened only when it failed before
//! any message was sent on it (then the broker cannot have stored an unacknowledged one);
//! a failure after that ends the publish with an error that says how many messages were
//! acknowledged (the broker may have stored some of the others).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

use super::hash::partition_for;
use super::{MqClient, Part, pb_topic};
use crate::client::{
    CHANNELS_ONLY_V2, ClientError, OutMessage, PartitionPicker, Partitioner, PublishOutcome,
    Publisher, TopicName,
};
use crate::proto::mq::messaging_pb::publish_message_request::{InitMessage, Message};
use crate::proto::mq::messaging_pb::{DataMessage, PublishMessageRequest, PublishMessageResponse};

/// Messages in flight per partition stream.
const WINDOW: usize = 1024;
/// Bytes in flight per partition stream.
const WINDOW_BYTES: usize = 32 << 20;
/// Attempts to open (or reopen) a partition stream.
const ATTEMPTS: u32 = 6;
/// Wait before reopening a stream the broker refused while unloading.
const RETRY_DELAY: Duration = Duration::from_millis(1000);

/// The error for headers on 4.x.
pub(super) const NO_HEADERS: &str = "SeaweedFS MQ 4.x messages have no headers; \
publish without headers (headers exist only in SeaweedFS 2.x messaging)";

/// Refuses what 4.x cannot store: headers and close messages.
pub(crate) fn check_message(m: &OutMessage) -> Result<(), ClientError> {
    if !m.headers.is_empty() {
        return Err(ClientError::Unsupported(NO_HEADERS.into()));
    }
    if m.is_close {
        return Err(ClientError::Unsupported(CHANNELS_ONLY_V2.into()));
    }
    Ok(())
}

type SessionResult = Result<Vec<(usize, PublishOutcome)>, ClientError>;

/// Adds to a publish error how many messages were acknowledged (and so stored), and that
/// the others were not sent again.
fn with_acked(e: ClientError, acked: usize) -> ClientError {
    match e {
        ClientError::Rpc {
            context,
            code,
            message,
        } => ClientError::Rpc {
            context,
            code,
            message: format!(
                "{message}; {acked} message(s) acknowledged, the others not sent again \
                 (the broker may have stored some of them)"
            ),
        },
        other => other,
    }
}

impl MqClient {
    /// Publishes messages in order (per partition) and returns where each one landed, in
    /// the order given.
    pub async fn publish(
        &self,
        topic: &TopicName,
        messages: Vec<OutMessage>,
    ) -> Result<Vec<PublishOutcome>, ClientError> {
        for m in &messages {
            check_message(m)?;
        }
        let p = self.publisher(topic).await?;
        for m in messages {
            if p.send(m).await.is_err() {
                break; // the task failed: finish() says why
            }
        }
        p.finish().await
    }

    /// A long-lived publisher; fails when the topic does not exist (4.x topics are created
    /// with [`MqClient::create_topic`]).
    pub async fn publisher(&self, topic: &TopicName) -> Result<Publisher, ClientError> {
        self.publisher_with(topic, Partitioner::Hash).await
    }

    /// [`MqClient::publisher`] spreading messages by `rule` (`Hash`: the Go client's).
    pub async fn publisher_with(
        &self,
        topic: &TopicName,
        rule: Partitioner,
    ) -> Result<Publisher, ClientError> {
        let parts = self.partitions(topic).await?;
        let (tx, rx) = mpsc::channel(256);
        let picker = PartitionPicker::new(rule);
        let task = tokio::spawn(run_publisher(
            self.clone(),
            topic.clone(),
            parts,
            picker,
            rx,
        ));
        Ok(Publisher::new(tx, task))
    }
}

struct Session {
    tx: mpsc::Sender<(usize, DataMessage)>,
    task: JoinHandle<SessionResult>,
}

async fn join_session(topic: &TopicName, task: JoinHandle<SessionResult>) -> SessionResult {
    task.await
        .unwrap_or_else(|e| Err(ClientError::task(format!("publishing to {topic}"), &e)))
}

async fn run_publisher(
    client: MqClient,
    topic: TopicName,
    parts: Vec<Part>,
    mut picker: PartitionPicker,
    mut rx: mpsc::Receiver<OutMessage>,
) -> Result<Vec<PublishOutcome>, ClientError> {
    let name = format!("swmq-{}", std::process::id());
    let mut sessions: HashMap<i32, Session> = HashMap::new();
    let mut n = 0usize;
    let mut failure: Option<ClientError> = None;
    while let Some(m) = rx.recv().await {
        if let Err(e) = check_message(&m) {
            failure = Some(e);
            break;
        }
        let chosen = match picker.pick(parts.len()) {
            Some(i) => parts.get(i),
            None => partition_for(&parts, &m.key),
        };
        let Some(part) = chosen else {
            failure = Some(ClientError::invalid(
                "partitions",
                format!("{topic}: no partition holds the key's ring slot"),
            ));
            break;
        };
        let s = sessions.entry(part.index).or_insert_with(|| {
            let (tx, srx) = mpsc::channel(256);
            let task = tokio::spawn(partition_session(
                client.clone(),
                topic.clone(),
                part.clone(),
                name.clone(),
                srx,
            ));
            Session { tx, task }
        });
        let data = DataMessage {
            key: m.key,
            value: m.value,
            ts_ns: m.ts_ns.unwrap_or_else(crate::time::now_ns),
            ctrl: None,
        };
        if s.tx.send((n, data)).await.is_err() {
            // The session ended early: its result says why.
            if let Some(s) = sessions.remove(&part.index) {
                failure = join_session(&topic, s.task).await.err();
            }
            break;
        }
        n += 1;
    }
    let mut outcomes: Vec<(usize, PublishOutcome)> = Vec::with_capacity(n);
    for (_, s) in sessions {
        drop(s.tx);
        match join_session(&topic, s.task).await {
            Ok(v) => outcomes.extend(v),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(with_acked(e, outcomes.len()));
    }
    outcomes.sort_by_key(|(i, _)| *i);
    Ok(outcomes.into_iter().map(|(_, o)| o).collect())
}

fn response_error(topic: &TopicName, r: &PublishMessageResponse) -> Option<ClientError> {
    if r.error.is_empty() && r.error_code == 0 {
        return None;
    }
    if r.error_code == 2 && r.error.to_ascii_lowercase().contains("not") {
        return Some(ClientError::TopicNotFound(topic.to_string()));
    }
    Some(ClientError::Rpc {
        context: format!("publish to {topic}"),
        code: tonic::Code::Unknown,
        message: format!("{} (error_code {})", r.error, r.error_code),
    })
}

/// One partition's publishing stream, reopened on "log buffer is stopping" and on
/// transient failures; returns `(message number, outcome)` per message.
async fn partition_session(
    client: MqClient,
    topic: TopicName,
    mut part: Part,
    publisher_name: String,
    mut input: mpsc::Receiver<(usize, DataMessage)>,
) -> SessionResult {
    let mut out = Vec::new();
    let mut pending: VecDeque<(usize, DataMessage)> = VecDeque::new();
    let mut pending_bytes = 0usize;
    let mut input_done = false;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let ctx = format!("publish to {topic} partition {} at {}", part.index, {
            if part.leader.is_empty() {
                client.broker_addr()
            } else {
                part.leader.as_str()
            }
        });
        client.check_publishable(&topic, &part).await?;
        let err = match stream_once(
            &client,
            &topic,
            &part,
            &publisher_name,
            &ctx,
            &mut input,
            &mut pending,
            &mut pending_bytes,
            &mut input_done,
            &mut out,
        )
        .await
        {
            Ok(()) => return Ok(out),
            Err((e, progressed, sent)) => {
                if progressed {
                    attempt = 1;
                }
                if sent {
                    // Messages went out on this stream: the broker may have stored some
                    // it did not acknowledge, and sending them again could duplicate.
                    return Err(e);
                }
                e
            }
        };
        if !err.is_transient() || attempt >= ATTEMPTS {
            return Err(err);
        }
        tracing::debug!("{ctx}: {err}; retrying");
        tokio::time::sleep(RETRY_DELAY).await;
        // The leader may have moved (a broker restarted or died).
        if let Some(p) = client.relookup_part(&topic, &part).await {
            part.leader = p.leader;
        }
    }
}

/// One stream: sends `pending` again, then new input, until input ends and all is acked.
/// On failure returns the error, whether any message was acknowledged, and whether any
/// message was sent on this stream.
#[allow(clippy::too_many_arguments)]
async fn stream_once(
    client: &MqClient,
    topic: &TopicName,
    part: &Part,
    publisher_name: &str,
    ctx: &str,
    input: &mut mpsc::Receiver<(usize, DataMessage)>,
    pending: &mut VecDeque<(usize, DataMessage)>,
    pending_bytes: &mut usize,
    input_done: &mut bool,
    out: &mut Vec<(usize, PublishOutcome)>,
) -> Result<(), (ClientError, bool, bool)> {
    let rpc = |s: tonic::Status| ClientError::rpc(ctx.to_string(), s);
    let (req_tx, req_rx) = mpsc::channel::<PublishMessageRequest>(WINDOW + 8);
    let init = PublishMessageRequest {
        message: Some(Message::Init(InitMessage {
            topic: Some(pb_topic(topic)),
            partition: Some(part.pb()),
            ack_interval: 1,
            follower_broker: String::new(),
            publisher_name: publisher_name.to_string(),
        })),
    };
    let _ = req_tx.send(init).await;
    let mut broker = client.broker_for(&part.leader).await;
    let mut stream = broker
        .publish_message(ReceiverStream::new(req_rx))
        .await
        .map_err(|s| (rpc(s), false, false))?
        .into_inner();
    // The answer to init.
    match stream.message().await {
        Ok(Some(r)) => {
            if let Some(e) = response_error(topic, &r) {
                return Err((e, false, false));
            }
        }
        Ok(None) => {
            return Err((
                ClientError::Rpc {
                    context: ctx.to_string(),
                    code: tonic::Code::Unavailable,
                    message: "the broker ended the stream before accepting it".into(),
                },
                false,
                false,
            ));
        }
        Err(s) => return Err((rpc(s), false, false)),
    }
    // Once a message went out, a failure is not retried (see the module's doc).
    let mut sent = !pending.is_empty();
    for (_, d) in pending.iter() {
        let req = PublishMessageRequest {
            message: Some(Message::Data(d.clone())),
        };
        if req_tx.send(req).await.is_err() {
            break; // the stream failed: the response side says why
        }
    }
    let mut progressed = false;
    let mut req_tx = Some(req_tx);
    loop {
        if *input_done && pending.is_empty() {
            // Everything acknowledged: half-close and let the broker end the stream.
            drop(req_tx.take());
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while let Ok(Some(_)) = stream.message().await {}
            })
            .await;
            return Ok(());
        }
        let room = pending.len() < WINDOW && *pending_bytes < WINDOW_BYTES;
        tokio::select! {
            m = input.recv(), if !*input_done && room => match m {
                None => *input_done = true,
                Some((i, d)) => {
                    *pending_bytes += d.value.len() + d.key.len();
                    pending.push_back((i, d.clone()));
                    sent = true;
                    if let Some(tx) = &req_tx {
                        let req = PublishMessageRequest { message: Some(Message::Data(d)) };
                        if tx.send(req).await.is_err() {
                            req_tx = None;
                        }
                    }
                }
            },
            r = stream.message() => match r {
                Ok(Some(resp)) => {
                    if let Some(e) = response_error(topic, &resp) {
                        // The broker refused this message (the first unacknowledged
                        // one) and handles a stream's messages in order: "log buffer is
                        // stopping" means it stored none of the unacknowledged ones.
                        let stored_none = e.stored_nothing();
                        return Err((e, progressed, sent && !stored_none));
                    }
                    if resp.should_close {
                        // ClosePublishers (a delete): leave, and do not come back.
                        return Err((ClientError::Rpc {
                            context: ctx.to_string(),
                            code: tonic::Code::FailedPrecondition,
                            message: format!(
                                "the broker closed this publisher (topic deleted or \
                                 reconfigured) with {} message(s) unacknowledged",
                                pending.len()
                            ),
                        }, progressed, sent));
                    }
                    let Some((i, d)) = pending.pop_front() else {
                        tracing::debug!("{ctx}: an ack beyond the messages sent: {resp:?}");
                        continue;
                    };
                    *pending_bytes = pending_bytes.saturating_sub(d.value.len() + d.key.len());
                    progressed = true;
                    out.push((i, PublishOutcome {
                        partition: part.index,
                        offset: Some(resp.assigned_offset),
                        ts_ns: (resp.ack_ts_ns != 0).then_some(resp.ack_ts_ns),
                    }));
                }
                Ok(None) => {
                    return Err((ClientError::Rpc {
                        context: ctx.to_string(),
                        code: tonic::Code::Unavailable,
                        message: format!(
                            "the broker ended the stream with {} message(s) unacknowledged",
                            pending.len()
                        ),
                    }, progressed, sent));
                }
                Err(s) => {
                    // Same refusal as a status: the acks before it all arrived first.
                    let e = rpc(s);
                    let stored_none = e.stored_nothing();
                    return Err((e, progressed, sent && !stored_none));
                }
            },
        }
    }
}
