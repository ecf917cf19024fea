//! Fan-out: live subscribers are pushed new messages; a slow subscriber blocks nobody and
//! catches up from disk; many subscribers on one partition all get everything.
use crate::support;

use std::time::{Duration, Instant};

use support::embedded::*;
use swmq::proto::v2::Message;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;

fn big(i: usize) -> Message {
    let mut v = format!("{i:08}").into_bytes();
    v.resize(1024, b'.');
    Message {
        value: v.into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_blocks_no_publisher_and_catches_up_from_disk() {
    let e = start_embedded().await;
    const N: usize = 20_000; // 20 MiB: far beyond the per-subscriber queue and HTTP/2 windows
    let mut slow = subscribe(&e.addr, "ns", "fan", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut fast = subscribe(&e.addr, "ns", "fan", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    let addr = e.addr.clone();
    let fast_reader = tokio::spawn(async move {
        let mut n = 0;
        while n < N {
            let m = fast.next().await.unwrap().unwrap();
            assert_eq!(&m.value[..8], format!("{n:08}").as_bytes());
            n += 1;
        }
    });
    let t0 = Instant::now();
    tokio::time::timeout(Duration::from_secs(60), async {
        for chunk in 0..4 {
            let msgs = (chunk * N / 4..(chunk + 1) * N / 4).map(big).collect();
            publish(&addr, "ns", "fan", 0, msgs).await.unwrap();
        }
    })
    .await
    .expect("publishers were blocked by the slow subscriber");
    eprintln!(
        "published {N} in {:?} with a stalled subscriber",
        t0.elapsed()
    );
    fast_reader.await.unwrap();
    // The slow subscriber now reads everything, in order.
    for i in 0..N {
        let m = slow.next().await.unwrap().unwrap();
        assert_eq!(&m.value[..8], format!("{i:08}").as_bytes(), "message {i}");
    }
    assert!(slow.quiet_for(100).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_subscriber_of_small_messages_survives() {
    // Small messages trickling in while a subscriber does not read: the broker must not
    // send so many tiny DATA frames that the client's HTTP/2 layer calls it a flood.
    let e = start_embedded().await;
    const N: usize = 30_000;
    let mut slow = subscribe(&e.addr, "ns", "small", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    for b in 0..300 {
        let msgs = (b * 100..(b + 1) * 100)
            .map(|i| msg(&format!("{i:08}")))
            .collect();
        publish(&e.addr, "ns", "small", 0, msgs).await.unwrap();
    }
    for i in 0..N {
        let m = slow.next().await.unwrap().unwrap();
        assert_eq!(m.value, format!("{i:08}"), "message {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_subscribers_on_one_partition_get_everything() {
    let e = start_embedded().await;
    let mut subs = Vec::new();
    for _ in 0..40 {
        subs.push(
            subscribe(&e.addr, "ns", "many", 0, StartPosition::Latest, 0)
                .await
                .unwrap(),
        );
    }
    for b in 0..5 {
        let msgs = (0..20)
            .map(|i| msg(&format!("{:03}", b * 20 + i)))
            .collect();
        publish(&e.addr, "ns", "many", 0, msgs).await.unwrap();
    }
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                for i in 0..100 {
                    let m = s.next().await.unwrap().unwrap();
                    assert_eq!(m.value, format!("{i:03}"));
                }
            })
        })
        .collect();
    for r in readers {
        r.await.unwrap();
    }
}

#[tokio::test]
async fn live_messages_are_pushed_promptly() {
    let e = start_embedded().await;
    let mut sub = subscribe(&e.addr, "ns", "push", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tx.send(swmq::proto::v2::PublishRequest {
        init: Some(swmq::proto::v2::publish_request::InitMessage {
            namespace: "ns".into(),
            topic: "push".into(),
            partition: 0,
        }),
        data: None,
    })
    .await
    .unwrap();
    let mut c = v2_client(&e.addr).await;
    let _call = c
        .publish(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap();
    // One open publish stream; every message reaches the subscriber while it stays open.
    for i in 0..20 {
        tx.send(swmq::proto::v2::PublishRequest {
            init: None,
            data: Some(msg(&i.to_string())),
        })
        .await
        .unwrap();
        let m = sub.next().await.unwrap().unwrap();
        assert_eq!(m.value, i.to_string());
    }
}

/// A stalled subscriber of large messages holds a bounded number of bytes in memory, not
/// its whole queue of messages: after the topic is deleted (the files gone), it receives
/// only what was buffered, far fewer than the 64 MiB it would otherwise have queued.
#[tokio::test]
async fn a_stalled_subscriber_of_large_messages_buffers_bounded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        swmq::broker::BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
    config.max_message_bytes = 2 << 20;
    let b = swmq::broker::start(config).await.unwrap();
    let addr = b.addr().to_string();
    let mb = |i: u8| Message {
        value: vec![i; 1 << 20].into(),
        ..Default::default()
    };
    publish(&addr, "ns", "large", 0, (0..64).map(mb).collect())
        .await
        .unwrap();
    let mut sub = subscribe(&addr, "ns", "large", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // the queue fills up
    v2_client(&addr)
        .await
        .delete_topic(swmq::proto::v2::DeleteTopicRequest {
            namespace: "ns".into(),
            topic: "large".into(),
        })
        .await
        .unwrap();
    let mut got = 0;
    let err = loop {
        match sub.next().await {
            Ok(Some(_)) => got += 1,
            Ok(None) => panic!("ended OK after {got}"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.code(), tonic::Code::Aborted, "{err}");
    assert!(
        got < 32,
        "{got} of 64 MiB were buffered for a stalled subscriber"
    );
    b.shutdown().await.unwrap();
}
