//! `tail --last N`: the last N records (merged across partitions, after `--grep`, at or
//! before `--until`), then follow or stop.
//!
//! The read does not start at the beginning of the topic: the partitions' counts and time
//! bounds and the broker's histogram give a start that should hold N records; the window
//! is read to its end (the history that exists now) keeping only the last N, and when it
//! held fewer (a histogram of bytes, unflushed data, `--grep`, `--partition`) it is widened
//! fourfold and read again, until it holds N or reaches the first record. Nothing is
//! printed before the window is settled, so a widening never prints a record twice; in
//! follow mode the same stream then goes on with the live records, without a gap.

use std::collections::VecDeque;

use super::error::{CliResult, client_error};
use super::tail::{TailPlan, pump};
use crate::client::{Client, HistogramRequest, ReadEvent, ReadStream, Record, TopicInfo};
use crate::config::Config;
use crate::time::TimeSpec;

/// Windows tried before reading from the first record.
const MAX_WINDOWS: u32 = 8;
/// Histogram buckets used to place the first window.
const BUCKETS: u32 = 64;

/// What the broker says about the selected partitions.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bounds {
    first: i64,
    last: i64,
    count: Option<u64>,
}

fn bounds(info: &TopicInfo, partitions: Option<&[i32]>) -> Option<Bounds> {
    let sel: Vec<_> = info
        .partitions
        .iter()
        .filter(|p| partitions.is_none_or(|w| w.contains(&p.id)))
        .collect();
    let first = sel.iter().filter_map(|p| p.first_ts_ns).min()?;
    let last = sel.iter().filter_map(|p| p.last_ts_ns).max()?;
    let mut count = Some(0u64);
    for p in &sel {
        count = count.zip(p.message_count).map(|(a, b)| a.saturating_add(b));
    }
    Some(Bounds { first, last, count })
}

/// Where the last `n` records should begin, from the histogram's `counts` (oldest first)
/// of `[start, start + w*len)`; `scale` turns a bucket's value into records.
fn start_from_histogram(counts: &[u64], start: i64, w: i64, scale: f64, n: u64) -> Option<i64> {
    let mut acc = 0f64;
    for (i, c) in counts.iter().enumerate().rev() {
        acc += *c as f64 * scale;
        if acc >= n as f64 {
            // One bucket more: the histogram's buckets are not cut at record boundaries.
            return Some(start + w * (i as i64).saturating_sub(1).max(0));
        }
    }
    None
}

/// The first window's start (`None`: from the first record).
async fn first_start(client: &Client, plan: &TailPlan, b: Bounds, end: i64, n: u64) -> Option<i64> {
    if b.count.is_some_and(|c| c <= n) || end <= b.first {
        return None;
    }
    let req = HistogramRequest {
        start_ns: Some(b.first),
        stop_ns: Some(end.saturating_add(1)),
        buckets: BUCKETS,
    };
    if let Ok(h) = client.histogram(&plan.topic, req).await {
        let sum: u64 = h.counts.iter().sum();
        // A histogram of bytes (4.x) is scaled by the partitions' record count.
        let scale = match (h.unit, b.count) {
            (crate::client::HistogramUnit::Messages, _) => 1.0,
            (_, Some(c)) if sum > 0 => c as f64 / sum as f64,
            _ => 0.0,
        };
        if scale > 0.0 {
            return start_from_histogram(&h.counts, h.start_ns, h.bucket_width(), scale, n)
                .filter(|&s| s > b.first);
        }
    }
    // No usable histogram: assume an even rate, with room to spare.
    let span = (end - b.first) as f64;
    let frac = match b.count {
        Some(c) if c > 0 => (2.0 * n as f64 / c as f64).min(1.0),
        _ => 1.0 / 16.0,
    };
    let s = end - (span * frac) as i64;
    (s > b.first).then_some(s)
}

/// The history of one window: its last `n` matching records, and how many matched.
struct Window {
    stream: ReadStream,
    last: VecDeque<Record>,
    matched: u64,
}

/// Reads a window until the history that exists now is delivered (or the read ends);
/// `None` on Ctrl-C.
async fn read_window(
    client: &Client,
    plan: &TailPlan,
    from: TimeSpec,
    n: u64,
    what: &str,
) -> CliResult<Option<Window>> {
    let mut spec = plan.spec.clone();
    spec.from = from;
    let mut stream = client
        .read(&plan.topic, spec)
        .await
        .map_err(|e| client_error(what, Some(client), e))?;
    let cap = usize::try_from(n).unwrap_or(usize::MAX);
    let mut last = VecDeque::with_capacity(cap.min(1 << 16));
    let mut matched = 0u64;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut faults = super::tail::Faults::default();
    loop {
        let ev = tokio::select! {
            biased;
            _ = &mut ctrl_c => return Ok(None),
            ev = stream.next() => ev,
        };
        match ev {
            None | Some(Ok(ReadEvent::CaughtUp)) => break,
            Some(Err(e)) => return Err(client_error(what, Some(client), e)),
            Some(Ok(ReadEvent::Records(batch))) => {
                for r in batch.into_iter().filter(|r| plan.matches(r)) {
                    matched += 1;
                    if last.len() == cap {
                        last.pop_front();
                    }
                    last.push_back(r);
                }
            }
            Some(Ok(ev)) => {
                if let Some(line) = faults.line(ev) {
                    eprintln!("swmq: {what}: {line}");
                }
            }
        }
    }
    Ok(Some(Window {
        stream,
        last,
        matched,
    }))
}

/// Runs `tail --last n`.
pub(super) async fn run(
    cfg: &Config,
    client: &Client,
    plan: TailPlan,
    n: u64,
    what: String,
) -> CliResult {
    let described = client.describe(&plan.topic, None).await;
    let b = match described {
        Ok(d) => bounds(&d.info, plan.spec.partitions.as_deref()),
        // A topic to be created later (follow) reads from its start; anything else fails
        // the same way the read would.
        Err(crate::client::ClientError::TopicNotFound(_)) => None,
        Err(e) => return Err(client_error(&what, Some(client), e)),
    };
    let mut start = match b {
        Some(b) => {
            let end = plan.spec.until.map_or(b.last, |u| u.min(b.last));
            first_start(client, &plan, b, end, n).await
        }
        None => None,
    };
    let mut window = 0u32;
    loop {
        window += 1;
        let from = start.map_or(TimeSpec::Earliest, TimeSpec::At);
        tracing::debug!(window, ?from, n, "tail --last: reading a window");
        let Some(w) = read_window(client, &plan, from, n, &what).await? else {
            return Ok(());
        };
        let (Some(s), Some(b)) = (start, b) else {
            // From the first record: this is all there is.
            return finish(cfg, client, &plan, w, &what).await;
        };
        if w.matched >= n {
            return finish(cfg, client, &plan, w, &what).await;
        }
        tracing::debug!(
            window,
            matched = w.matched,
            "tail --last: too few, widening"
        );
        let end = plan.spec.until.map_or(b.last, |u| u.min(b.last)).max(s);
        let widened = end.saturating_sub(end.saturating_sub(s).saturating_mul(4).max(1));
        start = (widened > b.first && window < MAX_WINDOWS).then_some(widened);
    }
}

async fn finish(
    cfg: &Config,
    client: &Client,
    plan: &TailPlan,
    w: Window,
    what: &str,
) -> CliResult {
    let first: Vec<Record> = w.last.into_iter().collect();
    pump(cfg, client, plan, w.stream, &first, what).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{PartitionInfo, TopicName};

    #[test]
    fn histogram_start_holds_n() {
        // 10 records per bucket of 100 ns from t=1000; the last 25 begin in bucket 7 of
        // 0..=9, one bucket of margin: bucket 6.
        let counts = [10u64; 10];
        assert_eq!(
            start_from_histogram(&counts, 1000, 100, 1.0, 25),
            Some(1600)
        );
        assert_eq!(start_from_histogram(&counts, 1000, 100, 1.0, 1000), None);
        // Bytes at 50 per record: scale 1/50.
        let bytes = [500u64; 10];
        assert_eq!(start_from_histogram(&bytes, 0, 10, 0.02, 10), Some(80));
    }

    #[test]
    fn bounds_of_the_chosen_partitions() {
        let p = |id, first, last, count| PartitionInfo {
            id,
            first_ts_ns: Some(first),
            last_ts_ns: Some(last),
            message_count: count,
            ..PartitionInfo::default()
        };
        let mut info = TopicInfo::bare(TopicName::parse("a/b").unwrap());
        info.partitions = vec![p(0, 10, 50, Some(3)), p(1, 5, 90, Some(4))];
        let all = bounds(&info, None).unwrap();
        assert_eq!((all.first, all.last, all.count), (5, 90, Some(7)));
        let one = bounds(&info, Some(&[0])).unwrap();
        assert_eq!((one.first, one.last, one.count), (10, 50, Some(3)));
        info.partitions[1].message_count = None;
        assert_eq!(bounds(&info, None).unwrap().count, None);
        assert!(bounds(&info, Some(&[7])).is_none());
    }
}
