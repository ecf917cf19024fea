//! Whether a 4.x topic was consumed. 4.x has no channels and no close message; there a
//! topic is consumed by a consumer group when the group's committed position reached the
//! end (the high-water mark) of every partition.
//!
//! The positions are those `swmq groups` reads ([`super::groups`]):
//! - a native group's `consumers/<group>.offset` holds the timestamp of the newest record up
//!   to which the subscriber acknowledged everything (`GetOldestAckedTimestamp` in the
//!   broker's `SubscribeMessage`), saved when the subscriber leaves. It reached the end of
//!   a partition when that timestamp is at least the partition's last record's;
//! - a Kafka-gateway group's offset is the next one to read: it reached the end when it is
//!   at least the high-water mark.
//!
//! A partition without records is read by every group. The answer is
//! [`Consumed::Unknown`] where it cannot be told: the filer could not be listed, or a
//! partition holds records whose last timestamp (or high-water mark) is unknown. With no
//! group at all a topic is [`Consumed::No`]: nobody committed a position in it.
//!
//! The groups are given to the client API as [`SubscriberInfo`]s of each partition (`id`:
//! the group, `last_delivered_ts_ns`: a native group's committed timestamp,
//! `last_seen_ns`: when it committed); those that consumed the whole topic carry
//! `close_received_at_ns` (their commit time), so that [`TopicInfo::consumer`] names them.

use super::groups::{Found, GroupKind};
use crate::client::{Consumed, PartitionInfo, SubscriberInfo, TopicInfo};

/// Whether `f`'s group reached the end of partition `p` (`None`: cannot tell).
fn reached_end(p: &PartitionInfo, f: Option<&Found>) -> Option<bool> {
    if p.message_count == Some(0) {
        return Some(true);
    }
    let f = f?;
    match f.kind {
        GroupKind::Kafka => p.message_count.map(|hwm| f.value >= hwm as i64),
        _ => p.last_ts_ns.map(|last| f.value >= last),
    }
}

/// Whether group `name` of `kind` consumed every partition (`None`: cannot tell).
fn group_consumed(
    info: &TopicInfo,
    positions: &[Vec<Found>],
    name: &str,
    kind: GroupKind,
) -> Option<bool> {
    let mut unknown = false;
    for (i, p) in info.partitions.iter().enumerate() {
        let f = positions
            .get(i)
            .and_then(|v| v.iter().find(|f| f.group == name && f.kind == kind));
        match (reached_end(p, f), f) {
            (Some(true), _) => {}
            (Some(false), _) => return Some(false),
            // A partition with records this group never committed in: not read by it.
            (None, None) if p.last_ts_ns.is_some() || p.message_count.is_some() => {
                return Some(false);
            }
            (None, _) => unknown = true,
        }
    }
    (!unknown).then_some(true)
}

/// Sets the consumed state and the groups of every partition of `info` from the committed
/// positions of each partition (`positions[i]` for `info.partitions[i]`; `None`: they
/// could not be read).
pub(crate) fn settle(info: &mut TopicInfo, positions: Vec<Option<Vec<Found>>>) {
    let readable =
        positions.len() == info.partitions.len() && positions.iter().all(Option::is_some);
    let positions: Vec<Vec<Found>> = positions
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let mut groups: Vec<(String, GroupKind)> = positions
        .iter()
        .flatten()
        .map(|f| (f.group.clone(), f.kind))
        .collect();
    groups.sort();
    groups.dedup();
    let verdicts: Vec<Option<bool>> = groups
        .iter()
        .map(|(n, k)| group_consumed(info, &positions, n, *k))
        .collect();
    let state = if info.partitions.is_empty() {
        Consumed::Unknown
    } else if verdicts.contains(&Some(true)) {
        Consumed::Yes
    } else if readable && verdicts.iter().all(|v| *v == Some(false)) {
        Consumed::No
    } else {
        Consumed::Unknown
    };
    for (i, p) in info.partitions.iter_mut().enumerate() {
        p.consumed = state;
        p.subscribers = positions
            .get(i)
            .into_iter()
            .flatten()
            .map(|f| {
                let done = groups
                    .iter()
                    .zip(&verdicts)
                    .any(|((n, k), v)| *n == f.group && *k == f.kind && *v == Some(true));
                SubscriberInfo {
                    id: f.group.clone(),
                    last_seen_ns: f.committed_at_ns.unwrap_or(0),
                    last_delivered_ts_ns: (f.kind == GroupKind::Native).then_some(f.value),
                    close_received_at_ns: done.then(|| f.committed_at_ns.unwrap_or(1).max(1)),
                    ..Default::default()
                }
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;

    fn part(count: Option<u64>, last: Option<i64>) -> PartitionInfo {
        PartitionInfo {
            message_count: count,
            last_ts_ns: last,
            ..Default::default()
        }
    }

    fn pos(group: &str, partition: usize, value: i64, at: i64) -> Found {
        Found {
            group: group.into(),
            kind: GroupKind::Native,
            partition,
            value,
            committed_at_ns: Some(at),
        }
    }

    fn topic(parts: Vec<PartitionInfo>) -> TopicInfo {
        let mut t = TopicInfo::bare(TopicName::parse("ns/t").unwrap());
        t.partitions = parts;
        t
    }

    #[test]
    fn a_group_at_the_end_of_every_partition_consumed_the_topic() {
        let mut t = topic(vec![part(Some(10), Some(100)), part(Some(0), None)]);
        settle(
            &mut t,
            vec![
                Some(vec![pos("audit", 0, 100, 7), pos("billing", 0, 60, 9)]),
                Some(vec![]),
            ],
        );
        assert_eq!(t.consumed(), Consumed::Yes);
        assert_eq!(t.consumer().unwrap().id, "audit");
        assert_eq!(t.consumer().unwrap().close_received_at_ns, Some(7));
        let billing = &t.partitions[0].subscribers[1];
        assert_eq!(
            (billing.id.as_str(), billing.received_close()),
            ("billing", false)
        );
        assert_eq!(billing.last_delivered_ts_ns, Some(60));
    }

    #[test]
    fn half_read_none_and_split_groups_are_not_consumed() {
        let two = || vec![part(Some(5), Some(50)), part(Some(5), Some(80))];
        let mut t = topic(two());
        settle(
            &mut t,
            vec![
                Some(vec![pos("g", 0, 30, 1)]),
                Some(vec![pos("g", 1, 80, 1)]),
            ],
        );
        assert_eq!(t.consumed(), Consumed::No);
        // One group at the end of each partition is not one group at the end of both.
        let mut t = topic(two());
        settle(
            &mut t,
            vec![
                Some(vec![pos("a", 0, 50, 1)]),
                Some(vec![pos("b", 1, 80, 1)]),
            ],
        );
        assert_eq!(t.consumed(), Consumed::No);
        assert!(t.consumer().is_none());
        let mut t = topic(two());
        settle(&mut t, vec![Some(vec![]), Some(vec![])]);
        assert_eq!(t.consumed(), Consumed::No);
    }

    #[test]
    fn what_cannot_be_read_is_unknown() {
        let mut t = topic(vec![part(Some(5), Some(50))]);
        settle(&mut t, vec![None]);
        assert_eq!(t.consumed(), Consumed::Unknown);
        // Records whose last timestamp is unknown: the group may or may not be at the end.
        let mut t = topic(vec![part(None, None)]);
        settle(&mut t, vec![Some(vec![pos("g", 0, 50, 1)])]);
        assert_eq!(t.consumed(), Consumed::Unknown);
        let mut t = topic(vec![]);
        settle(&mut t, vec![]);
        assert_eq!(t.consumed(), Consumed::Unknown);
    }

    #[test]
    fn a_kafka_group_compares_its_offset_with_the_high_water_mark() {
        let kafka = |value| Found {
            kind: GroupKind::Kafka,
            ..pos("k", 0, value, 3)
        };
        let mut t = topic(vec![part(Some(12), Some(999))]);
        settle(&mut t, vec![Some(vec![kafka(11)])]);
        assert_eq!(t.consumed(), Consumed::No);
        settle(&mut t, vec![Some(vec![kafka(12)])]);
        assert_eq!(t.consumed(), Consumed::Yes);
        assert_eq!(t.partitions[0].subscribers[0].last_delivered_ts_ns, None);
    }
}
