//! The fast path for history read from the earliest: `FetchMessage`, by offset, 10 000
//! records a call, with offsets, and without `SubscribeMessage`'s per-key stall (a
//! repeated key costs the broker ~137 ms per message there).
//!
//! 4.48's `FetchMessage` is not reliable for history: on a partition that was flushed and
//! unloaded it can answer `high_water_mark = 0` and no messages while the data is on
//! disk. It is used only when its first answer starts at offset 0 and reports at least the
//! high-water mark `GetPartitionRangeInfo` gave when the read began; otherwise nothing
//! is delivered from it and the subscription path reads everything. Whatever it does not
//! reach, the subscriptions read after it (resuming at its last timestamp).

use super::{Flow, Reader};
use crate::client::merge::PartEvent;
use crate::client::mq::pb_topic;
use crate::proto::mq::messaging_pb::FetchMessageRequest;
use crate::time::TimeSpec;

/// Records asked for per call (the broker's maximum).
const MAX_MESSAGES: i32 = 10_000;
/// Bytes asked for per call.
const MAX_BYTES: i32 = 16 << 20;

impl Reader {
    /// Delivers the history by offset where `FetchMessage` can be trusted; marks the
    /// partition caught up when it reached the high-water mark of the start.
    pub(super) async fn fetch_history(&mut self) -> Flow {
        let Some(target) = self.job.count_at_start.filter(|&c| c > 0) else {
            return Flow::Go;
        };
        if self.job.from != TimeSpec::Earliest {
            return Flow::Go;
        }
        let mut broker = self.client.broker_for(&self.job.part.leader).await;
        let mut offset = 0i64;
        let mut first = true;
        while offset < target {
            let req = FetchMessageRequest {
                topic: Some(pb_topic(&self.job.topic)),
                partition: Some(self.job.part.pb()),
                start_offset: offset,
                max_bytes: MAX_BYTES,
                max_messages: MAX_MESSAGES,
                ..Default::default()
            };
            let resp = tokio::select! {
                _ = self.tx.closed() => return Flow::Stop,
                r = broker.fetch_message(req) => r,
            };
            let Ok(resp) = resp.map(|r| r.into_inner()) else {
                break; // the subscriptions take over
            };
            let n = resp.messages.len() as i64;
            let start = resp.next_offset - n;
            if resp.error_code != 0 || !resp.error.is_empty() || n == 0 || start != offset {
                break;
            }
            if first && (resp.high_water_mark < target || resp.log_start_offset > 0) {
                tracing::debug!(
                    "FetchMessage untrusted for {} partition {}: hwm {} < {target}",
                    self.job.topic,
                    self.job.part.index,
                    resp.high_water_mark
                );
                break;
            }
            first = false;
            let mut batch = Vec::with_capacity(resp.messages.len());
            let mut done = false;
            for (i, m) in resp.messages.into_iter().enumerate() {
                if self.take(m, Some(start + i as i64), &mut batch) {
                    done = true;
                    break;
                }
            }
            offset = resp.next_offset;
            if !batch.is_empty() {
                for chunk in chunks(batch, self.cfg.batch) {
                    if let Flow::Stop = self.send(PartEvent::Records(chunk)).await {
                        return Flow::Stop;
                    }
                }
            }
            if done {
                let _ = self.send(PartEvent::CaughtUp).await;
                return Flow::Stop;
            }
        }
        if offset >= target {
            self.caught_up = true;
            if let Flow::Stop = self.send(PartEvent::CaughtUp).await {
                return Flow::Stop;
            }
            if !self.job.follow {
                return Flow::Stop;
            }
        }
        Flow::Go
    }
}

/// Splits a batch into batches of at most `n` records.
fn chunks<T>(mut v: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let n = n.max(1);
    let mut out = Vec::with_capacity(v.len() / n + 1);
    while v.len() > n {
        let rest = v.split_off(n);
        out.push(v);
        v = rest;
    }
    out.push(v);
    out
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_keep_order_and_bound_size() {
        let c = chunks((0..10).collect::<Vec<_>>(), 4);
        assert_eq!(c, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        assert_eq!(chunks(Vec::<u8>::new(), 4), vec![Vec::<u8>::new()]);
    }
}
