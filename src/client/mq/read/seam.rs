//! Which records of a partition were delivered, across the seam between the filer's log
//! files and the broker's memory.
//!
//! A partition's records come in order from the files and from a broker that continues
//! our numbering at the anchor. After a resync that did not continue (a broker that
//! restarted and renumbered its memory, a flush in flight), the broker's memory can hold
//! records newer than some that are in neither the memory nor the files yet: 4.48 empties
//! a buffer before its log file is written. Seen on weed 4.48 after a KILL and restart
//! (`cluster_faults`): the memory gave the last record of a batch, the file with the ten
//! before it appeared a moment later, and "not newer than the last delivered" dropped
//! them. So records delivered out of such a jump are remembered one by one, and a record
//! the files bring later is delivered late (the merger releases late records) unless it is
//! one of them.
//!
//! After the broker was lost and came back, even its "continuing" numbering is no proof:
//! seen on weed 4.48 after a KILL and restart (`cluster_faults`, 2026-12-02 08:03), the
//! record at the anchor's offset was the anchor and the next offset held the new batch's
//! *last* record; a moment later the broker renumbered its memory and the batch's seven
//! earlier records showed at those offsets. So after a reconnect every record the broker
//! gives counts as out of a jump until the files reach the first record it gave (that
//! record, not the newest: under a steady publisher the newest stays ahead of the files).

use std::collections::BTreeSet;

/// Where a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The log files, read in order.
    Files,
    /// The broker, continuing our numbering at the anchor.
    Continuing,
    /// The broker's memory after a resync that did not continue at the anchor.
    Jump,
}

/// At most this many timestamps are remembered above the floor; past it the floor moves
/// to the newest delivered record (what the reader did before the seam was tracked).
const ABOVE_MAX: usize = 200_000;

/// Whether the broker's continuing numbering is trusted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Trust {
    /// Records that follow the anchor in its numbering are in order.
    #[default]
    Trusted,
    /// The broker was lost and answers again; it has given nothing since.
    Armed,
    /// Until the files reach the record stamped so: the first the broker gave after it came
    /// back, or the newest it gave out of a jump. Records it gives meanwhile do not move
    /// the target (else a steady publisher would keep it ahead of the files for good).
    Until(i64),
}

/// The delivered timestamps of one partition.
#[derive(Debug, Default)]
pub(super) struct Seam {
    /// Every record stamped at or before this was delivered or seen in order.
    floor: Option<i64>,
    /// Records delivered above `floor` while the broker was not trusted (out of a
    /// [`Source::Jump`], or continuing after one or after a reconnect).
    above: BTreeSet<i64>,
    /// The newest delivered timestamp.
    last: Option<i64>,
    /// Whether the broker's continuing numbering is trusted now.
    trust: Trust,
}

impl Seam {
    /// The newest delivered timestamp.
    pub(super) fn last(&self) -> Option<i64> {
        self.last
    }

    /// Whether the record stamped `ts` was delivered (or passed in order) already.
    pub(super) fn known(&self, ts: i64) -> bool {
        self.floor.is_some_and(|f| ts <= f) || self.above.contains(&ts)
    }

    /// Notes a record stamped `ts` from `source`, delivered now when `delivered` (not
    /// delivered: it was [`Seam::known`]).
    pub(super) fn seen(&mut self, ts: i64, source: Source, delivered: bool) {
        if delivered {
            self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        }
        // The broker continuing after a jump (or after a reconnect) is no proof that the
        // gap before it is filled: only the files are.
        let in_order = match source {
            Source::Files => true,
            Source::Continuing => self.trust == Trust::Trusted,
            Source::Jump => false,
        };
        if in_order {
            if self.floor.is_none_or(|f| ts > f) {
                self.floor = Some(ts);
                self.above = self.above.split_off(&ts.saturating_add(1));
            }
            // The files reached the record the broker's trust waited for.
            if source == Source::Files && matches!(self.trust, Trust::Until(t) if ts >= t) {
                self.trust = Trust::Trusted;
            }
        } else if delivered {
            self.above.insert(ts);
            self.trust = match (self.trust, source) {
                (Trust::Armed, _) => Trust::Until(ts),
                (Trust::Trusted, Source::Jump) => Trust::Until(ts),
                (Trust::Until(t), Source::Jump) => Trust::Until(t.max(ts)),
                (other, _) => other,
            };
            if self.above.len() > ABOVE_MAX {
                // Given up: what the reader did before the seam was tracked.
                self.above.clear();
                self.floor = self.last;
                self.trust = Trust::Trusted;
            }
        }
    }

    /// The broker was lost and answers again: what it gives counts as out of a jump until
    /// the files reach the first record it gives.
    pub(super) fn after_reconnect(&mut self) {
        self.trust = Trust::Armed;
    }

    /// Whether the broker gave records out of a jump (or after a reconnect) that the files
    /// have not reached yet.
    pub(super) fn open(&self) -> bool {
        matches!(self.trust, Trust::Until(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(s: &mut Seam, ts: i64, src: Source) -> bool {
        let new = !s.known(ts);
        s.seen(ts, src, new);
        new
    }

    #[test]
    fn in_order_sources_drop_what_was_delivered() {
        let mut s = Seam::default();
        for ts in [1, 2, 3] {
            assert!(deliver(&mut s, ts, Source::Files));
        }
        assert!(!deliver(&mut s, 2, Source::Files));
        assert!(deliver(&mut s, 4, Source::Continuing));
        assert!(!deliver(&mut s, 4, Source::Jump));
        assert!(!s.open());
        assert_eq!(s.last(), Some(4));
    }

    #[test]
    fn records_before_a_jump_come_late_from_the_files_once() {
        // Files gave 1..=3; the restarted broker's memory gave 14 (the batch's last); the
        // file with 4..=13 came after.
        let mut s = Seam::default();
        for ts in [1, 2, 3] {
            deliver(&mut s, ts, Source::Files);
        }
        assert!(deliver(&mut s, 14, Source::Jump));
        assert!(s.open());
        // The broker continues after the jump: still no proof the gap is filled.
        assert!(deliver(&mut s, 15, Source::Continuing));
        let late: Vec<i64> = (1..=15)
            .filter(|&ts| deliver(&mut s, ts, Source::Files))
            .collect();
        assert_eq!(late, (4..=13).collect::<Vec<_>>());
        assert!(!s.open(), "the files reached the jumped records");
        assert!(!deliver(&mut s, 14, Source::Jump));
        assert_eq!(s.last(), Some(15));
    }

    #[test]
    fn a_jump_again_over_the_same_memory_delivers_nothing_twice() {
        let mut s = Seam::default();
        deliver(&mut s, 1, Source::Files);
        let first: Vec<i64> = [1, 7, 8]
            .into_iter()
            .filter(|&ts| deliver(&mut s, ts, Source::Jump))
            .collect();
        assert_eq!(first, vec![7, 8]);
        let again: Vec<i64> = [1, 7, 8, 9]
            .into_iter()
            .filter(|&ts| deliver(&mut s, ts, Source::Jump))
            .collect();
        assert_eq!(again, vec![9]);
    }

    #[test]
    fn after_a_reconnect_the_continuing_broker_is_not_trusted_until_the_files_reach_it() {
        // Seen on weed 4.48 (module doc): files gave 1..=13; the broker came back with the
        // anchor 13 at its offset and the batch's last record (21) after it; then it
        // renumbered its memory: 14..=20 at the offsets after 13; then the files had them.
        let mut s = Seam::default();
        for ts in 1..=13 {
            deliver(&mut s, ts, Source::Files);
        }
        s.after_reconnect();
        assert!(!deliver(&mut s, 13, Source::Continuing));
        assert!(deliver(&mut s, 21, Source::Continuing));
        let late: Vec<i64> = (1..=21)
            .filter(|&ts| deliver(&mut s, ts, Source::Jump))
            .collect();
        assert_eq!(late, (14..=20).collect::<Vec<_>>());
        assert!((1..=21).all(|ts| !deliver(&mut s, ts, Source::Files)));
        assert!(!s.open());
        // The files reached it: the broker's numbering is trusted again.
        assert!(deliver(&mut s, 22, Source::Continuing));
        assert!(!s.open());
        assert!(!deliver(&mut s, 21, Source::Jump));
    }

    #[test]
    fn a_reconnect_before_anything_new_still_distrusts_the_next_records() {
        let mut s = Seam::default();
        deliver(&mut s, 1, Source::Files);
        s.after_reconnect();
        // Old files read again on the relist: nothing was given by the broker yet.
        assert!(!deliver(&mut s, 1, Source::Files));
        assert!(deliver(&mut s, 9, Source::Continuing));
        assert!(s.open(), "9 came from the broker after the reconnect");
        assert!(deliver(&mut s, 5, Source::Jump), "5 comes late");
    }

    #[test]
    fn files_reaching_an_older_jump_do_not_restore_trust_after_a_reconnect() {
        // Review of 2026-12-02: a jump's record (12) still ahead of the files when the
        // broker is lost again; the files reaching 12 must not make the broker's next
        // "continuing" records (21, the batch's last) trusted.
        let mut s = Seam::default();
        for ts in 1..=10 {
            deliver(&mut s, ts, Source::Files);
        }
        assert!(deliver(&mut s, 12, Source::Jump));
        s.after_reconnect();
        assert!(
            deliver(&mut s, 11, Source::Files),
            "11 fills the gap before the jump"
        );
        assert!(!deliver(&mut s, 12, Source::Files));
        assert!(deliver(&mut s, 21, Source::Continuing));
        let late: Vec<i64> = (13..=21)
            .filter(|&ts| deliver(&mut s, ts, Source::Jump))
            .collect();
        assert_eq!(late, (13..=20).collect::<Vec<_>>());
    }

    #[test]
    fn a_steady_broker_is_trusted_again_once_the_files_reach_its_first_record() {
        let mut s = Seam::default();
        deliver(&mut s, 1, Source::Files);
        s.after_reconnect();
        // The broker goes on giving records; the files lag behind by a flush.
        for ts in 2..=50 {
            assert!(deliver(&mut s, ts, Source::Continuing));
        }
        assert!(s.open());
        // The files reach the first record given after the reconnect (2), not the newest.
        for ts in 2..=10 {
            assert!(!deliver(&mut s, ts, Source::Files));
        }
        assert!(!s.open(), "trusted again");
        assert!(deliver(&mut s, 51, Source::Continuing));
        assert!(
            !deliver(&mut s, 30, Source::Files),
            "30 was given by the broker"
        );
        assert!(!deliver(&mut s, 51, Source::Files));
    }

    #[test]
    fn the_remembered_set_is_bounded() {
        let mut s = Seam::default();
        deliver(&mut s, 0, Source::Files);
        for ts in 1..=(ABOVE_MAX as i64 + 1) {
            deliver(&mut s, ts, Source::Jump);
        }
        assert!(!s.open());
        assert!(s.known(5));
        assert!(!deliver(&mut s, ABOVE_MAX as i64, Source::Files));
    }
}
