//! The CLI never trusts the server (issue 9 items 6, 7 and 9, client side), through the
//! binary: a malicious 2.x server (tests/support/hostile.rs) sends terminal escapes, bidi
//! and zero-width characters, a `partition_count` of 2147483647 and partitions numbered
//! 100000 and 2147483647; a frozen broker (SIGSTOP) never answers a publish; names with
//! invisible characters are refused; `chan close` of a missing channel refuses.
#[allow(unused_imports)]
use crate::cli_common;
use crate::support;

use std::time::{Duration, Instant};

use cli_common::*;
use support::hostile::{EVIL, Hostile, OSC_CLIPBOARD, OSC_TITLE, start_hostile};

fn target(addr: &str) -> Target {
    Target {
        broker: addr.to_string(),
        filer: format!("127.0.0.1:{}", support::free_port()),
        protocol: "legacy",
    }
}

/// An independent oracle of what must never reach a terminal raw: C0 (but newline), DEL,
/// C1, the zero-width, bidi and BOM characters the server sends, U+2028/2029.
fn hazard(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x1f | 0x7f..=0x9f | 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069
        | 0xfeff | 0x2028 | 0x2029)
}

/// No raw hazard (ESC, C1, DEL, bidi/format, U+2028/2029) anywhere in the output.
fn assert_no_hazard(bytes: &[u8], what: &str) {
    let s = String::from_utf8_lossy(bytes);
    assert!(!bytes.contains(&0x1b), "{what}: raw ESC in {s:?}");
    let bad: Vec<char> = s.chars().filter(|&c| c != '\n' && hazard(c)).collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in {s:?}");
}

async fn run_clean(t: &Target, args: &[&str]) -> std::process::Output {
    let out = swmq(t, args).await;
    assert_no_hazard(&out.stdout, &format!("{args:?} stdout"));
    assert_no_hazard(&out.stderr, &format!("{args:?} stderr"));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_listings_of_a_malicious_server_are_escaped() {
    let addr = start_hostile(Hostile::default()).await;
    let t = target(&addr);

    let out = ok(&run_clean(&t, &["status"]).await, "status");
    assert!(out.contains("swmq \\x1b]0;pwned\\x07"), "{out}");
    let out = ok(
        &run_clean(&t, &["status", "--format", "json"]).await,
        "status json",
    );
    assert!(out.contains("\\u001b]0;pwned"), "{out}");

    // The table: every name escaped, invalid ones marked; no 274 GB allocation.
    let started = Instant::now();
    let out = ok(&run_clean(&t, &["topics"]).await, "topics");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(out.contains("ok/orders\\u{200b}"), "{out}");
    assert!(out.contains("(invalid) ok/orders"), "{out}");
    assert!(out.contains("\\x1b]52;c;"), "{out}");
    // JSON keeps the exact strings, valid, with no raw hazard.
    let out = ok(
        &run_clean(&t, &["topics", "--format", "json"]).await,
        "topics json",
    );
    let topics = json_lines(&out);
    let names: Vec<(&str, &str)> = topics
        .iter()
        .map(|v| {
            (
                v["namespace"].as_str().unwrap(),
                v["topic"].as_str().unwrap(),
            )
        })
        .collect();
    for want in [("ok", EVIL), (OSC_CLIPBOARD, "t"), ("ok", "orders\u{200b}")] {
        assert!(names.contains(&want), "{want:?} not in {names:?}");
    }
    let ok_t = topics.iter().find(|v| v["name"] == "ok/t").unwrap();
    let ids: Vec<i64> = ok_t["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [0, 100_000, 2_147_483_647]);

    // describe: huge counts and a 2147483647 partition count, no overflow.
    let out = ok(&run_clean(&t, &["describe", "ok/t"]).await, "describe");
    assert!(out.contains("2147483647"), "{out}");
    ok(
        &run_clean(&t, &["describe", "ok/t", "--format", "json"]).await,
        "describe json",
    );

    // A partition count of 2147483647 is refused for publishing, clearly.
    let err = fails(
        &run_clean(&t, &["publish", "ok/t", "v"]).await,
        1,
        "publish",
    );
    assert!(err.contains("reports 2147483647 partitions"), "{err}");

    // A server error text is escaped and cut on the one error line.
    let err = fails(
        &run_clean(&t, &["delete", "ok/t", "--yes"]).await,
        1,
        "delete",
    );
    assert!(err.contains("\\x1b]0;pwned"), "{err}");
    assert!(err.len() < 2_500, "{} bytes", err.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_of_a_malicious_server_is_bounded_and_escaped() {
    let addr = start_hostile(Hostile::default()).await;
    let t = target(&addr);
    let args = ["tail", "ok/t", "--from", "earliest", "--no-follow"];
    let started = Instant::now();
    let out = ok(&run_clean(&t, &args).await, "tail text");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.contains("p100000") && out.contains("p2147483647"),
        "{out}"
    );
    assert!(out.contains("\\x1b]0;pwned"), "{out}");

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let a = json_lines(&ok(&run_clean(&t, &json_args).await, "tail json"));
    let b = json_lines(&ok(&run_clean(&t, &json_args).await, "tail json again"));
    assert_eq!(a.len(), 3);
    for v in &a {
        assert_eq!(v["value"], EVIL);
        assert_eq!(v["key"], OSC_TITLE);
        assert_eq!(v["headers"][EVIL], EVIL);
    }
    // A negative event time shows a stable value (the log's first timestamp), not now.
    let ts = |v: &Vec<serde_json::Value>| -> Vec<i64> {
        v.iter().map(|r| r["ts_ns"].as_i64().unwrap()).collect()
    };
    assert_eq!(ts(&a), ts(&b));
    let p0 = a.iter().find(|v| v["partition"] == 0).unwrap();
    assert_eq!(p0["ts_ns"], 1, "{p0}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_to_a_server_that_never_answers_fails_in_bounded_time() {
    let addr = start_hostile(Hostile { frozen: true }).await;
    let t = target(&addr);
    let started = Instant::now();
    let err = fails(
        &run_clean(&t, &["publish", "ok/t", "v"]).await,
        1,
        "publish frozen",
    );
    let took = started.elapsed();
    eprintln!("publish to a never-answering server failed after {took:?}: {err}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(err.contains("within 10s"), "{err}");
    assert!(err.contains("frozen"), "{err}");
}

/// `kill -STOP` on a real `swmq broker`: the kernel still accepts connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_to_a_stopped_broker_fails_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_swmq"))
        .args(["broker", "--listen", &addr, "--data"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let t = target(&addr);
    ok(&swmq(&t, &["publish", "ns/t", "before"]).await, "publish");
    let pid = child.id().to_string();
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
    };
    assert!(signal("-STOP").success());
    let started = Instant::now();
    let out = swmq(&t, &["--protocol", "legacy", "publish", "ns/t", "frozen"]).await;
    let took = started.elapsed();
    signal("-CONT");
    let _ = child.kill();
    let _ = child.wait();
    let err = fails(&out, 1, "publish to a stopped broker");
    eprintln!("publish to a stopped broker failed after {took:?}: {err}");
    assert!(took < Duration::from_secs(30), "{took:?}: {err}");
    assert!(err.contains("frozen"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invisible_and_huge_names_are_refused_without_echoing_them() {
    let t = target(&format!("127.0.0.1:{}", support::free_port()));
    for name in [
        "ns/orders\u{200b}",
        "ns/evil\u{202e}",
        "ns/\u{2066}x",
        "ns/\u{feff}x",
        "ns/a\u{2028}b",
        "ns/   ",
    ] {
        let err = fails(
            &run_clean(&t, &["publish", name, "v"]).await,
            2,
            &format!("{name:?}"),
        );
        assert!(err.contains("invalid topic"), "{err}");
    }
    let huge = format!("ns/{}", "n".repeat(100_000));
    let err = fails(&run_clean(&t, &["tail", &huge]).await, 2, "huge name");
    assert!(err.len() < 300, "{} bytes: {err}", err.len());
    assert!(err.contains("(100000 bytes)"), "{err}");
    let err = fails(
        &run_clean(&t, &["chan", "close", "x\u{200b}"]).await,
        2,
        "chan",
    );
    assert!(err.contains("\\u{200b}"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chan_close_of_a_missing_channel_refuses_unless_create() {
    let e = support::embedded::start_embedded().await;
    let t = target(&e.addr);
    let err = fails(
        &swmq(&t, &["chan", "close", "nosuchchan"]).await,
        1,
        "close missing",
    );
    assert!(
        err.contains("no such channel") && err.contains("--create"),
        "{err}"
    );
    let out = ok(&swmq(&t, &["topics", "--format", "json"]).await, "topics");
    assert!(!out.contains("nosuchchan"), "created anyway: {out}");
    ok(
        &swmq(&t, &["chan", "close", "nosuchchan", "--create"]).await,
        "close --create",
    );
    let out = ok(&swmq(&t, &["topics", "--format", "json"]).await, "topics");
    assert!(out.contains("nosuchchan"), "{out}");
    // An existing channel closes without --create.
    ok(
        &swmq(&t, &["chan", "publish", "real", "v"]).await,
        "publish",
    );
    ok(
        &swmq(&t, &["chan", "close", "real"]).await,
        "close existing",
    );
}
