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
use swmq::client::{
    Client, ClientError, GrepEvent, GrepQuery, OutMessage, ReadEvent, ReadSpec, Record, TopicName,
};
use swmq::time::TimeSpec;

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

async fn read_all(c: &Client, t: &TopicName) -> Vec<Record> {
    let spec = ReadSpec {
        from: TimeSpec::Earliest,
        until: None,
        partitions: None,
        follow: false,
    };
    let mut s = c.read(t, spec).await.unwrap();
    let mut out = Vec::new();
    while let Some(ev) = s.next().await {
        if let ReadEvent::Records(b) = ev.unwrap() {
            out.extend(b);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn matches_are_exact_across_partitions_on_weed() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = Client::Mq(support::weed::mq_client(w).await);
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
        let all = read_all(&c, &t).await;
        if all.len() >= 3003 || Instant::now() > deadline {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(all.len(), 3003);
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
