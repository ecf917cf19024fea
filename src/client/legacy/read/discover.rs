//! Which partitions a read covers, and the partitions that appear while a follow read runs.
//!
//! 2.x publishers choose their partition, and a topic may be re-configured with more
//! partitions at any time: a follow read of all partitions re-reads the partition set every
//! [`REFRESH`] and reads each new partition from its start (or from the read's `--from`
//! time), merged in time order from then on.
//!
//! Numbers from the server are bounded: partitions `0..count` are read up to
//! [`MAX_DENSE_PARTITIONS`]; beyond that only partitions the admin service lists with data
//! (a message in partition 100000 is one reader, not 100001).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{HistoryEnd, PART_QUEUE, PartReader, Start};
use crate::client::legacy::LegacyClient;
use crate::client::legacy::admin::MAX_DENSE_PARTITIONS;
use crate::client::merge::PartEvent;
use crate::client::{ClientError, PartitionInfo, TopicInfo, TopicName};

/// How often a follow read of all partitions re-reads the partition set.
pub(super) const REFRESH: Duration = Duration::from_secs(1);

/// What the broker says about a topic's partitions at one moment.
pub(super) struct Snapshot {
    /// The admin statistics: `None` without the admin service, `Some(None)` when the topic
    /// does not exist (yet).
    pub stats: Option<Option<TopicInfo>>,
    /// The configured partition count (`GetTopicConfiguration`, else the default).
    pub count: u32,
}

impl Snapshot {
    /// Asks the broker. A missing topic is an error unless `follow`.
    pub(super) async fn take(
        client: &LegacyClient,
        topic: &TopicName,
        follow: bool,
    ) -> Result<Snapshot, ClientError> {
        let stats = match client.admin_describe(topic).await {
            Ok(s) => s.map(Some),
            Err(ClientError::TopicNotFound(_)) if follow => Some(None),
            Err(e) => return Err(e),
        };
        let count = client.partition_count(topic).await?;
        Ok(Snapshot { stats, count })
    }

    fn info(&self) -> Option<&TopicInfo> {
        self.stats.as_ref().and_then(Option::as_ref)
    }

    fn partition(&self, p: i32) -> Option<&PartitionInfo> {
        self.info()?.partitions.iter().find(|x| x.id == p)
    }

    /// Where partition `p`'s history ends for `CaughtUp`.
    pub(super) fn end(&self, p: i32) -> HistoryEnd {
        match &self.stats {
            None => HistoryEnd::Quiet,
            Some(_) => HistoryEnd::Known(self.partition(p).and_then(|x| x.last_ts_ns)),
        }
    }

    /// Whether partition `p` was sealed.
    pub(super) fn closed(&self, p: i32) -> bool {
        self.partition(p).is_some_and(|x| x.closed)
    }

    /// Every partition to read: the admin service's listing (partitions below
    /// [`MAX_DENSE_PARTITIONS`], and those beyond holding data), else `0..count`; a count
    /// above the bound without a listing is an error (choose some with `--partition`).
    pub(super) fn all(&self, topic: &TopicName) -> Result<Vec<i32>, ClientError> {
        if topic.is_channel() {
            return Ok(vec![0]);
        }
        let count = self.count.max(1);
        let cap = u32::try_from(MAX_DENSE_PARTITIONS).unwrap_or(u32::MAX);
        let mut ids: BTreeSet<i32> = BTreeSet::new();
        match self.info() {
            // The listing covers `0..partition_count` already (when that is bounded).
            Some(info) => {
                ids.extend(
                    info.partitions
                        .iter()
                        .filter(|p| p.id >= 0 && (p.id < MAX_DENSE_PARTITIONS || has_data(p)))
                        .map(|p| p.id),
                );
            }
            None if count > cap => {
                return Err(ClientError::invalid(
                    "partition count",
                    format!(
                        "the broker reports {count} partitions for {topic}, more than the \
                         {MAX_DENSE_PARTITIONS} swmq reads at once; choose some with --partition"
                    ),
                ));
            }
            None => ids.extend(0..count as i32),
        }
        Ok(ids.into_iter().collect())
    }

    /// The requested partitions (validated, sorted, deduplicated), or all of them.
    pub(super) fn select(
        &self,
        topic: &TopicName,
        wanted: Option<&[i32]>,
    ) -> Result<Vec<i32>, ClientError> {
        let Some(wanted) = wanted else {
            return self.all(topic);
        };
        let count = if topic.is_channel() {
            1
        } else {
            self.count.max(1)
        };
        let listed = |p: i32| self.partition(p).is_some();
        let mut out = Vec::with_capacity(wanted.len());
        for &p in wanted {
            if p < 0 || (u32::try_from(p).is_ok_and(|q| q >= count) && !listed(p)) {
                return Err(crate::client::no_such_partition(topic, p, count as usize));
            }
            out.push(p);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

fn has_data(p: &PartitionInfo) -> bool {
    p.message_count.unwrap_or(0) > 0 || p.bytes.unwrap_or(0) > 0 || p.last_ts_ns.is_some()
}

/// Spawns the reader of partition `p` and returns its events.
pub(super) fn spawn_reader(
    client: &LegacyClient,
    topic: &Arc<TopicName>,
    p: i32,
    start: Start,
    snap: &Snapshot,
    follow: bool,
) -> mpsc::Receiver<PartEvent> {
    let (tx, rx) = mpsc::channel(PART_QUEUE);
    let reader = PartReader {
        client: client.clone(),
        topic: topic.clone(),
        partition: p,
        start,
        end: snap.end(p),
        closed: snap.closed(p),
        follow,
        tx,
    };
    tokio::spawn(reader.run());
    rx
}

/// Re-reads the partition set every [`REFRESH`] and hands a reader of every new partition
/// to the merger, until the merger is gone. A failed look-up (the broker restarting) is
/// tried again at the next refresh.
pub(super) async fn watch(
    client: LegacyClient,
    topic: Arc<TopicName>,
    start: Start,
    mut known: BTreeSet<i32>,
    added: mpsc::Sender<(i32, mpsc::Receiver<PartEvent>)>,
) {
    // A partition that appears later is read from its start (or from `--from`).
    let start = match start {
        Start::Latest(_) => Start::Earliest,
        s => s,
    };
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REFRESH) => {}
            _ = added.closed() => return,
        }
        let Ok(snap) = Snapshot::take(&client, &topic, true).await else {
            continue;
        };
        let Ok(ids) = snap.all(&topic) else {
            continue;
        };
        for p in ids {
            if !known.insert(p) {
                continue;
            }
            tracing::debug!(topic = %topic, partition = p, "a new partition appeared");
            let rx = spawn_reader(&client, &topic, p, start, &snap, true);
            if added.send((p, rx)).await.is_err() {
                return;
            }
        }
    }
}
