//! 2.x semantics of the embedded broker through the generated tonic client.
use crate::support;

use std::collections::HashMap;

use support::embedded::*;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{
    ConfigureTopicRequest, DeleteTopicRequest, FindBrokerRequest, GetTopicConfigurationRequest,
    Message, TopicConfiguration,
};

fn at(value: &str, ts: i64) -> Message {
    Message {
        event_time_ns: ts,
        ..msg(value)
    }
}

async fn drain(sub: &mut Subscription, n: usize) -> Vec<Message> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(sub.next().await.expect("message").expect("stream open"));
    }
    out
}

fn values(ms: &[Message]) -> Vec<String> {
    ms.iter()
        .map(|m| String::from_utf8_lossy(&m.value).into_owned())
        .collect()
}

#[tokio::test]
async fn publish_answers_one_empty_response_and_stores_in_order() {
    let e = start_embedded().await;
    let resps = publish(&e.addr, "ns", "t", 0, vec![msg("a"), msg("b"), msg("c")])
        .await
        .unwrap();
    assert_eq!(resps.len(), 1, "{resps:?}");
    assert_eq!(resps[0], Default::default());
    let mut sub = subscribe(&e.addr, "ns", "t", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let got = drain(&mut sub, 3).await;
    assert_eq!(values(&got), ["a", "b", "c"]);
    // Improvement: event_time_ns 0 is stored as the log timestamp, increasing.
    assert!(got.iter().all(|m| m.event_time_ns > 0));
    assert!(
        got.windows(2)
            .all(|w| w[0].event_time_ns < w[1].event_time_ns)
    );
    assert!(sub.quiet_for(100).await, "nothing more");
    e.broker.shutdown().await.unwrap();
}

#[tokio::test]
async fn timestamps_strictly_increase_and_timestamp_seek_is_strictly_after() {
    let e = start_embedded().await;
    // 100, 100 (→101), 50 (→102), 200: stored messages keep the publisher's event time.
    publish(
        &e.addr,
        "ns",
        "ts",
        0,
        vec![at("a", 100), at("b", 100), at("c", 50), at("d", 200)],
    )
    .await
    .unwrap();
    for (from, want) in [
        (0, vec!["a", "b", "c", "d"]),
        (100, vec!["b", "c", "d"]),
        (101, vec!["c", "d"]),
        (102, vec!["d"]),
        (150, vec!["d"]),
    ] {
        let mut sub = subscribe(&e.addr, "ns", "ts", 0, StartPosition::Timestamp, from)
            .await
            .unwrap();
        let got = drain(&mut sub, want.len()).await;
        assert_eq!(values(&got), want, "from {from}");
        assert!(sub.quiet_for(50).await);
    }
    let mut sub = subscribe(&e.addr, "ns", "ts", 0, StartPosition::Timestamp, 200)
        .await
        .unwrap();
    assert!(sub.quiet_for(100).await, "nothing after the last timestamp");
    let mut sub = subscribe(&e.addr, "ns", "ts", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let got = drain(&mut sub, 4).await;
    assert_eq!(
        got.iter().map(|m| m.event_time_ns).collect::<Vec<_>>(),
        [100, 100, 50, 200]
    );
}

#[tokio::test]
async fn latest_gets_only_new_messages_and_history_then_live_tail_share_a_stream() {
    let e = start_embedded().await;
    publish(&e.addr, "ns", "live", 0, vec![msg("old1"), msg("old2")])
        .await
        .unwrap();
    let mut latest = subscribe(&e.addr, "ns", "live", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    let mut earliest = subscribe(&e.addr, "ns", "live", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(values(&drain(&mut earliest, 2).await), ["old1", "old2"]);
    assert!(latest.quiet_for(100).await, "LATEST sends no history");
    publish(&e.addr, "ns", "live", 0, vec![msg("new1")])
        .await
        .unwrap();
    publish(&e.addr, "ns", "live", 0, vec![msg("new2")])
        .await
        .unwrap();
    assert_eq!(values(&drain(&mut latest, 2).await), ["new1", "new2"]);
    assert_eq!(values(&drain(&mut earliest, 2).await), ["new1", "new2"]);
}

#[tokio::test]
async fn subscribing_to_an_empty_partition_waits_for_data() {
    let e = start_embedded().await;
    let mut sub = subscribe(&e.addr, "ns", "later", 2, StartPosition::Timestamp, 0)
        .await
        .unwrap();
    assert!(sub.quiet_for(100).await);
    publish(&e.addr, "ns", "later", 2, vec![msg("x")])
        .await
        .unwrap();
    assert_eq!(values(&drain(&mut sub, 1).await), ["x"]);
}

#[tokio::test]
async fn close_is_stored_acknowledged_ends_subscribers_and_refuses_publishes() {
    let e = start_embedded().await;
    let mut sub = subscribe(&e.addr, "chan", "c1", 0, StartPosition::Timestamp, 0)
        .await
        .unwrap();
    let close = Message {
        is_close: true,
        ..Default::default()
    };
    // Messages after the close on the same stream are not read.
    let resps = publish(
        &e.addr,
        "chan",
        "c1",
        0,
        vec![msg("v1"), msg("v2"), close, msg("ignored")],
    )
    .await
    .unwrap();
    assert_eq!(resps.len(), 2, "{resps:?}");
    assert_eq!(resps[0], Default::default());
    assert!(resps[1].is_closed);
    let got = drain(&mut sub, 3).await;
    assert_eq!(values(&got)[..2], ["v1", "v2"]);
    assert!(got[2].is_close);
    assert_eq!(
        sub.next().await.unwrap(),
        None,
        "stream ends after the close"
    );

    // A later subscriber gets everything including the close, then the end.
    let mut sub = subscribe(&e.addr, "chan", "c1", 0, StartPosition::Timestamp, 0)
        .await
        .unwrap();
    assert_eq!(drain(&mut sub, 3).await.len(), 3);
    assert_eq!(sub.next().await.unwrap(), None);

    let err = publish(&e.addr, "chan", "c1", 0, vec![msg("late")])
        .await
        .unwrap_err();
    assert!(err.message().contains("channel is already closed"), "{err}");
    // The close marker is the 2.x one.
    assert!(e.dir.path().join("topics/chan/c1/p00.md5").is_file());
    // Other partitions of the topic are still open.
    publish(&e.addr, "chan", "c1", 1, vec![msg("ok")])
        .await
        .unwrap();
}

#[tokio::test]
async fn close_survives_a_restart() {
    let e = start_embedded().await;
    let close = Message {
        is_close: true,
        ..Default::default()
    };
    publish(&e.addr, "chan", "c2", 0, vec![msg("v"), close])
        .await
        .unwrap();
    let dir = e.dir;
    e.broker.shutdown().await.unwrap();
    let b = start_in(dir.path().to_path_buf()).await;
    let addr = b.addr().to_string();
    let err = publish(&addr, "chan", "c2", 0, vec![msg("late")])
        .await
        .unwrap_err();
    assert!(err.message().contains("already closed"), "{err}");
    let mut sub = subscribe(&addr, "chan", "c2", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(drain(&mut sub, 2).await.len(), 2);
    assert_eq!(sub.next().await.unwrap(), None);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn delete_topic_removes_everything_and_succeeds_when_missing() {
    let e = start_embedded().await;
    publish(&e.addr, "ns", "gone", 0, vec![msg("a")])
        .await
        .unwrap();
    publish(&e.addr, "ns", "gone", 3, vec![msg("b")])
        .await
        .unwrap();
    let mut before = subscribe(&e.addr, "ns", "gone", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(values(&drain(&mut before, 1).await), ["a"]);
    let mut c = v2_client(&e.addr).await;
    let del = |t: &str| DeleteTopicRequest {
        namespace: "ns".into(),
        topic: t.into(),
    };
    c.delete_topic(del("gone")).await.unwrap();
    // A subscriber of the deleted topic is told so.
    let err = before.next().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Aborted, "{err}");
    assert!(err.message().contains("deleted"), "{err}");
    assert!(!e.dir.path().join("topics/ns/gone").exists());
    c.delete_topic(del("gone")).await.unwrap();
    c.delete_topic(del("never-existed")).await.unwrap();
    let mut sub = subscribe(&e.addr, "ns", "gone", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert!(sub.quiet_for(100).await, "no data after delete");
    // The name can be used again.
    publish(&e.addr, "ns", "gone", 0, vec![msg("again")])
        .await
        .unwrap();
    assert_eq!(values(&drain(&mut sub, 1).await), ["again"]);
}

#[tokio::test]
async fn find_broker_and_topic_configuration() {
    let e = start_embedded().await;
    let mut c = v2_client(&e.addr).await;
    let found = c
        .find_broker(FindBrokerRequest {
            namespace: "ns".into(),
            topic: "t".into(),
            parition: 1,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.broker, e.addr);

    let get = |t: &str| GetTopicConfigurationRequest {
        namespace: "ns".into(),
        topic: t.into(),
    };
    let err = c.get_topic_configuration(get("cfg")).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound, "{err}");
    let config = TopicConfiguration {
        partition_count: 4,
        collection: "coll".into(),
        replication: "001".into(),
        is_transient: false,
        partitoning: 2,
    };
    c.configure_topic(ConfigureTopicRequest {
        namespace: "ns".into(),
        topic: "cfg".into(),
        configuration: Some(config.clone()),
    })
    .await
    .unwrap();
    let got = c.get_topic_configuration(get("cfg")).await.unwrap();
    assert_eq!(got.into_inner().configuration, Some(config.clone()));
    // A partition beyond the configured count is accepted (a 2.x publisher picks it), and
    // the configuration reports the count the topic really has, as listings do.
    publish(&e.addr, "ns", "cfg", 5, vec![msg("p5")])
        .await
        .unwrap();
    let got = c.get_topic_configuration(get("cfg")).await.unwrap();
    let got = got.into_inner().configuration.unwrap();
    assert_eq!((got.partition_count, got.partitoning), (6, 2));
    let mut a = admin_client(&e.addr).await;
    let d = a
        .describe_topic(swmq::proto::admin::DescribeTopicRequest {
            namespace: "ns".into(),
            topic: "cfg".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.topic.unwrap().partition_count, 6);

    // Without a stored configuration, the partition count comes from the data.
    publish(&e.addr, "ns", "derived", 2, vec![msg("x")])
        .await
        .unwrap();
    let got = c.get_topic_configuration(get("derived")).await.unwrap();
    assert_eq!(got.into_inner().configuration.unwrap().partition_count, 3);

    // Stored per topic: survives a restart.
    let dir = e.dir;
    e.broker.shutdown().await.unwrap();
    let b = start_in(dir.path().to_path_buf()).await;
    let mut c = v2_client(&b.addr().to_string()).await;
    let got = c.get_topic_configuration(get("cfg")).await.unwrap();
    let want = TopicConfiguration {
        partition_count: 6,
        ..config
    };
    assert_eq!(got.into_inner().configuration, Some(want));
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn keys_and_headers_round_trip() {
    let e = start_embedded().await;
    let m = Message {
        key: "order-1".into(),
        value: vec![0u8, 159, 146, 150].into(),
        headers: HashMap::from([("h".to_string(), "v".into())]),
        event_time_ns: 42,
        is_close: false,
    };
    publish(&e.addr, "ns", "kv", 0, vec![m.clone()])
        .await
        .unwrap();
    let mut sub = subscribe(&e.addr, "ns", "kv", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(drain(&mut sub, 1).await, vec![m]);
}

#[tokio::test]
async fn subscriber_is_close_ends_the_subscription() {
    let e = start_embedded().await;
    let mut sub = subscribe(&e.addr, "ns", "bye", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    sub.requests
        .send(swmq::proto::v2::SubscriberMessage {
            init: None,
            ack: None,
            is_close: true,
        })
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap(), None);
}

#[tokio::test]
async fn segments_are_seaweedfs_log_records() {
    use prost::Message as _;
    let e = start_embedded().await;
    let m = Message {
        key: "k1".into(),
        ..at("payload", 77)
    };
    publish(&e.addr, "ns", "disk", 1, vec![m.clone(), msg("second")])
        .await
        .unwrap();
    let seg = e
        .dir
        .path()
        .join("topics/ns/disk/p01/00000000000000000000.log");
    let bytes = std::fs::read(&seg).unwrap();
    // 4-byte big-endian length + filer_pb.LogEntry whose data is a messaging_pb.Message.
    let mut rest = bytes.as_slice();
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        entries.push(swmq::proto::filer::LogEntry::decode(&rest[4..4 + len]).unwrap());
        rest = &rest[4 + len..];
    }
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].ts_ns, 77);
    assert_eq!(entries[0].key, "k1");
    assert_eq!((entries[0].offset, entries[1].offset), (0, 1));
    assert_eq!(Message::decode(entries[0].data.clone()).unwrap(), m);
    let second = Message::decode(entries[1].data.clone()).unwrap();
    assert_eq!(second.value, "second");
    assert_eq!(second.event_time_ns, entries[1].ts_ns);
}
