//! The embedded broker's server-side search: the admin RPC `Grep` streams matches (in
//! time order) and progress; dropping the stream cancels the call, which stops the
//! broker's scan.

use std::sync::Arc;

use super::{GrepEvent, GrepProgress, GrepQuery, GrepSender, GrepStream, STREAM_CAPACITY};
use crate::client::legacy::LegacyClient;
use crate::client::{ClientError, Record, TopicName};
use crate::proto::admin as adm;

/// The largest response the client decodes: one stored record (the broker's limit) plus
/// framing; a match never needs more.
const MAX_RESPONSE: usize = (1 << 30) + (64 << 10);

/// Starts the search on the broker; `Ok(None)` when it has no admin service or an admin
/// service without `Grep` (an original 2.x broker, an older swmq): search by reading.
pub(crate) async fn start(
    c: &LegacyClient,
    topic: &TopicName,
    q: &GrepQuery,
) -> Result<Option<GrepStream>, ClientError> {
    let Some(admin) = c.admin().await? else {
        return Ok(None);
    };
    let req = adm::GrepRequest {
        namespace: topic.namespace.clone(),
        topic: topic.name.clone(),
        pattern: q.pattern.clone(),
        fixed: q.fixed,
        ignore_case: q.ignore_case,
        from_ts_ns: q.from,
        until_ts_ns: q.until,
        partitions: q.partitions.clone(),
        max_matches: q.max.map_or(0, |m| m as u64),
    };
    let ctx = || c.ctx(format!("grep {topic}"));
    let mut admin = admin.max_decoding_message_size(MAX_RESPONSE);
    let inbound = match admin.grep(req).await {
        Ok(r) => r.into_inner(),
        Err(s) => {
            return match s.code() {
                tonic::Code::Unimplemented => Ok(None),
                tonic::Code::NotFound => Err(ClientError::TopicNotFound(topic.to_string())),
                tonic::Code::InvalidArgument => {
                    Err(ClientError::invalid("search", s.message().to_string()))
                }
                _ => Err(ClientError::rpc(ctx(), s)),
            };
        }
    };
    let (tx, stream) = GrepStream::channel(STREAM_CAPACITY);
    tokio::spawn(pump(inbound, tx, Arc::new(topic.clone()), ctx()));
    Ok(Some(stream))
}

/// A match as a record (headers sorted by name, as every reader gives them).
fn to_record(topic: &Arc<TopicName>, m: adm::GrepMatch) -> Record {
    let mut headers: Vec<(String, bytes::Bytes)> = m.headers.into_iter().collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    Record {
        topic: Arc::clone(topic),
        partition: m.partition,
        ts_ns: m.ts_ns,
        key: m.key,
        value: m.value,
        headers,
        is_close: m.is_close,
        offset: None,
        decoded: None,
    }
}

fn to_progress(p: adm::GrepProgress) -> GrepProgress {
    let ts = |v: i64| (v != 0).then_some(v);
    GrepProgress {
        records: p.records,
        bytes: p.bytes,
        matches: p.matches,
        covered_until_ns: ts(p.covered_until_ns),
        start_ns: ts(p.start_ts_ns),
        end_ns: ts(p.end_ts_ns),
        total_bytes: (p.total_bytes != 0).then_some(p.total_bytes),
    }
}

/// Forwards the broker's responses; returning drops the call (which cancels it).
async fn pump(
    mut inbound: tonic::Streaming<adm::GrepResponse>,
    tx: GrepSender,
    topic: Arc<TopicName>,
    ctx: String,
) {
    loop {
        let msg = tokio::select! {
            _ = tx.cancel.cancelled() => return,
            m = inbound.message() => m,
        };
        let resp = match msg {
            Ok(Some(r)) => r,
            Ok(None) => {
                // Ended without a done: the broker stopped (shutdown) mid-search.
                let e = ClientError::rpc(
                    ctx,
                    tonic::Status::unavailable("the search ended before it was done"),
                );
                tx.send(Err(e)).await;
                return;
            }
            Err(s) => {
                tx.send(Err(ClientError::rpc(ctx, s))).await;
                return;
            }
        };
        for m in resp.matches {
            if m.partition < 0 {
                continue; // untrusted: not a partition
            }
            if !tx.send(Ok(GrepEvent::Match(to_record(&topic, m)))).await {
                return;
            }
        }
        if let Some(p) = resp.progress
            && !tx.send(Ok(GrepEvent::Progress(to_progress(p)))).await
        {
            return;
        }
        if let Some(d) = resp.done {
            tx.send(Ok(GrepEvent::Done {
                complete: d.complete,
            }))
            .await;
            return;
        }
    }
}
