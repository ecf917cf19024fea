//! Every CLI command end to end through the binary against the embedded 2.x broker
//! (each test starts its own broker on a free loopback port).
use crate::cli_common;
use crate::support;

use cli_common::*;
use support::embedded::{Embedded, start_embedded};

async fn target() -> (Embedded, Target) {
    let e = start_embedded().await;
    let t = Target {
        broker: e.addr.clone(),
        // No filer: the embedded broker's admin service answers listings.
        filer: format!("127.0.0.1:{}", support::free_port()),
        protocol: "legacy",
    };
    (e, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_legacy() {
    let (_e, t) = target().await;
    check_status(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_tail_publish_roundtrip_is_byte_exact() {
    let (_e, t) = target().await;
    check_json_roundtrip(&t, "rt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_ranges_count_partition_grep() {
    let (_e, t) = target().await;
    check_time_ranges(&t, "tr").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_and_describe() {
    let (_e, t) = target().await;
    check_topics_describe(&t, "td").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_ends_quietly() {
    let (_e, t) = target().await;
    check_closed_stdout(&t, "hd").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_then_ctrl_c() {
    let (_e, t) = target().await;
    check_follow_and_ctrl_c(&t, "fw").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_unconfirmed_delete() {
    let (_e, t) = target().await;
    check_read_only(&t, "ro").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_yes() {
    let (_e, t) = target().await;
    check_delete(&t, "dl").await;
    // On 2.x the topic is gone at once.
    let out = swmq(
        &t,
        &["tail", "dl/gone", "--from", "earliest", "--no-follow"],
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels() {
    let (_e, t) = target().await;
    check_channels(&t, "nightly").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_ends_an_idle_tail() {
    let (_e, t) = target().await;
    check_closed_stdout_while_idle(&t, "id").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forcing_the_wrong_protocol_is_one_line() {
    let (_e, t) = target().await;
    ok(&swmq(&t, &["publish", "w/p", "x"]).await, "publish");
    for args in [
        &["--protocol", "mq", "status"][..],
        &["--protocol", "mq", "tail", "w/p", "--no-follow"],
    ] {
        let err = fails(&swmq(&t, args).await, 1, &format!("{args:?}"));
        assert!(
            err.contains(&t.broker) && err.contains("SeaweedFS MQ 4.x"),
            "{err}"
        );
        assert!(err.contains("Unimplemented"), "{err}");
    }
}

/// A broker that dies under a running `tail` and comes back: the tail says so on stderr,
/// one line per attempt (not one per partition), resumes without loss and still ends with
/// exit 0 on Ctrl-C.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_survives_a_broker_restart_and_says_so_once_per_attempt() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Duration;
    let (e, t) = target().await;
    let topic = "rs/live";
    let four = ["publish", topic, "b1", "b2", "b3", "before"];
    ok(&swmq(&t, &four).await, "publish");
    let mut c = cli_common::command(&t, &["tail", topic, "--from", "earliest"]);
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The four went to four partitions on separate streams: their merged order is their
    // arrival order, which the publisher does not fix. All four come, whatever the order.
    let mut history = Vec::new();
    for _ in 0..4 {
        let line = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
        history.push(line.expect("history").unwrap());
    }
    let mut values: Vec<&str> = history
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    values.sort_unstable();
    assert_eq!(values, ["b1", "b2", "b3", "before"], "{history:?}");
    let addr = e.broker.addr();
    e.broker.shutdown().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let config = swmq::broker::BrokerConfig::new(addr, e.dir.path().to_path_buf());
    let again = swmq::broker::start(config).await.expect("restart broker");
    ok(&swmq(&t, &["publish", topic, "after"]).await, "publish");
    let line = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
    assert!(line.unwrap().unwrap().ends_with("after"));
    // "after" came through one partition; the others reconnect on their own backoff
    // (at most 2 s apart): give them that before Ctrl-C, so "reconnected" is due.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(killed.unwrap().success());
    let out = tokio::task::spawn_blocking(move || wait_output(child, Duration::from_secs(10)))
        .await
        .unwrap()
        .expect("tail ends on Ctrl-C");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let attempts: Vec<&str> = err.lines().filter(|l| l.contains("reconnecting")).collect();
    assert!(!attempts.is_empty(), "{err}");
    for (i, l) in attempts.iter().enumerate() {
        assert!(
            l.starts_with(&format!(
                "swmq: tail {topic}: reconnecting (attempt {})",
                i + 1
            )),
            "{err}"
        );
    }
    assert_eq!(
        err.lines().filter(|l| l.ends_with(": reconnected")).count(),
        1,
        "{err}"
    );
    again.shutdown().await.unwrap();
}

/// `describe` of a topic whose records span a few milliseconds: the histogram's bucket
/// width and row labels stay meaningful (no "per 0ms", no identical labels).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_histogram_of_a_millisecond_span() {
    let (_e, t) = target().await;
    let topic = "ms/burst";
    let publish = ["publish", topic, "--partitions", "1", "a", "b", "c"];
    ok(&swmq(&t, &publish).await, "publish");
    let out = ok(
        &swmq(&t, &["describe", topic, "--buckets", "10", "--utc"]).await,
        "describe",
    );
    assert!(!out.contains("0ms") && !out.contains("span 0"), "{out}");
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("messages per"))
        .skip(1)
        .map(|l| l.split("  ").next().unwrap_or(""))
        .collect();
    assert_eq!(rows.len(), 10, "{out}");
    let mut uniq = rows.clone();
    uniq.dedup();
    assert_eq!(uniq, rows, "{out}");
}

/// A bad line in `publish --input json` is a usage error (exit 2) naming the line, and
/// nothing is published, not even the lines before it (issue 13, CLI item 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_input_line_publishes_nothing() {
    let (_e, t) = target().await;
    let topic = "bj/in";
    let made = swmq(&t, &["publish", topic, "--partitions", "1", "zero"]).await;
    let note = String::from_utf8_lossy(&made.stderr).to_string();
    assert_eq!(note, "swmq: created topic bj/in with 1 partition\n");
    // The whole input is checked first: a bad line 2 stops line 1 from going out too.
    let input = b"{\"value\":\"a\"}\nnot json\n{\"value\":\"c\"}\n".to_vec();
    let args = ["publish", topic, "--input", "json", "--partitions", "1"];
    let err = fails(&swmq_in(&t, &args, Some(input)).await, 2, "bad json line");
    assert!(
        err.contains("stdin: line 2: not JSON") && err.ends_with("nothing was published\n"),
        "{err}"
    );
    let out = ok(
        &swmq(&t, &["tail", topic, "--from", "earliest", "--no-follow"]).await,
        "tail",
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    let input = b"nope\n".to_vec();
    let err = fails(&swmq_in(&t, &args, Some(input)).await, 2, "first line bad");
    assert!(err.ends_with("nothing was published\n"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_input_is_strict() {
    let (_e, t) = target().await;
    check_json_input_is_strict(&t, "js").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partition_range_message() {
    let (_e, t) = target().await;
    check_partition_range_message(&t, "pr").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioners() {
    let (_e, t) = target().await;
    check_partitioners(&t, "pt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_roundtrip_through_from() {
    let (_e, t) = target().await;
    check_time_roundtrip(&t, "tm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_flags_and_format_strings() {
    let (_e, t) = target().await;
    check_short_flags_and_formats(&t, "sf").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_last() {
    let (_e, t) = target().await;
    check_last(&t, "tl").await;
}

/// Item 7: topic names complete from the broker, through the generated bash script run by
/// bash and through the fish protocol; a dead broker completes nothing, silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_offer_topics_from_the_broker() {
    let (_e, t) = target().await;
    for topic in ["cpl/orders", "cpl/payments", "other/x"] {
        ok(&swmq(&t, &["publish", topic, "v"]).await, topic);
    }
    ok(
        &swmq(&t, &["chan", "publish", "nightly", "v"]).await,
        "chan",
    );
    let fish = |words: &[&str], env_broker: &str| {
        let mut c = command(&t, &["--"]);
        c.args(words)
            .env("_SWMQ_COMPLETE", "fish")
            .env("SWMQ_BROKER", env_broker);
        c
    };
    let run = |mut c: std::process::Command| async move {
        let out = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        ok(&out, "complete")
    };
    let got = run(fish(&["swmq", "tail", "cpl/"], &t.broker)).await;
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        ["cpl/orders", "cpl/payments"]
    );
    let got = run(fish(&["swmq", "delete", ""], &t.broker)).await;
    for name in ["cpl/orders", "other/x", "chan/nightly"] {
        assert!(got.lines().any(|l| l == name), "{name} in {got}");
    }
    let got = run(fish(&["swmq", "chan", "read", "ni"], &t.broker)).await;
    assert_eq!(got.trim_end(), "nightly");
    // --broker on the line being completed wins over SWMQ_BROKER.
    let dead = format!("127.0.0.1:{}", support::free_port());
    let got = run(fish(
        &["swmq", "--broker", &t.broker, "tail", "cpl/o"],
        &dead,
    ))
    .await;
    assert_eq!(got.trim_end(), "cpl/orders");
    let started = std::time::Instant::now();
    let got = run(fish(&["swmq", "tail", "cpl/"], &dead)).await;
    assert_eq!(got, "");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // The bash script itself, sourced and called the way bash calls it on Tab.
    let script = ok(
        &swmq(&t, &["completions", "bash"]).await,
        "completions bash",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("swmq.bash");
    std::fs::write(&path, script).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(swmq tail cpl/p); COMP_CWORD=2; COMP_TYPE=9; \
         _clap_complete_swmq swmq cpl/p tail; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let mut c = std::process::Command::new("bash");
    c.args(["--norc", "-c", &probe])
        .env("SWMQ_BROKER", &t.broker);
    let got = run(c).await;
    assert_eq!(got.trim_end(), "cpl/payments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grep_is_the_tui_matcher_and_utc_times_are_utc() {
    let (_e, t) = target().await;
    check_grep_matcher_and_utc_times(&t, "gm").await;
}
