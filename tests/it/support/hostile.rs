//! A malicious (or broken) 2.x server with the admin extension, for testing that the
//! client never trusts what a server says: terminal escape sequences (OSC 0 window title,
//! OSC 52 clipboard, CSI, C1), bidi and zero-width characters in every string; a
//! `partition_count` of 2147483647 and partitions numbered 100000 and 2147483647; huge
//! histogram counts; and, when `frozen`, `Publish` calls that are accepted and never
//! answered.

use std::collections::HashMap;
use std::pin::Pin;

use bytes::Bytes;
use swmq::proto::admin as adm;
use swmq::proto::admin::swmq_admin_server::{SwmqAdmin, SwmqAdminServer};
use swmq::proto::v2;
use swmq::proto::v2::seaweed_messaging_server::{SeaweedMessaging, SeaweedMessagingServer};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

/// The OSC 0 (window title) sequence the server sends.
pub(crate) const OSC_TITLE: &str = "\x1b]0;pwned\x07";
/// The OSC 52 (clipboard write) sequence the server sends.
pub(crate) const OSC_CLIPBOARD: &str = "\x1b]52;c;ZWNobyBwd25lZA==\x07";
/// A string with every kind of hazard.
pub(crate) const EVIL: &str =
    "\x1b]0;pwned\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\u{9b}2J\u{202e}rev\u{200b}\u{feff}\u{2028}\x7f";
/// The valid topic whose partitions and messages are hostile.
pub(crate) const TOPIC: (&str, &str) = ("ok", "t");
/// Its listed partitions: (number, event time of its one message).
pub(crate) const PARTITIONS: [(i32, i64); 3] = [
    (0, -5_000_000_000),
    (100_000, 1_700_000_000_000_000_000),
    (i32::MAX, 1_700_000_000_000_000_001),
];

/// How the server behaves.
#[derive(Clone, Default)]
pub(crate) struct Hostile {
    /// `Publish` is accepted and never answered (a frozen broker).
    pub frozen: bool,
}

fn topic_stats(namespace: &str, topic: &str) -> adm::TopicStats {
    adm::TopicStats {
        namespace: namespace.into(),
        topic: topic.into(),
        partition_count: i32::MAX,
        partitions: PARTITIONS
            .iter()
            .map(|&(partition, ts)| adm::PartitionStats {
                partition,
                message_count: u64::MAX,
                bytes: u64::MAX,
                first_ts_ns: ts.max(1),
                last_ts_ns: ts.max(1),
                closed: false,
                ..Default::default()
            })
            .collect(),
    }
}

fn hostile_message(event_time_ns: i64) -> v2::Message {
    let mut headers = HashMap::new();
    headers.insert(EVIL.to_string(), Bytes::from(EVIL));
    v2::Message {
        event_time_ns,
        key: Bytes::from(OSC_TITLE),
        value: Bytes::from(EVIL),
        headers,
        is_close: false,
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl SeaweedMessaging for Hostile {
    type SubscribeStream = BoxStream<v2::BrokerMessage>;
    type PublishStream = BoxStream<v2::PublishResponse>;

    async fn subscribe(
        &self,
        request: Request<Streaming<v2::SubscriberMessage>>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let mut inbound = request.into_inner();
        let init = inbound
            .message()
            .await?
            .and_then(|m| m.init)
            .ok_or_else(|| Status::invalid_argument("no init"))?;
        let msgs: Vec<Result<v2::BrokerMessage, Status>> = PARTITIONS
            .iter()
            .filter(|(p, _)| *p == init.partition)
            .map(|&(_, ts)| {
                Ok(v2::BrokerMessage {
                    data: Some(hostile_message(ts)),
                })
            })
            .collect();
        // The messages, then a subscription that stays open (live, idle).
        let stream =
            tokio_stream::StreamExt::chain(tokio_stream::iter(msgs), tokio_stream::pending());
        Ok(Response::new(Box::pin(stream)))
    }

    async fn publish(
        &self,
        _request: Request<Streaming<v2::PublishRequest>>,
    ) -> Result<Response<Self::PublishStream>, Status> {
        if self.frozen {
            std::future::pending::<()>().await;
        }
        Err(Status::unavailable(format!("publish refused {EVIL}")))
    }

    async fn delete_topic(
        &self,
        _request: Request<v2::DeleteTopicRequest>,
    ) -> Result<Response<v2::DeleteTopicResponse>, Status> {
        Err(Status::permission_denied(format!(
            "no {EVIL} {}",
            "x".repeat(5_000)
        )))
    }

    async fn configure_topic(
        &self,
        _request: Request<v2::ConfigureTopicRequest>,
    ) -> Result<Response<v2::ConfigureTopicResponse>, Status> {
        Ok(Response::new(v2::ConfigureTopicResponse {}))
    }

    async fn get_topic_configuration(
        &self,
        _request: Request<v2::GetTopicConfigurationRequest>,
    ) -> Result<Response<v2::GetTopicConfigurationResponse>, Status> {
        Ok(Response::new(v2::GetTopicConfigurationResponse {
            configuration: Some(v2::TopicConfiguration {
                // Frozen: a plausible count, so that the publish reaches the frozen call.
                partition_count: if self.frozen { 1 } else { i32::MAX },
                ..Default::default()
            }),
        }))
    }

    async fn find_broker(
        &self,
        _request: Request<v2::FindBrokerRequest>,
    ) -> Result<Response<v2::FindBrokerResponse>, Status> {
        Ok(Response::new(v2::FindBrokerResponse {
            broker: EVIL.into(),
        }))
    }
}

#[tonic::async_trait]
impl SwmqAdmin for Hostile {
    type GrepStream = tokio_stream::Iter<std::vec::IntoIter<Result<adm::GrepResponse, Status>>>;

    /// A match on a negative partition (dropped by the client), one with hostile text, and
    /// an absurd progress.
    async fn grep(
        &self,
        _request: Request<adm::GrepRequest>,
    ) -> Result<Response<Self::GrepStream>, Status> {
        let m = |partition: i32| adm::GrepMatch {
            partition,
            ts_ns: i64::MIN,
            key: EVIL.as_bytes().to_vec().into(),
            value: EVIL.as_bytes().to_vec().into(),
            ..Default::default()
        };
        let resp = adm::GrepResponse {
            matches: vec![m(-1), m(0)],
            progress: Some(adm::GrepProgress {
                records: u64::MAX,
                covered_until_ns: i64::MIN,
                end_ts_ns: i64::MAX,
                ..Default::default()
            }),
            done: Some(adm::GrepDone { complete: true }),
        };
        Ok(Response::new(tokio_stream::iter(vec![Ok(resp)])))
    }

    async fn broker_info(
        &self,
        _request: Request<adm::BrokerInfoRequest>,
    ) -> Result<Response<adm::BrokerInfoResponse>, Status> {
        Ok(Response::new(adm::BrokerInfoResponse {
            version: EVIL.into(),
            advertised_address: EVIL.into(),
            data_dir: EVIL.into(),
            started_at_ns: i64::MIN,
            grep_scans: u32::MAX,
        }))
    }

    async fn list_topics(
        &self,
        _request: Request<adm::ListTopicsRequest>,
    ) -> Result<Response<adm::ListTopicsResponse>, Status> {
        let names = [
            ("ok", EVIL),
            (OSC_CLIPBOARD, "t"),
            ("ok", "orders\u{200b}"),
            ("ok", " "),
            ("ok", "a\u{2028}b"),
        ];
        let mut topics: Vec<adm::TopicStats> =
            names.iter().map(|(n, t)| topic_stats(n, t)).collect();
        topics.push(topic_stats(TOPIC.0, TOPIC.1));
        Ok(Response::new(adm::ListTopicsResponse { topics }))
    }

    async fn describe_topic(
        &self,
        request: Request<adm::DescribeTopicRequest>,
    ) -> Result<Response<adm::DescribeTopicResponse>, Status> {
        let r = request.into_inner();
        if (r.namespace.as_str(), r.topic.as_str()) != TOPIC {
            return Err(Status::not_found(format!("no topic {EVIL}")));
        }
        Ok(Response::new(adm::DescribeTopicResponse {
            topic: Some(topic_stats(TOPIC.0, TOPIC.1)),
        }))
    }

    async fn histogram(
        &self,
        request: Request<adm::HistogramRequest>,
    ) -> Result<Response<adm::HistogramResponse>, Status> {
        let r = request.into_inner();
        Ok(Response::new(adm::HistogramResponse {
            start_ts_ns: r.start_ts_ns,
            stop_ts_ns: r.stop_ts_ns,
            counts: vec![u64::MAX; r.buckets as usize],
        }))
    }
}

/// Starts the server on a free loopback port; returns its address. It runs until the
/// test's runtime ends.
pub(crate) async fn start_hostile(h: Hostile) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(SeaweedMessagingServer::new(h.clone()))
            .add_service(SwmqAdminServer::new(h))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    addr
}
