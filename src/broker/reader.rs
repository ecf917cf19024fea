//! Reading a partition: cursors for subscribers, timestamp seeks, exact counts below a
//! timestamp (for histograms) and statistics. Reads snapshot the segment list under the
//! lock and do file I/O outside of it, on the blocking pool.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::path::PathBuf;

use super::partition::Partition;
use super::record::StoredRecord;
use super::segment::{self, IndexEntry, Segment};

/// A reader's position in a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    /// Index of the segment in the partition's segment list.
    pub seg: usize,
    /// Byte position in that segment.
    pub pos: u64,
    /// Ordinal of the record at that position.
    pub ord: u64,
}

/// What [`Partition::read`] found.
#[derive(Debug)]
pub(super) enum Chunk {
    /// Records in order (the cursor moved past them).
    Records(Vec<StoredRecord>),
    /// Nothing more is flushed yet.
    AtEnd {
        /// The partition is closed: nothing more will ever come.
        closed: bool,
        /// The topic was deleted.
        deleted: bool,
    },
}

/// Per-partition statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stats {
    /// Number of records.
    pub count: u64,
    /// Bytes on disk.
    pub bytes: u64,
    /// First timestamp (0 when empty).
    pub first_ts: i64,
    /// Last timestamp (0 when empty).
    pub last_ts: i64,
    /// Sealed by a close message.
    pub closed: bool,
}

async fn blocking_io<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}

impl Partition {
    /// A cursor at the first record.
    pub(super) fn cursor_start(&self) -> Cursor {
        let st = self.lock();
        Cursor {
            seg: 0,
            pos: 0,
            ord: st.segments.first().map_or(0, |s| s.base_ord),
        }
    }

    /// A cursor after the last flushed record (only new messages).
    pub(super) fn cursor_end(&self) -> Cursor {
        let st = self.lock();
        match st.segments.last() {
            Some(s) => Cursor {
                seg: st.segments.len() - 1,
                pos: s.size,
                ord: s.end_ord(),
            },
            None => Cursor {
                seg: 0,
                pos: 0,
                ord: 0,
            },
        }
    }

    /// A cursor from which reading, skipping records with `ts <= t`, yields the first
    /// record with `ts > t`: a binary search over segments, then over the sparse index.
    pub(super) fn cursor_after(&self, t: i64) -> Cursor {
        let st = self.lock();
        let i = st
            .segments
            .partition_point(|s| s.count > 0 && s.last_ts <= t);
        match st.segments.get(i).and_then(|s| s.seek_after(t)) {
            Some(e) => Cursor {
                seg: i,
                pos: e.pos,
                ord: e.ord,
            },
            None => match (st.segments.get(i), st.segments.last()) {
                (Some(s), _) => Cursor {
                    seg: i,
                    pos: 0,
                    ord: s.base_ord,
                },
                (None, Some(last)) => Cursor {
                    seg: st.segments.len() - 1,
                    pos: last.size,
                    ord: last.end_ord(),
                },
                (None, None) => Cursor {
                    seg: 0,
                    pos: 0,
                    ord: 0,
                },
            },
        }
    }

    /// Reads the next records (about `max_bytes`) at `cur` and advances it.
    pub(super) async fn read(&self, cur: &mut Cursor, max_bytes: u64) -> io::Result<Chunk> {
        let (path, from, to) = {
            let st = self.lock();
            if st.deleted {
                return Ok(Chunk::AtEnd {
                    closed: st.closed,
                    deleted: true,
                });
            }
            loop {
                match st.segments.get(cur.seg) {
                    Some(s) if cur.pos < s.size => break (s.path.clone(), cur.pos, s.size),
                    Some(_) if cur.seg + 1 < st.segments.len() => {
                        cur.seg += 1;
                        cur.pos = 0;
                    }
                    _ => {
                        return Ok(Chunk::AtEnd {
                            closed: st.settled_closed(),
                            deleted: false,
                        });
                    }
                }
            }
        };
        let ord = cur.ord;
        let soft = from.saturating_add(max_bytes.max(1));
        let recs =
            blocking_io(move || segment::read_range_soft(&path, from, to, soft, ord)).await?;
        if recs.is_empty() {
            return Err(io::Error::other(format!(
                "unreadable record at ordinal {} of partition {}",
                cur.ord, self.number
            )));
        }
        for r in &recs {
            cur.pos += r.disk_len;
            cur.ord += 1;
        }
        Ok(Chunk::Records(recs))
    }

    /// The exact number of records with `ts < t`: binary searches plus one read of at most
    /// one index block.
    #[cfg(test)]
    pub(super) async fn count_before(&self, t: i64) -> io::Result<u64> {
        Ok(self.count_before_many(vec![t]).await?[0])
    }

    /// [`Partition::count_before`] for many timestamps (histogram boundaries) at once: one
    /// trip to the blocking pool, and each index block read at most once.
    pub(super) async fn count_before_many(&self, ts: Vec<i64>) -> io::Result<Vec<u64>> {
        enum Query {
            Known(u64),
            Block(PathBuf, IndexEntry, u64, i64),
        }
        let queries: Vec<Query> = {
            let st = self.lock();
            ts.iter()
                .map(|&t| {
                    let i = st
                        .segments
                        .partition_point(|s| s.count > 0 && s.last_ts < t);
                    match st.segments.get(i) {
                        None => Query::Known(st.segments.last().map_or(0, Segment::end_ord)),
                        Some(s) if s.count == 0 => Query::Known(s.base_ord),
                        Some(s) => match s.block_below(t) {
                            None => Query::Known(s.base_ord),
                            Some((e, end)) => Query::Block(s.path.clone(), e, end, t),
                        },
                    }
                })
                .collect()
        };
        blocking_io(move || {
            let mut blocks: HashMap<(PathBuf, u64), Vec<i64>> = HashMap::new();
            queries
                .into_iter()
                .map(|q| match q {
                    Query::Known(n) => Ok(n),
                    Query::Block(path, e, end, t) => {
                        let key = (path, e.pos);
                        let stamps = match blocks.entry(key) {
                            Entry::Occupied(o) => o.into_mut(),
                            Entry::Vacant(v) => {
                                let recs = segment::read_range(&v.key().0, e.pos, end, e.ord)?;
                                v.insert(recs.iter().map(|r| r.ts_ns).collect())
                            }
                        };
                        Ok(e.ord + stamps.iter().take_while(|&&x| x < t).count() as u64)
                    }
                })
                .collect()
        })
        .await
    }

    /// Counts, bytes, time range and closed state of the flushed records.
    pub(super) fn stats(&self) -> Stats {
        let st = self.lock();
        let nonempty = || st.segments.iter().filter(|s| s.count > 0);
        Stats {
            count: st.segments.last().map_or(0, Segment::end_ord),
            bytes: st.segments.iter().map(|s| s.size).sum(),
            first_ts: nonempty().next().map_or(0, |s| s.first_ts),
            last_ts: st
                .segments
                .iter()
                .rev()
                .find(|s| s.count > 0)
                .map_or(0, |s| s.last_ts),
            closed: st.closed,
        }
    }

    /// Whether anything of this partition exists on disk.
    pub(super) fn exists(&self) -> bool {
        let st = self.lock();
        !st.deleted && (!st.segments.is_empty() || st.closed)
    }
}
