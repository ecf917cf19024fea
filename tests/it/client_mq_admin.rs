//! The 4.x client against a real SeaweedFS 4.48: refusing bad requests, status, listing,
//! deleting, and following with `until` / from `latest`.
use crate::support;

use std::time::Duration;

use bytes::Bytes;
use support::out_msg as msg;
use support::weed::mq_client as mq;
use swmq::client::mq::MqClient;
use swmq::client::*;
use swmq::time::TimeSpec;

/// Reads until the stream ends; fails after `limit`.
async fn read_all(c: &MqClient, t: &TopicName, spec: ReadSpec, limit: Duration) -> Vec<Record> {
    let mut s = c.read(t, spec).await.expect("read");
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("read of {t} did not end within {limit:?}"),
            Ok(None) => return out,
            Ok(Some(Err(e))) => panic!("read of {t} failed: {e}"),
            Ok(Some(Ok(ReadEvent::Records(r)))) => out.extend(r),
            Ok(Some(Ok(_))) => {}
        }
    }
}

fn history() -> ReadSpec {
    ReadSpec {
        follow: false,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn bad_requests_are_refused_before_reaching_the_broker() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("bad"), "t").unwrap();
    for n in [0, 2521] {
        let e = c.create_topic(&t, n).await.unwrap_err();
        assert!(matches!(e, ClientError::Invalid { .. }), "{e}");
    }
    // Nothing was created.
    assert!(matches!(
        c.partitions(&t).await,
        Err(ClientError::TopicNotFound(_))
    ));
    assert!(matches!(
        c.publish(&t, vec![msg("k", "v")]).await,
        Err(ClientError::TopicNotFound(_))
    ));
    assert!(matches!(
        c.read(&t, history()).await,
        Err(ClientError::TopicNotFound(_))
    ));
    c.create_topic(&t, 1).await.unwrap();
    let mut h = msg("k", "v");
    h.headers = vec![("h".into(), Bytes::from_static(b"1"))];
    let e = c.publish(&t, vec![h]).await.unwrap_err();
    assert!(
        matches!(&e, ClientError::Unsupported(m) if m.contains("headers")),
        "{e}"
    );
    let close = OutMessage {
        is_close: true,
        ..Default::default()
    };
    assert!(matches!(
        c.publish(&t, vec![close]).await,
        Err(ClientError::Unsupported(_))
    ));
    // The broker is still alive.
    c.status().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn list_status_and_delete() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let ns = support::unique_namespace("del");
    let t = TopicName::new(&ns, "gone").unwrap();
    let keep = TopicName::new(&ns, "kept").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    c.create_topic(&keep, 1).await.unwrap();
    c.publish(&t, (0..6).map(|i| msg(&format!("d{i}"), "v")).collect())
        .await
        .unwrap();
    c.publish(&keep, vec![msg("x", "y")]).await.unwrap();

    let st = c.status().await.unwrap();
    assert_eq!(st.protocol, Protocol::Mq);
    assert!(st.balancer.is_some() && st.topic_count.unwrap() >= 2);
    let list = c.list_topics().await.unwrap();
    let mine: Vec<&TopicInfo> = list.iter().filter(|i| i.name.namespace == ns).collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let gone = mine.iter().find(|i| i.name == t).unwrap();
    assert_eq!(gone.partitions.len(), 2);
    assert_eq!(gone.message_count(), Some(6));
    assert!(gone.publishers.is_some() && gone.subscribers.is_some());

    let dir = swmq::client::mq::topic_dir(&t);
    let (parent, name) = swmq::client::filer::split(&dir);
    assert!(c.filer().lookup(&parent, &name).await.unwrap().is_some());
    let out = c.delete(&t).await.unwrap();
    assert_eq!(out.existed, Some(true));
    assert!(out.note.unwrap().contains("30 s"));
    assert!(c.filer().lookup(&parent, &name).await.unwrap().is_none());
    assert!(c.filer().list_entries(&dir).await.unwrap().is_empty());
    // The other topic is untouched.
    let kept = read_all(&c, &keep, history(), Duration::from_secs(20)).await;
    assert_eq!(kept.len(), 1);
    // Deleting again is not an error.
    c.delete(&t).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn following_from_latest_sees_only_new_records_and_until_ends_an_idle_tail() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("latest"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    c.publish(&t, vec![msg("old1", "o"), msg("old2", "o")])
        .await
        .unwrap();
    let spec = ReadSpec {
        from: TimeSpec::Latest,
        ..Default::default()
    };
    let mut s = c.read(&t, spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.publish(&t, vec![msg("new", "n")]).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, s.next())
            .await
            .expect("new record")
        {
            Some(Ok(ReadEvent::Records(r))) => {
                assert!(r.iter().all(|r| r.key == "new".as_bytes()), "{r:?}");
                if !r.is_empty() {
                    break;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    // A follow read with `until` in the near future ends by itself on an idle topic.
    let until = swmq::time::now_ns() + 500_000_000;
    let spec = ReadSpec {
        until: Some(until),
        ..Default::default()
    };
    let got = read_all(&c, &t, spec, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.ts_ns <= until));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn without_a_filer_describe_still_counts_and_histogram_names_the_filer() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let good = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("nofiler"), "t").unwrap();
    good.create_topic(&t, 1).await.unwrap();
    good.publish(&t, vec![msg("k", "v")]).await.unwrap();
    let dead = format!("127.0.0.1:{}", support::free_port());
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = dead.clone();
    let Client::Mq(c) = Client::connect(&o).await.unwrap() else {
        panic!("not mq")
    };
    let d = c.describe(&t, None).await.unwrap();
    assert_eq!(d.info.message_count(), Some(1));
    assert_eq!(d.info.bytes(), None);
    // Exact times come from the broker, not the filer.
    assert!(d.info.first_ts_ns().is_some());
    let req = HistogramRequest {
        start_ns: None,
        stop_ns: None,
        buckets: 4,
    };
    let e = c.histogram(&t, req).await.unwrap_err();
    assert!(e.to_string().contains(&dead), "{e}");
    // The failure is remembered: the next call fails at once.
    let started = std::time::Instant::now();
    assert!(c.histogram(&t, req).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn deleting_a_topic_with_a_live_tail_and_publisher_leaves_nothing_behind() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("dellive"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    c.publish(&t, vec![msg("a", "1")]).await.unwrap();
    let mut tail = c.read(&t, ReadSpec::default()).await.unwrap();
    let publisher = c.publisher(&t).await.unwrap();
    publisher.send(msg("b", "2")).await.unwrap();
    // Both streams are live.
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen < 2 {
        match tokio::time::timeout_at(deadline, tail.next())
            .await
            .expect("tail")
        {
            Some(Ok(ReadEvent::Records(r))) => seen += r.len(),
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    let started = std::time::Instant::now();
    let out = c.delete(&t).await.unwrap();
    eprintln!("delete with live clients took {:?}", started.elapsed());
    assert_eq!(out.existed, Some(true));
    let dir = swmq::client::mq::topic_dir(&t);
    // The tail ends with an error instead of going on; the publisher ends.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match tail.next().await {
                None => return None,
                Some(Err(e)) => return Some(e),
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("the tail notices the delete");
    eprintln!("tail ended with {ended:?}");
    let finished = tokio::time::timeout(Duration::from_secs(10), publisher.finish())
        .await
        .expect("the publisher ends");
    eprintln!("publisher ended with {finished:?}");
    // A publisher that was still connected may have recreated partition directories
    // (4.48 behaviour, said in the note): deleting again once it is gone cleans them.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.delete(&t).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let left = c.filer().list_entries(&dir).await.unwrap();
    assert!(
        left.is_empty(),
        "recreated: {:?}",
        left.iter().map(|e| &e.name).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn listing_many_topics_describes_each_concurrently() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let ns = support::unique_namespace("many");
    // ConfigureTopic takes ~0.7 s on 4.48: a dozen topics is enough to see concurrency.
    let n = 12;
    for i in 0..n {
        let t = TopicName::new(&ns, &format!("t{i:02}")).unwrap();
        c.create_topic(&t, 1 + (i % 3)).await.unwrap();
    }
    let t0 = TopicName::new(&ns, "t00").unwrap();
    c.publish(&t0, vec![msg("k", "v")]).await.unwrap();
    let started = std::time::Instant::now();
    let list = c.list_topics().await.unwrap();
    eprintln!("listed {} topics in {:?}", list.len(), started.elapsed());
    let mine: Vec<&TopicInfo> = list.iter().filter(|i| i.name.namespace == ns).collect();
    assert_eq!(mine.len(), n as usize);
    for (i, info) in mine.iter().enumerate() {
        assert_eq!(info.name.name, format!("t{i:02}"), "sorted by name");
        assert_eq!(info.partitions.len(), 1 + i % 3, "{info:?}");
        assert!(info.partitions.iter().all(|p| p.ring.is_some()));
    }
    assert_eq!(mine[0].message_count(), Some(1));
    assert_eq!(mine[1].message_count(), Some(0));
}
