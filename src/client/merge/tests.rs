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
        decoded: None,
    }
}

fn reset() -> ClientError {
    ClientError::rpc("read t/t partition 0", tonic::Status::unavailable("reset"))
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
            error: reset(),
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

fn released(m: &mut Merger, now: Instant) -> Vec<(i32, i64)> {
    let mut batch = Vec::new();
    m.release(&mut batch, now);
    batch.iter().map(|r| (r.partition, r.ts_ns)).collect()
}

#[test]
fn a_failed_partition_is_reported_and_the_others_go_on() {
    let mut m = Merger::new(&[3, 5], &spec(false, None), Duration::from_millis(10));
    let now = Instant::now();
    let e = ClientError::rpc(
        "read t/t partition 5",
        tonic::Status::unknown("failed to get or generate local partition 0000-0315"),
    );
    match m.apply(1, PartEvent::Failed(e.clone()), now) {
        Applied::Tell(ReadEvent::PartitionFailed { partition, error }) => {
            assert_eq!((partition, error), (5, e));
        }
        other => panic!("{other:?}"),
    }
    m.apply(0, PartEvent::Records(vec![rec(3, 1), rec(3, 2)]), now);
    m.apply(0, PartEvent::CaughtUp, now);
    assert_eq!(released(&mut m, now), vec![(3, 1), (3, 2)]);
    assert!(m.finished());
}

#[test]
fn a_gone_topic_or_every_partition_failing_fails_the_read() {
    let now = Instant::now();
    let mut m = Merger::new(&[0, 1], &spec(true, None), Duration::from_millis(10));
    let gone = ClientError::TopicNotFound("t/t".into());
    assert_eq!(
        m.apply(0, PartEvent::Failed(gone.clone()), now),
        Applied::Fail(gone)
    );
    let mut m = Merger::new(&[0, 1], &spec(true, None), Duration::from_millis(10));
    let e = ClientError::Invalid {
        what: "x".into(),
        detail: "y".into(),
    };
    assert!(matches!(
        m.apply(0, PartEvent::Failed(e.clone()), now),
        Applied::Tell(_)
    ));
    assert_eq!(
        m.apply(1, PartEvent::Failed(e.clone()), now),
        Applied::Fail(e)
    );
}

#[test]
fn a_tls_failure_of_one_partition_fails_the_read_at_once() {
    let now = Instant::now();
    let mut m = Merger::new(&[0, 1], &spec(false, None), Duration::from_millis(10));
    let e = ClientError::Tls {
        context: "https 127.0.0.1:8888 (TLS settings: [https.client] of security.toml)".into(),
        problem: "certificate signed by an unknown authority: check --tls-ca".into(),
    };
    assert_eq!(
        m.apply(1, PartEvent::Failed(e.clone()), now),
        Applied::Fail(e)
    );
}

#[test]
fn a_reconnecting_partition_holds_the_others_back_only_for_the_stall_limit() {
    let mut m = Merger::new(&[0, 1], &spec(true, None), Duration::from_millis(10));
    let t0 = Instant::now();
    for i in 0..2 {
        m.apply(i, PartEvent::CaughtUp, t0);
    }
    let told = m.apply(
        1,
        PartEvent::Reconnecting {
            error: reset(),
            attempt: 1,
        },
        t0,
    );
    assert!(matches!(
        told,
        Applied::Tell(ReadEvent::Reconnecting {
            partition: Some(1),
            attempt: 1,
            ..
        })
    ));
    m.apply(0, PartEvent::Records(vec![rec(0, 10)]), t0);
    let mut batch = Vec::new();
    assert_eq!(m.release(&mut batch, t0), Some(t0 + STALL_LIMIT));
    assert!(batch.is_empty(), "held back while partition 1 reconnects");
    let later = t0 + STALL_LIMIT;
    assert_eq!(released(&mut m, later), vec![(0, 10)]);
    // Partition 1 comes back with an older record: released late, not lost.
    let back = m.apply(1, PartEvent::Records(vec![rec(1, 5)]), later);
    assert_eq!(
        back,
        Applied::Tell(ReadEvent::Reconnected { partition: Some(1) })
    );
    m.apply(1, PartEvent::Watermark(20), later);
    m.apply(0, PartEvent::Watermark(20), later);
    assert_eq!(released(&mut m, later), vec![(1, 5)]);
    assert_eq!(m.apply(1, PartEvent::Reconnected, later), Applied::Quiet);
}

#[tokio::test]
async fn partitions_added_while_running_are_merged() {
    let (tx, rx) = inputs(1);
    let (add_tx, add_rx) = mpsc::channel(4);
    let mut s = spawn_merged_growing(
        vec![0],
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
    add_tx.send((1, rx1)).await.unwrap();
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

#[test]
fn each_notice_text_is_told_once_per_read() {
    let mut m = Merger::new(&[0, 1], &spec(true, None), Duration::from_millis(10));
    let now = Instant::now();
    let say = |t: &str| PartEvent::Notice(t.to_string());
    assert_eq!(
        m.apply(0, say("filer down"), now),
        Applied::Tell(ReadEvent::Notice("filer down".into()))
    );
    assert_eq!(m.apply(1, say("filer down"), now), Applied::Quiet);
    assert_eq!(
        m.apply(1, say("other"), now),
        Applied::Tell(ReadEvent::Notice("other".into()))
    );
}

#[test]
fn late_records_are_released_in_their_place_or_at_once_never_dropped() {
    let mut m = Merger::new(&[0, 1], &spec(true, None), Duration::from_millis(10));
    let t0 = Instant::now();
    for i in 0..2 {
        m.apply(i, PartEvent::CaughtUp, t0);
    }
    m.apply(0, PartEvent::Records(vec![rec(0, 10), rec(0, 40)]), t0);
    m.apply(1, PartEvent::Watermark(30), t0);
    assert_eq!(released(&mut m, t0), vec![(0, 10)]);
    // Records the reader found after a gap closed: 20 before the queued 40; 5 behind what
    // was released already. Plain records that old would be dropped as repeats.
    m.apply(0, PartEvent::Records(vec![rec(0, 5)]), t0);
    m.apply(0, PartEvent::Late(vec![rec(0, 5), rec(0, 20)]), t0);
    m.apply(1, PartEvent::Watermark(50), t0);
    assert_eq!(released(&mut m, t0), vec![(0, 5), (0, 20), (0, 40)]);
}
