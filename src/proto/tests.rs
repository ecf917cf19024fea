//! Byte-level checks of hand-computed encodings: a wrong field number or type in `proto/`
//! changes these bytes and fails the test.
use super::*;

fn roundtrip<M: prost::Message + Default + PartialEq + std::fmt::Debug>(m: &M, bytes: &[u8]) {
    assert_eq!(m.encode_to_vec(), bytes, "encoding of {m:?}");
    assert_eq!(&M::decode(bytes).expect("decode"), m);
}

#[test]
fn v2_publish_init() {
    use v2::{PublishRequest, publish_request::InitMessage};
    let m = PublishRequest {
        init: Some(InitMessage {
            namespace: "a".into(),
            topic: "b".into(),
            partition: 3,
        }),
        data: None,
    };
    roundtrip(
        &m,
        &[0x0a, 0x08, 0x0a, 0x01, b'a', 0x12, 0x01, b'b', 0x18, 0x03],
    );
}

#[test]
fn v2_message_and_subscribe() {
    let msg = v2::Message {
        event_time_ns: 1,
        key: "k".into(),
        value: Default::default(),
        headers: Default::default(),
        is_close: true,
    };
    roundtrip(&msg, &[0x08, 0x01, 0x12, 0x01, b'k', 0x28, 0x01]);

    use v2::subscriber_message::{InitMessage, init_message::StartPosition};
    let sub = v2::SubscriberMessage {
        init: Some(InitMessage {
            namespace: String::new(),
            topic: String::new(),
            partition: 0,
            start_position: StartPosition::Timestamp as i32,
            timestamp_ns: 5,
            subscriber_id: "s".into(),
        }),
        ack: None,
        is_close: false,
    };
    roundtrip(
        &sub,
        &[0x0a, 0x07, 0x20, 0x02, 0x28, 0x05, 0x32, 0x01, b's'],
    );
    let find = v2::FindBrokerRequest {
        namespace: String::new(),
        topic: String::new(),
        parition: 300,
    };
    roundtrip(&find, &[0x18, 0xac, 0x02]);
}

#[test]
fn mq_partition_and_subscribe() {
    use mq::messaging_pb::{SubscribeMessageRequest, subscribe_message_request};
    use mq::schema_pb::{OffsetType, Partition};
    let p = Partition {
        ring_size: 2520,
        range_start: 0,
        range_stop: 1260,
        unix_time_ns: 1,
    };
    roundtrip(&p, &[0x08, 0xd8, 0x13, 0x18, 0xec, 0x09, 0x20, 0x01]);

    let init = subscribe_message_request::InitMessage {
        offset_type: OffsetType::ExactTsNs as i32,
        sliding_window_size: 1,
        ..Default::default()
    };
    let req = SubscribeMessageRequest {
        message: Some(subscribe_message_request::Message::Init(init)),
    };
    roundtrip(&req, &[0x0a, 0x04, 0x30, 0x0a, 0x60, 0x01]);

    let data = mq::messaging_pb::DataMessage {
        key: "k".into(),
        value: "v".into(),
        ts_ns: 3,
        ctrl: None,
    };
    roundtrip(&data, &[0x0a, 0x01, b'k', 0x12, 0x01, b'v', 0x18, 0x03]);
    let range = mq::messaging_pb::GetPartitionRangeInfoResponse {
        record_count: 5,
        error: "e".into(),
        ..Default::default()
    };
    roundtrip(&range, &[0x50, 0x05, 0x62, 0x01, b'e']);
}

#[test]
fn filer_log_entry_and_list() {
    let e = filer::LogEntry {
        ts_ns: 1,
        partition_key_hash: 2,
        data: "d".into(),
        key: "k".into(),
        offset: 7,
    };
    roundtrip(
        &e,
        &[
            0x08, 0x01, 0x10, 0x02, 0x1a, 0x01, b'd', 0x22, 0x01, b'k', 0x28, 0x07,
        ],
    );
    let l = filer::ListEntriesRequest {
        directory: "/t".into(),
        limit: 5,
        omit_chunks: true,
        ..Default::default()
    };
    roundtrip(&l, &[0x0a, 0x02, b'/', b't', 0x28, 0x05, 0x38, 0x01]);
    let d = filer::DeleteEntryRequest {
        is_delete_data: true,
        is_recursive: true,
        ..Default::default()
    };
    roundtrip(&d, &[0x20, 0x01, 0x28, 0x01]);
}

#[test]
fn admin_histogram() {
    let h = admin::HistogramRequest {
        buckets: 3,
        partitions: vec![1, 2],
        ..Default::default()
    };
    roundtrip(&h, &[0x28, 0x03, 0x32, 0x02, 0x01, 0x02]);
}
