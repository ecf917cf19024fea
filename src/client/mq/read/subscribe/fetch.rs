//! The path for history read from the earliest of a partition whose records repeat keys:
//! `FetchMessage`, by offset, with offsets, and without `SubscribeMessage`'s per-key stall
//! (a repeated key costs the broker ~137 ms per message there: 7 records/s).
//!
//! `FetchMessage` is slow otherwise: 4.48 answers at most 1000 records a call (whatever
//! `max_messages` asks) and takes 70–300 ms a call on a partition of a few hundred
//! thousand records (measured: ~10k records/s a partition, 44–107 s for 1M records of
//! 100 B over 4 partitions), while a `SubscribeMessage` stream of distinct keys reads
//! several hundred thousand records/s. So the first answer decides: when its records
//! repeat a key, the partition is read by `FetchMessage` to the end of its history;
//! otherwise its records are delivered and the subscriptions read the rest, resuming at
//! its last timestamp.
//!
//! 4.48's `FetchMessage` is not reliable for history either: on a partition that was
//! flushed and unloaded it can answer `high_water_mark = 0` and no messages while the
//! data is on disk. It is used only when its first answer starts at offset 0 and reports
//! at least the high-water mark `GetPartitionRangeInfo` gave when the read began;
//! otherwise nothing is delivered from it and the subscription path reads everything.
//! Whatever it does not reach, the subscriptions read after it (resuming at its last
//! timestamp).

use std::collections::HashSet;

use super::{Flow, Reader};
use crate::client::merge::PartEvent;
use crate::client::mq::pb_topic;
use crate::proto::mq::messaging_pb::{DataMessage, FetchMessageRequest, FetchMessageResponse};
use crate::time::TimeSpec;

/// Records asked for per call (the documented maximum; 4.48 answers at most 1000).
const MAX_MESSAGES: i32 = 10_000;
/// Bytes asked for per call.
const MAX_BYTES: i32 = 16 << 20;

impl Reader {
    /// Delivers the history by offset where `FetchMessage` can be trusted; marks the
    /// partition caught up when it reached the high-water mark of the start.
    pub(super) async fn fetch_history(&mut self) -> Flow {
        self.fetch_from(0, false).await
    }

    /// Reading from the earliest, the subscriptions stopped short of the count that
    /// `FetchMessage` confirmed at the start: reads on by offset from the last delivered
    /// record, provided the record at that offset is the last delivered one (else the
    /// offsets do not match what came, and the subscriptions go on alone). Tried once.
    pub(super) async fn fetch_rest(&mut self) -> Flow {
        self.fetch_trusted = false;
        tracing::debug!(
            "{} partition {}: subscriptions stalled at {} records, FetchMessage reads on",
            self.job.topic,
            self.job.part.index,
            self.seen
        );
        self.fetch_from(self.seen.saturating_sub(1), true).await
    }

    /// The `FetchMessage` loop from `offset` (0, or the last delivered record's offset
    /// when `resume`).
    async fn fetch_from(&mut self, mut offset: i64, resume: bool) -> Flow {
        let Some(target) = self.job.count_at_start.filter(|&c| c > 0) else {
            return Flow::Go;
        };
        if self.job.from != TimeSpec::Earliest {
            return Flow::Go;
        }
        let mut broker = self.client.broker_for(&self.job.part.leader).await;
        let mut first = true;
        while offset < target {
            let req = self.fetch_request(offset);
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
            if first && !self.first_answer_usable(&resp, target, resume) {
                break;
            }
            if first && !resume {
                self.fetch_trusted = true;
            }
            if first && !resume && !repeats_a_key(&resp.messages) {
                // Distinct keys: one subscription from the earliest is much faster (and
                // a subscription opened mid-history at a timestamp was seen to stall).
                tracing::debug!(
                    "{} partition {}: distinct keys, read by subscription",
                    self.job.topic,
                    self.job.part.index
                );
                return Flow::Go;
            }
            first = false;
            offset = resp.next_offset;
            if let Flow::Stop = self.deliver_fetched(resp.messages, start).await {
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

    /// The request for `offset`.
    fn fetch_request(&self, offset: i64) -> FetchMessageRequest {
        FetchMessageRequest {
            topic: Some(pb_topic(&self.job.topic)),
            partition: Some(self.job.part.pb()),
            start_offset: offset,
            max_bytes: MAX_BYTES,
            max_messages: MAX_MESSAGES,
            ..Default::default()
        }
    }

    /// Whether the first answer can be used: resuming, it starts at the last delivered
    /// record; from the start, it reaches the high-water mark the read began with.
    fn first_answer_usable(&self, resp: &FetchMessageResponse, target: i64, resume: bool) -> bool {
        if resume {
            let at_last = resp.messages.first().map(|m| m.ts_ns) == self.last;
            if self.last.is_some() && !at_last {
                tracing::debug!("FetchMessage offsets do not match the delivered records");
                return false;
            }
        } else if resp.high_water_mark < target || resp.log_start_offset > 0 {
            tracing::debug!(
                "FetchMessage untrusted for {} partition {}: hwm {} < {target}",
                self.job.topic,
                self.job.part.index,
                resp.high_water_mark
            );
            return false;
        }
        true
    }

    /// Takes the messages of one answer (the first at offset `start`) and sends them;
    /// `Stop` when the read of this partition is over.
    async fn deliver_fetched(&mut self, messages: Vec<DataMessage>, start: i64) -> Flow {
        let mut batch = Vec::with_capacity(messages.len());
        let mut done = false;
        for (i, m) in messages.into_iter().enumerate() {
            if self.take(m, Some(start + i as i64), &mut batch) {
                done = true;
                break;
            }
        }
        if !batch.is_empty() {
            self.last_progress = tokio::time::Instant::now();
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
        Flow::Go
    }
}

/// Whether two of `messages` share a key (the empty key included).
fn repeats_a_key(messages: &[DataMessage]) -> bool {
    let mut keys = HashSet::with_capacity(messages.len());
    messages.iter().any(|m| !keys.insert(&m.key))
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
    use super::{DataMessage, chunks, repeats_a_key};
    use bytes::Bytes;

    fn keyed(k: &'static str) -> DataMessage {
        DataMessage {
            key: Bytes::from(k),
            ..Default::default()
        }
    }

    #[test]
    fn repeated_keys_are_found_the_empty_one_included() {
        assert!(!repeats_a_key(&[]));
        assert!(!repeats_a_key(&[keyed("a"), keyed("b"), keyed("")]));
        assert!(repeats_a_key(&[keyed("a"), keyed("b"), keyed("a")]));
        assert!(repeats_a_key(&[keyed(""), keyed("")]));
    }

    #[test]
    fn chunks_keep_order_and_bound_size() {
        let c = chunks((0..10).collect::<Vec<_>>(), 4);
        assert_eq!(c, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        assert_eq!(chunks(Vec::<u8>::new(), 4), vec![Vec::<u8>::new()]);
    }
}
