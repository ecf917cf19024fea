//! Recovery of a partition directory at startup, and the close marker.
//!
//! Recovery never destroys bytes: a torn or damaged tail of a segment is first copied to a
//! quarantine file beside it (`<base>.log.at-<position>.quarantine`, fsynced), and only then
//! cut from the segment; segments that cannot follow a damaged one are renamed `.damaged`.
//! If the copy cannot be made, the broker refuses to start (nothing is cut). Every such
//! action is logged at warn level (on stderr by default for `swmq broker`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::faults;
use super::names;
use super::segment::{self, Segment};

/// Lists, validates and (if needed) repairs the segments of a partition directory.
pub(super) fn recover_segments(dir: &Path) -> io::Result<Vec<Segment>> {
    let mut bases: Vec<u64> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| Segment::parse_file_name(&e.file_name().to_string_lossy()))
        .collect();
    bases.sort_unstable();
    let mut segments: Vec<Segment> = Vec::new();
    for (i, &base) in bases.iter().enumerate() {
        let path = dir.join(Segment::file_name(base));
        let prev_end = segments.last().map_or(base, Segment::end_ord);
        let prev_ts = segments
            .iter()
            .rev()
            .find(|s| s.count > 0)
            .map_or(0, |s| s.last_ts);
        let size = fs::metadata(&path)?.len();
        if base != prev_end {
            tracing::warn!(
                "{}: segment starts at ordinal {base}, expected {prev_end}; it and later \
                 segments are set aside as .damaged",
                path.display()
            );
            set_aside(dir, &bases[i..]);
            break;
        }
        let loaded =
            Segment::load_index(&path, base, size).filter(|s| s.count == 0 || s.first_ts > prev_ts);
        if let Some(seg) = loaded {
            segments.push(seg);
            continue;
        }
        let (seg, end) = Segment::scan(&path, base, prev_ts)?;
        let damaged = end.damage.is_some();
        if let Some(why) = end.damage {
            let kept = quarantine_tail(&path, end.valid_len, size)?;
            tracing::warn!(
                "{}: {why} at byte {}: {} bytes after it moved to {} ({} records before it kept)",
                path.display(),
                end.valid_len,
                size - end.valid_len,
                kept.display(),
                seg.count
            );
        }
        if i + 1 < bases.len() || !damaged {
            // Sealed (or clean) segments get their index back on disk; failing to save
            // one only means it is rebuilt again next time.
            if let Err(e) = seg.save_index() {
                tracing::warn!("{}: cannot save the index: {e}", path.display());
            }
        }
        segments.push(seg);
        if damaged && i + 1 < bases.len() {
            tracing::warn!(
                "{}: the segments after the damaged one cannot be served in order; set \
                 aside as .damaged",
                dir.display()
            );
            set_aside(dir, &bases[i + 1..]);
            break;
        }
    }
    Ok(segments)
}

/// The quarantine file for the bytes of `path` from `at` on.
pub(super) fn quarantine_path(path: &Path, at: u64) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "segment".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!("{name}.at-{at}.quarantine"))
}

/// Copies bytes `at..size` of `path` to its quarantine file (durably), then cuts them from
/// the segment. Fails (cutting nothing) when the copy cannot be made.
fn quarantine_tail(path: &Path, at: u64, size: u64) -> io::Result<PathBuf> {
    let target = quarantine_path(path, at);
    let mut src = File::open(path)?;
    src.seek(SeekFrom::Start(at))?;
    let mut out = faults::create(&target)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut src = src.take(size - at);
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        faults::write_all(&mut out, &target, &buf[..n])?;
    }
    faults::sync_data(&out, &target)?;
    if let Some(dir) = path.parent() {
        faults::sync_dir(dir)?;
    }
    let f = OpenOptions::new().write(true).open(path)?;
    faults::set_len(&f, path, at)?;
    faults::sync_data(&f, path)?;
    Ok(target)
}

/// Renames segments that cannot be served in order to `.damaged` (nothing is deleted).
fn set_aside(dir: &Path, bases: &[u64]) {
    for &base in bases {
        let p = dir.join(Segment::file_name(base));
        if let Err(e) = fs::rename(&p, p.with_extension("damaged")) {
            tracing::warn!("{}: cannot set it aside: {e}", p.display());
        }
        let _ = fs::remove_file(p.with_extension("idx"));
    }
}

/// Whether the last stored record is a close message.
pub(super) fn last_is_close(segments: &[Segment]) -> io::Result<bool> {
    let Some(seg) = segments.iter().rev().find(|s| s.count > 0) else {
        return Ok(false);
    };
    let Some(&e) = seg.index.last() else {
        return Ok(false);
    };
    let recs = segment::read_range(&seg.path, e.pos, seg.size, e.ord)?;
    Ok(recs.last().is_some_and(|r| r.message.is_close))
}

/// The hex MD5 of all values of a partition (the 2.x close marker's content).
pub(super) fn values_md5(segments: &[Segment]) -> io::Result<String> {
    use md5::Digest;
    let mut h = md5::Md5::new();
    for seg in segments.iter().filter(|s| s.count > 0) {
        let recs = segment::read_range(&seg.path, 0, seg.size, seg.base_ord)?;
        for r in recs {
            h.update(&r.message.value);
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the close marker `p<NN>.md5` atomically (temp file, fsync, rename, fsync of the
/// directory).
pub(super) fn write_marker_file(topic_dir: &Path, number: u32, hex: &str) -> io::Result<()> {
    let marker = names::close_marker(topic_dir, number);
    let tmp = marker.with_extension("md5.tmp");
    let mut f = faults::create(&tmp)?;
    faults::write_all(&mut f, &tmp, hex.as_bytes())?;
    faults::sync_data(&f, &tmp)?;
    fs::rename(&tmp, &marker)?;
    faults::sync_dir(topic_dir)
}
