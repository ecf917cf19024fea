//! SeaweedFS messaging 2.x client (embedded broker, admin extension, filer layout).
//!
//! PLACEHOLDER: being written; every method below is to be implemented.

use tonic::transport::Channel;

use super::*;

/// SeaweedFS messaging 2.x client (embedded broker, admin extension, filer layout).
#[derive(Clone)]
pub struct LegacyClient {
    addr: String,
    #[allow(dead_code)]
    channel: Channel,
    #[allow(dead_code)]
    opts: ConnectOptions,
}

impl LegacyClient {
    /// A client over an open channel to the broker.
    pub fn new(opts: &ConnectOptions, channel: Channel) -> Self {
        LegacyClient {
            addr: opts.broker.clone(),
            channel,
            opts: opts.clone(),
        }
    }

    /// The broker address.
    pub fn broker_addr(&self) -> &str {
        &self.addr
    }

    /// What the broker says about itself.
    pub async fn status(&self) -> Result<BrokerStatus, ClientError> {
        todo!()
    }

    /// Every topic.
    pub async fn list_topics(&self) -> Result<Vec<TopicInfo>, ClientError> {
        todo!()
    }

    /// One topic, with a histogram when asked.
    pub async fn describe(
        &self,
        _topic: &TopicName,
        _histogram: Option<HistogramRequest>,
    ) -> Result<TopicDescription, ClientError> {
        todo!()
    }

    /// Volume per time bucket.
    pub async fn histogram(
        &self,
        _topic: &TopicName,
        _req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        todo!()
    }

    /// A merged read of all partitions.
    pub async fn read(
        &self,
        _topic: &TopicName,
        _spec: ReadSpec,
    ) -> Result<ReadStream, ClientError> {
        todo!()
    }

    /// Publishes messages.
    pub async fn publish(
        &self,
        _topic: &TopicName,
        _messages: Vec<OutMessage>,
    ) -> Result<Vec<PublishOutcome>, ClientError> {
        todo!()
    }

    /// A long-lived publisher.
    pub async fn publisher(&self, _topic: &TopicName) -> Result<Publisher, ClientError> {
        todo!()
    }

    /// Deletes a topic.
    pub async fn delete(&self, _topic: &TopicName) -> Result<DeleteOutcome, ClientError> {
        todo!()
    }

    /// Seals channel `name` with a close message.
    pub async fn chan_close(&self, _name: &str) -> Result<PublishOutcome, ClientError> {
        todo!()
    }
}
