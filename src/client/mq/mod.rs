//! SeaweedFS MQ 4.x client, written against the behaviour of a real `weed` 4.48
//! (`docs/protocol/seaweedfs-4x.md`).
//!
//! Rules kept everywhere in this module:
//! - a `Partition` is always sent with the four fields exactly as `LookupTopicBrokers`
//!   returned them ([`Part::pb`]);
//! - `follower_broker` stays empty, subscriptions use `sliding_window_size ≥ 1`, a unique
//!   ephemeral consumer group and never a `RESUME_*` offset type (no consumer-group state);
//! - `ConfigureTopic` only with `1..=2520` partitions.
//!
//! Submodules: [`hash`] (the Go client's partitioning), `topics` (status, listing,
//! histogram, create, delete), `publish`, `read` (the per-partition readers).

mod bounds;
pub mod brokers;
mod cluster;
pub mod config;
mod consumed;
mod counts;
pub(crate) mod filer_http;
pub mod files;
mod generations;
pub mod groups;
pub mod hash;
mod http_head;
pub mod logs;
mod publish;
pub(crate) mod read;
pub mod schema;
mod schema_decode;
mod schema_encode;
mod sub;
mod topics;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::transport::Channel;

use super::filer::FilerClient;
use super::*;
use crate::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient;
use crate::proto::mq::messaging_pb::{
    FindBrokerLeaderRequest, LookupTopicBrokersRequest, LookupTopicBrokersResponse,
};
use crate::proto::mq::schema_pb;

pub use read::{PartitionRead, PartitionReadConfig, read_partition};

/// How long, following, an idle partition may hold the others back.
const MERGE_MAX_WAIT: Duration = Duration::from_millis(1000);

/// How long a broker that names its balancer again gets before other calls (its lock
/// client starts within ~240 ms of finding its filer: `weed/mq/broker/broker_server.go`).
const READY_GRACE: Duration = Duration::from_millis(500);

/// How long an unreachable partition leader is not dialled again.
const LEADER_REDIAL: Duration = Duration::from_secs(3);

/// Largest gRPC message accepted from the broker (1 MiB values and their batches).
const MAX_MESSAGE: usize = 64 << 20;

/// A channel to a partition leader, or when it was last found unreachable.
type LeaderChannel = (Instant, Option<Channel>);

/// SeaweedFS MQ 4.x client.
#[derive(Clone)]
pub struct MqClient {
    addr: String,
    channel: Channel,
    opts: ConnectOptions,
    filer: FilerClient,
    /// The filer's HTTP port, for the partitions' log files.
    http: Arc<files::FilerHttp>,
    /// Record timestamps of log files already counted (timeline histograms).
    counts: Arc<counts::CountCache>,
    /// Channels to partition leaders other than `addr`, by address (`None`: unreachable
    /// when last dialled, at that instant; the connected broker is used instead until
    /// [`LEADER_REDIAL`] has passed).
    leaders: Arc<Mutex<HashMap<String, LeaderChannel>>>,
    /// Whether publishes, subscriptions and range queries go to each partition's leader.
    route_to_leaders: bool,
    /// `FetchMessage` calls of the live edge made by this client and its clones.
    live_fetches: Arc<std::sync::atomic::AtomicU64>,
    /// Topic directories seen holding a `topic.conf` (`topic_names`), shared by clones.
    confs_seen: Arc<topics::ConfsSeen>,
}

/// One partition of a topic as `LookupTopicBrokers` returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The partition number: its index in `range_start` order.
    pub index: i32,
    /// The ring range and generation, exactly as returned.
    pub ring: RingRange,
    /// The broker hosting it (may be empty).
    pub leader: String,
}

impl Part {
    /// The partition message to send: all four fields exactly as returned.
    pub fn pb(&self) -> schema_pb::Partition {
        schema_pb::Partition {
            ring_size: self.ring.ring_size,
            range_start: self.ring.range_start,
            range_stop: self.ring.range_stop,
            unix_time_ns: self.ring.unix_time_ns,
        }
    }
}

/// The `schema_pb.Topic` for a topic name.
pub(crate) fn pb_topic(t: &TopicName) -> schema_pb::Topic {
    schema_pb::Topic {
        namespace: t.namespace.clone(),
        name: t.name.clone(),
    }
}

/// The filer directory of a topic: `/topics/<ns>/<topic>`.
pub fn topic_dir(t: &TopicName) -> String {
    format!("/topics/{}/{}", t.namespace, t.name)
}

pub(crate) use crate::client::is_missing_topic;

/// Parses partitions out of assignments, sorted by `range_start`, numbered from 0.
pub(crate) fn parts_from(
    assignments: &[crate::proto::mq::messaging_pb::BrokerPartitionAssignment],
) -> Vec<Part> {
    let mut parts: Vec<Part> = assignments
        .iter()
        .filter_map(|a| {
            let p = a.partition.as_ref()?;
            Some(Part {
                index: 0,
                ring: RingRange {
                    ring_size: p.ring_size,
                    range_start: p.range_start,
                    range_stop: p.range_stop,
                    unix_time_ns: p.unix_time_ns,
                },
                leader: a.leader_broker.clone(),
            })
        })
        .collect();
    parts.sort_by_key(|p| (p.ring.range_start, p.ring.unix_time_ns));
    for (i, p) in parts.iter_mut().enumerate() {
        p.index = i as i32;
    }
    parts
}

impl MqClient {
    /// A client over an open channel to the broker.
    pub fn new(opts: &ConnectOptions, channel: Channel) -> Self {
        MqClient {
            addr: opts.broker.clone(),
            channel,
            opts: opts.clone(),
            filer: FilerClient::new(opts.filer.clone(), opts.transport()),
            http: Arc::new(files::FilerHttp::new(opts)),
            counts: Arc::default(),
            leaders: Arc::new(Mutex::new(HashMap::new())),
            route_to_leaders: true,
            live_fetches: Arc::default(),
            confs_seen: Arc::default(),
        }
    }

    /// How many `FetchMessage` calls the readers' live edge (and their handover from the
    /// log files to the broker) made so far, through this client and its clones: what a
    /// read costs the broker (diagnostics and tests).
    pub fn live_fetch_calls(&self) -> u64 {
        self.live_fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts one live-edge `FetchMessage`.
    pub(crate) fn count_live_fetch(&self) {
        self.live_fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// With `false`, every call goes through the connected broker instead of each
    /// partition's leader (for a broker reached through a port-forward or proxy, whose
    /// advertised addresses are not reachable). On by default.
    pub fn route_to_leaders(mut self, on: bool) -> Self {
        self.route_to_leaders = on;
        self
    }

    /// The broker address.
    pub fn broker_addr(&self) -> &str {
        &self.addr
    }

    /// The filer client (connected on first use).
    pub fn filer(&self) -> &FilerClient {
        &self.filer
    }

    /// The client of the filer's HTTP port (log files).
    pub fn filer_http(&self) -> &files::FilerHttp {
        &self.http
    }

    /// A gRPC client of the broker this client was connected to.
    pub(crate) fn broker(&self) -> SeaweedMessagingClient<Channel> {
        SeaweedMessagingClient::new(self.channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// A gRPC client of a partition's leader (the connected broker when it is the leader,
    /// when no leader is named, or when the leader cannot be reached).
    pub(crate) async fn broker_for(&self, leader: &str) -> SeaweedMessagingClient<Channel> {
        if !self.route_to_leaders || leader.is_empty() || leader == self.addr {
            return self.broker();
        }
        let cached = self
            .leaders
            .lock()
            .ok()
            .and_then(|m| m.get(leader).cloned());
        let ch = match cached {
            Some((_, Some(ch))) => ch,
            Some((at, None)) if at.elapsed() < LEADER_REDIAL => return self.broker(),
            _ => {
                let ch = match self.opts.transport().channel(leader).await {
                    Ok(ch) => Some(ch),
                    Err(e) => {
                        tracing::warn!(
                            "partition leader {leader} unreachable ({e}); using {}",
                            self.addr
                        );
                        None
                    }
                };
                if let Ok(mut m) = self.leaders.lock() {
                    m.insert(leader.to_string(), (Instant::now(), ch.clone()));
                }
                match ch {
                    Some(ch) => ch,
                    None => return self.broker(),
                }
            }
        };
        SeaweedMessagingClient::new(ch)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// `LookupTopicBrokers` as returned.
    pub(crate) async fn lookup_raw(
        &self,
        topic: &TopicName,
    ) -> Result<LookupTopicBrokersResponse, ClientError> {
        let req = LookupTopicBrokersRequest {
            topic: Some(pb_topic(topic)),
        };
        match self.broker().lookup_topic_brokers(req).await {
            Ok(r) => Ok(r.into_inner()),
            Err(s) if is_missing_topic(&s) => Err(ClientError::TopicNotFound(topic.to_string())),
            Err(s) => Err(ClientError::rpc(
                format!("look up {topic} at {}", self.addr),
                s,
            )),
        }
    }

    /// The partitions of a topic, numbered in `range_start` order.
    pub async fn partitions(&self, topic: &TopicName) -> Result<Vec<Part>, ClientError> {
        let resp = self.lookup_raw(topic).await?;
        let parts = parts_from(&resp.broker_partition_assignments);
        if parts.is_empty() {
            return Err(ClientError::TopicNotFound(topic.to_string()));
        }
        Ok(parts)
    }

    /// A merged read of the partitions chosen by `spec` (all by default), one reader task
    /// per partition (see [`read`]); dropping the stream cancels them.
    pub async fn read(&self, topic: &TopicName, spec: ReadSpec) -> Result<ReadStream, ClientError> {
        self.read_with(topic, spec, PartitionReadConfig::default())
            .await
    }

    /// [`MqClient::read`] with explicit reader timing.
    pub async fn read_with(
        &self,
        topic: &TopicName,
        spec: ReadSpec,
        cfg: PartitionReadConfig,
    ) -> Result<ReadStream, ClientError> {
        let at = std::time::Instant::now();
        let all = self.partitions(topic).await?;
        tracing::debug!(
            "{topic}: looked up {} partitions in {:?}",
            all.len(),
            at.elapsed()
        );
        let parts: Vec<Part> = match &spec.partitions {
            None => all,
            Some(wanted) => {
                let mut v = Vec::new();
                for &i in wanted {
                    let p = all
                        .iter()
                        .find(|p| p.index == i)
                        .ok_or_else(|| crate::client::no_such_partition(topic, i, all.len()))?;
                    if !v.contains(p) {
                        v.push(p.clone());
                    }
                }
                v
            }
        };
        let began_ns = crate::time::now_ns();
        let (counts, decoder) = tokio::join!(
            futures::future::join_all(parts.iter().map(|p| self.range_info(topic, p))),
            self.decoder(topic)
        );
        tracing::debug!(
            "{topic}: partition counts and schema after {:?}",
            at.elapsed()
        );
        let template = PartitionRead {
            topic: Arc::new(topic.clone()),
            // Each reader's own partition replaces it.
            part: Part {
                index: 0,
                ring: RingRange {
                    ring_size: 0,
                    range_start: 0,
                    range_stop: 0,
                    unix_time_ns: 0,
                },
                leader: String::new(),
            },
            from: spec.from,
            until: spec.until,
            follow: spec.follow,
            began_ns,
            count_at_start: None,
        };
        let known = parts.iter().map(generations::key).collect();
        let ids = parts.iter().map(|p| p.index).collect();
        let mut inputs = Vec::with_capacity(parts.len());
        for (part, count) in parts.into_iter().zip(counts) {
            let job = PartitionRead {
                part,
                count_at_start: count.ok().map(|r| r.record_count.max(r.high_water_mark)),
                ..template.clone()
            };
            inputs.push(generations::spawn_reader(self, job, cfg));
        }
        // Following all partitions: a new generation's partitions join the read (noticed
        // in the filer's topic.conf, looked up only then: see generations.rs).
        let added = (spec.follow && spec.partitions.is_none()).then(|| {
            let (tx, rx) = tokio::sync::mpsc::channel(8);
            tokio::spawn(generations::watch(self.clone(), template, cfg, known, tx));
            rx
        });
        Ok(
            crate::client::merge::spawn_merged_growing(ids, inputs, added, spec, MERGE_MAX_WAIT)
                .with_decoder(decoder),
        )
    }

    /// Whether the brokers that serve `leader`'s partition (the connected one, and the
    /// leader itself) are ready for calls after a fault. 4.48 crashes on a call that
    /// checks the balancer lock (`ListTopics`, `LookupTopicBrokers`, …) while a
    /// (re)starting broker has not found its filer yet, so after a fault only
    /// `FindBrokerLeader` (answered through the filer, no lock) is sent until it names a
    /// balancer; then the broker gets [`READY_GRACE`] to start its lock client.
    pub async fn ready_after_fault(&self, leader: &str) -> Result<(), ClientError> {
        self.probe(leader).await?;
        tokio::time::sleep(READY_GRACE).await;
        Ok(())
    }

    /// [`MqClient::ready_after_fault`] without the grace: whether the broker (and
    /// `leader`'s, when another) answers `FindBrokerLeader` with a balancer. Safe to send
    /// to a starting broker; cheap enough for a watchdog.
    pub async fn probe(&self, leader: &str) -> Result<(), ClientError> {
        let mut brokers = vec![self.broker()];
        if !leader.is_empty() && leader != self.addr && self.route_to_leaders {
            brokers.push(self.broker_for(leader).await);
        }
        for mut b in brokers {
            let owner = b
                .find_broker_leader(FindBrokerLeaderRequest::default())
                .await
                .map_err(|s| ClientError::rpc(format!("ask {} for its balancer", self.addr), s))?
                .into_inner()
                .broker;
            if owner.is_empty() {
                return Err(ClientError::Rpc {
                    context: format!("ask {} for its balancer", self.addr),
                    code: tonic::Code::Unavailable,
                    message: "the broker has no balancer yet (starting)".into(),
                });
            }
        }
        Ok(())
    }

    /// Whether the topic's `topic.conf` still exists in the filer (`None`: the filer could
    /// not be asked). Brokers keep serving a deleted topic from memory for ~30 s; this is
    /// how readers and publishers notice a delete.
    pub(crate) async fn topic_in_filer(&self, topic: &TopicName) -> Option<bool> {
        // A publisher still connected recreates partition directories, never topic.conf.
        match self.filer.lookup(&topic_dir(topic), "topic.conf").await {
            Ok(e) => Some(e.is_some()),
            Err(_) => None,
        }
    }
}
