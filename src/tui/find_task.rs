//! The worker's side of find in history: one task per search runs
//! [`Client::grep`](crate::client::Client::grep) and forwards its matches in batches
//! (at most [`BATCH`] records, or what came within [`BATCH_EVERY`]) with the search's id.
//! Cancelling the token drops the stream, which cancels the scan on the broker too.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::msg::{ReqId, WorkerEvent};
use super::worker::send;
use crate::client::{Client, ClientError, GrepEvent, GrepQuery, TopicName};

/// The most matches in one event.
pub(crate) const BATCH: usize = 256;
/// How long matches and progress wait to be sent together.
pub(crate) const BATCH_EVERY: Duration = Duration::from_millis(100);

/// Runs search `id` until it ends or `stop` fires; events go to `tx` (bounded: a UI that
/// does not keep up holds the search back).
pub(crate) async fn run(
    client: Client,
    id: ReqId,
    topic: TopicName,
    query: GrepQuery,
    stop: CancellationToken,
    tx: mpsc::Sender<WorkerEvent>,
) {
    let started = tokio::select! {
        s = client.grep(&topic, query) => s,
        _ = stop.cancelled() => return,
    };
    let mut stream = match started {
        Ok(s) => s,
        Err(e) => {
            send(&tx, &stop, WorkerEvent::FindEnded { id, result: Err(e) }).await;
            return;
        }
    };
    let mut matches = Vec::new();
    let mut progress = None;
    let mut due = Instant::now() + BATCH_EVERY;
    loop {
        let pending = !matches.is_empty() || progress.is_some();
        let ev = tokio::select! {
            biased;
            _ = stop.cancelled() => return, // drops the stream: the scan stops
            _ = tokio::time::sleep_until(due), if pending => None,
            ev = stream.next() => Some(ev),
        };
        let end = match ev {
            None => None,
            Some(None) => Some(Err(ClientError::invalid(
                "search",
                "ended without a result",
            ))),
            Some(Some(Err(e))) => Some(Err(e)),
            Some(Some(Ok(GrepEvent::Match(r)))) => {
                matches.push(r);
                if matches.len() < BATCH {
                    continue;
                }
                None
            }
            Some(Some(Ok(GrepEvent::Progress(p)))) => {
                progress = Some(p);
                continue;
            }
            Some(Some(Ok(GrepEvent::Notice(text)))) => {
                if !send(&tx, &stop, WorkerEvent::FindNotice { id, text }).await {
                    return;
                }
                continue;
            }
            Some(Some(Ok(GrepEvent::Done { complete }))) => Some(Ok(complete)),
        };
        if !matches.is_empty() || progress.is_some() {
            let ev = WorkerEvent::Found {
                id,
                matches: std::mem::take(&mut matches),
                progress: progress.take(),
            };
            if !send(&tx, &stop, ev).await {
                return;
            }
        }
        due = Instant::now() + BATCH_EVERY;
        if let Some(result) = end {
            send(&tx, &stop, WorkerEvent::FindEnded { id, result }).await;
            return;
        }
    }
}
