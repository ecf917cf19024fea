//! `swmq grep` end to end through the binary, shared by the embedded-broker and the
//! weed 4.48 test binaries: the same records and formats as `tail --grep`, in time
//! order across partitions, no progress line when stderr is not a terminal, the exit
//! codes (0 found, 1 nothing matched, 2 bad pattern), --max, ranges and partitions.
#![allow(dead_code)]

use crate::cli_common::*;

/// 300 values round robin over 3 partitions: needles at the first (p0) and the last (p2)
/// record, a capitalised one in the middle (p0); on 2.x a needle in a header too.
pub(crate) async fn seed(t: &Target, topic: &str) -> usize {
    let mut text = String::new();
    for i in 0..300 {
        let line = match i {
            0 => "needle first".to_string(),
            150 => "middle NEEDLE".to_string(),
            299 => "the last needle".to_string(),
            _ => format!("{{\"filler\":{i},\"pad\":\"{}\"}}", "p".repeat(180)),
        };
        text.push_str(&line);
        text.push('\n');
    }
    let args = [
        "publish",
        topic,
        "--partitions",
        "3",
        "--partitioner",
        "round-robin",
    ];
    ok(&swmq_in(t, &args, Some(text.into_bytes())).await, "seed");
    let mut n = 300;
    if t.is_legacy() {
        let args = [
            "publish",
            topic,
            "-k",
            "hk",
            "-H",
            "trace=needle-h",
            "plain",
        ];
        ok(&swmq(t, &args).await, "seed header");
        n += 1;
    }
    read_n(t, topic, n).await;
    n
}

/// `swmq ARGS`, stdout as lines.
async fn lines_of(t: &Target, args: &[&str]) -> Vec<String> {
    let out = swmq(t, args).await;
    let s = ok(&out, &format!("{args:?}"));
    // Not a terminal: no progress line, nothing at all on stderr.
    assert!(out.stderr.is_empty(), "{args:?}: stderr {:?}", out.stderr);
    s.lines().map(str::to_string).collect()
}

pub(crate) async fn check_grep_cli(t: &Target, ns: &str) {
    let topic = format!("{ns}/g");
    seed(t, &topic).await;
    // The same records, in the same format and order, as `tail --grep`.
    for (grep_args, tail_args) in [
        (&["needle"][..], &["--grep", "needle"][..]),
        (&["needle", "-i"], &["--grep", "needle", "-i"]),
        (
            &["^the .ast", "-f", "%p %s"],
            &["--grep", "^the .ast", "-f", "%p %s"],
        ),
        (&["NEEDLE", "-F", "-f", "text"], &["--grep", "NEEDLE", "-F"]),
    ] {
        let mut g = vec!["grep", topic.as_str()];
        g.extend_from_slice(grep_args);
        if !grep_args.contains(&"-f") {
            g.extend(["-f", "json"]);
        }
        let mut tl = vec!["tail", topic.as_str(), "-o", "earliest", "-e"];
        tl.extend_from_slice(tail_args);
        if !tail_args.contains(&"-f") && !grep_args.contains(&"text") {
            tl.extend(["-f", "json"]);
        }
        let got = lines_of(t, &g).await;
        let want = lines_of(t, &tl).await;
        assert!(!got.is_empty(), "{g:?}");
        assert_eq!(got, want, "{g:?} vs {tl:?}");
    }
    // Across partitions in time order (the publish streams race, so the order is the
    // stored timestamps', as tail shows it); on 2.x a header value matches.
    let got = lines_of(t, &["grep", &topic, "needle", "-f", "%p %T %s"]).await;
    let parts: std::collections::BTreeSet<&str> =
        got.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert!(parts.contains("0") && parts.contains("2"), "{got:?}");
    if t.is_legacy() {
        let header = lines_of(t, &["grep", &topic, "needle-h", "-f", "%k"]).await;
        assert_eq!(header, ["hk"]);
    }
    // --max, a range and a partition: what tail --grep prints for the same.
    let all = read_all(t, &topic, &[]).await;
    let middle = all.iter().find(|r| r["value"] == "middle NEEDLE").unwrap();
    let at = middle["time"].as_str().unwrap();
    let tail_i = |extra: &[&str]| {
        let mut v = vec!["tail", topic.as_str(), "-e", "--grep", "needle", "-i"];
        v.extend_from_slice(&["-f", "%s"]);
        if !extra.contains(&"--from") {
            v.extend_from_slice(&["-o", "earliest"]);
        }
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| async move {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        lines_of(t, &a).await
    };
    let base = ["grep", topic.as_str(), "needle", "-i", "-f", "%s"];
    let grep_i = |extra: &[&str]| {
        let mut v: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let everything = run(tail_i(&[])).await;
    assert_eq!(run(grep_i(&["-m", "2"])).await, everything[..2]);
    let p2 = run(grep_i(&["-p", "2"])).await;
    assert_eq!(p2, run(tail_i(&["-p", "2"])).await);
    assert!(p2.contains(&"the last needle".to_string()), "{p2:?}");
    let from = run(grep_i(&["--from", at])).await;
    assert_eq!(from, run(tail_i(&["--from", at])).await);
    assert_eq!(from[0], "middle NEEDLE");
    let until = run(grep_i(&["--until", at])).await;
    assert_eq!(until, run(tail_i(&["--until", at])).await);
    assert_eq!(until.last().unwrap(), "middle NEEDLE");
    // Nothing matched: exit 1, nothing printed (like grep).
    let out = swmq(t, &["grep", &topic, "zebra"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    // A bad pattern: exit 2 naming it; a missing topic: exit 1 naming it.
    let e = fails(&swmq(t, &["grep", &topic, "a(b"]).await, 2, "bad regex");
    assert!(e.contains("a(b") && e.contains("unclosed"), "{e}");
    let missing = format!("{ns}/missing");
    let e = fails(&swmq(t, &["grep", &missing, "x"]).await, 1, "missing");
    assert!(e.contains("missing"), "{e}");
}
