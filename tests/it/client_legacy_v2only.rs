//! The 2.x client against a broker WITHOUT the admin extension, as an original
//! `weed msgBroker` is: a gRPC proxy in front of the embedded broker forwards only
//! `messaging_pb.SeaweedMessaging` (the admin service answers `UNIMPLEMENTED`). Reads then
//! end their history after a quiet period, the partition count comes from
//! `GetTopicConfiguration`, and listing goes to the filer.
use crate::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use swmq::client::legacy::LegacyClient;
use swmq::client::{
    ClientError, ConnectOptions, OutMessage, Protocol, ReadEvent, ReadSpec, TopicName,
};
use swmq::time::TimeSpec;

async fn client(addr: &str, filer: &str) -> LegacyClient {
    let mut opts = ConnectOptions::new(addr);
    opts.filer = filer.to_string();
    let c = swmq::client::Client::connect(&opts).await.unwrap();
    assert_eq!(c.protocol(), Protocol::Legacy);
    let ch = swmq::client::detect::open_channel(addr, Duration::from_secs(3))
        .await
        .unwrap();
    LegacyClient::new(&opts, ch)
}

fn msg(key: &str, value: &str) -> OutMessage {
    OutMessage {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
        ..Default::default()
    }
}

#[tokio::test]
async fn without_the_admin_service_reads_end_after_a_quiet_period_and_listing_needs_the_filer() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let e = support::embedded::start_embedded().await;
    let proxy = support::v2only::v2_only_proxy(&e.addr).await;
    let dead_filer = format!("127.0.0.1:{}", support::free_port());
    let c = client(&proxy, &dead_filer).await;

    let st = c.status().await.unwrap();
    assert_eq!(st.protocol, Protocol::Legacy);
    assert_eq!(st.embedded_version, None);
    assert_eq!(st.topic_count, None, "no admin and no filer: unknown");
    let err = c.list_topics().await.unwrap_err();
    assert!(err.to_string().contains(&dead_filer), "{err}");

    let t = TopicName::new(&support::unique_namespace("v2only"), "t").unwrap();
    c.create_topic(&t, 3).await.unwrap();
    assert_eq!(
        c.partition_count(&t).await.unwrap(),
        3,
        "GetTopicConfiguration"
    );
    let batch: Vec<OutMessage> = (0..12)
        .map(|i| msg(&format!("k{i}"), &i.to_string()))
        .collect();
    let outcomes = c.publish(&t, batch).await.unwrap();
    assert!(outcomes.iter().all(|o| o.partition < 3));

    // Non-follow: the history ends after the quiet period.
    let started = Instant::now();
    let mut s = c
        .read(
            &t,
            ReadSpec {
                from: TimeSpec::Earliest,
                until: None,
                partitions: None,
                follow: false,
            },
        )
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("the non-follow read must end")
    {
        if let ReadEvent::Records(rs) = ev.unwrap() {
            got.extend(rs);
        }
    }
    assert_eq!(got.len(), 12);
    assert!(got.windows(2).all(|w| w[0].ts_ns < w[1].ts_ns));
    assert!(started.elapsed() < Duration::from_secs(6));

    // Follow: caught up after the quiet period, then live records arrive.
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let mut history = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), s.next()).await {
            Ok(Some(Ok(ReadEvent::Records(rs)))) => history += rs.len(),
            Ok(Some(Ok(ReadEvent::CaughtUp))) => break,
            Ok(Some(Ok(_))) => {}
            other => panic!("no CaughtUp: {other:?}"),
        }
    }
    assert_eq!(history, 12);
    let sent = Instant::now();
    c.publish(&t, vec![msg("", "live")]).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(2), s.next()).await {
            Ok(Some(Ok(ReadEvent::Records(rs)))) => {
                assert_eq!(rs[0].value.as_ref(), b"live");
                break;
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("no live record within 2 s: {other:?}"),
        }
    }
    assert!(sent.elapsed() < Duration::from_secs(2));

    // describe needs the admin service or the filer.
    let err = c.describe(&t, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Connect { .. } | ClientError::Timeout { .. }
        ),
        "{err:?}"
    );
}
