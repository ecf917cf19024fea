//! One partition: an append-only sequence of segment files with strictly increasing
//! timestamps, group-committed fsyncs, and a watch channel that wakes live readers.
//!
//! Writes go to an in-memory buffer that the publisher flushes to the active segment after
//! each batch it received (so readers see them) and fsyncs when its stream ends
//! ([`Partition::sync`]; concurrent syncs share one `fsync`). Segments roll at a size limit;
//! a rolled segment is fsynced and its index saved before the next one is created.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::BrokerError;
use super::names;
use super::record;
use super::segment::Segment;
use crate::proto::v2::Message;

/// Flush the write buffer to the file once it holds this many bytes.
const FLUSH_BYTES: usize = 256 * 1024;

/// Storage limits shared by every partition.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Roll a segment once it reaches this size.
    pub segment_bytes: u64,
    /// Largest record accepted when reading.
    pub max_record: usize,
}

/// A partition of a topic.
#[derive(Debug)]
pub struct Partition {
    /// The topic's directory.
    pub topic_dir: PathBuf,
    /// This partition's directory (`p<NN>`).
    pub dir: PathBuf,
    /// Its number.
    pub number: u32,
    pub(super) limits: Limits,
    pub(super) state: Mutex<State>,
    /// Logical bytes known to be fsynced (group commit: held while syncing).
    synced: tokio::sync::Mutex<u64>,
    /// Carries the ordinal one past the last flushed record; bumped on close and delete.
    pub(super) watch: watch::Sender<u64>,
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) segments: Vec<Segment>,
    file: Option<File>,
    buf: Vec<u8>,
    pending: Vec<(i64, u64)>,
    /// Timestamp of the last record, pending ones included.
    last_ts: i64,
    /// Logical bytes written to segment files since open.
    written: u64,
    /// A close record is stored (or pending): later appends are refused.
    pub(super) closed: bool,
    /// The topic was deleted: everything fails.
    pub(super) deleted: bool,
}

/// What [`Partition::append`] stored.
#[derive(Debug, Clone, Copy)]
pub struct Appended {
    /// Whether it was a close message.
    pub is_close: bool,
}

/// fsyncs a directory (makes a creation or rename in it durable).
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl State {
    /// Closed, with the close record flushed (nothing more will ever be readable).
    pub(super) fn settled_closed(&self) -> bool {
        self.closed && self.pending.is_empty()
    }

    fn end_ord(&self) -> u64 {
        self.segments.last().map_or(0, Segment::end_ord)
    }

    /// Writes the buffer to the active segment.
    fn flush(&mut self) -> io::Result<bool> {
        if self.buf.is_empty() {
            return Ok(false);
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("partition has no open segment"))?;
        file.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        let seg = self
            .segments
            .last_mut()
            .expect("an open file has a segment");
        for (ts, len) in self.pending.drain(..) {
            seg.note_append(ts, len);
        }
        Ok(true)
    }
}

impl Partition {
    /// Opens (recovering) or prepares a partition in `topic_dir`. Nothing is created on
    /// disk until the first append.
    pub fn open(topic_dir: &Path, number: u32, limits: Limits) -> io::Result<Partition> {
        let dir = names::partition_dir(topic_dir, number);
        let mut segments = Vec::new();
        if dir.is_dir() {
            segments = recover_segments(&dir, limits.max_record)?;
        }
        let marker = names::close_marker(topic_dir, number);
        let mut closed = marker.exists();
        if !closed && last_is_close(&segments, limits.max_record)? {
            // Crashed between storing the close and writing the marker.
            write_marker(topic_dir, number, &segments, limits.max_record)?;
            closed = true;
        }
        let last_ts = segments
            .iter()
            .rev()
            .find(|s| s.count > 0)
            .map_or(0, |s| s.last_ts);
        let end = segments.last().map_or(0, Segment::end_ord);
        Ok(Partition {
            topic_dir: topic_dir.to_path_buf(),
            dir,
            number,
            limits,
            state: Mutex::new(State {
                segments,
                file: None,
                buf: Vec::new(),
                pending: Vec::new(),
                last_ts,
                written: 0,
                closed,
                deleted: false,
            }),
            synced: tokio::sync::Mutex::new(0),
            watch: watch::channel(end).0,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends one message (buffered; call [`Partition::flush`] after a batch and
    /// [`Partition::sync`] to make it durable).
    pub fn append(&self, mut msg: Message) -> Result<Appended, BrokerError> {
        let mut st = self.lock();
        if st.deleted {
            return Err(BrokerError::Gone("the topic was deleted".into()));
        }
        if st.closed {
            return Err(BrokerError::Closed(format!(
                "channel is already closed (partition {})",
                self.number
            )));
        }
        let mut ts = if msg.event_time_ns != 0 {
            msg.event_time_ns
        } else {
            crate::time::now_ns()
        };
        if ts <= st.last_ts {
            ts = st.last_ts + 1;
        }
        if msg.event_time_ns == 0 {
            // Improvement over 2.x: subscribers always see when a message was written.
            msg.event_time_ns = ts;
        }
        self.ensure_active(&mut st)?;
        let active = st.segments.last().expect("ensured");
        if active.size + st.buf.len() as u64 >= self.limits.segment_bytes
            && active.count as usize + st.pending.len() > 0
        {
            self.roll(&mut st)?;
        }
        let ord = st.end_ord() + st.pending.len() as u64;
        let len = record::encode(&mut st.buf, ts, ord, &msg);
        st.pending.push((ts, len));
        st.last_ts = ts;
        if msg.is_close {
            st.closed = true;
        }
        if st.buf.len() >= FLUSH_BYTES {
            self.flush_locked(&mut st)?;
        }
        Ok(Appended {
            is_close: msg.is_close,
        })
    }

    /// Whether a close message was stored (publishes are refused).
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether the topic was deleted under this partition.
    pub fn is_deleted(&self) -> bool {
        self.lock().deleted
    }

    /// Makes buffered records visible to readers.
    pub fn flush(&self) -> Result<(), BrokerError> {
        let mut st = self.lock();
        self.flush_locked(&mut st)
    }

    fn flush_locked(&self, st: &mut State) -> Result<(), BrokerError> {
        if st.flush()? {
            self.watch.send_replace(st.end_ord());
        }
        Ok(())
    }

    /// Flushes and fsyncs everything appended so far; concurrent callers share one fsync.
    pub async fn sync(&self) -> Result<(), BrokerError> {
        let target = {
            let mut st = self.lock();
            self.flush_locked(&mut st)?;
            st.written
        };
        let mut synced = self.synced.lock().await;
        if *synced >= target {
            return Ok(());
        }
        let (file, written) = {
            let st = self.lock();
            let file = st.file.as_ref().map(File::try_clone).transpose()?;
            (file, st.written)
        };
        if let Some(file) = file {
            tokio::task::spawn_blocking(move || file.sync_data())
                .await
                .map_err(|e| io::Error::other(e.to_string()))??;
        }
        *synced = written;
        Ok(())
    }

    /// Whether bytes were written that are not fsynced yet (and no sync is running).
    pub fn needs_sync(&self) -> bool {
        let written = self.lock().written;
        self.synced.try_lock().is_ok_and(|synced| *synced < written)
    }

    /// After a close record was appended: makes it durable and writes the close marker.
    pub async fn seal(self: &Arc<Self>) -> Result<(), BrokerError> {
        self.sync().await?;
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let segments = me.lock().segments.clone();
            let hex = values_md5(&segments, me.limits.max_record)?;
            // Under the lock: a delete (which marks the partition first, then moves the
            // directory) cannot slip in, so the marker never lands in a recreated topic.
            let st = me.lock();
            if st.deleted {
                return Err(BrokerError::Gone("the topic was deleted".into()));
            }
            write_marker_file(&me.topic_dir, me.number, &hex)?;
            drop(st);
            Ok(())
        })
        .await
        .map_err(|e| io::Error::other(e.to_string()))??;
        self.watch.send_modify(|_| {});
        Ok(())
    }

    /// Marks the partition deleted: appends fail and readers stop.
    pub fn mark_deleted(&self) {
        let mut st = self.lock();
        st.deleted = true;
        st.file = None;
        st.buf.clear();
        st.pending.clear();
        drop(st);
        self.watch.send_modify(|_| {});
    }

    /// Flushes, fsyncs and saves the index of the active segment (graceful shutdown).
    pub fn shutdown(&self) -> io::Result<()> {
        let mut st = self.lock();
        if st.deleted {
            return Ok(());
        }
        st.flush()?;
        if let Some(f) = &st.file {
            f.sync_data()?;
        }
        if let Some(seg) = st.segments.last() {
            seg.save_index()?;
        }
        Ok(())
    }

    /// Opens the active segment for appending (lazily: a partition that is only read keeps
    /// no file open), creating the first segment when there is none.
    fn ensure_active(&self, st: &mut State) -> Result<(), BrokerError> {
        if st.file.is_some() {
            return Ok(());
        }
        if let Some(last) = st.segments.last() {
            st.file = Some(OpenOptions::new().append(true).open(&last.path)?);
            return Ok(());
        }
        self.create_segment(st)
    }

    fn create_segment(&self, st: &mut State) -> Result<(), BrokerError> {
        let base = st.end_ord();
        fs::create_dir_all(&self.dir)?;
        let seg = Segment::empty(&self.dir, base);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&seg.path)?;
        fsync_dir(&self.dir)?;
        for d in self.dir.ancestors().skip(1).take(3) {
            fsync_dir(d)?;
        }
        st.segments.push(seg);
        st.file = Some(file);
        Ok(())
    }

    fn roll(&self, st: &mut State) -> Result<(), BrokerError> {
        self.flush_locked(st)?;
        if let Some(f) = &st.file {
            f.sync_data()?;
        }
        if let Some(seg) = st.segments.last() {
            seg.save_index()?;
        }
        st.file = None;
        self.create_segment(st)
    }
}

/// Lists, validates and (if needed) repairs the segments of a partition directory.
fn recover_segments(dir: &Path, max_record: usize) -> io::Result<Vec<Segment>> {
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
            tracing::warn!(path = %path.display(), "segment starts at ordinal {base}, expected {prev_end}; the log ends before it");
            quarantine(dir, &bases[i..]);
            break;
        }
        let loaded =
            Segment::load_index(&path, base, size).filter(|s| s.count == 0 || s.first_ts > prev_ts);
        let seg = match loaded {
            Some(seg) => seg,
            None => {
                let (seg, end) = Segment::scan(&path, base, prev_ts, max_record)?;
                if let Some(why) = end.damage {
                    tracing::warn!(path = %path.display(), "{why}: cutting at {}", end.valid_len);
                    let f = OpenOptions::new().write(true).open(&path)?;
                    f.set_len(end.valid_len)?;
                    f.sync_all()?;
                    if i + 1 < bases.len() {
                        let _ = seg.save_index();
                        segments.push(seg);
                        quarantine(dir, &bases[i + 1..]);
                        break;
                    }
                }
                if i + 1 < bases.len() || end.valid_len == size {
                    // Sealed (or clean) segments get their index back on disk.
                    let _ = seg.save_index();
                }
                seg
            }
        };
        segments.push(seg);
    }
    Ok(segments)
}

/// Moves segments after a damaged one aside (`.damaged`): they cannot be served in order.
fn quarantine(dir: &Path, bases: &[u64]) {
    for &base in bases {
        let p = dir.join(Segment::file_name(base));
        let _ = fs::rename(&p, p.with_extension("damaged"));
        let _ = fs::remove_file(p.with_extension("idx"));
    }
}

/// Whether the last stored record is a close message.
fn last_is_close(segments: &[Segment], max_record: usize) -> io::Result<bool> {
    let Some(seg) = segments.iter().rev().find(|s| s.count > 0) else {
        return Ok(false);
    };
    let Some(&e) = seg.index.last() else {
        return Ok(false);
    };
    let recs = super::segment::read_range(&seg.path, e.pos, seg.size, e.ord, max_record)?;
    Ok(recs.last().is_some_and(|r| r.message.is_close))
}

/// Writes `p<NN>.md5` (the MD5 of all values, as SeaweedFS 2.x did), durably.
fn write_marker(
    topic_dir: &Path,
    number: u32,
    segments: &[Segment],
    max_record: usize,
) -> io::Result<()> {
    write_marker_file(topic_dir, number, &values_md5(segments, max_record)?)
}

/// The hex MD5 of all values of a partition.
fn values_md5(segments: &[Segment], max_record: usize) -> io::Result<String> {
    use md5::Digest;
    let mut h = md5::Md5::new();
    for seg in segments.iter().filter(|s| s.count > 0) {
        let recs = super::segment::read_range(&seg.path, 0, seg.size, seg.base_ord, max_record)?;
        for r in recs {
            h.update(&r.message.value);
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes the close marker atomically (temp file, fsync, rename, fsync of the directory).
fn write_marker_file(topic_dir: &Path, number: u32, hex: &str) -> io::Result<()> {
    let marker = names::close_marker(topic_dir, number);
    let tmp = marker.with_extension("md5.tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(hex.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, &marker)?;
    fsync_dir(topic_dir)
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
