//! The flushed log files of 4.x partitions in the filer, and what they tell without
//! reading a message: bytes, time bounds (to the second) and a density histogram.
//!
//! Layout: `/topics/<ns>/<topic>/v<YYYY-MM-DD-HH-MM-SS>/<%04d start>-<%04d stop>/` holds
//! log files named after the UTC second of their first record (one per flushed window of
//! ≤ 5 s or 8 MiB), beside `checkpoint.offset` and other bookkeeping files.

use chrono::{NaiveDateTime, TimeZone, Utc};

use super::Part;
use crate::client::filer::{FilerClient, entry_mtime_ns, entry_size};
use crate::client::{ClientError, Histogram, HistogramUnit, TopicName};

const NS: i64 = 1_000_000_000;

/// One flushed log file of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFile {
    /// The UTC second of its first record, in ns.
    pub start_ns: i64,
    /// When it was written (its mtime), in ns; at least `start_ns`.
    pub end_ns: i64,
    /// Its size in bytes.
    pub bytes: u64,
}

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

/// The log files of one partition, in time order.
pub async fn list_log_files(
    filer: &FilerClient,
    topic: &TopicName,
    part: &Part,
) -> Result<Vec<LogFile>, ClientError> {
    let entries = filer.list_entries(&partition_dir(topic, part)).await?;
    let mut files: Vec<LogFile> = entries
        .iter()
        .filter(|e| !e.is_directory)
        .filter_map(|e| {
            let start_ns = parse_log_name(&e.name)?;
            let end_ns = entry_mtime_ns(e).unwrap_or(start_ns).max(start_ns);
            Some(LogFile {
                start_ns,
                end_ns,
                bytes: entry_size(e),
            })
        })
        .collect();
    files.sort_by_key(|f| f.start_ns);
    Ok(files)
}

/// Spreads each file's bytes evenly over `[start_ns, max(end_ns, start_ns + 1 s))` and
/// sums them into `buckets` buckets between `start_ns` and `stop_ns`.
pub fn histogram_of(files: &[LogFile], start_ns: i64, stop_ns: i64, buckets: u32) -> Histogram {
    let n = buckets.clamp(1, 100_000) as usize;
    let stop_ns = stop_ns.max(start_ns.saturating_add(1));
    let mut counts = vec![0f64; n];
    let width = (i128::from(stop_ns) - i128::from(start_ns)) as f64 / n as f64;
    for f in files {
        let (a, b) = (f.start_ns, f.end_ns.max(f.start_ns.saturating_add(NS)));
        let span = ((i128::from(b) - i128::from(a)) as f64).max(1.0);
        // Overlap of [a, b) with each bucket.
        let lo = a.max(start_ns);
        let hi = b.min(stop_ns);
        if hi <= lo {
            continue;
        }
        let first = (((i128::from(lo) - i128::from(start_ns)) as f64) / width).floor() as usize;
        let last =
            ((((i128::from(hi) - i128::from(start_ns)) as f64) / width).ceil() as usize).min(n);
        for (i, c) in counts.iter_mut().enumerate().take(last).skip(first) {
            let bs = start_ns as f64 + i as f64 * width;
            let be = bs + width;
            let ov = (be.min(hi as f64) - bs.max(lo as f64)).max(0.0);
            *c += f.bytes as f64 * ov / span;
        }
    }
    Histogram {
        start_ns,
        stop_ns,
        counts: round_conserving(&counts),
        unit: HistogramUnit::Bytes,
    }
}

/// Rounds to integers whose sum is the rounded sum (largest remainders get the rest).
fn round_conserving(v: &[f64]) -> Vec<u64> {
    let total = v.iter().sum::<f64>().round() as u64;
    let mut out: Vec<u64> = v.iter().map(|x| x.floor().max(0.0) as u64).collect();
    let mut rest = total.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| (v[b] - v[b].floor()).total_cmp(&(v[a] - v[a].floor())));
    for i in order {
        if rest == 0 {
            break;
        }
        out[i] += 1;
        rest -= 1;
    }
    out
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

    #[test]
    fn histogram_conserves_bytes_inside_the_range() {
        let files = [
            LogFile {
                start_ns: 0,
                end_ns: 0,
                bytes: 1000,
            },
            LogFile {
                start_ns: 10 * NS,
                end_ns: 14 * NS,
                bytes: 400,
            },
        ];
        let h = histogram_of(&files, 0, 20 * NS, 20);
        assert_eq!(h.counts.len(), 20);
        assert_eq!(h.counts[0], 1000);
        assert_eq!(&h.counts[10..14], &[100, 100, 100, 100]);
        assert_eq!(h.counts.iter().sum::<u64>(), 1400);
        assert_eq!(h.unit, HistogramUnit::Bytes);
        // A window cutting a file keeps only its share.
        let h = histogram_of(&files, 12 * NS, 20 * NS, 2);
        assert_eq!(h.counts, vec![200, 0]);
        let h = histogram_of(&files[1..], 10 * NS, 14 * NS, 3);
        assert_eq!(h.counts.iter().sum::<u64>(), 400);
        // Extreme ranges neither panic nor lose the bytes inside them.
        let h = histogram_of(&files, i64::MIN, i64::MAX, 7);
        assert_eq!(h.counts.iter().sum::<u64>(), 1400);
        let h = histogram_of(&files, i64::MAX, i64::MIN, 1);
        assert_eq!(h.counts, vec![0]);
    }
}
