//! The cluster seen from swmq (`swmq brokers`): every 4.x broker, the balancer, the
//! partitions each leads and follows, its publishers and subscribers, and the partitions
//! without a leader or whose leader does not answer (`seaweedfs-4x.md`, "Several brokers").
//!
//! Brokers are found from the master (`ListClusterNodes`, type `broker`; the master comes
//! from the filer's `GetFilerConfiguration`), and from every topic's assignments (a broker
//! that died may still be named there). Each one is probed with `FindBrokerLeader`, which
//! is safe on a starting broker. Publishers and subscribers come from the balancer
//! (`GetTopicPublishers` / `GetTopicSubscribers` are forwarded to it and name the broker of
//! each stream).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use super::{MqClient, parts_from, pb_topic};
use crate::client::{ClientError, TopicName};
use crate::proto::master::ListClusterNodesRequest;
use crate::proto::master::seaweed_client::SeaweedClient as MasterClient;
use crate::proto::mq::messaging_pb::{
    FindBrokerLeaderRequest, GetTopicPublishersRequest, GetTopicSubscribersRequest,
};

/// Time allowed to each probe and per-topic call.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// Topics looked at concurrently.
const CONCURRENCY: usize = 8;

/// One broker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BrokerInfo {
    /// Its gRPC address.
    pub address: String,
    /// Whether it holds the balancer lock.
    pub balancer: bool,
    /// Whether it answered `FindBrokerLeader` (with a balancer named).
    pub answers: bool,
    /// Why not, when it did not.
    pub problem: Option<String>,
    /// Registered with the master (`None`: the master could not be asked).
    pub registered: Option<bool>,
    /// Its version, as the master reports it.
    pub version: Option<String>,
    /// Partitions it leads.
    pub leads: usize,
    /// Partitions it follows (as another broker than their leader).
    pub follows: usize,
    /// Live publisher streams it serves; `None`: unknown. 4.48 answers
    /// `GetTopicPublishers` on the balancer only, for the balancer's own partitions, so
    /// only the balancer's streams can be counted.
    pub publishers: Option<usize>,
    /// Live subscriber streams it serves; `None`: unknown (as `publishers`).
    pub subscribers: Option<usize>,
}

impl BrokerInfo {
    /// Its state in a word or a line (`up`, `DOWN: why`, …), for the CLI table and the TUI.
    pub fn state(&self) -> String {
        match (&self.problem, self.registered) {
            (Some(p), _) => format!("DOWN: {}", crate::format::escape::escape(p)),
            (None, Some(false)) => "up, not registered with the master".into(),
            (None, _) => "up".into(),
        }
    }
}

/// A partition that cannot be served as assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionProblem {
    /// The topic.
    pub topic: String,
    /// The partition number.
    pub partition: i32,
    /// Its leader (empty: none).
    pub leader: String,
    /// `leaderless` or `leader does not answer`.
    pub problem: String,
}

/// The cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterView {
    /// The balancer (`FindBrokerLeader` of the connected broker).
    pub balancer: Option<String>,
    /// Every broker, by address.
    pub brokers: Vec<BrokerInfo>,
    /// Topics looked at.
    pub topics: usize,
    /// Partitions flagged.
    pub problems: Vec<PartitionProblem>,
    /// What could not be found out.
    pub notes: Vec<String>,
}

/// The gRPC address of a master as the filer names it (`host:port.grpcPort`, else
/// `host:port` with the gRPC port = port + 10000).
pub fn master_grpc_addr(m: &str) -> Option<String> {
    let (host, port) = m.rsplit_once(':')?;
    if let Some((_, grpc)) = port.split_once('.') {
        grpc.parse::<u16>().ok()?;
        return Some(format!("{host}:{grpc}"));
    }
    let p: u32 = port.parse().ok()?;
    Some(format!("{host}:{}", p + 10000))
}

impl MqClient {
    /// The brokers the master lists (address, version); `Err`: a note on why not.
    async fn registered_brokers(&self) -> Result<Vec<(String, String)>, String> {
        let (masters, _) = self.filer.masters().await.map_err(|e| e.to_string())?;
        let mut last = "the filer names no master".to_string();
        for m in masters {
            let Some(addr) = master_grpc_addr(&m) else {
                last = format!("unreadable master address {m:?}");
                continue;
            };
            let ch = match self.opts.transport().channel(&addr).await {
                Ok(ch) => ch,
                Err(e) => {
                    last = format!("master {addr}: {e}");
                    continue;
                }
            };
            let req = ListClusterNodesRequest {
                client_type: "broker".into(),
                ..Default::default()
            };
            match tokio::time::timeout(CALL_TIMEOUT, MasterClient::new(ch).list_cluster_nodes(req))
                .await
            {
                Ok(Ok(r)) => {
                    return Ok(r
                        .into_inner()
                        .cluster_nodes
                        .into_iter()
                        .map(|n| (n.address, n.version))
                        .collect());
                }
                Ok(Err(s)) => last = format!("master {addr}: {}", s.message()),
                Err(_) => last = format!("master {addr}: timed out"),
            }
        }
        Err(last)
    }

    /// Whether `addr` answers `FindBrokerLeader` naming a balancer (`Err`: why not), and
    /// the balancer it names.
    async fn probe_broker(&self, addr: &str) -> Result<String, String> {
        let ch = self
            .opts
            .transport()
            .channel(addr)
            .await
            .map_err(|e| e.to_string())?;
        let mut b =
            crate::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient::new(
                ch,
            );
        match tokio::time::timeout(
            CALL_TIMEOUT,
            b.find_broker_leader(FindBrokerLeaderRequest::default()),
        )
        .await
        {
            Ok(Ok(r)) if !r.get_ref().broker.is_empty() => Ok(r.into_inner().broker),
            Ok(Ok(_)) => Err("no balancer yet (starting)".into()),
            Ok(Err(s)) => Err(s.message().to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    /// The whole cluster: brokers, balancer, assignments and streams of every topic.
    pub async fn brokers(&self) -> Result<ClusterView, ClientError> {
        let mut view = ClusterView::default();
        let mut by_addr: BTreeMap<String, BrokerInfo> = BTreeMap::new();
        let registered = self.registered_brokers().await;
        match &registered {
            Ok(list) => {
                for (a, v) in list {
                    let b = by_addr.entry(a.clone()).or_default();
                    b.registered = Some(true);
                    b.version = (!v.is_empty()).then(|| v.clone());
                }
            }
            Err(e) => view
                .notes
                .push(format!("the master's broker list is unknown: {e}")),
        }
        by_addr.entry(self.broker_addr().to_string()).or_default();
        let names = self.topic_names().await?;
        view.topics = names.len();
        let per_topic = futures::stream::iter(names)
            .map(|t| async move { (t.clone(), self.topic_streams(&t).await) })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let (leaders, self_followed) = tally_topics(per_topic, &mut view, &mut by_addr);
        self.probe_all(&mut view, &mut by_addr, registered.is_ok())
            .await;
        count_streams_of_the_balancer_only(&mut view, &mut by_addr);
        if self_followed > 0 {
            view.notes.push(format!(
                "{self_followed} partitions name their leader as their follower too (no \
                 second broker holds them); FOLLOWS leaves those out"
            ));
        }
        view.problems = flag_partitions(leaders, &by_addr);
        view.brokers = by_addr.into_values().collect();
        Ok(view)
    }

    /// Probes every broker of `by_addr` (all at once) and fills in its address, whether
    /// it answers, whether it is registered (when the master's list is known), and the
    /// balancer (the connected broker's word first).
    async fn probe_all(
        &self,
        view: &mut ClusterView,
        by_addr: &mut BTreeMap<String, BrokerInfo>,
        registry_known: bool,
    ) {
        let probes = futures::future::join_all(by_addr.keys().map(|a| self.probe_broker(a))).await;
        for ((addr, b), p) in by_addr.iter_mut().zip(probes) {
            b.address = addr.clone();
            if registry_known && b.registered.is_none() {
                b.registered = Some(false);
            }
            match p {
                Ok(bal) => {
                    b.answers = true;
                    if view.balancer.is_none() || addr == self.broker_addr() {
                        view.balancer = Some(bal);
                    }
                }
                Err(e) => b.problem = Some(e),
            }
        }
        if let Some(bal) = &view.balancer {
            let b = by_addr.entry(bal.clone()).or_default();
            b.balancer = true;
            b.address = bal.clone();
        }
    }

    /// One topic's assignments `(partition, leader, follower)` and the brokers of its live
    /// publisher and subscriber streams; `None` when it cannot be looked up.
    async fn topic_streams(&self, t: &TopicName) -> Option<TopicStreams> {
        let lookup = tokio::time::timeout(CALL_TIMEOUT, self.lookup_raw(t))
            .await
            .ok()?
            .ok()?;
        let parts = parts_from(&lookup.broker_partition_assignments);
        let follower_of = |p: &super::Part| {
            lookup
                .broker_partition_assignments
                .iter()
                .find(|a| {
                    a.partition.as_ref().is_some_and(|x| {
                        x.range_start == p.ring.range_start && x.unix_time_ns == p.ring.unix_time_ns
                    })
                })
                .map(|a| a.follower_broker.clone())
                .unwrap_or_default()
        };
        let assignments = parts
            .iter()
            .map(|p| (p.index, p.leader.clone(), follower_of(p)))
            .collect();
        let (mut b1, mut b2) = (self.broker(), self.broker());
        let pubs = b1.get_topic_publishers(GetTopicPublishersRequest {
            topic: Some(pb_topic(t)),
        });
        let subs = b2.get_topic_subscribers(GetTopicSubscribersRequest {
            topic: Some(pb_topic(t)),
        });
        let (pubs, subs) = tokio::join!(
            tokio::time::timeout(CALL_TIMEOUT, pubs),
            tokio::time::timeout(CALL_TIMEOUT, subs)
        );
        let publishers = match pubs {
            Ok(Ok(r)) => r
                .into_inner()
                .publishers
                .into_iter()
                .map(|p| p.broker)
                .collect(),
            _ => Vec::new(),
        };
        let subscribers = match subs {
            Ok(Ok(r)) => r
                .into_inner()
                .subscribers
                .into_iter()
                .filter(|s| !s.consumer_group.starts_with("swmq-inspect-"))
                .map(|s| s.broker)
                .collect(),
            _ => Vec::new(),
        };
        Some(TopicStreams {
            assignments,
            publishers,
            subscribers,
        })
    }
}

/// Counts what each broker leads, follows, publishes and serves over the topics'
/// streams; returns every partition's leader `(topic, partition, leader)`, and how many
/// partitions name their leader as their follower.
fn tally_topics(
    per_topic: Vec<(TopicName, Option<TopicStreams>)>,
    view: &mut ClusterView,
    by_addr: &mut BTreeMap<String, BrokerInfo>,
) -> (Vec<(String, i32, String)>, usize) {
    let mut leaders: Vec<(String, i32, String)> = Vec::new();
    let mut self_followed = 0;
    for (t, r) in per_topic {
        let Some(ts) = r else {
            view.notes
                .push(format!("{t}: no assignments (lookup failed)"));
            continue;
        };
        for (i, leader, follower) in ts.assignments {
            if !leader.is_empty() {
                by_addr.entry(leader.clone()).or_default().leads += 1;
            }
            // 4.48 may name a partition's leader as its follower too (it picks the
            // follower without excluding the leader: always so with one broker).
            if !follower.is_empty() && follower == leader {
                self_followed += 1;
            } else if !follower.is_empty() {
                by_addr.entry(follower).or_default().follows += 1;
            }
            leaders.push((t.to_string(), i, leader));
        }
        for p in ts.publishers {
            *by_addr.entry(p).or_default().publishers.get_or_insert(0) += 1;
        }
        for s in ts.subscribers {
            *by_addr.entry(s).or_default().subscribers.get_or_insert(0) += 1;
        }
    }
    (leaders, self_followed)
}

/// Streams can be counted for the balancer only: 4.48 forwards `GetTopicPublishers` /
/// `GetTopicSubscribers` to it and it answers for the partitions it leads
/// (`weed/mq/broker/broker_grpc_lookup.go`). The other brokers' counts are unknown (`None`,
/// `?` in the views), said in a note when they lead partitions.
fn count_streams_of_the_balancer_only(
    view: &mut ClusterView,
    by_addr: &mut BTreeMap<String, BrokerInfo>,
) {
    let mut uncounted = Vec::new();
    for (addr, b) in by_addr.iter_mut() {
        if b.balancer {
            b.publishers.get_or_insert(0);
            b.subscribers.get_or_insert(0);
        } else {
            (b.publishers, b.subscribers) = (None, None);
            if b.leads > 0 {
                uncounted.push(addr.clone());
            }
        }
    }
    if !uncounted.is_empty() {
        view.notes.push(format!(
            "publishers and subscribers of {} unknown (?): SeaweedFS 4.48 counts the streams \
             of the balancer's own partitions only",
            uncounted.join(", ")
        ));
    }
}

/// The partitions `(topic, partition, leader)` that cannot be served as assigned: without
/// a leader, or led by a broker that did not answer (or is not known at all).
fn flag_partitions(
    leaders: Vec<(String, i32, String)>,
    by_addr: &BTreeMap<String, BrokerInfo>,
) -> Vec<PartitionProblem> {
    let mut out = Vec::new();
    for (topic, partition, leader) in leaders {
        let problem = if leader.is_empty() {
            "leaderless"
        } else if by_addr.get(&leader).is_some_and(|b| b.answers) {
            continue;
        } else {
            "leader does not answer"
        };
        out.push(PartitionProblem {
            topic,
            partition,
            leader,
            problem: problem.into(),
        });
    }
    out
}

/// What one topic contributes to the cluster view.
struct TopicStreams {
    assignments: Vec<(i32, String, String)>,
    publishers: Vec<String>,
    subscribers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_addresses() {
        assert_eq!(
            master_grpc_addr("127.0.0.1:9333.19333").as_deref(),
            Some("127.0.0.1:19333")
        );
        assert_eq!(master_grpc_addr("m:9333").as_deref(), Some("m:19333"));
        assert_eq!(master_grpc_addr("nonsense"), None);
        assert_eq!(master_grpc_addr("m:x.y"), None);
    }

    #[test]
    fn leaderless_partitions_and_silent_leaders_are_flagged() {
        let up = BrokerInfo {
            answers: true,
            ..BrokerInfo::default()
        };
        let by_addr = BTreeMap::from([
            ("a:1".to_string(), up),
            ("b:1".to_string(), BrokerInfo::default()),
        ]);
        let p = |t: &str, i: i32, l: &str| (t.to_string(), i, l.to_string());
        let flagged = flag_partitions(
            vec![p("ns/t", 0, "a:1"), p("ns/t", 1, ""), p("ns/t", 2, "b:1")],
            &by_addr,
        );
        let got: Vec<(i32, &str, &str)> = flagged
            .iter()
            .map(|f| (f.partition, f.leader.as_str(), f.problem.as_str()))
            .collect();
        assert_eq!(
            got,
            [(1, "", "leaderless"), (2, "b:1", "leader does not answer")]
        );
    }
}
