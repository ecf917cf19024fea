//! Checks of how the commands behave: closed stdout, follow and Ctrl-C, read-only,
//! delete, channels.

use std::io::BufRead;
use std::io::BufReader;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

/// `| head`: a closed stdout ends tail quietly with exit 0, following or not.
pub(crate) async fn check_closed_stdout(t: &Target, ns: &str) {
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
pub(crate) async fn check_closed_stdout_while_idle(t: &Target, ns: &str) {
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
pub(crate) async fn check_follow_and_ctrl_c(t: &Target, ns: &str) {
    let topic = format!("{ns}/live");
    ok(
        &swmq(t, &["publish", &topic, "first"]).await,
        "publish first",
    );
    read_n(t, &topic, 1).await;
    let args = ["tail", &topic, "--from", "earliest", "--format", "json"];
    let (child, mut rx) = spawn_lines(t, &args);
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
pub(crate) async fn check_read_only(t: &Target, ns: &str) {
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
pub(crate) async fn check_delete(t: &Target, ns: &str) {
    let topic = format!("{ns}/gone");
    ok(&swmq(t, &["publish", &topic, "x", "y"]).await, "publish");
    read_n(t, &topic, 2).await;
    let out = ok(&swmq(t, &["delete", &topic, "--yes"]).await, "delete");
    assert!(out.contains(&format!("deleted {topic}")), "{out}");
}

const CHAN_ERR: &str = "channels exist only in SeaweedFS 2.x messaging";

/// Every `chan` command on 4.x: exit 1 with the channels error.
pub(crate) async fn check_chan_refused_on_mq(t: &Target) {
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
pub(crate) async fn check_channels(t: &Target, name: &str) {
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
