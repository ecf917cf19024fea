//! Fuzzing of the time SPEC parser with proptest (issue 9; see docs/embedded-broker.md,
//! "Fault injection, fuzzing, soak"): any text, and text built from the SPEC grammar's
//! own pieces (digits, separators, zones, units), in UTC, a fixed offset and the local
//! zone. Properties: no panic; an error names the input; every form swmq displays
//! (`format_rfc3339`, `format_datetime_exact`, nanoseconds) parses back to the same
//! instant; a relative SPEC is `now` minus its duration, or an error, never a wrap.
//!
//! Longer runs: `PROPTEST_CASES=N cargo test --lib time::fuzz`.

use chrono::FixedOffset;
use proptest::prelude::*;

use super::*;

/// Text made of the pieces SPECs are made of, so that the parser's deeper branches run.
fn spec_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..10_000).prop_map(|n| format!("{n:04}")),
        (0u32..100).prop_map(|n| format!("{n:02}")),
        prop::sample::select(vec![
            "-",
            ":",
            ".",
            "T",
            "t",
            " ",
            "Z",
            "z",
            "+",
            "+02:00",
            "-23:59",
            "d",
            "h",
            "m",
            "s",
            "ms",
            "us",
            "µs",
            "ns",
            "now",
            "earliest",
            "latest",
            "9999-12-31",
            "1677-09-21",
            "2262-04-11",
            "00:00",
            "23:59:60",
            "24:00",
            "\u{202e}",
            "\0",
            "é",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// Parses in UTC, UTC+05:45 and the local zone; checks the error contract.
fn check(input: &str, now: i64) -> Result<(), TestCaseError> {
    let east = FixedOffset::east_opt(5 * 3600 + 45 * 60).expect("a valid offset");
    for r in [
        parse_spec_tz(input, now, &Utc),
        parse_spec_tz(input, now, &east),
        parse_spec_in(input, now, false),
    ] {
        if let Err(e) = r {
            prop_assert_eq!(&e.input, input);
            prop_assert!(!e.reason.is_empty());
            let shown = e.to_string();
            prop_assert!(shown.contains(&format!("{input:?}")), "{}", shown);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_text_never_panics_and_errors_name_it(s in any::<String>(), now in any::<i64>()) {
        check(&s, now)?;
    }

    #[test]
    fn spec_like_text_never_panics_and_errors_name_it(s in spec_like(), now in any::<i64>()) {
        check(&s, now)?;
        check(&format!("-{s}"), now)?;
    }

    #[test]
    fn displayed_forms_parse_back(ns in any::<i64>(), now in any::<i64>()) {
        prop_assert_eq!(parse_spec_tz(&format_rfc3339(ns), now, &Utc), Ok(TimeSpec::At(ns)));
        prop_assert_eq!(
            parse_spec_in(&format_datetime_exact(ns, true), now, true),
            Ok(TimeSpec::At(ns))
        );
        if ns >= 0 {
            prop_assert_eq!(parse_spec_tz(&ns.to_string(), now, &Utc), Ok(TimeSpec::At(ns)));
        }
    }

    #[test]
    fn local_display_parses_back_unless_a_clock_change_repeats_it(ns in any::<i64>()) {
        let shown = format_datetime_exact(ns, false);
        match parse_spec_in(&shown, 0, false) {
            // The earlier instant of a repeated wall time: at most the repeat earlier.
            Ok(TimeSpec::At(back)) => prop_assert!(back == ns || (back < ns && ns - back <= 2 * NS_PER_HOUR),
                "{} -> {}", ns, back),
            other => prop_assert!(false, "{} shown as {:?} parsed as {:?}", ns, shown, other),
        }
    }

    #[test]
    fn relative_specs_subtract_or_refuse(ago in any::<i64>(), unit in 0usize..7, now in any::<i64>()) {
        let (suffix, scale) = [("d", NS_PER_DAY), ("h", NS_PER_HOUR), ("m", NS_PER_MIN),
            ("s", NS_PER_SEC), ("ms", NS_PER_MS), ("us", 1_000), ("ns", 1)][unit];
        let ago = ago.unsigned_abs() >> (unit * 9);
        let input = format!("-{ago}{suffix}");
        let want = i64::try_from(ago).ok()
            .and_then(|a| a.checked_mul(scale))
            .and_then(|d| now.checked_sub(d));
        match parse_spec_tz(&input, now, &Utc) {
            Ok(TimeSpec::At(t)) => prop_assert_eq!(Some(t), want, "{}", input),
            Ok(other) => prop_assert!(false, "{} gave {:?}", input, other),
            Err(e) => {
                prop_assert_eq!(want, None, "{}: {}", input, e);
                prop_assert_eq!(e.input, input);
            }
        }
    }

    #[test]
    fn durations_never_panic(s in "[0-9.]{0,25}(d|h|m|s|ms|us|µs|ns|x|)([0-9.]{0,25}(d|h|m|s|ms|ns|))*") {
        if let Ok(d) = parse_duration(&s) {
            prop_assert!(d >= 0, "{} gave {}", s, d);
        }
    }
}
