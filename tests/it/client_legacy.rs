//! The 2.x client against the embedded broker, through the real gRPC client: publishing
//! (msgclient partitioning), reading (merged, from timestamps, follow/non-follow), channels,
//! delete, listing, and resuming a tail across a broker restart.
use crate::support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use swmq::broker::BrokerConfig;
use swmq::client::legacy::{LegacyClient, partition_for_key};
use swmq::client::{
    Client, ClientError, ConnectOptions, HistogramRequest, OutMessage, Protocol, ReadEvent,
    ReadSpec, ReadStream, Record, TopicName,
};
use swmq::time::TimeSpec;

use support::embedded::start_embedded;

async fn connect(addr: &str) -> LegacyClient {
    match Client::connect(&ConnectOptions::new(addr)).await.unwrap() {
        Client::Legacy(c) => c,
        Client::Mq(_) => panic!("the embedded broker must be detected as 2.x"),
    }
}

fn topic(prefix: &str, name: &str) -> TopicName {
    TopicName::new(&support::unique_namespace(prefix), name).unwrap()
}

fn msg(key: &[u8], value: &[u8]) -> OutMessage {
    OutMessage {
        key: Bytes::copy_from_slice(key),
        value: Bytes::copy_from_slice(value),
        ..Default::default()
    }
}

fn history(from: TimeSpec) -> ReadSpec {
    ReadSpec {
        from,
        until: None,
        partitions: None,
        follow: false,
    }
}

/// Reads a non-follow stream to its end (it must end within 20 s).
async fn collect(mut s: ReadStream) -> Vec<Record> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("a non-follow read did not end; got {} records", out.len()),
            Ok(None) => return out,
            Ok(Some(Ok(ReadEvent::Records(rs)))) => out.extend(rs),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("read failed: {e}"),
        }
    }
}

/// Reads a follow stream until `n` records arrived (within `within`).
async fn take(s: &mut ReadStream, n: usize, within: Duration) -> Vec<Record> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    while out.len() < n {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("only {} of {n} records within {within:?}", out.len()),
            Ok(None) => panic!("the follow read ended after {} records", out.len()),
            Ok(Some(Ok(ReadEvent::Records(rs)))) => out.extend(rs),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("read failed: {e}"),
        }
    }
    out
}

/// Waits for the read's `CaughtUp`.
async fn caught_up(s: &mut ReadStream) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("no CaughtUp"),
            Ok(Some(Ok(ReadEvent::CaughtUp))) => return,
            Ok(Some(Ok(ReadEvent::Records(rs)))) => panic!("unexpected records {rs:?}"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("read failed: {e}"),
            Ok(None) => panic!("ended before CaughtUp"),
        }
    }
}

fn assert_time_ordered(rs: &[Record]) {
    for w in rs.windows(2) {
        assert!(
            (w[0].ts_ns, w[0].partition) < (w[1].ts_ns, w[1].partition),
            "out of order: {} p{} then {} p{}",
            w[0].ts_ns,
            w[0].partition,
            w[1].ts_ns,
            w[1].partition
        );
    }
}

#[tokio::test]
async fn round_trip_keys_binary_large_values_and_headers() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("rt", "mixed");
    let big: Vec<u8> = (0..(1 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    let mut with_headers = msg(b"h", b"with headers");
    with_headers.headers = vec![
        ("z-last".into(), Bytes::from_static(b"\xff\x00")),
        ("a-first".into(), Bytes::from_static(b"one")),
    ];
    let sent = vec![
        msg(b"alpha", b"plain text"),
        msg(b"\x00\x01\x02", &[0u8, 159, 146, 150, 255]),
        msg(b"big", &big),
        with_headers,
        msg(b"", b"no key"),
    ];
    let outcomes = c.publish(&t, sent.clone()).await.unwrap();
    assert_eq!(outcomes.len(), sent.len());
    for (m, o) in sent.iter().zip(&outcomes) {
        if let Some(p) = partition_for_key(&m.key, 4) {
            assert_eq!(o.partition, p, "key {:?}", m.key);
        }
        assert_eq!((o.offset, o.ts_ns), (None, None));
    }
    let got = collect(c.read(&t, history(TimeSpec::Earliest)).await.unwrap()).await;
    assert_eq!(got.len(), sent.len());
    assert_time_ordered(&got);
    for m in &sent {
        let r = got
            .iter()
            .find(|r| r.key == m.key && r.value == m.value)
            .unwrap_or_else(|| panic!("message with key {:?} not read back", m.key));
        let mut want_headers = m.headers.clone();
        want_headers.sort();
        assert_eq!(r.headers, want_headers);
        assert!(!r.is_close);
        assert_eq!(r.offset, None);
        assert_eq!(*r.topic, t);
        let o = outcomes[sent.iter().position(|x| x == m).unwrap()];
        assert_eq!(r.partition, o.partition);
    }
}

#[tokio::test]
async fn keyed_messages_land_in_the_xxhash_partition_and_keyless_go_round_robin() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("part", "keys");
    let keys: Vec<String> = (0..24).map(|i| format!("key-{i}")).collect();
    let mut batch: Vec<OutMessage> = keys.iter().map(|k| msg(k.as_bytes(), b"v")).collect();
    batch.extend((0..8).map(|i| msg(b"", format!("rr{i}").as_bytes())));
    let outcomes = c.publish(&t, batch).await.unwrap();
    let rr: Vec<i32> = outcomes[24..].iter().map(|o| o.partition).collect();
    assert_eq!(rr, vec![0, 1, 2, 3, 0, 1, 2, 3]);
    for p in 0..4 {
        let spec = ReadSpec {
            partitions: Some(vec![p]),
            ..history(TimeSpec::Earliest)
        };
        let got = collect(c.read(&t, spec).await.unwrap()).await;
        assert!(got.iter().all(|r| r.partition == p));
        let got_keys: Vec<String> = got
            .iter()
            .filter(|r| !r.key.is_empty())
            .map(|r| String::from_utf8(r.key.to_vec()).unwrap())
            .collect();
        let want: Vec<String> = keys
            .iter()
            .filter(|k| partition_for_key(k.as_bytes(), 4) == Some(p))
            .cloned()
            .collect();
        assert_eq!(got_keys, want, "partition {p}");
        assert_eq!(got.iter().filter(|r| r.key.is_empty()).count(), 2);
    }
    let e = c
        .read(
            &t,
            ReadSpec {
                partitions: Some(vec![4]),
                ..history(TimeSpec::Earliest)
            },
        )
        .await
        .err()
        .expect("partition 4 does not exist");
    assert!(
        e.to_string().contains("4: part") && e.to_string().contains("has partitions 0..3"),
        "{e}"
    );
}

#[tokio::test]
async fn read_from_a_timestamp_is_inclusive_and_merged_in_order() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("ts", "events");
    let base = swmq::time::now_ns() - 3_600_000_000_000;
    // 40 messages over 4 partitions, explicit event times 1 µs apart.
    let batch: Vec<OutMessage> = (0..40)
        .map(|i| OutMessage {
            ts_ns: Some(base + i * 1000),
            ..msg(format!("k{}", i % 7).as_bytes(), format!("{i}").as_bytes())
        })
        .collect();
    c.publish(&t, batch).await.unwrap();
    let all = collect(c.read(&t, history(TimeSpec::Earliest)).await.unwrap()).await;
    assert_eq!(all.len(), 40);
    assert_time_ordered(&all);
    let values: Vec<String> = all
        .iter()
        .map(|r| String::from_utf8(r.value.to_vec()).unwrap())
        .collect();
    assert_eq!(values, (0..40).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(all[0].ts_ns, base);
    // From exactly the timestamp of message 17: 17..40.
    let at = base + 17 * 1000;
    let from = collect(c.read(&t, history(TimeSpec::At(at))).await.unwrap()).await;
    assert_eq!(from.len(), 23);
    assert_eq!(from[0].ts_ns, at);
    assert!(from.iter().all(|r| r.ts_ns >= at));
    // Until is inclusive too.
    let spec = ReadSpec {
        until: Some(base + 20 * 1000),
        ..history(TimeSpec::At(at))
    };
    assert_eq!(collect(c.read(&t, spec).await.unwrap()).await.len(), 4);
    // Latest, non-follow: nothing, and it ends.
    assert!(
        collect(c.read(&t, history(TimeSpec::Latest)).await.unwrap())
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn follow_sees_a_new_record_within_two_seconds() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("follow", "live");
    c.publish(&t, vec![msg(b"old", b"history")]).await.unwrap();
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let first = take(&mut s, 1, Duration::from_secs(5)).await;
    assert_eq!(first[0].value.as_ref(), b"history");
    caught_up(&mut s).await;
    for i in 0..3 {
        let started = Instant::now();
        let key = format!("live-{i}");
        c.publish(&t, vec![msg(key.as_bytes(), b"new")])
            .await
            .unwrap();
        let got = take(&mut s, 1, Duration::from_secs(2)).await;
        assert_eq!(got[0].key.as_ref(), key.as_bytes());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn channels_publish_close_read_and_refuse_after_close() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let name = support::unique_namespace("chan");
    let t = TopicName::channel(&name).unwrap();
    let outcomes = c
        .publish(
            &t,
            vec![msg(b"", b"one"), msg(b"k", b"two"), msg(b"", b"three")],
        )
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.partition == 0));
    // A follow read of the channel ends with the close message.
    let reader = c.read(&t, ReadSpec::default()).await.unwrap();
    let closed = c.chan_close(&name).await.unwrap();
    assert_eq!(closed.partition, 0);
    let got = collect(reader).await;
    let values: Vec<&[u8]> = got.iter().map(|r| r.value.as_ref()).collect();
    assert_eq!(values, vec![&b"one"[..], b"two", b"three", b""]);
    assert!(got.last().unwrap().is_close);
    // A read that starts after the close ends too.
    let got = collect(c.read(&t, ReadSpec::default()).await.unwrap()).await;
    assert_eq!(got.len(), 4);
    let err = c.publish(&t, vec![msg(b"", b"late")]).await.unwrap_err();
    assert!(matches!(err, ClientError::ChannelClosed(_)), "{err:?}");
    assert_eq!(err.to_string(), format!("channel {name} is closed"));
    let err = c.chan_close(&name).await.unwrap_err();
    assert!(matches!(err, ClientError::ChannelClosed(_)), "{err:?}");
    let listed = c.list_topics().await.unwrap();
    let info = listed.iter().find(|i| i.name == t).unwrap();
    assert!(info.closed());
}

#[tokio::test]
async fn status_listing_describe_histogram_and_delete() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let st = c.status().await.unwrap();
    assert_eq!(st.protocol, Protocol::Legacy);
    assert!(st.embedded_version.is_some());
    let t = topic("adm", "stats");
    c.create_topic(&t, 2).await.unwrap();
    assert_eq!(c.partition_count(&t).await.unwrap(), 2);
    let base = swmq::time::now_ns() - 10_000_000_000;
    let batch: Vec<OutMessage> = (0..10)
        .map(|i| OutMessage {
            ts_ns: Some(base + i * 1_000_000_000),
            ..msg(format!("k{i}").as_bytes(), b"0123456789")
        })
        .collect();
    let outcomes = c.publish(&t, batch).await.unwrap();
    assert!(outcomes.iter().all(|o| o.partition < 2));
    let topics = c.list_topics().await.unwrap();
    let info = topics.iter().find(|i| i.name == t).expect("listed");
    assert_eq!(info.partitions.len(), 2);
    assert_eq!(info.message_count(), Some(10));
    assert_eq!(info.first_ts_ns(), Some(base));
    assert_eq!(info.last_ts_ns(), Some(base + 9_000_000_000));
    assert!(c.status().await.unwrap().topic_count.unwrap() >= 1);
    let d = c
        .describe(
            &t,
            Some(HistogramRequest {
                start_ns: None,
                stop_ns: None,
                buckets: 5,
            }),
        )
        .await
        .unwrap();
    let h = d.histogram.unwrap();
    assert_eq!(h.counts.iter().sum::<u64>(), 10);
    assert_eq!(h.counts, vec![2, 2, 2, 2, 2]);
    let h = c
        .histogram(
            &t,
            HistogramRequest {
                start_ns: Some(base),
                stop_ns: Some(base + 5_000_000_000),
                buckets: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(h.counts, vec![5]);
    let out = c.delete(&t).await.unwrap();
    assert_eq!(out.existed, Some(true));
    assert!(!c.list_topics().await.unwrap().iter().any(|i| i.name == t));
    let err = c.describe(&t, None).await.unwrap_err();
    assert!(matches!(err, ClientError::TopicNotFound(_)), "{err:?}");
    assert_eq!(c.delete(&t).await.unwrap().existed, Some(false));
    // A non-follow read of a missing topic says so.
    let err = c.read(&t, history(TimeSpec::Earliest)).await.err().unwrap();
    assert!(matches!(err, ClientError::TopicNotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_tail_resumes_across_a_broker_restart_without_gap_or_duplicate() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let support::embedded::Embedded { broker, addr, dir } = start_embedded().await;
    let c = connect(&addr).await;
    let t = topic("restart", "tail");
    let first: Vec<OutMessage> = (0..20)
        .map(|i| msg(format!("a{i}").as_bytes(), format!("a{i}").as_bytes()))
        .collect();
    c.publish(&t, first).await.unwrap();
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let mut got = take(&mut s, 20, Duration::from_secs(10)).await;

    // Stop the broker; while it is down the tail notices and backs off.
    broker.shutdown().await.unwrap();
    let mut reconnect_events = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while reconnect_events == 0 {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("the tail did not notice the broker going away"),
            Ok(Some(Ok(ReadEvent::Reconnecting { .. }))) => reconnect_events += 1,
            Ok(Some(Ok(ReadEvent::Records(rs)))) => panic!("records while down: {rs:?}"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("tail failed instead of retrying: {e}"),
            Ok(None) => panic!("tail ended"),
        }
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // A new broker on the same port and data directory; what is published before the
    // tail's next attempt must still reach it (it resumes by timestamp, not at LATEST).
    let config = BrokerConfig::new(addr.parse().unwrap(), dir.path().to_path_buf());
    let mut restarted = None;
    for _ in 0..50 {
        match swmq::broker::start(config.clone()).await {
            Ok(b) => {
                restarted = Some(b);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let _broker = restarted.expect("restart on the same port");

    let second: Vec<OutMessage> = (0..20)
        .map(|i| msg(format!("b{i}").as_bytes(), format!("b{i}").as_bytes()))
        .collect();
    // The same client: its channel reconnects by itself.
    let mut published = false;
    for _ in 0..50 {
        match c.publish(&t, second.clone()).await {
            Ok(_) => {
                published = true;
                break;
            }
            Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("publish after restart: {e}"),
        }
    }
    assert!(published);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while got.len() < 40 {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("tail did not resume: {} records", got.len()),
            Ok(None) => panic!("tail ended"),
            Ok(Some(Ok(ReadEvent::Records(rs)))) => got.extend(rs),
            Ok(Some(Ok(ReadEvent::Reconnecting { .. } | ReadEvent::Reconnected { .. }))) => {
                reconnect_events += 1
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("tail failed: {e}"),
        }
    }
    // Nothing more (no duplicate) arrives.
    let extra = tokio::time::timeout(Duration::from_millis(1500), async {
        loop {
            match s.next().await {
                Some(Ok(ReadEvent::Records(rs))) => return rs,
                Some(_) => {}
                None => return Vec::new(),
            }
        }
    })
    .await
    .unwrap_or_default();
    assert!(extra.is_empty(), "duplicates: {extra:?}");
    assert!(reconnect_events > 0, "the restart was not noticed");
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        *keys
            .entry(String::from_utf8(r.key.to_vec()).unwrap())
            .or_default() += 1;
    }
    assert_eq!(keys.len(), 40, "{keys:?}");
    assert!(keys.values().all(|&n| n == 1));
    let mut per_part: BTreeMap<i32, i64> = BTreeMap::new();
    for r in &got {
        let last = per_part.entry(r.partition).or_insert(i64::MIN);
        assert!(
            r.ts_ns > *last,
            "partition {} went back in time",
            r.partition
        );
        *last = r.ts_ns;
    }
}

#[tokio::test]
async fn a_publisher_streams_many_messages_and_finish_means_durable() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("pubr", "many");
    let p = c.publisher(&t).await.unwrap();
    for i in 0..5000 {
        let key = if i % 3 == 0 {
            String::new()
        } else {
            format!("k{}", i % 97)
        };
        p.send(msg(key.as_bytes(), format!("{i:05}").as_bytes()))
            .await
            .unwrap();
    }
    let outcomes = p.finish().await.unwrap();
    assert_eq!(outcomes.len(), 5000);
    let info = c
        .list_topics()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.name == t)
        .unwrap();
    assert_eq!(info.message_count(), Some(5000));
    for (pi, part) in info.partitions.iter().enumerate() {
        let want = outcomes.iter().filter(|o| o.partition == pi as i32).count() as u64;
        assert_eq!(part.message_count, Some(want), "partition {pi}");
    }
    let got = collect(c.read(&t, history(TimeSpec::Earliest)).await.unwrap()).await;
    assert_eq!(got.len(), 5000);
    assert_time_ordered(&got);
    // Per partition, values come back in publishing order.
    let mut last: BTreeMap<i32, String> = BTreeMap::new();
    for r in &got {
        let v = String::from_utf8(r.value.to_vec()).unwrap();
        if let Some(prev) = last.insert(r.partition, v.clone()) {
            assert!(prev < v, "partition {}: {prev} before {v}", r.partition);
        }
    }
}

#[tokio::test]
async fn a_live_tail_merges_partitions_in_time_order_and_stops_at_until() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("live", "merge");
    c.create_topic(&t, 4).await.unwrap();
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    caught_up(&mut s).await;
    let publisher = {
        let c = c.clone();
        let t = t.clone();
        tokio::spawn(async move {
            for round in 0..10 {
                let batch: Vec<OutMessage> = (0..8)
                    .map(|i| msg(format!("r{round}k{i}").as_bytes(), b"x"))
                    .collect();
                c.publish(&t, batch).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let got = take(&mut s, 80, Duration::from_secs(10)).await;
    publisher.await.unwrap();
    assert_eq!(got.len(), 80);
    assert!(
        got.iter()
            .map(|r| r.partition)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
    );
    assert_time_ordered(&got);
    drop(s);
    // A follow read with `until` ends once every partition has passed it.
    let until = got[39].ts_ns;
    let spec = ReadSpec {
        until: Some(until),
        ..ReadSpec::default()
    };
    let upto = collect(c.read(&t, spec).await.unwrap()).await;
    assert_eq!(upto.len(), 40);
    assert_eq!(upto.last().unwrap().ts_ns, until);
}

#[tokio::test]
async fn a_channel_can_be_read_before_it_exists() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let name = support::unique_namespace("early");
    let t = TopicName::channel(&name).unwrap();
    let reader = c.read(&t, ReadSpec::default()).await.unwrap();
    c.publish(&t, vec![msg(b"", b"hello")]).await.unwrap();
    c.chan_close(&name).await.unwrap();
    let got = collect(reader).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].value.as_ref(), b"hello");
    assert!(got[1].is_close);
}

#[tokio::test]
async fn event_times_that_go_back_read_as_their_log_timestamps() {
    let e = start_embedded().await;
    let c = connect(&e.addr).await;
    let t = topic("back", "times");
    c.create_topic(&t, 1).await.unwrap();
    let base = swmq::time::now_ns() - 60_000_000_000;
    let at = |ts: i64, v: &[u8]| OutMessage {
        ts_ns: Some(ts),
        ..msg(b"", v)
    };
    // The second goes back in time: the broker logs it at base + 101.
    let sent = vec![
        at(base + 100, b"a"),
        at(base + 50, b"b"),
        at(base + 200, b"c"),
    ];
    c.publish(&t, sent).await.unwrap();
    let got = collect(c.read(&t, history(TimeSpec::Earliest)).await.unwrap()).await;
    let seen: Vec<(i64, &[u8])> = got
        .iter()
        .map(|r| (r.ts_ns - base, r.value.as_ref()))
        .collect();
    assert_eq!(seen, vec![(100, &b"a"[..]), (101, b"b"), (200, b"c")]);
    let from = collect(c.read(&t, history(TimeSpec::At(base + 101))).await.unwrap()).await;
    let values: Vec<&[u8]> = from.iter().map(|r| r.value.as_ref()).collect();
    assert_eq!(values, vec![&b"b"[..], b"c"]);
    let from = collect(c.read(&t, history(TimeSpec::At(base + 102))).await.unwrap()).await;
    assert_eq!(from.len(), 1);
}
