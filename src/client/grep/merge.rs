//! Merging the matches of partitions scanned in parallel into one time-ordered stream,
//! with bounded memory: each partition's scanner sends [`ScanBatch`]es (its matches in
//! order and how far it has scanned) into a small bounded channel, and the merger pulls
//! from a partition only when it must know what that partition holds before the earliest
//! pending match can go out. A fast partition waits on its full channel; nothing piles up.
//!
//! Used by the embedded broker's `Grep` RPC and by the 4.x log-file search.

use std::collections::VecDeque;

use tokio::sync::mpsc;

/// A match that knows its place in the merged order.
pub(crate) trait Stamped {
    /// Its timestamp, ns.
    fn ts(&self) -> i64;
    /// Its partition (breaks ties between equal timestamps).
    fn partition(&self) -> i32;
}

/// What a partition's scanner found in one chunk of its records.
#[derive(Debug)]
pub(crate) struct ScanBatch<M> {
    /// The matches, in time order.
    pub matches: Vec<M>,
    /// Every record of the partition at or before this timestamp has been scanned.
    pub scanned_until: i64,
    /// Records scanned in this chunk.
    pub records: u64,
    /// Bytes scanned in this chunk.
    pub bytes: u64,
    /// The partition's scan is finished (nothing follows).
    pub done: bool,
}

struct Part<M, E> {
    rx: mpsc::Receiver<Result<ScanBatch<M>, E>>,
    pending: VecDeque<M>,
    watermark: i64,
    done: bool,
}

/// Totals over every partition so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Records scanned.
    pub records: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Every record of every partition at or before this has been scanned (`None`: no
    /// partition has reported yet).
    pub covered_until: Option<i64>,
}

/// See the module documentation.
pub(crate) struct ScanMerger<M, E> {
    parts: Vec<Part<M, E>>,
    records: u64,
    bytes: u64,
    /// Ready matches are handed out in groups of at most this many.
    group: usize,
}

impl<M: Stamped, E> ScanMerger<M, E> {
    /// A merger over the partitions' channels; `start` is below every timestamp the scan
    /// can meet (the range's start minus one, or `i64::MIN`).
    pub(crate) fn new(rxs: Vec<mpsc::Receiver<Result<ScanBatch<M>, E>>>, start: i64) -> Self {
        ScanMerger {
            parts: rxs
                .into_iter()
                .map(|rx| Part {
                    rx,
                    pending: VecDeque::new(),
                    watermark: start,
                    done: false,
                })
                .collect(),
            records: 0,
            bytes: 0,
            group: 256,
        }
    }

    /// What has been scanned so far.
    pub(crate) fn totals(&self) -> Totals {
        let open = self.parts.iter().filter(|p| !p.done).map(|p| p.watermark);
        let covered = match open.min() {
            Some(w) => w,
            None => self
                .parts
                .iter()
                .map(|p| p.watermark)
                .max()
                .unwrap_or(i64::MIN),
        };
        Totals {
            records: self.records,
            bytes: self.bytes,
            covered_until: (covered != i64::MIN).then_some(covered),
        }
    }

    /// The next matches in time order (never empty); `Ok(None)` once every partition is
    /// done and every match was handed out. Returns what is ready before waiting for a
    /// slow partition, so a match goes out as soon as its place in the order is certain.
    #[cfg(test)]
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<M>>, E> {
        loop {
            match self.next_step().await? {
                Some(g) if g.is_empty() => {}
                other => return Ok(other),
            }
        }
    }

    /// Like [`ScanMerger::next`], but also returns (empty) after each batch pulled from a
    /// partition, so the caller can report progress while nothing matches.
    pub(crate) async fn next_step(&mut self) -> Result<Option<Vec<M>>, E> {
        let mut ready = Vec::new();
        loop {
            let head = self
                .parts
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.pending.front().map(|m| (m.ts(), m.partition(), i)))
                .min();
            // The partition that may still hold something earlier than the head.
            let blocking = self
                .parts
                .iter()
                .enumerate()
                .filter(|(_, p)| {
                    !p.done && p.pending.is_empty() && head.is_none_or(|h| p.watermark < h.0)
                })
                .min_by_key(|(_, p)| p.watermark)
                .map(|(i, _)| i);
            match (blocking, head) {
                (Some(i), _) => {
                    if ready.is_empty() {
                        self.pull(i).await?;
                    }
                    return Ok(Some(ready));
                }
                (None, Some((_, _, i))) => {
                    if let Some(m) = self.parts[i].pending.pop_front() {
                        ready.push(m);
                    }
                    if ready.len() >= self.group {
                        return Ok(Some(ready));
                    }
                }
                (None, None) => return Ok((!ready.is_empty()).then_some(ready)),
            }
        }
    }

    async fn pull(&mut self, i: usize) -> Result<(), E> {
        let p = &mut self.parts[i];
        match p.rx.recv().await {
            // A scanner that went away without saying done: it stopped (cancelled).
            None => p.done = true,
            Some(Err(e)) => {
                p.done = true;
                return Err(e);
            }
            Some(Ok(b)) => {
                p.pending.extend(b.matches);
                p.watermark = p.watermark.max(b.scanned_until);
                p.done = b.done;
                self.records += b.records;
                self.bytes += b.bytes;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct M(i64, i32);
    impl Stamped for M {
        fn ts(&self) -> i64 {
            self.0
        }
        fn partition(&self) -> i32 {
            self.1
        }
    }

    fn batch(p: i32, ts: &[i64], until: i64, done: bool) -> Result<ScanBatch<M>, ()> {
        Ok(ScanBatch {
            matches: ts.iter().map(|&t| M(t, p)).collect(),
            scanned_until: until,
            records: 10,
            bytes: 100,
            done,
        })
    }

    #[tokio::test]
    async fn merges_in_time_order_and_waits_for_the_slow_partition() {
        let (t0, r0) = mpsc::channel(2);
        let (t1, r1) = mpsc::channel(2);
        let mut m = ScanMerger::new(vec![r0, r1], i64::MIN);
        t0.send(batch(0, &[5, 30], 40, false)).await.unwrap();
        t1.send(batch(1, &[10], 20, false)).await.unwrap();
        // 5 and 10 are certain; 30 is not until partition 1 has passed 30.
        let got = m.next().await.unwrap().unwrap();
        assert_eq!(got, vec![M(5, 0), M(10, 1)]);
        t1.send(batch(1, &[30], 35, true)).await.unwrap();
        t0.send(batch(0, &[], 50, true)).await.unwrap();
        let mut rest = Vec::new();
        while let Some(g) = m.next().await.unwrap() {
            rest.extend(g);
        }
        // Equal timestamps: partition order.
        assert_eq!(rest, vec![M(30, 0), M(30, 1)]);
        let t = m.totals();
        assert_eq!((t.records, t.bytes, t.covered_until), (40, 400, Some(50)));
    }

    #[tokio::test]
    async fn an_error_ends_the_merge_and_a_vanished_scanner_counts_as_done() {
        let (t0, r0) = mpsc::channel(2);
        let (t1, r1) = mpsc::channel::<Result<ScanBatch<M>, ()>>(2);
        let mut m = ScanMerger::new(vec![r0, r1], 0);
        drop(t1);
        t0.send(batch(0, &[1], 1, false)).await.unwrap();
        t0.send(Err(())).await.unwrap();
        assert_eq!(m.next().await.unwrap(), Some(vec![M(1, 0)]));
        assert_eq!(m.next().await, Err(()));
    }
}
