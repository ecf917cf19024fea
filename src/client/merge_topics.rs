//! Several topics as one stream: each topic's own (partition-merged) read, merged again by
//! time. `swmq tail 'shop/*'` and the TUI's tail of marked topics read through here.
//!
//! The rule is the partition merger's ([`super::merge`]) one level up: while a topic is
//! still delivering its history it holds the others back, so history comes out in exact
//! time order (ties: the order the topics were given); once every topic is live, a record
//! waits at most [`LIVE_WAIT`] for a quiet topic to speak before it goes out. Each record
//! carries its topic ([`Record::topic`]).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;
use tokio_stream::StreamExt as _;
use tokio_stream::StreamMap;

use super::{Client, ClientError, ReadEvent, ReadSender, ReadSpec, ReadStream, Record, TopicName};

/// How long a live record waits for a quiet topic before it is released.
pub(crate) const LIVE_WAIT: Duration = Duration::from_millis(200);

/// One topic's read as the merger sees it.
#[derive(Default)]
struct Input {
    queue: VecDeque<(Instant, Record)>,
    caught_up: bool,
    done: bool,
}

/// The time-ordered merge of topic reads, without channels.
struct TopicMerger {
    inputs: Vec<Input>,
    caught_up_sent: bool,
}

impl TopicMerger {
    fn new(n: usize) -> Self {
        TopicMerger {
            inputs: (0..n).map(|_| Input::default()).collect(),
            caught_up_sent: false,
        }
    }

    /// Takes topic `i`'s event; returns what to pass on as it is (faults).
    fn apply(&mut self, i: usize, ev: ReadEvent, now: Instant) -> Option<ReadEvent> {
        let input = &mut self.inputs[i];
        match ev {
            ReadEvent::Records(rs) => input.queue.extend(rs.into_iter().map(|r| (now, r))),
            ReadEvent::CaughtUp => input.caught_up = true,
            other => return Some(other),
        }
        None
    }

    /// Releases what may go out at `now` into `out`; returns when to look again (a live
    /// record waiting for a quiet topic).
    fn release(&mut self, out: &mut Vec<Record>, now: Instant) -> Option<Instant> {
        loop {
            let (i, arrived) = self.head()?;
            let mut wait_until = None;
            for (j, other) in self.inputs.iter().enumerate() {
                if j == i || !other.queue.is_empty() || other.done {
                    continue;
                }
                if !other.caught_up {
                    return None; // history first, in exact order
                }
                let due = arrived + LIVE_WAIT;
                if now < due {
                    wait_until = Some(wait_until.map_or(due, |w: Instant| w.min(due)));
                }
            }
            if wait_until.is_some() {
                return wait_until;
            }
            if let Some((_, r)) = self.inputs[i].queue.pop_front() {
                out.push(r);
            }
        }
    }

    /// The input holding the earliest queued record (ties: the first input), and when
    /// that record arrived.
    fn head(&self) -> Option<(usize, Instant)> {
        self.inputs
            .iter()
            .enumerate()
            .filter_map(|(i, inp)| inp.queue.front().map(|(at, r)| (r.ts_ns, i, *at)))
            .min_by_key(|(ts, i, _)| (*ts, *i))
            .map(|(_, i, at)| (i, at))
    }

    /// Whether every topic has delivered its history (and it was not said yet).
    fn caught_up_due(&self) -> bool {
        !self.caught_up_sent && self.inputs.iter().all(|i| i.caught_up || i.done)
    }

    /// Every input ended and every record went out.
    fn finished(&self) -> bool {
        self.inputs.iter().all(|i| i.done && i.queue.is_empty())
    }
}

/// Reads `topics` with the same `spec`, merged by time into one stream. Each topic's read
/// is opened first: one that cannot be opened (a missing topic) fails the whole call,
/// naming it. A topic's read failing later ends the stream with that error.
pub(crate) async fn read_topics(
    client: &Client,
    topics: &[TopicName],
    spec: ReadSpec,
) -> Result<ReadStream, ClientError> {
    let mut streams = Vec::with_capacity(topics.len());
    for t in topics {
        streams.push(client.read(t, spec.clone()).await?);
    }
    let (tx, out) = ReadStream::channel(64);
    tokio::spawn(merge_topic_streams(streams, tx));
    Ok(out)
}

/// Merges the topic streams into `out` until all have ended, one fails, or `out` goes.
async fn merge_topic_streams(streams: Vec<ReadStream>, out: ReadSender) {
    let mut m = TopicMerger::new(streams.len());
    let mut map = StreamMap::new();
    for (i, s) in streams.into_iter().enumerate() {
        map.insert(i, Box::pin(read_stream_events(s)));
    }
    let mut deadline: Option<Instant> = None;
    loop {
        let next = tokio::select! {
            _ = out.cancel.cancelled() => return,
            ev = map.next(), if !map.is_empty() => ev,
            _ = sleep_until_opt(deadline) => None,
        };
        match next {
            Some((i, Some(Ok(ev)))) => {
                if let Some(pass) = m.apply(i, ev, Instant::now())
                    && !out.send(Ok(pass)).await
                {
                    return;
                }
            }
            Some((_, Some(Err(e)))) => {
                out.send(Err(e)).await;
                return;
            }
            Some((i, None)) => m.inputs[i].done = true,
            None => {}
        }
        let mut batch = Vec::new();
        deadline = m.release(&mut batch, Instant::now());
        if !batch.is_empty() && !out.send(Ok(ReadEvent::Records(batch))).await {
            return;
        }
        if m.caught_up_due() {
            m.caught_up_sent = true;
            if !out.send(Ok(ReadEvent::CaughtUp)).await {
                return;
            }
        }
        if m.finished() {
            return;
        }
    }
}

/// A [`ReadStream`] as a stream of its events, then one `None` when it ends.
fn read_stream_events(
    s: ReadStream,
) -> impl tokio_stream::Stream<Item = Option<Result<ReadEvent, ClientError>>> {
    futures::stream::unfold(Some(s), |state| async move {
        let mut s = state?;
        match s.next().await {
            Some(ev) => Some((Some(ev), Some(s))),
            None => Some((None, None)),
        }
    })
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;

    fn rec(topic: &str, ts: i64) -> Record {
        Record {
            topic: Arc::new(TopicName::parse(topic).unwrap()),
            partition: 0,
            ts_ns: ts,
            key: Bytes::new(),
            value: Bytes::new(),
            headers: Vec::new(),
            is_close: false,
            offset: None,
            decoded: None,
        }
    }

    fn ts_of(out: &[Record]) -> Vec<(String, i64)> {
        out.iter().map(|r| (r.topic.to_string(), r.ts_ns)).collect()
    }

    #[test]
    fn history_holds_the_others_back_until_every_topic_caught_up() {
        let now = Instant::now();
        let mut m = TopicMerger::new(2);
        m.apply(
            0,
            ReadEvent::Records(vec![rec("a/x", 10), rec("a/x", 30)]),
            now,
        );
        let mut out = Vec::new();
        assert_eq!(m.release(&mut out, now), None);
        assert!(out.is_empty(), "b/y may still have something earlier");
        m.apply(
            1,
            ReadEvent::Records(vec![rec("b/y", 20), rec("b/y", 30)]),
            now,
        );
        m.release(&mut out, now);
        // 30 of a/x first (tie: the first topic), then b/y's 30 waits for b/y's history.
        assert_eq!(
            ts_of(&out),
            [("a/x".into(), 10), ("b/y".into(), 20), ("a/x".into(), 30)]
        );
        m.apply(0, ReadEvent::CaughtUp, now);
        assert!(!m.caught_up_due());
        m.apply(1, ReadEvent::CaughtUp, now);
        assert!(m.caught_up_due());
        out.clear();
        // Live: b/y's 30 waits for a/x at most LIVE_WAIT.
        let due = m.release(&mut out, now);
        assert_eq!(due, Some(now + LIVE_WAIT));
        assert!(out.is_empty());
        m.release(&mut out, now + LIVE_WAIT);
        assert_eq!(ts_of(&out), [("b/y".into(), 30)]);
    }

    #[test]
    fn an_ended_topic_holds_nothing_back_and_faults_pass_through() {
        let now = Instant::now();
        let mut m = TopicMerger::new(2);
        m.apply(1, ReadEvent::Records(vec![rec("b/y", 5)]), now);
        m.inputs[0].done = true;
        let mut out = Vec::new();
        m.release(&mut out, now);
        assert_eq!(ts_of(&out), [("b/y".into(), 5)]);
        let pass = m.apply(0, ReadEvent::Reconnected { partition: Some(1) }, now);
        assert_eq!(pass, Some(ReadEvent::Reconnected { partition: Some(1) }));
        m.inputs[1].done = true;
        assert!(m.finished());
    }
}
