//! One client API over both SeaweedFS messaging generations.
//!
//! [`Client`] is chosen by protocol detection ([`detect`]) or forced with `--protocol`; the
//! CLI calls it directly and the TUI's worker owns one. Each protocol lives in its own
//! module: [`mq`] (SeaweedFS MQ 4.x) and [`legacy`] (messaging 2.x, including the embedded
//! broker and its admin extension), with [`filer`] for the filer calls both use.

pub(crate) mod backoff;
mod consumption;
pub mod detect;
mod error;
pub mod filer;
pub(crate) mod grep;
pub mod legacy;
pub(crate) mod merge;
pub(crate) mod merge_topics;
pub mod mq;
mod partitioning;
mod schema;
pub(crate) mod tls;
pub(crate) mod transport;
mod types;

pub use backoff::backoff;
pub use consumption::{ChannelFilter, Consumed, SubscriberInfo, consumed_from_wire};
pub use detect::{ConnectOptions, Protocol, ProtocolChoice};
pub use error::{ClientError, ErrorClass, classify, is_missing_topic};
pub use grep::{GrepEvent, GrepProgress, GrepQuery, GrepStream};
pub use partitioning::*;
pub use schema::*;
pub use tls::TlsOptions;
pub use transport::Transport;
pub use types::*;

/// A connected client of either protocol generation.
#[derive(Clone)]
pub enum Client {
    /// SeaweedFS MQ 4.x.
    Mq(mq::MqClient),
    /// SeaweedFS messaging 2.x (the embedded broker, or the filer layout it left behind).
    Legacy(legacy::LegacyClient),
}

macro_rules! delegate {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            Client::Mq($c) => $e,
            Client::Legacy($c) => $e,
        }
    };
}

impl Client {
    /// Connects to `opts.broker`, detecting the protocol unless `opts.protocol` forces one.
    pub async fn connect(opts: &ConnectOptions) -> Result<Client, ClientError> {
        detect::connect(opts).await
    }

    /// 4.x: why the filer could not be reached when a call went on without it (sizes,
    /// times, histograms and history from the log files are then missing), so that the
    /// caller says it loudly instead of showing `-`. `None`: reached, or never asked.
    pub fn filer_unreachable(&self) -> Option<ClientError> {
        match self {
            Client::Mq(c) => c.filer().unreachable(),
            Client::Legacy(_) => None,
        }
    }

    /// Which protocol generation this client speaks.
    pub fn protocol(&self) -> Protocol {
        match self {
            Client::Mq(_) => Protocol::Mq,
            Client::Legacy(_) => Protocol::Legacy,
        }
    }

    /// The broker address this client talks to.
    pub fn broker_addr(&self) -> &str {
        delegate!(self, c => c.broker_addr())
    }

    /// What the broker says about itself.
    pub async fn status(&self) -> Result<BrokerStatus, ClientError> {
        delegate!(self, c => c.status().await)
    }

    /// A cheap probe that the broker answers (4.x: and names its balancer, so that other
    /// calls are safe to send to it: see [`mq::MqClient::ready_after_fault`]).
    pub async fn ping(&self) -> Result<(), ClientError> {
        match self {
            Client::Mq(c) => c.probe("").await,
            Client::Legacy(c) => c.status().await.map(|_| ()),
        }
    }

    /// After a fault: waits until calls other than [`Client::ping`] are safe to send.
    pub async fn ready_after_fault(&self) -> Result<(), ClientError> {
        match self {
            Client::Mq(c) => c.ready_after_fault("").await,
            Client::Legacy(c) => c.status().await.map(|_| ()),
        }
    }

    /// Every namespace and topic with what the broker can tell about it.
    pub async fn list_topics(&self) -> Result<Vec<TopicInfo>, ClientError> {
        delegate!(self, c => c.list_topics().await)
    }

    /// Partitions, counts and time range of one topic, with a density histogram when
    /// `histogram` is given (`None` for its times: the topic's own first/last message).
    pub async fn describe(
        &self,
        topic: &TopicName,
        histogram: Option<HistogramRequest>,
    ) -> Result<TopicDescription, ClientError> {
        delegate!(self, c => c.describe(topic, histogram).await)
    }

    /// The topic's schema: its 4.x record type, key columns and format (`None`: it has no
    /// record type; 2.x topics never have one).
    pub async fn schema(&self, topic: &TopicName) -> Result<Option<Schema>, ClientError> {
        match self {
            Client::Mq(c) => c.schema(topic).await,
            Client::Legacy(_) => Ok(None),
        }
    }

    /// Message counts per time bucket, from server-side data (never by reading messages).
    pub async fn histogram(
        &self,
        topic: &TopicName,
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        delegate!(self, c => c.histogram(topic, req).await)
    }

    /// Reads records of all (or the chosen) partitions, merged in timestamp order.
    /// Dropping the returned [`ReadStream`] cancels the read.
    pub async fn read(&self, topic: &TopicName, spec: ReadSpec) -> Result<ReadStream, ClientError> {
        delegate!(self, c => c.read(topic, spec).await)
    }

    /// [`Client::read`] for a consumer that takes only the first `n` records of the read
    /// (`swmq tail --count N`): 4.x partition readers stop reading their log files once each
    /// delivered `n` (none can contribute more to the first `n` of the merge), instead of
    /// fetching and decoding the files after them.
    pub async fn read_first(
        &self,
        topic: &TopicName,
        spec: ReadSpec,
        n: u64,
    ) -> Result<ReadStream, ClientError> {
        match self {
            Client::Mq(c) => {
                let cfg = mq::PartitionReadConfig {
                    limit: Some(usize::try_from(n).unwrap_or(usize::MAX).max(1)),
                    ..Default::default()
                };
                c.read_with(topic, spec, cfg).await
            }
            Client::Legacy(c) => c.read(topic, spec).await,
        }
    }

    /// Searches the stored history of `topic` by content: the records whose key, value or
    /// a header matches, in time order across partitions, with progress, scanned where the
    /// bytes are (see [`grep`]). Dropping the returned [`GrepStream`] cancels the search.
    /// A bad pattern is [`ClientError::Invalid`] (before anything is sent).
    pub async fn grep(
        &self,
        topic: &TopicName,
        query: GrepQuery,
    ) -> Result<GrepStream, ClientError> {
        grep::start(self, topic, query).await
    }

    /// Publishes messages in order, partitioned the way the protocol's own client does;
    /// returns where each one landed.
    pub async fn publish(
        &self,
        topic: &TopicName,
        messages: Vec<OutMessage>,
    ) -> Result<Vec<PublishOutcome>, ClientError> {
        delegate!(self, c => c.publish(topic, messages).await)
    }

    /// [`Client::publish`] encoding each value (a JSON object) into a `RecordValue` when
    /// the topic has a record type (the TUI's publish); a value that does not fit is
    /// refused, naming the field and the type it expects, and nothing is published.
    pub async fn publish_schematized(
        &self,
        topic: &TopicName,
        mut messages: Vec<OutMessage>,
    ) -> Result<Vec<PublishOutcome>, ClientError> {
        if let Some(s) = self.schema(topic).await? {
            for (i, m) in messages.iter_mut().enumerate() {
                m.value = mq::schema::encode_json(&s, &m.value)
                    .map_err(|e| ClientError::invalid(format!("value {}", i + 1), e.to_string()))?;
            }
        }
        self.publish(topic, messages).await
    }

    /// Opens a long-lived publisher for streaming many messages (`publish --file`).
    pub async fn publisher(&self, topic: &TopicName) -> Result<Publisher, ClientError> {
        delegate!(self, c => c.publisher(topic).await)
    }

    /// [`Client::publisher`] spreading messages by `rule` instead of the protocol's key rule.
    pub async fn publisher_with(
        &self,
        topic: &TopicName,
        rule: Partitioner,
    ) -> Result<Publisher, ClientError> {
        delegate!(self, c => c.publisher_with(topic, rule).await)
    }

    /// Creates a topic with `partitions` partitions (`ConfigureTopic`). 4.x needs it before
    /// the first publish (1..=2520 partitions); 2.x topics also exist on first publish.
    pub async fn create_topic(
        &self,
        topic: &TopicName,
        partitions: u32,
    ) -> Result<(), ClientError> {
        delegate!(self, c => c.create_topic(topic, partitions).await)
    }

    /// Every consumer group of a topic with its committed positions, lag and live members
    /// (4.x; 2.x has no consumer groups: its subscribers show in `describe`).
    pub async fn groups(&self, topic: &TopicName) -> Result<mq::groups::TopicGroups, ClientError> {
        match self {
            Client::Mq(c) => c.groups(topic).await,
            Client::Legacy(_) => Err(ClientError::Unsupported(GROUPS_ONLY_4X.into())),
        }
    }

    /// Deletes a topic with all its data.
    pub async fn delete(&self, topic: &TopicName) -> Result<DeleteOutcome, ClientError> {
        delegate!(self, c => c.delete(topic).await)
    }

    /// Seals a 2.x channel with a close message. 4.x has no channels.
    pub async fn chan_close(&self, name: &str) -> Result<PublishOutcome, ClientError> {
        match self {
            Client::Legacy(c) => c.chan_close(name).await,
            Client::Mq(_) => Err(ClientError::Unsupported(CHANNELS_ONLY_V2.into())),
        }
    }

    /// Whether 2.x channel `name` exists (`None`: the broker cannot tell). 4.x has no
    /// channels.
    pub async fn channel_exists(&self, name: &str) -> Result<Option<bool>, ClientError> {
        match self {
            Client::Legacy(c) => c.channel_exists(name).await,
            Client::Mq(_) => Err(ClientError::Unsupported(CHANNELS_ONLY_V2.into())),
        }
    }

    /// Fails on 4.x with a clear message: channels exist only in 2.x messaging.
    pub fn require_channels(&self) -> Result<(), ClientError> {
        match self {
            Client::Legacy(_) => Ok(()),
            Client::Mq(_) => Err(ClientError::Unsupported(CHANNELS_ONLY_V2.into())),
        }
    }
}

/// The error for consumer groups against a 2.x broker.
pub const GROUPS_ONLY_4X: &str = "consumer groups exist only in SeaweedFS MQ 4.x; a 2.x broker \
records its subscribers instead (swmq describe, swmq chan list)";

/// The error for channel operations against a 4.x broker.
pub const CHANNELS_ONLY_V2: &str =
    "channels exist only in SeaweedFS 2.x messaging; this broker speaks MQ 4.x";
