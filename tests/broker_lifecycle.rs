//! Graceful shutdown of the embedded broker: in-flight publishes complete and are durable;
//! a publisher that outlives the grace period is told the broker is going away.
mod support;

use std::time::{Duration, Instant};

use support::embedded::*;
use swmq::proto::v2::PublishRequest;
use swmq::proto::v2::publish_request::InitMessage;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

async fn open_publisher(
    addr: &str,
    topic: &str,
) -> (
    mpsc::Sender<PublishRequest>,
    tokio::task::JoinHandle<Result<usize, tonic::Status>>,
) {
    let (tx, rx) = mpsc::channel(64);
    tx.send(PublishRequest {
        init: Some(InitMessage {
            namespace: "ns".into(),
            topic: topic.into(),
            partition: 0,
        }),
        data: None,
    })
    .await
    .unwrap();
    let mut c = v2_client(addr).await;
    let call = tokio::spawn(async move {
        let mut s = c.publish(ReceiverStream::new(rx)).await?.into_inner();
        let mut n = 0;
        while s.message().await?.is_some() {
            n += 1;
        }
        Ok(n)
    });
    (tx, call)
}

fn data(v: &str) -> PublishRequest {
    PublishRequest {
        init: None,
        data: Some(msg(v)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_publishes_complete_during_shutdown() {
    let e = start_embedded().await;
    let (tx, call) = open_publisher(&e.addr, "inflight").await;
    tx.send(data("before")).await.unwrap();
    let mut sub = subscribe(&e.addr, "ns", "inflight", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "before");
    let dir = e.dir;
    let shutdown = tokio::spawn(e.broker.shutdown());
    // Subscribers end at once; the publisher may still finish its stream.
    assert!(sub.next().await.unwrap_or(None).is_none());
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(data("during")).await.unwrap();
    drop(tx);
    assert_eq!(
        call.await.unwrap().unwrap(),
        1,
        "the empty first response, then OK"
    );
    shutdown.await.unwrap().unwrap();

    let b = start_in(dir.path().to_path_buf()).await;
    let addr = b.addr().to_string();
    let mut sub = subscribe(&addr, "ns", "inflight", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "before");
    assert_eq!(sub.next().await.unwrap().unwrap().value, "during");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_outliving_the_grace_period_is_told_and_kept() {
    let e = start_embedded().await;
    let (tx, call) = open_publisher(&e.addr, "slow").await;
    tx.send(data("kept")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    e.broker.shutdown().await.unwrap();
    assert!(t0.elapsed() < swmq::broker::SHUTDOWN_GRACE * 3);
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(err.message().contains("shutting down"), "{err}");
    drop(tx);
    let b = start_in(e.dir.path().to_path_buf()).await;
    let mut sub = subscribe(
        &b.addr().to_string(),
        "ns",
        "slow",
        0,
        StartPosition::Earliest,
        0,
    )
    .await
    .unwrap();
    assert_eq!(sub.next().await.unwrap().unwrap().value, "kept");
    b.shutdown().await.unwrap();
}
