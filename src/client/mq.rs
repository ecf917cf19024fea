//! SeaweedFS MQ 4.x client.
//!
//! PLACEHOLDER: being written; every method below is to be implemented.

use tonic::transport::Channel;

use super::*;

/// SeaweedFS MQ 4.x client.
#[derive(Clone)]
pub struct MqClient {
    addr: String,
    #[allow(dead_code)]
    channel: Channel,
    #[allow(dead_code)]
    opts: ConnectOptions,
}

impl MqClient {
    /// A client over an open channel to the broker.
    pub fn new(opts: &ConnectOptions, channel: Channel) -> Self {
        MqClient {
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
}
