//! End to end in a pty: `F` (find in history) on a tailed topic, a pattern typed, the
//! match in the results list, Enter on it: the tail shows the match selected with the
//! record before it above it. On the embedded broker (server-side scan) and on SeaweedFS
//! 4.48 (the filer's log files).

use crate::support;

use std::time::Duration;

use bytes::Bytes;
use swmq::client::{Client, ConnectOptions, OutMessage, Record, TopicName};

use support::pty::{Tui, find_in};

fn value(r: &Record) -> String {
    String::from_utf8_lossy(&r.value).into_owned()
}

/// Tails the topic of namespace `ns`, finds `needle`, lands on it (record `i` of `all`).
fn find_and_land(broker_args: &[&str], ns: &str, needle: &str, all: &[Record], i: usize) {
    let mut tui = Tui::start(broker_args);
    tui.wait("the topic list", 30, |s| {
        s.contains("Topics (") && !s.contains("Topics (loading")
    });
    tui.keys(&format!("/{ns}\r"));
    tui.wait("the namespace", 30, |s| s.contains(ns));
    tui.keys("\r");
    let last = value(all.last().expect("records"));
    tui.wait("the newest records", 30, |s| s.contains(&last));
    tui.keys("F");
    tui.wait("the find prompt", 5, |s| {
        s.contains("Find in the history of")
    });
    tui.keys(needle);
    tui.keys("\r");
    let expect = value(&all[i]);
    let s = tui.wait("the match in the results list", 40, |s| {
        s.contains("1 match, done") && s.contains(&expect)
    });
    assert!(s.contains("go there"), "the list's hints:\n{s}");
    tui.keys("\r");
    let s = tui.wait_steady("the landing", 40, |s| {
        s.contains("earlier record(s) loaded above it") && !s.contains("1 match, done")
    });
    let (row, col) = find_in(&s, &expect).unwrap_or_else(|| panic!("the match:\n{s}"));
    let inverse = tui
        .parser
        .lock()
        .unwrap()
        .screen()
        .cell(row, col)
        .is_some_and(|c| c.inverse());
    assert!(inverse, "the match is selected:\n{s}");
    let before = value(&all[i - 1]);
    let (prev_row, _) = find_in(&s, &before)
        .unwrap_or_else(|| panic!("the record before it ({before}) on screen:\n{s}"));
    assert!(prev_row < row, "the record before it shows above it:\n{s}");
    assert!(s.contains('▲'), "the timeline cursor:\n{s}");
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_lands_on_the_match_on_the_embedded_broker() {
    let emb = support::embedded::start_embedded().await;
    let client = Client::connect(&ConnectOptions::new(&emb.addr))
        .await
        .unwrap();
    let t = TopicName::parse("fnd/orders").unwrap();
    for batch in 0..3 {
        let msgs = (0..40)
            .map(|i| {
                let n = batch * 40 + i;
                let v = match n {
                    77 => format!("order-{n:03} needle-8812"),
                    _ => format!("order-{n:03}"),
                };
                OutMessage {
                    key: Bytes::from(format!("k{}", n % 7)),
                    value: Bytes::from(v),
                    ..Default::default()
                }
            })
            .collect();
        client.publish(&t, msgs).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let all = support::read_history(&client, &t).await;
    let i = all
        .iter()
        .position(|r| value(r).contains("needle-8812"))
        .unwrap();
    assert!(all[i - 1].ts_ns < all[i].ts_ns, "distinct timestamps");
    let addr = emb.addr.clone();
    tokio::task::spawn_blocking(move || {
        find_and_land(&["--broker", &addr], "fnd", "needle-8812", &all, i)
    })
    .await
    .unwrap();
    emb.broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn find_lands_on_the_match_on_weed_4_48() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    let client = Client::connect(&o).await.expect("connect to weed");
    let ns = support::unique_namespace("fndw");
    let t = TopicName::new(&ns, "events").unwrap();
    client.create_topic(&t, 2).await.unwrap();
    let msgs = (0..30)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(match i {
                17 => format!("w-{i:03} needle-4x"),
                _ => format!("w-{i:03}"),
            }),
            ..Default::default()
        })
        .collect();
    client.publish(&t, msgs).await.unwrap();
    let all = support::read_history(&client, &t).await;
    assert_eq!(all.len(), 30);
    let i = all
        .iter()
        .position(|r| value(r).contains("needle-4x"))
        .unwrap();
    assert!(
        i > 0 && all[i - 1].ts_ns < all[i].ts_ns,
        "distinct timestamps"
    );
    let (broker, filer) = (w.broker.clone(), w.filer.clone());
    tokio::task::spawn_blocking(move || {
        find_and_land(
            &["--broker", &broker, "--filer", &filer],
            &ns,
            "needle-4x",
            &all,
            i,
        )
    })
    .await
    .unwrap();
}
