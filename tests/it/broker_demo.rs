//! `swmq demo`'s broker: seeded quickly, several namespaces, a closed and an open channel,
//! and a live publisher.
use crate::support;

use std::time::{Duration, Instant};

use support::embedded::*;
use swmq::proto::admin::ListTopicsRequest;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;

#[tokio::test]
async fn demo_is_seeded_and_live() {
    let t0 = Instant::now();
    let demo = swmq::broker::demo::start_demo(None).await.unwrap();
    let seeded_in = t0.elapsed();
    let addr = demo.addr().to_string();
    let mut admin = admin_client(&addr).await;
    let topics = admin
        .list_topics(ListTopicsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .topics;
    let names: Vec<String> = topics
        .iter()
        .map(|t| format!("{}/{}", t.namespace, t.topic))
        .collect();
    for want in [
        "chan/deploy-1842",
        "chan/jobs",
        "iot/sensors",
        "logs/app",
        "shop/orders",
    ] {
        assert!(names.contains(&want.to_string()), "{names:?}");
    }
    let get = |n: &str| {
        topics
            .iter()
            .find(|t| format!("{}/{}", t.namespace, t.topic) == n)
            .unwrap()
    };
    assert!(get("chan/deploy-1842").partitions[0].closed);
    assert!(!get("chan/jobs").partitions[0].closed);
    assert_eq!(get("shop/orders").partition_count, 4);
    let orders = get("shop/orders");
    let first = orders
        .partitions
        .iter()
        .map(|p| p.first_ts_ns)
        .min()
        .unwrap();
    let now = swmq::time::now_ns();
    assert!(now - first > 5 * 3_600_000_000_000, "hours of history");
    eprintln!("seeded in {seeded_in:?}");

    // The live publisher writes to logs/app or shop/orders within a few seconds.
    let mut sub = subscribe(&addr, "logs", "app", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut live = false;
    while Instant::now() < deadline && !live {
        live = !sub.quiet_for(500).await;
    }
    assert!(live, "no live message on logs/app");
    drop(sub);
    demo.shutdown().await.unwrap();
}
