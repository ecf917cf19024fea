//! The 2.x topic layout in the filer, for brokers without the admin extension.
//!
//! An original 2.x broker keeps `/topics/<ns>/<topic>/<YYYY-MM-DD>/<HH-MM>.part<NN>` (UTC,
//! the minute in which a flushed buffer started) and `p<NN>.md5` for a sealed partition.
//! From names and sizes alone this gives, per partition: bytes, first/last minute, and
//! closed; message counts would need reading the logs and are left unknown.

use std::collections::BTreeMap;

use crate::client::filer::{FilerClient, entry_size};
use crate::client::{
    ClientError, Histogram, HistogramRequest, HistogramUnit, PartitionInfo, TopicInfo, TopicName,
};
use crate::proto::filer as fpb;
use chrono::{NaiveDate, NaiveTime};
use futures::{StreamExt as _, TryStreamExt as _};

/// The root of the topics tree in the filer.
pub(crate) const TOPICS_ROOT: &str = "/topics";

const MINUTE_NS: i64 = 60_000_000_000;
/// Directories listed at once.
const SCAN_CONCURRENCY: usize = 8;

/// One flushed log file of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogFile {
    /// Start of the minute the file is named after (ns since the epoch, UTC).
    pub minute_ns: i64,
    /// Stored bytes.
    pub size: u64,
}

/// What the filer holds for one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LayoutPartition {
    /// Its log files, by minute.
    pub files: Vec<LogFile>,
    /// A `p<NN>.md5` marker exists.
    pub closed: bool,
}

/// A topic directory as found in the filer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayoutTopic {
    /// The topic.
    pub name: TopicName,
    /// Partitions seen (by file suffix or close marker).
    pub partitions: BTreeMap<i32, LayoutPartition>,
}

impl LayoutTopic {
    /// The topic's statistics: partitions `0..=highest seen` (only those seen when the
    /// highest is beyond [`super::admin::MAX_DENSE_PARTITIONS`]), bytes, first/last minute.
    pub(crate) fn info(&self) -> TopicInfo {
        let highest = self.partitions.keys().next_back().copied().unwrap_or(-1);
        let ids: Vec<i32> = if highest < super::admin::MAX_DENSE_PARTITIONS {
            (0..=highest).collect()
        } else {
            self.partitions.keys().copied().collect()
        };
        let partitions = ids
            .into_iter()
            .map(|id| {
                let p = self.partitions.get(&id).cloned().unwrap_or_default();
                PartitionInfo {
                    id,
                    ring: None,
                    leader: None,
                    message_count: None,
                    bytes: Some(p.files.iter().fold(0u64, |a, f| a.saturating_add(f.size))),
                    first_ts_ns: p.files.iter().map(|f| f.minute_ns).min(),
                    last_ts_ns: p.files.iter().map(|f| f.minute_ns).max(),
                    closed: p.closed,
                    // No subscriber records here: whether it was read is unknown.
                    consumed: crate::client::Consumed::Unknown,
                    subscribers: Vec::new(),
                }
            })
            .collect();
        TopicInfo {
            name: self.name.clone(),
            partitions,
            publishers: None,
            subscribers: None,
        }
    }

    /// Stored bytes per time bucket, each file counted in the bucket of its minute.
    pub(crate) fn histogram(&self, req: HistogramRequest) -> Result<Histogram, ClientError> {
        let files = || self.partitions.values().flat_map(|p| p.files.iter());
        let first = files().map(|f| f.minute_ns).min();
        let last = files().map(|f| f.minute_ns).max();
        let (start, stop) = super::histogram_range(req, first, last, MINUTE_NS)?;
        let n = req.buckets as usize;
        let mut counts = vec![0u64; n];
        let width = (stop - start) as i128;
        for f in files() {
            if f.minute_ns < start || f.minute_ns >= stop {
                continue;
            }
            let i = ((f.minute_ns - start) as i128 * n as i128 / width) as usize;
            let c = &mut counts[i.min(n - 1)];
            *c = c.saturating_add(f.size);
        }
        Ok(Histogram {
            start_ns: start,
            stop_ns: stop,
            counts,
            unit: HistogramUnit::Bytes,
        })
    }
}

/// `HH-MM.partNN` → (minute of day in ns, partition).
pub(crate) fn parse_log_file_name(name: &str) -> Option<(i64, i32)> {
    let (hm, part) = name.split_once(".part")?;
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 6 {
        return None;
    }
    let (h, m) = hm.split_once('-')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let t = NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)?;
    let ns = i64::from(chrono::Timelike::num_seconds_from_midnight(&t)) * crate::time::NS_PER_SEC;
    Some((ns, part.parse().ok()?))
}

/// `YYYY-MM-DD` → midnight UTC in ns.
pub(crate) fn parse_day_dir(name: &str) -> Option<i64> {
    if name.len() != 10 {
        return None;
    }
    let d = NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()?;
    d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()
}

/// `pNN.md5` → partition.
pub(crate) fn parse_close_marker(name: &str) -> Option<i32> {
    let n = name.strip_prefix('p')?.strip_suffix(".md5")?;
    if n.is_empty() || n.len() > 6 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// Lists the 2.x layout through the filer's gRPC API.
pub(crate) struct FilerLayout {
    filer: FilerClient,
}

impl FilerLayout {
    /// A lister over a filer client.
    pub(crate) fn new(filer: FilerClient) -> Self {
        FilerLayout { filer }
    }

    async fn list(&self, dir: &str) -> Result<Vec<fpb::Entry>, ClientError> {
        self.filer.list_entries(dir).await
    }

    /// Every topic under `/topics`.
    pub(crate) async fn list_all(&self) -> Result<Vec<LayoutTopic>, ClientError> {
        let names = self.topic_names().await?;
        futures::stream::iter(names.into_iter().map(|n| self.scan(n)))
            .buffered(SCAN_CONCURRENCY)
            .try_collect()
            .await
    }

    /// The names of every topic under `/topics` (namespace and topic directories only).
    pub(crate) async fn topic_names(&self) -> Result<Vec<TopicName>, ClientError> {
        let mut names = Vec::new();
        for ns in self.list(TOPICS_ROOT).await? {
            if !ns.is_directory {
                continue;
            }
            for t in self.list(&format!("{TOPICS_ROOT}/{}", ns.name)).await? {
                if t.is_directory {
                    names.push(TopicName {
                        namespace: ns.name.clone(),
                        name: t.name,
                    });
                }
            }
        }
        Ok(names)
    }

    /// One topic; `TopicNotFound` when its directory does not exist.
    pub(crate) async fn topic(&self, topic: &TopicName) -> Result<LayoutTopic, ClientError> {
        let dir = format!("{TOPICS_ROOT}/{}", topic.namespace);
        match self.filer.lookup(&dir, &topic.name).await? {
            Some(e) if e.is_directory => {}
            _ => return Err(ClientError::TopicNotFound(topic.to_string())),
        }
        self.scan(topic.clone()).await
    }

    /// Reads one topic directory: day directories with log files, and close markers.
    async fn scan(&self, name: TopicName) -> Result<LayoutTopic, ClientError> {
        let dir = format!("{TOPICS_ROOT}/{}/{}", name.namespace, name.name);
        let mut partitions: BTreeMap<i32, LayoutPartition> = BTreeMap::new();
        let mut days = Vec::new();
        for e in self.list(&dir).await? {
            if !e.is_directory {
                if let Some(p) = parse_close_marker(&e.name) {
                    partitions.entry(p).or_default().closed = true;
                }
                continue;
            }
            if let Some(day) = parse_day_dir(&e.name) {
                days.push((day, format!("{dir}/{}", e.name)));
            }
        }
        let listed: Vec<(i64, Vec<fpb::Entry>)> = futures::stream::iter(days)
            .map(|(day, d)| async move { Ok::<_, ClientError>((day, self.list(&d).await?)) })
            .buffered(SCAN_CONCURRENCY)
            .try_collect()
            .await?;
        for (day, files) in listed {
            for f in files {
                if f.is_directory {
                    continue;
                }
                if let Some((minute, p)) = parse_log_file_name(&f.name) {
                    partitions.entry(p).or_default().files.push(LogFile {
                        minute_ns: day + minute,
                        size: entry_size(&f),
                    });
                }
            }
        }
        for p in partitions.values_mut() {
            p.files.sort_by_key(|f| f.minute_ns);
        }
        Ok(LayoutTopic { name, partitions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!(
            parse_log_file_name("13-07.part02"),
            Some(((13 * 60 + 7) * MINUTE_NS, 2))
        );
        assert_eq!(parse_log_file_name("00-00.part00"), Some((0, 0)));
        assert_eq!(parse_log_file_name("24-00.part00"), None);
        assert_eq!(parse_log_file_name("13-07.partx"), None);
        assert_eq!(parse_log_file_name("13-07.part"), None);
        assert_eq!(parse_log_file_name("1307.part01"), None);
        assert_eq!(
            parse_day_dir("2026-11-27"),
            Some(1_795_737_600 * 1_000_000_000)
        );
        assert_eq!(parse_day_dir("2026-13-01"), None);
        assert_eq!(parse_day_dir("v2026-11-27"), None);
        assert_eq!(parse_close_marker("p00.md5"), Some(0));
        assert_eq!(parse_close_marker("p13.md5"), Some(13));
        assert_eq!(parse_close_marker("p.md5"), None);
        assert_eq!(parse_close_marker("px1.md5"), None);
    }

    #[test]
    fn info_and_histogram_from_files() {
        let day = parse_day_dir("2026-11-27").unwrap();
        let mut partitions = BTreeMap::new();
        partitions.insert(
            0,
            LayoutPartition {
                files: vec![
                    LogFile {
                        minute_ns: day,
                        size: 100,
                    },
                    LogFile {
                        minute_ns: day + 2 * MINUTE_NS,
                        size: 50,
                    },
                ],
                closed: false,
            },
        );
        partitions.insert(
            2,
            LayoutPartition {
                files: vec![],
                closed: true,
            },
        );
        let t = LayoutTopic {
            name: TopicName::new("ns", "t").unwrap(),
            partitions,
        };
        let info = t.info();
        assert_eq!(info.partitions.len(), 3);
        assert_eq!(info.partitions[0].bytes, Some(150));
        assert_eq!(info.partitions[0].first_ts_ns, Some(day));
        assert_eq!(info.partitions[0].last_ts_ns, Some(day + 2 * MINUTE_NS));
        assert_eq!(info.partitions[1].bytes, Some(0));
        assert!(info.partitions[2].closed);
        assert_eq!(info.message_count(), None);
        let h = t
            .histogram(HistogramRequest {
                start_ns: None,
                stop_ns: None,
                buckets: 3,
            })
            .unwrap();
        assert_eq!((h.start_ns, h.stop_ns), (day, day + 3 * MINUTE_NS));
        assert_eq!(h.counts, vec![100, 0, 50]);
        assert_eq!(h.unit, HistogramUnit::Bytes);
    }
}
