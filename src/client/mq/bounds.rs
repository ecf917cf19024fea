//! Exact first and last timestamps of a partition, for `topics` and `describe`.
//!
//! 4.48 never fills `GetPartitionRangeInfo.timestamp_range`, and the log file names give
//! seconds only (their write times are flush times, not record times). The first
//! timestamp is the first record of the first log file; the last one is the record at the
//! high-water mark − 1 when the broker serves it by offset (`FetchMessage`: records not
//! yet flushed), else the last record of the last log file. File timestamps are cached
//! by name and size ([`super::counts`]).

use std::time::Duration;

use super::files::DirFile;
use super::sub::{StartAt, Sub, SubItem};
use super::{MqClient, Part, pb_topic};
use crate::client::TopicName;
use crate::proto::mq::messaging_pb::FetchMessageRequest;

/// How long the broker may take to give a partition's first record (without the filer).
const FIRST_WAIT: Duration = Duration::from_millis(1500);

impl MqClient {
    /// `(first, last)` record timestamps of a partition whose log files are `logs`, `None`
    /// where they could not be found. With `ask_broker`, the broker's unflushed last
    /// record counts too.
    pub(crate) async fn exact_bounds(
        &self,
        topic: &TopicName,
        part: &Part,
        logs: &[DirFile],
        ask_broker: bool,
    ) -> (Option<i64>, Option<i64>) {
        let first = match logs.first() {
            Some(f) => self
                .file_stamps(topic, part, f)
                .await
                .ok()
                .and_then(|s| s.first().copied()),
            None => None,
        };
        let mut last = match logs.last() {
            Some(f) => self
                .file_stamps(topic, part, f)
                .await
                .ok()
                .and_then(|s| s.last().copied()),
            None => None,
        };
        if ask_broker && let Some(ts) = self.last_unflushed(topic, part).await {
            last = Some(last.map_or(ts, |l| l.max(ts)));
        }
        let first = first.or(last);
        (first, last)
    }

    /// `(first, last)` without the filer: the first record of a `RESET_TO_EARLIEST`
    /// subscription (waited for [`FIRST_WAIT`] at most), the last one as the broker serves
    /// it by offset (else the first when it is the only record).
    pub(crate) async fn broker_bounds(
        &self,
        topic: &TopicName,
        part: &Part,
        count: Option<u64>,
    ) -> (Option<i64>, Option<i64>) {
        let mut sub = Sub::open(self, topic, part, StartAt::Earliest, 1);
        let deadline = tokio::time::Instant::now() + FIRST_WAIT;
        let first = loop {
            match tokio::time::timeout_at(deadline, sub.rx.recv()).await {
                Ok(Some(SubItem::Data(d))) => break Some(d.ts_ns),
                Ok(Some(SubItem::Ctrl { error, end })) if error.is_empty() && !end => continue,
                _ => break None,
            }
        };
        drop(sub);
        let last = match self.last_unflushed(topic, part).await {
            Some(ts) => Some(ts),
            None if count == Some(1) => first,
            None => None,
        };
        (first, last)
    }

    /// The timestamp of the record at the high-water mark − 1, when the broker serves it.
    async fn last_unflushed(&self, topic: &TopicName, part: &Part) -> Option<i64> {
        let hwm = self.range_info(topic, part).await.ok()?.high_water_mark;
        if hwm <= 0 {
            return None;
        }
        let req = FetchMessageRequest {
            topic: Some(pb_topic(topic)),
            partition: Some(part.pb()),
            start_offset: hwm - 1,
            max_messages: 1,
            ..Default::default()
        };
        let r = self
            .broker_for(&part.leader)
            .await
            .fetch_message(req)
            .await
            .ok()?
            .into_inner();
        if r.error_code != 0 {
            return None;
        }
        r.messages.last().map(|m| m.ts_ns)
    }
}
