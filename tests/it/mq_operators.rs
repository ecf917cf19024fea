//! Operator views against the real SeaweedFS 4.48: consumer groups (a native group made by
//! a real subscriber with `follower_broker` set, a Kafka-gateway offsets file written
//! through the filer, `swmq groups`), and topic configuration (`swmq topic create | alter |
//! truncate | config`, what `topic.conf` then holds).
use crate::support;

use std::time::{Duration, Instant};

use assert_cmd::Command;
use bytes::Bytes;
use support::weed::{Weed, mq_client};
use swmq::client::mq::MqClient;
use swmq::client::mq::groups::{GroupKind, TopicGroups};
use swmq::client::*;
use swmq::proto::filer::seaweed_filer_client::SeaweedFilerClient;
use swmq::proto::filer::{CreateEntryRequest, Entry, FuseAttributes};
use swmq::proto::mq::messaging_pb::SubscribeMessageRequest;
use swmq::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient;
use swmq::proto::mq::messaging_pb::subscribe_message_request::{
    AckMessage, InitMessage, Message as Req,
};
use swmq::proto::mq::messaging_pb::subscribe_message_response::Message as Resp;
use swmq::proto::mq::schema_pb::{OffsetType, PartitionOffset};

pub(crate) async fn publish(
    c: &MqClient,
    t: &TopicName,
    from: usize,
    n: usize,
) -> Vec<PublishOutcome> {
    let msgs = (from..from + n)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(format!("v{i}")),
            ..support::out_msg("", "")
        })
        .collect();
    c.publish(t, msgs).await.expect("publish")
}

/// A consumer of group `group` as SeaweedFS's own subscriber is: `follower_broker` set
/// (here the broker itself, which makes the broker save the group's position), every
/// message acknowledged. Reads `n` messages from the earliest, then leaves.
pub(crate) async fn consume(
    w: &Weed,
    c: &MqClient,
    t: &TopicName,
    group: &str,
    n: usize,
) -> Vec<i64> {
    consume_timed(w, c, t, group, n).await.0
}

/// [`consume`], also giving when the subscriber left (its half-close) and when the broker
/// then ended the stream.
async fn consume_timed(
    w: &Weed,
    c: &MqClient,
    t: &TopicName,
    group: &str,
    n: usize,
) -> (Vec<i64>, Instant, Instant) {
    let part = c.partitions(t).await.unwrap().remove(0);
    let ch = tonic::transport::Channel::from_shared(format!("http://{}", w.broker))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut b = SeaweedMessagingClient::new(ch);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tx.send(SubscribeMessageRequest {
        message: Some(Req::Init(InitMessage {
            consumer_group: group.into(),
            consumer_id: format!("{group}-member"),
            client_id: "groups-test".into(),
            topic: Some(swmq::proto::mq::schema_pb::Topic {
                namespace: t.namespace.clone(),
                name: t.name.clone(),
            }),
            partition_offset: Some(PartitionOffset {
                partition: Some(part.pb()),
                start_ts_ns: 0,
                start_offset: 0,
            }),
            offset_type: OffsetType::ResetToEarliest as i32,
            follower_broker: w.broker.clone(),
            sliding_window_size: 16,
            ..Default::default()
        })),
    })
    .await
    .unwrap();
    let mut s = b
        .subscribe_message(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("subscribe")
        .into_inner();
    let mut got = Vec::new();
    while got.len() < n {
        let m = tokio::time::timeout(Duration::from_secs(20), s.message())
            .await
            .expect("a message within 20 s")
            .expect("stream");
        if let Some(Resp::Data(d)) = m.and_then(|m| m.message) {
            tx.send(SubscribeMessageRequest {
                message: Some(Req::Ack(AckMessage {
                    ts_ns: d.ts_ns,
                    key: d.key.clone(),
                })),
            })
            .await
            .unwrap();
            got.push(d.ts_ns);
        }
    }
    // Let the acks arrive, then leave (half-close: the broker saves the position).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = Instant::now();
    drop(tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = s.message().await {}
    })
    .await;
    (got, left, Instant::now())
}

/// Polls `groups` until `ok` holds (the broker saves a position when its subscriber has
/// gone); fails after 20 s with the last answer.
async fn wait_groups(
    c: &MqClient,
    t: &TopicName,
    ok: impl Fn(&TopicGroups) -> bool,
) -> TopicGroups {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let g = c.groups(t).await.expect("groups");
        if ok(&g) {
            return g;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("groups never as expected: {g:#?}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_native_group_shows_its_position_and_a_lag_that_grows() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let t = TopicName::new(&support::unique_namespace("grp"), "orders").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    publish(&c, &t, 0, 10).await;
    let seen = consume(w, &c, &t, "billing", 6).await;
    let g = wait_groups(&c, &t, |g| {
        g.groups.iter().any(|g| g.kind == GroupKind::Native)
    })
    .await;
    let billing = g.groups.iter().find(|g| g.name == "billing").unwrap();
    let p = &billing.partitions[0];
    assert_eq!(p.committed_ts_ns, Some(seen[5]), "{g:#?}");
    assert_eq!(p.lag, Some(4), "{g:#?}");
    assert_eq!(p.high_water_mark, Some(10));
    assert_eq!(p.committed_offset, Some(6));
    assert!(p.committed_at_ns.is_some());
    assert!(!billing.caught_up(1));
    // More is published: the lag grows by as much.
    publish(&c, &t, 10, 5).await;
    let g = wait_groups(&c, &t, |g| g.groups[0].lag() == Some(9)).await;
    assert_eq!(g.groups[0].partitions[0].committed_ts_ns, Some(seen[5]));
    // The CLI shows it, as a table and as JSON.
    let out = cli(w, &["groups", &t.to_string()]);
    assert!(out.contains("group billing (native)  lag 9"), "{out}");
    let json = cli(w, &["groups", &t.to_string(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["groups"][0]["name"], "billing");
    assert_eq!(v["groups"][0]["lag"], 9);
    // The derived offset is the high-water mark minus the lag: 4.48 leaves an offset gap
    // when a new publisher session starts (seen: 15 records, high-water mark 16).
    let p0 = &v["groups"][0]["partitions"][0];
    let hwm = p0["high_water_mark"].as_i64().unwrap();
    assert!((15..=16).contains(&hwm), "{v}");
    assert_eq!(p0["committed_offset"].as_i64(), Some(hwm - 9));
    // A second group that read everything is consumed, and sorts after the laggard.
    consume(w, &c, &t, "audit", 15).await;
    let g = wait_groups(&c, &t, |g| g.groups.len() == 2).await;
    assert_eq!(g.groups[0].name, "billing");
    assert_eq!(g.groups[1].name, "audit");
    assert_eq!(g.groups[1].lag(), Some(0));
    assert!(g.groups[1].caught_up(1), "{g:#?}");
    // What the TUI inspector's worker asks: the same groups, the configuration too.
    let i = swmq::tui::inspector::inspect(&Client::Mq(c.clone()), &t, true)
        .await
        .unwrap();
    let cluster = i.cluster.expect("the cluster on 4.x");
    assert_eq!(cluster.brokers.len(), 1, "{cluster:?}");
    assert!(
        cluster.brokers[0].balancer && cluster.brokers[0].leads >= 1,
        "{cluster:?}"
    );
    // One broker: 4.48 names it the follower of its own partitions; not counted as
    // following, said in a note.
    assert_eq!(cluster.brokers[0].follows, 0, "{cluster:?}");
    assert!(
        cluster
            .notes
            .iter()
            .any(|n| n.contains("name their leader as their follower")),
        "{cluster:?}"
    );
    assert_eq!(i.groups.unwrap().groups.len(), 2);
    assert_eq!(i.config.unwrap().partition_count, 1);
    assert_eq!(i.info.partitions.len(), 1);
}

/// How long after a subscriber leaves its group's `consumers/<group>.offset` appears in the
/// filer (docs/mq-4x-operators.md): three groups in turn, each file polled every 10 ms from
/// the subscriber's half-close. Prints the delays; fails only if a file never appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_leaving_subscriber_s_position_is_saved_at_once() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let t = TopicName::new(&support::unique_namespace("grpsave"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    publish(&c, &t, 0, 10).await;
    let part = c.partitions(&t).await.unwrap().remove(0);
    let dir = format!(
        "{}/consumers",
        swmq::client::mq::logs::partition_dir(&t, &part)
    );
    let mut seen = Vec::new();
    for (i, group) in ["g1", "g2", "g3"].into_iter().enumerate() {
        let (got, left, ended) = consume_timed(w, &c, &t, group, 6 + i).await;
        let file = format!("{group}.offset");
        let deadline = left + Duration::from_secs(20);
        let appeared = loop {
            if let Ok(Some(e)) = c.filer().lookup(&dir, &file).await {
                let v: serde_json::Value = serde_json::from_slice(&e.content).unwrap();
                assert_eq!(v["value"].as_i64(), got.last().copied(), "{v}");
                break Instant::now();
            }
            assert!(Instant::now() < deadline, "{dir}/{file} never appeared");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        seen.push((
            ended.duration_since(left).as_millis(),
            appeared.duration_since(left).as_millis(),
        ));
    }
    eprintln!("offset file after the half-close (stream ended ms, file seen ms): {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_kafka_gateway_offsets_file_shows_its_lag() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let name = support::unique_namespace("events");
    let t = TopicName::new("kafka", &name).unwrap();
    c.create_topic(&t, 2).await.unwrap();
    let outs = publish(&c, &t, 0, 12).await;
    let in_p1 = outs.iter().filter(|o| o.partition == 1).count() as i64;
    assert!(in_p1 >= 2, "the keys spread over both partitions: {outs:?}");
    // As the gateway commits: JSON inline, a real Kafka offset (the next to read).
    let dir = format!("/topics/kafka/.meta/consumer_offsets/analytics/{name}/1");
    let body = br#"{"type":"offset","value":1,"committed_at":1764620000000,"metadata":""}"#;
    let ch = tonic::transport::Channel::from_shared(format!("http://{}", w.filer))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let r = SeaweedFilerClient::new(ch)
        .create_entry(CreateEntryRequest {
            directory: dir,
            entry: Some(Entry {
                name: "offset".into(),
                content: Bytes::from_static(body),
                attributes: Some(FuseAttributes {
                    file_size: body.len() as u64,
                    mtime: 1764620000,
                    crtime: 1764620000,
                    file_mode: 0o644,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("create the offsets file")
        .into_inner();
    assert!(r.error.is_empty(), "{}", r.error);
    let g = c.groups(&t).await.unwrap();
    let k = g
        .groups
        .iter()
        .find(|g| g.name == "analytics")
        .expect("group");
    assert_eq!(k.kind, GroupKind::Kafka);
    assert_eq!(k.partitions.len(), 1);
    let p = &k.partitions[0];
    assert_eq!(p.partition, 1);
    assert_eq!(p.committed_offset, Some(1));
    assert_eq!(p.lag, Some(in_p1 as u64 - 1), "{g:#?}");
    assert_eq!(p.committed_at_ns, Some(1_764_620_000_000_000_000));
    let out = cli(w, &["groups", &t.to_string()]);
    assert!(out.contains("group analytics (kafka)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_topic_without_groups_and_a_missing_topic() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let t = TopicName::new(&support::unique_namespace("grpnone"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    assert!(c.groups(&t).await.unwrap().groups.is_empty());
    let out = cli(w, &["groups", &t.to_string()]);
    assert!(out.contains("0 groups"), "{out}");
    let missing = TopicName::new(&support::unique_namespace("grpnone"), "none").unwrap();
    assert!(matches!(
        c.groups(&missing).await,
        Err(ClientError::TopicNotFound(_))
    ));
    let a = Command::cargo_bin("swmq")
        .unwrap()
        .args([
            "--broker",
            &w.broker,
            "--filer",
            &w.filer,
            "groups",
            &missing.to_string(),
        ])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains(&missing.to_string()), "{err}");
}

pub(crate) fn cli(w: &Weed, args: &[&str]) -> String {
    let a = Command::cargo_bin("swmq")
        .unwrap()
        .args(["--broker", &w.broker, "--filer", &w.filer])
        .args(args)
        .env_remove("SWMQ_READ_ONLY")
        .assert()
        .success();
    String::from_utf8_lossy(&a.get_output().stdout).to_string()
}

/// `topic.conf` as the broker stored it (inline JSON).
async fn topic_conf(c: &MqClient, t: &TopicName) -> String {
    let e = c
        .filer()
        .lookup(&swmq::client::mq::topic_dir(t), "topic.conf")
        .await
        .unwrap()
        .expect("topic.conf");
    String::from_utf8_lossy(&e.content).to_string()
}

fn cli_fails(w: &Weed, args: &[&str], code: i32) -> String {
    let a = Command::cargo_bin("swmq")
        .unwrap()
        .args(["--broker", &w.broker, "--filer", &w.filer])
        .args(args)
        .env_remove("SWMQ_READ_ONLY")
        .assert()
        .code(code);
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

fn config_json(w: &Weed, t: &TopicName) -> serde_json::Value {
    let out = cli(w, &["topic", "config", &t.to_string(), "--format", "json"]);
    serde_json::from_str(out.trim()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn create_alter_truncate_change_what_the_broker_stores() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let t = TopicName::new(&support::unique_namespace("conf"), "t").unwrap();
    let name = t.to_string();
    // --read-only refuses every change, before anything is sent.
    for args in [
        vec!["topic", "create", &name, "--partitions", "3"],
        vec!["topic", "alter", &name, "--retention", "1d"],
        vec!["topic", "truncate", &name, "--yes"],
    ] {
        let mut a = vec!["--read-only"];
        a.extend(args);
        let err = cli_fails(w, &a, 1);
        assert!(err.contains("refused"), "{err}");
    }
    assert!(matches!(
        c.partitions(&t).await,
        Err(ClientError::TopicNotFound(_))
    ));
    let out = cli(
        w,
        &[
            "topic",
            "create",
            &name,
            "--partitions",
            "3",
            "--retention",
            "7d",
        ],
    );
    assert!(out.contains("created"), "{out}");
    assert!(
        topic_conf(&c, &t).await.contains("604800"),
        "{}",
        topic_conf(&c, &t).await
    );
    let v = config_json(w, &t);
    assert_eq!(v["partition_count"], 3);
    assert_eq!(v["retention"]["seconds"], 604800);
    assert_eq!(v["retention"]["enabled"], true);
    // Creating it again is refused, naming what to do instead.
    let err = cli_fails(w, &["topic", "create", &name, "--partitions", "3"], 2);
    assert!(
        err.contains("already exists") && err.contains("topic alter"),
        "{err}"
    );
    cli(w, &["topic", "alter", &name, "--retention", "30d"]);
    assert!(topic_conf(&c, &t).await.contains("2592000"));
    assert_eq!(config_json(w, &t)["retention"]["seconds"], 2592000);
    cli(w, &["topic", "alter", &name, "--no-retention"]);
    assert_eq!(config_json(w, &t)["retention"]["enabled"], false);
    // Data in the first generation, flushed to log files.
    publish(&c, &t, 0, 30).await;
    let files = wait_files(&c, &t).await;
    assert!(files > 0);
    // A partition count change is refused with the reason unless --new-generation.
    let err = cli_fails(w, &["topic", "alter", &name, "--partitions", "4"], 2);
    assert!(
        err.contains("new generation") && err.contains("--new-generation"),
        "{err}"
    );
    assert_eq!(c.partitions(&t).await.unwrap().len(), 3);
    // Truncate: every log file goes, the topic and its configuration stay.
    let out = cli(
        w,
        &["topic", "truncate", &name, "--yes", "--format", "json"],
    );
    let o: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert!(o["files"].as_u64().unwrap() >= files as u64, "{o}");
    assert_eq!(count_files(&c, &t).await, 0);
    assert!(!topic_conf(&c, &t).await.is_empty(), "topic.conf stays");
    assert_eq!(config_json(w, &t)["partition_count"], 3);
    // A new generation, meant.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    cli(
        w,
        &[
            "topic",
            "alter",
            &name,
            "--partitions",
            "4",
            "--new-generation",
        ],
    );
    assert_eq!(c.partitions(&t).await.unwrap().len(), 4);
    publish(&c, &t, 100, 8).await;
    let v = config_json(w, &t);
    assert_eq!(v["partition_count"], 4);
    let gens = v["generations"].as_array().unwrap();
    assert_eq!(gens.len(), 2, "{v}");
    assert_eq!(gens[0]["current"], false);
    assert_eq!(gens[1]["current"], true);
    assert_eq!(gens[1]["partitions"], 4);
    // describe shows it too.
    let out = cli(w, &["describe", &name]);
    assert!(
        out.contains("retention   off") && out.contains("(current)"),
        "{out}"
    );
}

/// Files (not directories) in the partition directories of every generation.
async fn count_files(c: &MqClient, t: &TopicName) -> usize {
    let dir = swmq::client::mq::topic_dir(t);
    let mut n = 0;
    for g in c.filer().list_entries(&dir).await.unwrap() {
        if !g.is_directory {
            continue;
        }
        let gdir = format!("{dir}/{}", g.name);
        for p in c.filer().list_entries(&gdir).await.unwrap() {
            if p.is_directory {
                let pdir = format!("{gdir}/{}", p.name);
                n += c
                    .filer()
                    .list_entries(&pdir)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|f| !f.is_directory && !f.name.ends_with(".conf"))
                    .count();
            }
        }
    }
    n
}

/// Waits until log files have been flushed; their number.
async fn wait_files(c: &MqClient, t: &TopicName) -> usize {
    for _ in 0..60 {
        let n = count_files(c, t).await;
        if n > 0 {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no log file flushed in 15 s");
}
