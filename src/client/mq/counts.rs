//! Messages per time bucket of a 4.x topic, counted from the records of its log files
//! (the timeline), for the visible range only, with the timestamps of each file cached by
//! partition directory, file name and size (a file that grows by an appended flush is
//! read again; one that did not change is never fetched twice).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;

use super::files::{DirFile, entry_timestamps};
use super::logs::partition_dir;
use super::{MqClient, Part};
use crate::client::{ClientError, Histogram, HistogramRequest, HistogramUnit, TopicName};

const NS: i64 = 1_000_000_000;
/// Timestamps kept in the cache at most (8 bytes each: 64 MiB).
const CACHE_MAX: usize = 8 << 20;
/// Files fetched at once for a histogram.
const PARALLEL: usize = 8;

type Key = (String, String, u64);

/// The timestamps of the records of log files, by (directory, name, size).
#[derive(Default)]
pub(super) struct CountCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<Key, Arc<Vec<i64>>>,
    order: VecDeque<Key>,
    total: usize,
}

impl CountCache {
    fn get(&self, k: &Key) -> Option<Arc<Vec<i64>>> {
        self.inner.lock().ok()?.map.get(k).cloned()
    }

    fn put(&self, k: Key, v: Arc<Vec<i64>>) {
        let Ok(mut c) = self.inner.lock() else {
            return;
        };
        c.total += v.len();
        if let Some(old) = c.map.insert(k.clone(), v) {
            c.total -= old.len();
        } else {
            c.order.push_back(k);
        }
        while c.total > CACHE_MAX {
            let Some(old) = c.order.pop_front() else {
                break;
            };
            if let Some(v) = c.map.remove(&old) {
                c.total -= v.len();
            }
        }
    }
}

/// Adds `stamps` into `counts`, buckets of `width` ns from `start`.
fn add(counts: &mut [u64], start: i64, stop: i64, stamps: &[i64]) {
    let n = counts.len() as i128;
    let span = (i128::from(stop) - i128::from(start)).max(1);
    let lo = stamps.partition_point(|&t| t < start);
    for &t in &stamps[lo..] {
        if t >= stop {
            break;
        }
        let i = ((i128::from(t) - i128::from(start)) * n / span) as usize;
        counts[i.min(counts.len() - 1)] += 1;
    }
}

/// The log files of one partition that can hold records in `[start, stop)`: file `k`
/// holds records from its name's second up to the next file's first record.
fn overlapping(logs: &[DirFile], start: i64, stop: i64) -> Vec<DirFile> {
    let mut out = Vec::new();
    for (k, f) in logs.iter().enumerate() {
        let end = logs
            .get(k + 1)
            .map_or(i64::MAX, |n| n.start_ns.saturating_add(NS));
        if f.start_ns < stop && end > start {
            out.push(f.clone());
        }
    }
    out
}

impl MqClient {
    /// The timestamps of one log file's records, from the cache or fetched.
    pub(crate) async fn file_stamps(
        &self,
        topic: &TopicName,
        part: &Part,
        f: &DirFile,
    ) -> Result<Arc<Vec<i64>>, ClientError> {
        let key = (partition_dir(topic, part), f.name.clone(), f.bytes);
        if let Some(v) = self.counts.get(&key) {
            return Ok(v);
        }
        let body = self.fetch_log_file(topic, part, &f.name).await?;
        let (mut stamps, _) = body.map_or_else(Default::default, |b| entry_timestamps(&b));
        stamps.sort_unstable();
        let v = Arc::new(stamps);
        self.counts.put(key, v.clone());
        Ok(v)
    }

    /// Messages per bucket in the flushed log files of `parts`, between `req`'s times
    /// (default: the first log file's second to the last file's write time). Records not
    /// yet flushed by the broker are not counted.
    pub(crate) async fn message_histogram(
        &self,
        topic: &TopicName,
        parts: &[Part],
        req: HistogramRequest,
    ) -> Result<Histogram, ClientError> {
        let mut per_part = Vec::with_capacity(parts.len());
        for p in parts {
            per_part.push((p, self.partition_files(topic, p).await?.logs));
        }
        let all = || per_part.iter().flat_map(|(_, l)| l.iter());
        let first = all().map(|f| f.start_ns).min();
        let last = all()
            .map(|f| f.mtime_ns.unwrap_or(f.start_ns).max(f.start_ns + NS))
            .max();
        let start = req.start_ns.or(first).unwrap_or_else(crate::time::now_ns);
        let stop = req
            .stop_ns
            .or(last)
            .unwrap_or(start.saturating_add(NS))
            .max(start.saturating_add(1));
        let n = req.buckets.clamp(1, 100_000) as usize;
        let mut counts = vec![0u64; n];
        let jobs: Vec<(Part, DirFile)> = per_part
            .iter()
            .flat_map(|(p, logs)| {
                overlapping(logs, start, stop)
                    .into_iter()
                    .map(move |f| ((*p).clone(), f))
            })
            .collect();
        let (me, topic) = (self.clone(), topic.clone());
        let mut stream = futures::stream::iter(jobs)
            .map(move |(p, f)| {
                let (me, topic) = (me.clone(), topic.clone());
                async move { me.file_stamps(&topic, &p, &f).await }
            })
            .buffer_unordered(PARALLEL);
        while let Some(r) = stream.next().await {
            add(&mut counts, start, stop, &r?);
        }
        Ok(Histogram {
            start_ns: start,
            stop_ns: stop,
            counts,
            unit: HistogramUnit::Messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name_s: i64) -> DirFile {
        DirFile {
            name: name_s.to_string(),
            start_ns: name_s * NS,
            bytes: 1,
            mtime_ns: None,
            parquet: None,
        }
    }

    #[test]
    fn buckets_count_each_stamp_once_inside_the_range() {
        let mut c = vec![0; 4];
        add(&mut c, 0, 40, &[-5, 0, 9, 10, 25, 39, 40, 100]);
        assert_eq!(c, vec![2, 1, 1, 1]);
        let mut c = vec![0; 3];
        add(&mut c, i64::MIN, i64::MAX, &[i64::MIN, 0, i64::MAX - 1]);
        assert_eq!(c.iter().sum::<u64>(), 3);
    }

    #[test]
    fn only_files_that_can_hold_the_range_are_read() {
        let logs = [f(0), f(10), f(20)];
        let names = |v: Vec<DirFile>| v.into_iter().map(|f| f.name).collect::<Vec<_>>();
        assert_eq!(names(overlapping(&logs, 12 * NS, 15 * NS)), ["10"]);
        // The file of second 0 may hold records up to the first of second 10.
        assert_eq!(names(overlapping(&logs, 10 * NS, 10 * NS + 5)), ["0", "10"]);
        assert_eq!(names(overlapping(&logs, 30 * NS, 40 * NS)), ["20"]);
        assert!(overlapping(&logs, -10 * NS, 0).is_empty());
    }

    #[test]
    fn the_cache_is_bounded() {
        let c = CountCache::default();
        let k = |i: usize| ("d".to_string(), i.to_string(), 1);
        c.put(k(0), Arc::new(vec![0; CACHE_MAX - 1]));
        c.put(k(1), Arc::new(vec![0; 10]));
        assert!(c.get(&k(0)).is_none());
        assert!(c.get(&k(1)).is_some());
    }
}
