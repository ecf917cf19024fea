//! The search where nothing can scan server-side or read the stored files: a one-shot
//! history read ([`Client::read`], merged in time order) matched on this side. Used for an
//! original 2.x broker (no admin service) and for 4.x topics the file search cannot read.

use std::time::{Duration, Instant};

use super::{GrepEvent, GrepProgress, GrepQuery, GrepSender, GrepStream, STREAM_CAPACITY};
use crate::client::{Client, ClientError, ReadEvent, ReadSpec, ReadStream, Record, TopicName};
use crate::matcher::Matcher;
use crate::time::TimeSpec;

/// How often progress is reported.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Starts a read-based search.
pub(crate) async fn start(
    client: &Client,
    topic: &TopicName,
    query: GrepQuery,
    matcher: Matcher,
) -> Result<GrepStream, ClientError> {
    // The range, for the progress line's ETA (best effort: a listing may not say).
    let info = client.describe(topic, None).await.ok().map(|d| d.info);
    let chosen = |id: i32| query.partitions.is_empty() || query.partitions.contains(&id);
    let (first, last) = match &info {
        Some(i) => {
            let ps = i.partitions.iter().filter(|p| chosen(p.id));
            let first = ps.clone().filter_map(|p| p.first_ts_ns).min();
            (first, ps.filter_map(|p| p.last_ts_ns).max())
        }
        None => (None, None),
    };
    let spec = ReadSpec {
        from: query.from.map_or(TimeSpec::Earliest, TimeSpec::At),
        until: query.until,
        partitions: (!query.partitions.is_empty()).then(|| query.partitions.clone()),
        follow: false,
    };
    let read = client.read(topic, spec).await?;
    let (tx, stream) = GrepStream::channel(STREAM_CAPACITY);
    let progress = GrepProgress {
        start_ns: query.from.or(first),
        end_ns: query.until.or(last),
        ..Default::default()
    };
    tokio::spawn(run(read, tx, matcher, query.max, progress));
    Ok(stream)
}

/// The bytes a record carries (key, value, headers).
fn record_bytes(r: &Record) -> u64 {
    let h: usize = r.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    (r.key.len() + r.value.len() + h) as u64
}

async fn run(
    mut read: ReadStream,
    tx: GrepSender,
    matcher: Matcher,
    max: Option<usize>,
    mut p: GrepProgress,
) {
    let mut complete = true;
    let mut last_report = Instant::now();
    loop {
        let ev = tokio::select! {
            _ = tx.cancel.cancelled() => return,
            ev = read.next() => ev,
        };
        match ev {
            None => break,
            Some(Err(e)) => {
                tx.send(Err(e)).await;
                return;
            }
            Some(Ok(ReadEvent::Records(batch))) => {
                for r in batch {
                    p.records += 1;
                    p.bytes += record_bytes(&r);
                    p.covered_until_ns = Some(r.ts_ns);
                    if !matcher.matches(&r) {
                        continue;
                    }
                    p.matches += 1;
                    if !tx.send(Ok(GrepEvent::Match(r))).await {
                        return;
                    }
                    if max.is_some_and(|m| p.matches >= m as u64) {
                        complete = false;
                        break;
                    }
                }
                if !complete {
                    break;
                }
                if last_report.elapsed() >= PROGRESS_EVERY {
                    last_report = Instant::now();
                    if !tx.send(Ok(GrepEvent::Progress(p.clone()))).await {
                        return;
                    }
                }
            }
            Some(Ok(ReadEvent::PartitionFailed { partition, error })) => {
                complete = false;
                let line = format!("partition {partition} could not be read: {error}");
                if !tx.send(Ok(GrepEvent::Notice(line))).await {
                    return;
                }
            }
            Some(Ok(_)) => {}
        }
    }
    read.cancel();
    if complete {
        p.covered_until_ns = p.end_ns.or(p.covered_until_ns);
    }
    if tx.send(Ok(GrepEvent::Progress(p))).await {
        tx.send(Ok(GrepEvent::Done { complete })).await;
    }
}
