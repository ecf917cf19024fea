//! Checks of the kcat/rpk/jq conventions (issue 13, CLI items): strict JSON input, partition
//! ranges, partitioners, exact `.time`, short flags and format strings, `tail --last`.

use std::collections::BTreeMap;

use super::*;

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// Partitions of the records, counted.
fn per_partition(records: &[Value]) -> BTreeMap<i64, usize> {
    let mut m = BTreeMap::new();
    for r in records {
        *m.entry(r["partition"].as_i64().unwrap()).or_default() += 1;
    }
    m
}

/// Item 1: `--input json` takes tail envelopes only; a plain JSON line is a usage error
/// naming the line and nothing is published; JSON documents are values under the default
/// text input.
pub(crate) async fn check_json_input_is_strict(t: &Target, ns: &str) {
    let topic = format!("{ns}/strict");
    ok(
        &swmq(t, &["publish", &topic, "--partitions", "1", "seed"]).await,
        "seed",
    );
    read_n(t, &topic, 1).await;
    let input = b"{\"value\":\"fine\"}\n\n{\"user\":\"u-1\"}\n{\"value\":\"late\"}\n".to_vec();
    let out = swmq_in(t, &["publish", &topic, "--input", "json"], Some(input)).await;
    let err = fails(&out, 2, "plain JSON under --input json");
    assert!(
        err.contains("stdin: line 3") && err.contains("\"user\"") && err.contains("nothing"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.jsonl");
    std::fs::write(&path, "{\"value\":\"a\"}\n{\"key\":\"k\"}\n").unwrap();
    let p = path.to_str().unwrap();
    let out = swmq(t, &["publish", &topic, "--input", "json", "--file", p]).await;
    let err = fails(&out, 2, "envelope without value");
    assert!(
        err.contains("orders.jsonl: line 2") && err.contains("no \"value\""),
        "{err}"
    );
    std::fs::write(&path, "[1,2]\n").unwrap();
    let out = swmq(t, &["publish", &topic, "--input", "json", "--file", p]).await;
    assert!(fails(&out, 2, "array").contains("line 1"));
    // Nothing of the bad inputs was published.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(read_all(t, &topic, &[]).await.len(), 1);
    // JSON documents are ordinary values under the default text input: one line, one value.
    let docs = "{\"user\":\"u-1\"}\n{\"user\":\"u-2\",\"n\":[1,2]}\n";
    let out = swmq_in(t, &["publish", &topic], Some(docs.as_bytes().to_vec())).await;
    assert!(ok(&out, "json docs as text").starts_with("published 2 messages"));
    let got = read_n(t, &topic, 3).await;
    let values: Vec<&str> = got.iter().map(|v| v["value"].as_str().unwrap()).collect();
    assert_eq!(values[1..], lines(docs)[..]);
}

/// Item 2: a partition beyond the last names the inclusive range.
pub(crate) async fn check_partition_range_message(t: &Target, ns: &str) {
    let topic = format!("{ns}/four");
    ok(
        &swmq(t, &["publish", &topic, "--partitions", "4", "x"]).await,
        "create with 4",
    );
    read_n(t, &topic, 1).await;
    let out = swmq(t, &["tail", &topic, "-p", "4", "-e"]).await;
    let err = fails(&out, 2, "partition 4 of 4");
    assert!(err.contains("has partitions 0..3"), "{err}");
    assert!(!err.contains("0..4"), "{err}");
}

/// Item 3: `--partitioner`. `hash` is the protocol's own client rule: on 4.x the Go client
/// hashes the empty key like any other (weed/mq/client/pub_client/publish.go, doPublish:
/// `hashKey := util.HashToInt32(key) % pub_balancer.MaxPartitionCount`, negated when
/// negative; MD5("") gives slot 63, in the first partition's range [0, 630)), so unkeyed
/// messages all go to partition 0; the 2.x msgclient sends unkeyed messages round robin.
pub(crate) async fn check_partitioners(t: &Target, ns: &str) {
    // Long by design: one end-to-end scenario, read top to bottom.
    let hash = format!("{ns}/hash");
    let eight = "a\nb\nc\nd\ne\nf\ng\nh\n".as_bytes().to_vec();
    let out = swmq_in(
        t,
        &["publish", &hash, "--partitions", "4"],
        Some(eight.clone()),
    )
    .await;
    let summary = ok(&out, "hash unkeyed");
    let got = per_partition(&read_n(t, &hash, 8).await);
    if t.is_legacy() {
        assert_eq!(
            got.values().collect::<Vec<_>>(),
            [&2, &2, &2, &2],
            "{summary}"
        );
    } else {
        assert_eq!(got, BTreeMap::from([(0, 8)]), "{summary}");
    }
    // The same key always lands in the same partition.
    let out = swmq(t, &["publish", &hash, "-k", "cust-7", "-c", "5", "v"]).await;
    let s = ok(&out, "hash keyed");
    assert!(
        s.contains("published 5 messages") && s.matches(": 5").count() == 1,
        "{s}"
    );

    let rr = format!("{ns}/rr");
    let args = [
        "publish",
        &rr,
        "--partitions",
        "4",
        "--partitioner",
        "round-robin",
    ];
    let out = swmq_in(t, &args, Some(eight.clone())).await;
    let s = ok(&out, "round-robin");
    assert!(s.contains("(p0: 2, p1: 2, p2: 2, p3: 2)"), "{s}");
    let got = per_partition(&read_n(t, &rr, 8).await);
    assert_eq!(got, BTreeMap::from([(0, 2), (1, 2), (2, 2), (3, 2)]));
    // Round robin ignores keys too.
    let out = swmq(
        t,
        &[
            "publish",
            &rr,
            "--partitioner",
            "round-robin",
            "-k",
            "same",
            "x",
            "y",
            "z",
            "w",
        ],
    )
    .await;
    assert!(ok(&out, "rr keyed").contains("(p0: 1, p1: 1, p2: 1, p3: 1)"));

    let random = format!("{ns}/random");
    let many: String = (0..200).map(|i| format!("m{i}\n")).collect();
    let args = [
        "publish",
        &random,
        "--partitions",
        "4",
        "--partitioner",
        "random",
    ];
    let out = swmq_in(t, &args, Some(many.into_bytes())).await;
    ok(&out, "random");
    let got = per_partition(&read_n(t, &random, 200).await);
    // P(a partition gets none of 200) = 4 * 0.75^200 < 1e-24.
    assert_eq!(got.len(), 4, "{got:?}");

    let out = swmq(t, &["publish", &random, "--partitioner", "modulo", "x"]).await;
    let err = fails(&out, 2, "unknown partitioner");
    assert!(err.contains("round-robin"), "{err}");
}

/// Item 4: `.time` goes back into `--from` exactly; `ts_ns` is what jq 1.6 rounds.
pub(crate) async fn check_time_roundtrip(t: &Target, ns: &str) {
    let topic = format!("{ns}/times");
    let five = "r0\nr1\nr2\nr3\nr4\n".as_bytes().to_vec();
    let out = swmq_in(t, &["publish", &topic, "--partitions", "1"], Some(five)).await;
    ok(&out, "publish five");
    let all = read_n(t, &topic, 5).await;
    for (i, rec) in all.iter().enumerate().skip(1) {
        let time = rec["time"].as_str().unwrap();
        let from = read_all(t, &topic, &["--from", time]).await;
        assert_eq!(from.len(), 5 - i, "--from {time}");
        assert_eq!(from[0]["ts_ns"], rec["ts_ns"], "--from {time}");
        let one = read_all(t, &topic, &["--from", time, "--until", time]).await;
        assert_eq!(one.len(), 1, "--from/--until {time}");
        assert_eq!(one[0]["value"], rec["value"]);
    }
    // jq 1.6 reads numbers as doubles: ts_ns comes out rounded, .time comes out exact.
    let ts = all[2]["ts_ns"].as_i64().unwrap();
    if let Ok(jq) = std::process::Command::new("jq")
        .args(["-r", ".ts_ns, .time"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        let mut jq = jq;
        let line = serde_json::to_string(&all[2]).unwrap();
        std::io::Write::write_all(jq.stdin.as_mut().unwrap(), line.as_bytes()).unwrap();
        drop(jq.stdin.take());
        let out = jq.wait_with_output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut it = text.lines();
        let jq_ts = it.next().unwrap_or_default();
        let jq_time = it.next().unwrap_or_default();
        assert_eq!(jq_time, all[2]["time"].as_str().unwrap());
        let from = read_all(t, &topic, &["--from", jq_time]).await;
        assert_eq!(from[0]["ts_ns"].as_i64(), Some(ts));
        eprintln!("jq: ts_ns {ts} printed as {jq_ts}");
    }
}

/// Item 5: short flags and format strings.
pub(crate) async fn check_short_flags_and_formats(t: &Target, ns: &str) {
    let topic = format!("{ns}/fmt");
    let value = r#"{"customer":{"city":"Lyon"},"items":[{"sku":"A-17"}],"n":3}"#;
    let mut args = vec![
        "publish",
        &topic,
        "--partitions",
        "2",
        "-k",
        "ord-1",
        "-c",
        "2",
    ];
    if t.is_legacy() {
        args.extend(["-H", "ct=json"]);
    }
    args.push(value);
    ok(&swmq(t, &args).await, "publish with short flags");
    ok(
        &swmq(
            t,
            &["publish", &topic, "-k", "ord-2", "line1\nline2\t\u{1b}[31m"],
        )
        .await,
        "publish hostile",
    );
    let json = read_n(t, &topic, 3).await;
    let out = swmq(
        t,
        &[
            "tail",
            &topic,
            "-o",
            "earliest",
            "-e",
            "-f",
            "%T|%n|%p|%o|%k|%K|%S|%{.customer.city}|%{.items[0].sku}|%{.n}|%{.none}|%{h:ct}|%t",
        ],
    )
    .await;
    let text = ok(&out, "format string");
    let got = lines(&text);
    assert_eq!(got.len(), 3, "{text}");
    for (line, j) in got.iter().zip(&json) {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f[0], j["time"].as_str().unwrap());
        assert_eq!(f[1], j["ts_ns"].to_string());
        assert_eq!(f[2], j["partition"].to_string());
        let key = j["key"].as_str().unwrap();
        assert_eq!(f[4], key);
        assert_eq!(f[12], topic);
        if key == "ord-1" {
            assert_eq!(
                f[5..11],
                ["5", &value.len().to_string(), "Lyon", "A-17", "3", "null"]
            );
            assert_eq!(f[11], if t.is_legacy() { "json" } else { "" });
        } else {
            // Not JSON: projections are empty; the value would be escaped by %s.
            assert_eq!(f[7..11], ["", "", "", ""]);
        }
    }
    let out = swmq(
        t,
        &["tail", &topic, "-o", "earliest", "-e", "-f", "%s", "-k"],
    )
    .await;
    fails(&out, 2, "-k is not a tail flag");
    let out = swmq(t, &["tail", &topic, "-o", "earliest", "-e", "-f", "<%s>"]).await;
    let text = ok(&out, "%s");
    assert!(text.contains("<line1\\nline2\\t\\x1b[31m>"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");
    // -c counts, -p selects a partition.
    let out = swmq(
        t,
        &[
            "tail", &topic, "-o", "earliest", "-e", "-c", "1", "-f", "%k",
        ],
    )
    .await;
    assert_eq!(ok(&out, "-c 1").lines().count(), 1);
    let p = json[0]["partition"].to_string();
    let out = swmq(
        t,
        &["tail", &topic, "-o", "earliest", "-e", "-p", &p, "-f", "%p"],
    )
    .await;
    let text = ok(&out, "-p");
    assert!(!text.is_empty() && text.lines().all(|l| l == p), "{text}");
    // A bad format string is a usage error naming the directive.
    let out = swmq(t, &["tail", &topic, "-e", "-f", "%T %q"]).await;
    assert!(fails(&out, 2, "bad directive").contains("%q"));
    let out = swmq(t, &["tail", &topic, "-e", "-f", "yaml"]).await;
    assert!(fails(&out, 2, "bad format").contains("format string"));
}

/// Item 6: `tail --last N` over several partitions, with --grep, then stop or follow.
pub(crate) async fn check_last(t: &Target, ns: &str) {
    let topic = format!("{ns}/last");
    let input: String = (0..60).map(|i| format!("v{i:02}\n")).collect();
    let args = [
        "publish",
        &topic,
        "--partitions",
        "3",
        "--partitioner",
        "round-robin",
    ];
    ok(
        &swmq_in(t, &args, Some(input.into_bytes())).await,
        "publish 60",
    );
    let all = read_n(t, &topic, 60).await;
    let values: Vec<&str> = all.iter().map(|v| v["value"].as_str().unwrap()).collect();
    let mut c = command(t, &["tail", &topic, "--last", "7", "-e", "-f", "%s"]);
    c.env("SWMQ_LOG", "swmq::cli::last=debug");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let text = ok(&out, "--last 7");
    assert_eq!(lines(&text), values[53..], "last 7 in time order");
    // The read did not start at the first record: a bounded window was enough. (On 4.x the
    // time bounds come from flushed log files, which a fresh topic may not have yet: there
    // --last may start from the earliest, as seen in a fresh-clone CI run.)
    let log = String::from_utf8_lossy(&out.stderr);
    let first_window = log
        .lines()
        .find(|l| l.contains("reading a window"))
        .unwrap_or("");
    assert!(!t.is_legacy() || first_window.contains("At("), "{log}");
    // More than there is: everything. With --grep: the last matching ones.
    let out = swmq(t, &["tail", &topic, "--last", "500", "-e", "-f", "%s"]).await;
    assert_eq!(lines(&ok(&out, "--last 500")), values);
    let out = swmq(
        t,
        &[
            "tail", &topic, "--last", "3", "-e", "--grep", "^v1", "-f", "%s",
        ],
    )
    .await;
    let ones: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| v.starts_with("v1"))
        .collect();
    assert_eq!(lines(&ok(&out, "--last --grep")), ones[ones.len() - 3..]);
    let out = swmq(
        t,
        &[
            "tail", &topic, "--last", "2", "-e", "-p", "1", "-f", "%p %s",
        ],
    )
    .await;
    let want: Vec<String> = all
        .iter()
        .filter(|v| v["partition"] == 1)
        .map(|v| format!("1 {}", v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(lines(&ok(&out, "--last -p 1")), want[want.len() - 2..]);
    // With --until: the last N at or before it.
    let until = all[9]["time"].as_str().unwrap();
    let args = ["tail", &topic, "--last", "3", "--until", until, "-f", "%s"];
    assert_eq!(
        lines(&ok(&swmq(t, &args).await, "--last --until")),
        values[7..10]
    );
    let out = swmq(t, &["tail", &topic, "--last", "0", "-e"]).await;
    fails(&out, 2, "--last 0");
    // Follow: the last 2, then what is published next.
    let (mut child, mut rx) = spawn_lines(t, &["tail", &topic, "--last", "2", "-f", "%s"]);
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a line")
            .unwrap()
    };
    let a = next().await;
    let b = next().await;
    assert_eq!([a.as_str(), b.as_str()], values[58..]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    ok(
        &swmq(t, &["publish", &topic, "live-1"]).await,
        "publish live",
    );
    assert_eq!(next().await, "live-1");
    let _ = child.kill();
    let _ = child.wait();
}

/// Item 6 of the TUI list, CLI side: `--grep` is the TUI's matcher (key, value and header
/// values; `-F` literal, `-i` any case); and a time without a zone under `--utc` is UTC.
pub(crate) async fn check_grep_matcher_and_utc_times(t: &Target, ns: &str) {
    let topic = format!("{ns}/grep");
    let publish = |args: Vec<&str>| {
        let mut v = vec!["publish", topic.as_str(), "--partitions", "1"];
        v.extend(args);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    for args in [
        publish(vec!["-k", "k-1", "-H", "trace=needle-7", "plain"]),
        publish(vec!["-k", "k-2", "a.b"]),
        publish(vec!["-k", "k-3", "axb"]),
        publish(vec!["-k", "K-4", "Shout"]),
    ] {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&swmq(t, &a).await, "publish");
    }
    let keys = |extra: &[&str]| {
        let mut a = vec!["tail", topic.as_str(), "-o", "earliest", "-e", "-f", "%k"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| async move {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(&swmq(t, &a).await, "tail --grep")
    };
    // A header value matches (the old --grep looked at key and value only).
    assert_eq!(run(keys(&["--grep", "needle-[0-9]"])).await.trim(), "k-1");
    // A regex: `a.b` also matches `axb`; -F makes it literal.
    assert_eq!(
        lines(&run(keys(&["--grep", "^a.b$"])).await),
        vec!["k-2", "k-3"]
    );
    assert_eq!(run(keys(&["--grep", "a.b", "-F"])).await.trim(), "k-2");
    // Case: exact by default, -i ignores it (keys match too).
    assert_eq!(run(keys(&["--grep", "shout"])).await.trim(), "");
    assert_eq!(run(keys(&["--grep", "shout", "-i"])).await.trim(), "K-4");
    // A bad regex is a usage error naming it.
    let bad = swmq(t, &["tail", &topic, "-e", "--grep", "("]).await;
    assert!(fails(&bad, 2, "bad regex").contains("invalid regex"));
    // --utc: a time as printed without its zone is UTC.
    let all = read_all(t, &topic, &[]).await;
    let third = all[2]["time"]
        .as_str()
        .unwrap()
        .trim_end_matches('Z')
        .replace('T', " ");
    let utc = [
        "tail",
        topic.as_str(),
        "-e",
        "-f",
        "%k",
        "--utc",
        "--from",
        &third,
    ];
    let out = run(utc.iter().map(|s| s.to_string()).collect()).await;
    assert_eq!(lines(&out), vec!["k-3", "K-4"], "from {third}");
}
