//! Status, listing, describing, histograms, creating and deleting 4.x topics.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;

use super::groups::Found;
use super::{MqClient, Part, pb_topic, topic_dir};
use crate::client::filer::split;
use crate::client::*;
use crate::proto::filer::Entry;
use crate::proto::mq::messaging_pb::{
    ConfigureTopicRequest, FindBrokerLeaderRequest, GetPartitionRangeInfoRequest,
    GetTopicPublishersRequest, GetTopicSubscribersRequest, ListTopicsRequest,
};

/// Filer calls at once in `topic_names`.
const FILER_CONCURRENCY: usize = 16;
/// How old a topic directory must be before its topic.conf is remembered (`ConfsSeen`).
const SETTLED: Duration = Duration::from_secs(60);
/// Topics described at once by `list_topics`.
const LIST_CONCURRENCY: usize = 8;
/// Time allowed to describe one topic in `list_topics` (then only its name is shown).
const TOPIC_TIMEOUT: Duration = Duration::from_secs(5);

/// The note a 4.x delete carries.
pub(super) const DELETE_NOTE: &str = "deleted from the filer; brokers may still list the topic \
(from memory and their 30 s cache) for up to ~30 s, and a publisher still connected may \
recreate partition directories (delete again once it has gone)";

/// A topic directory as its namespace's listing showed it.
#[derive(Clone, Copy)]
enum DirListed {
    /// The namespace could not be listed.
    Unknown,
    /// Not there.
    Missing,
    /// There, with its creation stamp (`None`: the filer gave none).
    Present(Option<DirStamp>),
}

impl From<Option<&Entry>> for DirListed {
    fn from(e: Option<&Entry>) -> Self {
        match e {
            None => DirListed::Missing,
            Some(e) => DirListed::Present(DirStamp::of(e)),
        }
    }
}

/// What tells one directory from another created at the same path later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DirStamp {
    crtime: i64,
    crtime_ns: i32,
    inode: u64,
}

impl DirStamp {
    /// `None` when the entry has no creation time nor inode.
    fn of(e: &Entry) -> Option<DirStamp> {
        let a = e.attributes.as_ref()?;
        let s = DirStamp {
            crtime: a.crtime,
            crtime_ns: a.crtime_ns,
            inode: a.inode,
        };
        (s.crtime != 0 || s.crtime_ns != 0 || s.inode != 0).then_some(s)
    }

    /// Whether the directory is old enough for its stamp to tell it from any directory
    /// created at its path after it: one that held a topic.conf [`SETTLED`] after it was
    /// created was deleted later still, so a new one has a later creation second (the
    /// stamp may have seconds only; clocks of the filer and here may differ by less).
    fn settled(&self) -> bool {
        crate::time::now_ns() / 1_000_000_000 - self.crtime > SETTLED.as_secs() as i64
    }
}

/// The topic directories seen holding a `topic.conf`, with their stamps: while a
/// directory keeps its stamp, its topic.conf is not looked up again (only a delete of the
/// whole directory removes a topic.conf, and a directory created again has another stamp).
#[derive(Default)]
pub(crate) struct ConfsSeen(Mutex<HashMap<TopicName, DirStamp>>);

impl ConfsSeen {
    fn get(&self, t: &TopicName) -> Option<DirStamp> {
        self.0.lock().ok()?.get(t).copied()
    }

    fn insert(&self, t: &TopicName, s: DirStamp) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(t.clone(), s);
        }
    }

    fn forget(&self, t: &TopicName) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(t);
        }
    }
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
        Ok(self.with_topic_conf(names).await)
    }

    /// `names` without those the filer holds no `topic.conf` for. 4.48 lists the topics
    /// its balancer holds in memory beside those in the filer: a deleted topic whose
    /// partitions a reader's `FetchMessage` loaded again stayed listed for minutes
    /// (tests/it/cluster_brokers.rs). A topic is its topic.conf: a name without one
    /// (deleted, or partition directories a publisher recreated) is left out; when the
    /// filer cannot tell, the broker's word stands.
    ///
    /// One listing per namespace directory shows which topic directories exist; only a
    /// directory not seen before with a topic.conf (by its creation stamp: a directory
    /// deleted and created again has another) is looked into.
    async fn with_topic_conf(&self, names: Vec<TopicName>) -> Vec<TopicName> {
        let mut parents: Vec<String> = names.iter().map(|t| split(&topic_dir(t)).0).collect();
        parents.sort_unstable();
        parents.dedup();
        let listings: HashMap<String, Option<Vec<Entry>>> = futures::stream::iter(parents)
            .map(|dir| async move {
                let listed = self.filer.list_entries(&dir).await.ok();
                (dir, listed)
            })
            .buffered(FILER_CONCURRENCY)
            .collect()
            .await;
        let checks: Vec<_> = names
            .iter()
            .map(|t| {
                let (parent, name) = split(&topic_dir(t));
                let dir = match listings.get(&parent) {
                    Some(Some(entries)) => DirListed::from(entries.iter().find(|e| e.name == name)),
                    _ => DirListed::Unknown,
                };
                async move { self.has_topic_conf(t, dir).await }
            })
            .collect();
        let present: Vec<bool> = futures::stream::iter(checks)
            .buffered(FILER_CONCURRENCY)
            .collect()
            .await;
        let mut present = present.into_iter();
        let mut names = names;
        names.retain(|_| present.next().unwrap_or(true));
        names
    }

    /// Whether `topic` has a `topic.conf` (`true` when the filer cannot tell), given what
    /// the listing of its namespace said of its directory.
    async fn has_topic_conf(&self, topic: &TopicName, dir: DirListed) -> bool {
        let stamp = match dir {
            DirListed::Missing => {
                self.confs_seen.forget(topic);
                return false;
            }
            DirListed::Unknown => None,
            DirListed::Present(stamp) => stamp,
        };
        if stamp.is_some() && self.confs_seen.get(topic) == stamp {
            return true;
        }
        match self.topic_in_filer(topic).await {
            Some(true) => {
                if let Some(s) = stamp.filter(DirStamp::settled) {
                    self.confs_seen.insert(topic, s);
                }
                true
            }
            Some(false) => {
                self.confs_seen.forget(topic);
                false
            }
            None => true,
        }
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
        let info = self.topic_info_with(topic, &parts).await?;
        let histogram = match histogram {
            Some(req) => match self.message_histogram(topic, &parts, req).await {
                Ok(h) => Some(h),
                // The rest of the description stands; the caller says why the timeline
                // is missing (`Client::filer_unreachable`).
                Err(e) if self.filer.unreachable().is_some() => {
                    tracing::debug!("{topic}: no timeline: {e}");
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok(TopicDescription { info, histogram })
    }

    /// Messages per time bucket, counted from the records of the flushed log files that
    /// overlap the range (each file's timestamps cached by name and size); records still
    /// in the broker's memory are not counted. A filer that cannot be reached is an error.
    pub async fn histogram(
        &self,
        topic: &TopicName,
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        if req.buckets == 0 {
            return Err(ClientError::invalid("buckets", "must be at least 1"));
        }
        let parts = self.partitions(topic).await?;
        self.message_histogram(topic, &parts, req).await
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
        self.topic_info_with(topic, &parts).await
    }

    async fn topic_info_with(
        &self,
        topic: &TopicName,
        parts: &[Part],
    ) -> Result<TopicInfo, ClientError> {
        let stats = futures::future::join_all(parts.iter().map(|p| self.part_stats(topic, p)));
        let req = || Some(pb_topic(topic));
        let (mut b1, mut b2, mut b3) = (self.broker(), self.broker(), self.broker());
        let pubs = b1.get_topic_publishers(GetTopicPublishersRequest { topic: req() });
        let subs = b2.get_topic_subscribers(GetTopicSubscribersRequest { topic: req() });
        let balancer = b3.find_broker_leader(FindBrokerLeaderRequest::default());
        let (stats, pubs, subs, balancer) = tokio::join!(stats, pubs, subs, balancer);
        // 4.48 forwards both calls to the balancer, which counts the streams of the
        // partitions it leads only: a count is known when it leads them all.
        let countable = balancer.is_ok_and(|b| {
            let b = b.into_inner().broker;
            !b.is_empty() && parts.iter().all(|p| p.leader.is_empty() || p.leader == b)
        });
        let mut partitions = Vec::with_capacity(parts.len());
        let mut positions = Vec::with_capacity(parts.len());
        for s in stats {
            let (p, found) = s?;
            partitions.push(p);
            positions.push(found);
        }
        if topic.namespace == "kafka" {
            self.add_kafka_positions(topic, &mut positions).await;
        }
        let mut info = TopicInfo {
            name: topic.clone(),
            partitions,
            publishers: (pubs.ok().filter(|_| countable))
                .map(|r| r.into_inner().publishers.len() as u32),
            subscribers: (subs.ok().filter(|_| countable))
                .map(|r| r.into_inner().subscribers.len() as u32),
        };
        super::consumed::settle(&mut info, positions);
        Ok(info)
    }

    /// Adds the Kafka gateway's committed offsets of a `kafka/…` topic to `positions`
    /// (when they cannot be read, every partition's positions are unknown).
    async fn add_kafka_positions(&self, topic: &TopicName, positions: &mut [Option<Vec<Found>>]) {
        match self.kafka_positions(topic, positions.len()).await {
            Ok(found) => {
                for f in found {
                    if let Some(Some(v)) = positions.get_mut(f.partition) {
                        v.push(f);
                    }
                }
            }
            Err(e) => {
                tracing::debug!("kafka offsets of {topic}: {e}");
                positions.iter_mut().for_each(|p| *p = None);
            }
        }
    }

    /// One partition: its count (offsets), the bytes of its log files, its first and
    /// last records' times (from the files and the broker's unflushed last record), and
    /// the committed positions of its native consumer groups (`None`: the filer could not
    /// tell).
    async fn part_stats(
        &self,
        topic: &TopicName,
        part: &Part,
    ) -> Result<(PartitionInfo, Option<Vec<Found>>), ClientError> {
        let files = self.partition_files(topic, part);
        let count = self.range_info(topic, part);
        let (files, count) = tokio::join!(files, count);
        let mut info = PartitionInfo {
            id: part.index,
            ring: Some(part.ring),
            leader: (!part.leader.is_empty()).then(|| part.leader.clone()),
            message_count: count
                .ok()
                .and_then(|r| u64::try_from(r.record_count.max(r.high_water_mark)).ok()),
            bytes: None,
            first_ts_ns: None,
            last_ts_ns: None,
            closed: false,
            // No subscriber records here: whether it was read is unknown.
            consumed: Consumed::Unknown,
            subscribers: Vec::new(),
        };
        // Without the filer, bytes and times stay unknown; the counts still come.
        let files = match files {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("listing the log files of {topic}: {e}");
                // The broker still gives the first record, and the last one when it
                // serves it by offset.
                if info.message_count != Some(0) {
                    let (first, last) = self.broker_bounds(topic, part, info.message_count).await;
                    info.first_ts_ns = first;
                    info.last_ts_ns = last;
                }
                return Ok((info, None));
            }
        };
        let logs = files.logs;
        let index = usize::try_from(part.index).unwrap_or_default();
        // Only a partition with a `consumers/` directory has groups: no extra call else.
        let positions = if files.consumers {
            self.native_positions_of(topic, part, index).await.ok()
        } else {
            Some(Vec::new())
        };
        info.bytes = Some(logs.iter().map(|f| f.bytes).sum());
        if info.message_count != Some(0) || !logs.is_empty() {
            let (first, last) = self.exact_bounds(topic, part, &logs, true).await;
            info.first_ts_ns = first;
            info.last_ts_ns = last;
        }
        Ok((info, positions))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::filer::FuseAttributes;

    fn dir(crtime: i64) -> Entry {
        Entry {
            name: "t".into(),
            is_directory: true,
            attributes: Some(FuseAttributes {
                crtime,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_settled_stamped_directories_are_remembered() {
        let now = crate::time::now_ns() / 1_000_000_000;
        assert_eq!(DirStamp::of(&dir(0)), None);
        assert_eq!(DirStamp::of(&Entry::default()), None);
        let old = DirStamp::of(&dir(now - 3600)).unwrap();
        assert!(old.settled());
        assert!(!DirStamp::of(&dir(now)).unwrap().settled());
        // A directory created again at the same path has another stamp.
        assert_ne!(DirStamp::of(&dir(now - 3600)), DirStamp::of(&dir(now - 10)));
        let seen = ConfsSeen::default();
        let t = TopicName::new("ns", "t").unwrap();
        seen.insert(&t, old);
        assert_eq!(seen.get(&t), Some(old));
        seen.forget(&t);
        assert_eq!(seen.get(&t), None);
    }
}
