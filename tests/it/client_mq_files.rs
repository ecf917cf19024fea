//! 4.x history read from the filer's log files against a real SeaweedFS 4.48: exact seeks
//! with back-dated stamps, real offsets wherever the read starts, the handover from the
//! files to the broker's unflushed records while a publisher writes, the live edge, and a
//! filer that cannot be reached.
use crate::support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use support::out_msg as msg;
use support::weed::mq_client as mq;
use swmq::client::mq::MqClient;
use swmq::client::*;
use swmq::time::TimeSpec;

const SEC: i64 = 1_000_000_000;

/// Reads until the stream ends; returns the records and the notices.
async fn read_all(
    c: &MqClient,
    t: &TopicName,
    spec: ReadSpec,
    limit: Duration,
) -> (Vec<Record>, Vec<String>) {
    let mut s = c.read(t, spec).await.expect("read");
    let (mut out, mut notices) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("read of {t} did not end within {limit:?}"),
            Ok(None) => return (out, notices),
            Ok(Some(Err(e))) => panic!("read of {t} failed: {e}"),
            Ok(Some(Ok(ReadEvent::Records(r)))) => out.extend(r),
            Ok(Some(Ok(ReadEvent::Notice(n)))) => notices.push(n),
            Ok(Some(Ok(_))) => {}
        }
    }
}

pub(crate) fn history_from(from: TimeSpec) -> ReadSpec {
    ReadSpec {
        from,
        follow: false,
        ..Default::default()
    }
}

/// Waits until the log files of the topic hold `n` records (read from the files).
pub(crate) async fn wait_in_files(c: &MqClient, t: &TopicName, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(40);
    let parts = c.partitions(t).await.unwrap();
    loop {
        let mut count = 0;
        for p in &parts {
            let files = c.partition_files(t, p).await.unwrap();
            for f in &files.logs {
                if let Some(b) = c.fetch_log_file(t, p, &f.name).await.unwrap() {
                    count += swmq::client::mq::files::decode_entries(b).0.len();
                }
            }
        }
        if count >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{t}: {count} of {n} records in the log files after 40 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Back-dated records, one second apart from an hour ago, keys spread over partitions.
fn backdated(n: usize, base: i64) -> Vec<OutMessage> {
    (0..n)
        .map(|i| OutMessage {
            ts_ns: Some(base + i as i64 * SEC),
            ..msg(&format!("order-{}", i % 7), &format!("v{i}"))
        })
        .collect()
}

/// Per partition: offsets are the acknowledged ones and strictly increase.
fn check_offsets(got: &[Record], acked: &HashMap<i64, (i32, i64)>) {
    for r in got {
        let off = r.offset.expect("every 4.x record carries its offset");
        if let Some(&(p, o)) = acked.get(&r.ts_ns) {
            assert_eq!((r.partition, off), (p, o), "{r:?}");
        }
    }
}

/// Every log file of `t`, GET from the filer's HTTP port `filer_http`, is the file read from
/// the volume servers' chunks (the shared weed's filer port is not its gRPC port − 10000,
/// so the client reads chunks). weed 4.48's filer answers these GETs with the files'
/// binary offset attributes as raw headers (NUL bytes), which hyper refused until swmq
/// cleaned them (docs/tls.md).
async fn same_from_the_filer_port(c: &MqClient, t: &TopicName, filer_http: &str) {
    let mut files = 0;
    for p in &c.partitions(t).await.unwrap() {
        let dir = swmq::client::mq::logs::partition_dir(t, p);
        for f in &c.partition_files(t, p).await.unwrap().logs {
            let chunks = c.fetch_log_file(t, p, &f.name).await.unwrap();
            let path = format!("{dir}/{}", f.name);
            let whole = c.filer_http().get(filer_http, &path).await;
            assert_eq!(whole.as_ref().ok(), Some(&chunks), "GET {path}: {whole:?}");
            files += 1;
        }
    }
    assert!(files > 0, "{t}: no log files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn seeks_with_backdated_stamps_are_exact_from_files_and_memory() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("backd"), "t").unwrap();
    c.create_topic(&t, 3).await.unwrap();
    let base = swmq::time::now_ns() - 3600 * SEC;
    let outcomes = c.publish(&t, backdated(30, base)).await.unwrap();
    let acked: HashMap<i64, (i32, i64)> = outcomes
        .iter()
        .map(|o| (o.ts_ns.unwrap(), (o.partition, o.offset.unwrap())))
        .collect();
    let mut stamps: Vec<i64> = acked.keys().copied().collect();
    stamps.sort();
    assert_eq!(stamps.len(), 30);
    let check = |got: &[Record], from: i64| {
        let want: Vec<i64> = stamps.iter().copied().filter(|&s| s >= from).collect();
        let have: Vec<i64> = got.iter().map(|r| r.ts_ns).collect();
        assert_eq!(have, want, "from {from}");
        check_offsets(got, &acked);
    };
    // While (part of it) is still in memory, then once it is all in the files.
    for round in 0..2 {
        if round == 1 {
            wait_in_files(&c, &t, 30).await;
            same_from_the_filer_port(&c, &t, &w.filer_http).await;
        }
        for k in [0usize, 1, 10, 11, 29] {
            for delta in [0, -1, -SEC] {
                let from = stamps[k] + delta;
                let spec = history_from(TimeSpec::At(from));
                let (got, notices) = read_all(&c, &t, spec, Duration::from_secs(30)).await;
                assert!(notices.is_empty(), "{notices:?}");
                check(&got, from);
            }
        }
        let (all, _) = read_all(
            &c,
            &t,
            history_from(TimeSpec::Earliest),
            Duration::from_secs(30),
        )
        .await;
        check(&all, i64::MIN);
        // `until`, `partition`.
        let p = all[5].partition;
        let spec = ReadSpec {
            until: Some(stamps[20]),
            partitions: Some(vec![p]),
            ..history_from(TimeSpec::At(stamps[3]))
        };
        let (one, _) = read_all(&c, &t, spec, Duration::from_secs(30)).await;
        let want: Vec<i64> = all
            .iter()
            .filter(|r| r.partition == p && r.ts_ns >= stamps[3] && r.ts_ns <= stamps[20])
            .map(|r| r.ts_ns)
            .collect();
        assert_eq!(one.iter().map(|r| r.ts_ns).collect::<Vec<_>>(), want);
    }
}

/// A read whose consumer takes only the first N records (`Client::read_first`, what `swmq
/// tail --count N` does): each partition's reader stops after N records of its log files,
/// and the first N records of the merge are exactly the first N at or after T, back-dated
/// stamps included, wherever T falls among the files (two bursts flushed apart: several
/// files per partition).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn the_first_n_records_of_a_seek_are_exact_when_partitions_stop_after_n() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("firstn"), "t").unwrap();
    c.create_topic(&t, 3).await.unwrap();
    let base = swmq::time::now_ns() - 3600 * SEC;
    c.publish(&t, backdated(30, base)).await.unwrap();
    wait_in_files(&c, &t, 30).await;
    let later: Vec<OutMessage> = (0..30)
        .map(|i| msg(&format!("order-{}", i % 7), &format!("w{i}")))
        .collect();
    c.publish(&t, later).await.unwrap();
    wait_in_files(&c, &t, 60).await;
    let spec = history_from(TimeSpec::Earliest);
    let (all, _) = read_all(&c, &t, spec, Duration::from_secs(30)).await;
    let stamps: Vec<i64> = all.iter().map(|r| r.ts_ns).collect();
    assert_eq!(stamps.len(), 60);
    let client = Client::Mq(c.clone());
    for k in [0usize, 1, 17, 29, 30, 44, 59] {
        for delta in [0, -1, -SEC] {
            let from = stamps[k] + delta;
            let want: Vec<i64> = stamps.iter().copied().filter(|&s| s >= from).collect();
            for n in [1usize, 3, 25] {
                let spec = history_from(TimeSpec::At(from));
                let mut s = client.read_first(&t, spec, n as u64).await.unwrap();
                let mut got: Vec<i64> = Vec::new();
                let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
                loop {
                    match tokio::time::timeout_at(deadline, s.next()).await {
                        Err(_) => panic!("from {from}, first {n}: the read did not end"),
                        Ok(None) => break,
                        Ok(Some(Ok(ReadEvent::Records(r)))) => {
                            got.extend(r.iter().map(|r| r.ts_ns))
                        }
                        Ok(Some(Ok(ReadEvent::Notice(x)))) => panic!("notice: {x}"),
                        Ok(Some(Ok(_))) => {}
                        Ok(Some(Err(e))) => panic!("from {from}, first {n}: {e}"),
                    }
                }
                let m = n.min(want.len());
                assert!(
                    got.len() >= m,
                    "from {from}: {} of the first {n}",
                    got.len()
                );
                assert_eq!(got[..m], want[..m], "from {from}, first {n}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_read_crosses_from_files_into_unflushed_records_while_a_publisher_writes() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("handover"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    let publisher = c.publisher(&t).await.unwrap();
    let total = 600usize;
    let feeder = tokio::spawn(async move {
        for i in 0..total {
            let m = msg(&format!("key-{}", i % 5), &format!("{i:06}"));
            publisher.send(m).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        publisher.finish().await.unwrap()
    });
    // Let the first records reach the files, then start reading from the earliest while
    // the publisher keeps writing: files first, then the broker's memory, then live.
    wait_in_files(&c, &t, 50).await;
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let mut got: Vec<Record> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while got.len() < total {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("only {} of {total} records read", got.len()),
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(ReadEvent::Notice(n)))) => panic!("unexpected notice: {n}"),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("{other:?}"),
        }
    }
    let outcomes = feeder.await.unwrap();
    let acked: HashMap<i64, (i32, i64)> = outcomes
        .iter()
        .map(|o| (o.ts_ns.unwrap(), (o.partition, o.offset.unwrap())))
        .collect();
    let values = support::values_of(&got);
    let mut sorted = values.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), total, "duplicates or gaps");
    check_offsets(&got, &acked);
    // Per partition: offsets 0, 1, 2, … without a hole or a repeat.
    let mut next: HashMap<i32, i64> = HashMap::new();
    for r in &got {
        let n = next.entry(r.partition).or_default();
        assert_eq!(r.offset, Some(*n), "partition {} offsets", r.partition);
        *n += 1;
    }
    if let Ok(Some(Ok(ReadEvent::Records(r)))) =
        tokio::time::timeout(Duration::from_millis(800), s.next()).await
    {
        panic!("records after all were seen: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn live_records_show_one_by_one_while_a_publisher_writes() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("live"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    c.publish(&t, vec![msg("warm", "up")]).await.unwrap();
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let publisher = c.publisher(&t).await.unwrap();
    let n = 30;
    let mut lat = Vec::new();
    let mut got = 0;
    for i in 0..n {
        let sent = Instant::now();
        publisher
            .send(msg(&format!("l{i}"), &format!("live-{i}")))
            .await
            .unwrap();
        let want = format!("live-{i}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, s.next()).await {
                Err(_) => panic!("record {i} did not show within 10 s"),
                Ok(Some(Ok(ReadEvent::Records(r)))) => {
                    if r.iter().any(|r| r.value == want.as_bytes()) {
                        lat.push(sent.elapsed());
                        got += 1;
                        break;
                    }
                }
                Ok(Some(Ok(ReadEvent::CaughtUp))) => {}
                Ok(other) => panic!("{other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    publisher.finish().await.unwrap();
    assert_eq!(got, n);
    lat.sort();
    let p50 = lat[n / 2];
    eprintln!(
        "live publish -> read: p50 {:?}, p90 {:?}, max {:?}",
        p50,
        lat[n * 9 / 10],
        lat[n - 1]
    );
    // The latency is a figure (benches/mq_history.rs measures it against a peer), not an
    // assertion: a loaded CI machine must not fail a correct read.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn an_unreachable_filer_is_said_once_and_the_broker_reads_instead() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let t = TopicName::new(&support::unique_namespace("nofiler"), "t").unwrap();
    let good = mq(w).await;
    good.create_topic(&t, 2).await.unwrap();
    let msgs: Vec<OutMessage> = (0..20).map(|i| msg(&format!("n{i}"), "x")).collect();
    good.publish(&t, msgs).await.unwrap();
    let mut o = ConnectOptions::new(&w.broker);
    // Nothing listens there (gRPC 10001, HTTP 1).
    o.filer = "127.0.0.1:10001".into();
    let Client::Mq(c) = Client::connect(&o).await.unwrap() else {
        panic!("weed detected as 2.x");
    };
    let (got, notices) = read_all(
        &c,
        &t,
        history_from(TimeSpec::Earliest),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(got.len(), 20);
    assert_eq!(notices.len(), 1, "said once: {notices:?}");
    assert!(notices[0].contains("filer"), "{notices:?}");
}

/// Reads `s` until `CaughtUp`; returns the records before it.
async fn until_caught_up(s: &mut ReadStream, what: &str) -> Vec<Record> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("{what}: no CaughtUp within 20 s ({} records)", got.len()),
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(ReadEvent::CaughtUp))) => return got,
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("{what}: {other:?}"),
        }
    }
}

/// The seam between the files and the broker while the broker flushes and unloads: a
/// publisher sends records and leaves (4.48 then flushes the partition to a log file and
/// unloads it; a `FetchMessage` afterwards reloads it with an empty memory), and a tail
/// starts after 0 to 1.5 s, so that its listing and its first `FetchMessage` fall before,
/// during and after the flush. Every record is delivered before `CaughtUp`, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn history_right_after_a_publish_is_complete_before_caught_up() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let ns = support::unique_namespace("seam");
    for (i, delay_ms) in [0u64, 30, 100, 250, 500, 800, 1100, 1500]
        .into_iter()
        .enumerate()
    {
        let t = TopicName::new(&ns, &format!("t{i}")).unwrap();
        c.create_topic(&t, 2).await.unwrap();
        let msgs: Vec<OutMessage> = (0..6)
            .map(|k| msg(&format!("k{k}"), &format!("v{k}")))
            .collect();
        c.publish(&t, msgs).await.unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
        let got = until_caught_up(&mut s, &format!("{t} after {delay_ms} ms")).await;
        let mut values = support::values_of(&got);
        values.sort();
        let want: Vec<String> = (0..6).map(|k| format!("v{k}")).collect();
        assert_eq!(values, want, "{t}: read {delay_ms} ms after the publish");
    }
}

/// 4.48 numbers the memory of a partition it reloads from the offset attributes of its
/// log files, which the first file lacks: after an unload, new records get offsets 0, 1, …
/// again. A tail that read the files (offsets 0..3) must still see every record of a
/// burst published then, once and in order (asking the broker for offset 4 alone would
/// skip the burst's first four).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_tail_reads_every_record_of_a_partition_that_renumbered_its_offsets() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("renum"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    let old: Vec<OutMessage> = (0..4).map(|k| msg("same", &format!("old{k}"))).collect();
    c.publish(&t, old).await.unwrap();
    wait_in_files(&c, &t, 4).await;
    let mut s = c.read(&t, ReadSpec::default()).await.unwrap();
    let history = until_caught_up(&mut s, "history").await;
    assert_eq!(history.len(), 4, "{history:?}");
    for round in 0..3 {
        let burst: Vec<OutMessage> = (0..20)
            .map(|k| msg(&format!("b{k}"), &format!("r{round}-{k:02}")))
            .collect();
        let acked = c.publish(&t, burst).await.unwrap();
        let mut got: Vec<Record> = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
        while got.len() < 20 {
            match tokio::time::timeout_at(deadline, s.next()).await {
                Err(_) => panic!("round {round}: {} of 20 records: {got:?}", got.len()),
                Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
                Ok(Some(Ok(_))) => {}
                Ok(other) => panic!("{other:?}"),
            }
        }
        let values = support::values_of(&got);
        let want: Vec<String> = (0..20).map(|k| format!("r{round}-{k:02}")).collect();
        assert_eq!(values, want, "round {round}");
        eprintln!(
            "round {round}: acked offsets {:?}..{:?}, read offsets {:?}..{:?}",
            acked.first().and_then(|o| o.offset),
            acked.last().and_then(|o| o.offset),
            got[0].offset,
            got[19].offset
        );
        // Let the partition unload (no client left) before the next burst.
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    if let Ok(Some(Ok(ReadEvent::Records(r)))) =
        tokio::time::timeout(Duration::from_millis(800), s.next()).await
    {
        panic!("records after all were seen: {r:?}");
    }
}

/// A history read whose last record is in the log files, of a partition a publisher still
/// holds open, hands over to the broker at that
/// record: the broker is asked at the anchor and after it, never swept from offset 0. 4.48
/// reports `log_start_offset` 0 once a partition's buffer was flushed and answers every
/// fetch below its memory by reading the partition's files, 1000 records a call: a sweep
/// from 0 made a non-follow read of a 250,000-record partition run for minutes after its
/// files were read (docs/mq-4x-reading.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_history_read_hands_over_at_its_last_record_without_sweeping_the_partition() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("handover"), "large").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    const N: usize = 6000;
    // A publisher that stays connected keeps the partition loaded: once its buffer is
    // flushed the broker counts N records, holds none, and says `log_start_offset` 0.
    let publisher = c.publisher(&t).await.unwrap();
    for i in 0..N {
        let m = msg(&format!("customer-{:03}", i % 50), &format!("v{i}"));
        publisher.send(m).await.unwrap();
    }
    wait_in_files(&c, &t, N).await;
    let before = c.live_fetch_calls();
    let (got, _) = read_all(
        &c,
        &t,
        history_from(TimeSpec::Earliest),
        Duration::from_secs(120),
    )
    .await;
    let calls = c.live_fetch_calls() - before;
    assert_eq!(got.len(), N, "records read");
    // The probe at the anchor and the one after it (a few more if the broker was busy
    // flushing); a sweep from 0 takes at least N / 1000 = 6.
    assert!(
        calls <= 4,
        "{calls} FetchMessage calls to hand a {N}-record partition over to the broker"
    );
    assert_eq!(publisher.finish().await.unwrap().len(), N, "acknowledged");
}
