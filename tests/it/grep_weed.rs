//! `swmq grep` and `Client::grep` against a real SeaweedFS 4.48 (`weed server -mq.broker`):
//! exact matches in time order across partitions (a needle in a binary value, at the first
//! and the last record), and the CLI's formats and exit codes.
#[allow(unused_imports)]
use crate::cli_common;
use crate::grep_common;
use crate::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use cli_common::Target;
use swmq::client::mq::MqClient;
use swmq::client::{
    Client, ClientError, GrepEvent, GrepProgress, GrepQuery, OutMessage, Record, TopicName,
};
// The names the shared schema sample expects in scope (`mod sample` below).
#[allow(unused_imports)]
use serde_json::json;
#[allow(unused_imports)]
use swmq::client::{FieldType, ScalarType, SchemaField};
#[allow(unused_imports)]
use swmq::proto::mq::schema_pb::{self, value::Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn grep_cli_on_weed() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let t = Target {
        broker: w.broker.clone(),
        filer: w.filer.clone(),
        protocol: "mq",
    };
    grep_common::check_grep_cli(&t, &support::unique_namespace("gw")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn matches_are_exact_across_partitions_on_weed() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let mq = support::weed::mq_client(w).await;
    let c = Client::Mq(mq.clone());
    let t = TopicName::new(&support::unique_namespace("gx"), "t").unwrap();
    c.create_topic(&t, 3).await.unwrap();
    let mut msgs: Vec<OutMessage> = (0..3000)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(format!("{{\"n\":{i},\"pad\":\"{}\"}}", "p".repeat(150))),
            ..Default::default()
        })
        .collect();
    let needle = |k: &str, v: &[u8]| OutMessage {
        key: Bytes::from(k.to_string()),
        value: Bytes::copy_from_slice(v),
        ..Default::default()
    };
    msgs.insert(0, needle("first", b"needle at the start"));
    msgs.insert(1500, needle("bin", b"\xff\x00needle\xfe"));
    msgs.push(needle("last", b"the last needle"));
    c.publish(&t, msgs).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let all = loop {
        let all = support::read_history(&c, &t).await;
        if all.len() >= 3003 || Instant::now() > deadline {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(all.len(), 3003);
    // The search reads the log files: wait until the broker flushed them.
    file_records(&mq, &t, 3003).await;
    for q in [
        GrepQuery::new("needle"),
        GrepQuery::new(r"^k(7|77|777)$"),
        GrepQuery::new(r"(?-u:\xff\x00)"),
    ] {
        let m = q.matcher().unwrap();
        let want: Vec<&Record> = all.iter().filter(|r| m.matches(r)).collect();
        let mut s = c.grep(&t, q.clone()).await.unwrap();
        let mut got = Vec::new();
        loop {
            match s.next().await.expect("a done").unwrap() {
                GrepEvent::Match(r) => got.push(r),
                GrepEvent::Done { complete } => {
                    assert!(complete, "{q:?}");
                    break;
                }
                GrepEvent::Progress(_) => {}
                GrepEvent::Notice(n) => panic!("{n}"),
            }
        }
        assert!(!got.is_empty(), "{q:?}");
        let key = |r: &Record| (r.ts_ns, r.partition, r.key.clone(), r.value.clone());
        assert_eq!(
            got.iter().map(key).collect::<Vec<_>>(),
            want.iter().map(|r| key(r)).collect::<Vec<_>>(),
            "{q:?}"
        );
    }
    let e = c.grep(&t, GrepQuery::new("(")).await.err().unwrap();
    assert!(matches!(e, ClientError::Invalid { .. }), "{e}");
}

/// The records in the topic's log files and the last file timestamp per partition,
/// waiting (up to 60 s) until there are at least `n`.
async fn file_records(c: &MqClient, t: &TopicName, n: usize) -> (usize, Vec<(i32, i64)>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let parts = c.partitions(t).await.unwrap();
    loop {
        let (mut count, mut last) = (0, Vec::new());
        for p in &parts {
            let files = c.partition_files(t, p).await.unwrap();
            for f in &files.logs {
                if let Some(b) = c.fetch_log_file(t, p, &f.name).await.unwrap() {
                    let es = swmq::client::mq::files::decode_entries(b).0;
                    count += es.len();
                    if let Some(e) = es.last() {
                        last.retain(|(i, _)| *i != p.index);
                        last.push((p.index, e.ts_ns));
                    }
                }
            }
        }
        if count >= n {
            return (count, last);
        }
        assert!(Instant::now() < deadline, "{count} of {n} records in files");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every match of a search, and its last progress report.
async fn grep_all(c: &Client, t: &TopicName, q: GrepQuery) -> (Vec<Record>, GrepProgress) {
    let mut s = c.grep(t, q).await.unwrap();
    let (mut got, mut progress) = (Vec::new(), GrepProgress::default());
    loop {
        match s.next().await.expect("a done").unwrap() {
            GrepEvent::Match(r) => got.push(r),
            GrepEvent::Done { complete } => {
                assert!(complete);
                return (got, progress);
            }
            GrepEvent::Progress(p) => progress = p,
            GrepEvent::Notice(n) => panic!("{n}"),
        }
    }
}

/// Matches from the log files and from the records not yet flushed, in one time order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn matches_from_files_and_the_unflushed_tail_on_weed() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = support::weed::weed() else {
        return;
    };
    let mq = support::weed::mq_client(w).await;
    let c = Client::Mq(mq.clone());
    let t = TopicName::new(&support::unique_namespace("gt"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    let batch = |tag: &str, n: usize| -> Vec<OutMessage> {
        (0..n)
            .map(|i| OutMessage {
                key: Bytes::from(format!("k{}", i % 7)),
                value: Bytes::from(if i % 10 == 3 {
                    format!("{tag} needle {i}")
                } else {
                    format!("{tag} hay {i}")
                }),
                ..Default::default()
            })
            .collect()
    };
    c.publish(&t, batch("old", 200)).await.unwrap();
    file_records(&mq, &t, 200).await;
    // A publisher that stays: the broker keeps its records in memory (4.48 flushes a
    // partition when its publisher leaves, else about once a minute).
    let publisher = c.publisher(&t).await.unwrap();
    for m in batch("new", 100) {
        publisher.send(m).await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let all = loop {
        let all = support::read_history(&c, &t).await;
        if all.len() >= 300 || Instant::now() > deadline {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(all.len(), 300);
    let (in_files, last) = file_records(&mq, &t, 0).await;
    assert!(
        in_files < 300,
        "the new records were flushed already: {in_files}"
    );
    let (got, progress) = grep_all(&c, &t, GrepQuery::new("needle")).await;
    // The log files were scanned (the read path knows no total), then the tail.
    let total = progress.total_bytes.expect("bytes to scan in the files");
    assert!(total > 0 && progress.bytes > total, "{progress:?}");
    assert_eq!(progress.matches, 30);
    assert_eq!(progress.records, 300, "{progress:?}");
    let want: Vec<&Record> = all
        .iter()
        .filter(|r| r.value.windows(6).any(|w| w == b"needle"))
        .collect();
    assert_eq!(want.len(), 30);
    let key = |r: &Record| (r.ts_ns, r.partition, r.key.clone(), r.value.clone());
    assert_eq!(
        got.iter().map(key).collect::<Vec<_>>(),
        want.iter().map(|r| key(r)).collect::<Vec<_>>()
    );
    let flushed = |r: &Record| {
        last.iter()
            .any(|&(p, ts)| p == r.partition && r.ts_ns <= ts)
    };
    assert_eq!(
        got.iter().filter(|r| flushed(r)).count(),
        20,
        "matches from files"
    );
    assert!(
        got.windows(2)
            .all(|w| (w[0].ts_ns, w[0].partition) <= (w[1].ts_ns, w[1].partition))
    );
    // A range inside the files and the tail at once.
    let from = got[15].ts_ns;
    let until = got[25].ts_ns;
    let q = GrepQuery {
        from: Some(from),
        until: Some(until),
        ..GrepQuery::new("needle")
    };
    let (part, _) = grep_all(&c, &t, q).await;
    assert_eq!(
        part.iter().map(key).collect::<Vec<_>>(),
        got[15..=25].iter().map(key).collect::<Vec<_>>()
    );
    publisher.finish().await.unwrap();
}

// Also loaded by `mq_schema` (its module is private there).
#[path = "../../src/client/mq/schema_sample.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod sample;

/// A schematized topic is searched on the decoded JSON text of its records, in the files:
/// `"city":"Paris"` is in no stored byte, only in the decoded value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn schematized_records_match_on_their_decoded_text_on_weed() {
    use prost::Message as _;
    let Some(w) = support::weed::weed() else {
        return;
    };
    let mq = support::weed::mq_client(w).await;
    let c = Client::Mq(mq.clone());
    let t = TopicName::new(&support::unique_namespace("gs"), "orders").unwrap();
    let rt = swmq::client::mq::schema::record_type_of(&sample::fields());
    mq.configure_schema(&t, 1, rt, vec!["id".into()], "")
        .await
        .unwrap();
    let cities = ["Lyon", "Paris", "Nice", "Paris", "Lille"];
    let msgs: Vec<OutMessage> = (0..50)
        .map(|i| OutMessage {
            key: Bytes::from(format!("order-{i}")),
            value: Bytes::from(sample::go_record(i, cities[i as usize % 5]).encode_to_vec()),
            ..Default::default()
        })
        .collect();
    c.publish(&t, msgs).await.unwrap();
    file_records(&mq, &t, 50).await;
    let (got, progress) = grep_all(&c, &t, GrepQuery::new(r#""city":"Paris""#)).await;
    assert!(progress.total_bytes.is_some_and(|b| b > 0), "{progress:?}");
    let keys: Vec<String> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.key).into_owned())
        .collect();
    let want: Vec<String> = (0..50)
        .filter(|i| i % 5 == 1 || i % 5 == 3)
        .map(|i| format!("order-{i}"))
        .collect();
    assert_eq!(keys, want);
    assert!(got[0].shown_value().starts_with(b"{"), "decoded");
}

/// A filer that cannot be reached: the search says so and goes through the read path,
/// still exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn an_unreachable_filer_falls_back_to_the_read_path_with_a_notice_on_weed() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = Client::Mq(support::weed::mq_client(w).await);
    let t = TopicName::new(&support::unique_namespace("gf"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    let msgs: Vec<OutMessage> = (0..40)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(if i % 4 == 0 { "needle" } else { "hay" }),
            ..Default::default()
        })
        .collect();
    c.publish(&t, msgs).await.unwrap();
    let all = support::read_history(&c, &t).await;
    assert_eq!(all.len(), 40);
    let mut o = swmq::client::ConnectOptions::new(&w.broker);
    o.filer = format!("127.0.0.1:{}", support::free_port());
    let blind = Client::connect(&o).await.unwrap();
    let mut s = blind.grep(&t, GrepQuery::new("needle")).await.unwrap();
    let (mut got, mut notices) = (Vec::new(), Vec::new());
    loop {
        match tokio::time::timeout(Duration::from_secs(60), s.next())
            .await
            .expect("the search ends")
            .expect("a done")
            .unwrap()
        {
            GrepEvent::Match(r) => got.push(r),
            GrepEvent::Notice(n) => notices.push(n),
            GrepEvent::Progress(_) => {}
            GrepEvent::Done { complete } => {
                assert!(complete);
                break;
            }
        }
    }
    assert!(
        notices
            .iter()
            .any(|n| n.contains("could not be listed") && n.contains("read path")),
        "{notices:?}"
    );
    let key = |r: &Record| (r.ts_ns, r.partition, r.key.clone());
    let want: Vec<_> = all
        .iter()
        .filter(|r| &r.value[..] == b"needle")
        .map(key)
        .collect();
    assert_eq!(want.len(), 10);
    assert_eq!(got.iter().map(key).collect::<Vec<_>>(), want);
}
