//! Reads survive a SeaweedFS 4.48 that is killed and restarted on the same data directory:
//! a CLI `swmq tail` (the binary) and the TUI's worker tail the same 4-partition topic
//! while `weed` is stopped with TERM (one test) and with KILL (the other), three times
//! each, and started again. The two tests run on weeds of their own, side by side (most of
//! a round is waiting for the restarted broker's balancer lock). Numbered records (keys
//! that repeat) are published before each stop and after the last start; both tails must
//! deliver every one exactly once, resume by themselves, and the worker must report the
//! broker lost within 2 s of the process being gone.
use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use support::cluster::RestartableWeed;
use swmq::client::*;
use swmq::tui::msg::{Start, WorkerCmd, WorkerEvent};
use swmq::tui::worker;
use tokio::sync::mpsc;

/// Records per batch.
const BATCH: usize = 25;
/// Stops and restarts per test.
const ROUNDS: usize = 3;
/// How long a tail may take to deliver a batch (a restarted weed reloads the topic).
const DELIVERY: Duration = Duration::from_secs(90);

fn opts(w: &RestartableWeed) -> ConnectOptions {
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    o.protocol = ProtocolChoice::Mq;
    o
}

/// Publishes records `from..from + BATCH` (keys `k0`..`k6` repeat), retrying a batch
/// that a just-restarted broker refuses as an unknown topic (nothing stored).
async fn publish_batch(w: &RestartableWeed, topic: &TopicName, from: usize) {
    let msgs: Vec<OutMessage> = (from..from + BATCH)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{}", i % 7)),
            value: Bytes::from(format!("n={i}")),
            ..Default::default()
        })
        .collect();
    let t = Instant::now();
    loop {
        let c = Client::connect(&opts(w)).await.expect("connect");
        match c.publish(topic, msgs.clone()).await {
            Ok(outs) => {
                assert_eq!(outs.len(), BATCH);
                return;
            }
            // A just-restarted broker may not know the topic or have assigned its
            // partitions yet (refusals that stored nothing).
            Err(e)
                if t.elapsed() < Duration::from_secs(60)
                    && (e.stored_nothing() || matches!(e, ClientError::TopicNotFound(_))) =>
            {
                eprintln!("publish refused, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("publish {from}..: {e}"),
        }
    }
}

/// Record numbers seen by one tail, with how often.
#[derive(Default)]
struct Seen(BTreeMap<usize, u32>);

impl Seen {
    fn add(&mut self, value: &str) {
        let n: usize = value
            .strip_prefix("n=")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("not a numbered record: {value:?}"));
        *self.0.entry(n).or_default() += 1;
    }

    fn has_all(&self, upto: usize) -> bool {
        (0..upto).all(|i| self.0.contains_key(&i))
    }

    fn missing(&self, upto: usize) -> Vec<usize> {
        (0..upto).filter(|i| !self.0.contains_key(i)).collect()
    }

    /// Every record of `0..upto` exactly once, and nothing else.
    fn check(&self, who: &str, upto: usize) {
        let missing = self.missing(upto);
        let twice: Vec<(&usize, &u32)> = self.0.iter().filter(|(_, c)| **c > 1).collect();
        assert!(missing.is_empty(), "{who}: missing {missing:?}");
        assert!(twice.is_empty(), "{who}: duplicated {twice:?}");
        assert_eq!(self.0.len(), upto, "{who}: unexpected records");
    }
}

/// The CLI tail's stdout lines.
/// Its stderr goes to `log` (never a pipe that could fill); `SWMQ_FAULTS_LOG` (an
/// `SWMQ_LOG` filter, e.g. `swmq::client::mq=debug`) makes it log there.
fn spawn_cli_tail(
    w: &RestartableWeed,
    topic: &TopicName,
    log: &std::path::Path,
) -> (std::process::Child, mpsc::UnboundedReceiver<String>) {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("swmq"));
    c.env_remove("SWMQ_READ_ONLY")
        .env("SWMQ_BROKER", &w.broker)
        .env("SWMQ_FILER", &w.filer)
        .env("RUST_LOG", "warn");
    if let Ok(filter) = std::env::var("SWMQ_FAULTS_LOG") {
        c.env("SWMQ_LOG", filter);
    }
    let stderr = std::fs::File::create(log).expect("CLI log file");
    c.args([
        "tail",
        &topic.to_string(),
        "--from",
        "earliest",
        "--format",
        "json",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(stderr);
    let mut child = c.spawn().expect("spawn swmq tail");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Both tails under test, and what they saw.
struct Tails {
    cli: mpsc::UnboundedReceiver<String>,
    cli_seen: Seen,
    /// Where the CLI tail's stderr goes.
    cli_log: std::path::PathBuf,
    worker: worker::WorkerHandle,
    worker_seen: Seen,
    /// When the worker last reported the broker lost / back.
    unreachable_at: Option<Instant>,
    connected_at: Option<Instant>,
}

impl Tails {
    fn drain(&mut self) {
        while let Ok(line) = self.cli.try_recv() {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json line");
            self.cli_seen.add(v["value"].as_str().expect("utf-8 value"));
        }
        while let Ok(ev) = self.worker.events.try_recv() {
            match ev {
                WorkerEvent::Records { records, .. } => {
                    for r in records {
                        self.worker_seen.add(std::str::from_utf8(&r.value).unwrap());
                    }
                }
                WorkerEvent::Unreachable { .. } => {
                    self.unreachable_at.get_or_insert_with(Instant::now);
                }
                WorkerEvent::Connected { .. } => self.connected_at = Some(Instant::now()),
                WorkerEvent::TailEnded { end, .. } => panic!("the worker's tail ended: {end:?}"),
                _ => {}
            }
        }
    }

    /// Waits until both tails have every record of `0..upto`; on timeout, says what each
    /// misses and what a fresh read of the topic's history has (whether the broker lost
    /// acknowledged records or a tail skipped them).
    async fn wait_all(&mut self, w: &RestartableWeed, topic: &TopicName, upto: usize) {
        let t = Instant::now();
        loop {
            self.drain();
            if self.cli_seen.has_all(upto) && self.worker_seen.has_all(upto) {
                return;
            }
            if t.elapsed() >= DELIVERY {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut stored = Seen::default();
        if let Ok(c) = Client::connect(&opts(w)).await {
            for r in support::read_history(&c, topic).await {
                stored.add(std::str::from_utf8(&r.value).unwrap_or("?"));
            }
        }
        panic!(
            "after {DELIVERY:?}: of 0..{upto} the CLI misses {:?}, the worker misses {:?}, \
             a fresh read of the history misses {:?} (the CLI's stderr: {})",
            self.cli_seen.missing(upto),
            self.worker_seen.missing(upto),
            stored.missing(upto),
            self.cli_log.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn cli_and_tui_tails_survive_weed_terminated_and_restarted() {
    tails_survive_restarts("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn cli_and_tui_tails_survive_weed_killed_and_restarted() {
    tails_survive_restarts("KILL").await;
}

/// Stops `weed` with `sig` and starts it again, [`ROUNDS`] times, under both tails.
async fn tails_survive_restarts(sig: &str) {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = tokio::task::spawn_blocking(RestartableWeed::start)
        .await
        .unwrap()
    else {
        return;
    };
    let topic = TopicName::new(&support::unique_namespace("faults"), "numbered").unwrap();
    let c = Client::connect(&opts(&w)).await.expect("connect");
    c.create_topic(&topic, 4).await.expect("create");
    publish_batch(&w, &topic, 0).await;
    // Kept when the test fails (its path is in the failure message), removed when it passes.
    let cli_log = std::env::temp_dir().join(format!(
        "swmq-faults-{sig}-{}-{}.log",
        std::process::id(),
        swmq::time::now_ns()
    ));
    let (mut cli_child, cli) = spawn_cli_tail(&w, &topic, &cli_log);
    let wk = worker::spawn(opts(&w));
    wk.commands
        .send(WorkerCmd::Subscribe {
            id: 1,
            topic: topic.clone(),
            start: Start::At(0),
        })
        .await
        .unwrap();
    let mut tails = Tails {
        cli,
        cli_seen: Seen::default(),
        cli_log: cli_log.clone(),
        worker: wk,
        worker_seen: Seen::default(),
        unreachable_at: None,
        connected_at: None,
    };
    let mut published = BATCH;
    tails.wait_all(&w, &topic, published).await;
    let mut report = Vec::new();
    for round in 0..ROUNDS {
        (tails.unreachable_at, tails.connected_at) = (None, None);
        let proc = &w.proc;
        let signalled = Instant::now();
        let took = tokio::task::block_in_place(|| proc.stop(sig));
        let gone = Instant::now();
        // The worker reports the broker lost within 2 s of it being gone.
        while tails.unreachable_at.is_none() && gone.elapsed() < Duration::from_secs(5) {
            tails.drain();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let lost = tails
            .unreachable_at
            .map(|t| t.saturating_duration_since(gone));
        assert!(
            lost.is_some_and(|d| d <= Duration::from_secs(2)),
            "round {round} ({sig}): the worker reported the broker lost after {lost:?}"
        );
        let restarted = Instant::now();
        tokio::task::block_in_place(|| {
            proc.restart();
            w.wait_ready()
        })
        .unwrap_or_else(|e| panic!("restart {round}: {e}"));
        let ready = restarted.elapsed();
        publish_batch(&w, &topic, published).await;
        published += BATCH;
        tails.wait_all(&w, &topic, published).await;
        report.push(format!(
            "round {round} {sig}: exit {took:.1?} after the signal, lost reported {:.1?} after \
             exit, ready {ready:.1?} after restart, all {published} delivered {:.1?} after \
             the signal",
            lost.unwrap_or_default(),
            signalled.elapsed()
        ));
        assert!(
            tails.connected_at.is_some(),
            "round {round}: never reconnected"
        );
        assert!(
            cli_child.try_wait().unwrap().is_none(),
            "the CLI tail exited"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // late duplicates would show now
    tails.drain();
    tails.cli_seen.check("CLI tail", published);
    tails.worker_seen.check("worker tail", published);
    let _ = cli_child.kill();
    let _ = cli_child.wait();
    let stderr = std::fs::read_to_string(&cli_log).unwrap_or_default();
    assert!(stderr.contains("reconnecting"), "CLI stderr: {stderr}");
    assert!(stderr.contains("reconnected"), "CLI stderr: {stderr}");
    tails.worker.shutdown.cancel();
    eprintln!("{}", report.join("\n"));
    eprintln!("CLI stderr:\n{stderr}");
    assert!(w.proc.is_alive(), "weed died:\n{}", w.proc.log_tail(30));
    let _ = std::fs::remove_file(&cli_log);
}
