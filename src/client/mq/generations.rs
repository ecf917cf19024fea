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
//! How a follow read of all partitions notices, **without asking the broker in a loop**:
//! a first version looked the partition set up with `LookupTopicBrokers` every 2 s, and
//! one of those lookups, sent while a restarted `weed` had not started its lock client
//! yet, killed it (nil pointer in `isLockOwner`, docs/mq-4x-faults.md). Now the watcher
//! reads the topic's `topic.conf` from the filer every [`REFRESH`] (the filer is safe to
//! ask at any time; the file is small and stored inline) and compares the partitions it
//! lists with those being read. Only when it lists one not being read does the watcher
//! pass the client's readiness gate ([`MqClient::ready_after_fault`]: `FindBrokerLeader`
//! until the broker names a balancer, then a grace) and look the partition set up once,
//! then reads every partition it has not seen (by its ring range and generation, not by
//! its number: the new generation is numbered from 0 again) from its start (or the read's
//! `--from` time), merged in time order from then on. The old generation's readers go on;
//! they have nothing more to read.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::read::{PartitionRead, PartitionReadConfig, read_partition};
use super::{MqClient, Part};
use crate::client::merge::PartEvent;
use crate::client::{RingRange, TopicName};
use crate::time::TimeSpec;

/// How often a follow read of all partitions reads `topic.conf` from the filer.
pub(super) const REFRESH: Duration = Duration::from_secs(2);

/// How many look-ups a partition listed in `topic.conf` but not returned by
/// `LookupTopicBrokers` gets before the watcher stops asking about it (a `topic.conf`
/// this client reads differently from the broker must not become a look-up loop).
const TRIES: u32 = 5;

/// What identifies a partition across generations (its number does not).
pub(super) type Key = (i32, i32, i64);

/// The key of a looked-up partition.
pub(super) fn key(p: &Part) -> Key {
    let RingRange {
        range_start,
        range_stop,
        unix_time_ns,
        ..
    } = p.ring;
    (range_start, range_stop, unix_time_ns)
}

/// The partitions a `topic.conf` assigns (protojson of `ConfigureTopicResponse`: int64 as
/// a string or a number, lowerCamelCase or snake_case names); `None` when it is not JSON
/// of that shape.
pub(super) fn conf_keys(conf: &[u8]) -> Option<Vec<Key>> {
    use serde_json::Value as J;
    fn get<'a>(o: &'a J, camel: &str, snake: &str) -> Option<&'a J> {
        o.get(camel)
            .or_else(|| o.get(snake))
            .filter(|v| !v.is_null())
    }
    fn int(v: Option<&J>) -> Option<i64> {
        match v {
            None => Some(0), // protojson leaves zero values out unless asked not to
            Some(J::Number(n)) => n.as_i64(),
            Some(J::String(s)) => s.parse().ok(),
            Some(_) => None,
        }
    }
    let conf: J = serde_json::from_slice(conf).ok()?;
    let list = match get(
        &conf,
        "brokerPartitionAssignments",
        "broker_partition_assignments",
    ) {
        None => return Some(Vec::new()),
        Some(l) => l.as_array()?,
    };
    let mut keys = Vec::with_capacity(list.len());
    for a in list {
        let p = get(a, "partition", "partition")?;
        let start = int(get(p, "rangeStart", "range_start"))?;
        let stop = int(get(p, "rangeStop", "range_stop"))?;
        let time = int(get(p, "unixTimeNs", "unix_time_ns"))?;
        keys.push((i32::try_from(start).ok()?, i32::try_from(stop).ok()?, time));
    }
    Some(keys)
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
pub(super) fn spawn_reader(
    client: &MqClient,
    job: PartitionRead,
    cfg: PartitionReadConfig,
) -> mpsc::Receiver<PartEvent> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(read_partition(client.clone(), job, cfg, tx));
    rx
}

/// The partitions `topic.conf` lists that are not being read and still worth a look-up.
fn unseen(listed: &[Key], known: &HashSet<Key>, tries: &HashMap<Key, u32>) -> Vec<Key> {
    listed
        .iter()
        .filter(|k| !known.contains(*k) && tries.get(*k).is_none_or(|n| *n < TRIES))
        .copied()
        .collect()
}

/// Reads `topic.conf` every [`REFRESH`]; when it lists a partition not in `known`, waits
/// for the broker to be ready, looks the partition set up once and hands a reader of every
/// partition not in `known` to the merger; until the merger is gone. A filer that cannot
/// be asked, a broker not ready, a failed look-up: tried again at the next refresh.
pub(super) async fn watch(
    client: MqClient,
    template: PartitionRead,
    cfg: PartitionReadConfig,
    mut known: HashSet<Key>,
    added: mpsc::Sender<(i32, mpsc::Receiver<PartEvent>)>,
) {
    let topic: Arc<TopicName> = template.topic.clone();
    let dir = super::topic_dir(&topic);
    let mut tries: HashMap<Key, u32> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REFRESH) => {}
            _ = added.closed() => return,
        }
        let listed = match client.filer().lookup(&dir, "topic.conf").await {
            Ok(Some(e)) => conf_keys(&e.content).unwrap_or_default(),
            Ok(None) => continue, // deleted: the readers report that
            Err(e) => {
                tracing::debug!(topic = %topic, "topic.conf not read: {e}");
                continue;
            }
        };
        let wanted = unseen(&listed, &known, &tries);
        if wanted.is_empty() {
            continue;
        }
        tracing::debug!(topic = %topic, ?wanted, "topic.conf lists partitions not being read");
        if let Err(e) = client.ready_after_fault("").await {
            tracing::debug!(topic = %topic, "broker not ready for a look-up: {e}");
            continue;
        }
        let parts = match client.partitions(&topic).await {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(topic = %topic, "partition set not looked up: {e}");
                continue;
            }
        };
        for k in wanted {
            *tries.entry(k).or_default() += 1;
        }
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
            if added
                .send((part.index, spawn_reader(&client, job, cfg)))
                .await
                .is_err()
            {
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

    #[test]
    fn topic_conf_partitions_as_the_broker_writes_them() {
        // protojson with EmitUnpopulated (int64 as strings), as 4.48 writes topic.conf.
        let conf = br#"{
          "brokerPartitionAssignments": [
            {"partition": {"ringSize": 2520, "rangeStart": 0, "rangeStop": 1260,
              "unixTimeNs": "1764640000123456789"}, "leaderBroker": "127.0.0.1:17777",
              "followerBroker": ""},
            {"partition": {"ringSize": 2520, "rangeStart": 1260, "rangeStop": 2520,
              "unixTimeNs": "1764640000123456789"}, "leaderBroker": "", "followerBroker": ""}
          ],
          "recordType": null, "retention": {"retentionSeconds": "0", "enabled": false}
        }"#;
        assert_eq!(
            conf_keys(conf),
            Some(vec![
                (0, 1260, 1_764_640_000_123_456_789),
                (1260, 2520, 1_764_640_000_123_456_789)
            ])
        );
        // snake_case, numbers, zero values left out.
        let conf = br#"{"broker_partition_assignments": [{"partition": {"range_stop": 2520, "unix_time_ns": 5}}]}"#;
        assert_eq!(conf_keys(conf), Some(vec![(0, 2520, 5)]));
        assert_eq!(
            conf_keys(br#"{"brokerPartitionAssignments": []}"#),
            Some(vec![])
        );
        assert_eq!(conf_keys(b"{}"), Some(vec![]));
        for bad in [
            &b"not json"[..],
            br#"{"brokerPartitionAssignments": 3}"#,
            br#"{"brokerPartitionAssignments": [{"partition": {"rangeStart": "x"}}]}"#,
            br#"{"brokerPartitionAssignments": [{"partition": {"rangeStart": 4294967296}}]}"#,
            br#"{"brokerPartitionAssignments": [{}]}"#,
        ] {
            assert_eq!(conf_keys(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn only_unread_partitions_with_tries_left_are_looked_up() {
        let known: HashSet<Key> = [(0, 1260, 1), (1260, 2520, 1)].into();
        let listed = [(0, 1260, 1), (0, 630, 2), (630, 1260, 2)];
        let mut tries = HashMap::new();
        assert_eq!(
            unseen(&listed, &known, &tries),
            [(0, 630, 2), (630, 1260, 2)]
        );
        tries.insert((0, 630, 2), TRIES);
        tries.insert((630, 1260, 2), TRIES - 1);
        assert_eq!(unseen(&listed, &known, &tries), [(630, 1260, 2)]);
        assert!(unseen(&listed[..1], &known, &tries).is_empty());
    }
}
