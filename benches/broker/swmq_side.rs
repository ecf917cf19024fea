//! The swmq side: `swmq broker` in its own process, driven by the raw 2.x tonic client.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand_free::Lcg;
use swmq::proto::admin::DescribeTopicRequest;
use swmq::proto::admin::swmq_admin_client::SwmqAdminClient;
use swmq::proto::v2::seaweed_messaging_client::SeaweedMessagingClient;
use swmq::proto::v2::subscriber_message::InitMessage as SubInit;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{Message, PublishRequest, SubscriberMessage, publish_request::InitMessage};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use crate::{Figures, Opts, value};

/// A tiny deterministic generator (no extra dependency).
pub(crate) mod rand_free {
    /// 64-bit LCG.
    pub(crate) struct Lcg(pub u64);
    impl Lcg {
        /// Next value.
        pub(crate) fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 11
        }
    }
}

async fn channel(addr: &str) -> Channel {
    // Large windows on both sides: h2 0.4.20 treats many small unread DATA frames (weed
    // sends one per ack) as a flood unless the connection window (and so its budget) is big.
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .initial_connection_window_size(Some(32 << 20))
        .initial_stream_window_size(Some(8 << 20))
        .connect()
        .await
        .expect("connect")
}

async fn publish_partition(ch: Channel, topic: &str, partition: i32, from: usize, n: usize) {
    let init = PublishRequest {
        init: Some(InitMessage {
            namespace: "bench".into(),
            topic: topic.into(),
            partition,
        }),
        data: None,
    };
    let reqs = std::iter::once(init).chain((from..from + n).map(|i| PublishRequest {
        init: None,
        data: Some(Message {
            value: value(i),
            ..Default::default()
        }),
    }));
    let mut c = SeaweedMessagingClient::new(ch);
    let mut r = c
        .publish(tokio_stream::iter(reqs))
        .await
        .expect("publish")
        .into_inner();
    while r.message().await.expect("publish stream").is_some() {}
}

async fn publish(addr: &str, topic: &str, publishers: usize, n: usize) -> Duration {
    let t0 = Instant::now();
    let per = n / publishers;
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let (ch, topic) = (channel(addr).await, topic.to_string());
        tasks.push(tokio::spawn(async move {
            publish_partition(ch, &topic, p as i32, p * per, per).await
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    t0.elapsed()
}

async fn subscribe(
    ch: Channel,
    topic: &str,
    partition: i32,
    start: StartPosition,
    ts: i64,
) -> (
    mpsc::Sender<SubscriberMessage>,
    tonic::Streaming<swmq::proto::v2::BrokerMessage>,
) {
    let (tx, rx) = mpsc::channel(2);
    tx.send(SubscriberMessage {
        init: Some(SubInit {
            namespace: "bench".into(),
            topic: topic.into(),
            partition,
            start_position: start as i32,
            timestamp_ns: ts,
            subscriber_id: "bench".into(),
        }),
        ack: None,
        is_close: false,
    })
    .await
    .unwrap();
    let s = SeaweedMessagingClient::new(ch)
        .subscribe(ReceiverStream::new(rx))
        .await
        .expect("subscribe")
        .into_inner();
    (tx, s)
}

async fn read_back(addr: &str, topic: &str, partitions: usize, n: usize) -> Duration {
    let t0 = Instant::now();
    let per = n / partitions;
    let mut tasks = Vec::new();
    for p in 0..partitions {
        let (ch, topic) = (channel(addr).await, topic.to_string());
        tasks.push(tokio::spawn(async move {
            let (_tx, mut s) = subscribe(ch, &topic, p as i32, StartPosition::Earliest, 0).await;
            for i in 0..per {
                let m = s.message().await.expect("read").expect("open");
                let v = m.data.unwrap().value;
                assert_eq!(&v[..12], format!("{:012}", p * per + i).as_bytes());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    t0.elapsed()
}

async fn seeks(addr: &str, topic: &str, count: usize) -> Vec<Duration> {
    let ch = channel(addr).await;
    let d = SwmqAdminClient::new(ch.clone())
        .describe_topic(DescribeTopicRequest {
            namespace: "bench".into(),
            topic: topic.into(),
        })
        .await
        .expect("describe")
        .into_inner()
        .topic
        .unwrap();
    let p = &d.partitions[0];
    let (first, last) = (p.first_ts_ns, p.last_ts_ns);
    let mut rng = Lcg(42);
    let mut out = Vec::new();
    for _ in 0..count {
        let t = first + (rng.next() % (last - first) as u64) as i64;
        let t0 = Instant::now();
        let (_tx, mut s) = subscribe(ch.clone(), topic, 0, StartPosition::Timestamp, t).await;
        let m = s.message().await.expect("seek").expect("open");
        out.push(t0.elapsed());
        assert!(m.data.unwrap().event_time_ns > t);
    }
    out
}

async fn histograms(addr: &str, topic: &str, count: usize) -> Vec<Duration> {
    let mut admin = SwmqAdminClient::new(channel(addr).await);
    let d = admin
        .describe_topic(DescribeTopicRequest {
            namespace: "bench".into(),
            topic: topic.into(),
        })
        .await
        .expect("describe")
        .into_inner()
        .topic
        .unwrap();
    let p = &d.partitions[0];
    let mut out = Vec::new();
    for _ in 0..count {
        let t0 = Instant::now();
        let h = admin
            .histogram(swmq::proto::admin::HistogramRequest {
                namespace: "bench".into(),
                topic: topic.into(),
                start_ts_ns: p.first_ts_ns,
                stop_ts_ns: p.last_ts_ns + 1,
                buckets: 200,
                partitions: vec![],
            })
            .await
            .expect("histogram")
            .into_inner();
        out.push(t0.elapsed());
        assert_eq!(h.counts.iter().sum::<u64>(), p.message_count);
    }
    out
}

async fn live(addr: &str, count: usize) -> Vec<Duration> {
    let ch = channel(addr).await;
    let (_stx, mut s) = subscribe(ch.clone(), "live", 0, StartPosition::Latest, 0).await;
    let (tx, rx) = mpsc::channel(16);
    tx.send(PublishRequest {
        init: Some(InitMessage {
            namespace: "bench".into(),
            topic: "live".into(),
            partition: 0,
        }),
        data: None,
    })
    .await
    .unwrap();
    let mut c = SeaweedMessagingClient::new(ch);
    let _resp = c.publish(ReceiverStream::new(rx)).await.expect("publish");
    let mut out = Vec::new();
    for i in 0..count {
        let t0 = Instant::now();
        tx.send(PublishRequest {
            init: None,
            data: Some(Message {
                value: value(i),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
        let m = s.message().await.expect("live").expect("open");
        out.push(t0.elapsed());
        assert_eq!(m.data.unwrap().value, value(i));
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    out
}

#[allow(clippy::field_reassign_with_default)]
/// Runs every workload against a fresh `swmq broker` process.
pub(crate) async fn run(o: Opts) -> Figures {
    let dir = tempfile::Builder::new()
        .prefix("swmq-bench-")
        .tempdir()
        .unwrap();
    let addr = format!("127.0.0.1:{}", crate::support::free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args(["broker", "--listen", &addr, "--data"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn swmq broker");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    eprintln!("swmq: {}", line.trim());
    let n = o.messages;
    let mut f = Figures::default();
    f.publish_1 = Some(publish(&addr, "one", 1, n).await);
    eprintln!("swmq: published 1×{n} in {:?}", f.publish_1.unwrap());
    f.read_1 = Some(read_back(&addr, "one", 1, n).await);
    eprintln!("swmq: read back 1×{n} in {:?}", f.read_1.unwrap());
    f.publish_4 = Some(publish(&addr, "four", 4, n).await);
    eprintln!("swmq: published 4×{} in {:?}", n / 4, f.publish_4.unwrap());
    f.read_4 = Some(read_back(&addr, "four", 4, n).await);
    eprintln!("swmq: read back 4×{} in {:?}", n / 4, f.read_4.unwrap());
    f.seek = seeks(&addr, "one", o.seeks).await;
    f.histogram = histograms(&addr, "one", 50).await;
    f.live = live(&addr, o.live).await;
    eprintln!("swmq: seeks and live done");
    let _ = child.kill();
    let _ = child.wait();
    f
}
