//! The tail's capped ring of records with a dropped counter and incremental search
//! matches. Records are addressed by a sequence number that never changes while the
//! record is buffered, so selections survive eviction.

use std::collections::VecDeque;

use crate::client::Record;
use crate::matcher::Matcher;

/// The default capacity, in records.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;
/// The first sequence number: records paged in before the first one take smaller ones.
pub(crate) const ORIGIN: u64 = 1 << 40;

/// A capped ring of records.
#[derive(Debug, Clone)]
pub struct Buffer {
    recs: VecDeque<Record>,
    base: u64,
    cap: usize,
    /// Records evicted to keep the cap.
    pub dropped: u64,
    /// Records refused because the buffer was full and `evict` was off.
    pub refused: u64,
    /// Evict the oldest when full (live tail); `false` keeps the first records (scrubbing).
    pub evict: bool,
    /// Room granted beyond `cap` by records paged in before the first one (at most `cap`).
    extra: usize,
    query: Option<Matcher>,
    matches: VecDeque<u64>,
}

impl Buffer {
    /// An empty buffer holding at most `cap` records (at least 1).
    pub fn new(cap: usize) -> Self {
        Buffer {
            recs: VecDeque::with_capacity(cap.clamp(1, 4096)),
            base: ORIGIN,
            cap: cap.max(1),
            dropped: 0,
            refused: 0,
            evict: true,
            extra: 0,
            query: None,
            matches: VecDeque::new(),
        }
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Records buffered.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// The sequence number of the oldest buffered record.
    pub fn first_seq(&self) -> u64 {
        self.base
    }

    /// One past the newest record's sequence number.
    pub fn end_seq(&self) -> u64 {
        self.base + self.recs.len() as u64
    }

    /// The record with sequence number `seq`, if still buffered.
    pub fn get(&self, seq: u64) -> Option<&Record> {
        seq.checked_sub(self.base)
            .and_then(|i| self.recs.get(usize::try_from(i).ok()?))
    }

    /// The newest record.
    pub fn last(&self) -> Option<&Record> {
        self.recs.back()
    }

    /// Appends a record; `false` when it was refused (full and not evicting).
    pub fn push(&mut self, r: Record) -> bool {
        if self.recs.len() >= self.cap + self.extra {
            if !self.evict {
                self.refused += 1;
                return false;
            }
            self.recs.pop_front();
            self.base += 1;
            self.dropped += 1;
            while self.matches.front().is_some_and(|s| *s < self.base) {
                self.matches.pop_front();
            }
        }
        let seq = self.end_seq();
        if let Some(q) = &self.query
            && q.matches(&r)
        {
            self.matches.push_back(seq);
        }
        self.recs.push_back(r);
        true
    }

    /// Removes every record (sequence numbers keep growing).
    pub fn clear(&mut self) {
        self.base = self.end_seq();
        self.recs.clear();
        self.matches.clear();
        self.dropped = 0;
        self.refused = 0;
        self.extra = 0;
    }

    /// Puts `earlier` (oldest first, all before the first buffered record) in front of the
    /// buffered records, which keep their sequence numbers. At most `cap` records are
    /// paged in over the buffer's life (the newest of `earlier` are kept); returns how
    /// many went in.
    pub fn prepend(&mut self, earlier: Vec<Record>) -> usize {
        let room = self.cap.saturating_sub(self.extra);
        let room = room.min(usize::try_from(self.base).unwrap_or(usize::MAX));
        let skip = earlier.len().saturating_sub(room);
        let n = earlier.len() - skip;
        self.extra += n;
        self.base -= n as u64;
        let mut hits = Vec::new();
        for (i, r) in earlier.into_iter().skip(skip).enumerate() {
            if self.query.as_ref().is_some_and(|q| q.matches(&r)) {
                hits.push(self.base + i as u64);
            }
            self.recs.insert(i, r);
        }
        for s in hits.into_iter().rev() {
            self.matches.push_front(s);
        }
        n
    }

    /// Sets (or clears, with `None`) the search and recomputes the matches.
    pub fn set_query(&mut self, q: Option<Matcher>) {
        if self.query == q {
            return;
        }
        self.query = q;
        self.matches.clear();
        if let Some(q) = &self.query {
            for (i, r) in self.recs.iter().enumerate() {
                if q.matches(r) {
                    self.matches.push_back(self.base + i as u64);
                }
            }
        }
    }

    /// The search.
    pub fn query(&self) -> Option<&Matcher> {
        self.query.as_ref()
    }

    /// Sequence numbers of the matching records, oldest first.
    pub fn matches(&self) -> &VecDeque<u64> {
        &self.matches
    }

    /// Whether record `seq` matches the query.
    pub fn is_match(&self, seq: u64) -> bool {
        self.matches.binary_search(&seq).is_ok()
    }

    /// The rows shown: all records, or only matches when `filtered` (and a query is set).
    pub fn rows(&self, filtered: bool) -> Rows<'_> {
        Rows {
            buf: self,
            filtered: filtered && self.query.is_some(),
        }
    }
}

/// Rows of a buffer as displayed: row index ↔ sequence number.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    buf: &'a Buffer,
    filtered: bool,
}

impl<'a> Rows<'a> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        if self.filtered {
            self.buf.matches.len()
        } else {
            self.buf.len()
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sequence number of row `i`.
    pub fn seq(&self, i: usize) -> Option<u64> {
        if i >= self.len() {
            None
        } else if self.filtered {
            self.buf.matches.get(i).copied()
        } else {
            Some(self.buf.base + i as u64)
        }
    }

    /// The row showing `seq`, or the nearest row after it (clamped to the last row).
    pub fn row_of(&self, seq: u64) -> usize {
        let n = self.len();
        if n == 0 {
            return 0;
        }
        let r = if self.filtered {
            match self.buf.matches.binary_search(&seq) {
                Ok(i) | Err(i) => i,
            }
        } else {
            seq.saturating_sub(self.buf.base) as usize
        };
        r.min(n - 1)
    }

    /// The record of row `i`.
    pub fn record(&self, i: usize) -> Option<(u64, &'a Record)> {
        let s = self.seq(i)?;
        self.buf.get(s).map(|r| (s, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;
    use crate::matcher::{Case, Syntax};

    fn q(s: &str) -> Option<Matcher> {
        Some(Matcher::new(s, Syntax::Regex, Case::Smart).unwrap())
    }
    use std::sync::Arc;

    fn rec(i: i64, v: &str) -> Record {
        Record {
            topic: Arc::new(TopicName::parse("a/b").unwrap()),
            partition: 0,
            ts_ns: i,
            key: Default::default(),
            value: bytes::Bytes::copy_from_slice(v.as_bytes()),
            headers: vec![],
            is_close: false,
            offset: None,
            decoded: None,
        }
    }

    #[test]
    fn ring_evicts_and_counts() {
        let mut b = Buffer::new(3);
        for i in 0..5 {
            assert!(b.push(rec(i, "x")));
        }
        assert_eq!(b.len(), 3);
        assert_eq!(b.dropped, 2);
        assert_eq!(b.first_seq(), ORIGIN + 2);
        assert_eq!(b.get(ORIGIN + 2).unwrap().ts_ns, 2);
        assert!(b.get(ORIGIN + 1).is_none());
        b.evict = false;
        assert!(!b.push(rec(9, "x")));
        assert_eq!(b.refused, 1);
    }

    #[test]
    fn matches_follow_pushes_and_eviction() {
        let mut b = Buffer::new(4);
        b.push(rec(0, "Hello"));
        b.push(rec(1, "nope"));
        b.set_query(q("hel"));
        assert_eq!(
            b.matches().iter().copied().collect::<Vec<_>>(),
            vec![ORIGIN]
        );
        b.push(rec(2, "say hello"));
        b.push(rec(3, "x"));
        b.push(rec(4, "x")); // evicts seq 0
        assert_eq!(
            b.matches().iter().copied().collect::<Vec<_>>(),
            vec![ORIGIN + 2]
        );
        let rows = b.rows(true);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.seq(0), Some(ORIGIN + 2));
        assert_eq!(b.rows(false).len(), 4);
        assert_eq!(b.rows(false).row_of(ORIGIN + 3), 2);
        assert!(b.is_match(ORIGIN + 2) && !b.is_match(ORIGIN + 3));
        assert!(!q("zz").unwrap().matches(&rec(0, "\u{1}\u{2}")));
    }

    #[test]
    fn earlier_records_go_in_front_and_keep_every_sequence_number() {
        let mut b = Buffer::new(4);
        b.evict = false;
        b.set_query(q("hit"));
        for i in 10..13 {
            b.push(rec(i, if i == 11 { "hit" } else { "x" }));
        }
        let sel = b.first_seq() + 1; // ts 11
        let n = b.prepend(
            (7..10)
                .map(|i| rec(i, if i == 8 { "hit" } else { "y" }))
                .collect(),
        );
        assert_eq!(n, 3);
        assert_eq!(b.get(sel).unwrap().ts_ns, 11, "seqs unchanged");
        assert_eq!(b.get(b.first_seq()).unwrap().ts_ns, 7);
        let hits: Vec<i64> = b
            .matches()
            .iter()
            .map(|s| b.get(*s).unwrap().ts_ns)
            .collect();
        assert_eq!(hits, vec![8, 11]);
        // The room paged in counts: the read from the cursor goes on (not "full").
        assert!(b.push(rec(13, "x")));
        // At most `cap` records are paged in: the newest of a larger page.
        assert_eq!(b.prepend((0..7).map(|i| rec(i, "z")).collect()), 1);
        assert_eq!(b.get(b.first_seq()).unwrap().ts_ns, 6);
        assert_eq!(b.prepend((0..6).map(|i| rec(i, "z")).collect()), 0);
        let mut c = Buffer::new(3);
        c.push(rec(10, "x"));
        assert_eq!(c.prepend((0..5).map(|i| rec(i, "z")).collect()), 3);
        assert_eq!(c.get(c.first_seq()).unwrap().ts_ns, 2);
    }
}
