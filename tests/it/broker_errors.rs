//! Bad input gets a gRPC status with a clear message, never a panic.
use crate::support;

use support::embedded::*;
use swmq::proto::v2::subscriber_message::InitMessage as SubInit;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{
    ConfigureTopicRequest, DeleteTopicRequest, Message, PublishRequest, SubscriberMessage,
    TopicConfiguration,
};

fn assert_invalid(err: tonic::Status, needle: &str) {
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    assert!(
        err.message().contains(needle),
        "{err:?} should mention {needle:?}"
    );
}

#[tokio::test]
async fn streams_without_init_are_refused() {
    let e = start_embedded().await;
    let mut c = v2_client(&e.addr).await;
    let data_only = PublishRequest {
        init: None,
        data: Some(msg("x")),
    };
    let err = match c.publish(tokio_stream::iter(vec![data_only])).await {
        Ok(r) => r.into_inner().message().await.unwrap_err(),
        Err(s) => s,
    };
    assert_invalid(err, "init");
    let err = match c
        .publish(tokio_stream::iter(Vec::<PublishRequest>::new()))
        .await
    {
        Ok(r) => r.into_inner().message().await.unwrap_err(),
        Err(s) => s,
    };
    assert_invalid(err, "init");
    let no_init = SubscriberMessage {
        init: None,
        ack: None,
        is_close: false,
    };
    let err = match c.subscribe(tokio_stream::iter(vec![no_init])).await {
        Ok(r) => r.into_inner().message().await.unwrap_err(),
        Err(s) => s,
    };
    assert_invalid(err, "init");
}

#[tokio::test]
async fn invalid_names_and_partitions_are_refused() {
    let e = start_embedded().await;
    let long = "x".repeat(256);
    for (ns, topic, part, needle) in [
        ("", "t", 0, "namespace"),
        ("ns", "", 0, "topic"),
        ("ns", "a/b", 0, "separator"),
        ("..", "t", 0, ".."),
        ("ns", "a\0b", 0, "NUL"),
        ("ns", long.as_str(), 0, "255"),
        ("ns", "t", -1, "partition -1"),
    ] {
        let err = publish(&e.addr, ns, topic, part, vec![msg("x")])
            .await
            .unwrap_err();
        assert_invalid(err, needle);
        let err = subscribe(&e.addr, ns, topic, part, StartPosition::Earliest, 0)
            .await
            .err()
            .unwrap_or_else(|| panic!("subscribe {ns:?}/{topic:?} accepted"));
        assert_invalid(err, needle);
    }
    let mut c = v2_client(&e.addr).await;
    let err = c
        .delete_topic(DeleteTopicRequest {
            namespace: "..".into(),
            topic: "x".into(),
        })
        .await
        .unwrap_err();
    assert_invalid(err, "..");
    // Nothing was created outside topics/.
    let mut entries: Vec<_> = std::fs::read_dir(e.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    entries.sort();
    assert_eq!(entries, ["swmq-broker-data", "topics"]);
}

#[tokio::test]
async fn unknown_enum_values_are_refused() {
    let e = start_embedded().await;
    let err = subscribe_raw(
        &e.addr,
        SubInit {
            namespace: "ns".into(),
            topic: "t".into(),
            partition: 0,
            start_position: 7,
            timestamp_ns: 0,
            subscriber_id: "x".into(),
        },
    )
    .await
    .err()
    .expect("refused");
    assert_invalid(err, "startPosition 7");
    let mut c = v2_client(&e.addr).await;
    for (config, needle) in [
        (
            TopicConfiguration {
                partition_count: 1,
                partitoning: 9,
                ..Default::default()
            },
            "partitioning 9",
        ),
        (
            TopicConfiguration {
                partition_count: 0,
                ..Default::default()
            },
            "partition_count 0",
        ),
    ] {
        let err = c
            .configure_topic(ConfigureTopicRequest {
                namespace: "ns".into(),
                topic: "t".into(),
                configuration: Some(config),
            })
            .await
            .unwrap_err();
        assert_invalid(err, needle);
    }
}

#[tokio::test]
async fn oversized_messages_are_refused_and_earlier_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        swmq::broker::BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().into());
    config.max_message_bytes = 1000;
    let b = swmq::broker::start(config).await.unwrap();
    let addr = b.addr().to_string();
    let big = Message {
        value: vec![7u8; 2000].into(),
        ..Default::default()
    };
    let err = publish(&addr, "ns", "big", 0, vec![msg("small"), big])
        .await
        .unwrap_err();
    assert_invalid(err, "limit of 1000 bytes");
    // Far above the limit, the request frame itself is refused, with a status too.
    let huge = Message {
        value: vec![7u8; 200_000].into(),
        ..Default::default()
    };
    let err = publish(&addr, "ns", "big", 0, vec![huge])
        .await
        .unwrap_err();
    assert_ne!(err.code(), tonic::Code::Ok);
    assert!(err.message().contains("bad publish request"), "{err}");
    let mut sub = subscribe(&addr, "ns", "big", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "small");
    assert!(sub.quiet_for(100).await);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_publisher_vanishing_mid_stream_keeps_what_it_sent() {
    let e = start_embedded().await;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tx.send(PublishRequest {
        init: Some(swmq::proto::v2::publish_request::InitMessage {
            namespace: "ns".into(),
            topic: "vanish".into(),
            partition: 0,
        }),
        data: None,
    })
    .await
    .unwrap();
    for v in ["1", "2"] {
        tx.send(PublishRequest {
            init: None,
            data: Some(msg(v)),
        })
        .await
        .unwrap();
    }
    let mut c = v2_client(&e.addr).await;
    let call = tokio::spawn(async move {
        c.publish(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner()
            .message()
            .await
    });
    let mut sub = subscribe(&e.addr, "ns", "vanish", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "1");
    assert_eq!(sub.next().await.unwrap().unwrap().value, "2");
    call.abort(); // the client goes away without ending its stream
    drop(tx);
    // The broker still serves and accepts publishes.
    publish(&e.addr, "ns", "vanish", 0, vec![msg("3")])
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "3");
}
