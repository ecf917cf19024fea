//! The embedded 2.x broker for integration tests, plus raw-client helpers.
//!
//! Each call starts its own broker on `127.0.0.1:0` with a fresh temporary data directory
//! (starting one takes milliseconds); it stops when [`Embedded::broker`] is shut down or
//! the test's runtime ends.

use swmq::broker::{BrokerConfig, RunningBroker};
use swmq::proto::v2::seaweed_messaging_client::SeaweedMessagingClient;
use swmq::proto::v2::subscriber_message::InitMessage as SubInit;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{
    BrokerMessage, Message, PublishRequest, PublishResponse, SubscriberMessage,
    publish_request::InitMessage as PubInit,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

/// A running embedded broker and its data directory.
pub(crate) struct Embedded {
    /// The broker.
    pub broker: RunningBroker,
    /// Its address, `127.0.0.1:PORT` (no scheme).
    pub addr: String,
    /// Its data directory (removed when dropped).
    pub dir: tempfile::TempDir,
}

/// Starts a broker on a free loopback port with a fresh data directory.
pub(crate) async fn start_embedded() -> Embedded {
    let dir = tempfile::tempdir().expect("temp dir");
    let broker = start_in(dir.path().to_path_buf()).await;
    let addr = broker.addr().to_string();
    Embedded { broker, addr, dir }
}

/// Starts a broker on a free loopback port over an existing data directory.
pub(crate) async fn start_in(data_dir: std::path::PathBuf) -> RunningBroker {
    let config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), data_dir);
    swmq::broker::start(config).await.expect("start broker")
}

/// A raw 2.x client.
pub(crate) async fn v2_client(addr: &str) -> SeaweedMessagingClient<Channel> {
    SeaweedMessagingClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

/// A raw admin client.
pub(crate) async fn admin_client(
    addr: &str,
) -> swmq::proto::admin::swmq_admin_client::SwmqAdminClient<Channel> {
    swmq::proto::admin::swmq_admin_client::SwmqAdminClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
}

/// A message with a value (and nothing else set).
pub(crate) fn msg(value: &str) -> Message {
    Message {
        value: value.to_string().into(),
        ..Default::default()
    }
}

/// Publishes `msgs` on one stream (init first), ends the stream, and returns every
/// response, or the status the stream failed with.
pub(crate) async fn publish(
    addr: &str,
    namespace: &str,
    topic: &str,
    partition: i32,
    msgs: Vec<Message>,
) -> Result<Vec<PublishResponse>, tonic::Status> {
    let mut reqs = vec![PublishRequest {
        init: Some(PubInit {
            namespace: namespace.into(),
            topic: topic.into(),
            partition,
        }),
        data: None,
    }];
    reqs.extend(msgs.into_iter().map(|m| PublishRequest {
        init: None,
        data: Some(m),
    }));
    let mut stream = v2_client(addr)
        .await
        .publish(tokio_stream::iter(reqs))
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = stream.message().await? {
        out.push(r);
    }
    Ok(out)
}

/// An open subscription: keep `requests` alive to keep the subscription going.
pub(crate) struct Subscription {
    /// The request side (send `is_close` or drop the subscription to end it).
    pub requests: mpsc::Sender<SubscriberMessage>,
    /// The messages.
    pub stream: tonic::Streaming<BrokerMessage>,
}

impl Subscription {
    /// The next message, `None` when the stream ended OK; fails after 5 s.
    pub(crate) async fn next(&mut self) -> Result<Option<Message>, tonic::Status> {
        let m = tokio::time::timeout(std::time::Duration::from_secs(5), self.stream.message())
            .await
            .map_err(|_| tonic::Status::deadline_exceeded("no message within 5 s"))??;
        Ok(m.map(|m| m.data.unwrap_or_default()))
    }

    /// Whether nothing arrives within `ms` milliseconds.
    pub(crate) async fn quiet_for(&mut self, ms: u64) -> bool {
        tokio::time::timeout(std::time::Duration::from_millis(ms), self.stream.message())
            .await
            .is_err()
    }
}

/// Subscribes to one partition.
pub(crate) async fn subscribe(
    addr: &str,
    namespace: &str,
    topic: &str,
    partition: i32,
    start: StartPosition,
    timestamp_ns: i64,
) -> Result<Subscription, tonic::Status> {
    subscribe_raw(
        addr,
        SubInit {
            namespace: namespace.into(),
            topic: topic.into(),
            partition,
            start_position: start as i32,
            timestamp_ns,
            subscriber_id: "test".into(),
        },
    )
    .await
}

/// Subscribes with an arbitrary init message.
pub(crate) async fn subscribe_raw(
    addr: &str,
    init: SubInit,
) -> Result<Subscription, tonic::Status> {
    let (tx, rx) = mpsc::channel(4);
    tx.send(SubscriberMessage {
        init: Some(init),
        ack: None,
        is_close: false,
    })
    .await
    .expect("queue init");
    let stream = v2_client(addr)
        .await
        .subscribe(ReceiverStream::new(rx))
        .await?
        .into_inner();
    Ok(Subscription {
        requests: tx,
        stream,
    })
}
