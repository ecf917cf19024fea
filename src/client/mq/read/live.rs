//! Step 4–5 of the log-file reader: the broker's unflushed records and the live edge by
//! `FetchMessage` from the last offset read + 1, with the filer's files as the fallback
//! while the broker cannot serve the partition by offset.
//!
//! 4.48 facts (`seaweedfs-4x.md`, Reading): `FetchMessage` is stateless, by offset, answers
//! at most 1000 records a call, has no long polling (`max_wait_ms` is ignored), reads disk
//! and memory of a partition a publisher loaded, and answers `high_water_mark = 0` with no
//! messages for a partition it loaded itself after it unloaded (everything is in the files
//! then). Message `i` of an answer has offset `next_offset − n + i`.

use tokio::time::Instant;

use super::logread::{Go, LogReader};
use crate::client::merge::PartEvent;
use crate::client::mq::is_missing_topic;
use crate::client::{ClientError, TopicName};
use crate::proto::filer::LogEntry;

/// How often an idle partition sweeps the broker's memory from its start.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// How far behind the time of an empty poll the watermark is put: the broker stamps
/// records on arrival, so this covers clock skew between this host and the broker and a
/// write in flight (the subscription reader needs more: its reopen takes time).
const LIVE_SLACK: std::time::Duration = std::time::Duration::from_millis(50);
/// Answers read at most per sweep.
const SWEEP_PAGES: usize = 16;

/// What one `FetchMessage` round gave.
enum Round {
    /// Records were delivered: ask again at once.
    More,
    /// Nothing new at the offset asked; the broker's in-memory log starts at this offset.
    Edge(i64),
    /// The broker cannot serve this partition by offset now (the reason).
    Unserved(String),
    /// Retry after a backoff (already reported).
    Retry,
    Stop,
}

impl LogReader {
    /// Reads from the broker from the last offset + 1 until the read is over.
    pub(super) async fn live(&mut self) {
        let mut broker = self.client.broker_for(&self.job.part.leader).await;
        let mut next = self.next_offset();
        let mut last_relist = Instant::now();
        let mut last_gone_check = Instant::now();
        let mut last_sweep: Option<Instant> = None;
        loop {
            let polled_ns = crate::time::now_ns();
            let round = self.fetch_round(&mut broker, &mut next).await;
            let healthy = match round {
                Round::Stop => return,
                Round::More => continue,
                Round::Retry => {
                    broker = self.client.broker_for(&self.job.part.leader).await;
                    continue;
                }
                Round::Edge(log_start) => {
                    // 4.48 renumbers a reloaded partition's memory (seen: a record acked at
                    // offset 1 was served at 0 only): sweep the broker's memory from its
                    // start now and then, delivering what is newer than the last record.
                    let due = last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY);
                    if due && log_start < next {
                        last_sweep = Some(Instant::now());
                        let mut at = log_start;
                        if let Round::Stop = self.sweep(&mut broker, &mut at).await {
                            return;
                        }
                    }
                    true
                }
                Round::Unserved(why) => {
                    if self.job.follow {
                        let text = format!(
                            "{}: the broker does not serve it by offset ({why}); new records \
                             are read from the filer's log files once flushed",
                            self.what()
                        );
                        if self.notice(text).await == Go::Stop {
                            return;
                        }
                    }
                    false
                }
            };
            if !self.caught_up() {
                self.set_caught_up();
                if self.send(PartEvent::CaughtUp).await == Go::Stop || !self.job.follow {
                    return;
                }
            }
            if healthy && self.report_watermark(polled_ns).await == Go::Stop {
                return;
            }
            let relist_every = if healthy {
                self.cfg.relist * 5
            } else {
                self.cfg.relist
            };
            // A deleted topic stays served from the broker's memory for ~30 s: the filer
            // says it first (topic.conf gone), and a deleted topic ends the read.
            if last_gone_check.elapsed() >= self.cfg.relist {
                last_gone_check = Instant::now();
                let topic = &self.job.topic;
                if self.client.topic_in_filer(topic).await == Some(false) {
                    let e = ClientError::TopicNotFound(format!("{topic} (deleted)"));
                    let _ = self.send(PartEvent::Failed(e)).await;
                    return;
                }
            }
            if last_relist.elapsed() >= relist_every {
                last_relist = Instant::now();
                if self.read_new_files().await == Go::Stop || self.done_reading {
                    return;
                }
                next = next.max(self.next_offset());
            }
            let wait = if healthy {
                self.cfg.live_poll
            } else {
                self.cfg.relist
            };
            tokio::select! {
                _ = self.tx.closed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One `FetchMessage` from `next`, delivering what it brought.
    async fn fetch_round(
        &mut self,
        broker: &mut crate::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient<
            tonic::transport::Channel,
        >,
        next: &mut i64,
    ) -> Round {
        let req = self.fetch_request(*next);
        let resp = tokio::select! {
            _ = self.tx.closed() => return Round::Stop,
            r = broker.fetch_message(req) => r,
        };
        let r = match resp {
            Ok(r) => r.into_inner(),
            Err(status) => return self.fetch_failed(status, *next).await,
        };
        if r.error_code != 0 || !r.error.is_empty() {
            return Round::Unserved(format!("error {}: {}", r.error_code, r.error));
        }
        if self.reconnected().await == Go::Stop {
            return Round::Stop;
        }
        let n = r.messages.len() as i64;
        if n == 0 {
            return Round::Edge(r.log_start_offset);
        }
        let start = r.next_offset.saturating_sub(n).max(0);
        let mut batch = Vec::with_capacity(r.messages.len());
        for (i, m) in r.messages.into_iter().enumerate() {
            let e = LogEntry {
                ts_ns: m.ts_ns,
                key: m.key,
                data: m.value,
                offset: start + i as i64,
                ..Default::default()
            };
            if self.take(e, start + i as i64, &mut batch) {
                self.done_reading = true;
                break;
            }
        }
        *next = r.next_offset.max(*next + n);
        if self.deliver(batch).await == Go::Stop {
            return Round::Stop;
        }
        if self.done_reading {
            if !self.caught_up() {
                let _ = self.send(PartEvent::CaughtUp).await;
            }
            return Round::Stop;
        }
        Round::More
    }

    /// Reads the broker's memory from `at` (at most [`SWEEP_PAGES`] answers), delivering
    /// only records newer than the last delivered one.
    async fn sweep(
        &mut self,
        broker: &mut crate::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient<
            tonic::transport::Channel,
        >,
        at: &mut i64,
    ) -> Round {
        for _ in 0..SWEEP_PAGES {
            match self.fetch_round(broker, at).await {
                Round::More => {}
                Round::Stop => return Round::Stop,
                _ => break,
            }
        }
        Round::More
    }

    /// A failed `FetchMessage`: a deleted topic ends the read, transient failures are
    /// retried, anything else means the broker cannot serve the partition now.
    async fn fetch_failed(&mut self, status: tonic::Status, next: i64) -> Round {
        let topic: &TopicName = &self.job.topic;
        if is_missing_topic(&status) && self.client.topic_in_filer(topic).await == Some(false) {
            let e = ClientError::TopicNotFound(format!("{topic} (deleted)"));
            let _ = self.send(PartEvent::Failed(e)).await;
            return Round::Stop;
        }
        let err = ClientError::rpc(format!("fetch {} at offset {next}", self.what()), status);
        if err.is_transient() {
            return match self.retry_later(&err, true).await {
                Go::On => Round::Retry,
                Go::Stop => Round::Stop,
            };
        }
        Round::Unserved(err.to_string())
    }

    /// At the live edge with the broker serving: nothing stamped before the poll (less
    /// [`LIVE_SLACK`]) can still come from this partition, unless a publisher stamps its
    /// records itself (those are delivered anyway, up to the merger's bounded wait late).
    async fn report_watermark(&mut self, polled_ns: i64) -> Go {
        let wm = polled_ns - LIVE_SLACK.as_nanos() as i64;
        let wm = wm.max(self.last_ts().map_or(i64::MIN, |l| l + 1));
        if wm > self.watermark {
            self.watermark = wm;
            if self.send(PartEvent::Watermark(wm)).await == Go::Stop {
                return Go::Stop;
            }
        }
        if self.job.until.is_some_and(|u| wm > u) {
            return Go::Stop;
        }
        Go::On
    }
}
