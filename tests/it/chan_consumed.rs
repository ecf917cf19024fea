//! Which channels were consumed (issue 15): the embedded broker records the subscribers of
//! each partition and whether one received the close message; the admin service and the
//! client report it, also after a restart. Subscribers here are foreign-style 2.x clients
//! (plain gRPC, like the Go `msgclient.SubChannel`), not swmq's reader.
use crate::support;

use std::time::Duration;

use swmq::client::{Client, ConnectOptions, Consumed, ReadEvent, ReadSpec, TopicInfo, TopicName};

use support::chan::{fill, sub_channel};
use support::embedded::*;

async fn client(addr: &str) -> Client {
    Client::connect(&ConnectOptions::new(addr)).await.unwrap()
}

async fn channels(c: &Client) -> Vec<TopicInfo> {
    c.list_topics()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name.is_channel())
        .collect()
}

fn state(ts: &[TopicInfo], name: &str) -> Consumed {
    ts.iter()
        .find(|t| t.name.name == name)
        .unwrap_or_else(|| panic!("no channel {name}"))
        .consumed()
}

/// Records are written in the background: wait until `name` shows `want`.
async fn wait_state(c: &Client, name: &str, want: Consumed) -> Vec<TopicInfo> {
    for _ in 0..50 {
        let ts = channels(c).await;
        if state(&ts, name) == want {
            return ts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never became {want:?}");
}

#[tokio::test]
async fn consumed_not_and_not_also_after_a_restart() {
    let e = start_embedded().await;
    fill(&e.addr, "done", 10, true).await;
    fill(&e.addr, "half", 10, true).await;
    fill(&e.addr, "unread", 10, true).await;
    fill(&e.addr, "open", 3, false).await;

    assert_eq!(
        sub_channel(&e.addr, "worker-3", "done", None).await,
        (10, true)
    );
    assert_eq!(
        sub_channel(&e.addr, "worker-4", "half", Some(5)).await,
        (5, false)
    );
    let c = client(&e.addr).await;
    let ts = wait_state(&c, "done", Consumed::Yes).await;
    assert_eq!(state(&ts, "half"), Consumed::No);
    assert_eq!(state(&ts, "unread"), Consumed::No);
    assert_eq!(state(&ts, "open"), Consumed::No);
    let done = ts.iter().find(|t| t.name.name == "done").unwrap();
    let who = done.consumer().expect("a consumer");
    assert_eq!(who.id, "worker-3");
    assert_eq!(who.delivered, 11);
    assert!(who.close_received_at_ns.is_some() && who.connected == 0);
    let half = ts.iter().find(|t| t.name.name == "half").unwrap();
    let h = &half.partitions[0].subscribers;
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0].id, "worker-4");
    assert!(!h[0].received_close() && h[0].delivered >= 5);

    // Restart: the records were persisted beside the partitions.
    let dir = e.dir;
    e.broker.shutdown().await.unwrap();
    assert!(dir.path().join("topics/chan/done/p00.subs").is_file());
    let b = start_in(dir.path().to_path_buf()).await;
    let c = client(&b.addr().to_string()).await;
    let ts = channels(&c).await;
    assert_eq!(
        ["done", "half", "unread", "open"].map(|n| state(&ts, n)),
        [Consumed::Yes, Consumed::No, Consumed::No, Consumed::No]
    );
    let d = c
        .describe(&TopicName::channel("done").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(d.info.consumed(), Consumed::Yes);
    assert_eq!(d.info.consumer().unwrap().id, "worker-3");
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn swmq_s_own_reader_is_an_inspector_and_never_consumes() {
    let e = start_embedded().await;
    fill(&e.addr, "browsed", 4, true).await;
    let c = client(&e.addr).await;
    let mut read = c
        .read(
            &TopicName::channel("browsed").unwrap(),
            ReadSpec {
                follow: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut got = 0;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), read.next())
        .await
        .unwrap()
    {
        if let ReadEvent::Records(rs) = ev.unwrap() {
            got += rs.len();
        }
    }
    assert_eq!(got, 5, "4 values and the close");
    drop(read);
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = channels(&c).await;
        if !seen[0].partitions[0].subscribers.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let subs = &seen[0].partitions[0].subscribers;
    assert!(
        !subs.is_empty() && subs.iter().all(|s| s.inspector),
        "{subs:?}"
    );
    assert_eq!(seen[0].consumed(), Consumed::No);
    e.broker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deleted_and_recreated_channel_starts_without_consumers() {
    let e = start_embedded().await;
    fill(&e.addr, "again", 2, true).await;
    sub_channel(&e.addr, "worker-1", "again", None).await;
    let c = client(&e.addr).await;
    wait_state(&c, "again", Consumed::Yes).await;
    c.delete(&TopicName::channel("again").unwrap())
        .await
        .unwrap();
    fill(&e.addr, "again", 2, true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ts = channels(&c).await;
    assert_eq!(state(&ts, "again"), Consumed::No);
    assert!(ts[0].partitions[0].subscribers.is_empty());
    e.broker.shutdown().await.unwrap();
}
