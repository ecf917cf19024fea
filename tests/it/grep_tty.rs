//! `swmq grep` on a terminal (a pty), against the embedded broker: the progress line shows
//! on stderr while the search runs, and Ctrl-C stops it with what was found printed and
//! exit 0, the broker's scan released (its `grep_scans` back to 0). (Piped, no progress
//! line: `grep_common::check_grep_cli`.)
use crate::support;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use swmq::broker::BrokerConfig;
use swmq::proto::v2::Message;

/// How the pty is read: freely, a little at a time, or not at all (the writer blocks).
const READ: u8 = 0;
const SLOW: u8 = 1;
const HOLD: u8 = 2;

fn until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn ctrl_c_stops_grep_with_what_was_found_and_releases_the_scan() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let dir = tempfile::tempdir().unwrap();
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf());
    config.segment_bytes = 1 << 20;
    let b = swmq::broker::start(config).await.unwrap();
    let addr = b.addr().to_string();
    let ns = support::unique_namespace("grept");
    // 40 MiB of records that all match: far more than every buffer between the scan and
    // a terminal that is not read.
    for p in 0..2 {
        let msgs: Vec<Message> = (0..10_000)
            .map(|i| Message {
                event_time_ns: 1_790_000_000_000_000_000 + i,
                value: bytes::Bytes::from(format!("m{i:05}{}", "m".repeat(2042))),
                ..Default::default()
            })
            .collect();
        support::embedded::publish(&addr, &ns, "big", p, msgs)
            .await
            .unwrap();
    }
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_swmq"));
    cmd.args(["grep", &format!("{ns}/big"), "m", "--broker", &addr]);
    cmd.env("TERM", "xterm-256color");
    cmd.env("NO_COLOR", "1");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mode = Arc::new(AtomicU8::new(SLOW));
    let (o, md) = (out.clone(), mode.clone());
    std::thread::spawn(move || {
        let _master = pty.master;
        let mut buf = [0u8; 2048];
        loop {
            match md.load(Ordering::SeqCst) {
                HOLD => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                SLOW => std::thread::sleep(Duration::from_millis(10)),
                _ => {}
            }
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => o.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    });
    let text = || String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
    // Read slowly (~200 KB/s): the search runs for seconds and the progress line shows.
    until("the progress line on the terminal", 30, || {
        let t = text();
        t.contains(&format!("grep {ns}/big: "))
            && t.contains(" records, ")
            && t.contains(" matches")
    });
    // Stop reading: the output blocks, the broker's scan is held back (not finished).
    mode.store(HOLD, Ordering::SeqCst);
    until("a running scan", 10, || b.grep_scans() > 0);
    std::thread::sleep(Duration::from_millis(300));
    assert!(b.grep_scans() > 0, "the scan must be held back, not over");
    // Ctrl-C, as typed on the terminal (the line discipline sends SIGINT).
    writer.write_all(b"\x03").unwrap();
    writer.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    mode.store(READ, Ordering::SeqCst);
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("grep did not stop on Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.exit_code(), 0, "Ctrl-C exits 0:\n{}", text());
    std::thread::sleep(Duration::from_millis(200));
    let t = text();
    let printed = t.lines().filter(|l| l.contains("mmmmmmmm")).count();
    assert!(
        printed > 0 && printed < 20_000,
        "the matches found before Ctrl-C are printed, not all of them: {printed}"
    );
    let dropped = Instant::now();
    while b.grep_scans() > 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(5),
            "the broker's scan still runs 5 s after Ctrl-C"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    b.shutdown().await.unwrap();
}
