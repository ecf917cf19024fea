//! `swmq grep` end to end through the binary, shared by the embedded-broker and the
//! weed 4.48 test binaries: the same records and formats as `tail --grep`, in time
//! order across partitions, no progress line when stderr is not a terminal, the exit
//! codes (0 found, 1 nothing matched, 2 bad pattern), --max, ranges and partitions.
#![allow(dead_code)]

use crate::cli_common::*;

/// 300 values round robin over 3 partitions: needles at the first (p0) and the last (p2)
/// record, a capitalised one in the middle (p0); on 2.x a needle in a header too.
pub async fn seed(t: &Target, topic: &str) -> usize {
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

pub async fn check_grep_cli(t: &Target, ns: &str) {
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
    // First and last record, across partitions, in time order.
    let got = lines_of(t, &["grep", &topic, "needle", "-f", "%p %s"]).await;
    assert_eq!(got[..2], ["0 needle first", "2 the last needle"], "{got:?}");
    if t.is_legacy() {
        // The header's record came last.
        assert!(got.len() == 3 && got[2].ends_with(" plain"), "{got:?}");
        let header = lines_of(t, &["grep", &topic, "needle-h", "-f", "%k"]).await;
        assert_eq!(header, ["hk"]);
    } else {
        assert_eq!(got.len(), 2, "{got:?}");
    }
    // --max, a range and a partition.
    let got = lines_of(t, &["grep", &topic, "needle", "-i", "-m", "2", "-f", "%s"]).await;
    assert_eq!(got, ["needle first", "middle NEEDLE"]);
    let got = lines_of(t, &["grep", &topic, "needle", "-p", "2", "-f", "%s"]).await;
    assert_eq!(got, ["the last needle"]);
    let all = read_all(t, &topic, &[]).await;
    let middle = all.iter().find(|r| r["value"] == "middle NEEDLE").unwrap();
    let at = middle["time"].as_str().unwrap();
    let got = lines_of(
        t,
        &["grep", &topic, "needle", "-i", "--from", at, "-f", "%s"],
    )
    .await;
    assert_eq!(got[0], "middle NEEDLE");
    let got = lines_of(
        t,
        &["grep", &topic, "needle", "-i", "--until", at, "-f", "%s"],
    )
    .await;
    assert_eq!(got, ["needle first", "middle NEEDLE"]);
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
