//! Paging back before the first loaded record: SeaweedFS reads only forwards, so an
//! earlier page is read forwards from a point before it, over windows that widen (×8)
//! until they hold a page or reach the topic's first message.

use std::collections::VecDeque;

use crate::client::{Client, ClientError, ReadEvent, ReadSpec, Record, TopicName};
use crate::time::TimeSpec;

/// The first window looked at: one second before the first loaded record.
pub const FIRST_SPAN_NS: i64 = 1_000_000_000;
/// Each window is this many times wider than the last.
pub const GROWTH: i64 = 8;

/// The newest `limit` records with `floor <= ts_ns < before`, in merged order, and whether
/// they are all there are (the topic's beginning was reached).
pub async fn read_before(
    client: &Client,
    topic: &TopicName,
    before: i64,
    floor: i64,
    limit: usize,
) -> Result<(Vec<Record>, bool), ClientError> {
    let limit = limit.max(1);
    let mut span = FIRST_SPAN_NS;
    loop {
        let from = before.saturating_sub(span).max(floor);
        let page = read_window(client, topic, from, before, limit).await?;
        let reached_floor = from <= floor;
        if page.len() >= limit || reached_floor {
            let done = reached_floor && page.len() < limit;
            return Ok((page.into(), done));
        }
        span = span.saturating_mul(GROWTH);
    }
}

/// The last `limit` records of `[from, before)` (a ring: memory stays bounded however
/// many the window holds).
async fn read_window(
    client: &Client,
    topic: &TopicName,
    from: i64,
    before: i64,
    limit: usize,
) -> Result<VecDeque<Record>, ClientError> {
    let spec = ReadSpec {
        from: TimeSpec::At(from),
        until: Some(before.saturating_sub(1)),
        partitions: None,
        follow: false,
    };
    let mut stream = client.read(topic, spec).await?;
    let mut ring = VecDeque::with_capacity(limit.min(4096));
    while let Some(ev) = stream.next().await {
        match ev? {
            ReadEvent::Records(rs) => {
                for r in rs.into_iter().filter(|r| r.ts_ns < before) {
                    if ring.len() == limit {
                        ring.pop_front();
                    }
                    ring.push_back(r);
                }
            }
            ReadEvent::CaughtUp => break,
            _ => {}
        }
    }
    Ok(ring)
}
