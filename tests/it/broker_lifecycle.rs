//! Graceful shutdown of the embedded broker: in-flight publishes complete and are durable;
//! a publisher that outlives the grace period is told the broker is going away.
use crate::support;

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

/// `swmq broker` refuses what it cannot use with one line on stderr and exit code 1.
#[test]
fn broker_command_errors_are_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let data = dir.path().join("data");
    for (listen, data, needle) in [
        (addr.as_str(), &data, format!("cannot listen on {addr}")),
        (
            "127.0.0.1:0",
            &file,
            "a-file is not a directory".to_string(),
        ),
        (
            "127.0.0.1:0",
            &foreign,
            "not an swmq broker data directory".to_string(),
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_swmq"))
            .args(["broker", "--listen", listen, "--data"])
            .arg(data)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&needle), "{needle}: {err}");
    }
    assert_eq!(
        std::fs::read_dir(&foreign).unwrap().count(),
        1,
        "foreign dir untouched"
    );
}
