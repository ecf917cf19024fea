//! No acknowledged message is lost (issue 9): a full disk, a large key, a smaller limit on
//! restart, the largest timestamp, unbounded partition numbers, invisible names — each seen
//! through the real gRPC client against the embedded broker, across restarts.
use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::embedded::*;
use swmq::broker::faults::{self, Fault, Op, Plan};
use swmq::broker::{BrokerConfig, RunningBroker};
use swmq::proto::v2::Message;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;

async fn start_with(dir: &Path, max_message_bytes: usize) -> (RunningBroker, String) {
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.into());
    config.max_message_bytes = max_message_bytes;
    config.segment_bytes = 64 * 1024;
    let b = swmq::broker::start(config).await.unwrap();
    let addr = b.addr().to_string();
    (b, addr)
}

/// Every value of a partition, from the start, until nothing more comes for 300 ms.
async fn read_values(addr: &str, ns: &str, topic: &str, partition: i32) -> Vec<Vec<u8>> {
    let mut sub = subscribe(addr, ns, topic, partition, StartPosition::Earliest, 0)
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Ok(m) = tokio::time::timeout(Duration::from_millis(300), sub.stream.message()).await {
        match m.unwrap() {
            Some(m) => out.push(m.data.unwrap().value.to_vec()),
            None => break,
        }
    }
    out
}

fn numbered(from: usize, n: usize) -> Vec<Message> {
    (from..from + n)
        .map(|i| msg(&format!("{i:05}-{}", "v".repeat(i % 700))))
        .collect()
}

fn quarantined(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().ends_with(".quarantine") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

#[tokio::test]
async fn a_full_disk_fails_publishes_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    let mut acked = Vec::new();
    for round in 0..20 {
        let msgs = numbered(round * 25, 25);
        publish(&addr, "ns", "full", 0, msgs.clone()).await.unwrap();
        acked.extend(msgs);
    }
    // The disk fills: writes store part of their bytes, then fail with ENOSPC.
    faults::install(Plan {
        root: dir.path().into(),
        ops: vec![Op::Write],
        at: 0,
        times: u64::MAX,
        fault: Fault::Short(1000),
    });
    for round in 20..24 {
        let err = publish(&addr, "ns", "full", 0, numbered(round * 25, 25))
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Internal, "{err}");
        assert!(err.message().contains("No space left"), "{err}");
    }
    assert!(faults::clear(dir.path()) >= 4);
    // Space is freed: publishing works again, and everything acknowledged is readable, in
    // order, now and after a restart.
    for round in 24..32 {
        let msgs = numbered(round * 25, 25);
        publish(&addr, "ns", "full", 0, msgs.clone()).await.unwrap();
        acked.extend(msgs);
    }
    let want: Vec<Vec<u8>> = acked.iter().map(|m| m.value.to_vec()).collect();
    assert_eq!(read_values(&addr, "ns", "full", 0).await, want);
    b.shutdown().await.unwrap();
    for idx in walk_ext(dir.path(), "idx") {
        std::fs::remove_file(idx).unwrap(); // force recovery to scan every segment
    }
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    assert_eq!(read_values(&addr, "ns", "full", 0).await, want);
    assert!(quarantined(dir.path()).is_empty(), "nothing torn was left");
    b.shutdown().await.unwrap();
}

fn walk_ext(d: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_ext(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn a_large_key_is_refused_when_its_stored_record_exceeds_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 200_000).await;
    // 100 kB key + 99 kB value: a message under the limit, but the log record stores the
    // key twice (~300 kB). It must be refused, not acknowledged and then unreadable.
    let big_key = Message {
        key: vec![b'k'; 100_000].into(),
        value: vec![b'v'; 99_000].into(),
        ..Default::default()
    };
    assert!(prost::Message::encoded_len(&big_key) < 200_000);
    let err = publish(&addr, "ns", "keys", 0, vec![msg("before"), big_key])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    assert!(err.message().contains("key of 100000 bytes"), "{err}");
    // A key that fits: acknowledged and readable, also after a restart that scans.
    let fits = Message {
        key: vec![b'k'; 50_000].into(),
        value: vec![b'v'; 99_000].into(),
        ..Default::default()
    };
    publish(&addr, "ns", "keys", 0, vec![fits]).await.unwrap();
    b.shutdown().await.unwrap();
    for idx in walk_ext(dir.path(), "idx") {
        std::fs::remove_file(idx).unwrap();
    }
    let (b, addr) = start_with(dir.path(), 200_000).await;
    let got = read_values(&addr, "ns", "keys", 0).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], b"before");
    assert_eq!(got[1].len(), 99_000);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_smaller_limit_on_restart_keeps_the_larger_records() {
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    let big = Message {
        value: vec![b'b'; 300_000].into(),
        ..Default::default()
    };
    publish(&addr, "ns", "shrink", 0, vec![msg("a"), big, msg("c")])
        .await
        .unwrap();
    b.shutdown().await.unwrap();
    for idx in walk_ext(dir.path(), "idx") {
        std::fs::remove_file(idx).unwrap();
    }
    let (b, addr) = start_with(dir.path(), 1000).await;
    let got = read_values(&addr, "ns", "shrink", 0).await;
    assert_eq!(got.len(), 3, "nothing cut");
    assert_eq!(got[1].len(), 300_000);
    assert!(quarantined(dir.path()).is_empty());
    // The new limit applies to new messages only.
    let err = publish(&addr, "ns", "shrink", 0, vec![msg(&"x".repeat(2000))])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    publish(&addr, "ns", "shrink", 0, vec![msg("d")])
        .await
        .unwrap();
    assert_eq!(read_values(&addr, "ns", "shrink", 0).await.len(), 4);
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_largest_timestamp_is_stored_and_then_no_later_one_wraps() {
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    let at = |ts: i64, v: &str| Message {
        event_time_ns: ts,
        ..msg(v)
    };
    publish(
        &addr,
        "ns",
        "max",
        0,
        vec![at(5, "first"), at(i64::MAX, "last")],
    )
    .await
    .unwrap();
    // No timestamp is left after i64::MAX: refused, never wrapped to a negative one.
    for m in [msg("now"), at(i64::MAX, "again"), at(7, "older")] {
        let err = publish(&addr, "ns", "max", 0, vec![m]).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
        assert!(err.message().contains("no timestamp is left"), "{err}");
    }
    // A negative event time is refused (it is not a time), with a clear message.
    let err = publish(&addr, "ns2", "neg", 0, vec![at(-5, "neg")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    assert!(
        err.message().contains("event_time_ns -5 is negative"),
        "{err}"
    );
    let mut admin = admin_client(&addr).await;
    let d = admin
        .describe_topic(swmq::proto::admin::DescribeTopicRequest {
            namespace: "ns".into(),
            topic: "max".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topic
        .unwrap();
    assert_eq!(d.partitions[0].message_count, 2);
    assert_eq!(d.partitions[0].last_ts_ns, i64::MAX);
    b.shutdown().await.unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    assert_eq!(
        read_values(&addr, "ns", "max", 0).await,
        vec![b"first".to_vec(), b"last".to_vec()]
    );
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn partition_numbers_are_bounded() {
    let e = start_embedded().await;
    publish(&e.addr, "ns", "parts", 4095, vec![msg("top")])
        .await
        .unwrap();
    for p in [4096, 100_000, i32::MAX] {
        let err = publish(&e.addr, "ns", "parts", p, vec![msg("x")])
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
        assert!(err.message().contains("0 to 4095"), "{err}");
        let err = subscribe(&e.addr, "ns", "parts", p, StartPosition::Earliest, 0)
            .await
            .err()
            .expect("refused");
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    }
    let cfg = v2_client(&e.addr)
        .await
        .get_topic_configuration(swmq::proto::v2::GetTopicConfigurationRequest {
            namespace: "ns".into(),
            topic: "parts".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cfg.configuration.unwrap().partition_count, 4096);
}

#[tokio::test]
async fn invisible_whitespace_and_huge_names_are_refused_briefly() {
    let e = start_embedded().await;
    for name in [
        "orders\u{200b}",
        "\u{202e}sredro",
        "a\u{2066}b",
        "\u{feff}orders",
        "line\u{2028}sep",
        "para\u{2029}",
        "   ",
    ] {
        let err = publish(&e.addr, "ns", name, 0, vec![msg("x")])
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{name:?}: {err}");
        assert!(err.message().contains("invalid topic"), "{err}");
    }
    // A 100 kB name: INVALID_ARGUMENT with a short message (not the name echoed whole,
    // which made it RESOURCE_EXHAUSTED on the client).
    let huge = "n".repeat(100_000);
    let err = publish(&e.addr, &huge, "t", 0, vec![msg("x")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    assert!(err.message().len() < 300, "{}", err.message().len());
    assert!(err.message().contains("100000 bytes"), "{err}");
}

#[tokio::test]
async fn recovery_says_on_stderr_what_it_set_aside() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    publish(&addr, "ns", "torn", 0, numbered(0, 10))
        .await
        .unwrap();
    b.shutdown().await.unwrap();
    let log = walk_ext(dir.path(), "log").pop().unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut f, &[0, 0, 9, 0, 1, 2]).unwrap();
    drop(f);
    std::fs::remove_file(log.with_extension("idx")).ok();
    let mut child = Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args(["broker", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env_remove("SWMQ_LOG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on"), "{line:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("WARN") && err.contains(".quarantine") && err.contains("torn"),
        "{err}"
    );
    assert_eq!(quarantined(dir.path()).len(), 1);
}

/// A slow disk stalls the publishers of its own partition only: the broker's I/O runs on
/// the blocking pool, never on the async threads (this test's runtime has one thread).
#[tokio::test]
async fn a_slow_disk_stalls_only_its_own_partition() {
    let dir = tempfile::tempdir().unwrap();
    let (b, addr) = start_with(dir.path(), 1 << 20).await;
    publish(&addr, "ns", "slow", 0, vec![msg("warm")])
        .await
        .unwrap();
    publish(&addr, "ns", "fast", 0, vec![msg("warm")])
        .await
        .unwrap();
    let slow_dir = dir.path().join("topics/ns/slow");
    faults::install(Plan {
        root: slow_dir.clone(),
        ops: vec![],
        at: 0,
        times: u64::MAX,
        fault: Fault::Delay(1500),
    });
    let slow_addr = addr.clone();
    let slow = tokio::spawn(async move {
        let t = std::time::Instant::now();
        publish(&slow_addr, "ns", "slow", 0, vec![msg("s")])
            .await
            .unwrap();
        t.elapsed()
    });
    // Timed from here: a stalled runtime would not even end this sleep on time.
    let t = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    publish(&addr, "ns", "fast", 0, vec![msg("f")])
        .await
        .unwrap();
    let got = read_values(&addr, "ns", "fast", 0).await;
    let fast = t.elapsed();
    assert_eq!(got, vec![b"warm".to_vec(), b"f".to_vec()]);
    let slow = slow.await.unwrap();
    faults::clear(&slow_dir);
    assert!(
        slow >= Duration::from_millis(1500),
        "the slow disk was slow: {slow:?}"
    );
    // 200 ms sleep + read_values' 300 ms of silence; everything else is quick.
    assert!(
        fast < Duration::from_millis(1200),
        "the other partition waited: {fast:?}"
    );
    b.shutdown().await.unwrap();
}
