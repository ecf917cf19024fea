//! A k-way merge of partition readers, used by the 4.x reader until the shared
//! `crate::client::merge` lands (same interface as `merge::spawn_merged`).

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use super::read::PartEvent;
use crate::client::{ReadEvent, ReadSpec, ReadStream, Record};

#[derive(Default)]
struct Input {
    queue: VecDeque<Record>,
    watermark: i64,
    ended: bool,
    caught_up: bool,
}

/// Spawns the merge and returns the stream.
pub fn spawn_merged(
    inputs: Vec<mpsc::Receiver<PartEvent>>,
    spec: ReadSpec,
    max_wait: Duration,
) -> ReadStream {
    let (out, stream) = ReadStream::channel(64);
    tokio::spawn(async move {
        let n = inputs.len();
        let mut st: Vec<Input> = (0..n)
            .map(|_| Input {
                watermark: i64::MIN,
                ..Default::default()
            })
            .collect();
        let mut events = futures::stream::select_all(
            inputs
                .into_iter()
                .enumerate()
                .map(|(i, rx)| ReceiverStream::new(rx).map(move |e| (i, Some(e))).chain(
                    futures::stream::iter([(i, None)]),
                )),
        );
        let mut caught_sent = false;
        let mut head_since: Option<(i64, Instant)> = None;
        loop {
            let ev = tokio::select! {
                _ = out.cancel.cancelled() => return,
                ev = events.next() => ev,
                _ = tokio::time::sleep(Duration::from_millis(50)) => Some((usize::MAX, None)),
            };
            match ev {
                None => {}
                Some((i, _)) if i == usize::MAX => {}
                Some((i, None)) => st[i].ended = true,
                Some((i, Some(e))) => match e {
                    PartEvent::Records(r) => st[i].queue.extend(r),
                    PartEvent::Watermark(w) => st[i].watermark = st[i].watermark.max(w),
                    PartEvent::CaughtUp => st[i].caught_up = true,
                    PartEvent::Reconnecting { error, attempt } => {
                        if !out.send(Ok(ReadEvent::Reconnecting { error, attempt })).await {
                            return;
                        }
                    }
                    PartEvent::Reconnected => {
                        if !out.send(Ok(ReadEvent::Reconnected)).await {
                            return;
                        }
                    }
                    PartEvent::Failed(e) => {
                        let _ = out.send(Err(e)).await;
                        return;
                    }
                },
            }
            // Emit what is safe.
            let mut batch = Vec::new();
            loop {
                let Some((k, ts)) = st
                    .iter()
                    .enumerate()
                    .filter_map(|(k, s)| s.queue.front().map(|r| (k, r.ts_ns)))
                    .min_by_key(|&(k, ts)| (ts, k))
                else {
                    break;
                };
                let blocked = st.iter().enumerate().any(|(j, s)| {
                    j != k && s.queue.is_empty() && !s.ended && s.watermark <= ts
                });
                let waited = match head_since {
                    Some((h, t)) if h == ts => t.elapsed() >= max_wait,
                    _ => {
                        head_since = Some((ts, Instant::now()));
                        false
                    }
                };
                if blocked && !(spec.follow && waited) {
                    break;
                }
                let Some(r) = st[k].queue.pop_front() else { break };
                if spec.until.is_some_and(|u| r.ts_ns > u) {
                    st[k].queue.clear();
                    st[k].ended = true;
                    continue;
                }
                batch.push(r);
            }
            if !batch.is_empty() && !out.send(Ok(ReadEvent::Records(batch))).await {
                return;
            }
            let all_caught = st.iter().all(|s| s.caught_up || s.ended);
            if all_caught && !caught_sent && st.iter().all(|s| s.queue.is_empty()) {
                caught_sent = true;
                if !out.send(Ok(ReadEvent::CaughtUp)).await {
                    return;
                }
            }
            let drained = st.iter().all(|s| s.queue.is_empty());
            if drained && (st.iter().all(|s| s.ended) || (!spec.follow && all_caught)) {
                return;
            }
        }
    });
    stream
}
