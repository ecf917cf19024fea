#![allow(unused_imports)] // cli_common re-exports checks this binary does not use
//! Shared positions and several topics at once, through the binary: `tail --from LINK`,
//! `open LINK` refusing a topic that is gone, and the merged tail of several topics, on
//! the embedded 2.x broker and on SeaweedFS 4.48.
use crate::cli_common;
use crate::support;

use cli_common::*;
use serde_json::Value;
use support::embedded::{Embedded, start_embedded};

async fn embedded() -> (Embedded, Target) {
    let e = start_embedded().await;
    let t = Target {
        broker: e.addr.clone(),
        filer: format!("127.0.0.1:{}", support::free_port()),
        protocol: "legacy",
    };
    (e, t)
}

fn weed() -> Option<Target> {
    let w = support::weed::weed()?;
    Some(Target {
        broker: w.broker.clone(),
        filer: w.filer.clone(),
        protocol: "mq",
    })
}

/// Publishes `values` to `topic` (2 partitions, round robin) in one command.
async fn publish(t: &Target, topic: &str, values: &[String]) {
    let mut args = vec![
        "publish",
        topic,
        "--partitions",
        "2",
        "--partitioner",
        "round-robin",
    ];
    args.extend(values.iter().map(String::as_str));
    ok(&swmq(t, &args).await, &format!("publish {topic}"));
}

fn link_to(t: &Target, topic: &str, r: &Value) -> String {
    format!(
        "swmq://{}/{topic}?ts={}&partition={}",
        t.broker,
        r["time"].as_str().unwrap(),
        r["partition"]
    )
}

fn essence(v: &[Value]) -> Vec<(i64, i64, String)> {
    v.iter()
        .map(|r| {
            (
                r["ts_ns"].as_i64().unwrap(),
                r["partition"].as_i64().unwrap(),
                r["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn check_from_link(t: &Target, ns: &str) {
    let topic = format!("{ns}/orders");
    let values: Vec<String> = (0..20).map(|i| format!("o-{i:02}")).collect();
    publish(t, &topic, &values).await;
    let all = read_n(t, &topic, 20).await;
    let i = (5..20)
        .find(|&i| all[i - 1]["ts_ns"].as_i64() < all[i]["ts_ns"].as_i64())
        .expect("distinct timestamps");
    let link = link_to(t, &topic, &all[i]);
    // No topic argument: the link's; the read starts at its record.
    let out = swmq(t, &["tail", "--from", &link, "-e", "--format", "json"]).await;
    let got = json_lines(&ok(&out, "tail --from LINK"));
    assert_eq!(essence(&got), essence(&all[i..]), "from {link}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A time before the topic's first record: said on stderr, read from the first.
    let first = all[0]["ts_ns"].as_i64().unwrap();
    let early = format!(
        "swmq://{}/{topic}?ts={}&partition=0",
        t.broker,
        first - 1_000_000_000
    );
    let out = swmq(t, &["tail", "--from", &early, "-e", "--format", "json"]).await;
    let got = json_lines(&ok(&out, "tail --from an early link"));
    assert_eq!(got.len(), 20);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("before") && err.contains("first record"),
        "{err}"
    );
    // A topic that does not exist: said plainly, for tail and open alike.
    let gone = format!("swmq://{}/{ns}/never?ts=1&partition=0", t.broker);
    let err = fails(&swmq(t, &["tail", "--from", &gone, "-e"]).await, 1, "gone");
    assert!(err.contains(&format!("{ns}/never does not exist")), "{err}");
    let err = fails(&swmq(t, &["open", &gone]).await, 1, "open gone");
    assert!(
        err.contains("does not exist") && err.contains("deleted?"),
        "{err}"
    );
    // A bad link is a usage error naming the part.
    let bad = format!("swmq://{}/{ns}/orders?ts=1&partiton=0", t.broker);
    let err = fails(&swmq(t, &["open", &bad]).await, 2, "bad link");
    assert!(err.contains("unknown parameter \"partiton\""), "{err}");
    let err = fails(&swmq(t, &["tail"]).await, 2, "no topic");
    assert!(err.contains("--from LINK"), "{err}");
}

async fn check_merged_topics(t: &Target, ns: &str) {
    let (a, b, c) = (format!("{ns}/a"), format!("{ns}/b"), format!("{ns}/c"));
    // One after the other in time: a1 a2, then b1 b2, then c1 c2 (one publish per topic:
    // a second publish to an existing 4.48 topic did not end here, see docs/links.md).
    publish(t, &a, &["a1".into(), "a2".into()]).await;
    publish(t, &b, &["b1".into(), "b2".into()]).await;
    publish(t, &c, &["c1".into(), "c2".into()]).await;
    for x in [&a, &b, &c] {
        read_n(t, x, 2).await;
    }
    let pattern = format!("{ns}/*");
    let out = swmq(
        t,
        &[
            "tail", &pattern, "--from", "earliest", "-e", "--format", "json",
        ],
    )
    .await;
    let got = json_lines(&ok(&out, "tail pattern"));
    let ts: Vec<i64> = got.iter().map(|r| r["ts_ns"].as_i64().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "time order: {ts:?}");
    let order: Vec<String> = got
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["topic"].as_str().unwrap(),
                r["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(order.len(), 6, "{order:?}");
    // a before b before c (published in that order, by separate commands).
    let pos = |v: &str| order.iter().position(|o| o.ends_with(v)).unwrap();
    assert!(pos("a2") < pos("b1") && pos("b2") < pos("c1"), "{order:?}");
    // Several topics as arguments, text: the topic on every line.
    let out = swmq(t, &["tail", &a, &b, "--from", "earliest", "-e"]).await;
    let text = ok(&out, "tail a b");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines()
            .all(|l| l.contains(&format!("{a}  p")) || l.contains(&format!("{b}  p"))),
        "{text}"
    );
    let err = fails(
        &swmq(t, &["tail", &format!("{ns}/zz*"), "-e"]).await,
        1,
        "pattern without a match",
    );
    assert!(err.contains("no topic matches"), "{err}");
    let err = fails(
        &swmq(t, &["tail", &a, &b, "--last", "3"]).await,
        2,
        "--last",
    );
    assert!(err.contains("--last reads one topic"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_link_on_the_embedded_broker() {
    let (_e, t) = embedded().await;
    check_from_link(&t, "lk").await;
    // A deleted topic (not only a never-created one) is said to be gone.
    let all = read_all(&t, "lk/orders", &[]).await;
    let link = link_to(&t, "lk/orders", &all[3]);
    ok(&swmq(&t, &["delete", "lk/orders", "--yes"]).await, "delete");
    let err = fails(&swmq(&t, &["open", &link]).await, 1, "open deleted");
    assert!(err.contains("lk/orders does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn from_link_on_weed_4_48() {
    let Some(t) = weed() else { return };
    check_from_link(&t, &support::unique_namespace("lk")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_topics_on_the_embedded_broker() {
    let (_e, t) = embedded().await;
    check_merged_topics(&t, "mt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn merged_topics_on_weed_4_48() {
    let Some(t) = weed() else { return };
    check_merged_topics(&t, &support::unique_namespace("mt")).await;
}
