//! Paging back (the TUI's `tui::pages::read_before`) through the real client: the
//! embedded 2.x broker and a real SeaweedFS 4.48.

use crate::support;

use std::time::Duration;

use bytes::Bytes;
use swmq::client::{Client, ConnectOptions, OutMessage, TopicName};
use swmq::tui::pages::read_before;

/// Publishes 40 values in four batches 20 ms apart; returns `(ts_ns, value)` in merged
/// order as a forward read delivers them.
async fn seed(client: &Client, topic: &TopicName) -> Vec<(i64, String)> {
    for batch in 0..4 {
        let msgs = (0..10)
            .map(|i| OutMessage {
                key: Bytes::from(format!("k{}", i % 3)), // keys repeat
                value: Bytes::from(format!("p-{:03}", batch * 10 + i)),
                ..Default::default()
            })
            .collect();
        client.publish(topic, msgs).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all: Vec<(i64, String)> = support::pty::read_history(client, topic)
        .await
        .into_iter()
        .map(|r| (r.ts_ns, String::from_utf8_lossy(&r.value).into_owned()))
        .collect();
    assert_eq!(all.len(), 40);
    all
}

async fn pages_back(client: &Client, topic: &TopicName) {
    let all = seed(client, topic).await;
    // The first record of the last batch: strictly after its predecessor.
    let i = (30..40)
        .find(|&i| all[i - 1].0 < all[i].0)
        .expect("distinct");
    let (page, done) = read_before(client, topic, all[i].0, 0, 10).await.unwrap();
    let got: Vec<&str> = page
        .iter()
        .map(|r| std::str::from_utf8(&r.value).unwrap())
        .collect();
    let want: Vec<&str> = all[i - 10..i].iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(
        got, want,
        "the newest 10 before record {i}, in merged order"
    );
    assert!(!done);
    // Near the beginning: fewer than asked, and it says the topic starts there.
    let j = (1..10)
        .find(|&j| all[j - 1].0 < all[j].0)
        .expect("distinct");
    let (page, done) = read_before(client, topic, all[j].0, all[0].0, 10)
        .await
        .unwrap();
    assert_eq!(page.len(), j);
    assert!(done, "the topic's first message was reached");
    // Before the first message: nothing, done.
    let (page, done) = read_before(client, topic, all[0].0, all[0].0, 10)
        .await
        .unwrap();
    assert!(page.is_empty() && done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_before_on_the_embedded_broker() {
    let emb = support::embedded::start_embedded().await;
    let client = Client::connect(&ConnectOptions::new(&emb.addr))
        .await
        .unwrap();
    pages_back(&client, &TopicName::parse("pages/orders").unwrap()).await;
    emb.broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn read_before_on_weed_4_48() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = support::weed::mq_client(w).await;
    let t = TopicName::new(&support::unique_namespace("pages"), "events").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    pages_back(&Client::Mq(c), &t).await;
}
