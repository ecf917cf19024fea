//! Issue 9 item 5: partitions that appear after a follow read started are read, from their
//! start, through a kill-and-restart of the broker: every message seen exactly once.
use crate::support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};

use swmq::client::{Client, ConnectOptions, OutMessage, ReadEvent, ReadSpec, TopicName};
use swmq::time::TimeSpec;

fn batch(from: usize, n: usize) -> Vec<OutMessage> {
    (from..from + n)
        .map(|i| support::out_msg(&format!("key-{i}"), &format!("m{i}")))
        .collect()
}

/// Starts `swmq broker` on `addr` over `dir` (a child process, so that it can be killed).
fn spawn_broker(dir: &std::path::Path, addr: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args(["broker", "--listen", addr, "--data"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn swmq broker");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line:?}");
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_growing_from_1_to_4_to_6_partitions_mid_tail_is_read_exactly_once() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut broker = spawn_broker(dir.path(), &addr);
    let c = Client::connect(&ConnectOptions::new(addr.clone()))
        .await
        .unwrap();
    let t = TopicName::new(&support::unique_namespace("grow"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    c.publish(&t, batch(0, 20)).await.unwrap();

    let mut s = c
        .read(
            &t,
            ReadSpec {
                from: TimeSpec::Earliest,
                until: None,
                partitions: None,
                follow: true,
            },
        )
        .await
        .unwrap();
    let mut seen: BTreeMap<String, (i32, usize)> = BTreeMap::new();
    let mut collect = async |s: &mut swmq::client::ReadStream, want: usize| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.len() < want {
            let left = deadline.saturating_duration_since(Instant::now());
            let ev = tokio::time::timeout(left, s.next())
                .await
                .unwrap_or_else(|_| panic!("only {} of {want} messages", seen.len()));
            if let Some(Ok(ReadEvent::Records(rs))) = ev {
                for r in rs {
                    let v = String::from_utf8(r.value.to_vec()).unwrap();
                    seen.entry(v).or_insert((r.partition, 0)).1 += 1;
                }
            }
        }
    };
    collect(&mut s, 20).await;

    // Grows to 4 partitions while the tail runs.
    c.create_topic(&t, 4).await.unwrap();
    c.publish(&t, batch(20, 100)).await.unwrap();
    collect(&mut s, 120).await;

    // The broker is killed and comes back; then the topic grows again.
    broker.kill().unwrap();
    broker.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut broker = spawn_broker(dir.path(), &addr);
    // The client's channel reconnects by itself; its first call may still see the old
    // connection's failure (nothing was stored then).
    let mut attempt = 0;
    while let Err(e) = c.publish(&t, batch(120, 60)).await {
        attempt += 1;
        assert!(attempt < 20, "publish after restart: {e}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    c.create_topic(&t, 6).await.unwrap();
    c.publish(&t, batch(180, 120)).await.unwrap();
    collect(&mut s, 300).await;
    // Nothing more arrives (no duplicate from a re-read partition).
    tokio::time::sleep(Duration::from_secs(3)).await;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), s.next()).await {
        if let Ok(ReadEvent::Records(rs)) = ev {
            for r in rs {
                let v = String::from_utf8(r.value.to_vec()).unwrap();
                seen.entry(v).or_insert((r.partition, 0)).1 += 1;
            }
        }
    }
    s.cancel();
    assert_eq!(seen.len(), 300);
    let dups: Vec<_> = seen.iter().filter(|(_, (_, n))| *n != 1).collect();
    assert!(dups.is_empty(), "duplicates: {dups:?}");
    let parts: std::collections::BTreeSet<i32> = seen.values().map(|(p, _)| *p).collect();
    assert_eq!(
        parts,
        (0..6).collect(),
        "messages landed in all six partitions"
    );
    broker.kill().unwrap();
    broker.wait().unwrap();
}
