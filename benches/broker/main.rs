//! Broker benchmark: the embedded 2.x broker (`swmq broker`, release build, own process)
//! side by side with a real SeaweedFS 4.48 broker, same workload, same run.
//!
//! `cargo bench --bench broker -- [--messages N] [--seeks N] [--live N] [--no-weed]`
//!
//! Workloads: publish N × 100 B with 1 and with 4 concurrent publishers (each on its own
//! partition; a publish counts when its stream ended OK, i.e. fsynced on swmq, all acked on
//! weed), read-back of everything, seek latency (subscribe at a random timestamp of the
//! N-message partition → first message), a 200-bucket histogram of that partition (swmq's
//! admin extension; weed has no such RPC), live latency publish → subscriber. Prints a
//! table; see bench/README.md for recorded figures.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

#[path = "../../tests/it/support/mod.rs"]
#[allow(unused_imports)]
mod support;

mod swmq_side;
mod weed_side;

use std::time::Duration;

/// Parsed command line.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub messages: usize,
    pub seeks: usize,
    pub live: usize,
    pub weed: bool,
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        messages: 1_000_000,
        seeks: 200,
        live: 1000,
        weed: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let num = |i: usize| -> usize {
            args.get(i + 1)
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--messages" => (o.messages, i) = (num(i), i + 1),
            "--seeks" => (o.seeks, i) = (num(i), i + 1),
            "--live" => (o.live, i) = (num(i), i + 1),
            "--no-weed" => o.weed = false,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
        i += 1;
    }
    o
}

/// Results of one side.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub publish_1: Option<Duration>,
    pub read_1: Option<Duration>,
    pub publish_4: Option<Duration>,
    pub read_4: Option<Duration>,
    pub seek: Vec<Duration>,
    pub histogram: Vec<Duration>,
    pub live: Vec<Duration>,
    pub notes: Vec<String>,
}

/// The value of message `i`: 100 bytes.
pub fn value(i: usize) -> bytes::Bytes {
    let mut v = format!("{i:012}").into_bytes();
    v.resize(100, b'x');
    v.into()
}

pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort();
    let idx = ((s.len() as f64 - 1.0) * p).round() as usize;
    Some(s[idx])
}

fn rate(n: usize, d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| {
        format!(
            "{:>9.0} msg/s ({:.2} s)",
            n as f64 / d.as_secs_f64(),
            d.as_secs_f64()
        )
    })
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| format!("{:.3} ms", d.as_secs_f64() * 1e3))
}

fn combined(n: usize, p: Option<Duration>, r: Option<Duration>) -> Option<f64> {
    Some(n as f64 / (p? + r?).as_secs_f64())
}

fn main() {
    // Long by design: the benchmark's steps in order, each printing its figures.
    let o = parse_opts();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "broker bench: {} messages × 100 B, {} seeks, {} live messages",
        o.messages, o.seeks, o.live
    );
    let ours = rt.block_on(swmq_side::run(o));
    let theirs = if o.weed {
        support::weed::weed().map(|w| rt.block_on(weed_side::run(o, &w.broker)))
    } else {
        None
    };
    let n = o.messages;
    let row = |name: &str, a: String, b: String| println!("{name:<28} {a:<32} {b}");
    println!();
    row("", "swmq broker (2.x)".into(), "weed 4.48 mq.broker".into());
    let t = theirs.clone().unwrap_or_default();
    row(
        "publish, 1 publisher",
        rate(n, ours.publish_1),
        rate(n, t.publish_1),
    );
    row(
        "read-back, 1 partition",
        rate(n, ours.read_1),
        rate(n, t.read_1),
    );
    row(
        "publish, 4 publishers",
        rate(n, ours.publish_4),
        rate(n, t.publish_4),
    );
    row(
        "read-back, 4 partitions",
        rate(n, ours.read_4),
        rate(n, t.read_4),
    );
    for (name, p) in [("seek p50", 0.5), ("seek p99", 0.99)] {
        row(
            name,
            ms(percentile(&ours.seek, p)),
            ms(percentile(&t.seek, p)),
        );
    }
    for (name, p) in [("histogram 200 buckets p50", 0.5), ("histogram p99", 0.99)] {
        row(
            name,
            ms(percentile(&ours.histogram, p)),
            "n/a (no such RPC)".into(),
        );
    }
    for (name, p) in [("live latency p50", 0.5), ("live latency p99", 0.99)] {
        row(
            name,
            ms(percentile(&ours.live, p)),
            ms(percentile(&t.live, p)),
        );
    }
    for (label, pa, ra) in [
        ("1 publisher", ours.publish_1, ours.read_1),
        ("4 publishers", ours.publish_4, ours.read_4),
    ] {
        let (pb, rb) = if label == "1 publisher" {
            (t.publish_1, t.read_1)
        } else {
            (t.publish_4, t.read_4)
        };
        let a = combined(n, pa, ra);
        let b = combined(n, pb, rb);
        println!(
            "publish+read-back, {label}: swmq {} msg/s, weed {} msg/s, ratio {}",
            a.map_or("n/a".into(), |v| format!("{v:.0}")),
            b.map_or("n/a".into(), |v| format!("{v:.0}")),
            match (a, b) {
                (Some(a), Some(b)) => format!("{:.1}×", a / b),
                _ => "n/a".into(),
            }
        );
    }
    for note in ours.notes.iter().chain(t.notes.iter()) {
        println!("note: {note}");
    }
}
