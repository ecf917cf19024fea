//! End to end in a pty: `swmq open LINK` lands the TUI on the record (selected, with the
//! records before it above), and `y` copies the link back (OSC 52), on the embedded broker
//! and on SeaweedFS 4.48.

use crate::support;

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use swmq::client::{Client, ConnectOptions, OutMessage, Record, TopicName};
use swmq::link::Link;

use support::pty::{Tui, find_in};

fn value(r: &Record) -> String {
    String::from_utf8_lossy(&r.value).into_owned()
}

/// The last OSC 52 text the binary wrote.
fn last_copied(tui: &Tui) -> Option<String> {
    let raw = tui.raw.lock().unwrap().clone();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let start = raw.rfind("\x1b]52;c;")? + "\x1b]52;c;".len();
    let end = start + raw[start..].find('\x07')?;
    let b = base64::engine::general_purpose::STANDARD
        .decode(&raw[start..end])
        .ok()?;
    String::from_utf8(b).ok()
}

/// Opens the link to record `i` of `all` and checks the landing and the copied link.
fn open_and_check(broker_args: &[&str], link: &Link, all: &[Record], i: usize) {
    let text = link.to_string();
    let mut args = vec!["open", text.as_str()];
    args.extend_from_slice(broker_args);
    let mut tui = Tui::start(&args);
    let expect = value(&all[i]);
    let s = tui.wait_steady("the landing", 40, |s| {
        s.contains(&expect) && s.contains("earlier record(s) loaded above it")
    });
    // The record is selected (reverse video), the one before it shows above it.
    let (row, col) = find_in(&s, &expect).expect("the record on screen");
    let inverse = tui
        .parser
        .lock()
        .unwrap()
        .screen()
        .cell(row, col)
        .is_some_and(|c| c.inverse());
    assert!(inverse, "the record is selected:\n{s}");
    let (prev_row, _) = find_in(&s, &value(&all[i - 1]))
        .unwrap_or_else(|| panic!("the record before it on screen:\n{s}"));
    assert!(prev_row < row, "context before the record:\n{s}");
    assert!(s.contains('▲'), "the timeline cursor:\n{s}");
    // y copies the link to the selected record: the same position.
    tui.keys("y");
    tui.wait("the copied link", 5, |s| s.contains("copied swmq://"));
    std::thread::sleep(Duration::from_millis(200));
    let copied = last_copied(&tui).expect("an OSC 52 sequence");
    let back = Link::parse(&copied).unwrap();
    assert_eq!(
        (&back.topic, back.ts_ns, back.partition),
        (&link.topic, link.ts_ns, link.partition),
        "{copied}"
    );
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
}

/// A record strictly after its predecessor, far enough in to have context before it.
fn pick(all: &[Record], from: usize) -> usize {
    (from..all.len())
        .find(|&i| all[i - 1].ts_ns < all[i].ts_ns)
        .expect("distinct timestamps")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_lands_on_the_record_on_the_embedded_broker() {
    let emb = support::embedded::start_embedded().await;
    let client = Client::connect(&ConnectOptions::new(&emb.addr))
        .await
        .unwrap();
    let t = TopicName::parse("lk/orders").unwrap();
    for batch in 0..3 {
        let msgs = (0..40)
            .map(|i| OutMessage {
                value: Bytes::from(format!("order-{:03}", batch * 40 + i)),
                ..Default::default()
            })
            .collect();
        client.publish(&t, msgs).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let all = support::read_history(&client, &t).await;
    assert_eq!(all.len(), 120);
    let i = pick(&all, 60);
    let link = Link::to_record(&emb.addr, &all[i]);
    tokio::task::spawn_blocking(move || open_and_check(&[], &link, &all, i))
        .await
        .unwrap();
    emb.broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn open_lands_on_the_record_on_weed_4_48() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    let client = Client::connect(&o).await.expect("connect to weed");
    let ns = support::unique_namespace("lkt");
    let t = TopicName::new(&ns, "events").unwrap();
    client.create_topic(&t, 2).await.unwrap();
    let msgs = (0..30)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(format!("w-{i:03}")),
            ..Default::default()
        })
        .collect();
    client.publish(&t, msgs).await.unwrap();
    let all = support::read_history(&client, &t).await;
    assert_eq!(all.len(), 30);
    let i = pick(&all, 15);
    let mut link = Link::to_record(&w.broker, &all[i]);
    link.filer = Some(w.filer.clone());
    link.protocol = Some(swmq::client::Protocol::Mq);
    tokio::task::spawn_blocking(move || open_and_check(&[], &link, &all, i))
        .await
        .unwrap();
}
