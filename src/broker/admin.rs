//! `swmq.admin.v1.SwmqAdmin`: swmq's extension beside the 2.x service (2.x has no listing
//! RPC). Listing and histograms are answered from the in-memory segment metadata and the
//! sparse timestamp index, without reading every message.

use std::collections::HashMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::Shared;
use super::partition::Partition;
use super::store::Topic;
use super::subscribers::{Registry, consumed_state};
use crate::proto::admin::swmq_admin_server::SwmqAdmin;
use crate::proto::admin::*;

/// The most buckets a histogram may ask for.
pub(super) const MAX_BUCKETS: u32 = 10_000;

/// The admin service.
#[derive(Debug, Clone)]
pub(super) struct AdminService {
    pub(super) shared: Arc<Shared>,
}

/// A topic's statistics with each partition's subscribers and consumed state. Blocking
/// (records are loaded from disk on first use): call it off the async threads.
fn topic_stats(t: &Topic, subs: &Registry) -> TopicStats {
    let opened: HashMap<u32, Arc<Partition>> =
        t.partitions().into_iter().map(|p| (p.number, p)).collect();
    let partitions: Vec<PartitionStats> = t
        .stats()
        .into_iter()
        .map(|(n, s)| {
            let subscribers = opened
                .get(&n)
                .map(|p| subs.records(p).snapshot())
                .unwrap_or_default();
            PartitionStats {
                partition: n as i32,
                message_count: s.count,
                bytes: s.bytes,
                first_ts_ns: s.first_ts,
                last_ts_ns: s.last_ts,
                closed: s.closed,
                consumed: consumed_state(s.closed, s.last_ts, &subscribers, subs.since_ns()),
                subscribers,
            }
        })
        .collect();
    TopicStats {
        namespace: t.namespace.clone(),
        topic: t.name.clone(),
        partition_count: partitions.len() as i32,
        partitions,
    }
}

/// [`topic_stats`] of several topics, off the async threads.
async fn stats_of(
    shared: &Arc<Shared>,
    topics: Vec<Arc<Topic>>,
) -> Result<Vec<TopicStats>, Status> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        topics
            .iter()
            .map(|t| topic_stats(t, &shared.subscribers))
            .collect()
    })
    .await
    .map_err(|e| Status::internal(format!("listing topics: {e}")))
}

/// The bucket boundaries of a histogram request: `buckets + 1` timestamps.
pub(super) fn boundaries(start: i64, stop: i64, buckets: u32) -> Vec<i64> {
    let w = (stop as i128 - start as i128) / buckets as i128;
    (0..=buckets)
        .map(|i| {
            if i == buckets {
                stop
            } else {
                (start as i128 + i as i128 * w) as i64
            }
        })
        .collect()
}

#[tonic::async_trait]
impl SwmqAdmin for AdminService {
    type GrepStream = super::grep::GrepResponses;

    async fn grep(
        &self,
        request: Request<GrepRequest>,
    ) -> Result<Response<Self::GrepStream>, Status> {
        super::grep::start(&self.shared, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn broker_info(
        &self,
        _request: Request<BrokerInfoRequest>,
    ) -> Result<Response<BrokerInfoResponse>, Status> {
        Ok(Response::new(BrokerInfoResponse {
            version: env!("CARGO_PKG_VERSION").to_string(),
            advertised_address: self.shared.advertised.clone(),
            data_dir: self.shared.store.data_dir().display().to_string(),
            started_at_ns: self.shared.started_at_ns,
            grep_scans: self
                .shared
                .grep_scans
                .load(std::sync::atomic::Ordering::SeqCst),
        }))
    }

    async fn list_topics(
        &self,
        request: Request<ListTopicsRequest>,
    ) -> Result<Response<ListTopicsResponse>, Status> {
        let ns = request.into_inner().namespace;
        let ns = (!ns.is_empty()).then_some(ns.as_str());
        let topics = self.shared.store.list(ns)?;
        Ok(Response::new(ListTopicsResponse {
            topics: stats_of(&self.shared, topics).await?,
        }))
    }

    async fn describe_topic(
        &self,
        request: Request<DescribeTopicRequest>,
    ) -> Result<Response<DescribeTopicResponse>, Status> {
        let r = request.into_inner();
        let t = self
            .shared
            .store
            .topic(&r.namespace, &r.topic)?
            .ok_or_else(|| {
                Status::not_found(format!("topic {}/{} does not exist", r.namespace, r.topic))
            })?;
        Ok(Response::new(DescribeTopicResponse {
            topic: stats_of(&self.shared, vec![t]).await?.pop(),
        }))
    }

    async fn histogram(
        &self,
        request: Request<HistogramRequest>,
    ) -> Result<Response<HistogramResponse>, Status> {
        let r = request.into_inner();
        if r.buckets == 0 || r.buckets > MAX_BUCKETS {
            return Err(Status::invalid_argument(format!(
                "buckets must be between 1 and {MAX_BUCKETS}, got {}",
                r.buckets
            )));
        }
        if r.stop_ts_ns <= r.start_ts_ns {
            return Err(Status::invalid_argument(format!(
                "stop_ts_ns ({}) must be above start_ts_ns ({})",
                r.stop_ts_ns, r.start_ts_ns
            )));
        }
        if let Some(p) = r.partitions.iter().find(|p| **p < 0) {
            return Err(Status::invalid_argument(format!(
                "invalid partition {p}: partitions are numbered from 0"
            )));
        }
        let t = self
            .shared
            .store
            .topic(&r.namespace, &r.topic)?
            .ok_or_else(|| {
                Status::not_found(format!("topic {}/{} does not exist", r.namespace, r.topic))
            })?;
        let bounds = boundaries(r.start_ts_ns, r.stop_ts_ns, r.buckets);
        let mut counts = vec![0u64; r.buckets as usize];
        for p in t.partitions() {
            if !r.partitions.is_empty() && !r.partitions.contains(&(p.number as i32)) {
                continue;
            }
            let stats = p.stats();
            if stats.count == 0 {
                continue;
            }
            let below = p
                .count_before_many(bounds.clone())
                .await
                .map_err(|e| Status::internal(format!("reading the index: {e}")))?;
            for (i, c) in counts.iter_mut().enumerate() {
                *c += below[i + 1].saturating_sub(below[i]);
            }
        }
        Ok(Response::new(HistogramResponse {
            start_ts_ns: r.start_ts_ns,
            stop_ts_ns: r.stop_ts_ns,
            counts,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::boundaries;

    #[test]
    fn bucket_boundaries() {
        assert_eq!(boundaries(0, 10, 3), vec![0, 3, 6, 10]);
        assert_eq!(boundaries(-5, 5, 2), vec![-5, 0, 5]);
        assert_eq!(boundaries(i64::MIN, i64::MAX, 1), vec![i64::MIN, i64::MAX]);
    }
}
