//! Fuzzing of the storage readers with proptest (stable toolchain, part of the suite): the
//! segment scan, recovery of a damaged partition directory, the index loader and the
//! record decoder, fed valid data with random damage (flipped bytes, cuts, garbage tails)
//! and plain random bytes.
//!
//! Longer runs: `PROPTEST_CASES=20000 cargo test --lib broker::fuzz_tests` (see
//! docs/embedded-broker.md). What a run finds is saved as a seed under
//! `proptest-regressions/` and re-run first every time.

use std::fs;

use proptest::prelude::*;

use super::partition::{Limits, Partition};
use super::record::{self, ReadStop};
use super::recovery;
use super::segment::{self, Segment};
use crate::proto::v2::Message;

/// A valid segment of `n` records with varied sizes; returns its bytes and each record's end.
fn valid_segment(n: usize, seed: u64) -> (Vec<u8>, Vec<u64>) {
    let mut buf = Vec::new();
    let mut ends = Vec::new();
    for i in 0..n {
        let size = ((seed as usize).wrapping_mul(31).wrapping_add(i * 97)) % 300;
        let m = Message {
            key: format!("k{}", i % 3).into(),
            value: vec![b'a' + (i % 26) as u8; size].into(),
            event_time_ns: 1000 + i as i64,
            ..Default::default()
        };
        record::encode(&mut buf, 1000 + 10 * i as i64, i as u64, &m);
        ends.push(buf.len() as u64);
    }
    (buf, ends)
}

#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, xor: u8 },
    Cut { at: usize },
    Garbage { bytes: Vec<u8> },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, xor)| Damage::Flip { at, xor }),
        any::<usize>().prop_map(|at| Damage::Cut { at }),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Damage::Garbage { bytes }),
    ]
}

/// Applies the damage; returns the position of the first changed byte.
fn apply(bytes: &mut Vec<u8>, d: &Damage) -> usize {
    match d {
        Damage::Flip { at, xor } if !bytes.is_empty() => {
            let at = at % bytes.len();
            bytes[at] ^= xor;
            at
        }
        Damage::Flip { .. } => 0,
        Damage::Cut { at } => {
            let at = at % (bytes.len() + 1);
            bytes.truncate(at);
            at
        }
        Damage::Garbage { bytes: g } => {
            let at = bytes.len();
            bytes.extend_from_slice(g);
            at
        }
    }
}

fn prefix_kept(ends: &[u64], first_change: usize) -> u64 {
    ends.iter()
        .copied()
        .take_while(|&e| e <= first_change as u64)
        .last()
        .unwrap_or(0)
}

/// `cases` cases in the suite; `PROPTEST_CASES` (scripts/fuzz) for more or fewer.
/// (`with_cases` alone overrides the variable: proptest reads it only into
/// `Config::default()`.)
pub(super) fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config(256))]

    /// The scan never panics, keeps every record that ends before the damage, and what it
    /// accepts reads back whole.
    #[test]
    fn scan_keeps_the_intact_prefix(n in 0usize..40, seed in any::<u64>(), d in damage()) {
        let dir = tempfile::tempdir().unwrap();
        let (mut bytes, ends) = valid_segment(n, seed);
        let first = apply(&mut bytes, &d);
        let path = dir.path().join(Segment::file_name(0));
        fs::write(&path, &bytes).unwrap();
        let (seg, end) = Segment::scan(&path, 0, 0).unwrap();
        prop_assert!(seg.size >= prefix_kept(&ends, first));
        prop_assert!(seg.size <= bytes.len() as u64);
        prop_assert_eq!(end.valid_len, seg.size);
        let recs = segment::read_range(&path, 0, seg.size, 0).unwrap();
        prop_assert_eq!(recs.len() as u64, seg.count);
    }

    /// Recovery of a damaged partition: the kept segment plus its quarantined tail is the
    /// damaged file, byte for byte, and the partition serves the intact prefix.
    #[test]
    fn recovery_sets_aside_exactly_what_it_cuts(n in 1usize..30, seed in any::<u64>(), d in damage()) {
        let dir = tempfile::tempdir().unwrap();
        let (mut bytes, ends) = valid_segment(n, seed);
        let first = apply(&mut bytes, &d);
        let pdir = dir.path().join("p00");
        fs::create_dir_all(&pdir).unwrap();
        let path = pdir.join(Segment::file_name(0));
        fs::write(&path, &bytes).unwrap();
        let limits = Limits { segment_bytes: 1 << 20, max_message: 1 << 20 };
        let p = Partition::open(dir.path(), 0, limits).unwrap();
        let kept = fs::read(&path).unwrap();
        prop_assert!(kept.len() as u64 >= prefix_kept(&ends, first));
        let q = recovery::quarantine_path(&path, kept.len() as u64);
        let aside = fs::read(&q).unwrap_or_default();
        prop_assert_eq!([kept.clone(), aside].concat(), bytes);
        prop_assert_eq!(p.stats().bytes, kept.len() as u64);
    }

    /// A damaged index file is refused (then rebuilt by a scan), never trusted.
    #[test]
    fn damaged_indexes_are_refused(n in 1usize..200, at in any::<usize>(), xor in 1u8..=255, cut in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let (bytes, _) = valid_segment(n, 7);
        let path = dir.path().join(Segment::file_name(0));
        fs::write(&path, &bytes).unwrap();
        let (seg, _) = Segment::scan(&path, 0, 0).unwrap();
        seg.save_index().unwrap();
        let mut idx = fs::read(seg.idx_path()).unwrap();
        let at = at % idx.len();
        if cut { idx.truncate(at) } else { idx[at] ^= xor }
        fs::write(seg.idx_path(), &idx).unwrap();
        prop_assert!(Segment::load_index(&path, 0, seg.size).is_none());
    }

    /// Random bytes as an index or a record: no panic, no huge allocation.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        let pdir = dir.path().join("p00");
        fs::create_dir_all(&pdir).unwrap();
        let path = pdir.join(Segment::file_name(0));
        fs::write(&path, &bytes).unwrap();
        fs::write(path.with_extension("idx"), &bytes).unwrap();
        let _ = Segment::load_index(&path, 0, bytes.len() as u64);
        let mut r = bytes.as_slice();
        loop {
            match record::read_next(&mut r, i64::MIN, 0, bytes.len() as u64) {
                Ok(_) => {}
                Err(ReadStop::Io(e)) => return Err(TestCaseError::fail(e.to_string())),
                Err(_) => break,
            }
        }
        let _ = Segment::scan(&path, 0, 0).unwrap();
        let limits = Limits { segment_bytes: 1 << 20, max_message: 1 << 20 };
        let p = Partition::open(dir.path(), 0, limits).unwrap();
        prop_assert!(p.stats().bytes <= bytes.len() as u64);
    }
}

#[test]
fn a_length_prefix_claiming_a_gigabyte_is_torn_not_allocated() {
    let mut bytes = (1u32 << 29).to_be_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 16]);
    let r = record::read_next(&mut bytes.as_slice(), 0, 0, bytes.len() as u64);
    assert!(matches!(r, Err(ReadStop::Torn)));
}
