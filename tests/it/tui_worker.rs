//! The TUI's worker actor against the embedded broker: commands in, events out;
//! subscriptions by id with cancellation; histograms; publish and delete.

use crate::support;

use std::time::Duration;

use bytes::Bytes;
use swmq::client::{ConnectOptions, HistogramUnit, OutMessage, TopicName};
use swmq::tui::msg::{Start, WorkerCmd, WorkerEvent};
use swmq::tui::worker::{self, WorkerHandle};

async fn next(
    w: &mut WorkerHandle,
    what: &str,
    pred: impl Fn(&WorkerEvent) -> bool,
) -> WorkerEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, w.events.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return ev,
            Ok(Some(_)) => {}
            Ok(None) => panic!("worker ended while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn msg(v: &str) -> OutMessage {
    OutMessage {
        value: Bytes::from(v.to_string()),
        ..Default::default()
    }
}

#[tokio::test]
async fn worker_serves_subscriptions_requests_and_cancellation() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let emb = support::embedded::start_embedded().await;
    let t = TopicName::parse("w/orders").unwrap();
    let mut w = worker::spawn(ConnectOptions::new(&emb.addr));
    next(&mut w, "connected", |e| {
        matches!(e, WorkerEvent::Connected { .. })
    })
    .await;
    // Publish through the worker.
    let values: Vec<OutMessage> = (0..20).map(|i| msg(&format!("v{i:02}"))).collect();
    w.commands
        .send(WorkerCmd::Publish {
            req: 7,
            topic: t.clone(),
            messages: values,
        })
        .await
        .unwrap();
    let ev = next(&mut w, "published", |e| {
        matches!(e, WorkerEvent::Published { req: 7, .. })
    })
    .await;
    let WorkerEvent::Published {
        result: Ok(outs), ..
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(outs.len(), 20);
    w.commands.send(WorkerCmd::RefreshTopics).await.unwrap();
    next(
        &mut w,
        "the topic listed",
        |e| matches!(e, WorkerEvent::Topics(l) if l.iter().any(|i| i.name == t)),
    )
    .await;

    // Subscription 1: the newest records, then caught up.
    w.commands
        .send(WorkerCmd::Subscribe {
            id: 1,
            topic: t.clone(),
            start: Start::Newest(100),
        })
        .await
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 20 {
        if let WorkerEvent::Records { id, records } = next(&mut w, "records of sub 1", |e| {
            matches!(e, WorkerEvent::Records { id: 1, .. })
        })
        .await
        {
            assert_eq!(id, 1);
            got.extend(records);
        }
    }
    assert!(got.windows(2).all(|p| p[0].ts_ns <= p[1].ts_ns));
    // Subscription 2 from the exact timestamp of the 6th record.
    let at = got[5].ts_ns;
    w.commands
        .send(WorkerCmd::Subscribe {
            id: 2,
            topic: t.clone(),
            start: Start::At(at),
        })
        .await
        .unwrap();
    let ev = next(&mut w, "records of sub 2", |e| {
        matches!(e, WorkerEvent::Records { id: 2, .. })
    })
    .await;
    let WorkerEvent::Records { records, .. } = ev else {
        unreachable!()
    };
    assert_eq!(records[0].ts_ns, at, "inclusive start at the cursor's ns");

    // Cancel 1; a new record reaches 2 only.
    w.commands.send(WorkerCmd::Cancel { id: 1 }).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    while w.events.try_recv().is_ok() {}
    w.commands
        .send(WorkerCmd::Publish {
            req: 8,
            topic: t.clone(),
            messages: vec![msg("late")],
        })
        .await
        .unwrap();
    let mut seen_by_2 = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, w.events.recv()).await {
        if let WorkerEvent::Records { id, records } = &ev {
            assert_ne!(*id, 1, "a cancelled subscription delivered {records:?}");
            if records.iter().any(|r| r.value == "late") {
                seen_by_2 = true;
                break;
            }
        }
    }
    assert!(seen_by_2);

    // A histogram from the server side (the embedded broker counts messages).
    w.commands
        .send(WorkerCmd::Histogram {
            id: 9,
            topic: t.clone(),
            start_ns: got[0].ts_ns - 1_000_000_000,
            stop_ns: swmq::time::now_ns() + 1_000_000_000,
            buckets: 10,
        })
        .await
        .unwrap();
    let ev = next(&mut w, "the histogram", |e| {
        matches!(e, WorkerEvent::Histogram { id: 9, .. })
    })
    .await;
    let WorkerEvent::Histogram { result: Ok(h), .. } = ev else {
        panic!("{ev:?}")
    };
    assert_eq!(h.unit, HistogramUnit::Messages);
    assert_eq!(h.counts.len(), 10);
    assert_eq!(h.counts.iter().sum::<u64>(), 21);

    // Delete; the next listing lacks the topic.
    w.commands.send(WorkerCmd::Cancel { id: 2 }).await.unwrap();
    w.commands
        .send(WorkerCmd::Delete {
            req: 10,
            topic: t.clone(),
        })
        .await
        .unwrap();
    let ev = next(&mut w, "deleted", |e| {
        matches!(e, WorkerEvent::Deleted { req: 10, .. })
    })
    .await;
    assert!(
        matches!(ev, WorkerEvent::Deleted { result: Ok(_), .. }),
        "{ev:?}"
    );
    next(
        &mut w,
        "a listing without the topic",
        |e| matches!(e, WorkerEvent::Topics(l) if l.iter().all(|i| i.name != t)),
    )
    .await;
    w.shutdown.cancel();
    emb.broker.shutdown().await.unwrap();
}

#[tokio::test]
async fn unreachable_broker_is_reported_with_its_address_and_retried() {
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut o = ConnectOptions::new(&addr);
    o.connect_timeout = Duration::from_millis(500);
    let mut w = worker::spawn(o);
    for attempt in 1..=2 {
        let ev = next(&mut w, "unreachable", |e| {
            matches!(e, WorkerEvent::Unreachable { .. })
        })
        .await;
        let WorkerEvent::Unreachable {
            addr: a,
            attempt: n,
            error,
            ..
        } = ev
        else {
            unreachable!()
        };
        assert_eq!((a.as_str(), n), (addr.as_str(), attempt));
        assert!(error.to_string().contains(&addr), "{error}");
    }
    w.shutdown.cancel();
}

#[tokio::test]
async fn a_broker_that_appears_later_is_connected_to() {
    let port = support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut o = ConnectOptions::new(&addr);
    o.connect_timeout = Duration::from_millis(500);
    let mut w = worker::spawn(o);
    next(&mut w, "unreachable", |e| {
        matches!(e, WorkerEvent::Unreachable { .. })
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let broker = swmq::broker::start(swmq::broker::BrokerConfig::new(
        addr.parse().unwrap(),
        dir.path().to_path_buf(),
    ))
    .await
    .unwrap();
    let ev = next(&mut w, "connected", |e| {
        matches!(e, WorkerEvent::Connected { .. })
    })
    .await;
    let WorkerEvent::Connected { protocol, .. } = ev else {
        unreachable!()
    };
    assert_eq!(protocol, swmq::client::Protocol::Legacy);
    next(&mut w, "a listing", |e| matches!(e, WorkerEvent::Topics(_))).await;
    w.shutdown.cancel();
    broker.shutdown().await.unwrap();
}
