//! Edge cases of the embedded 2.x broker found in review: closes on other partitions,
//! deletes under live streams, the size limit's edges, names, concurrency, data dirs.
use crate::support;

use support::embedded::*;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{DeleteTopicRequest, Message, PublishRequest};

fn close() -> Message {
    Message {
        is_close: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn close_on_partition_1_leaves_partition_0_open_and_a_second_close_is_refused() {
    let e = start_embedded().await;
    publish(&e.addr, "chan", "c", 0, vec![msg("p0")])
        .await
        .unwrap();
    let r = publish(&e.addr, "chan", "c", 1, vec![msg("a"), close()])
        .await
        .unwrap();
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[1].is_closed);
    let err = publish(&e.addr, "chan", "c", 1, vec![close()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    assert!(err.message().contains("channel is already closed"), "{err}");
    publish(&e.addr, "chan", "c", 0, vec![msg("p0b")])
        .await
        .unwrap();
    // EARLIEST on the closed partition: history including the close, then the end.
    let mut sub = subscribe(&e.addr, "chan", "c", 1, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let a = sub.next().await.unwrap().unwrap();
    assert_eq!(a.value, "a");
    let c = sub.next().await.unwrap().unwrap();
    assert!(c.is_close);
    assert_eq!(sub.next().await.unwrap(), None);
    // After the close, from its timestamp and from LATEST: the stream ends, no waiting.
    for (start, ts) in [
        (StartPosition::Timestamp, c.event_time_ns),
        (StartPosition::Latest, 0),
    ] {
        let mut sub = subscribe(&e.addr, "chan", "c", 1, start, ts).await.unwrap();
        assert_eq!(sub.next().await.unwrap(), None, "{start:?}");
    }
    e.broker.shutdown().await.unwrap();
}

#[tokio::test]
async fn delete_under_live_streams_fails_them_and_a_later_publish_starts_clean() {
    let e = start_embedded().await;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tx.send(PublishRequest {
        init: Some(swmq::proto::v2::publish_request::InitMessage {
            namespace: "ns".into(),
            topic: "del".into(),
            partition: 0,
        }),
        data: None,
    })
    .await
    .unwrap();
    tx.send(PublishRequest {
        init: None,
        data: Some(msg("old")),
    })
    .await
    .unwrap();
    let mut c = v2_client(&e.addr).await;
    let mut pubs = c
        .publish(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pubs.message().await.unwrap(), Some(Default::default()));
    let mut sub = subscribe(&e.addr, "ns", "del", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "old");
    c.delete_topic(DeleteTopicRequest {
        namespace: "ns".into(),
        topic: "del".into(),
    })
    .await
    .unwrap();
    assert!(!e.dir.path().join("topics/ns/del").exists());
    let err = sub.next().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Aborted, "{err}");
    assert!(err.message().contains("deleted"), "{err}");
    // The old publisher's next message is refused, never written into the new topic.
    tx.send(PublishRequest {
        init: None,
        data: Some(msg("stale")),
    })
    .await
    .unwrap();
    let err = pubs.message().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Aborted, "{err}");
    publish(&e.addr, "ns", "del", 0, vec![msg("new")])
        .await
        .unwrap();
    let mut sub = subscribe(&e.addr, "ns", "del", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "new");
    assert!(sub.quiet_for(100).await);
    let b = e.broker;
    b.shutdown().await.unwrap();
    // After a restart too: only the new message.
    let b = start_in(e.dir.path().to_path_buf()).await;
    let addr = b.addr().to_string();
    let mut sub = subscribe(&addr, "ns", "del", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "new");
    assert!(sub.quiet_for(100).await);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_message_exactly_at_the_limit_passes_one_byte_more_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        swmq::broker::BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
    config.max_message_bytes = 1000;
    let b = swmq::broker::start(config).await.unwrap();
    let addr = b.addr().to_string();
    // 1 (tag) + 2 (length) + 997 = 1000 bytes encoded.
    let at = Message {
        value: vec![1u8; 997].into(),
        ..Default::default()
    };
    assert_eq!(prost::Message::encoded_len(&at), 1000);
    let over = Message {
        value: vec![1u8; 998].into(),
        ..Default::default()
    };
    publish(&addr, "ns", "lim", 0, vec![at]).await.unwrap();
    let err = publish(&addr, "ns", "lim", 0, vec![over])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    let mut sub = subscribe(&addr, "ns", "lim", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value.len(), 997);
    assert!(sub.quiet_for(100).await);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn odd_but_valid_names_round_trip() {
    let e = start_embedded().await;
    let long = "é".repeat(127) + "x"; // 255 bytes
    assert_eq!(long.len(), 255);
    for topic in [
        "日本 語",
        "with space",
        "p00",
        "p00.md5",
        "0.log",
        "0.idx",
        "topic.conf",
        ".trash",
        ".hidden",
        long.as_str(),
    ] {
        publish(&e.addr, "ns x", topic, 0, vec![msg(topic)])
            .await
            .unwrap_or_else(|s| panic!("{topic:?}: {s}"));
        let mut sub = subscribe(&e.addr, "ns x", topic, 0, StartPosition::Earliest, 0)
            .await
            .unwrap();
        assert_eq!(sub.next().await.unwrap().unwrap().value, topic.as_bytes());
    }
    let b = e.broker;
    b.shutdown().await.unwrap();
    let b = start_in(e.dir.path().to_path_buf()).await;
    let mut a = admin_client(&b.addr().to_string()).await;
    let listed = a
        .list_topics(swmq::proto::admin::ListTopicsRequest {
            namespace: "ns x".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.topics.len(), 10, "{listed:?}");
    assert!(
        listed
            .topics
            .iter()
            .all(|t| t.partitions[0].message_count == 1)
    );
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn concurrent_publishers_on_one_partition_lose_nothing() {
    let e = start_embedded().await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let addr = e.addr.clone();
        tasks.push(tokio::spawn(async move {
            let msgs = (0..200).map(|i| msg(&format!("{w}-{i}"))).collect();
            publish(&addr, "ns", "many", 0, msgs).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut sub = subscribe(&e.addr, "ns", "many", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut last = 0;
    let mut seen = std::collections::HashSet::new();
    let mut per_writer = [-1i64; 8];
    for _ in 0..1600 {
        let m = sub.next().await.unwrap().unwrap();
        assert!(m.event_time_ns > last);
        last = m.event_time_ns;
        let v = String::from_utf8(m.value.to_vec()).unwrap();
        let (w, i) = v.split_once('-').unwrap();
        let (w, i): (usize, i64) = (w.parse().unwrap(), i.parse().unwrap());
        assert_eq!(per_writer[w] + 1, i, "writer {w} out of order");
        per_writer[w] = i;
        assert!(seen.insert(v));
    }
    assert!(sub.quiet_for(100).await);
    e.broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_racing_deletes_leave_a_readable_log() {
    let e = start_embedded().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..3 {
        let (addr, stop) = (e.addr.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut b = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let msgs = (0..20).map(|i| msg(&format!("{w}-{b}-{i}"))).collect();
                // Each stream either ends OK or fails because the topic was deleted under it.
                if let Err(s) = publish(&addr, "ns", "race", 0, msgs).await {
                    assert_eq!(s.code(), tonic::Code::Aborted, "{s}");
                }
                b += 1;
            }
        }));
    }
    let mut c = v2_client(&e.addr).await;
    for _ in 0..30 {
        c.delete_topic(DeleteTopicRequest {
            namespace: "ns".into(),
            topic: "race".into(),
        })
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    publish(&e.addr, "ns", "race", 0, vec![msg("last")])
        .await
        .unwrap();
    let b = e.broker;
    b.shutdown().await.unwrap();
    // Restarted: whatever survived the last delete reads back cleanly, ending with "last".
    let b = start_in(e.dir.path().to_path_buf()).await;
    let addr = b.addr().to_string();
    let mut sub = subscribe(&addr, "ns", "race", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut last_ts = 0;
    loop {
        let m = sub.next().await.unwrap().unwrap();
        assert!(m.event_time_ns > last_ts);
        last_ts = m.event_time_ns;
        if m.value == "last" {
            break;
        }
    }
    assert!(sub.quiet_for(100).await);
    b.shutdown().await.unwrap();
}
