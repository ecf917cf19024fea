//! Conversions from the admin extension's statistics (`swmq.admin.v1`).

use crate::client::{PartitionInfo, TopicInfo, TopicName};
use crate::proto::admin as adm;

/// The most partitions a topic's `partition_count` may claim before only the partitions
/// the server lists are shown (the embedded broker allows 4096): a hostile count of
/// 2147483647 never allocates one entry per partition.
pub(super) const MAX_DENSE_PARTITIONS: i32 = 4096;

/// A topic as the admin service describes it: partitions `0..partition_count` (those the
/// service left out are empty) when the count is at most [`MAX_DENSE_PARTITIONS`], plus
/// every listed partition, sorted by id. Negative ids and duplicates are dropped.
pub(super) fn topic_info(t: adm::TopicStats) -> TopicInfo {
    // Names come from the broker; they are shown escaped (and marked when invalid).
    let name = TopicName {
        namespace: t.namespace,
        name: t.topic,
    };
    let dense = if (1..=MAX_DENSE_PARTITIONS).contains(&t.partition_count) {
        t.partition_count
    } else {
        0
    };
    let mut partitions: Vec<PartitionInfo> = (0..dense)
        .map(|id| PartitionInfo {
            id,
            message_count: Some(0),
            bytes: Some(0),
            ..Default::default()
        })
        .collect();
    let mut extra = Vec::new();
    for p in t.partitions {
        match usize::try_from(p.partition) {
            Err(_) => {} // a negative partition number: not a partition
            Ok(i) if i < partitions.len() => partitions[i] = partition_info(&p),
            Ok(_) => extra.push(partition_info(&p)),
        }
    }
    extra.sort_by_key(|p| p.id);
    extra.dedup_by_key(|p| p.id);
    partitions.extend(extra);
    TopicInfo {
        name,
        partitions,
        publishers: None,
        subscribers: None,
    }
}

fn partition_info(p: &adm::PartitionStats) -> PartitionInfo {
    let ts = |v: i64| (v != 0).then_some(v);
    PartitionInfo {
        id: p.partition,
        ring: None,
        leader: None,
        message_count: Some(p.message_count),
        bytes: Some(p.bytes),
        first_ts_ns: ts(p.first_ts_ns),
        last_ts_ns: ts(p.last_ts_ns),
        closed: p.closed,
        consumed: crate::client::consumed_from_wire(p.consumed),
        subscribers: p.subscribers.iter().cloned().map(Into::into).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_missing_partitions_and_maps_zero_times_to_none() {
        let t = adm::TopicStats {
            namespace: "ns".into(),
            topic: "t".into(),
            partition_count: 3,
            partitions: vec![adm::PartitionStats {
                partition: 1,
                message_count: 5,
                bytes: 50,
                first_ts_ns: 10,
                last_ts_ns: 20,
                closed: true,
                ..Default::default()
            }],
        };
        let info = topic_info(t);
        assert_eq!(info.name.to_string(), "ns/t");
        assert_eq!(info.partitions.len(), 3);
        assert_eq!(info.partitions[0].message_count, Some(0));
        assert_eq!(info.partitions[0].first_ts_ns, None);
        assert_eq!(info.partitions[1].last_ts_ns, Some(20));
        assert!(info.partitions[1].closed);
        assert_eq!(info.message_count(), Some(5));
        assert_eq!(info.bytes(), Some(50));
    }

    #[test]
    fn hostile_partition_counts_and_numbers_are_bounded() {
        let stats = |partition| adm::PartitionStats {
            partition,
            message_count: 1,
            bytes: 1,
            first_ts_ns: 1,
            last_ts_ns: 2,
            closed: false,
            ..Default::default()
        };
        let t = adm::TopicStats {
            namespace: "ns".into(),
            topic: "t".into(),
            partition_count: i32::MAX,
            partitions: vec![stats(i32::MAX), stats(-5), stats(100_000), stats(100_000)],
        };
        let info = topic_info(t);
        let ids: Vec<i32> = info.partitions.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![100_000, i32::MAX]);
        assert_eq!(info.message_count(), Some(2));
        let t = adm::TopicStats {
            namespace: "ns".into(),
            topic: "t".into(),
            partition_count: 2,
            partitions: vec![stats(7)],
        };
        let ids: Vec<i32> = topic_info(t).partitions.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![0, 1, 7]);
    }
}
