//! Issue 9 item 5, the 4.x half: a topic re-configured into a new generation (2 → 4
//! partitions) while a tail runs. The CLI tail (`swmq tail`, a child process) and the TUI's
//! worker both see every record, of the old generation and of the new one, exactly once
//! (noticed in the filer's topic.conf, looked up once: src/client/mq/generations.rs).
use crate::support;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::out_msg as msg;
use support::weed::mq_client as mq;
use swmq::client::mq::config::TopicChange;
use swmq::client::{ConnectOptions, OutMessage, TopicName};
use swmq::tui::msg::{Start, WorkerCmd as WorkerCommand, WorkerEvent};

fn batch(from: usize, n: usize) -> Vec<OutMessage> {
    (from..from + n)
        .map(|i| msg(&format!("key-{i}"), &format!("m{i}")))
        .collect()
}

type Seen = Arc<Mutex<BTreeMap<String, usize>>>;

fn count(seen: &Seen, v: String) {
    *seen.lock().unwrap().entry(v).or_default() += 1;
}

async fn wait_for(seen: &Seen, who: &str, want: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let n = seen.lock().unwrap().len();
        if n >= want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{who}: only {n} of {want} records"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn exactly_once(seen: &Seen, who: &str, n: usize) {
    let seen = seen.lock().unwrap();
    let want: BTreeMap<String, usize> = (0..n).map(|i| (format!("m{i}"), 1)).collect();
    let missing: Vec<_> = want.keys().filter(|k| !seen.contains_key(*k)).collect();
    let dups: Vec<_> = seen.iter().filter(|(_, c)| **c != 1).collect();
    assert!(
        missing.is_empty() && dups.is_empty() && seen.len() == n,
        "{who}: missing {missing:?}, duplicated {dups:?}, {} seen",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_new_generation_mid_tail_is_read_by_the_cli_and_the_tui_worker_exactly_once() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("regen"), "t").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    c.publish(&t, batch(0, 20)).await.unwrap();

    // The CLI tail, from the earliest record, following.
    let mut cli = Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args(["--broker", &w.broker, "--filer", &w.filer, "tail"])
        .arg(t.to_string())
        .args(["--from", "earliest", "--format", "%s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn swmq tail");
    let cli_seen: Seen = Seen::default();
    let out = cli.stdout.take().unwrap();
    let s = cli_seen.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            count(&s, line);
        }
    });

    // The TUI's worker, subscribed to the newest records (all of them), following.
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    let mut wk = swmq::tui::worker::spawn(o);
    wk.commands
        .send(WorkerCommand::Subscribe {
            id: 1,
            topic: t.clone(),
            start: Start::Newest(1000),
        })
        .await
        .unwrap();
    let tui_seen: Seen = Seen::default();
    let s = tui_seen.clone();
    let events = tokio::spawn(async move {
        while let Some(ev) = wk.events.recv().await {
            if let WorkerEvent::Records { id: 1, records } = ev {
                for r in records {
                    count(&s, String::from_utf8(r.value.to_vec()).unwrap());
                }
            }
        }
        drop(wk.commands);
    });

    wait_for(&cli_seen, "CLI tail", 20, 30).await;
    wait_for(&tui_seen, "TUI worker", 20, 30).await;
    c.publish(&t, batch(20, 30)).await.unwrap();
    wait_for(&cli_seen, "CLI tail", 50, 30).await;
    wait_for(&tui_seen, "TUI worker", 50, 30).await;

    // A new generation with 4 partitions; then more records, into it.
    let old = c.partitions(&t).await.unwrap();
    let altered = Instant::now();
    c.alter_topic(
        &t,
        TopicChange {
            partitions: Some(4),
            retention: None,
            new_generation: true,
        },
    )
    .await
    .unwrap();
    let new = c.partitions(&t).await.unwrap();
    assert_eq!(new.len(), 4, "{new:?}");
    assert!(
        new[0].ring.unix_time_ns > old[0].ring.unix_time_ns,
        "a new generation: {old:?} → {new:?}"
    );
    c.publish(&t, batch(50, 80)).await.unwrap();
    wait_for(&cli_seen, "CLI tail", 130, 60).await;
    wait_for(&tui_seen, "TUI worker", 130, 60).await;
    // The watcher reads topic.conf every 2 s, then passes the readiness gate (≥ 500 ms).
    eprintln!(
        "the new generation's records all read {:.1?} after the alter",
        altered.elapsed()
    );
    // Nothing more comes (no partition read twice).
    tokio::time::sleep(Duration::from_secs(3)).await;
    exactly_once(&cli_seen, "CLI tail", 130);
    exactly_once(&tui_seen, "TUI worker", 130);
    cli.kill().unwrap();
    cli.wait().unwrap();
    events.abort();
}
