//! The weed side: a real SeaweedFS 4.48 broker through its own protocol (`PublishMessage`,
//! `FetchMessage` for read-back, `SubscribeMessage` for seeks). Hazards respected (see
//! shared/protocol/seaweedfs-4x.md): partition_count 1..=2520, partitions sent exactly as
//! `LookupTopicBrokers` returned them, `follower_broker` empty, `sliding_window_size` ≥ 1.

use std::time::{Duration, Instant};

use swmq::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient;
use swmq::proto::mq::messaging_pb::*;
use swmq::proto::mq::schema_pb::{OffsetType, Partition, PartitionOffset, Topic};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use crate::swmq_side::rand_free::Lcg;
use crate::{Figures, Opts, value};

type Client = SeaweedMessagingClient<Channel>;

fn topic(name: &str) -> Topic {
    Topic {
        namespace: "bench".into(),
        name: name.into(),
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
        .expect("connect weed")
}

/// Creates the topic and returns its partitions exactly as looked up, by range.
async fn create(c: &mut Client, name: &str, count: i32) -> Vec<Partition> {
    c.configure_topic(ConfigureTopicRequest {
        topic: Some(topic(name)),
        partition_count: count,
        ..Default::default()
    })
    .await
    .expect("configure");
    let mut parts: Vec<Partition> = c
        .lookup_topic_brokers(LookupTopicBrokersRequest {
            topic: Some(topic(name)),
        })
        .await
        .expect("lookup")
        .into_inner()
        .broker_partition_assignments
        .into_iter()
        .filter_map(|a| a.partition)
        .collect();
    parts.sort_by_key(|p| p.range_start);
    assert_eq!(parts.len(), count as usize);
    parts
}

fn init(name: &str, p: &Partition) -> PublishMessageRequest {
    PublishMessageRequest {
        message: Some(publish_message_request::Message::Init(
            publish_message_request::InitMessage {
                topic: Some(topic(name)),
                partition: Some(*p),
                ack_interval: 1,
                follower_broker: String::new(),
                publisher_name: "swmq-bench".into(),
            },
        )),
    }
}

fn data(i: usize) -> PublishMessageRequest {
    PublishMessageRequest {
        message: Some(publish_message_request::Message::Data(DataMessage {
            key: format!("k{i}").into(),
            value: value(i),
            ts_ns: 0,
            ctrl: None,
        })),
    }
}

async fn publish_partition(ch: Channel, name: String, p: Partition, from: usize, n: usize) {
    let (tx, rx) = mpsc::channel(1024);
    tx.send(init(&name, &p)).await.unwrap();
    let mut c = SeaweedMessagingClient::new(ch);
    let sender = tokio::spawn(async move {
        for i in from..from + n {
            if tx.send(data(i)).await.is_err() {
                break;
            }
        }
        tx
    });
    let mut r = c
        .publish_message(ReceiverStream::new(rx))
        .await
        .expect("publish")
        .into_inner();
    // One empty answer, then one ack per message.
    for k in 0..=n {
        let resp = r.message().await.expect("publish stream").expect("ack");
        assert!(resp.error.is_empty(), "weed publish error at {k}: {resp:?}");
    }
    drop(sender.await.unwrap()); // half-close once everything is acknowledged
    while let Ok(Some(_)) = r.message().await {}
}

async fn publish(addr: &str, parts: &[Partition], name: &str, n: usize) -> Duration {
    let t0 = Instant::now();
    let per = n / parts.len();
    let mut tasks = Vec::new();
    for (k, p) in parts.iter().enumerate() {
        let ch = channel(addr).await;
        tasks.push(tokio::spawn(publish_partition(
            ch,
            name.to_string(),
            *p,
            k * per,
            per,
        )));
    }
    for t in tasks {
        t.await.unwrap();
    }
    t0.elapsed()
}

/// Read-back through `SubscribeMessage` from the earliest message, acknowledging every
/// message (`FetchMessage` is unreliable once a partition was unloaded).
async fn read_back(
    addr: &str,
    parts: &[Partition],
    name: &str,
    n: usize,
) -> (Duration, (i64, i64)) {
    let t0 = Instant::now();
    let per = n / parts.len();
    let mut tasks = Vec::new();
    for p in parts.iter().copied() {
        let mut c = SeaweedMessagingClient::new(channel(addr).await);
        let name = name.to_string();
        tasks.push(tokio::spawn(async move {
            let (tx, mut s) =
                subscribe_at(&mut c, &name, p, OffsetType::ResetToEarliest, 0, 1024).await;
            let mut got = 0usize;
            let mut range = (0, 0);
            while got < per {
                let Some(d) = first_data(&mut s).await else {
                    break;
                };
                if got == 0 {
                    range.0 = d.ts_ns;
                }
                range.1 = d.ts_ns;
                got += 1;
                let ack = SubscribeMessageRequest {
                    message: Some(subscribe_message_request::Message::Ack(
                        subscribe_message_request::AckMessage {
                            ts_ns: d.ts_ns,
                            key: d.key,
                        },
                    )),
                };
                if tx.send(ack).await.is_err() {
                    break;
                }
            }
            (got, range)
        }));
    }
    let mut total = 0;
    let mut first_range = None;
    for t in tasks {
        let (got, range) = t.await.unwrap();
        total += got;
        first_range.get_or_insert(range);
    }
    assert_eq!(total, n, "weed read-back incomplete");
    (t0.elapsed(), first_range.unwrap_or_default())
}

async fn subscribe_at(
    c: &mut Client,
    name: &str,
    p: Partition,
    offset_type: OffsetType,
    ts: i64,
    window: i32,
) -> (
    mpsc::Sender<SubscribeMessageRequest>,
    tonic::Streaming<SubscribeMessageResponse>,
) {
    let (tx, rx) = mpsc::channel(1024);
    tx.send(SubscribeMessageRequest {
        message: Some(subscribe_message_request::Message::Init(
            subscribe_message_request::InitMessage {
                consumer_group: "swmq-bench".into(),
                consumer_id: "bench".into(),
                client_id: "bench".into(),
                topic: Some(topic(name)),
                partition_offset: Some(PartitionOffset {
                    partition: Some(p),
                    start_ts_ns: ts,
                    start_offset: 0,
                }),
                offset_type: offset_type as i32,
                filter: String::new(),
                follower_broker: String::new(),
                sliding_window_size: window,
            },
        )),
    })
    .await
    .unwrap();
    let s = c
        .subscribe_message(ReceiverStream::new(rx))
        .await
        .expect("subscribe")
        .into_inner();
    (tx, s)
}

async fn first_data(s: &mut tonic::Streaming<SubscribeMessageResponse>) -> Option<DataMessage> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), s.message())
            .await
            .ok()?
            .ok()??;
        if let Some(subscribe_message_response::Message::Data(d)) = m.message {
            return Some(d);
        }
    }
}

async fn seeks(
    addr: &str,
    p: Partition,
    name: &str,
    (first, last): (i64, i64),
    count: usize,
) -> Vec<Duration> {
    let mut rng = Lcg(42);
    let mut out = Vec::new();
    for _ in 0..count {
        let t = first + (rng.next() % (last - first).max(1) as u64) as i64;
        // A fresh connection per seek (abandoned streams trip h2's reset-flood guard);
        // connecting is not timed.
        let mut c = SeaweedMessagingClient::new(channel(addr).await);
        let t0 = Instant::now();
        let (_tx, mut s) = subscribe_at(&mut c, name, p, OffsetType::ExactTsNs, t, 16).await;
        if first_data(&mut s).await.is_some() {
            out.push(t0.elapsed());
        }
    }
    out
}

/// Live latency by polling `FetchMessage` every millisecond (4.48's `SubscribeMessage`
/// does not deliver a live tail; see seaweedfs-4x.md).
async fn live(addr: &str, count: usize) -> Vec<Duration> {
    let ch = channel(addr).await;
    let mut c = SeaweedMessagingClient::new(ch.clone());
    let p = create(&mut c, "live", 1).await[0];
    let (tx, rx) = mpsc::channel(16);
    tx.send(init("live", &p)).await.unwrap();
    let mut pc = SeaweedMessagingClient::new(ch);
    let mut acks = pc
        .publish_message(ReceiverStream::new(rx))
        .await
        .expect("publish")
        .into_inner();
    let _ = acks.message().await;
    let mut out = Vec::new();
    for i in 0..count {
        let t0 = Instant::now();
        tx.send(data(i)).await.unwrap();
        let _ = acks.message().await;
        loop {
            let r = c
                .fetch_message(FetchMessageRequest {
                    topic: Some(topic("live")),
                    partition: Some(p),
                    start_offset: i as i64,
                    max_messages: 1,
                    ..Default::default()
                })
                .await
                .expect("fetch")
                .into_inner();
            if !r.messages.is_empty() {
                break;
            }
            if t0.elapsed() > Duration::from_secs(5) {
                return out;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        out.push(t0.elapsed());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    out
}

#[allow(clippy::field_reassign_with_default)]
/// Runs every workload against the real weed broker at `addr`.
pub(crate) async fn run(o: Opts, addr: &str) -> Figures {
    let mut c = SeaweedMessagingClient::new(channel(addr).await);
    let n = o.messages;
    let mut f = Figures::default();
    let one = create(&mut c, "one", 1).await;
    f.publish_1 = Some(publish(addr, &one, "one", n).await);
    eprintln!("weed: published 1×{n} in {:?}", f.publish_1.unwrap());
    let (read_1, range) = read_back(addr, &one, "one", n).await;
    f.read_1 = Some(read_1);
    eprintln!("weed: read back 1×{n} in {:?}", f.read_1.unwrap());
    let four = create(&mut c, "four", 4).await;
    f.publish_4 = Some(publish(addr, &four, "four", n).await);
    eprintln!("weed: published 4×{} in {:?}", n / 4, f.publish_4.unwrap());
    f.read_4 = Some(read_back(addr, &four, "four", n).await.0);
    eprintln!("weed: read back 4×{} in {:?}", n / 4, f.read_4.unwrap());
    f.seek = seeks(addr, one[0], "one", range, o.seeks).await;
    eprintln!("weed: {} seeks done", f.seek.len());
    if f.seek.len() < o.seeks {
        f.notes.push(format!(
            "weed: {} of {} seeks delivered a message within 10 s",
            f.seek.len(),
            o.seeks
        ));
    }
    f.live = live(addr, o.live).await;
    f.notes.push(
        "weed read-back uses SubscribeMessage (acking every message); weed live latency polls FetchMessage every 1 ms \
         (4.48's SubscribeMessage does not deliver a live tail)"
            .into(),
    );
    f
}
