//! Errors of the 2.x client: clear, naming what was wrong, never a hang or a panic.
use crate::support;

use std::time::Duration;

use bytes::Bytes;
use swmq::client::legacy::LegacyClient;
use swmq::client::{Client, ClientError, ConnectOptions, OutMessage, ReadSpec, TopicName};

async fn connect(addr: &str) -> LegacyClient {
    match Client::connect(&ConnectOptions::new(addr)).await.unwrap() {
        Client::Legacy(c) => c,
        Client::Mq(_) => panic!("the embedded broker must be detected as 2.x"),
    }
}

#[tokio::test]
async fn an_oversized_message_fails_the_publish_with_the_topic_named() {
    let e = support::embedded::start_embedded().await;
    let c = connect(&e.addr).await;
    let t = TopicName::new(&support::unique_namespace("big"), "t").unwrap();
    // Above the broker's 16 MiB message limit (within its frame allowance, so that the
    // broker itself refuses it).
    let huge = OutMessage {
        value: Bytes::from(vec![7u8; (16 << 20) + 1024]),
        ..Default::default()
    };
    let small = OutMessage {
        value: Bytes::from_static(b"fine"),
        ..Default::default()
    };
    let r = tokio::time::timeout(Duration::from_secs(20), c.publish(&t, vec![small, huge]))
        .await
        .expect("an oversized publish must not hang");
    let err = r.unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&t.to_string()), "{text}");
    assert!(text.contains("above the limit"), "{text}");
    assert!(matches!(err, ClientError::Rpc { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_call() {
    let e = support::embedded::start_embedded().await;
    let c = connect(&e.addr).await;
    let t = TopicName::new(&support::unique_namespace("bad"), "t").unwrap();
    let err = c.create_topic(&t, 0).await.unwrap_err();
    assert!(err.to_string().contains("partition count"), "{err}");
    let ch = TopicName::channel("c").unwrap();
    let err = c.create_topic(&ch, 4).await.unwrap_err();
    assert!(err.to_string().contains("channels have exactly 1"), "{err}");
    let err = c.chan_close("a/b").await.unwrap_err();
    assert!(matches!(err, ClientError::Invalid { .. }), "{err:?}");
    c.create_topic(&t, 2).await.unwrap();
    let spec = ReadSpec {
        partitions: Some(vec![0, 2]),
        ..ReadSpec::default()
    };
    let err = c.read(&t, spec).await.err().unwrap();
    assert!(
        err.to_string()
            .contains(&format!("2: {t} has partitions 0..1")),
        "{err}"
    );
}

#[tokio::test]
async fn a_dead_broker_is_a_transient_error_naming_its_address() {
    let e = support::embedded::start_embedded().await;
    let c = connect(&e.addr).await;
    let addr = e.addr.clone();
    e.broker.shutdown().await.unwrap();
    let t = TopicName::new("ns", "t").unwrap();
    let msg = OutMessage {
        value: Bytes::from_static(b"x"),
        ..Default::default()
    };
    let err = tokio::time::timeout(Duration::from_secs(10), c.publish(&t, vec![msg]))
        .await
        .expect("must not hang")
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(err.to_string().contains(&addr), "{err}");
    let err = tokio::time::timeout(Duration::from_secs(10), c.list_topics())
        .await
        .expect("must not hang")
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

/// Tasks alive in this test's runtime (the broker runs in it too).
fn alive() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

#[tokio::test]
async fn dropping_a_read_ends_every_subscription_on_both_sides() {
    let e = support::embedded::start_embedded().await;
    let c = connect(&e.addr).await;
    let t = TopicName::new(&support::unique_namespace("drop"), "t").unwrap();
    c.create_topic(&t, 4).await.unwrap();
    let one = OutMessage {
        value: Bytes::from_static(b"x"),
        ..Default::default()
    };
    c.publish(&t, vec![one]).await.unwrap();
    // Settle the connection's own tasks first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let baseline = alive();
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.next()).await {
            Ok(Some(Ok(swmq::client::ReadEvent::CaughtUp))) => break,
            Ok(Some(Ok(_))) => {}
            other => panic!("no CaughtUp: {other:?}"),
        }
    }
    let reading = alive();
    assert!(
        reading >= baseline + 5,
        "4 readers, a merger and broker subscriptions run: {baseline} → {reading}"
    );
    drop(s);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while alive() > baseline {
        assert!(
            std::time::Instant::now() < deadline,
            "tasks still alive after the read was dropped: {} > {baseline}",
            alive()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_channel_closed_by_someone_else_fails_an_open_publisher() {
    let e = support::embedded::start_embedded().await;
    let c = connect(&e.addr).await;
    let name = support::unique_namespace("shut");
    let t = TopicName::channel(&name).unwrap();
    let value = |v: &'static [u8]| OutMessage {
        value: Bytes::from_static(v),
        ..Default::default()
    };
    let p = c.publisher(&t).await.unwrap();
    p.send(value(b"before")).await.unwrap();
    // Let the first message reach the broker, then close the channel from elsewhere.
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.chan_close(&name).await.unwrap();
    let _ = p.send(value(b"after")).await;
    let err = tokio::time::timeout(Duration::from_secs(10), p.finish())
        .await
        .expect("finish must not hang")
        .unwrap_err();
    assert!(matches!(err, ClientError::ChannelClosed(_)), "{err:?}");
    assert_eq!(err.to_string(), format!("channel {name} is closed"));
}
