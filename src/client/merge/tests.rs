use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::client::TopicName;
use crate::time::TimeSpec;

fn rec(p: i32, ts: i64) -> Record {
    Record {
        topic: Arc::new(TopicName::parse("t/t").unwrap()),
        partition: p,
        ts_ns: ts,
        key: Bytes::new(),
        value: Bytes::from(format!("{p}:{ts}")),
        headers: vec![],
        is_close: false,
        offset: None,
    }
}

fn spec(follow: bool, until: Option<i64>) -> ReadSpec {
    ReadSpec {
        from: TimeSpec::Earliest,
        until,
        partitions: None,
        follow,
    }
}

fn inputs(n: usize) -> (Vec<mpsc::Sender<PartEvent>>, Vec<mpsc::Receiver<PartEvent>>) {
    (0..n).map(|_| mpsc::channel(16)).unzip()
}

/// Collects records until the stream ends (or `limit` records).
async fn collect(s: &mut ReadStream, limit: usize) -> (Vec<(i32, i64)>, bool) {
    let mut got = Vec::new();
    let mut caught_up = false;
    while got.len() < limit {
        match s.next().await {
            Some(Ok(ReadEvent::Records(rs))) => {
                got.extend(rs.iter().map(|r| (r.partition, r.ts_ns)))
            }
            Some(Ok(ReadEvent::CaughtUp)) => caught_up = true,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{e}"),
            None => break,
        }
    }
    (got, caught_up)
}

#[tokio::test]
async fn history_is_merged_in_order_and_non_follow_ends() {
    let (tx, rx) = inputs(3);
    let mut s = spawn_merged(rx, spec(false, None), Duration::from_millis(50));
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 1), rec(0, 5), rec(0, 9)]))
        .await
        .unwrap();
    tx[1]
        .send(PartEvent::Records(vec![rec(1, 2), rec(1, 5)]))
        .await
        .unwrap();
    tx[2]
        .send(PartEvent::Records(vec![rec(2, 3)]))
        .await
        .unwrap();
    for t in &tx {
        t.send(PartEvent::CaughtUp).await.unwrap();
    }
    let (got, caught_up) = collect(&mut s, 100).await;
    assert_eq!(
        got,
        vec![(0, 1), (1, 2), (2, 3), (0, 5), (1, 5), (0, 9)],
        "ties go in partition order"
    );
    assert!(caught_up);
}

#[tokio::test]
async fn a_partition_reading_history_holds_the_others_back() {
    let (tx, rx) = inputs(2);
    let mut s = spawn_merged(rx, spec(true, None), Duration::from_millis(10));
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 10), rec(0, 20)]))
        .await
        .unwrap();
    tx[0].send(PartEvent::CaughtUp).await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(100), s.next()).await;
    assert!(
        early.is_err(),
        "released before partition 1 caught up: {early:?}"
    );
    tx[1]
        .send(PartEvent::Records(vec![rec(1, 15)]))
        .await
        .unwrap();
    tx[1].send(PartEvent::CaughtUp).await.unwrap();
    let (got, _) = collect(&mut s, 3).await;
    assert_eq!(got, vec![(0, 10), (1, 15), (0, 20)]);
}

#[tokio::test]
async fn overlapping_resends_are_dropped() {
    let (tx, rx) = inputs(1);
    let mut s = spawn_merged(rx, spec(false, None), Duration::from_millis(10));
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 1), rec(0, 2)]))
        .await
        .unwrap();
    tx[0]
        .send(PartEvent::Reconnecting {
            error: "reset".into(),
            attempt: 1,
        })
        .await
        .unwrap();
    tx[0].send(PartEvent::Reconnected).await.unwrap();
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 2), rec(0, 3)]))
        .await
        .unwrap();
    tx[0].send(PartEvent::CaughtUp).await.unwrap();
    let (got, _) = collect(&mut s, 10).await;
    assert_eq!(got, vec![(0, 1), (0, 2), (0, 3)]);
}

#[tokio::test]
async fn until_stops_the_read() {
    let (tx, rx) = inputs(2);
    let mut s = spawn_merged(rx, spec(true, Some(5)), Duration::from_millis(10));
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 1), rec(0, 5), rec(0, 6)]))
        .await
        .unwrap();
    tx[1]
        .send(PartEvent::Records(vec![rec(1, 4)]))
        .await
        .unwrap();
    tx[1].send(PartEvent::CaughtUp).await.unwrap();
    tx[1].send(PartEvent::Watermark(7)).await.unwrap();
    let (got, _) = tokio::time::timeout(Duration::from_secs(5), collect(&mut s, 10))
        .await
        .expect("the read must end once until is passed everywhere");
    assert_eq!(got, vec![(0, 1), (1, 4), (0, 5)]);
}

#[tokio::test]
async fn an_idle_live_partition_waits_for_its_watermark_or_the_bounded_wait() {
    let (tx, rx) = inputs(2);
    let max_wait = Duration::from_millis(300);
    let mut s = spawn_merged(rx, spec(true, None), max_wait);
    for t in &tx {
        t.send(PartEvent::CaughtUp).await.unwrap();
    }
    assert!(matches!(s.next().await, Some(Ok(ReadEvent::CaughtUp))));

    // The watermark of the idle partition passes the record: released at once.
    tx[1].send(PartEvent::Watermark(100)).await.unwrap();
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 50)]))
        .await
        .unwrap();
    let (got, _) = tokio::time::timeout(Duration::from_millis(200), collect(&mut s, 1))
        .await
        .expect("released by the watermark");
    assert_eq!(got, vec![(0, 50)]);

    // No watermark: released after the bounded wait, not before.
    let start = std::time::Instant::now();
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 500)]))
        .await
        .unwrap();
    let (got, _) = tokio::time::timeout(Duration::from_secs(5), collect(&mut s, 1))
        .await
        .expect("released by the bounded wait");
    assert_eq!(got, vec![(0, 500)]);
    assert!(start.elapsed() >= max_wait - Duration::from_millis(20));
}

#[tokio::test]
async fn a_fatal_error_fails_the_read() {
    let (tx, rx) = inputs(2);
    let mut s = spawn_merged(rx, spec(true, None), Duration::from_millis(10));
    tx[1]
        .send(PartEvent::Failed(ClientError::TopicNotFound("t/t".into())))
        .await
        .unwrap();
    match s.next().await {
        Some(Err(ClientError::TopicNotFound(t))) => assert_eq!(t, "t/t"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_stream_stops_the_merger() {
    let (tx, rx) = inputs(1);
    let s = spawn_merged(rx, spec(true, None), Duration::from_millis(10));
    drop(s);
    tokio::time::timeout(Duration::from_secs(2), tx[0].closed())
        .await
        .expect("partition senders see the merger gone");
}

#[tokio::test]
async fn ended_inputs_end_the_read() {
    let (tx, rx) = inputs(2);
    let mut s = spawn_merged(rx, spec(true, None), Duration::from_millis(10));
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 1)]))
        .await
        .unwrap();
    drop(tx);
    let (got, _) = tokio::time::timeout(Duration::from_secs(2), collect(&mut s, 10))
        .await
        .expect("ends");
    assert_eq!(got, vec![(0, 1)]);
}

#[tokio::test]
async fn partitions_added_while_running_are_merged() {
    let (tx, rx) = inputs(1);
    let (add_tx, add_rx) = mpsc::channel(4);
    let mut s = spawn_merged_growing(
        rx,
        Some(add_rx),
        spec(true, None),
        Duration::from_millis(50),
    );
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 10)]))
        .await
        .unwrap();
    tx[0].send(PartEvent::CaughtUp).await.unwrap();
    let (got, _) = collect(&mut s, 1).await;
    assert_eq!(got, vec![(0, 10)]);
    // A partition appears: its history (older and newer) holds partition 0's next record
    // back until it is caught up, then everything comes out in time order.
    let (tx1, rx1) = mpsc::channel(16);
    add_tx.send(rx1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 30)]))
        .await
        .unwrap();
    tx1.send(PartEvent::Records(vec![rec(1, 5), rec(1, 20)]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx1.send(PartEvent::Records(vec![rec(1, 40)]))
        .await
        .unwrap();
    tx1.send(PartEvent::CaughtUp).await.unwrap();
    tx[0].send(PartEvent::Watermark(i64::MAX)).await.unwrap();
    tx1.send(PartEvent::Watermark(i64::MAX)).await.unwrap();
    let (got, _) = collect(&mut s, 4).await;
    assert_eq!(got, vec![(1, 5), (1, 20), (0, 30), (1, 40)]);
    // The end of `added` does not end the read.
    drop(add_tx);
    tx[0]
        .send(PartEvent::Records(vec![rec(0, 50)]))
        .await
        .unwrap();
    let (got, _) = collect(&mut s, 1).await;
    assert_eq!(got, vec![(0, 50)]);
}
