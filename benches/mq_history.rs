//! 4.x history, seeks, scrubs and the live edge, against a real SeaweedFS 4.48, with the
//! peers measured in the same run (figures and commands: bench/README.md).
//!
//! ```text
//! bench/mq-bench [RECORDS]          # sets up the Python peer, then runs this
//! cargo bench --bench mq_history -- --records 1000000 --keys 50 --runs 3
//! ```
//!
//! Workload: RECORDS records of 100 B over 4 partitions, keys `customer-000` …
//! `customer-049` repeating (real data), published by one long-lived `swmq` publisher.
//! Measured, each `--runs` times:
//! - history: every record from the earliest (non-follow) through `Client::read`: the
//!   log-file reader vs the broker's `SubscribeMessage` path (today's reader,
//!   `PartitionReadConfig::from_files = false`) vs the Python grpcio peer
//!   (`bench/peer_reader.py`, `SubscribeMessage` from the earliest, acking); the two
//!   peers are cut after `--peer-secs` and their rate is what they read by then;
//! - seek: first record of a non-follow read from T = the middle record's timestamp, in
//!   the library (both readers) and as `swmq tail --from T --no-follow --count 1` (whole
//!   process);
//! - scrub: what the TUI's worker does when the cursor moves (`Client::read` from the
//!   cursor, following): time to the first records, at 5 cursors spread over the range;
//! - live: publish → received by a following read, p50/p90, 4.x vs the embedded broker.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

#[path = "../tests/it/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::time::{Duration, Instant};

use swmq::client::mq::{MqClient, PartitionReadConfig};
use swmq::client::*;
use swmq::time::TimeSpec;

struct Args {
    records: usize,
    keys: usize,
    runs: usize,
    peer_secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        records: 1_000_000,
        keys: 50,
        runs: 3,
        peer_secs: 60,
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = v.get(i + 1).and_then(|s| s.parse().ok());
        match (v[i].as_str(), next) {
            ("--records", Some(n)) => a.records = n,
            ("--keys", Some(n)) => a.keys = n.max(1),
            ("--runs", Some(n)) => a.runs = n.max(1),
            ("--peer-secs", Some(n)) => a.peer_secs = n as u64,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn value(i: usize) -> String {
    format!("{i:012}{}", "x".repeat(88))
}

/// Reads from `from` (non-follow) until the end or `cap`; returns (records, first record
/// latency, elapsed, middle timestamp).
async fn history(
    c: &MqClient,
    t: &TopicName,
    from: TimeSpec,
    cfg: PartitionReadConfig,
    cap: Duration,
    stop_after: Option<usize>,
) -> (usize, Option<Duration>, Duration, Vec<i64>) {
    let start = Instant::now();
    let spec = ReadSpec {
        from,
        follow: false,
        ..Default::default()
    };
    let mut s = c.read_with(t, spec, cfg).await.expect("read");
    let (mut n, mut first, mut sample) = (0usize, None, Vec::new());
    let deadline = tokio::time::Instant::now() + cap;
    while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, s.next()).await {
        if let Ok(ReadEvent::Records(r)) = ev {
            first.get_or_insert_with(|| start.elapsed());
            if n % 1000 < r.len() || sample.is_empty() {
                sample.push(r[0].ts_ns);
            }
            n += r.len();
            if stop_after.is_some_and(|m| n >= m) {
                break;
            }
        }
    }
    (n, first, start.elapsed(), sample)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

async fn publish(c: &MqClient, t: &TopicName, a: &Args) -> Duration {
    let start = Instant::now();
    let p = c.publisher(t).await.expect("publisher");
    for i in 0..a.records {
        let m = OutMessage {
            key: bytes::Bytes::from(format!("customer-{:03}", i % a.keys)),
            value: bytes::Bytes::from(value(i)),
            ..Default::default()
        };
        p.send(m).await.expect("publish");
    }
    let out = p.finish().await.expect("publish finish");
    assert_eq!(out.len(), a.records);
    start.elapsed()
}

/// The Python grpcio peer (when `SWMQ_BENCH_PYTHON` and `SWMQ_BENCH_GEN` are set).
fn python_peer(w: &support::weed::Weed, t: &TopicName, a: &Args) -> Option<(usize, f64)> {
    let py = std::env::var("SWMQ_BENCH_PYTHON").ok()?;
    std::env::var("SWMQ_BENCH_GEN").ok()?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/peer_reader.py");
    let out = std::process::Command::new(py)
        .args([
            script,
            "mq",
            &w.broker,
            &t.namespace,
            &t.name,
            "-",
            &a.records.to_string(),
            &a.peer_secs.to_string(),
        ])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((v["records"].as_u64()? as usize, v["seconds"].as_f64()?))
}

/// `swmq tail --from T --no-follow --count 1`: wall time of the whole process.
fn cli_first(w: &support::weed::Weed, t: &TopicName, from: i64) -> Option<Duration> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin =
        std::env::var("SWMQ_BIN").map_or_else(|_| root.join("target/release/swmq"), Into::into);
    if !bin.is_file() {
        return None;
    }
    let start = Instant::now();
    let out = std::process::Command::new(bin)
        .args(["--broker", &w.broker, "--filer", &w.filer, "tail"])
        .arg(t.to_string())
        .args(["--from", &swmq::time::format_rfc3339(from), "--no-follow"])
        .args(["--count", "1", "--format", "json"])
        .output()
        .ok()?;
    (out.status.success() && !out.stdout.is_empty()).then(|| start.elapsed())
}

fn pct(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

/// Publish → received latencies (p50, p90) of `n` records on a following read.
async fn live(c: &Client, t: &TopicName, n: usize) -> (Duration, Duration) {
    let mut s = c.read(t, ReadSpec::default()).await.expect("read");
    let p = c.publisher(t).await.expect("publisher");
    let mut lat = Vec::new();
    for i in 0..n {
        let want = format!("live-{i}");
        let sent = Instant::now();
        p.send(OutMessage {
            key: bytes::Bytes::from(format!("customer-{:03}", i % 7)),
            value: bytes::Bytes::from(want.clone()),
            ..Default::default()
        })
        .await
        .expect("publish");
        'wait: loop {
            match tokio::time::timeout(Duration::from_secs(10), s.next()).await {
                Ok(Some(Ok(ReadEvent::Records(r)))) => {
                    if r.iter().any(|r| r.value == want.as_bytes()) {
                        lat.push(sent.elapsed());
                        break 'wait;
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("live read: {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.finish().await.expect("publish finish");
    (pct(&mut lat, 50), pct(&mut lat, 90))
}

fn main() {
    // `SWMQ_LOG=swmq=debug`: the readers' timings (listing, fetches, decoding) on stderr.
    if let Ok(spec) = std::env::var("SWMQ_LOG")
        && let Ok(filter) = tracing_subscriber::EnvFilter::try_new(spec)
    {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let w = support::weed::require_weed();
    rt.block_on(run(w, &a));
}

async fn run(w: &'static support::weed::Weed, a: &Args) {
    // Long by design: the benchmark's steps in order, each printing its figures.
    let c = support::weed::mq_client(w).await;
    let t = TopicName::new("bench", &format!("h{}", std::process::id())).unwrap();
    c.create_topic(&t, 4).await.expect("create");
    let pubd = publish(&c, &t, a).await;
    println!(
        "published {} records of 100 B, {} repeating keys, 4 partitions: {:.1} s",
        a.records,
        a.keys,
        pubd.as_secs_f64()
    );
    // Let the broker flush (windows of ≤ 5 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let files = PartitionReadConfig::default();
    let broker = PartitionReadConfig {
        from_files: false,
        ..files
    };
    let cap = Duration::from_secs(a.peer_secs);
    let mut mid = 0i64;
    let mut span = (0i64, 0i64);
    for run in 1..=a.runs {
        let (n, _, d, sample) = history(
            &c,
            &t,
            TimeSpec::Earliest,
            files,
            Duration::from_secs(600),
            None,
        )
        .await;
        mid = sample[sample.len() / 2];
        span = (
            *sample.iter().min().unwrap_or(&mid),
            *sample.iter().max().unwrap_or(&mid),
        );
        let (bn, _, bd, _) = history(&c, &t, TimeSpec::Earliest, broker, cap, None).await;
        let py = python_peer(w, &t, a);
        let py_s = py.map_or("n/a".into(), |(pn, ps)| {
            format!("{:.0} rec/s ({pn} in {ps:.1} s)", pn as f64 / ps)
        });
        println!(
            "history run {run}: files {:.0} rec/s ({n} in {:.2} s) | broker SubscribeMessage path \
             {:.0} rec/s ({bn} in {:.1} s) | python grpcio {py_s} | ratio files/broker {:.1}x",
            rate(n, d),
            d.as_secs_f64(),
            rate(bn, bd),
            bd.as_secs_f64(),
            rate(n, d) / rate(bn, bd).max(1e-9)
        );
        assert_eq!(n, a.records, "the log-file reader must read every record");
    }
    for run in 1..=a.runs {
        let one = Some(1);
        let (_, f, _, _) = history(&c, &t, TimeSpec::At(mid), files, cap, one).await;
        // What `swmq tail --count 1` reads: each partition stops after its first record.
        let first = PartitionReadConfig {
            limit: Some(1),
            ..files
        };
        let (_, ff, _, _) = history(&c, &t, TimeSpec::At(mid), first, cap, one).await;
        let (_, bf, _, _) = history(&c, &t, TimeSpec::At(mid), broker, cap, one).await;
        let cli = cli_first(w, &t, mid);
        println!(
            "seek to the middle, first record, run {run}: files {:?} | files, first 1 \
             (read_first) {:?} | broker path {:?} | `swmq tail --from T --no-follow --count 1` \
             process {:?}",
            f, ff, bf, cli
        );
    }
    let client = Client::Mq(c.clone());
    let mut scrub = Vec::new();
    for k in 1..=5 {
        // Five cursors spread over the records' time range (a fixed ±4 s around the middle
        // fell after the last record when 1M records were published in under 8 s).
        let cursor = span.0 + (span.1 - span.0) / 6 * k as i64;
        let start = Instant::now();
        let spec = ReadSpec {
            from: TimeSpec::At(cursor),
            ..ReadSpec::default()
        };
        let mut s = client.read(&t, spec).await.expect("scrub read");
        let first = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(Ok(ev)) = s.next().await {
                if let ReadEvent::Records(_) = ev {
                    return true;
                }
            }
            false
        })
        .await;
        match first {
            Ok(true) => scrub.push(start.elapsed()),
            Ok(false) => println!("scrub {k}: the read ended without records"),
            Err(_) => println!("scrub {k}: no records within 20 s"),
        }
    }
    println!("scrub (Client::read from the cursor, following) to first records: {scrub:?}");
    let lt = TopicName::new("bench", &format!("live{}", std::process::id())).unwrap();
    c.create_topic(&lt, 2).await.expect("create");
    let (p50, p90) = live(&client, &lt, 60).await;
    let e = support::embedded::start_embedded().await;
    let ec = Client::connect(&ConnectOptions::new(&e.addr))
        .await
        .expect("embedded");
    let (ep50, ep90) = live(&ec, &lt, 60).await;
    println!(
        "live publish -> received: weed 4.48 p50 {p50:?} p90 {p90:?} | embedded 2.x p50 {ep50:?} \
         p90 {ep90:?}"
    );
}
