//! What several 4.48 brokers need from a client (`docs/mq-4x-faults.md`, "Several
//! brokers"): partitions whose leader moved are looked up again; calls that act only on
//! the broker called (`ClosePublishers`, `CloseSubscribers`) go to every broker that leads
//! a partition; and a publish that is known to crash a broker is not sent.
//!
//! The crash (SeaweedFS issue #5875): `PublishMessage` on a broker that is named the
//! partition's leader but cannot generate the partition locally (a broker that is not the
//! balancer, after the partition unloaded: it checks the assignment against its own empty
//! broker list) gets a nil local partition and dereferences it in
//! `MaybeConnectToFollowers`, which kills the whole process. `FetchMessage` runs the same
//! lookup and answers exactly "partition not found" (`error_code` 1) in that case, without
//! harm: [`MqClient::check_publishable`] asks it first.

use std::time::Duration;

use super::{MqClient, Part, is_missing_topic, pb_topic};
use crate::client::{ClientError, TopicName};
use crate::proto::mq::messaging_pb::{
    ClosePublishersRequest, CloseSubscribersRequest, FetchMessageRequest, FindBrokerLeaderRequest,
    GetTopicPublishersRequest, GetTopicSubscribersRequest,
};

/// Time allowed to `ClosePublishers` / `CloseSubscribers` of one generation on one broker.
/// 4.48's `ClosePublishers` waits for the publishers to leave and an idle one does not
/// (seen: it never returned), so the delete goes on after this.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// What `FetchMessage` answers when the broker has no local partition and no error (the
/// state in which a publish crashes it).
const NO_LOCAL_PARTITION: &str = "partition not found";

impl MqClient {
    /// The partition with the same ring range and generation as `part`, as looked up now
    /// (its leader may have moved); `None` when the lookup fails or it is gone.
    pub(crate) async fn relookup_part(&self, topic: &TopicName, part: &Part) -> Option<Part> {
        let parts = self.partitions(topic).await.ok()?;
        parts.into_iter().find(|p| {
            p.ring.range_start == part.ring.range_start
                && p.ring.range_stop == part.ring.range_stop
                && p.ring.unix_time_ns == part.ring.unix_time_ns
        })
    }

    /// Before a partition's read resumes after a fault: probes the connected broker, looks
    /// the partition's leader up again (it moves when a broker restarts or dies), then
    /// probes the leader. The old leader is kept when the lookup fails or the partition is
    /// not found (same ring range and generation).
    pub(crate) async fn ready_and_relooked_up(
        &self,
        topic: &TopicName,
        part: &mut Part,
    ) -> Result<(), ClientError> {
        self.ready_after_fault("").await?;
        if let Some(p) = self.relookup_part(topic, part).await
            && p.leader != part.leader
        {
            tracing::info!(
                "{topic} partition {}: leader {:?} -> {:?}",
                part.index,
                part.leader,
                p.leader
            );
            part.leader = p.leader;
        }
        self.ready_after_fault(&part.leader).await
    }

    /// Refuses (without sending it) a publish to `part` that would crash its leader: the
    /// leader has no local partition it could generate (see the module's doc).
    pub(crate) async fn check_publishable(
        &self,
        topic: &TopicName,
        part: &Part,
    ) -> Result<(), ClientError> {
        // Only a broker that is not the balancer is in danger (the balancer assigns the
        // partition to itself on a publish); the balancer is not asked, as its
        // `FetchMessage` right after a restart answers "partition not found" for
        // partitions a publish loads fine (seen).
        let balancer = self
            .broker()
            .find_broker_leader(FindBrokerLeaderRequest::default())
            .await
            .map(|r| r.into_inner().broker)
            .unwrap_or_default();
        if part.leader.is_empty() || balancer.is_empty() || part.leader == balancer {
            return Ok(());
        }
        let req = FetchMessageRequest {
            topic: Some(pb_topic(topic)),
            partition: Some(part.pb()),
            start_offset: 0,
            max_messages: 1,
            max_bytes: 1,
            ..Default::default()
        };
        let mut b = self.broker_for(&part.leader).await;
        let at = if part.leader.is_empty() {
            self.broker_addr()
        } else {
            &part.leader
        };
        let resp = match b.fetch_message(req).await {
            Ok(r) => r.into_inner(),
            // Not answered: the publish itself will say what is wrong.
            Err(_) => return Ok(()),
        };
        if resp.error_code == 1 && resp.error.trim() == NO_LOCAL_PARTITION {
            return Err(ClientError::Rpc {
                context: format!("publish to {topic} partition {} at {at}", part.index),
                code: tonic::Code::FailedPrecondition,
                message: format!(
                    "not sent: broker {at} leads this partition but cannot load it (it is \
                     not the balancer and the partition unloaded), and SeaweedFS 4.48 crashes \
                     on a publish in that state (issue #5875, MaybeConnectToFollowers); \
                     restart that broker or let the balancer reassign the partition"
                ),
            });
        }
        Ok(())
    }

    /// Closes the publishers of every generation of `parts` on every broker that leads
    /// one of them (each broker closes only its own streams), all brokers at once. The
    /// balancer's streams are listed (`GetTopicPublishers` and `GetTopicSubscribers` are
    /// answered by the balancer, for its own partitions only), so an idle generation is not
    /// closed there (a close of an idle generation blocks); on the others publishers are
    /// closed blind, each within [`CLOSE_TIMEOUT`]. Subscribers are closed only where
    /// listed (a blind `CloseSubscribers` crashed a broker, see below); readers notice the
    /// delete by the missing `topic.conf`.
    pub(crate) async fn close_streams_everywhere(&self, topic: &TopicName, parts: &[Part]) {
        let mut gens: Vec<i64> = parts.iter().map(|p| p.ring.unix_time_ns).collect();
        gens.sort_unstable();
        gens.dedup();
        let mut b = self.broker();
        let req = || Some(pb_topic(topic));
        let balancer = b
            .find_broker_leader(FindBrokerLeaderRequest::default())
            .await
            .map(|r| r.into_inner().broker)
            .unwrap_or_default();
        let pubs = b
            .get_topic_publishers(GetTopicPublishersRequest { topic: req() })
            .await
            .map(|r| r.into_inner().publishers)
            .unwrap_or_default();
        let subs = b
            .get_topic_subscribers(GetTopicSubscribersRequest { topic: req() })
            .await
            .map(|r| r.into_inner().subscribers)
            .unwrap_or_default();
        let gen_of =
            |p: &Option<crate::proto::mq::schema_pb::Partition>| p.as_ref().map(|p| p.unix_time_ns);
        let listed_pub = |g: i64| pubs.iter().any(|p| gen_of(&p.partition) == Some(g));
        let listed_sub = |g: i64| subs.iter().any(|s| gen_of(&s.partition) == Some(g));
        let mut calls = Vec::new();
        for addr in self.leader_addrs(parts) {
            let on_balancer = addr == balancer;
            for &g in &gens {
                if !on_balancer || listed_pub(g) {
                    calls.push(self.close_on(topic, addr.clone(), g, true));
                }
                // Never blind: a `CloseSubscribers` on a broker whose partition a reader
                // re-subscribes to crashed it ("close of closed channel" in
                // `LocalSubscriber.SignalShutdown`, seen): only where listed.
                if on_balancer && listed_sub(g) {
                    calls.push(self.close_on(topic, addr.clone(), g, false));
                }
            }
        }
        futures::future::join_all(calls).await;
    }

    /// `ClosePublishers` (or `CloseSubscribers`) of generation `g` on broker `addr`.
    async fn close_on(&self, topic: &TopicName, addr: String, g: i64, publishers: bool) {
        let mut b = self.broker_for(&addr).await;
        let t = Some(pb_topic(topic));
        let (what, r) = if publishers {
            let req = ClosePublishersRequest {
                topic: t,
                unix_time_ns: g,
            };
            let r = tokio::time::timeout(CLOSE_TIMEOUT, b.close_publishers(req)).await;
            ("ClosePublishers", r.map(|r| r.map(|_| ())))
        } else {
            let req = CloseSubscribersRequest {
                topic: t,
                unix_time_ns: g,
            };
            let r = tokio::time::timeout(CLOSE_TIMEOUT, b.close_subscribers(req)).await;
            ("CloseSubscribers", r.map(|r| r.map(|_| ())))
        };
        match r {
            Ok(Err(s)) if !is_missing_topic(&s) => {
                tracing::warn!("{what} {topic} {g} at {addr}: {s}")
            }
            Err(_) => tracing::debug!("{what} {topic} {g} at {addr}: timed out"),
            _ => {}
        }
    }

    /// Every broker that leads one of `parts`, and the connected one, without repeats.
    pub(crate) fn leader_addrs(&self, parts: &[Part]) -> Vec<String> {
        let mut v = vec![self.broker_addr().to_string()];
        for p in parts {
            if !p.leader.is_empty() && !v.contains(&p.leader) {
                v.push(p.leader.clone());
            }
        }
        v
    }
}
