//! Conversions from the admin extension's statistics (`swmq.admin.v1`).

use crate::client::{PartitionInfo, TopicInfo, TopicName};
use crate::proto::admin as adm;

/// A topic as the admin service describes it. Every partition `0..partition_count` is
/// listed (partitions the service left out are empty).
pub(super) fn topic_info(t: adm::TopicStats) -> TopicInfo {
    // Names come from the broker; they are shown as they are, not validated again.
    let name = TopicName {
        namespace: t.namespace,
        name: t.topic,
    };
    let count = t
        .partition_count
        .max(
            t.partitions
                .iter()
                .map(|p| p.partition + 1)
                .max()
                .unwrap_or(0),
        )
        .max(0);
    let mut partitions: Vec<PartitionInfo> = (0..count)
        .map(|id| PartitionInfo {
            id,
            message_count: Some(0),
            bytes: Some(0),
            ..Default::default()
        })
        .collect();
    for p in t.partitions {
        let Some(slot) = usize::try_from(p.partition)
            .ok()
            .and_then(|i| partitions.get_mut(i))
        else {
            continue;
        };
        *slot = partition_info(&p);
    }
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
}
