//! Partitions that appear while a 4.x follow read runs: a topic re-configured with another
//! partition count (`swmq topic alter --partitions N --new-generation`, `ConfigureTopic`,
//! `weed shell mq.topic.configure`) starts a new generation, new ring ranges with a new
//! `unix_time_ns`, and the brokers serve only those from then on; publishers write there.
//!
//! What 4.48 does (`weed/mq/broker/broker_grpc_configure.go`, see docs/mq-4x-reading.md):
//! the balancer drains the old generation's partitions (each broker shuts its local
//! partition down, which flushes its in-memory records to the filer under the old
//! `v…` directory), writes the new assignments to `topic.conf`, invalidates its lookup
//! cache and assigns the new partitions. So the old generation is complete on disk, and
//! a reader of it already has (or still reads from its files) every record of it.
//!
//! A follow read of all partitions therefore looks the partition set up again every
//! [`REFRESH`] and reads every partition it has not seen (by its ring range and
//! generation, not by its number: the new generation is numbered from 0 again) from its
//! start (or the read's `--from` time), merged in time order from then on. The old
//! generation's readers go on; they have nothing more to read.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::read::{PartitionRead, PartitionReadConfig, read_partition};
use super::{MqClient, Part};
use crate::client::merge::PartEvent;
use crate::client::{ClientError, RingRange, TopicName};
use crate::time::TimeSpec;

/// How often a follow read of all partitions looks the partition set up again.
pub const REFRESH: Duration = Duration::from_secs(2);

/// What identifies a partition across generations (its number does not).
pub(super) fn key(p: &Part) -> (i32, i32, i64) {
    let RingRange {
        range_start,
        range_stop,
        unix_time_ns,
        ..
    } = p.ring;
    (range_start, range_stop, unix_time_ns)
}

/// Where a partition that appears during a read starts: its whole history, unless the read
/// starts at a time (a new generation's records are all newer than the read's start).
pub(super) fn start_of_new(from: TimeSpec) -> TimeSpec {
    match from {
        TimeSpec::Latest => TimeSpec::Earliest,
        s => s,
    }
}

/// Spawns the reader of one partition and returns its events.
pub(super) async fn spawn_reader(
    client: &MqClient,
    job: PartitionRead,
    cfg: PartitionReadConfig,
) -> mpsc::Receiver<PartEvent> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(read_partition(client.clone(), job, cfg, tx));
    rx
}

/// Looks the partition set up every [`REFRESH`] and hands a reader of every partition not
/// in `known` to the merger, until the merger is gone. A failed look-up (a broker
/// restarting, the topic deleted: its readers report that) is tried again at the next
/// refresh.
pub(super) async fn watch(
    client: MqClient,
    template: PartitionRead,
    cfg: PartitionReadConfig,
    mut known: HashSet<(i32, i32, i64)>,
    added: mpsc::Sender<(i32, mpsc::Receiver<PartEvent>)>,
) {
    let topic: Arc<TopicName> = template.topic.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REFRESH) => {}
            _ = added.closed() => return,
        }
        let parts = match client.partitions(&topic).await {
            Ok(p) => p,
            Err(e) => {
                if !matches!(e, ClientError::TopicNotFound(_)) {
                    tracing::debug!(topic = %topic, "partition set not looked up: {e}");
                }
                continue;
            }
        };
        for part in parts {
            if !known.insert(key(&part)) {
                continue;
            }
            tracing::debug!(
                topic = %topic,
                partition = part.index,
                generation = part.ring.unix_time_ns,
                "a new partition appeared (a new generation)"
            );
            let count = client.range_info(&topic, &part).await.ok();
            let job = PartitionRead {
                part: part.clone(),
                from: start_of_new(template.from),
                count_at_start: count.map(|r| r.record_count.max(r.high_water_mark)),
                ..template.clone()
            };
            let rx = spawn_reader(&client, job, cfg).await;
            if added.send((part.index, rx)).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_partition_of_a_latest_read_is_read_from_its_start() {
        assert_eq!(start_of_new(TimeSpec::Latest), TimeSpec::Earliest);
        assert_eq!(start_of_new(TimeSpec::Earliest), TimeSpec::Earliest);
        assert_eq!(start_of_new(TimeSpec::At(7)), TimeSpec::At(7));
    }

    #[test]
    fn generations_are_told_apart_by_range_and_time_not_number() {
        let part = |index, start, stop, generation| Part {
            index,
            ring: RingRange {
                ring_size: 2520,
                range_start: start,
                range_stop: stop,
                unix_time_ns: generation,
            },
            leader: String::new(),
        };
        let old = part(0, 0, 1260, 1);
        let new = part(0, 0, 630, 2);
        let same_range_new_gen = part(0, 0, 1260, 2);
        assert_ne!(key(&old), key(&new));
        assert_ne!(key(&old), key(&same_range_new_gen));
        assert_eq!(key(&old), key(&part(1, 0, 1260, 1)));
    }
}
