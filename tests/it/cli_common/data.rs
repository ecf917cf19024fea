//! Checks of what the commands print: status, the JSON round trip, time ranges, tables.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use super::*;

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
pub(crate) async fn check_status(t: &Target) {
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
pub(crate) async fn check_json_roundtrip(t: &Target, ns: &str) {
    // Long by design: one end-to-end scenario, read top to bottom.
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
pub(crate) async fn check_time_ranges(t: &Target, ns: &str) {
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
    // `--from T --count N`: the first N at or after T (4.x readers stop after N each).
    for n in [1usize, 4] {
        let args = ["--from", &cut.to_string(), "--count", &n.to_string()];
        let got: Vec<i64> = read_all(t, &topic, &args)
            .await
            .iter()
            .map(|v| v["ts_ns"].as_i64().unwrap())
            .collect();
        assert_eq!(got, want[..n].to_vec(), "--from {cut} --count {n}");
    }
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
pub(crate) async fn check_topics_describe(t: &Target, ns: &str) {
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
