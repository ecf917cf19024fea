//! One segment file of a partition and its sparse timestamp index.
//!
//! A segment `<base ordinal, 20 digits>.log` holds consecutive records of one partition. Every
//! [`INDEX_EVERY`]-th record (and the first) gets an index entry `(ts, ordinal, position)`,
//! so a timestamp seek or an exact count below a timestamp is a binary search plus one read
//! of at most `INDEX_EVERY` records. The index is kept in memory and saved beside the
//! segment as `<base>.idx` (with a checksum and the segment size it describes) when the
//! segment is sealed or the broker shuts down; a missing, stale or damaged index file is
//! rebuilt by scanning the segment.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::faults;
use super::record::{self, ReadStop, StoredRecord};

/// One index entry per this many records.
pub(super) const INDEX_EVERY: u64 = 64;

const IDX_MAGIC: &[u8; 8] = b"SWMQIDX1";

/// A sparse index entry: the record with ordinal `ord` has timestamp `ts` and starts at byte
/// `pos` of its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IndexEntry {
    /// Timestamp of the record.
    pub ts: i64,
    /// Ordinal of the record in its partition.
    pub ord: u64,
    /// Byte position of the record in its segment.
    pub pos: u64,
}

/// A segment's metadata and index.
#[derive(Debug, Clone)]
pub(super) struct Segment {
    /// The `.log` file.
    pub path: PathBuf,
    /// Ordinal of its first record.
    pub base_ord: u64,
    /// Number of valid records.
    pub count: u64,
    /// Bytes of valid records.
    pub size: u64,
    /// Timestamp of the first record (0 when empty).
    pub first_ts: i64,
    /// Timestamp of the last record (0 when empty).
    pub last_ts: i64,
    /// The sparse index, in ordinal order.
    pub index: Vec<IndexEntry>,
}

/// Where a scan of a segment stopped.
#[derive(Debug)]
pub(super) struct ScanEnd {
    /// Bytes of valid records (the file is cut here when `damage` is set).
    pub valid_len: u64,
    /// Why the scan ended before the end of the file, if it did.
    pub damage: Option<String>,
}

impl Segment {
    /// The file name of the segment whose first ordinal is `base_ord`.
    pub(super) fn file_name(base_ord: u64) -> String {
        format!("{base_ord:020}.log")
    }

    /// Parses a segment file name.
    pub(super) fn parse_file_name(name: &str) -> Option<u64> {
        let digits = name.strip_suffix(".log")?;
        (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    }

    /// A new, empty segment in `dir`.
    pub(super) fn empty(dir: &Path, base_ord: u64) -> Self {
        Segment {
            path: dir.join(Self::file_name(base_ord)),
            base_ord,
            count: 0,
            size: 0,
            first_ts: 0,
            last_ts: 0,
            index: Vec::new(),
        }
    }

    /// The index file beside the segment.
    pub(super) fn idx_path(&self) -> PathBuf {
        self.path.with_extension("idx")
    }

    /// Ordinal one past the last record.
    pub(super) fn end_ord(&self) -> u64 {
        self.base_ord + self.count
    }

    /// Records a record appended at `pos` (the current size).
    pub(super) fn note_append(&mut self, ts: i64, disk_len: u64) {
        let ord = self.end_ord();
        if self.count.is_multiple_of(INDEX_EVERY) {
            self.index.push(IndexEntry {
                ts,
                ord,
                pos: self.size,
            });
        }
        if self.count == 0 {
            self.first_ts = ts;
        }
        self.count += 1;
        self.size += disk_len;
        self.last_ts = ts;
    }

    /// Scans the segment file from the start, rebuilding the metadata and index. Records
    /// must continue a log whose last timestamp is `prev_ts`.
    pub(super) fn scan(path: &Path, base_ord: u64, prev_ts: i64) -> io::Result<(Segment, ScanEnd)> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut seg = Segment::empty(dir, base_ord);
        seg.path = path.to_path_buf();
        let file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut prev = prev_ts;
        let damage = loop {
            let remaining = file_len.saturating_sub(seg.size);
            match record::read_next(&mut r, prev, seg.end_ord(), remaining) {
                Ok(rec) => {
                    prev = rec.ts_ns;
                    seg.note_append(rec.ts_ns, rec.disk_len);
                }
                Err(ReadStop::End) => break None,
                Err(ReadStop::Torn) => break Some("torn last record".to_string()),
                Err(ReadStop::Invalid(why)) => break Some(why),
                Err(ReadStop::Io(e)) => return Err(e),
            }
        };
        let valid_len = seg.size;
        Ok((seg, ScanEnd { valid_len, damage }))
    }

    /// Loads the saved index if it is intact and describes exactly `file_size` bytes.
    pub(super) fn load_index(path: &Path, base_ord: u64, file_size: u64) -> Option<Segment> {
        let dir = path.parent()?;
        let mut seg = Segment::empty(dir, base_ord);
        seg.path = path.to_path_buf();
        let bytes = fs::read(seg.idx_path()).ok()?;
        if bytes.len() < 8 + 6 * 8 + 8 || &bytes[..8] != IDX_MAGIC {
            return None;
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if xxhash_rust::xxh64::xxh64(body, 0).to_le_bytes() != sum {
            return None;
        }
        let mut words = body[8..]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        let mut next = || words.next();
        let (size, base, count) = (next()?, next()?, next()?);
        let (first_ts, last_ts, n) = (next()? as i64, next()? as i64, next()?);
        if size != file_size || base != base_ord || n != count.div_ceil(INDEX_EVERY) {
            return None;
        }
        for _ in 0..n {
            let e = IndexEntry {
                ts: next()? as i64,
                ord: next()?,
                pos: next()?,
            };
            if e.pos >= size || e.ord < base || e.ord >= base + count {
                return None;
            }
            seg.index.push(e);
        }
        seg.size = size;
        seg.count = count;
        seg.first_ts = first_ts;
        seg.last_ts = last_ts;
        Some(seg)
    }

    /// Writes the index file (atomically: temp file, fsync, rename).
    pub(super) fn save_index(&self) -> io::Result<()> {
        let mut b = Vec::with_capacity(64 + self.index.len() * 24);
        b.extend_from_slice(IDX_MAGIC);
        for w in [
            self.size,
            self.base_ord,
            self.count,
            self.first_ts as u64,
            self.last_ts as u64,
            self.index.len() as u64,
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        for e in &self.index {
            for w in [e.ts as u64, e.ord, e.pos] {
                b.extend_from_slice(&w.to_le_bytes());
            }
        }
        let sum = xxhash_rust::xxh64::xxh64(&b, 0);
        b.extend_from_slice(&sum.to_le_bytes());
        let tmp = self.path.with_extension("idx.tmp");
        let mut f = faults::create(&tmp)?;
        faults::write_all(&mut f, &tmp, &b)?;
        faults::sync_data(&f, &tmp)?;
        fs::rename(&tmp, self.idx_path())
    }

    /// The index entry to start reading from to find the first record with `ts > t`
    /// (`None` when every record of the segment has `ts <= t`).
    pub(super) fn seek_after(&self, t: i64) -> Option<IndexEntry> {
        if self.count == 0 || self.last_ts <= t {
            return None;
        }
        let i = self.index.partition_point(|e| e.ts <= t);
        Some(self.index[i.saturating_sub(1)])
    }

    /// The block of records that holds the first record with `ts >= t`: the index entry
    /// where it starts and the position where it ends. `None` when the first record of the
    /// segment already has `ts >= t` or the segment is empty.
    pub(super) fn block_below(&self, t: i64) -> Option<(IndexEntry, u64)> {
        let i = self.index.partition_point(|e| e.ts < t);
        if i == 0 {
            return None;
        }
        let end = self.index.get(i).map_or(self.size, |e| e.pos);
        Some((self.index[i - 1], end))
    }
}

/// Reads the records of `path` between byte positions `from` and `to`, the first having
/// ordinal `ord`. Stops early at anything invalid (never yields garbage).
pub(super) fn read_range(
    path: &Path,
    from: u64,
    to: u64,
    ord: u64,
) -> io::Result<Vec<StoredRecord>> {
    read_range_soft(path, from, to, to, ord)
}

/// Like [`read_range`], but stops at the first record boundary at or after `soft`.
pub(super) fn read_range_soft(
    path: &Path,
    from: u64,
    to: u64,
    soft: u64,
    ord: u64,
) -> io::Result<Vec<StoredRecord>> {
    let mut f = OpenOptions::new().read(true).open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let cap = (soft.min(to).saturating_sub(from) as usize).clamp(4096, 1 << 20);
    let mut r = BufReader::with_capacity(cap, f.take(to - from));
    let mut out = Vec::new();
    let mut prev = i64::MIN;
    let mut next_ord = ord;
    let mut at = from;
    while at < soft.min(to) {
        match record::read_next(&mut r, prev, next_ord, to - at) {
            Ok(rec) => {
                prev = rec.ts_ns;
                next_ord += 1;
                at += rec.disk_len;
                out.push(rec);
            }
            Err(ReadStop::Io(e)) => return Err(e),
            Err(ReadStop::End) => break,
            Err(ReadStop::Torn) | Err(ReadStop::Invalid(_)) => {
                tracing::warn!(path = %path.display(), from, to, "unreadable record in range");
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::v2::Message;

    fn write_segment(dir: &Path, n: u64) -> PathBuf {
        let path = dir.join(Segment::file_name(0));
        let mut buf = Vec::new();
        for i in 0..n {
            let m = Message {
                value: format!("v{i}").into(),
                ..Default::default()
            };
            record::encode(&mut buf, 1000 + 10 * i as i64, i, &m);
        }
        fs::write(&path, buf).unwrap();
        path
    }

    #[test]
    fn scan_builds_sparse_index_and_seeks() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_segment(dir.path(), 200);
        let (seg, end) = Segment::scan(&path, 0, 0).unwrap();
        assert!(end.damage.is_none());
        assert_eq!((seg.count, seg.first_ts, seg.last_ts), (200, 1000, 2990));
        assert_eq!(seg.index.len(), 4);
        // First record after ts 1505 is ordinal 51 (ts 1510); the block starts at 0.
        let e = seg.seek_after(1505).unwrap();
        assert_eq!(e.ord, 0);
        let e = seg.seek_after(1000 + 10 * 64).unwrap();
        assert_eq!(e.ord, 64);
        assert!(seg.seek_after(2990).is_none());
        let (blk, end) = seg.block_below(1700).unwrap();
        let recs = read_range(&path, blk.pos, end, blk.ord).unwrap();
        assert_eq!(recs.len(), 64);
        assert_eq!(
            recs.iter().filter(|r| r.ts_ns < 1700).count() as u64 + blk.ord,
            70
        );
        assert!(seg.block_below(1000).is_none());
    }

    #[test]
    fn index_file_roundtrip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_segment(dir.path(), 130);
        let (seg, _) = Segment::scan(&path, 0, 0).unwrap();
        seg.save_index().unwrap();
        let loaded = Segment::load_index(&path, 0, seg.size).unwrap();
        assert_eq!(loaded.index, seg.index);
        assert_eq!((loaded.count, loaded.last_ts), (130, seg.last_ts));
        // Stale (size differs) or damaged index files are refused.
        assert!(Segment::load_index(&path, 0, seg.size + 1).is_none());
        let mut bytes = fs::read(seg.idx_path()).unwrap();
        bytes[20] ^= 1;
        fs::write(seg.idx_path(), bytes).unwrap();
        assert!(Segment::load_index(&path, 0, seg.size).is_none());
    }

    #[test]
    fn torn_tail_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_segment(dir.path(), 10);
        let full = fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 3).unwrap();
        let (seg, end) = Segment::scan(&path, 0, 0).unwrap();
        assert_eq!(seg.count, 9);
        assert!(end.damage.is_some());
        assert!(end.valid_len < full - 3);
    }
}
