//! End-to-end checks of the CLI through the real binary, shared by the 4.x (real weed) and
//! 2.x (embedded broker) test binaries. Each check isolates itself by namespace.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where the binary is pointed.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// Broker address.
    pub broker: String,
    /// Filer gRPC address.
    pub filer: String,
    /// `mq` or `legacy`: what `status` must report.
    pub protocol: &'static str,
}

impl Target {
    /// Whether the protocol has headers and channels.
    pub(crate) fn is_legacy(&self) -> bool {
        self.protocol == "legacy"
    }
}

pub(crate) fn command(t: &Target, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("swmq"));
    c.env_remove("SWMQ_READ_ONLY")
        .env("SWMQ_BROKER", &t.broker)
        .env("SWMQ_FILER", &t.filer)
        .args(args);
    c
}

/// Runs `swmq ARGS` with `stdin` (empty when `None`) off the async runtime.
pub(crate) async fn swmq_in(t: &Target, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut c = command(t, args);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn swmq");
        let mut input = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            if let Some(b) = stdin {
                let _ = std::io::Write::write_all(&mut input, &b);
            }
        });
        let out = wait_output(child, Duration::from_secs(120))
            .unwrap_or_else(|| panic!("swmq {args:?} did not end within 120 s"));
        let _ = writer.join();
        out
    })
    .await
    .unwrap()
}

/// Runs `swmq ARGS` with an empty stdin.
pub(crate) async fn swmq(t: &Target, args: &[&str]) -> Output {
    swmq_in(t, args, None).await
}

pub(crate) fn wait_output(mut child: Child, limit: Duration) -> Option<Output> {
    let so = child.stdout.take();
    let se = child.stderr.take();
    let ro = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut so) = so {
            let _ = so.read_to_end(&mut v);
        }
        v
    });
    let re = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut se) = se {
            let _ = se.read_to_end(&mut v);
        }
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Some(Output {
        status,
        stdout: ro.join().unwrap(),
        stderr: re.join().unwrap(),
    })
}

/// Spawns `swmq ARGS` (a following tail) with its stdout lines sent to the receiver as they
/// come; the caller stops the child.
pub(crate) fn spawn_lines(
    t: &Target,
    args: &[&str],
) -> (Child, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use std::io::{BufRead, BufReader};
    let mut c = command(t, args);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn swmq");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Asserts success and returns stdout.
pub(crate) fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstderr: {}\nstdout: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// Asserts a failure with `code` and a one-line stderr; returns stderr.
pub(crate) fn fails(out: &Output, code: i32, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: stderr {err} stdout {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.starts_with("swmq: "), "{what}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{what}: not one line: {err}"
    );
    err
}

/// Parses JSON lines.
pub(crate) fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `tail TOPIC --from earliest --no-follow --format json` + extra args, parsed.
pub(crate) async fn read_all(t: &Target, topic: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["tail", topic, "--no-follow", "--format", "json"];
    if !extra.contains(&"--from") {
        args.extend(["--from", "earliest"]);
    }
    args.extend_from_slice(extra);
    let out = swmq(t, &args).await;
    json_lines(&ok(&out, &format!("tail {topic} {extra:?}")))
}

/// Reads until at least `n` records are there (a fresh write may take a moment to show).
pub(crate) async fn read_n(t: &Target, topic: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = read_all(t, topic, &[]).await;
        if v.len() >= n || Instant::now() > deadline {
            assert_eq!(v.len(), n, "records of {topic}");
            return v;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

mod data;
mod flow;
mod usability;

pub(crate) use data::*;
pub(crate) use flow::*;
pub(crate) use usability::*;
