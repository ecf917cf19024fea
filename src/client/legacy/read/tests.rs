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

#[test]
fn partitions_are_validated() {
    let t = TopicName::new("ns", "t").unwrap();
    assert_eq!(select_partitions(&t, 4, None).unwrap(), vec![0, 1, 2, 3]);
    assert_eq!(
        select_partitions(&t, 4, Some(&[3, 1, 3])).unwrap(),
        vec![1, 3]
    );
    let e = select_partitions(&t, 4, Some(&[4]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("4: ns/t has partitions 0..3"), "{e}");
    assert!(select_partitions(&t, 1, Some(&[-1])).is_err());
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
