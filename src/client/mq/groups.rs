//! Consumer groups of a 4.x topic and their lag (`seaweedfs-4x.md`, "Consumer groups").
//!
//! No RPC lists groups; they are found in the filer:
//! - native groups: `/topics/<ns>/<topic>/<version>/<range>/consumers/<group>.offset`, JSON
//!   `{"type":"offset","value":<ts ns>,"offset_type":…,"committed_at":<ms>}` written by the
//!   broker when a subscriber with `follower_broker` set leaves; `value` is the timestamp of
//!   the newest message up to which everything was acknowledged (`weed/mq/broker/
//!   broker_grpc_sub.go`: `GetOldestAckedTimestamp`);
//! - Kafka-gateway groups: `/topics/kafka/.meta/consumer_offsets/<group>/<topic>/<p>/offset`,
//!   JSON with a real Kafka offset (the next one to read); Kafka partition `i` is the `i`-th
//!   ring range.
//!
//! Live members come from `GetTopicSubscribers` on every broker that leads a partition;
//! 4.48 forwards each call to the balancer, which answers for its own partitions only, so
//! with several leaders the members of the others' partitions are unknown (a note says so).
//! The lag of a native group is counted: the records of the partition stamped after the
//! committed timestamp (read once per partition for all its groups, from the oldest
//! committed position, up to [`COUNT_CAP`] records);
//! the committed offset is then `high-water mark − lag`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::logs::partition_dir;
use super::{MqClient, Part, pb_topic};
use crate::client::filer::{FilerClient, entry_mtime_ns, join};
use crate::client::{ClientError, ReadEvent, ReadSpec, TopicName};
use crate::proto::mq::messaging_pb::GetTopicSubscribersRequest;
use crate::time::TimeSpec;

/// Where the Kafka gateway keeps committed offsets.
pub const KAFKA_OFFSETS_DIR: &str = "/topics/kafka/.meta/consumer_offsets";

/// Records counted at most per partition to find a lag (beyond: the lag is "at least").
pub const COUNT_CAP: u64 = 2_000_000;

/// Time allowed to count one partition's records after a committed position.
const COUNT_TIMEOUT: Duration = Duration::from_secs(30);

/// Time allowed to `GetTopicSubscribers` on one broker.
const MEMBERS_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a group's positions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    /// A 4.x subscriber with `follower_broker` set (`consumers/<group>.offset`).
    Native,
    /// The Kafka gateway (`/topics/kafka/.meta/consumer_offsets`).
    Kafka,
    /// Only seen live (no committed position yet).
    Live,
}

impl GroupKind {
    /// `native`, `kafka`, `live`.
    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Native => "native",
            GroupKind::Kafka => "kafka",
            GroupKind::Live => "live",
        }
    }
}

/// One partition of a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupPartition {
    /// The partition number.
    pub partition: i32,
    /// The committed offset: the next record the group reads (native: derived).
    pub committed_offset: Option<i64>,
    /// The timestamp of the last record the committed position covers (native groups).
    pub committed_ts_ns: Option<i64>,
    /// When the position was committed.
    pub committed_at_ns: Option<i64>,
    /// The partition's high-water mark (`GetPartitionRangeInfo`).
    pub high_water_mark: Option<i64>,
    /// Records not yet consumed.
    pub lag: Option<u64>,
    /// `true` when the lag was not counted to its end ([`COUNT_CAP`], time): at least `lag`.
    pub lag_at_least: bool,
}

/// A live subscriber of a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMember {
    /// Its consumer id.
    pub consumer_id: String,
    /// Its client id.
    pub client_id: String,
    /// The partition it reads.
    pub partition: Option<i32>,
    /// The broker serving it.
    pub broker: String,
    /// The timestamp it reached (ns; 0 when not reported).
    pub current_ts_ns: i64,
    /// When it connected.
    pub connected_ns: i64,
}

/// A consumer group of a topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumerGroup {
    /// Its name.
    pub name: String,
    /// Where its positions are kept.
    pub kind: GroupKind,
    /// Its partitions (those with a committed position, or read by a live member).
    pub partitions: Vec<GroupPartition>,
    /// Its live members.
    pub members: Vec<GroupMember>,
}

impl ConsumerGroup {
    /// The total lag (`None` when no partition's lag is known).
    pub fn lag(&self) -> Option<u64> {
        let lags: Vec<u64> = self.partitions.iter().filter_map(|p| p.lag).collect();
        (!lags.is_empty()).then(|| lags.iter().sum())
    }

    /// The last commit time over its partitions.
    pub fn last_commit_ns(&self) -> Option<i64> {
        self.partitions
            .iter()
            .filter_map(|p| p.committed_at_ns)
            .max()
    }

    /// Whether it committed every partition of `partition_count` at its high-water mark.
    pub fn caught_up(&self, partition_count: usize) -> bool {
        let done = self
            .partitions
            .iter()
            .filter(|p| p.lag == Some(0) && p.committed_offset.is_some())
            .count();
        partition_count > 0 && done == partition_count
    }
}

/// Every consumer group of a topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicGroups {
    /// The topic.
    pub topic: TopicName,
    /// Its partition count.
    pub partitions: usize,
    /// Its groups, largest lag first.
    pub groups: Vec<ConsumerGroup>,
    /// What could not be found out (a broker that did not answer, …).
    pub notes: Vec<String>,
}

/// The JSON of a `consumers/<group>.offset` or Kafka `offset` file.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PositionFile {
    #[serde(default, rename = "type")]
    pub kind: String,
    pub value: i64,
    #[serde(default)]
    pub committed_at: i64,
}

/// Parses an offset file; `None` (with a warning) for anything else.
pub(crate) fn parse_position(bytes: &[u8]) -> Option<PositionFile> {
    match serde_json::from_slice::<PositionFile>(bytes) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("unreadable consumer offset file: {e}");
            None
        }
    }
}

/// A committed position as found in the filer, before its lag is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub group: String,
    pub kind: GroupKind,
    /// The index of the partition in `partitions()` order.
    pub partition: usize,
    /// Native: timestamp; Kafka: offset.
    pub value: i64,
    /// When committed: the file's `committed_at`, else the entry's mtime.
    pub committed_at_ns: Option<i64>,
}

fn committed_at(p: &PositionFile, e: &crate::proto::filer::Entry) -> Option<i64> {
    if p.committed_at > 0 {
        p.committed_at.checked_mul(1_000_000)
    } else {
        entry_mtime_ns(e)
    }
}

/// The bytes of a small file (inline content; the offset files are).
async fn content(filer: &FilerClient, dir: &str, e: &crate::proto::filer::Entry) -> Vec<u8> {
    if !e.content.is_empty() {
        return e.content.to_vec();
    }
    match filer.lookup(dir, &e.name).await {
        Ok(Some(full)) => full.content.to_vec(),
        _ => Vec::new(),
    }
}

impl MqClient {
    /// Every consumer group of `topic` with its committed positions, lag and live members.
    pub async fn groups(&self, topic: &TopicName) -> Result<TopicGroups, ClientError> {
        let parts = self.partitions(topic).await?;
        let mut notes = Vec::new();
        let mut found = self.native_positions(topic, &parts).await?;
        if topic.namespace == "kafka" {
            found.extend(self.kafka_positions(topic, parts.len()).await?);
        }
        let hwms = self.high_water_marks(topic, &parts).await;
        let members = self.live_members(topic, &parts, &mut notes).await;
        let leaders: std::collections::BTreeSet<&str> = parts
            .iter()
            .map(|p| p.leader.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        if leaders.len() > 1 {
            notes.push(
                "live members: only those of the balancer's partitions (SeaweedFS 4.48 \
                 forwards GetTopicSubscribers to the balancer, which lists its own partitions)"
                    .into(),
            );
        }
        let mut groups: BTreeMap<String, ConsumerGroup> = BTreeMap::new();
        for (i, part) in parts.iter().enumerate() {
            let here: Vec<&Found> = found.iter().filter(|f| f.partition == i).collect();
            let native: Vec<i64> = here
                .iter()
                .filter(|f| f.kind == GroupKind::Native)
                .map(|f| f.value)
                .collect();
            let after = match native.iter().min() {
                Some(&from) => Some(self.stamps_after(topic, part, from).await),
                None => None,
            };
            for f in here {
                let gp = group_partition(f, part, hwms[i], &after, &mut notes);
                let g = groups
                    .entry(format!("{}\u{0}{}", f.kind.label(), f.group))
                    .or_insert_with(|| ConsumerGroup {
                        name: f.group.clone(),
                        kind: f.kind,
                        partitions: Vec::new(),
                        members: Vec::new(),
                    });
                g.partitions.push(gp);
            }
        }
        attach_members(&mut groups, members);
        notes.dedup();
        let mut groups: Vec<ConsumerGroup> = groups.into_values().collect();
        groups.sort_by(|a, b| b.lag().cmp(&a.lag()).then(a.name.cmp(&b.name)));
        Ok(TopicGroups {
            topic: topic.clone(),
            partitions: parts.len(),
            groups,
            notes,
        })
    }

    /// The `consumers/<group>.offset` files of every partition.
    async fn native_positions(
        &self,
        topic: &TopicName,
        parts: &[Part],
    ) -> Result<Vec<Found>, ClientError> {
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            out.extend(self.native_positions_of(topic, p, i).await?);
        }
        Ok(out)
    }

    /// The `consumers/<group>.offset` files of one partition (`index`: its place in
    /// `parts`).
    pub(crate) async fn native_positions_of(
        &self,
        topic: &TopicName,
        part: &Part,
        index: usize,
    ) -> Result<Vec<Found>, ClientError> {
        let mut out = Vec::new();
        let dir = join(&partition_dir(topic, part), "consumers");
        for e in self.filer.list_entries(&dir).await? {
            let Some(group) = e.name.strip_suffix(".offset") else {
                continue;
            };
            if e.is_directory || group.is_empty() {
                continue;
            }
            let Some(pos) = parse_position(&content(&self.filer, &dir, &e).await) else {
                continue;
            };
            out.push(Found {
                group: group.to_string(),
                kind: GroupKind::Native,
                partition: index,
                value: pos.value,
                committed_at_ns: committed_at(&pos, &e),
            });
        }
        Ok(out)
    }

    /// The Kafka gateway's committed offsets of `kafka/<topic>`.
    pub(crate) async fn kafka_positions(
        &self,
        topic: &TopicName,
        partitions: usize,
    ) -> Result<Vec<Found>, ClientError> {
        let mut out = Vec::new();
        for g in self.filer.list_entries(KAFKA_OFFSETS_DIR).await? {
            if !g.is_directory {
                continue;
            }
            let tdir = join(&join(KAFKA_OFFSETS_DIR, &g.name), &topic.name);
            for p in self.filer.list_entries(&tdir).await? {
                let Ok(i) = p.name.parse::<usize>() else {
                    continue;
                };
                if !p.is_directory || i >= partitions {
                    continue;
                }
                let pdir = join(&tdir, &p.name);
                let Some(e) = self.filer.lookup(&pdir, "offset").await? else {
                    continue;
                };
                let Some(pos) = parse_position(&content(&self.filer, &pdir, &e).await) else {
                    continue;
                };
                if pos.kind == "timestamp" {
                    tracing::debug!("kafka group {} holds a timestamp position", g.name);
                }
                out.push(Found {
                    group: g.name.clone(),
                    kind: GroupKind::Kafka,
                    partition: i,
                    value: pos.value,
                    committed_at_ns: committed_at(&pos, &e),
                });
            }
        }
        Ok(out)
    }

    /// Each partition's high-water mark (`None`: unknown).
    async fn high_water_marks(&self, topic: &TopicName, parts: &[Part]) -> Vec<Option<i64>> {
        let hwms = futures::future::join_all(parts.iter().map(|p| self.range_info(topic, p))).await;
        hwms.into_iter()
            .map(|r| r.ok().map(|r| r.high_water_mark).filter(|h| *h >= 0))
            .collect()
    }

    /// The timestamps of `part`'s records stamped after `ts_ns`, and whether all were
    /// counted (not cut by [`COUNT_CAP`] or [`COUNT_TIMEOUT`]).
    async fn stamps_after(
        &self,
        topic: &TopicName,
        part: &Part,
        ts_ns: i64,
    ) -> Result<(Vec<i64>, bool), ClientError> {
        let spec = ReadSpec {
            from: TimeSpec::At(ts_ns.saturating_add(1)),
            until: None,
            partitions: Some(vec![part.index]),
            follow: false,
        };
        let mut stream = self.read(topic, spec).await?;
        let mut stamps = Vec::new();
        let counted = tokio::time::timeout(COUNT_TIMEOUT, async {
            while let Some(ev) = stream.next().await {
                if let ReadEvent::Records(rs) = ev? {
                    stamps.extend(rs.iter().map(|r| r.ts_ns).filter(|&t| t > ts_ns));
                    if stamps.len() as u64 >= COUNT_CAP {
                        return Ok(false);
                    }
                }
            }
            Ok::<bool, ClientError>(true)
        })
        .await;
        match counted {
            Ok(Ok(done)) => Ok((stamps, done)),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok((stamps, false)),
        }
    }

    /// `GetTopicSubscribers` on every broker that leads a partition (swmq's own readers
    /// left out).
    async fn live_members(
        &self,
        topic: &TopicName,
        parts: &[Part],
        notes: &mut Vec<String>,
    ) -> Vec<(String, GroupMember)> {
        let addrs = self.leader_addrs(parts);
        let calls = addrs.iter().map(|a| async move {
            let mut b = self.broker_for(a).await;
            let req = GetTopicSubscribersRequest {
                topic: Some(pb_topic(topic)),
            };
            let r = tokio::time::timeout(MEMBERS_TIMEOUT, b.get_topic_subscribers(req)).await;
            (a.clone(), r)
        });
        let mut out: Vec<(String, GroupMember)> = Vec::new();
        for (addr, r) in futures::future::join_all(calls).await {
            let subs = match r {
                Ok(Ok(r)) => r.into_inner().subscribers,
                Ok(Err(s)) => {
                    notes.push(format!(
                        "broker {addr}: subscribers unknown: {}",
                        s.message()
                    ));
                    continue;
                }
                Err(_) => {
                    notes.push(format!("broker {addr}: subscribers unknown: timed out"));
                    continue;
                }
            };
            for s in subs {
                if s.consumer_group.starts_with("swmq-inspect-") {
                    continue;
                }
                let partition = s.partition.as_ref().and_then(|sp| {
                    parts
                        .iter()
                        .find(|p| {
                            p.ring.range_start == sp.range_start
                                && p.ring.range_stop == sp.range_stop
                        })
                        .map(|p| p.index)
                });
                let m = GroupMember {
                    consumer_id: s.consumer_id,
                    client_id: s.client_id,
                    partition,
                    broker: if s.broker.is_empty() {
                        addr.clone()
                    } else {
                        s.broker
                    },
                    current_ts_ns: s.current_offset,
                    connected_ns: s.connect_time_ns,
                };
                if !out.iter().any(|(g, o)| *g == s.consumer_group && *o == m) {
                    out.push((s.consumer_group, m));
                }
            }
        }
        out
    }
}

/// Adds live members to their groups (native or Kafka by name), making `Live` groups for
/// those without a committed position.
fn attach_members(
    groups: &mut BTreeMap<String, ConsumerGroup>,
    members: Vec<(String, GroupMember)>,
) {
    for (name, m) in members {
        let key = [GroupKind::Native, GroupKind::Kafka]
            .iter()
            .map(|k| format!("{}\u{0}{name}", k.label()))
            .find(|k| groups.contains_key(k))
            .unwrap_or_else(|| format!("{}\u{0}{name}", GroupKind::Live.label()));
        let g = groups.entry(key).or_insert_with(|| ConsumerGroup {
            name: name.clone(),
            kind: GroupKind::Live,
            partitions: Vec::new(),
            members: Vec::new(),
        });
        g.members.push(m);
    }
}

/// One group's position in one partition, with its lag: a Kafka group's by offsets, a
/// native one's by the stamps after the oldest native position (`after`: those stamps,
/// and whether they are all of them); a lag that could not be counted is said in `notes`.
fn group_partition(
    f: &Found,
    part: &Part,
    hwm: Option<i64>,
    after: &Option<Result<(Vec<i64>, bool), ClientError>>,
    notes: &mut Vec<String>,
) -> GroupPartition {
    let mut gp = GroupPartition {
        partition: part.index,
        committed_at_ns: f.committed_at_ns,
        high_water_mark: hwm,
        ..Default::default()
    };
    match f.kind {
        GroupKind::Kafka => {
            gp.committed_offset = Some(f.value);
            gp.lag = hwm.map(|h| h.saturating_sub(f.value).max(0) as u64);
        }
        _ => {
            gp.committed_ts_ns = Some(f.value);
            if let Some(Ok((stamps, complete))) = after {
                let lag = stamps.iter().filter(|&&t| t > f.value).count() as u64;
                gp.lag = Some(lag);
                gp.lag_at_least = !complete;
                gp.committed_offset = hwm.map(|h| h.saturating_sub(lag as i64).max(0));
            } else if let Some(Err(e)) = after {
                notes.push(format!("partition {}: lag not counted: {e}", part.index));
            }
        }
    }
    gp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_brokers_and_the_gateways_files() {
        let native = br#"{"type":"offset","value":1796147247866453578,"offset_type":"EXACT_OFFSET","committed_at":1764620000000,"metadata":""}"#;
        let p = parse_position(native).unwrap();
        assert_eq!(p.value, 1796147247866453578);
        assert_eq!(p.committed_at, 1764620000000);
        let kafka = br#"{"type":"offset","value":42,"committed_at":0,"metadata":"m"}"#;
        assert_eq!(parse_position(kafka).unwrap().value, 42);
        assert!(parse_position(b"not json").is_none());
        assert!(parse_position(br#"{"type":"offset"}"#).is_none());
    }

    fn gp(lag: Option<u64>, committed: Option<i64>, at: Option<i64>) -> GroupPartition {
        GroupPartition {
            lag,
            committed_offset: committed,
            committed_at_ns: at,
            ..Default::default()
        }
    }

    #[test]
    fn a_group_sums_its_lag_and_is_caught_up_only_on_every_partition() {
        let mut g = ConsumerGroup {
            name: "g".into(),
            kind: GroupKind::Native,
            partitions: vec![
                gp(Some(0), Some(5), Some(10)),
                gp(Some(3), Some(2), Some(20)),
            ],
            members: Vec::new(),
        };
        assert_eq!(g.lag(), Some(3));
        assert_eq!(g.last_commit_ns(), Some(20));
        assert!(!g.caught_up(2));
        g.partitions[1] = gp(Some(0), Some(5), None);
        assert!(g.caught_up(2));
        assert!(
            !g.caught_up(3),
            "a partition without a commit is not consumed"
        );
        g.partitions.clear();
        assert_eq!(g.lag(), None);
        assert!(!g.caught_up(0));
    }

    #[test]
    fn live_members_join_their_group_or_make_a_live_one() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "native\u{0}g1".to_string(),
            ConsumerGroup {
                name: "g1".into(),
                kind: GroupKind::Native,
                partitions: Vec::new(),
                members: Vec::new(),
            },
        );
        let m = GroupMember {
            consumer_id: "c".into(),
            client_id: "x".into(),
            partition: Some(0),
            broker: "b:1".into(),
            current_ts_ns: 0,
            connected_ns: 0,
        };
        attach_members(
            &mut groups,
            vec![("g1".into(), m.clone()), ("g2".into(), m)],
        );
        assert_eq!(groups["native\u{0}g1"].members.len(), 1);
        assert_eq!(groups["live\u{0}g2"].kind, GroupKind::Live);
    }
}
