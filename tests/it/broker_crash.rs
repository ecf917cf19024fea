//! The `swmq broker` process: SIGKILL during publishes loses nothing acknowledged and serves
//! no torn record; SIGTERM shuts down gracefully.
use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::embedded::*;
use swmq::proto::v2::Message;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;

/// Starts `swmq broker` on a free port over `dir`; returns the child and its address.
fn spawn_broker(dir: &Path) -> (Child, String) {
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args([
            "broker",
            "--listen",
            &addr,
            "--segment-bytes",
            "65536",
            "--data",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn swmq broker");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line:?}");
    (child, addr)
}

fn value(writer: usize, batch: usize, i: usize) -> String {
    // Sizes vary (up to ~3 KB) so records straddle pages and writes tear in odd places.
    let pad = (batch * 131 + i * 37) % 3000;
    format!("w{writer}-b{batch:05}-m{i:03}-{}", "p".repeat(pad))
}

fn parse(v: &str) -> (usize, usize, usize) {
    let mut it = v.split('-');
    let mut num = |p: char| {
        it.next()
            .and_then(|s| s.strip_prefix(p))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("garbage value {v:?}"))
    };
    (num('w'), num('b'), num('m'))
}

async fn read_everything(addr: &str, partition: i32) -> Vec<String> {
    let mut sub = subscribe(addr, "crash", "t", partition, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(500), sub.stream.message()).await {
            Err(_) => break,
            Ok(m) => match m.unwrap() {
                Some(m) => out.push(String::from_utf8(m.data.unwrap().value.to_vec()).unwrap()),
                None => break,
            },
        }
    }
    out
}

/// Runs 4 writers against `addr` until at least `min_acked` batches were acknowledged, then
/// SIGKILLs the broker with publishes in flight; returns the acknowledged batches.
async fn write_then_kill(
    mut child: Child,
    addr: &str,
    first_writer: usize,
    min_acked: usize,
) -> Vec<(usize, usize)> {
    // Writers 0..3 share partition 0 (group commit), writer 3 has partition 1. Each
    // publishes batches of 40 on fresh streams and records the batches that ended OK.
    let acked: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let mut writers = Vec::new();
    for k in 0..4 {
        let (addr, acked) = (addr.to_string(), Arc::clone(&acked));
        let w = first_writer + k;
        writers.push(tokio::spawn(async move {
            for b in 0.. {
                let msgs: Vec<Message> = (0..40).map(|i| msg(&value(w, b, i))).collect();
                let part = if k == 3 { 1 } else { 0 };
                if publish(&addr, "crash", "t", part, msgs).await.is_err() {
                    return;
                }
                acked.lock().unwrap().push((w, b));
            }
        }));
    }
    let t0 = Instant::now();
    while acked.lock().unwrap().len() < min_acked && t0.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap(); // SIGKILL, with publishes in flight
    child.wait().unwrap();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= min_acked,
        "only {} batches acknowledged",
        acked.len()
    );
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_publishes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    // Two crashes in a row: the second recovery starts from a recovered log.
    for round in 0..2 {
        let (child, addr) = spawn_broker(dir.path());
        acked.extend(write_then_kill(child, &addr, round * 4, 30).await);
    }
    let (mut child, addr) = spawn_broker(dir.path());
    let mut seen = std::collections::HashSet::new();
    for part in [0, 1] {
        let values = read_everything(&addr, part).await;
        // Per writer, messages come in publish order: batch by batch, message by message,
        // and every batch present is a prefix of what was sent (nothing torn or reordered).
        let mut last: std::collections::HashMap<usize, (usize, usize)> = Default::default();
        for v in &values {
            let (w, b, i) = parse(v);
            assert_eq!(*v, value(w, b, i), "damaged value");
            assert_eq!(w % 4 == 3, part == 1, "{v} in partition {part}");
            match last.get(&w) {
                Some(&(pb, pi)) if pb == b => assert_eq!(i, pi + 1, "{v} after {pb}/{pi}"),
                Some(&(pb, _)) => assert!(b > pb && i == 0, "{v} after batch {pb}"),
                None => assert_eq!(i, 0, "{v} first"),
            }
            last.insert(w, (b, i));
            assert!(seen.insert(v.clone()), "duplicate {v}");
        }
    }
    for (w, b) in &acked {
        for i in 0..40 {
            assert!(
                seen.contains(&value(*w, *b, i)),
                "acknowledged {} lost",
                value(*w, *b, i)
            );
        }
    }
    // The restarted broker takes new publishes after the recovered data.
    publish(&addr, "crash", "t", 0, vec![msg("w99-b00000-m000-")])
        .await
        .unwrap();
    let values = read_everything(&addr, 0).await;
    assert_eq!(values.last().unwrap(), "w99-b00000-m000-");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (child, addr) = spawn_broker(dir.path());
    publish(
        &addr,
        "ns",
        "t",
        0,
        (0..100).map(|i| msg(&i.to_string())).collect(),
    )
    .await
    .unwrap();
    // A live subscriber does not hold the shutdown up.
    let _sub = subscribe(&addr, "ns", "t", 0, StartPosition::Latest, 0)
        .await
        .unwrap();
    let t0 = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    // Wait off the runtime: the client side must keep answering (HTTP/2 GOAWAY ping).
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    // The active segment's index was saved on the way out.
    let p = dir.path().join("topics/ns/t/p00");
    assert!(p.join("00000000000000000000.idx").is_file());
    let (mut child, addr) = spawn_broker(dir.path());
    assert_eq!(read_everything_ns(&addr).await, 100);
    child.kill().unwrap();
    child.wait().unwrap();
}

async fn read_everything_ns(addr: &str) -> usize {
    let mut sub = subscribe(addr, "ns", "t", 0, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut n = 0;
    while !sub.quiet_for(300).await {
        n += 1;
    }
    n
}
