//! 4.x history and describe on SeaweedFS's default port layout (the filer's gRPC port = its
//! HTTP port + 10000), where swmq reads the log files from the filer's HTTP port.
use crate::support;

use std::time::{Duration, Instant};

use support::out_msg as msg;
use support::weed::mq_client as mq;
use swmq::client::*;

/// SeaweedFS's default layout (filer gRPC port = HTTP port + 10000, as 8888/18888), where
/// swmq reads log files from the filer's HTTP port: 4.48 sends each log file's binary
/// `buffer_start` attribute as a raw header (`Buffer_start: \0\0\0\0\0\0\0\x01`), which
/// no strict HTTP/1.1 client parses. History and describe still read every record (from
/// the volume servers). A weed of its own: the shared one's ports are not conventional.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn the_default_filer_ports_serve_history_and_describe() {
    if support::weed::weed().is_none() {
        return;
    }
    let w = tokio::task::spawn_blocking(|| {
        let w = support::weed::spawn_server_ports(|_| {}, true).expect("spawn weed");
        support::weed::wait_ready_with(&w, &TlsOptions::default()).expect("weed ready");
        w
    })
    .await
    .unwrap();
    let c = mq(&w).await;
    let t = TopicName::new("deflt", "ports").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    c.publish(&t, (0..5).map(|i| msg(&format!("k{i}"), "v")).collect())
        .await
        .unwrap();
    let part = c.partitions(&t).await.unwrap().remove(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.partition_files(&t, &part).await.unwrap().logs.is_empty() {
        assert!(Instant::now() < deadline, "no log file flushed in 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hist = HistogramRequest {
        start_ns: None,
        stop_ns: None,
        buckets: 4,
    };
    let d = c.describe(&t, Some(hist)).await.expect("describe");
    assert_eq!(d.histogram.map(|h| h.counts.iter().sum::<u64>()), Some(5));
    let spec = ReadSpec {
        follow: false,
        ..Default::default()
    };
    let mut s = c.read(&t, spec).await.expect("read");
    let mut n = 0;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(20), s.next())
        .await
        .expect("history within 20 s")
    {
        if let ReadEvent::Records(r) = ev.expect("history") {
            n += r.len();
        }
    }
    assert_eq!(n, 5);
    w.kill();
}
