//! Step 4–5 of the log-file reader: the broker's unflushed records and the live edge by
//! `FetchMessage`, with the filer's files as the fallback while the broker cannot serve the
//! partition by offset.
//!
//! The seam between the files and the broker (nothing lost, nothing twice):
//! - every poll asks for the offset of the last record seen (the anchor), not the one
//!   after it, and goes on only when the broker's record there has the anchor's timestamp:
//!   then its numbering continues ours, and what follows is exactly what comes next;
//! - otherwise (the handover from the files, an empty partition, a broker that unloaded
//!   and reloaded the partition and renumbered its memory from 0 — the first log file
//!   carries no offset attributes — or one that lost the anchor's record) the reader
//!   *resyncs*: it takes the broker's memory from its start without delivering it, lists
//!   the partition directory again (records flushed before that fetch are in the files by
//!   then, and are older than anything still in memory), delivers the new files' records,
//!   then the memory's, dropping every record not newer than the last delivered one.
//!
//! 4.48 facts (`seaweedfs-4x.md`, Reading): `FetchMessage` is stateless, by offset, answers
//! at most 1000 records a call, has no long polling (`max_wait_ms` is ignored), reads disk
//! and memory of a partition a publisher loaded, and answers `high_water_mark = 0` with no
//! messages for a partition it loaded itself after it unloaded (everything is in the files
//! then). Message `i` of an answer has offset `next_offset − n + i`.

use tokio::time::Instant;
use tonic::transport::Channel;

use super::logread::{Go, LogReader};
use super::seam::Source;
use crate::client::merge::PartEvent;
use crate::client::mq::is_missing_topic;
use crate::client::{ClientError, TopicName};
use crate::proto::filer::LogEntry;
use crate::proto::mq::messaging_pb::DataMessage;
use crate::proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient;

type Broker = SeaweedMessagingClient<Channel>;

/// How often an idle partition whose broker does not continue our numbering takes the
/// broker's memory again (at once when the broker's high-water mark moves).
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// How far behind the time of an empty poll the watermark is put: the broker stamps
/// records on arrival, so this covers clock skew between this host and the broker and a
/// write in flight (the subscription reader needs more: its reopen takes time).
const LIVE_SLACK: std::time::Duration = std::time::Duration::from_millis(50);
/// Answers read at most per resync (1000 records each).
const SWEEP_PAGES: usize = 64;
/// How long the handover waits for records the broker counts but did not give (a flush
/// in flight) before it declares the history read.
const HANDOVER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
/// How often the handover looks again meanwhile.
const HANDOVER_RETRY: std::time::Duration = std::time::Duration::from_millis(100);
/// While the broker counts records not read yet, the directory is listed at most this often.
const BEHIND_RELIST: std::time::Duration = std::time::Duration::from_millis(400);

/// How long a `FetchMessage` may take (answers come in milliseconds, a disk read of 1000
/// records in about a second).
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// What one round at the live edge gave.
enum Round {
    /// Records were delivered: ask again at once.
    More,
    /// Nothing new.
    Edge,
    /// The broker cannot serve this partition by offset now (the reason).
    Unserved(String),
    /// Retry after a backoff (already reported).
    Retry,
    Stop,
}

/// One `FetchMessage` answer.
struct Answer {
    /// The offset asked for.
    at: i64,
    high_water_mark: i64,
    log_start: i64,
    next_offset: i64,
    messages: Vec<DataMessage>,
}

impl Answer {
    /// The offset of message `i` (4.48 sends none: they run up to `next_offset`).
    fn offset_of(&self, i: usize) -> i64 {
        let n = self.messages.len() as i64;
        self.next_offset.saturating_sub(n).max(0) + i as i64
    }
}

/// What the live loop remembers between rounds.
struct Edge {
    /// The broker's `(high_water_mark, log_start_offset)` at the last resync.
    state: Option<(i64, i64)>,
    last_sweep: Option<Instant>,
    last_relist: Instant,
    /// At the last resync the broker's high-water mark was above the offset after the
    /// anchor: records it counts were in neither its memory nor the files read.
    behind: bool,
}

impl LogReader {
    /// Reads from the broker until the read is over: first a resync (the handover from
    /// the files), then rounds at the anchor.
    pub(super) async fn live(&mut self) {
        let mut broker = self.client.broker_for(&self.job.part.leader).await;
        let mut edge = Edge {
            state: None,
            last_sweep: None,
            last_relist: Instant::now(),
            behind: false,
        };
        let mut handover = true;
        let handover_until = Instant::now() + HANDOVER_WAIT;
        let mut last_gone_check = Instant::now();
        loop {
            let polled_ns = crate::time::now_ns();
            let round = if handover {
                self.resync(&mut broker, &mut edge, None, true).await
            } else {
                self.round(&mut broker, &mut edge).await
            };
            // The broker counts records that neither its memory nor the files gave yet: a
            // flush in flight (4.48 empties its memory before the log file is written,
            // then unloads the partition). History is not complete before they come.
            // A broker unloading the partition may not serve it for a moment either.
            let unsure =
                matches!(round, Round::Edge) && edge.behind || matches!(round, Round::Unserved(_));
            if handover && unsure {
                if Instant::now() < handover_until {
                    tokio::select! {
                        _ = self.tx.closed() => return,
                        _ = tokio::time::sleep(HANDOVER_RETRY) => {}
                    }
                    continue;
                }
                tracing::debug!(
                    "{}: the broker still counts records not read, or does not serve the \
                     partition; going on",
                    self.what()
                );
            }
            let healthy = match round {
                Round::Stop => return,
                Round::More => {
                    handover = false;
                    continue;
                }
                Round::Retry => {
                    broker = self.client.broker_for(&self.job.part.leader).await;
                    continue;
                }
                Round::Edge => true,
                Round::Unserved(why) => {
                    self.distrust_broker();
                    if self.say_unserved(&why).await == Go::Stop {
                        return;
                    }
                    false
                }
            };
            let was_handover = std::mem::replace(&mut handover, false);
            if self.settle(was_handover, healthy, polled_ns).await == Go::Stop {
                return;
            }
            if self
                .between_rounds(healthy, &mut edge, &mut last_gone_check)
                .await
                == Go::Stop
            {
                return;
            }
        }
    }

    /// Following, says (once) that the broker does not serve the partition by offset.
    async fn say_unserved(&mut self, why: &str) -> Go {
        if !self.job.follow {
            return Go::On;
        }
        let text = format!(
            "{}: the broker does not serve it by offset ({why}); new records are read from \
             the filer's log files once flushed",
            self.what()
        );
        self.notice(text).await
    }

    /// After a round that ended at the edge (`healthy`) or unserved: the history is
    /// complete (said once; a non-follow read ends), and a healthy partition reports a
    /// watermark. At the `handover`, when the broker could not be asked, the files are
    /// read once more first.
    async fn settle(&mut self, handover: bool, healthy: bool, polled_ns: i64) -> Go {
        if handover && !healthy {
            // The broker could not be asked: what the files hold is the history.
            if self.read_new_files().await == Go::Stop || self.done_reading {
                return Go::Stop;
            }
        }
        if !self.caught_up() {
            self.set_caught_up();
            if self.send(PartEvent::CaughtUp).await == Go::Stop || !self.job.follow {
                return Go::Stop;
            }
        }
        if healthy && self.report_watermark(polled_ns).await == Go::Stop {
            return Go::Stop;
        }
        Go::On
    }

    /// Between two rounds: ends a read whose topic was deleted, lists the directory now
    /// and then (often while the broker does not serve the partition), and waits.
    async fn between_rounds(
        &mut self,
        healthy: bool,
        edge: &mut Edge,
        last_gone_check: &mut Instant,
    ) -> Go {
        // A deleted topic stays served from the broker's memory for ~30 s: the filer
        // says it first (topic.conf gone), and a deleted topic ends the read.
        if last_gone_check.elapsed() >= self.cfg.relist {
            *last_gone_check = Instant::now();
            let topic = &self.job.topic;
            if self.client.topic_in_filer(topic).await == Some(false) {
                let e = ClientError::TopicNotFound(format!("{topic} (deleted)"));
                let _ = self.send(PartEvent::Failed(e)).await;
                return Go::Stop;
            }
        }
        let relist_every = if healthy {
            self.cfg.relist * 5
        } else {
            self.cfg.relist
        };
        if edge.last_relist.elapsed() >= relist_every {
            edge.last_relist = Instant::now();
            if self.read_new_files().await == Go::Stop || self.done_reading {
                return Go::Stop;
            }
        }
        let wait = if healthy {
            self.cfg.live_poll
        } else {
            self.cfg.relist
        };
        tokio::select! {
            _ = self.tx.closed() => Go::Stop,
            _ = tokio::time::sleep(wait) => Go::On,
        }
    }

    /// One poll at the anchor: when the broker's record there is the anchor, what follows
    /// it is delivered; otherwise the reader resyncs.
    async fn round(&mut self, broker: &mut Broker, edge: &mut Edge) -> Round {
        let at = self.anchor().map_or(0, |(o, _)| o);
        let ans = match self.fetch(broker, at).await {
            Ok(a) => a,
            Err(r) => return r,
        };
        let continues = self
            .anchor()
            .is_some_and(|(_, ts)| ans.messages.first().is_some_and(|m| m.ts_ns == ts));
        // The anchor alone while the broker counts more: something is in flight.
        let stalled = ans.messages.len() == 1 && ans.high_water_mark > at.saturating_add(1);
        if !continues || stalled {
            tracing::debug!(
                "{}: at anchor {:?} the broker has {} (hwm {}, log start {}, next {}, first ts \
                 {:?}): resync",
                self.what(),
                self.anchor(),
                ans.messages.len(),
                ans.high_water_mark,
                ans.log_start,
                ans.next_offset,
                ans.messages.first().map(|m| m.ts_ns)
            );
            return self.resync(broker, edge, Some(ans), false).await;
        }
        let new = ans.messages.len() > 1;
        if self.deliver_answers(vec![ans], Source::Continuing).await == Go::Stop
            || self.done_reading
        {
            return self.stop_done().await;
        }
        if new { Round::More } else { Round::Edge }
    }

    /// Takes the broker's memory from its start (without delivering it), lists the
    /// directory again and delivers the new files' records, then the memory's. Without
    /// `force`, an unchanged broker is looked at only every [`SWEEP_EVERY`], and the
    /// directory listed only when the memory holds something new, the broker changed, or
    /// [`super::PartitionReadConfig::relist`] has passed.
    async fn resync(
        &mut self,
        broker: &mut Broker,
        edge: &mut Edge,
        probe: Option<Answer>,
        force: bool,
    ) -> Round {
        let probe = match probe {
            Some(p) => p,
            None => match self
                .fetch(broker, self.anchor().map_or(0, |(o, _)| o))
                .await
            {
                Ok(a) => a,
                Err(r) => return r,
            },
        };
        let state = (probe.high_water_mark, probe.log_start);
        let changed = edge.state != Some(state);
        edge.state = Some(state);
        let recent = edge.last_sweep.is_some_and(|t| t.elapsed() < SWEEP_EVERY);
        // Unchanged since the last look (same high-water mark): nothing new to take.
        if !force && !changed && recent {
            return Round::Edge;
        }
        let expected = self.anchor().map_or(0, |(o, _)| o.saturating_add(1));
        let behind = probe.high_water_mark > expected;
        edge.last_sweep = Some(Instant::now());
        let (continues, from) = self.sweep_start(&probe);
        let (held, memory) = match self
            .take_from_broker(broker, probe, from, state, continues)
            .await
        {
            Ok(h) => h,
            Err(r) => return r,
        };
        let last = self.last_ts();
        let new = held
            .iter()
            .chain(&memory)
            .flat_map(|a| &a.messages)
            .any(|m| !self.delivered(m.ts_ns));
        tracing::debug!(
            "{}: resync from {from} (hwm {}, log start {}, continues {continues}): {} answers, \
             {} records, new {new}, last delivered ts {last:?}, gap open {}",
            self.what(),
            state.0,
            state.1,
            held.len() + memory.len(),
            held.iter()
                .chain(&memory)
                .map(|a| a.messages.len())
                .sum::<usize>(),
            self.seam_open()
        );
        let since = edge.last_relist.elapsed();
        let relist = force
            || new
            || changed
            || (behind && since >= BEHIND_RELIST)
            || since >= self.cfg.relist;
        if relist {
            edge.last_relist = Instant::now();
        }
        if self
            .relist_and_deliver(relist, held, memory, continues)
            .await
            == Go::Stop
        {
            return self.stop_done().await;
        }
        let expected = self.anchor().map_or(0, |(o, _)| o.saturating_add(1));
        edge.behind = behind && state.0 > expected;
        if new { Round::More } else { Round::Edge }
    }

    /// Whether the broker's numbering continues ours at the anchor, and the offset to
    /// take its records from.
    fn sweep_start(&self, probe: &Answer) -> (bool, i64) {
        // The broker's record at the anchor's offset is the anchor: its numbering continues
        // ours, so what follows the anchor is exactly what comes next. No sweep of its memory
        // from `log_start_offset`, which 4.48 reports as 0 once a buffer was flushed: from 0,
        // every answer is a disk read of the whole partition (minutes for a large one).
        let continues = self
            .anchor()
            .is_some_and(|(_, ts)| probe.messages.first().is_some_and(|m| m.ts_ns == ts));
        let from = match self.anchor() {
            None => 0,
            Some((o, _)) if continues => o,
            Some((o, _)) => probe.log_start.min(o.saturating_add(1)),
        };
        (continues, from)
    }

    /// The broker's answers from `from` on (`probe` when it is the answer there), and its
    /// memory `(held, memory)`: the memory replaces what was held when nothing came below
    /// it, and is taken beside it when it starts after what came.
    async fn take_from_broker(
        &mut self,
        broker: &mut Broker,
        probe: Answer,
        from: i64,
        state: (i64, i64),
        continues: bool,
    ) -> Result<(Vec<Answer>, Vec<Answer>), Round> {
        let mut held = if from == probe.at {
            self.collect(broker, probe).await?
        } else {
            self.fetch_all(broker, from).await?
        };
        // Nothing below the broker's memory (files truncated, or a disk read that gives
        // nothing): its memory still counts.
        if held.iter().all(|a| a.messages.is_empty()) && state.1 > from {
            held = self.fetch_all(broker, state.1).await?;
        }
        // From the anchor the broker gave less than it counts, and its memory starts after
        // what it gave (a disk read that stops at a cached chunk's end, a flush in
        // flight): take the memory too; the files' relist fills the gap between.
        let mut memory = Vec::new();
        if continues {
            let end = held.last().map_or(from, |a| a.next_offset.max(a.at));
            if state.0 > end && state.1 > end {
                memory = self.fetch_all(broker, state.1).await?;
            }
        }
        Ok((held, memory))
    }

    /// The answer at `at` and those that follow it at once ([`Self::collect`]).
    async fn fetch_all(&mut self, broker: &mut Broker, at: i64) -> Result<Vec<Answer>, Round> {
        let first = self.fetch(broker, at).await?;
        self.collect(broker, first).await
    }

    /// Reads the files flushed since (when `relist`), then delivers `held` and `memory`;
    /// `Stop` when the read is over.
    async fn relist_and_deliver(
        &mut self,
        relist: bool,
        held: Vec<Answer>,
        memory: Vec<Answer>,
        continues: bool,
    ) -> Go {
        if relist && (self.read_new_files().await == Go::Stop || self.done_reading) {
            return Go::Stop;
        }
        // Only records that follow the anchor in the broker's numbering are in order; the
        // others may have a gap before them that the files fill later (`seam`).
        let source = if continues {
            Source::Continuing
        } else {
            Source::Jump
        };
        for (answers, source) in [(held, source), (memory, Source::Jump)] {
            if self.deliver_answers(answers, source).await == Go::Stop || self.done_reading {
                return Go::Stop;
            }
        }
        Go::On
    }

    /// `first` and the answers after it, up to the broker's end (at most [`SWEEP_PAGES`]).
    async fn collect(&mut self, broker: &mut Broker, first: Answer) -> Result<Vec<Answer>, Round> {
        let mut out = vec![first];
        for _ in 1..SWEEP_PAGES {
            let last = &out[out.len() - 1];
            if last.messages.is_empty() || last.next_offset <= last.at {
                break;
            }
            let at = last.next_offset;
            out.push(self.fetch(broker, at).await?);
        }
        Ok(out)
    }

    /// Delivers the records of `answers` from `source` (those delivered already are
    /// dropped; each moves the anchor).
    async fn deliver_answers(&mut self, answers: Vec<Answer>, source: Source) -> Go {
        let mut batch = Vec::new();
        'all: for a in answers {
            let offsets: Vec<i64> = (0..a.messages.len()).map(|i| a.offset_of(i)).collect();
            for (m, offset) in a.messages.into_iter().zip(offsets) {
                let e = LogEntry {
                    ts_ns: m.ts_ns,
                    key: m.key,
                    data: m.value,
                    offset,
                    ..Default::default()
                };
                if self.take(e, offset, source, &mut batch) {
                    self.done_reading = true;
                    break 'all;
                }
            }
        }
        self.deliver(batch).await
    }

    /// The read is over (or the merger gone): says `CaughtUp` if not said yet.
    async fn stop_done(&mut self) -> Round {
        if self.done_reading && !self.caught_up() {
            let _ = self.send(PartEvent::CaughtUp).await;
        }
        Round::Stop
    }

    /// One `FetchMessage` at `at`; a failure is the round's outcome.
    async fn fetch(&mut self, broker: &mut Broker, at: i64) -> Result<Answer, Round> {
        let req = self.fetch_request(at);
        self.client.count_live_fetch();
        let resp = tokio::select! {
            _ = self.tx.closed() => return Err(Round::Stop),
            r = tokio::time::timeout(FETCH_TIMEOUT, broker.fetch_message(req)) => r,
        };
        let Ok(resp) = resp else {
            // An unanswered call would stop this partition's reader for good (seen after
            // weed was KILLed and restarted): retried on a fresh look-up like a lost broker.
            let err = ClientError::Timeout {
                addr: format!(
                    "{} (FetchMessage of {} at {at})",
                    self.job.part.leader,
                    self.what()
                ),
                secs: FETCH_TIMEOUT.as_secs_f64(),
            };
            tracing::debug!("{err}");
            return Err(match self.retry_later(&err, true).await {
                Go::On => Round::Retry,
                Go::Stop => Round::Stop,
            });
        };
        let r = match resp {
            Ok(r) => r.into_inner(),
            Err(status) => return Err(self.fetch_failed(status, at).await),
        };
        if r.error_code != 0 || !r.error.is_empty() {
            tracing::debug!(
                "{}: fetch at {at}: error {}: {}",
                self.what(),
                r.error_code,
                r.error
            );
            return Err(Round::Unserved(format!(
                "error {}: {}",
                r.error_code, r.error
            )));
        }
        if self.reconnected().await == Go::Stop {
            return Err(Round::Stop);
        }
        Ok(Answer {
            at,
            high_water_mark: r.high_water_mark,
            log_start: r.log_start_offset,
            next_offset: r.next_offset,
            messages: r.messages,
        })
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
        tracing::debug!("{err} (transient: {})", err.is_transient());
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
