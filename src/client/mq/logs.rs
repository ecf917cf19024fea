//! Where the flushed log files of 4.x partitions live in the filer, and their names.
//!
//! Layout: `/topics/<ns>/<topic>/v<YYYY-MM-DD-HH-MM-SS>/<%04d start>-<%04d stop>/` holds
//! log files named after the UTC second of their first record (one per flushed window of
//! ≤ 5 s or 8 MiB), beside `checkpoint.offset` and other bookkeeping files.

use chrono::{NaiveDateTime, TimeZone, Utc};

use super::Part;
use crate::client::TopicName;

const NS: i64 = 1_000_000_000;

/// The generation directory name of a partition: `v` + its `unix_time_ns` as UTC
/// `YYYY-MM-DD-HH-MM-SS`.
pub fn generation_dir(unix_time_ns: i64) -> String {
    let t = Utc.timestamp_nanos(unix_time_ns);
    format!("v{}", t.format("%Y-%m-%d-%H-%M-%S"))
}

/// The partition directory name: `%04d start-%04d stop`.
pub fn range_dir(start: i32, stop: i32) -> String {
    format!("{start:04}-{stop:04}")
}

/// The filer directory of one partition's files.
pub fn partition_dir(topic: &TopicName, part: &Part) -> String {
    format!(
        "{}/{}/{}",
        super::topic_dir(topic),
        generation_dir(part.ring.unix_time_ns),
        range_dir(part.ring.range_start, part.ring.range_stop)
    )
}

/// The time a log file name stands for (`2026-11-27-00-20-05` → ns), if it is one.
pub fn parse_log_name(name: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(name, "%Y-%m-%d-%H-%M-%S").ok()?;
    t.and_utc().timestamp().checked_mul(NS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dirs() {
        assert_eq!(
            parse_log_name("2026-11-27-00-20-05"),
            Some(
                Utc.with_ymd_and_hms(2026, 11, 27, 0, 20, 5)
                    .unwrap()
                    .timestamp()
                    * NS
            )
        );
        assert_eq!(parse_log_name("checkpoint.offset"), None);
        assert_eq!(parse_log_name("2026-13-27-00-20-05"), None);
        let t = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .unwrap()
            .timestamp()
            * NS
            + 7;
        assert_eq!(generation_dir(t), "v2026-01-02-03-04-05");
        assert_eq!(range_dir(0, 630), "0000-0630");
        assert_eq!(range_dir(1890, 2520), "1890-2520");
    }
}
