//! `Client::grep` against the embedded broker, through the real gRPC client: the admin
//! RPC `Grep` scans the segment files on the broker. Matches are exact (a needle in a
//! header, in a binary value, at the first and the last record, across partitions and
//! segments), in merged time order, equal to reading everything and matching here; the
//! range, partitions and max are honoured; dropping the stream stops the broker's scan.
use crate::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use swmq::broker::BrokerConfig;
use swmq::client::{
    Client, ClientError, ConnectOptions, GrepEvent, GrepQuery, GrepStream, Record, TopicName,
};
use swmq::proto::v2::Message;

use support::embedded::publish;

/// A broker with small segments (so a partition spans several files).
async fn broker(dir: &std::path::Path) -> swmq::broker::RunningBroker {
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.to_path_buf());
    config.segment_bytes = 256 << 10;
    swmq::broker::start(config).await.unwrap()
}

async fn connect(addr: &str) -> Client {
    Client::connect(&ConnectOptions::new(addr)).await.unwrap()
}

/// A filler record of about 200 bytes.
fn filler(ts: i64, i: usize) -> Message {
    Message {
        event_time_ns: ts,
        key: Bytes::from(format!("ord-{}", i % 97)),
        value: Bytes::from(format!(
            "{{\"order\":{i},\"sku\":\"A-{:04}\",\"note\":\"{}\"}}",
            i % 1000,
            "x".repeat(150)
        )),
        ..Default::default()
    }
}

fn with_value(ts: i64, value: &[u8]) -> Message {
    Message {
        event_time_ns: ts,
        value: Bytes::copy_from_slice(value),
        ..Default::default()
    }
}

/// Runs a search to its end: the matches, and whether it was complete.
async fn run(mut s: GrepStream) -> (Vec<Record>, bool, u64) {
    let mut out = Vec::new();
    let mut progress = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ev = tokio::time::timeout_at(deadline.into(), s.next())
            .await
            .expect("the search ends within 60 s");
        match ev.expect("a done before the end").unwrap() {
            GrepEvent::Match(r) => out.push(r),
            GrepEvent::Progress(p) => {
                assert!(p.matches >= out.len() as u64 || p.matches == 0);
                progress += 1;
            }
            GrepEvent::Notice(n) => panic!("unexpected notice: {n}"),
            GrepEvent::Done { complete } => return (out, complete, progress),
        }
    }
}

fn brief(r: &[Record]) -> Vec<(i32, i64)> {
    r.iter().map(|r| (r.partition, r.ts_ns)).collect()
}

const T0: i64 = 1_790_000_000_000_000_000;

/// Three partitions of ~5000 records each, over several segments and chunks; needles at
/// the very first record (partition 1), the very last (partition 2), in a header value, in
/// a binary value, and one per partition at interleaved times.
async fn seed(addr: &str, ns: &str) {
    let mut parts: Vec<Vec<Message>> = vec![Vec::new(), Vec::new(), Vec::new()];
    for i in 0..15_000usize {
        parts[i % 3].push(filler(T0 + 10 + i as i64 * 1000, i));
    }
    parts[1].insert(0, with_value(T0, b"needle at the first record"));
    parts[2].push(with_value(T0 + 20_000_000, b"the last record: needle"));
    let mut h = filler(T0 + 5_000_500, 1);
    h.headers
        .insert("trace".into(), Bytes::from_static(b"id=needle-7"));
    parts[0].insert(1667, h);
    parts[1].insert(
        2000,
        with_value(T0 + 6_000_700, b"\xff\x00\x9fneedle\xfe\x00"),
    );
    parts[2].insert(100, with_value(T0 + 300_300, b"NEEDLE in capitals"));
    for (p, msgs) in parts.into_iter().enumerate() {
        // Stamps must rise within a partition: sort each one by its event time.
        let mut msgs = msgs;
        msgs.sort_by_key(|m| m.event_time_ns);
        publish(addr, ns, "t", p as i32, msgs).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matches_are_exact_and_in_time_order_across_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path()).await;
    let addr = b.addr().to_string();
    let ns = support::unique_namespace("grep");
    seed(&addr, &ns).await;
    let c = connect(&addr).await;
    let t = TopicName::new(&ns, "t").unwrap();
    let all = support::read_history(&c, &t).await;
    assert_eq!(all.len(), 15_005);

    for (q, want) in [
        (GrepQuery::new("needle"), 4),
        (
            GrepQuery {
                ignore_case: true,
                ..GrepQuery::new("needle")
            },
            5,
        ),
        (GrepQuery::new(r"^ord-(13|42)$"), 15_000 / 97 * 2 + 2),
        (GrepQuery::new(r"sku.:.A-0999"), 15),
        (GrepQuery::new(r"(?-u:\xff\x00\x9f)"), 1),
        (
            GrepQuery {
                fixed: true,
                ..GrepQuery::new("id=needle-7")
            },
            1,
        ),
    ] {
        let m = q.matcher().unwrap();
        let expected: Vec<&Record> = all.iter().filter(|r| m.matches(r)).collect();
        let (got, complete, _) = run(c.grep(&t, q.clone()).await.unwrap()).await;
        assert!(complete, "{q:?}");
        assert_eq!(got.len(), want, "{q:?}");
        assert_eq!(got.len(), expected.len(), "{q:?}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(*g, **e, "{q:?}");
        }
        let ts: Vec<i64> = got.iter().map(|r| r.ts_ns).collect();
        assert!(
            ts.windows(2).all(|w| w[0] <= w[1]),
            "{q:?}: not in time order"
        );
    }
    // The needles themselves: first record, header, binary value, last record.
    let (got, _, _) = run(c.grep(&t, GrepQuery::new("needle")).await.unwrap()).await;
    assert_eq!(
        brief(&got),
        [
            (1, T0),
            (0, T0 + 5_000_500),
            (1, T0 + 6_000_700),
            (2, T0 + 20_000_000)
        ]
    );
    assert_eq!(
        got[1].headers,
        [("trace".into(), Bytes::from_static(b"id=needle-7"))]
    );
    assert_eq!(&got[2].value[..], b"\xff\x00\x9fneedle\xfe\x00");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_partitions_and_max_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path()).await;
    let addr = b.addr().to_string();
    let ns = support::unique_namespace("grepr");
    seed(&addr, &ns).await;
    let c = connect(&addr).await;
    let t = TopicName::new(&ns, "t").unwrap();
    let q = |from, until, partitions: Vec<i32>, max| GrepQuery {
        ignore_case: true,
        from,
        until,
        partitions,
        max,
        ..GrepQuery::new("needle")
    };
    // Inclusive bounds on exact timestamps.
    let (got, complete, _) = run(c
        .grep(
            &t,
            q(Some(T0 + 300_300), Some(T0 + 6_000_700), vec![], None),
        )
        .await
        .unwrap())
    .await;
    assert!(complete);
    assert_eq!(
        brief(&got),
        [(2, T0 + 300_300), (0, T0 + 5_000_500), (1, T0 + 6_000_700)]
    );
    let (got, _, _) = run(c.grep(&t, q(None, None, vec![1], None)).await.unwrap()).await;
    assert_eq!(brief(&got), [(1, T0), (1, T0 + 6_000_700)]);
    let (got, complete, _) = run(c.grep(&t, q(None, None, vec![], Some(2))).await.unwrap()).await;
    assert!(!complete, "stopped at max");
    assert_eq!(brief(&got), [(1, T0), (2, T0 + 300_300)]);
    // Nothing matches: done, complete, no match; a missing topic and a bad pattern fail.
    let (got, complete, _) = run(c.grep(&t, GrepQuery::new("zebra")).await.unwrap()).await;
    assert!(got.is_empty() && complete);
    let missing = TopicName::new(&ns, "nope").unwrap();
    let e = c.grep(&missing, GrepQuery::new("x")).await.err().unwrap();
    assert!(matches!(e, ClientError::TopicNotFound(_)), "{e}");
    let e = c.grep(&t, GrepQuery::new("a(b")).await.err().unwrap();
    assert!(e.to_string().contains("a(b"), "{e}");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_the_broker_scan() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path()).await;
    let addr = b.addr().to_string();
    let ns = support::unique_namespace("grepc");
    // 40 MiB that all match: far more than every buffer between the scan and the reader,
    // so a reader that stops reading holds the scan back.
    for p in 0..2 {
        let msgs: Vec<Message> = (0..10_000)
            .map(|i| with_value(T0 + i, &[b'm'; 2048]))
            .collect();
        publish(&addr, &ns, "big", p, msgs).await.unwrap();
    }
    let c = connect(&addr).await;
    let t = TopicName::new(&ns, "big").unwrap();
    let mut s = c.grep(&t, GrepQuery::new("m")).await.unwrap();
    assert!(matches!(s.next().await, Some(Ok(GrepEvent::Match(_)))));
    let waited = Instant::now();
    while b.grep_scans() == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "no scan running"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        b.grep_scans() > 0,
        "the scan must be held back, not finished"
    );
    let mut admin = support::embedded::admin_client(&addr).await;
    let info = admin
        .broker_info(swmq::proto::admin::BrokerInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(info.grep_scans > 0);
    drop(s);
    let dropped = Instant::now();
    while b.grep_scans() > 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(5),
            "the broker's scan still runs 5 s after the search was dropped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    b.shutdown().await.unwrap();
}
