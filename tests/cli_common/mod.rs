//! End-to-end checks of the CLI through the real binary, shared by the 4.x (real weed) and
//! 2.x (embedded broker) test binaries. Each check isolates itself by namespace.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

/// Where the binary is pointed.
#[derive(Clone, Debug)]
pub struct Target {
    /// Broker address.
    pub broker: String,
    /// Filer gRPC address.
    pub filer: String,
    /// `mq` or `legacy`: what `status` must report.
    pub protocol: &'static str,
}

impl Target {
    /// Whether the protocol has headers and channels.
    pub fn is_legacy(&self) -> bool {
        self.protocol == "legacy"
    }
}

fn command(t: &Target, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("swmq"));
    c.env_remove("SWMQ_READ_ONLY")
        .env("SWMQ_BROKER", &t.broker)
        .env("SWMQ_FILER", &t.filer)
        .args(args);
    c
}

/// Runs `swmq ARGS` with `stdin` (empty when `None`) off the async runtime.
pub async fn swmq_in(t: &Target, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
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
pub async fn swmq(t: &Target, args: &[&str]) -> Output {
    swmq_in(t, args, None).await
}

fn wait_output(mut child: Child, limit: Duration) -> Option<Output> {
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

/// Asserts success and returns stdout.
pub fn ok(out: &Output, what: &str) -> String {
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
pub fn fails(out: &Output, code: i32, what: &str) -> String {
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
pub fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `tail TOPIC --from earliest --no-follow --format json` + extra args, parsed.
pub async fn read_all(t: &Target, topic: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["tail", topic, "--no-follow", "--format", "json"];
    if !extra.contains(&"--from") {
        args.extend(["--from", "earliest"]);
    }
    args.extend_from_slice(extra);
    let out = swmq(t, &args).await;
    json_lines(&ok(&out, &format!("tail {topic} {extra:?}")))
}

/// Reads until at least `n` records are there (a fresh write may take a moment to show).
pub async fn read_n(t: &Target, topic: &str, n: usize) -> Vec<Value> {
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

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn decoded(v: &Value, field: &str) -> Vec<u8> {
    let s = v[field].as_str().unwrap();
    match v[&format!("{field}_encoding")].as_str().unwrap() {
        "utf8" => s.as_bytes().to_vec(),
        "base64" => base64::engine::general_purpose::STANDARD.decode(s).unwrap(),
        e => panic!("encoding {e}"),
    }
}

/// What must survive a copy: everything but where the record lives.
fn essence(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    for k in ["namespace", "topic", "partition", "offset"] {
        o.remove(k);
    }
    v
}

/// The binary's own status line names the protocol.
pub async fn check_status(t: &Target) {
    let text = ok(&swmq(t, &["status"]).await, "status");
    assert!(
        text.contains(&format!("protocol  {}", t.protocol)),
        "{text}"
    );
    assert!(text.contains(&t.broker), "{text}");
    let j = json_lines(&ok(
        &swmq(t, &["status", "--format", "json"]).await,
        "status json",
    ));
    assert_eq!(j.len(), 1);
    assert_eq!(j[0]["protocol"], t.protocol);
    assert_eq!(j[0]["address"], t.broker.as_str());
    if t.protocol == "mq" {
        assert!(j[0]["balancer"].is_string(), "{}", j[0]);
        assert!(j[0]["topic_count"].is_u64(), "{}", j[0]);
        assert!(
            text.contains("balancer") && text.contains("topics"),
            "{text}"
        );
    }
}

/// tail --format json → publish --input json is byte-exact (binary keys/values, 1 MiB
/// values, headers on 2.x, timestamps).
pub async fn check_json_roundtrip(t: &Target, ns: &str) {
    let src = format!("{ns}/src");
    let dst = format!("{ns}/dst");
    let mut args = vec![
        "publish",
        src.as_str(),
        "--key",
        "k-text",
        "hello",
        "wörld ✓",
    ];
    if t.is_legacy() {
        args.extend(["--header", "ct=text/plain", "--header", "x=1"]);
    }
    ok(&swmq(t, &args).await, "publish values");
    // Binary key and value, binary header, through JSON input.
    let bin: Vec<u8> = (0..=255u8).rev().collect();
    let mut line = serde_json::json!({
        "key": b64(&[0xff, 0x00, 0x80]), "key_encoding": "base64",
        "value": b64(&bin), "value_encoding": "base64",
    });
    if t.is_legacy() {
        line["headers"] =
            serde_json::json!({"bin": {"base64": b64(&[0xff, 0xde, 0xad])}, "t": "v"});
    }
    let out = swmq_in(
        t,
        &["publish", &src, "--input", "json"],
        Some(format!("{line}\n").into_bytes()),
    )
    .await;
    ok(&out, "publish json");
    // A 1 MiB binary value as one raw message.
    let big: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &big).unwrap();
    let out = swmq(
        t,
        &[
            "publish",
            &src,
            "--input",
            "raw",
            "--key",
            "big",
            "--file",
            path.to_str().unwrap(),
        ],
    )
    .await;
    ok(&out, "publish raw 1 MiB");

    let a = read_n(t, &src, 4).await;
    let by_key = |k: &[u8]| {
        a.iter()
            .find(|v| decoded(v, "key") == k)
            .unwrap_or_else(|| panic!("key {k:?} in {a:?}"))
    };
    assert_eq!(decoded(by_key(&[0xff, 0x00, 0x80]), "value"), bin);
    assert_eq!(decoded(by_key(b"big"), "value"), big);
    let texts: Vec<Vec<u8>> = a
        .iter()
        .filter(|v| v["key"] == "k-text")
        .map(|v| decoded(v, "value"))
        .collect();
    assert_eq!(
        texts,
        vec![b"hello".to_vec(), "wörld ✓".as_bytes().to_vec()]
    );
    if t.is_legacy() {
        let h = &by_key(b"k-text")["headers"];
        assert_eq!(h["ct"], "text/plain");
        assert_eq!(
            by_key(&[0xff, 0x00, 0x80])["headers"]["bin"]["base64"],
            b64(&[0xff, 0xde, 0xad])
        );
    }
    // Copy through the JSON lines and compare byte for byte.
    let raw = ok(
        &swmq(
            t,
            &[
                "tail",
                &src,
                "--from",
                "earliest",
                "--no-follow",
                "--format",
                "json",
            ],
        )
        .await,
        "tail",
    );
    ok(
        &swmq_in(
            t,
            &["publish", &dst, "--input", "json"],
            Some(raw.clone().into_bytes()),
        )
        .await,
        "copy",
    );
    let b = read_n(t, &dst, a.len()).await;
    let mut ea: Vec<Value> = a.iter().map(essence).collect();
    let mut eb: Vec<Value> = b.iter().map(essence).collect();
    let key = |v: &Value| v["ts_ns"].as_i64().unwrap();
    ea.sort_by_key(key);
    eb.sort_by_key(key);
    assert_eq!(ea, eb, "copy differs");
    for v in &b {
        assert_eq!(v["namespace"], ns);
        assert_eq!(v["topic"], "dst");
    }
}

/// `--from T` returns exactly the records with ts ≥ T (one has ts exactly T); `--until`,
/// `--count`, `--partition` and `--grep` cut as documented.
pub async fn check_time_ranges(t: &Target, ns: &str) {
    let topic = format!("{ns}/ranges");
    let lines: String = (0..12).map(|i| format!("m{i}\n")).collect();
    ok(
        &swmq_in(t, &["publish", &topic], Some(lines.into_bytes())).await,
        "publish lines",
    );
    let all = read_n(t, &topic, 12).await;
    let ts: Vec<i64> = all.iter().map(|v| v["ts_ns"].as_i64().unwrap()).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted, "merged in timestamp order");
    let cut = ts[5];
    let want: Vec<i64> = ts.iter().copied().filter(|&x| x >= cut).collect();
    let got: Vec<i64> = read_all(t, &topic, &["--from", &cut.to_string()])
        .await
        .iter()
        .map(|v| v["ts_ns"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want, "--from {cut} (ns)");
    assert_eq!(got[0], cut, "the record at exactly T");
    let rfc = all[5]["time"].as_str().unwrap().to_string();
    let got: Vec<i64> = read_all(t, &topic, &["--from", &rfc])
        .await
        .iter()
        .map(|v| v["ts_ns"].as_i64().unwrap())
        .collect();
    assert_eq!(got, want, "--from {rfc}");
    let until: Vec<i64> = read_all(t, &topic, &["--until", &cut.to_string()])
        .await
        .iter()
        .map(|v| v["ts_ns"].as_i64().unwrap())
        .collect();
    assert_eq!(until, ts[..=5].to_vec(), "--until {cut}");
    let counted = read_all(t, &topic, &["--count", "3"]).await;
    assert_eq!(counted.len(), 3);
    assert_eq!(counted[2]["ts_ns"], all[2]["ts_ns"]);
    let p = all[0]["partition"].as_i64().unwrap();
    let only: Vec<&Value> = all
        .iter()
        .filter(|v| v["partition"].as_i64() == Some(p))
        .collect();
    let got = read_all(t, &topic, &["--partition", &p.to_string()]).await;
    assert_eq!(got.len(), only.len(), "--partition {p}");
    assert!(got.iter().all(|v| v["partition"].as_i64() == Some(p)));
    let got = read_all(t, &topic, &["--grep", "^m1[01]?$"]).await;
    let vals: Vec<&str> = got.iter().map(|v| v["value"].as_str().unwrap()).collect();
    let mut vals_sorted = vals.clone();
    vals_sorted.sort();
    assert_eq!(vals_sorted, ["m1", "m10", "m11"]);
    // Text output: one line per record with the value.
    let text = ok(
        &swmq(t, &["tail", &topic, "--no-follow", "--utc"]).await,
        "text tail",
    );
    assert_eq!(text.lines().count(), 12, "{text}");
    assert!(
        text.lines().all(|l| l.contains("  p") && l.contains('m')),
        "{text}"
    );
}

/// `topics` and `describe`, as tables within 80 columns and as JSON.
pub async fn check_topics_describe(t: &Target, ns: &str) {
    let topic = format!("{ns}/listed");
    let lines: String = (0..20).map(|i| format!("value-{i}\n")).collect();
    ok(
        &swmq_in(t, &["publish", &topic], Some(lines.into_bytes())).await,
        "publish",
    );
    read_n(t, &topic, 20).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let table = loop {
        let table = ok(&swmq(t, &["topics"]).await, "topics");
        if table.contains(&topic) || Instant::now() > deadline {
            break table;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(table.contains(&topic), "{table}");
    assert!(
        table.lines().next().unwrap().starts_with("TOPIC"),
        "{table}"
    );
    for l in table.lines() {
        assert!(l.chars().count() <= 80, "wider than 80: {l}");
    }
    let j = json_lines(&ok(
        &swmq(t, &["topics", "--format", "json"]).await,
        "topics json",
    ));
    let mine = j
        .iter()
        .find(|v| v["name"] == topic.as_str())
        .expect("listed in json");
    assert_eq!(mine["namespace"], ns);
    assert!(mine["partition_count"].as_u64().unwrap() >= 1, "{mine}");
    let d = ok(&swmq(t, &["describe", &topic, "--utc"]).await, "describe");
    assert!(d.contains(&format!("topic       {topic}")), "{d}");
    assert!(d.contains("PART"), "{d}");
    for l in d.lines() {
        assert!(l.chars().count() <= 80, "wider than 80: {l}");
    }
    let dj = json_lines(&ok(
        &swmq(
            t,
            &["describe", &topic, "--format", "json", "--buckets", "10"],
        )
        .await,
        "describe json",
    ));
    assert_eq!(dj.len(), 1);
    assert_eq!(dj[0]["name"], topic.as_str());
    assert_eq!(dj[0]["protocol"], t.protocol);
    if let Some(h) = dj[0]["histogram"].as_object() {
        assert_eq!(h["counts"].as_array().unwrap().len(), 10, "{h:?}");
    }
    if t.is_legacy() {
        assert_eq!(mine["message_count"], 20, "{mine}");
        assert!(d.contains("messages    20"), "{d}");
        let h = &dj[0]["histogram"];
        let total: u64 = h["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum();
        assert_eq!(total, 20, "{h}");
    }
    // A topic that does not exist: one line, exit 1, naming it.
    let missing = format!("{ns}/missing");
    let err = fails(
        &swmq(t, &["describe", &missing]).await,
        1,
        "describe missing",
    );
    assert!(err.contains(&missing), "{err}");
}

/// `| head`: a closed stdout ends tail quietly with exit 0, following or not.
pub async fn check_closed_stdout(t: &Target, ns: &str) {
    let topic = format!("{ns}/head");
    // 80 records of 1200 B: more than a pipe buffer (64 KiB) of output.
    let lines: String = (0..80).map(|i| format!("{i:0>1200}\n")).collect();
    ok(
        &swmq_in(t, &["publish", &topic], Some(lines.into_bytes())).await,
        "publish",
    );
    read_n(t, &topic, 80).await;
    for follow in [false, true] {
        let mut args = vec!["tail", topic.as_str(), "--from", "earliest"];
        if !follow {
            args.push("--no-follow");
        }
        let mut c = command(t, &args);
        let out = tokio::task::spawn_blocking(move || {
            c.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = c.spawn().unwrap();
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            assert!(first.contains("0000"), "{first}");
            // The reader is gone now (like `head -1`).
            wait_output(child, Duration::from_secs(20))
        })
        .await
        .unwrap()
        .expect("tail must end once its stdout is closed");
        assert_eq!(
            out.status.code(),
            Some(0),
            "follow={follow}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "follow={follow}: quiet"
        );
    }
}

/// `| head` while tail follows and nothing is written: it still ends quietly, soon.
pub async fn check_closed_stdout_while_idle(t: &Target, ns: &str) {
    let topic = format!("{ns}/idle");
    ok(&swmq(t, &["publish", &topic, "x"]).await, "publish");
    let mut c = command(t, &["tail", &topic]); // follows from latest: prints nothing
    let out = tokio::task::spawn_blocking(move || {
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        drop(child.stdout.take()); // the reader goes away
        wait_output(child, Duration::from_secs(10))
    })
    .await
    .unwrap()
    .expect("an idle tail must end once its stdout is closed");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// A record published while tail follows appears within a few seconds; Ctrl-C then ends
/// tail with exit 0.
pub async fn check_follow_and_ctrl_c(t: &Target, ns: &str) {
    let topic = format!("{ns}/live");
    ok(
        &swmq(t, &["publish", &topic, "first"]).await,
        "publish first",
    );
    read_n(t, &topic, 1).await;
    let mut c = command(
        t,
        &["tail", &topic, "--from", "earliest", "--format", "json"],
    );
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("first record")
        .unwrap();
    assert!(first.contains("\"value\":\"first\""), "{first}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = Instant::now();
    ok(
        &swmq(t, &["publish", &topic, "second"]).await,
        "publish second",
    );
    let second = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("live record")
        .unwrap();
    assert!(second.contains("\"value\":\"second\""), "{second}");
    let lag = sent.elapsed();
    assert!(lag < Duration::from_secs(10), "live record after {lag:?}");
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || wait_output(child, Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("tail must end on Ctrl-C");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--read-only` refuses writes against a live broker and nothing is written.
pub async fn check_read_only(t: &Target, ns: &str) {
    let topic = format!("{ns}/ro");
    ok(&swmq(t, &["publish", &topic, "kept"]).await, "publish");
    read_n(t, &topic, 1).await;
    let err = fails(
        &swmq(t, &["--read-only", "publish", &topic, "refused"]).await,
        1,
        "ro publish",
    );
    assert!(err.contains("read-only"), "{err}");
    let err = fails(
        &swmq(t, &["delete", &topic, "--yes", "--read-only"]).await,
        1,
        "ro delete",
    );
    assert!(err.contains("read-only"), "{err}");
    // Reads still work in read-only mode, and the refused message is not there.
    let v = read_all(t, &topic, &["--read-only"]).await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["value"], "kept");
    // delete without --yes on a non-terminal stdin refuses, and the topic stays.
    let err = fails(
        &swmq_in(
            t,
            &["delete", &topic],
            Some(format!("{topic}\n").into_bytes()),
        )
        .await,
        1,
        "delete no tty",
    );
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(read_all(t, &topic, &[]).await.len(), 1);
}

/// `delete --yes` removes the topic.
pub async fn check_delete(t: &Target, ns: &str) {
    let topic = format!("{ns}/gone");
    ok(&swmq(t, &["publish", &topic, "x", "y"]).await, "publish");
    read_n(t, &topic, 2).await;
    let out = ok(&swmq(t, &["delete", &topic, "--yes"]).await, "delete");
    assert!(out.contains(&format!("deleted {topic}")), "{out}");
}

const CHAN_ERR: &str = "channels exist only in SeaweedFS 2.x messaging";

/// Every `chan` command on 4.x: exit 1 with the channels error.
pub async fn check_chan_refused_on_mq(t: &Target) {
    for args in [
        &["chan", "publish", "c1", "v"][..],
        &["chan", "close", "c1"],
        &["chan", "read", "c1", "--no-follow"],
        &["chan", "delete", "c1", "--yes"],
    ] {
        let err = fails(&swmq(t, args).await, 1, &format!("{args:?}"));
        assert!(err.contains(CHAN_ERR), "{err}");
        assert!(err.contains(&t.broker), "{err}");
    }
}

/// Channels on 2.x: publish, read, close (read then ends by itself), refused publish
/// after close, delete.
pub async fn check_channels(t: &Target, name: &str) {
    let out = ok(
        &swmq(t, &["chan", "publish", name, "one", "two"]).await,
        "chan publish",
    );
    assert!(out.contains("published 2 messages"), "{out}");
    let got = json_lines(&ok(
        &swmq(
            t,
            &["chan", "read", name, "--no-follow", "--format", "json"],
        )
        .await,
        "chan read",
    ));
    let vals: Vec<&str> = got.iter().map(|v| v["value"].as_str().unwrap()).collect();
    assert_eq!(vals, ["one", "two"]);
    assert!(
        got.iter()
            .all(|v| v["namespace"] == "chan" && v["topic"] == name)
    );
    ok(&swmq(t, &["chan", "close", name]).await, "chan close");
    // A follow read of a closed channel ends by itself at the close message.
    let got = json_lines(&ok(
        &swmq(t, &["chan", "read", name, "--format", "json"]).await,
        "chan read follow",
    ));
    let data: Vec<&str> = got
        .iter()
        .filter(|v| v["is_close"] == false)
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(data, ["one", "two"]);
    let err = fails(
        &swmq(t, &["chan", "publish", name, "three"]).await,
        1,
        "publish to closed",
    );
    assert!(err.contains("closed"), "{err}");
    let list = json_lines(&ok(
        &swmq(t, &["topics", "--format", "json"]).await,
        "topics",
    ));
    let me = list
        .iter()
        .find(|v| v["name"] == format!("chan/{name}").as_str())
        .expect("channel listed");
    assert_eq!(me["closed"], true, "{me}");
    ok(
        &swmq(t, &["chan", "delete", name, "--yes"]).await,
        "chan delete",
    );
    let err = fails(
        &swmq(t, &["chan", "read", name, "--no-follow"]).await,
        1,
        "read deleted",
    );
    assert!(err.contains("not found") && err.contains(name), "{err}");
}
