//! SeaweedFS messaging 2.x client: the embedded broker (with swmq's admin extension) or an
//! original `weed msgBroker`, whose topics are then listed from the filer's `/topics` layout.
//!
//! - listing, describing and histograms go to the admin service (`swmq.admin.v1`) when it
//!   answers, else to the filer ([`layout`]);
//! - reads open one `Subscribe` stream per partition and merge them (module `read`);
//! - publishing follows the Go `msgclient` (module `publish`): `xxhash64(key) % partitions`, round
//!   robin without a key, one `Publish` stream per partition.

mod admin;
pub(crate) mod layout;
mod publish;
mod read;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;
use tonic::transport::Channel;

use super::filer::FilerClient;
use super::*;
use crate::proto::admin as adm;
use crate::proto::admin::swmq_admin_client::SwmqAdminClient;
use crate::proto::v2;
use crate::proto::v2::seaweed_messaging_client::SeaweedMessagingClient;

pub use publish::partition_for_key;

/// Partitions the Go `msgclient` assumes for a topic (`NewPublisher`, `NewSubscriber(-1)`).
pub const MSGCLIENT_PARTITIONS: u32 = 4;

/// Largest gRPC message this client decodes (values of several MiB must read back).
const MAX_DECODE: usize = 64 << 20;

/// SeaweedFS messaging 2.x client (embedded broker, admin extension, filer layout).
#[derive(Clone)]
pub struct LegacyClient {
    addr: String,
    channel: Channel,
    opts: ConnectOptions,
    /// Whether the broker serves the admin extension (asked once).
    admin: Arc<OnceCell<bool>>,
    /// The filer (`--filer`), connected on first use.
    filer: FilerClient,
}

impl LegacyClient {
    /// A client over an open channel to the broker.
    pub fn new(opts: &ConnectOptions, channel: Channel) -> Self {
        LegacyClient {
            addr: opts.broker.clone(),
            channel,
            opts: opts.clone(),
            admin: Arc::new(OnceCell::new()),
            filer: FilerClient::new(opts.filer.clone(), opts.transport()),
        }
    }

    /// The broker address.
    pub fn broker_addr(&self) -> &str {
        &self.addr
    }

    pub(crate) fn v2(&self) -> SeaweedMessagingClient<Channel> {
        SeaweedMessagingClient::new(self.channel.clone()).max_decoding_message_size(MAX_DECODE)
    }

    fn admin_client(&self) -> SwmqAdminClient<Channel> {
        SwmqAdminClient::new(self.channel.clone()).max_decoding_message_size(MAX_DECODE)
    }

    /// `"<what> at <addr>"`, the context of an RPC error.
    pub(crate) fn ctx(&self, what: impl std::fmt::Display) -> String {
        format!("{what} at {}", self.addr)
    }

    /// The admin client when the broker serves the admin extension (the embedded broker),
    /// `None` for an original 2.x broker (it answers `UNIMPLEMENTED`).
    pub(crate) async fn admin(&self) -> Result<Option<SwmqAdminClient<Channel>>, ClientError> {
        let has = self
            .admin
            .get_or_try_init(|| async {
                let mut c = self.admin_client();
                let call = c.broker_info(adm::BrokerInfoRequest {});
                match tokio::time::timeout(self.opts.connect_timeout, call).await {
                    Err(_) => Err(ClientError::Timeout {
                        addr: self.addr.clone(),
                        secs: self.opts.connect_timeout.as_secs_f64(),
                    }),
                    Ok(Ok(_)) => Ok(true),
                    Ok(Err(s)) if s.code() == tonic::Code::Unimplemented => Ok(false),
                    Ok(Err(s)) => Err(ClientError::rpc(self.ctx("BrokerInfo"), s)),
                }
            })
            .await?;
        Ok(has.then(|| self.admin_client()))
    }

    fn filer_layout(&self) -> layout::FilerLayout {
        layout::FilerLayout::new(self.filer.clone())
    }

    /// What the broker says about itself: `FindBroker` answers (so it is 2.x); the admin
    /// extension adds the embedded broker's version and the topic count (without it, the
    /// topic count comes from the filer when that answers).
    pub async fn status(&self) -> Result<BrokerStatus, ClientError> {
        let req = v2::FindBrokerRequest {
            namespace: CHANNEL_NAMESPACE.into(),
            topic: "swmq-probe".into(),
            parition: 0,
        };
        timed(self.v2().find_broker(req))
            .await
            .map_err(|s| ClientError::rpc(self.ctx("FindBroker"), s))?;
        let mut status = BrokerStatus {
            address: self.addr.clone(),
            protocol: Protocol::Legacy,
            balancer: None,
            topic_count: None,
            embedded_version: None,
        };
        match self.admin().await? {
            Some(mut a) => {
                let info = timed(a.broker_info(adm::BrokerInfoRequest {}))
                    .await
                    .map_err(|s| ClientError::rpc(self.ctx("BrokerInfo"), s))?
                    .into_inner();
                status.embedded_version = Some(info.version);
                let topics = timed(a.list_topics(adm::ListTopicsRequest::default()))
                    .await
                    .map_err(|s| ClientError::rpc(self.ctx("admin ListTopics"), s))?
                    .into_inner();
                status.topic_count = Some(topics.topics.len());
            }
            None => {
                // Best effort: an original broker's filer may not be reachable from here.
                if let Ok(topics) = self.filer_layout().topic_names().await {
                    status.topic_count = Some(topics.len());
                }
            }
        }
        Ok(status)
    }

    /// Every topic: from the admin service, else from the filer's `/topics` layout.
    pub async fn list_topics(&self) -> Result<Vec<TopicInfo>, ClientError> {
        match self.admin().await? {
            Some(mut a) => {
                let resp = timed(a.list_topics(adm::ListTopicsRequest::default()))
                    .await
                    .map_err(|s| ClientError::rpc(self.ctx("admin ListTopics"), s))?
                    .into_inner();
                let mut out: Vec<TopicInfo> =
                    resp.topics.into_iter().map(admin::topic_info).collect();
                out.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(out)
            }
            None => self.filer_list_topics().await,
        }
    }

    async fn filer_list_topics(&self) -> Result<Vec<TopicInfo>, ClientError> {
        let topics = self.filer_layout().list_all().await?;
        Ok(topics.iter().map(layout::LayoutTopic::info).collect())
    }

    /// The admin statistics of one topic; `Ok(None)` when the admin service is absent.
    async fn admin_describe(&self, topic: &TopicName) -> Result<Option<TopicInfo>, ClientError> {
        let Some(mut a) = self.admin().await? else {
            return Ok(None);
        };
        let req = adm::DescribeTopicRequest {
            namespace: topic.namespace.clone(),
            topic: topic.name.clone(),
        };
        match timed(a.describe_topic(req)).await {
            Ok(r) => match r.into_inner().topic {
                Some(t) => Ok(Some(admin::topic_info(t))),
                None => Err(ClientError::TopicNotFound(topic.to_string())),
            },
            Err(s) if s.code() == tonic::Code::NotFound => {
                Err(ClientError::TopicNotFound(topic.to_string()))
            }
            Err(s) => Err(ClientError::rpc(self.ctx(format!("describe {topic}")), s)),
        }
    }

    /// One topic, with a histogram when asked.
    pub async fn describe(
        &self,
        topic: &TopicName,
        histogram: Option<HistogramRequest>,
    ) -> Result<TopicDescription, ClientError> {
        if let Some(info) = self.admin_describe(topic).await? {
            let histogram = match histogram {
                Some(req) => Some(self.admin_histogram(topic, &info, req).await?),
                None => None,
            };
            return Ok(TopicDescription { info, histogram });
        }
        let t = self.filer_layout().topic(topic).await?;
        let histogram = match histogram {
            Some(req) => Some(t.histogram(req)?),
            None => None,
        };
        Ok(TopicDescription {
            info: t.info(),
            histogram,
        })
    }

    /// Volume per time bucket: message counts from the admin index, else stored bytes per
    /// flushed log file from the filer listing (minute precision).
    pub async fn histogram(
        &self,
        topic: &TopicName,
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        if let Some(info) = self.admin_describe(topic).await? {
            return self.admin_histogram(topic, &info, req).await;
        }
        self.filer_layout().topic(topic).await?.histogram(req)
    }

    async fn admin_histogram(
        &self,
        topic: &TopicName,
        info: &TopicInfo,
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        let (start, stop) = histogram_range(req, info.first_ts_ns(), info.last_ts_ns(), 1)?;
        let Some(mut a) = self.admin().await? else {
            return Err(ClientError::Unsupported(
                "histograms need the embedded broker's admin service".into(),
            ));
        };
        let r = timed(a.histogram(adm::HistogramRequest {
            namespace: topic.namespace.clone(),
            topic: topic.name.clone(),
            start_ts_ns: start,
            stop_ts_ns: stop,
            buckets: req.buckets,
            partitions: Vec::new(),
        }))
        .await
        .map_err(|s| ClientError::rpc(self.ctx(format!("histogram of {topic}")), s))?
        .into_inner();
        // Untrusted: exactly the buckets asked for, over a forward range.
        if r.counts.len() != req.buckets as usize || r.stop_ts_ns <= r.start_ts_ns {
            return Err(ClientError::Rpc {
                context: self.ctx(format!("histogram of {topic}")),
                code: tonic::Code::Internal,
                message: format!(
                    "the broker answered an invalid histogram: {} buckets for {} asked, \
                     range {}..{}",
                    r.counts.len(),
                    req.buckets,
                    r.start_ts_ns,
                    r.stop_ts_ns
                ),
            });
        }
        Ok(Histogram {
            start_ns: r.start_ts_ns,
            stop_ns: r.stop_ts_ns,
            counts: r.counts,
            unit: HistogramUnit::Messages,
        })
    }

    /// How many partitions `topic` has: `GetTopicConfiguration` (served by the embedded
    /// broker), else the admin statistics, else the `msgclient` default (4; channels 1).
    pub async fn partition_count(&self, topic: &TopicName) -> Result<u32, ClientError> {
        if topic.is_channel() {
            return Ok(1);
        }
        let req = v2::GetTopicConfigurationRequest {
            namespace: topic.namespace.clone(),
            topic: topic.name.clone(),
        };
        match timed(self.v2().get_topic_configuration(req)).await {
            Ok(r) => {
                if let Some(n) = r
                    .into_inner()
                    .configuration
                    .map(|c| c.partition_count)
                    .filter(|&n| n > 0)
                {
                    return Ok(n as u32);
                }
            }
            Err(s)
                if matches!(
                    s.code(),
                    tonic::Code::Unimplemented | tonic::Code::NotFound | tonic::Code::Unknown
                ) => {}
            Err(s) => {
                return Err(ClientError::rpc(
                    self.ctx(format!("GetTopicConfiguration of {topic}")),
                    s,
                ));
            }
        }
        match self.admin_describe(topic).await {
            Ok(Some(info)) if !info.partitions.is_empty() => Ok(info.partitions.len() as u32),
            Ok(_) | Err(ClientError::TopicNotFound(_)) => Ok(MSGCLIENT_PARTITIONS),
            Err(e) => Err(e),
        }
    }

    /// Creates (or reconfigures) a topic with `partitions` partitions (`ConfigureTopic`).
    pub async fn create_topic(
        &self,
        topic: &TopicName,
        partitions: u32,
    ) -> Result<(), ClientError> {
        if partitions == 0 || partitions > 1024 {
            return Err(ClientError::invalid(
                "partition count",
                format!("{partitions} for {topic}: must be 1..=1024"),
            ));
        }
        if topic.is_channel() && partitions != 1 {
            return Err(ClientError::invalid(
                "partition count",
                format!("{partitions} for channel {topic}: channels have exactly 1"),
            ));
        }
        let req = v2::ConfigureTopicRequest {
            namespace: topic.namespace.clone(),
            topic: topic.name.clone(),
            configuration: Some(v2::TopicConfiguration {
                partition_count: partitions as i32,
                ..Default::default()
            }),
        };
        timed(self.v2().configure_topic(req))
            .await
            .map_err(|s| ClientError::rpc(self.ctx(format!("configure {topic}")), s))?;
        Ok(())
    }

    /// A merged read of all (or the chosen) partitions.
    pub async fn read(&self, topic: &TopicName, spec: ReadSpec) -> Result<ReadStream, ClientError> {
        read::start(self, topic, spec).await
    }

    /// Publishes messages in order; returns where each landed.
    pub async fn publish(
        &self,
        topic: &TopicName,
        messages: Vec<OutMessage>,
    ) -> Result<Vec<PublishOutcome>, ClientError> {
        let p = self.publisher(topic).await?;
        for m in messages {
            if p.send(m).await.is_err() {
                break; // the task failed; `finish` returns why
            }
        }
        p.finish().await
    }

    /// A long-lived publisher: one `Publish` stream per partition used; `finish` returns once
    /// every stream has ended cleanly (everything durable).
    pub async fn publisher(&self, topic: &TopicName) -> Result<Publisher, ClientError> {
        self.publisher_with(topic, Partitioner::Hash).await
    }

    /// [`LegacyClient::publisher`] spreading messages by `rule` (`Hash`: `msgclient`'s).
    pub async fn publisher_with(
        &self,
        topic: &TopicName,
        rule: Partitioner,
    ) -> Result<Publisher, ClientError> {
        let partitions = self.partition_count(topic).await?;
        // Untrusted: a count beyond what any broker of ours serves is refused, not used.
        if partitions > admin::MAX_DENSE_PARTITIONS as u32 {
            return Err(ClientError::Unsupported(format!(
                "the broker at {} reports {partitions} partitions for {topic}, more than the \
                 {} swmq publishes to",
                self.addr,
                admin::MAX_DENSE_PARTITIONS
            )));
        }
        Ok(publish::start(
            self.clone(),
            Arc::new(topic.clone()),
            partitions,
            rule,
        ))
    }

    /// Deletes a topic (`DeleteTopic`; succeeds when it does not exist).
    pub async fn delete(&self, topic: &TopicName) -> Result<DeleteOutcome, ClientError> {
        let existed = match self.admin_describe(topic).await {
            Ok(Some(_)) => Some(true),
            Ok(None) => None,
            Err(ClientError::TopicNotFound(_)) => Some(false),
            Err(e) => return Err(e),
        };
        let req = v2::DeleteTopicRequest {
            namespace: topic.namespace.clone(),
            topic: topic.name.clone(),
        };
        timed(self.v2().delete_topic(req))
            .await
            .map_err(|s| ClientError::rpc(self.ctx(format!("delete {topic}")), s))?;
        Ok(DeleteOutcome {
            existed,
            note: None,
        })
    }

    /// Whether channel `name` exists: the admin statistics, else the filer's layout;
    /// `None` when neither answers.
    pub async fn channel_exists(&self, name: &str) -> Result<Option<bool>, ClientError> {
        let topic = TopicName::channel(name)?;
        match self.admin_describe(&topic).await {
            Ok(Some(_)) => return Ok(Some(true)),
            Err(ClientError::TopicNotFound(_)) => return Ok(Some(false)),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        match self.filer_layout().topic(&topic).await {
            Ok(_) => Ok(Some(true)),
            Err(ClientError::TopicNotFound(_)) => Ok(Some(false)),
            Err(_) => Ok(None),
        }
    }

    /// Seals channel `name`: publishes `Message {is_close: true}` to `chan/<name>` partition
    /// 0 and waits for the broker's `is_closed` answer.
    pub async fn chan_close(&self, name: &str) -> Result<PublishOutcome, ClientError> {
        let topic = Arc::new(TopicName::channel(name)?);
        publish::close_partition(self, &topic, 0).await
    }
}

/// The time range of a histogram: the request's, else the topic's first message to just
/// after its last (`pad` ns after the last: 1 for exact timestamps, a minute for file names),
/// else the last minute.
pub(crate) fn histogram_range(
    req: HistogramRequest,
    first: Option<i64>,
    last: Option<i64>,
    pad: i64,
) -> Result<(i64, i64), ClientError> {
    if req.buckets == 0 || req.buckets > 100_000 {
        return Err(ClientError::invalid(
            "bucket count",
            format!("{}: must be 1..=100000", req.buckets),
        ));
    }
    if let (Some(a), Some(b)) = (req.start_ns, req.stop_ns)
        && b <= a
    {
        return Err(ClientError::invalid(
            "histogram range",
            "the stop time must be after the start time",
        ));
    }
    let now = crate::time::now_ns();
    let start = req.start_ns.or(first).unwrap_or(now - 60_000_000_000);
    let stop = match req.stop_ns {
        Some(stop) => stop,
        // A defaulted range is at least one nanosecond per bucket, so that a topic whose
        // messages share a few nanoseconds still gets distinct buckets inside the range.
        None => last
            .map(|l| l.saturating_add(pad))
            .unwrap_or(now)
            .max(start.saturating_add(i64::from(req.buckets))),
    };
    Ok((start, stop))
}

/// How long a unary call may go unanswered before the broker counts as frozen (a
/// stopped broker accepts connections in the kernel and never answers).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A unary call bounded by [`CALL_TIMEOUT`] (then `DEADLINE_EXCEEDED`).
async fn timed<T>(
    call: impl std::future::Future<Output = Result<T, tonic::Status>>,
) -> Result<T, tonic::Status> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(tonic::Status::deadline_exceeded(format!(
                "no answer within {}s; the broker may be frozen or overloaded",
                CALL_TIMEOUT.as_secs()
            )))
        })
}

/// Whether a gRPC status says a 2.x partition is sealed ("channel is already closed").
pub(crate) fn is_closed_status(s: &tonic::Status) -> bool {
    let m = s.message().to_ascii_lowercase();
    m.contains("already closed") || m.contains("is closed")
}

pub(crate) use crate::client::backoff::backoff;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_range_defaults_and_rejects() {
        let req = |s, e, b| HistogramRequest {
            start_ns: s,
            stop_ns: e,
            buckets: b,
        };
        assert_eq!(
            histogram_range(req(None, None, 10), Some(100), Some(200), 1).unwrap(),
            (100, 201)
        );
        assert_eq!(
            histogram_range(req(Some(150), None, 10), Some(100), Some(200), 60).unwrap(),
            (150, 260)
        );
        assert!(histogram_range(req(None, None, 0), Some(1), Some(2), 1).is_err());
        // One message: the defaulted range still has one nanosecond per bucket.
        assert_eq!(
            histogram_range(req(None, None, 3), Some(100), Some(100), 1).unwrap(),
            (100, 103)
        );
        assert!(histogram_range(req(Some(5), Some(5), 3), None, None, 1).is_err());
        let (s, e) = histogram_range(req(None, None, 3), None, None, 1).unwrap();
        assert!(e > s);
    }

    #[test]
    fn closed_status_is_recognised() {
        assert!(is_closed_status(&tonic::Status::unknown(
            "channel is already closed"
        )));
        assert!(!is_closed_status(&tonic::Status::unavailable("reset")));
    }
}
