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

type SessionResult = Result<Vec<(usize, PublishOutcome)>, SessionFailure>;

/// A partition session that failed: why, and the messages it had acknowledged before (they
/// are stored, and count in the error's "acknowledged", so that nobody publishes them again).
struct SessionFailure {
    error: ClientError,
    acked: Vec<(usize, PublishOutcome)>,
}

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
    task.await.unwrap_or_else(|e| {
        Err(SessionFailure {
            error: ClientError::task(format!("publishing to {topic}"), &e),
            acked: Vec::new(),
        })
    })
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
    let mut outcomes: Vec<(usize, PublishOutcome)> = Vec::new();
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
            if let Some(s) = sessions.remove(&part.index)
                && let Err(f) = join_session(&topic, s.task).await
            {
                outcomes.extend(f.acked);
                failure = Some(f.error);
            }
            break;
        }
        n += 1;
    }
    outcomes.reserve(n);
    for (_, s) in sessions {
        drop(s.tx);
        match join_session(&topic, s.task).await {
            Ok(v) => outcomes.extend(v),
            Err(f) => {
                outcomes.extend(f.acked);
                failure.get_or_insert(f.error);
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
    part: Part,
    publisher_name: String,
    input: mpsc::Receiver<(usize, DataMessage)>,
) -> SessionResult {
    let mut p = PartitionPublisher {
        client,
        topic,
        part,
        publisher_name,
        input,
        pending: VecDeque::new(),
        pending_bytes: 0,
        input_done: false,
        out: Vec::new(),
    };
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let ctx = p.context();
        if let Err(error) = p.client.check_publishable(&p.topic, &p.part).await {
            return Err(p.failed(error));
        }
        let err = match p.stream_once(&ctx).await {
            Ok(()) => return Ok(p.out),
            Err(f) => {
                if f.progress.progressed {
                    attempt = 1;
                }
                if f.progress.sent {
                    // Messages went out on this stream: the broker may have stored some
                    // it did not acknowledge, and sending them again could duplicate.
                    return Err(p.failed(f.error));
                }
                f.error
            }
        };
        if !err.is_transient() || attempt >= ATTEMPTS {
            return Err(p.failed(err));
        }
        tracing::debug!("{ctx}: {err}; retrying");
        tokio::time::sleep(RETRY_DELAY).await;
        // The leader may have moved (a broker restarted or died).
        if let Some(found) = p.client.relookup_part(&p.topic, &p.part).await {
            p.part.leader = found.leader;
        }
    }
}

/// One partition's publisher: its input and what is in flight, kept across the streams
/// of a session.
struct PartitionPublisher {
    client: MqClient,
    topic: TopicName,
    part: Part,
    publisher_name: String,
    input: mpsc::Receiver<(usize, DataMessage)>,
    /// Sent and not acknowledged yet, in order (sent again on a new stream).
    pending: VecDeque<(usize, DataMessage)>,
    pending_bytes: usize,
    /// The input has ended.
    input_done: bool,
    /// `(message number, outcome)` of every acknowledged message.
    out: Vec<(usize, PublishOutcome)>,
}

/// How one stream failed, and what it had done.
struct StreamFailure {
    error: ClientError,
    progress: StreamProgress,
}

/// What one stream has done so far.
#[derive(Clone, Copy, Default)]
struct StreamProgress {
    /// A message was acknowledged on this stream.
    progressed: bool,
    /// A message was sent on this stream that the broker may have stored (so the
    /// failure is not retried).
    sent: bool,
}

impl StreamProgress {
    fn fail(self, error: ClientError) -> StreamFailure {
        StreamFailure {
            error,
            progress: self,
        }
    }

    /// The broker refused the first unacknowledged message and handles a stream's
    /// messages in order: "log buffer is stopping" means it stored none of the
    /// unacknowledged ones (they may be sent again).
    fn refused(self, error: ClientError) -> StreamFailure {
        let stored_none = error.stored_nothing();
        StreamFailure {
            error,
            progress: StreamProgress {
                progressed: self.progressed,
                sent: self.sent && !stored_none,
            },
        }
    }
}

type PublishStream = tonic::Streaming<PublishMessageResponse>;

/// An UNAVAILABLE error: the broker ended the stream.
fn unavailable(ctx: &str, message: String) -> ClientError {
    ClientError::Rpc {
        context: ctx.to_string(),
        code: tonic::Code::Unavailable,
        message,
    }
}

fn data_request(d: DataMessage) -> PublishMessageRequest {
    PublishMessageRequest {
        message: Some(Message::Data(d)),
    }
}

impl PartitionPublisher {
    /// The session ends with `error`, keeping what was acknowledged.
    fn failed(self, error: ClientError) -> SessionFailure {
        SessionFailure {
            error,
            acked: self.out,
        }
    }

    /// What a failure says was being done: the partition and the broker asked.
    fn context(&self) -> String {
        let at = if self.part.leader.is_empty() {
            self.client.broker_addr()
        } else {
            self.part.leader.as_str()
        };
        format!(
            "publish to {} partition {} at {at}",
            self.topic, self.part.index
        )
    }

    /// One stream: sends `pending` again, then new input, until input ends and all is
    /// acked.
    async fn stream_once(&mut self, ctx: &str) -> Result<(), StreamFailure> {
        let none = StreamProgress::default();
        let (req_tx, mut stream) = self.open(ctx).await.map_err(|e| none.fail(e))?;
        // Once a message went out, a failure is not retried (see the module's doc).
        let mut progress = StreamProgress {
            progressed: false,
            sent: !self.pending.is_empty(),
        };
        for (_, d) in self.pending.iter() {
            if req_tx.send(data_request(d.clone())).await.is_err() {
                break; // the stream failed: the response side says why
            }
        }
        let mut req_tx = Some(req_tx);
        loop {
            if self.input_done && self.pending.is_empty() {
                finish(req_tx, stream).await;
                return Ok(());
            }
            let room = self.pending.len() < WINDOW && self.pending_bytes < WINDOW_BYTES;
            tokio::select! {
                m = self.input.recv(), if !self.input_done && room => {
                    self.on_input(m, &mut progress, &mut req_tx).await;
                }
                r = stream.message() => match r {
                    Ok(Some(resp)) => self.on_answer(ctx, resp, &mut progress)?,
                    Ok(None) => {
                        let n = self.pending.len();
                        let message = format!(
                            "the broker ended the stream with {n} message(s) unacknowledged"
                        );
                        return Err(progress.fail(unavailable(ctx, message)));
                    }
                    // Same refusal as a status: the acks before it all arrived first.
                    Err(s) => return Err(progress.refused(ClientError::rpc(ctx, s))),
                },
            }
        }
    }

    /// Opens the stream and sends `init`; returns the sender of the stream's requests
    /// once the broker has accepted it.
    async fn open(
        &self,
        ctx: &str,
    ) -> Result<(mpsc::Sender<PublishMessageRequest>, PublishStream), ClientError> {
        let (req_tx, req_rx) = mpsc::channel::<PublishMessageRequest>(WINDOW + 8);
        let init = PublishMessageRequest {
            message: Some(Message::Init(InitMessage {
                topic: Some(pb_topic(&self.topic)),
                partition: Some(self.part.pb()),
                ack_interval: 1,
                follower_broker: String::new(),
                publisher_name: self.publisher_name.clone(),
            })),
        };
        let _ = req_tx.send(init).await;
        let mut broker = self.client.broker_for(&self.part.leader).await;
        let mut stream = broker
            .publish_message(ReceiverStream::new(req_rx))
            .await
            .map_err(|s| ClientError::rpc(ctx, s))?
            .into_inner();
        // The answer to init.
        match stream.message().await {
            Ok(Some(r)) => match response_error(&self.topic, &r) {
                Some(e) => Err(e),
                None => Ok((req_tx, stream)),
            },
            Ok(None) => Err(unavailable(
                ctx,
                "the broker ended the stream before accepting it".into(),
            )),
            Err(s) => Err(ClientError::rpc(ctx, s)),
        }
    }

    /// A message from the input (`None`: the input ended): queued and sent.
    async fn on_input(
        &mut self,
        m: Option<(usize, DataMessage)>,
        progress: &mut StreamProgress,
        req_tx: &mut Option<mpsc::Sender<PublishMessageRequest>>,
    ) {
        let Some((i, d)) = m else {
            self.input_done = true;
            return;
        };
        self.pending_bytes += d.value.len() + d.key.len();
        self.pending.push_back((i, d.clone()));
        progress.sent = true;
        if let Some(tx) = req_tx
            && tx.send(data_request(d)).await.is_err()
        {
            *req_tx = None;
        }
    }

    /// An answer of the broker: the ack of the first pending message, or a refusal.
    fn on_answer(
        &mut self,
        ctx: &str,
        resp: PublishMessageResponse,
        progress: &mut StreamProgress,
    ) -> Result<(), StreamFailure> {
        if let Some(e) = response_error(&self.topic, &resp) {
            return Err(progress.refused(e));
        }
        if resp.should_close {
            // ClosePublishers (a delete): leave, and do not come back.
            return Err(progress.fail(ClientError::Rpc {
                context: ctx.to_string(),
                code: tonic::Code::FailedPrecondition,
                message: format!(
                    "the broker closed this publisher (topic deleted or reconfigured) with \
                     {} message(s) unacknowledged",
                    self.pending.len()
                ),
            }));
        }
        let Some((i, d)) = self.pending.pop_front() else {
            tracing::debug!("{ctx}: an ack beyond the messages sent: {resp:?}");
            return Ok(());
        };
        self.pending_bytes = self
            .pending_bytes
            .saturating_sub(d.value.len() + d.key.len());
        progress.progressed = true;
        self.out.push((
            i,
            PublishOutcome {
                partition: self.part.index,
                offset: Some(resp.assigned_offset),
                ts_ns: (resp.ack_ts_ns != 0).then_some(resp.ack_ts_ns),
            },
        ));
        Ok(())
    }
}

/// Everything acknowledged: half-closes and lets the broker end the stream.
async fn finish(req_tx: Option<mpsc::Sender<PublishMessageRequest>>, mut stream: PublishStream) {
    drop(req_tx);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(Some(_)) = stream.message().await {}
    })
    .await;
}
