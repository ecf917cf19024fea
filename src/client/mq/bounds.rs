//! Exact first and last timestamps of a partition, for `topics` and `describe`.
//!
//! 4.48 never fills `GetPartitionRangeInfo.timestamp_range`, and the log file names give
//! seconds only (their write times are flush times, not record times). The first
//! timestamp is the first record of the first log file; the last one is the record at the
//! high-water mark − 1 when the broker serves it by offset (`FetchMessage`: records not
//! yet flushed), else the last record of the last log file. File timestamps are cached
//! by name and size ([`super::counts`]).

use super::files::DirFile;
use super::{MqClient, Part, pb_topic};
use crate::client::TopicName;
use crate::proto::mq::messaging_pb::FetchMessageRequest;

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
