use proptest::prelude::*;

use super::*;

fn link(ns: &str, t: &str) -> Link {
    Link {
        broker: "localhost:17777".into(),
        topic: TopicName::new(ns, t).unwrap(),
        ts_ns: 1_795_743_111_000_000_123,
        partition: 3,
        offset: Some(17),
        protocol: None,
        tls: false,
        filer: None,
    }
}

#[test]
fn formats_the_documented_shape() {
    let l = link("shop", "orders");
    assert_eq!(
        l.to_string(),
        "swmq://localhost:17777/shop/orders?ts=2026-11-27T01:31:51.000000123Z&partition=3&offset=17"
    );
    let l = Link {
        offset: None,
        protocol: Some(Protocol::Mq),
        tls: true,
        filer: Some("f.example:18888".into()),
        ..link("a b", "x%y")
    };
    let s = l.to_string();
    assert_eq!(
        s,
        "swmq://localhost:17777/a%20b/x%25y?ts=2026-11-27T01:31:51.000000123Z&partition=3\
         &protocol=mq&tls=1&filer=f.example:18888"
    );
    assert_eq!(Link::parse(&s).unwrap(), l);
}

#[test]
fn accepts_other_offsets_integer_ns_and_ipv6() {
    let l =
        Link::parse("  SWMQ://[::1]:1/n/t?partition=0&ts=2026-11-27T02:31:51.000000123%2B01:00  ")
            .unwrap();
    assert_eq!(l.broker, "[::1]:1");
    assert_eq!(l.ts_ns, 1_795_743_111_000_000_123);
    let l = Link::parse("swmq://h:2/n/t?ts=1795743111000000123&partition=0").unwrap();
    assert_eq!(l.ts_ns, 1_795_743_111_000_000_123);
}

#[test]
fn hostile_input_is_refused_naming_the_part() {
    let ok = "swmq://h:1/n/t?ts=2026-11-26T23:31:51Z&partition=0";
    assert!(Link::parse(ok).is_ok());
    let cases: &[(&str, &str)] = &[
        ("", "does not start with swmq://"),
        (
            "http://h:1/n/t?ts=1&partition=0",
            "does not start with swmq://",
        ),
        ("swmq://h/n/t?ts=1&partition=0", "has no :PORT"),
        ("swmq://h:0/n/t?ts=1&partition=0", "port \"0\""),
        ("swmq://h:99999/n/t?ts=1&partition=0", "port \"99999\""),
        ("swmq://h:+1/n/t?ts=1&partition=0", "port \"+1\""),
        ("swmq://u@h:1/n/t?ts=1&partition=0", "host \"u@h\""),
        ("swmq://:1/n/t?ts=1&partition=0", "host \"\""),
        ("swmq://h:1", "no NS/TOPIC"),
        ("swmq://h:1/n/t", "no ?ts="),
        ("swmq://h:1/n?ts=1&partition=0", "not NS/TOPIC"),
        ("swmq://h:1/n/t/u?ts=1&partition=0", "not NS/TOPIC"),
        ("swmq://h:1/n/?ts=1&partition=0", "empty"),
        ("swmq://h:1/n/..?ts=1&partition=0", "not a name"),
        ("swmq://h:1/n/a%2Fb?ts=1&partition=0", "contains '/'"),
        ("swmq://h:1/n/a%1Bb?ts=1&partition=0", "control character"),
        (
            "swmq://h:1/n/a%E2%80%AEb?ts=1&partition=0",
            "invisible Unicode character",
        ),
        ("swmq://h:1/n/a%FF?ts=1&partition=0", "not UTF-8"),
        ("swmq://h:1/n/a%G1?ts=1&partition=0", "bad %-escape"),
        ("swmq://h:1/n/a%2?ts=1&partition=0", "bad %-escape"),
        ("swmq://h:1/n/t?partition=0", "no ts="),
        ("swmq://h:1/n/t?ts=1", "no partition="),
        ("swmq://h:1/n/t?ts=yesterday&partition=0", "not an RFC 3339"),
        (
            "swmq://h:1/n/t?ts=99999999999999999999&partition=0",
            "out of range",
        ),
        ("swmq://h:1/n/t?ts=1&partition=-1", "partition \"-1\""),
        ("swmq://h:1/n/t?ts=1&partition=x", "partition \"x\""),
        ("swmq://h:1/n/t?ts=1&partition=0&offset=-3", "offset \"-3\""),
        ("swmq://h:1/n/t?ts=1&partition=0&partition=1", "given twice"),
        (
            "swmq://h:1/n/t?ts=1&partition=0&partiton=1",
            "unknown parameter \"partiton\"",
        ),
        (
            "swmq://h:1/n/t?ts=1&partition=0&protocol=kafka",
            "not mq or legacy",
        ),
        ("swmq://h:1/n/t?ts=1&partition=0&tls=yes", "not 1 or 0"),
        (
            "swmq://h:1/n/t?ts=1&partition=0&filer=x",
            "filer \"x\" has no :PORT",
        ),
        ("swmq://h:1/n/t?ts=1&partition=0#x", "fragment"),
    ];
    for (input, want) in cases {
        let e = Link::parse(input).expect_err(input).to_string();
        assert!(e.starts_with("invalid link: "), "{input}: {e}");
        assert!(e.contains(want), "{input}: {e} (want {want:?})");
        assert!(!e.contains('\u{1b}') && !e.contains('\u{202e}'), "{e:?}");
    }
    let long = format!("swmq://h:1/n/{}?ts=1&partition=0", "a".repeat(5000));
    assert!(
        Link::parse(&long)
            .unwrap_err()
            .to_string()
            .contains("longer than 4096")
    );
}

fn name() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("a valid name", |s| crate::names::name_problem(s).is_none())
}

proptest! {
    #[test]
    fn round_trips_any_valid_position(
        ns in name(),
        t in name(),
        ts in any::<i64>(),
        partition in 0..i32::MAX,
        offset in proptest::option::of(0..i64::MAX),
        tls in any::<bool>(),
        proto in proptest::option::of(prop_oneof![Just(Protocol::Mq), Just(Protocol::Legacy)]),
    ) {
        let l = Link {
            broker: "broker-1.example:17777".into(),
            topic: TopicName::new(&ns, &t).unwrap(),
            ts_ns: ts,
            partition,
            offset,
            protocol: proto,
            tls,
            filer: tls.then(|| "[fe80::1]:18888".to_string()),
        };
        let s = l.to_string();
        prop_assert!(s.is_ascii() && !s.contains(char::is_whitespace), "{}", s);
        prop_assert_eq!(Link::parse(&s).unwrap(), l);
    }

    /// Fuzz target (issue 9): valid links with random damage (a character replaced,
    /// removed or inserted; pieces of the link grammar spliced in). No panic; an error is
    /// one line of bounded length, whatever the input.
    #[test]
    fn damaged_links_never_panic_and_errors_stay_short(
        ns in name(), t in name(), ts in any::<i64>(), partition in 0..i32::MAX,
        edits in prop::collection::vec((any::<usize>(), prop_oneof![
            any::<char>().prop_map(|c| c.to_string()),
            prop::sample::select(vec!["%", "%ZZ", "%00", "%2F", "?", "&", "=", "/", ":", "[", "]",
                "ts=", "partition=", "offset=", "filer=", "tls=1", "protocol=mq", "#", " ",
                "\u{202e}", "99999999999999999999"]).prop_map(str::to_string),
            Just(String::new()),
        ]), 1..4),
    ) {
        let l = Link {
            broker: "b:1".into(),
            topic: TopicName::new(&ns, &t).unwrap(),
            ts_ns: ts,
            partition,
            offset: Some(7),
            protocol: None,
            tls: false,
            filer: None,
        };
        let mut s: Vec<char> = l.to_string().chars().collect();
        for (at, piece) in &edits {
            let at = at % (s.len() + 1);
            if piece.is_empty() {
                if at < s.len() { s.remove(at); }
            } else {
                let tail = s.split_off(at);
                s.extend(piece.chars());
                s.extend(tail);
            }
        }
        let s: String = s.into_iter().collect();
        if let Err(e) = Link::parse(&s) {
            let e = e.to_string();
            prop_assert!(!e.contains('\n') && e.chars().count() <= 600, "{}", e);
        }
    }

    #[test]
    fn never_panics_on_any_input(s in any::<String>()) {
        let _ = Link::parse(&s);
        let _ = Link::parse(&format!("swmq://h:1/{s}"));
        let _ = Link::parse(&format!("swmq://h:1/n/t?{s}"));
    }
}

#[test]
fn positions_outside_the_topic_are_named() {
    use crate::client::{PartitionInfo, TopicInfo};
    let l = link("shop", "orders");
    let part = |id, first, last| PartitionInfo {
        id,
        first_ts_ns: Some(first),
        last_ts_ns: Some(last),
        ..Default::default()
    };
    let mut info = TopicInfo::bare(l.topic.clone());
    assert_eq!(
        position_problem(&l, &info, true),
        None,
        "nothing known: no claim"
    );
    info.partitions = vec![
        part(0, l.ts_ns - 10, l.ts_ns + 10),
        part(3, l.ts_ns, l.ts_ns),
    ];
    assert_eq!(position_problem(&l, &info, true), None);
    info.partitions = vec![part(3, l.ts_ns + 1, l.ts_ns + 10)];
    let p = position_problem(&l, &info, true).unwrap();
    assert!(
        p.contains("before shop/orders's first record") && p.contains("gone"),
        "{p}"
    );
    info.partitions = vec![part(3, l.ts_ns - 10, l.ts_ns - 1)];
    let p = position_problem(&l, &info, true).unwrap();
    assert!(p.contains("after shop/orders's last record"), "{p}");
    info.partitions = vec![part(0, l.ts_ns - 10, l.ts_ns + 1)];
    let p = position_problem(&l, &info, true).unwrap();
    assert!(p.contains("has no partition 3"), "{p}");
}
