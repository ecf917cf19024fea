//! Unit tests of the partition reader's pure parts.

use super::*;
use std::collections::HashMap;

#[test]
fn start_positions() {
    assert_eq!(
        Start::from_spec(TimeSpec::At(1000), 5).position(None),
        (StartPosition::Timestamp, 999)
    );
    assert_eq!(
        Start::from_spec(TimeSpec::Earliest, 5).position(None),
        (StartPosition::Earliest, 0)
    );
    assert_eq!(
        Start::from_spec(TimeSpec::Latest, 5).position(None),
        (StartPosition::Latest, 0)
    );
    assert_eq!(
        Start::from_spec(TimeSpec::Latest, 5)
            .resumed()
            .position(None),
        (StartPosition::Timestamp, 5)
    );
    assert_eq!(
        Start::Earliest.position(Some(77)),
        (StartPosition::Timestamp, 77)
    );
    assert_eq!(Start::from_spec(TimeSpec::At(0), 5), Start::Earliest);
}

/// A snapshot as the admin service gives it: `0..count` listed when the count is bounded
/// (as `admin::topic_info` builds it), plus `listed` (id, messages).
fn snapshot(count: u32, listed: &[(i32, u64)]) -> Snapshot {
    let t = TopicName::new("ns", "t").unwrap();
    let mut info = crate::client::TopicInfo::bare(t);
    let part = |id, n| crate::client::PartitionInfo {
        id,
        message_count: Some(n),
        ..Default::default()
    };
    let dense = if count <= 4096 { count as i32 } else { 0 };
    info.partitions = (0..dense).map(|id| part(id, 0)).collect();
    for &(id, n) in listed {
        match info.partitions.iter_mut().find(|p| p.id == id) {
            Some(p) => *p = part(id, n),
            None => info.partitions.push(part(id, n)),
        }
    }
    Snapshot {
        stats: Some(Some(info)),
        count,
    }
}

#[test]
fn partitions_are_validated() {
    let t = TopicName::new("ns", "t").unwrap();
    let snap = snapshot(4, &[]);
    assert_eq!(snap.select(&t, None).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(snap.select(&t, Some(&[3, 1, 3])).unwrap(), vec![1, 3]);
    let e = snap.select(&t, Some(&[4])).unwrap_err().to_string();
    assert!(e.contains("4: ns/t has partitions 0..3"), "{e}");
    assert!(snapshot(1, &[]).select(&t, Some(&[-1])).is_err());
}

#[test]
fn hostile_partition_numbers_stay_bounded() {
    let t = TopicName::new("ns", "t").unwrap();
    // One message in partition 100000 (and an empty listed 5000): two readers, not 100001.
    let snap = snapshot(100_001, &[(0, 1), (5000, 0), (100_000, 1)]);
    assert_eq!(snap.select(&t, None).unwrap(), vec![0, 100_000]);
    let snap = snapshot(u32::try_from(i32::MAX).unwrap(), &[(i32::MAX, 1)]);
    assert_eq!(snap.select(&t, None).unwrap(), vec![i32::MAX]);
    assert_eq!(snap.select(&t, Some(&[i32::MAX])).unwrap(), vec![i32::MAX]);
    // A bounded count: every partition, empty or not.
    let snap = snapshot(3, &[(1, 5)]);
    assert_eq!(snap.select(&t, None).unwrap(), vec![0, 1, 2]);
    // Without a listing, a huge count is a clear error, not a 2^31-entry allocation.
    let bare = Snapshot {
        stats: None,
        count: u32::try_from(i32::MAX).unwrap(),
    };
    let e = bare.select(&t, None).unwrap_err().to_string();
    assert!(
        e.contains("2147483647 partitions") && e.contains("--partition"),
        "{e}"
    );
    assert_eq!(bare.select(&t, Some(&[7])).unwrap(), vec![7]);
}

#[test]
fn records_sort_headers_and_skip_heartbeats() {
    let t = Arc::new(TopicName::new("ns", "t").unwrap());
    assert!(to_record(&t, 0, None, v2::BrokerMessage { data: None }).is_none());
    let mut headers = HashMap::new();
    headers.insert("b".to_string(), bytes::Bytes::from_static(b"2"));
    headers.insert("a".to_string(), bytes::Bytes::from_static(b"1"));
    let m = v2::Message {
        event_time_ns: 42,
        key: bytes::Bytes::from_static(b"k"),
        value: bytes::Bytes::from_static(b"\x00\x01"),
        headers,
        is_close: false,
    };
    let r = to_record(&t, 2, None, v2::BrokerMessage { data: Some(m) }).unwrap();
    assert_eq!((r.partition, r.ts_ns, r.offset), (2, 42, None));
    assert_eq!(r.headers[0].0, "a");
    assert_eq!(r.headers[1].0, "b");
    // A message without event time is stamped after the last one.
    let z = v2::Message {
        event_time_ns: 0,
        ..Default::default()
    };
    let far = i64::MAX - 10;
    let r = to_record(&t, 0, Some(far), v2::BrokerMessage { data: Some(z) }).unwrap();
    assert_eq!(r.ts_ns, far + 1);
    // An event time not above the previous record's: the broker logged it at +1.
    let early = v2::Message {
        event_time_ns: 40,
        ..Default::default()
    };
    let r = to_record(&t, 0, Some(42), v2::BrokerMessage { data: Some(early) }).unwrap();
    assert_eq!(r.ts_ns, 43);
    // A negative event time: stable (the log's first possible timestamp), never "now".
    let neg = || v2::Message {
        event_time_ns: -5_000_000_000,
        ..Default::default()
    };
    let r = to_record(&t, 0, None, v2::BrokerMessage { data: Some(neg()) }).unwrap();
    assert_eq!(r.ts_ns, 1);
    let r = to_record(&t, 0, Some(9), v2::BrokerMessage { data: Some(neg()) }).unwrap();
    assert_eq!(r.ts_ns, 10);
}

#[test]
fn transient_statuses() {
    assert!(transient(&tonic::Status::unavailable("x")));
    assert!(transient(&tonic::Status::unknown(
        "h2 protocol error: error reading a body from connection"
    )));
    assert!(!transient(&tonic::Status::invalid_argument("bad")));
    assert!(!transient(&tonic::Status::not_found("nope")));
    assert!(!transient(&tonic::Status::aborted(
        "topic ns/t was deleted"
    )));
}
