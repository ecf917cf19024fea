//! Timestamps: parsing the time SPECs shared by the CLI and the TUI, and formatting
//! nanosecond timestamps for people.
//!
//! A SPEC is one of `earliest`, `latest`, `now`, an RFC 3339 time
//! (`2026-11-26T23:10:52.123456789Z`, offsets allowed), every form swmq displays
//! (`2026-11-26 23:10:52.123`, `2026-11-26 23:10:52.123Z`, `23:10:52.123`, `23:10`), a
//! date, integer nanoseconds since the Unix epoch, or a time relative to now (`-15m`,
//! `-1h30m`, `-45s`, `-2d`, `-500ms`). A date-time without a zone is in the zone swmq
//! displays (local time, UTC under `--utc`); a clock time alone is today's (its latest
//! past occurrence: `23:10` at 01:00 is yesterday's).

use chrono::{
    DateTime, Days, Local, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat,
    TimeZone, Utc,
};

/// The accepted forms of a time SPEC, for error messages and help texts.
pub const SPEC_FORMS: &str = "earliest, latest, now, RFC 3339 (2026-11-26T23:10:52.123456789Z, \
offsets allowed), a date-time as swmq shows it (2026-11-26 23:10:52.123, T or space, seconds \
and fraction optional; local time, UTC with --utc or a Z), a clock time today (23:10, \
23:10:52.123), a date (2026-11-26), nanoseconds since the epoch (1764198652123456789), or \
relative to now (-15m, -1h30m, -45s, -2d, -500ms)";

/// Nanoseconds per millisecond.
pub const NS_PER_MS: i64 = 1_000_000;
/// Nanoseconds per second.
pub const NS_PER_SEC: i64 = 1_000_000_000;
/// Nanoseconds per minute.
pub const NS_PER_MIN: i64 = 60 * NS_PER_SEC;
/// Nanoseconds per hour.
pub const NS_PER_HOUR: i64 = 60 * NS_PER_MIN;
/// Nanoseconds per day.
pub const NS_PER_DAY: i64 = 24 * NS_PER_HOUR;

/// Where a read starts (or stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// The first message the broker holds.
    Earliest,
    /// Only messages published from now on.
    Latest,
    /// A point in time, nanoseconds since the Unix epoch (inclusive when used as a start).
    At(i64),
}

impl TimeSpec {
    /// The timestamp this SPEC stands for, resolving `latest` to `now_ns` and `earliest`
    /// to 0.
    pub fn resolve(self, now_ns: i64) -> i64 {
        match self {
            TimeSpec::Earliest => 0,
            TimeSpec::Latest => now_ns,
            TimeSpec::At(ns) => ns,
        }
    }
}

/// A SPEC that could not be parsed; the message names the input and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time {input:?}: {reason}; accepted: {SPEC_FORMS}")]
pub struct TimeSpecError {
    /// What the user typed.
    pub input: String,
    /// What was wrong with it.
    pub reason: String,
}

fn err(input: &str, reason: impl Into<String>) -> TimeSpecError {
    TimeSpecError {
        input: input.to_string(),
        reason: reason.into(),
    }
}

/// The current time in nanoseconds since the Unix epoch.
pub fn now_ns() -> i64 {
    Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Parses a time SPEC; relative SPECs count back from `now_ns`; times without a zone are
/// local time.
pub fn parse_spec(input: &str, now_ns: i64) -> Result<TimeSpec, TimeSpecError> {
    parse_spec_in(input, now_ns, false)
}

/// Parses a time SPEC; times without a zone are UTC when `utc`, else local time (the zone
/// swmq displays them in).
pub fn parse_spec_in(input: &str, now_ns: i64, utc: bool) -> Result<TimeSpec, TimeSpecError> {
    if utc {
        parse_spec_tz(input, now_ns, &Utc)
    } else {
        parse_spec_tz(input, now_ns, &Local)
    }
}

/// [`parse_spec_in`] for any zone (tests use fixed offsets in place of the local zone).
pub fn parse_spec_tz<Tz: TimeZone>(
    input: &str,
    now_ns: i64,
    tz: &Tz,
) -> Result<TimeSpec, TimeSpecError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(err(input, "empty"));
    }
    match s.to_ascii_lowercase().as_str() {
        "earliest" | "beginning" | "start" => return Ok(TimeSpec::Earliest),
        "latest" | "end" => return Ok(TimeSpec::Latest),
        "now" => return Ok(TimeSpec::At(now_ns)),
        _ => {}
    }
    if let Some(rest) = s.strip_prefix('-') {
        let ago = parse_duration(rest).map_err(|reason| err(input, reason))?;
        return now_ns
            .checked_sub(ago)
            .map(TimeSpec::At)
            .ok_or_else(|| err(input, "too far in the past"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map(TimeSpec::At)
            .map_err(|_| err(input, "nanoseconds out of range"));
    }
    parse_wall(s, now_ns, tz)
        .map(TimeSpec::At)
        .map_err(|reason| err(input, reason))
}

const OUT_OF_RANGE: &str = "out of the representable range (1677..2262)";

/// Date-times (with or without a zone), dates and clock times.
fn parse_wall<Tz: TimeZone>(s: &str, now_ns: i64, tz: &Tz) -> Result<i64, String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return dt.timestamp_nanos_opt().ok_or_else(|| OUT_OF_RANGE.into());
    }
    // `2026-11-26 23:10:52.123Z` (the --utc display) and offsets after a space separator.
    if s.len() > 10 && s.is_char_boundary(10) && s.as_bytes().get(10) == Some(&b' ') {
        let t = format!("{}T{}", &s[..10], &s[11..]);
        if let Ok(dt) = DateTime::parse_from_rfc3339(&t) {
            return dt.timestamp_nanos_opt().ok_or_else(|| OUT_OF_RANGE.into());
        }
        if let Some(naive) = t.strip_suffix(['Z', 'z']).and_then(naive_datetime) {
            return in_zone(naive, &Utc);
        }
    }
    if let Some(naive) = naive_datetime(s) {
        return in_zone(naive, tz);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return in_zone(d.and_time(NaiveTime::MIN), tz);
    }
    if let Some(t) = naive_time(s) {
        return today_at(t, now_ns, tz);
    }
    Err(if s.contains(':') || s.contains('-') {
        "not a time swmq understands (check the digits: month 01-12, hour 00-23)".into()
    } else {
        "not a time".into()
    })
}

/// `2026-11-26T23:10[:52[.123456789]]` with `T` or a space, no zone.
fn naive_datetime(s: &str) -> Option<NaiveDateTime> {
    let t = s.replacen('T', " ", 1).replacen('t', " ", 1);
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
}

/// `23:10[:52[.123]]`.
fn naive_time(s: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(s, f).ok())
}

/// A wall-clock time in `tz` as ns; the earlier instant when a clock change repeats it.
fn in_zone<Tz: TimeZone>(naive: NaiveDateTime, tz: &Tz) -> Result<i64, String> {
    let dt = match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) => dt,
        LocalResult::None => {
            return Err(format!(
                "{naive} does not exist in this time zone (skipped by a clock change)"
            ));
        }
    };
    dt.timestamp_nanos_opt().ok_or_else(|| OUT_OF_RANGE.into())
}

/// The latest occurrence of the clock time `t` in `tz` at or before `now_ns`.
fn today_at<Tz: TimeZone>(t: NaiveTime, now_ns: i64, tz: &Tz) -> Result<i64, String> {
    let today = Utc.timestamp_nanos(now_ns).with_timezone(tz).date_naive();
    let at = in_zone(today.and_time(t), tz)?;
    if at <= now_ns {
        return Ok(at);
    }
    let yesterday = today
        .checked_sub_days(Days::new(1))
        .ok_or_else(|| OUT_OF_RANGE.to_string())?;
    in_zone(yesterday.and_time(t), tz)
}

/// Parses a duration such as `15m`, `1h30m`, `2d`, `500ms`, `1.5h` into nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    if s.is_empty() {
        return Err("missing duration after '-'".into());
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let (num, tail) = rest.split_at(num_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale: i64 = match unit {
            "d" => NS_PER_DAY,
            "h" => NS_PER_HOUR,
            "m" => NS_PER_MIN,
            "s" => NS_PER_SEC,
            "ms" => NS_PER_MS,
            "us" | "µs" => 1_000,
            "ns" => 1,
            "" => return Err(format!("missing unit after {num:?} (use d, h, m, s, ms)")),
            other => return Err(format!("unknown unit {other:?} (use d, h, m, s, ms)")),
        };
        let part = if num.contains('.') {
            let f: f64 = num.parse().map_err(|_| format!("bad number {num:?}"))?;
            let v = f * scale as f64;
            if !v.is_finite() || v >= i64::MAX as f64 {
                return Err("duration too large".into());
            }
            v as i64
        } else {
            let n: i64 = num.parse().map_err(|_| "duration too large".to_string())?;
            n.checked_mul(scale).ok_or("duration too large")?
        };
        total = total.checked_add(part).ok_or("duration too large")?;
        rest = tail;
    }
    Ok(total)
}

fn to_utc(ns: i64) -> DateTime<Utc> {
    Utc.timestamp_nanos(ns)
}

/// RFC 3339 in UTC with nanoseconds: `2026-11-26T23:10:52.123456789Z`.
pub fn format_rfc3339(ns: i64) -> String {
    to_utc(ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `ns` formatted with the chrono pattern `fmt` in UTC (`utc`) or in local time: the one
/// place that chooses the zone for every displayed time.
pub fn format_at(ns: i64, utc: bool, fmt: &str) -> String {
    if utc {
        to_utc(ns).format(fmt).to_string()
    } else {
        to_utc(ns).with_timezone(&Local).format(fmt).to_string()
    }
}

/// A full timestamp for tables: `2026-11-26 23:10:52.123` in UTC or local time.
pub fn format_datetime(ns: i64, utc: bool) -> String {
    let fmt = if utc {
        "%Y-%m-%d %H:%M:%S%.3fZ"
    } else {
        "%Y-%m-%d %H:%M:%S%.3f"
    };
    format_at(ns, utc, fmt)
}

/// A date-time exact to the nanosecond in the form swmq displays (fraction only as long
/// as needed): `2026-11-26 23:10:52.123456789` local, or with a `Z` in UTC. Parses back.
pub fn format_datetime_exact(ns: i64, utc: bool) -> String {
    let fmt = if utc {
        "%Y-%m-%d %H:%M:%S%.fZ"
    } else {
        "%Y-%m-%d %H:%M:%S%.f"
    };
    format_at(ns, utc, fmt)
}

/// The date, `2026-11-26`, in UTC or local time.
pub fn format_date(ns: i64, utc: bool) -> String {
    format_at(ns, utc, "%Y-%m-%d")
}

/// A clock time with milliseconds, `23:10:52.123`, in UTC or local time.
pub fn format_clock(ns: i64, utc: bool) -> String {
    format_at(ns, utc, "%H:%M:%S%.3f")
}

/// A short clock time for axis labels: `23:10` (or `23:10:52` when `seconds`).
pub fn format_axis(ns: i64, utc: bool, seconds: bool) -> String {
    format_at(ns, utc, if seconds { "%H:%M:%S" } else { "%H:%M" })
}

/// A compact duration: `950ms`, `42s`, `5m`, `3h`, `2d`.
pub fn format_duration(ns: i64) -> String {
    let ns = ns.max(0);
    if ns < NS_PER_SEC {
        format!("{}ms", ns / NS_PER_MS)
    } else if ns < NS_PER_MIN {
        format!("{}s", ns / NS_PER_SEC)
    } else if ns < NS_PER_HOUR {
        format!("{}m", ns / NS_PER_MIN)
    } else if ns < NS_PER_DAY {
        let h = ns / NS_PER_HOUR;
        let m = (ns / NS_PER_MIN) % 60;
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{m}m")
        }
    } else {
        format!("{}d", ns / NS_PER_DAY)
    }
}

#[cfg(test)]
#[path = "time_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_198_652_123_456_789; // 2025-11-26T23:10:52.123456789Z

    #[test]
    fn keywords() {
        assert_eq!(parse_spec("earliest", NOW), Ok(TimeSpec::Earliest));
        assert_eq!(parse_spec("LATEST", NOW), Ok(TimeSpec::Latest));
        assert_eq!(parse_spec(" now ", NOW), Ok(TimeSpec::At(NOW)));
    }

    #[test]
    fn nanoseconds() {
        assert_eq!(parse_spec("0", NOW), Ok(TimeSpec::At(0)));
        assert_eq!(
            parse_spec("1764198652123456789", NOW),
            Ok(TimeSpec::At(1_764_198_652_123_456_789))
        );
        assert!(parse_spec("99999999999999999999", NOW).is_err());
    }

    #[test]
    fn rfc3339_forms() {
        assert_eq!(
            parse_spec("2025-11-26T23:10:52.123456789Z", NOW),
            Ok(TimeSpec::At(NOW))
        );
        assert_eq!(
            parse_spec("2025-11-27T01:10:52.123456789+02:00", NOW),
            Ok(TimeSpec::At(NOW))
        );
        assert_eq!(
            parse_spec("2025-11-26T23:10:52Z", NOW),
            Ok(TimeSpec::At(NOW - 123_456_789))
        );
        assert_eq!(format_rfc3339(NOW), "2025-11-26T23:10:52.123456789Z");
    }

    #[test]
    fn every_displayed_form_parses() {
        let cet = chrono::FixedOffset::east_opt(3600).unwrap();
        let utc = |s: &str| parse_spec_tz(s, NOW, &Utc);
        let local = |s: &str| parse_spec_tz(s, NOW, &cet);
        let at = |ns: i64| Ok(TimeSpec::At(ns));
        let ms = NOW - 456_789; // 23:10:52.123Z
        let secs = NOW - 123_456_789; // 23:10:52Z
        // The table and header format, in UTC (with and without its Z) and local time.
        assert_eq!(utc(&format_datetime(NOW, true)), at(ms));
        assert_eq!(utc("2025-11-26 23:10:52.123"), at(ms));
        assert_eq!(local("2025-11-26 23:10:52.123Z"), at(ms));
        assert_eq!(local("2025-11-27 00:10:52.123"), at(ms));
        assert_eq!(local("2025-11-27 00:10:52"), at(secs));
        assert_eq!(local("2025-11-27T00:10:52"), at(secs));
        assert_eq!(local("2025-11-27T00:10:52.123456789"), at(NOW));
        assert_eq!(local("2025-11-27 00:10"), at(secs - 52 * NS_PER_SEC));
        assert_eq!(local("2025-11-26 23:10:52+00:00"), at(secs));
        // Dates: midnight in the zone.
        let midnight_utc = secs - (23 * 3600 + 10 * 60 + 52) * NS_PER_SEC;
        assert_eq!(utc("2025-11-26"), at(midnight_utc));
        // Clock times: today, or yesterday when today's is still to come.
        assert_eq!(utc(&format_clock(NOW, true)), at(ms));
        assert_eq!(utc("23:10:52"), at(secs));
        assert_eq!(utc("23:10"), at(secs - 52 * NS_PER_SEC));
        assert_eq!(local("00:10:52.123"), at(ms));
        let day = 86_400 * NS_PER_SEC;
        assert_eq!(utc("23:11"), at(secs + 8 * NS_PER_SEC - day));
        // 01:00 CET today (the 27th) is still to come at 00:10 CET: the 26th's, 00:00Z.
        assert_eq!(local("01:00"), at(midnight_utc));
        for bad in [
            "25:00",
            "23:61",
            "2025-11-26 24:00",
            "2025-02-30 10:00",
            "10:00 tomorrow",
        ] {
            let e = utc(bad).expect_err(bad);
            assert!(e.to_string().contains("accepted:"), "{e}");
        }
    }

    #[test]
    fn rfc3339_with_nanoseconds_round_trips() {
        for ns in [
            NOW,
            0,
            1,
            999_999_999,
            NOW + 1,
            -1_000_000_001,
            1_764_198_652_000_000_000,
        ] {
            let s = format_rfc3339(ns);
            assert_eq!(parse_spec(&s, NOW), Ok(TimeSpec::At(ns)), "{s}");
            assert_eq!(parse_spec_in(&s, NOW, true), Ok(TimeSpec::At(ns)), "{s}");
            for utc in [true, false] {
                let shown = format_datetime_exact(ns, utc);
                assert_eq!(
                    parse_spec_in(&shown, NOW, utc),
                    Ok(TimeSpec::At(ns)),
                    "{shown}"
                );
            }
        }
    }

    #[test]
    fn relative() {
        let m = 60 * NS_PER_SEC;
        assert_eq!(parse_spec("-15m", NOW), Ok(TimeSpec::At(NOW - 15 * m)));
        assert_eq!(parse_spec("-1h30m", NOW), Ok(TimeSpec::At(NOW - 90 * m)));
        assert_eq!(
            parse_spec("-45s", NOW),
            Ok(TimeSpec::At(NOW - 45 * NS_PER_SEC))
        );
        assert_eq!(parse_spec("-2d", NOW), Ok(TimeSpec::At(NOW - 2 * 1440 * m)));
        assert_eq!(
            parse_spec("-500ms", NOW),
            Ok(TimeSpec::At(NOW - 500_000_000))
        );
        assert_eq!(parse_spec("-1.5h", NOW), Ok(TimeSpec::At(NOW - 90 * m)));
    }

    #[test]
    fn rejects() {
        for bad in [
            "-15x",
            "2026-13-01",
            "2026-13-01T00:00:00Z",
            "-",
            "-m",
            "-15",
            "",
            "yesterday",
            "-99999999999999d",
            "9999-01-01T00:00:00Z",
            "12abc",
        ] {
            let e = parse_spec(bad, NOW).expect_err(bad);
            assert!(e.to_string().contains("accepted:"), "{e}");
        }
        let e = parse_spec("-15x", NOW).unwrap_err();
        assert!(e.reason.contains("unknown unit"), "{}", e.reason);
    }

    #[test]
    fn formatting() {
        assert_eq!(format_clock(NOW, true), "23:10:52.123");
        assert_eq!(format_datetime(NOW, true), "2025-11-26 23:10:52.123Z");
        assert_eq!(format_axis(NOW, true, false), "23:10");
        assert_eq!(format_duration(90 * 60 * NS_PER_SEC), "1h30m");
        assert_eq!(format_duration(42 * NS_PER_SEC), "42s");
        assert_eq!(format_duration(3 * 86_400 * NS_PER_SEC), "3d");
        assert_eq!(TimeSpec::Earliest.resolve(NOW), 0);
    }
}
