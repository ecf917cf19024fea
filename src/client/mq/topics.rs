//! Status, listing, describing, histograms, creating and deleting 4.x topics.

use std::time::Duration;

use futures::StreamExt;

use super::bounds::exact_bounds;
use super::logs::{LogFile, histogram_of, list_log_files};
use super::{MqClient, Part, pb_topic, topic_dir};
use crate::client::filer::split;
use crate::client::*;
use crate::proto::mq::messaging_pb::{
    ConfigureTopicRequest, FindBrokerLeaderRequest, GetPartitionRangeInfoRequest,
    GetTopicPublishersRequest, GetTopicSubscribersRequest, ListTopicsRequest,
};

/// Topics described at once by `list_topics`.
const LIST_CONCURRENCY: usize = 8;
/// Time allowed to describe one topic in `list_topics` (then only its name is shown).
const TOPIC_TIMEOUT: Duration = Duration::from_secs(5);

/// The note a 4.x delete carries.
pub const DELETE_NOTE: &str = "deleted from the filer; brokers may still list the topic \
(from memory and their 30 s cache) for up to ~30 s, and a publisher still connected may \
recreate partition directories (delete again once it has gone)";

/// Counts and byte/time bounds of one partition.
struct PartStats {
    count: Option<u64>,
    /// `None` when the filer could not be asked.
    files: Option<Vec<LogFile>>,
}

impl MqClient {
    /// The balancer (`FindBrokerLeader`) and the number of topics.
    pub async fn status(&self) -> Result<BrokerStatus, ClientError> {
        let mut b = self.broker();
        let balancer = b
            .find_broker_leader(FindBrokerLeaderRequest::default())
            .await
            .ok()
            .map(|r| r.into_inner().broker)
            .filter(|s| !s.is_empty());
        let topics = b
            .list_topics(ListTopicsRequest {})
            .await
            .map_err(|s| ClientError::rpc(format!("list topics at {}", self.addr), s))?
            .into_inner()
            .topics;
        Ok(BrokerStatus {
            address: self.addr.clone(),
            protocol: Protocol::Mq,
            balancer,
            topic_count: Some(topics.len()),
            embedded_version: None,
        })
    }

    /// The names of all topics the broker lists, sorted.
    pub async fn topic_names(&self) -> Result<Vec<TopicName>, ClientError> {
        let topics = self
            .broker()
            .list_topics(ListTopicsRequest {})
            .await
            .map_err(|s| ClientError::rpc(format!("list topics at {}", self.addr), s))?
            .into_inner()
            .topics;
        let mut names: Vec<TopicName> = topics
            .iter()
            .filter_map(|t| TopicName::new(&t.namespace, &t.name).ok())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Every topic with its partitions, counts, bytes, time bounds, publishers and
    /// subscribers; topics are described concurrently (at most 8 at a time, 5 s each; a
    /// topic that cannot be described in time is listed by name only).
    pub async fn list_topics(&self) -> Result<Vec<TopicInfo>, ClientError> {
        let names = self.topic_names().await?;
        let infos = futures::stream::iter(names)
            .map(|name| async move {
                match tokio::time::timeout(TOPIC_TIMEOUT, self.topic_info(&name)).await {
                    Ok(Ok(info)) => info,
                    Ok(Err(e)) => {
                        tracing::debug!("describing {name}: {e}");
                        TopicInfo::bare(name)
                    }
                    Err(_) => TopicInfo::bare(name),
                }
            })
            .buffered(LIST_CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        Ok(infos)
    }

    /// One topic, with a histogram when asked.
    pub async fn describe(
        &self,
        topic: &TopicName,
        histogram: Option<HistogramRequest>,
    ) -> Result<TopicDescription, ClientError> {
        let parts = self.partitions(topic).await?;
        let (mut info, files) = self.topic_info_with(topic, &parts).await?;
        // Exact first/last timestamps (the filer gives seconds, and nothing for data
        // still in memory).
        let bounds = futures::future::join_all(parts.iter().zip(&files).zip(&info.partitions).map(
            |((p, f), pi)| async move {
                // An empty partition has no bounds (and would only make us wait).
                if pi.message_count == Some(0) {
                    return (None, None);
                }
                exact_bounds(self, topic, p, f).await
            },
        ))
        .await;
        for (pi, (first, last)) in info.partitions.iter_mut().zip(bounds) {
            if first.is_some() {
                pi.first_ts_ns = first;
            }
            if last.is_some() {
                pi.last_ts_ns = last;
            }
        }
        let all: Vec<LogFile> = files.into_iter().flatten().collect();
        let histogram = histogram.map(|req| histogram_for(&all, &info, req));
        Ok(TopicDescription { info, histogram })
    }

    /// Stored bytes per time bucket, from the filer listing of the flushed log files
    /// (names: the second of their first record; sizes: bytes). Never reads a message;
    /// data still in the broker's memory is not counted.
    pub async fn histogram(
        &self,
        topic: &TopicName,
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        if req.buckets == 0 {
            return Err(ClientError::invalid("buckets", "must be at least 1"));
        }
        let parts = self.partitions(topic).await?;
        let mut files = Vec::new();
        for p in &parts {
            files.extend(list_log_files(&self.filer, topic, p).await?);
        }
        Ok(histogram_for(&files, &TopicInfo::bare(topic.clone()), req))
    }

    /// Creates a topic with `partitions` partitions (`ConfigureTopic`; only 1..=2520: 0
    /// kills a 4.48 broker and more than 2520 breaks the partitions). Configuring an
    /// existing topic with the same count changes nothing; another count makes a new
    /// generation whose old data is no longer served.
    pub async fn create_topic(
        &self,
        topic: &TopicName,
        partitions: u32,
    ) -> Result<(), ClientError> {
        if !(1..=2520).contains(&partitions) {
            return Err(ClientError::invalid(
                "partition count",
                format!("{partitions}: a 4.x topic has 1 to 2520 partitions"),
            ));
        }
        let req = ConfigureTopicRequest {
            topic: Some(pb_topic(topic)),
            partition_count: partitions as i32,
            ..Default::default()
        };
        self.broker()
            .configure_topic(req)
            .await
            .map_err(|s| ClientError::rpc(format!("configure {topic} at {}", self.addr), s))?;
        Ok(())
    }

    /// Deletes a topic: `ClosePublishers`/`CloseSubscribers` for each generation, then
    /// `DeleteEntry` of `/topics/<ns>/<topic>` (recursive, with data) through the filer,
    /// then checks that it is gone.
    pub async fn delete(&self, topic: &TopicName) -> Result<DeleteOutcome, ClientError> {
        let parts = match self.partitions(topic).await {
            Ok(p) => p,
            Err(ClientError::TopicNotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        self.close_streams_everywhere(topic, &parts).await;
        let dir = topic_dir(topic);
        let (parent, name) = split(&dir);
        let existed = self.filer.lookup(&parent, &name).await?.is_some();
        self.filer.delete_entry(&parent, &name).await?;
        // Confirm (a publisher still connected may recreate directories: try again).
        for attempt in 0..5 {
            if self.filer.lookup(&parent, &name).await?.is_none() {
                return Ok(DeleteOutcome {
                    existed: Some(existed || !parts.is_empty()),
                    note: Some(DELETE_NOTE.into()),
                });
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
            self.filer.delete_entry(&parent, &name).await?;
        }
        Err(ClientError::Rpc {
            context: format!("delete {topic} in filer {}", self.filer.addr()),
            code: tonic::Code::Aborted,
            message: format!("{dir} still exists after deleting it (a client keeps writing?)"),
        })
    }

    /// Partitions, counts, bytes and times of a topic (for listings).
    pub(crate) async fn topic_info(&self, topic: &TopicName) -> Result<TopicInfo, ClientError> {
        let parts = self.partitions(topic).await?;
        Ok(self.topic_info_with(topic, &parts).await?.0)
    }

    async fn topic_info_with(
        &self,
        topic: &TopicName,
        parts: &[Part],
    ) -> Result<(TopicInfo, Vec<Vec<LogFile>>), ClientError> {
        let stats = futures::future::join_all(parts.iter().map(|p| self.part_stats(topic, p)));
        let req = || Some(pb_topic(topic));
        let mut b1 = self.broker();
        let mut b2 = self.broker();
        let pubs = b1.get_topic_publishers(GetTopicPublishersRequest { topic: req() });
        let subs = b2.get_topic_subscribers(GetTopicSubscribersRequest { topic: req() });
        let (stats, pubs, subs) = tokio::join!(stats, pubs, subs);
        let mut all_files = Vec::new();
        let mut partitions = Vec::with_capacity(parts.len());
        for (p, s) in parts.iter().zip(stats) {
            let s = s?;
            let mut info = part_info(p, s.count, s.files.as_deref().unwrap_or(&[]));
            if s.files.is_none() {
                info.bytes = None;
            }
            partitions.push(info);
            all_files.push(s.files.unwrap_or_default());
        }
        let info = TopicInfo {
            name: topic.clone(),
            partitions,
            publishers: pubs.ok().map(|r| r.into_inner().publishers.len() as u32),
            subscribers: subs.ok().map(|r| r.into_inner().subscribers.len() as u32),
        };
        Ok((info, all_files))
    }

    async fn part_stats(&self, topic: &TopicName, part: &Part) -> Result<PartStats, ClientError> {
        let files = list_log_files(&self.filer, topic, part);
        let count = self.range_info(topic, part);
        let (files, count) = tokio::join!(files, count);
        // Without the filer, bytes and times stay unknown; the counts still come.
        let files = files.map(Some).unwrap_or_else(|e| {
            tracing::warn!("listing the log files of {topic}: {e}");
            None
        });
        Ok(PartStats {
            count: count
                .ok()
                .and_then(|r| u64::try_from(r.record_count.max(r.high_water_mark)).ok()),
            files,
        })
    }

    /// `GetPartitionRangeInfo` of one partition: `(record_count, high_water_mark)`.
    pub(crate) async fn range_info(
        &self,
        topic: &TopicName,
        part: &Part,
    ) -> Result<RangeInfo, ClientError> {
        let req = GetPartitionRangeInfoRequest {
            topic: Some(pb_topic(topic)),
            partition: Some(part.pb()),
        };
        let r = self
            .broker_for(&part.leader)
            .await
            .get_partition_range_info(req)
            .await
            .map_err(|s| ClientError::rpc(format!("range info of {topic}"), s))?
            .into_inner();
        if !r.error.is_empty() {
            return Err(ClientError::Rpc {
                context: format!("range info of {topic} partition {}", part.index),
                code: tonic::Code::Unknown,
                message: r.error,
            });
        }
        Ok(RangeInfo {
            record_count: r.record_count,
            high_water_mark: r.offset_range.map(|o| o.high_water_mark).unwrap_or(-1),
        })
    }
}

/// What `GetPartitionRangeInfo` says about a partition's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RangeInfo {
    /// `record_count`.
    pub record_count: i64,
    /// `offset_range.high_water_mark` (−1 when absent).
    pub high_water_mark: i64,
}

fn part_info(p: &Part, count: Option<u64>, files: &[LogFile]) -> PartitionInfo {
    let bytes = files.iter().map(|f| f.bytes).sum::<u64>();
    PartitionInfo {
        id: p.index,
        ring: Some(p.ring),
        leader: (!p.leader.is_empty()).then(|| p.leader.clone()),
        message_count: count,
        bytes: Some(bytes),
        first_ts_ns: files.first().map(|f| f.start_ns),
        last_ts_ns: files.iter().map(|f| f.end_ns).max(),
        closed: false,
    }
}

fn histogram_for(files: &[LogFile], info: &TopicInfo, req: HistogramRequest) -> Histogram {
    let first = files.iter().map(|f| f.start_ns).min();
    let last = files
        .iter()
        .map(|f| f.end_ns.max(f.start_ns.saturating_add(1_000_000_000)))
        .max();
    let start = req
        .start_ns
        .or(first)
        .or(info.first_ts_ns())
        .unwrap_or_else(crate::time::now_ns);
    let stop = req
        .stop_ns
        .or(last)
        .unwrap_or(start.saturating_add(1_000_000_000));
    histogram_of(files, start, stop, req.buckets)
}
