//! Unit tests of the tables.

use super::*;
use crate::client::{RingRange, TopicName};

fn topic(name: &str, parts: usize) -> TopicInfo {
    let mut t = TopicInfo::bare(TopicName::parse(name).unwrap());
    t.partitions = (0..parts as i32)
        .map(|id| PartitionInfo {
            id,
            message_count: Some(12_345_678),
            bytes: Some(3 << 30),
            first_ts_ns: Some(1_764_198_652_123_456_789),
            last_ts_ns: Some(1_764_208_652_123_456_789),
            ring: Some(RingRange {
                ring_size: 2520,
                range_start: id * 630,
                range_stop: (id + 1) * 630,
                unix_time_ns: 0,
            }),
            leader: Some("a-rather-long-broker-host.example.internal:17777".into()),
            ..Default::default()
        })
        .collect();
    t
}

#[test]
fn topics_fit_80_columns() {
    let long = format!("ns/{}", "x".repeat(120));
    let ts = [
        topic("demo/orders", 4),
        topic(&long, 1),
        TopicInfo::bare(TopicName::parse("a/b").unwrap()),
    ];
    let lines = topics_table(&ts, true, false);
    assert_eq!(lines.len(), 4);
    for l in &lines {
        assert!(l.chars().count() <= 80, "{} > 80: {l}", l.chars().count());
    }
    assert!(lines[0].starts_with("TOPIC"), "{}", lines[0]);
    assert!(
        lines[1].contains("demo/orders") && lines[1].contains("49.4M"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("12.0 GiB") && lines[1].contains("11-26 23:10"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains('…'));
    assert!(lines[3].contains(" -"));
}

#[test]
fn describe_fits_80_columns_with_histogram() {
    for buckets in [10usize, 60, 200] {
        let d = TopicDescription {
            info: topic("demo/orders", 4),
            histogram: Some(Histogram {
                start_ns: 1_764_198_652_000_000_000,
                stop_ns: 1_764_198_652_000_000_000 + 3_600_000_000_000,
                counts: (0..buckets as u64).map(|i| i * 3 % 17).collect(),
                unit: HistogramUnit::Messages,
            }),
        };
        let lines = describe_table(&d, "SeaweedFS MQ 4.x", true);
        for l in &lines {
            assert!(l.chars().count() <= 80, "{} > 80: {l}", l.chars().count());
        }
        assert!(lines.iter().any(|l| l.starts_with("messages per")));
        assert!(lines.iter().any(|l| l.contains("LEADER")));
    }
}

#[test]
fn sparkline_and_groups() {
    assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
    assert_eq!(group(0), "0");
    assert_eq!(group(1_234), "1,234");
    assert_eq!(group(48_213_001), "48,213,001");
    assert_eq!(truncate("abcdef", 4), "abc…");
}

#[test]
fn cells_are_cut_and_padded_by_terminal_columns() {
    use unicode_width::UnicodeWidthStr;
    // 9 CJK characters are 18 columns: cut to 7 columns they are 3 characters and `…`.
    assert_eq!(truncate("日本語のメッセージ", 7), "日本語…");
    assert_eq!(truncate("日本語のメッセージ", 7).width(), 7);
    assert!(truncate(&"鍵🔑".repeat(40), 20).width() <= 20);
    let cols = [col("NAME", false), col("N", true)];
    let rows = vec![
        vec!["日本語/注文".to_string(), "1".to_string()],
        vec!["ascii/orders".to_string(), "22".to_string()],
    ];
    let lines = render(&cols, &rows, 0, 80);
    // Every row's count ends in the same column although the names differ in chars.
    let ends: Vec<usize> = lines.iter().map(|l| l.width()).collect();
    assert_eq!(ends, vec![ends[0]; 3], "{lines:#?}");
    // A line that must shrink fits the width in columns, not in characters.
    let wide = vec![vec!["日".repeat(60), "1".to_string()]];
    for l in render(&cols, &wide, 0, 40) {
        assert!(l.width() <= 40, "{l:?} is {} columns", l.width());
    }
}

#[test]
fn histogram_labels_distinct_at_every_span() {
    assert_eq!(precise_duration(375_000), "375µs");
    assert_eq!(precise_duration(1_500_000), "1.5ms");
    assert_eq!(precise_duration(514_285_714_285), "8m34s");
    assert_eq!(precise_duration(60_000_000_000), "1m");
    assert_eq!(precise_duration(400), "400ns");
    assert_eq!(precise_duration(0), "0s");
    let mut short = topic("w/a", 1);
    short.partitions[0].last_ts_ns = Some(1_764_198_652_123_456_789 + 19_438);
    short.partitions[0].first_ts_ns = Some(1_764_198_652_123_456_789);
    let d = TopicDescription {
        info: short,
        histogram: None,
    };
    let lines = describe_table(&d, "SeaweedFS MQ 4.x", true);
    assert!(
        lines.iter().any(|l| l.ends_with("(span 19.438µs)")),
        "{lines:?}"
    );
    let h = Histogram {
        start_ns: 1_764_198_652_000_000_000,
        stop_ns: 1_764_198_653_000_000_000,
        counts: vec![1; 60],
        unit: HistogramUnit::Bytes,
    };
    let lines = histogram_lines(&h, true);
    assert!(lines[2].ends_with("23:10:53.000"), "{lines:?}");
    for (span, buckets) in [
        (9_000_000i64, 24usize),
        (9_000_000, 60),
        (900, 10),
        (5_000_000_000, 20),
        (90_000_000_000_000, 300),
        (86_400_000_000_000 * 3, 12),
    ] {
        let h = Histogram {
            start_ns: 1_764_198_652_123_000_000,
            stop_ns: 1_764_198_652_123_000_000 + span,
            counts: vec![1; buckets],
            unit: HistogramUnit::Messages,
        };
        let lines = histogram_lines(&h, true);
        assert!(!lines[0].contains(" 0ms"), "{}", lines[0]);
        for l in &lines {
            assert!(l.chars().count() <= 80, "{} > 80: {l}", l.chars().count());
        }
        if buckets <= 24 {
            let first = lines.iter().position(|l| l.contains("  ")).unwrap();
            let labels: Vec<&str> = lines[first..]
                .iter()
                .map(|l| l.split("  ").next().unwrap())
                .collect();
            let mut uniq = labels.clone();
            uniq.dedup();
            assert_eq!(uniq.len(), labels.len(), "span {span}: {labels:?}");
        }
    }
}

#[test]
fn server_strings_are_escaped_and_invalid_names_marked() {
    for s in crate::format::escape::HOSTILE {
        let mut t = topic("demo/x", 1);
        t.name.name = s.to_string();
        t.partitions[0].leader = Some(s.to_string());
        let d = TopicDescription {
            info: t.clone(),
            histogram: None,
        };
        let lines = [
            topics_table(&[t], true, false),
            describe_table(&d, "x", true),
        ]
        .concat();
        for l in &lines {
            assert!(
                !l.chars().any(crate::format::escape::is_hazard),
                "{s:?}: {l:?}"
            );
        }
        assert!(lines[1].contains("(invalid"), "{s:?}: {:?}", lines[1]);
    }
    let mut t = topic("demo/x", 1);
    t.name.name = " ".into();
    assert!(topics_table(&[t], true, false)[1].contains("(invalid"));
}

#[test]
fn hostile_numbers_never_overflow() {
    let h = Histogram {
        start_ns: i64::MIN,
        stop_ns: i64::MAX,
        counts: vec![u64::MAX, u64::MAX, 1],
        unit: HistogramUnit::Messages,
    };
    let lines = histogram_lines(&h, true);
    assert!(
        lines[1].contains("total 18,446,744,073,709,551,615"),
        "{lines:?}"
    );
    let mut t = topic("demo/x", 1);
    t.partitions[0].first_ts_ns = Some(i64::MIN + 1);
    t.partitions[0].last_ts_ns = Some(i64::MAX);
    t.partitions[0].message_count = Some(u64::MAX);
    let d = TopicDescription {
        info: t,
        histogram: Some(h),
    };
    assert!(!describe_table(&d, "x", true).is_empty());
}
