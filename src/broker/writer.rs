//! The write path of a partition, run on the blocking pool under the partition's writer
//! lock: timestamps, limits, encoding, one `write` per chunk, rolling, and the rollback of
//! a failed write.
//!
//! A failed write (a full disk, an I/O error, a short write) leaves the partition exactly as
//! before the chunk: the file is cut back to the last good length (if even that fails, the
//! cut is retried before the next write and nothing more is written until it succeeds), and
//! neither the segment metadata, the timestamps nor the ordinals move. The publisher gets
//! the error (its stream does not end OK, so nothing of it was acknowledged); records of
//! earlier chunks stay.

use std::fs::File;
use std::io;

use prost::Message as _;

use super::BrokerError;
use super::faults;
use super::partition::{Partition, fsync_dir};
use super::record::{self, RECORD_FRAMING};
use super::segment::Segment;
use crate::proto::v2::Message;

/// Write a chunk of a batch once it holds this many bytes.
const CHUNK_BYTES: usize = 256 * 1024;

/// The writer side of a partition: its active file and what has been written.
#[derive(Debug)]
pub(super) struct Writer {
    /// The active segment, open for appending (lazily: a partition that is only read keeps
    /// no file open).
    pub(super) file: Option<File>,
    /// Timestamp of the last stored record.
    last_ts: i64,
    /// Logical bytes written since open.
    pub(super) written: u64,
    /// A failed write could not be cut back: cut before writing again.
    torn: bool,
}

/// What a batch stored.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Messages stored (written to the segment), in order.
    pub stored: usize,
    /// The last stored message was a close message.
    pub closed: bool,
    /// Why the batch stopped early, if it did.
    pub error: Option<BrokerError>,
}

/// Encoded records not written yet.
#[derive(Debug, Default)]
struct Chunk {
    buf: Vec<u8>,
    recs: Vec<(i64, u64)>,
    last_ts: i64,
    close: bool,
}

/// The log timestamp of a message: its `event_time_ns` when set, else the broker clock;
/// strictly above `last` (a timestamp not above it becomes `last + 1`). Negative
/// timestamps and a log with no timestamp left after `last` are refused (never wrapped).
pub(super) fn next_ts(event_time_ns: i64, last: i64) -> Result<i64, BrokerError> {
    if event_time_ns < 0 {
        return Err(BrokerError::InvalidArgument(format!(
            "event_time_ns {event_time_ns} is negative: it is nanoseconds since 1970-01-01 \
             (0: the broker's clock)"
        )));
    }
    let ts = if event_time_ns != 0 {
        event_time_ns
    } else {
        crate::time::now_ns()
    };
    if ts > last {
        return Ok(ts);
    }
    last.checked_add(1).ok_or_else(|| {
        BrokerError::InvalidArgument(format!(
            "no timestamp is left after the partition's last one ({last}, the largest \
             possible): timestamps must increase"
        ))
    })
}

impl Writer {
    /// A writer continuing a log whose last timestamp is `last_ts`.
    pub(super) fn new(last_ts: i64) -> Self {
        Writer {
            file: None,
            last_ts,
            written: 0,
            torn: false,
        }
    }
}

impl Partition {
    fn writer_lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `msgs` in order (blocking). Stops at the first refused message or failed
    /// write; what was stored before it stays stored.
    pub(super) fn write_batch(&self, msgs: Vec<Message>) -> Batch {
        let mut w = self.writer_lock();
        let mut batch = Batch::default();
        let mut chunk = Chunk {
            last_ts: w.last_ts,
            ..Chunk::default()
        };
        let result = self.prepare(&mut w).and_then(|()| {
            for msg in msgs {
                self.add(&mut w, &mut chunk, &mut batch, msg)?;
            }
            self.commit(&mut w, &mut chunk, &mut batch)
        });
        if let Err(e) = result {
            // A refused message ends the batch; what was encoded before it is stored.
            let refused = matches!(e, BrokerError::InvalidArgument(_) | BrokerError::Closed(_));
            if refused && let Err(write_error) = self.commit(&mut w, &mut chunk, &mut batch) {
                batch.error = Some(write_error);
                return batch;
            }
            // A storage error under a delete (the directory moved away) is the delete.
            batch.error = Some(match e {
                BrokerError::Io(_) if self.lock().deleted => gone(),
                e => e,
            });
        }
        batch
    }

    /// Refuses writes to a deleted or closed partition; opens the active file; cuts a torn
    /// tail left by a failed rollback.
    fn prepare(&self, w: &mut Writer) -> Result<(), BrokerError> {
        {
            let st = self.lock();
            if st.deleted {
                w.file = None;
                return Err(gone());
            }
            if st.closed {
                return Err(self.closed_error());
            }
        }
        if w.file.is_none() {
            // Opened under the metadata lock, which a delete takes to mark the partition
            // before it moves the directory: a deleted partition never opens a file of
            // the topic's next incarnation.
            let st = self.lock();
            if st.deleted {
                return Err(gone());
            }
            match st.segments.last() {
                Some(seg) => w.file = Some(faults::open_append(&seg.path)?),
                None => {
                    drop(st);
                    self.create_segment(w)?;
                }
            }
        }
        if w.torn {
            let (path, good) = self.active();
            let file = w.file.as_ref().expect("opened above");
            faults::set_len(file, &path, good)?;
            w.torn = false;
        }
        Ok(())
    }

    fn closed_error(&self) -> BrokerError {
        BrokerError::Closed(format!(
            "channel is already closed (partition {})",
            self.number
        ))
    }

    /// The active segment's path and size.
    fn active(&self) -> (std::path::PathBuf, u64) {
        let st = self.lock();
        let seg = st
            .segments
            .last()
            .expect("a writer with a file has a segment");
        (seg.path.clone(), seg.size)
    }

    /// Encodes one message into the chunk, writing the chunk first when the segment must
    /// roll, and after it when the chunk is large.
    fn add(
        &self,
        w: &mut Writer,
        chunk: &mut Chunk,
        batch: &mut Batch,
        mut msg: Message,
    ) -> Result<(), BrokerError> {
        if chunk.close {
            return Err(self.closed_error());
        }
        let size = msg.encoded_len();
        let limit = self.limits.max_message;
        if size > limit {
            return Err(BrokerError::InvalidArgument(format!(
                "message of {size} bytes is above the limit of {limit} bytes (--max-message-bytes)"
            )));
        }
        let ts = next_ts(msg.event_time_ns, chunk.last_ts)?;
        if msg.event_time_ns == 0 {
            // Improvement over 2.x: subscribers always see when a message was written.
            msg.event_time_ns = ts;
        }
        let (seg_size, seg_count, end_ord) = {
            let st = self.lock();
            let seg = st.segments.last().expect("prepared");
            (seg.size, seg.count, seg.end_ord())
        };
        if seg_size + chunk.buf.len() as u64 >= self.limits.segment_bytes
            && seg_count as usize + chunk.recs.len() > 0
        {
            self.commit(w, chunk, batch)?;
            self.roll(w)?;
            return self.add(w, chunk, batch, msg);
        }
        let ord = end_ord + chunk.recs.len() as u64;
        let before = chunk.buf.len();
        let len = record::encode(&mut chunk.buf, ts, ord, &msg);
        if len > (limit + RECORD_FRAMING) as u64 {
            chunk.buf.truncate(before);
            return Err(BrokerError::InvalidArgument(format!(
                "message of {size} bytes with a key of {} bytes is stored as a record of \
                 {len} bytes, above the limit of {limit} bytes (--max-message-bytes; the \
                 SeaweedFS log record keeps a second copy of the key)",
                msg.key.len()
            )));
        }
        chunk.recs.push((ts, len));
        chunk.last_ts = ts;
        chunk.close = msg.is_close;
        if chunk.buf.len() >= CHUNK_BYTES {
            self.commit(w, chunk, batch)?;
        }
        Ok(())
    }

    /// Writes the chunk with one write; on failure cuts the file back and forgets the chunk.
    fn commit(
        &self,
        w: &mut Writer,
        chunk: &mut Chunk,
        batch: &mut Batch,
    ) -> Result<(), BrokerError> {
        if chunk.recs.is_empty() {
            return Ok(());
        }
        let (path, good) = self.active();
        let file = w.file.as_mut().expect("prepared");
        if let Err(e) = faults::write_all(file, &path, &chunk.buf) {
            *chunk = Chunk {
                last_ts: w.last_ts,
                ..Chunk::default()
            };
            if let Err(cut) = faults::set_len(file, &path, good) {
                tracing::warn!(
                    "{}: cannot cut a failed write back to {good} bytes ({cut}); retried \
                     before the next write",
                    path.display()
                );
                w.torn = true;
            }
            return Err(BrokerError::Io(e));
        }
        let n = chunk.recs.len();
        let mut st = self.lock();
        if st.deleted {
            // The directory was moved away under the write: nothing of it is stored.
            return Err(gone());
        }
        let seg = st.segments.last_mut().expect("prepared");
        for (ts, len) in chunk.recs.drain(..) {
            seg.note_append(ts, len);
        }
        let end = seg.end_ord();
        st.closed |= chunk.close;
        drop(st);
        w.written += chunk.buf.len() as u64;
        w.last_ts = chunk.last_ts;
        self.written
            .store(w.written, std::sync::atomic::Ordering::Release);
        chunk.buf.clear();
        batch.stored += n;
        batch.closed = chunk.close;
        self.watch.send_replace(end);
        Ok(())
    }

    /// Seals the active segment (fsync; its index saved) and starts the next one.
    fn roll(&self, w: &mut Writer) -> Result<(), BrokerError> {
        let seg = self.lock().segments.last().cloned().expect("prepared");
        if let Some(f) = &w.file {
            faults::sync_data(f, &seg.path)?;
        }
        if let Err(e) = seg.save_index() {
            // Only a cost: a missing index is rebuilt by scanning the segment.
            tracing::warn!("{}: cannot save the index: {e}", seg.path.display());
        }
        self.create_segment(w)
    }

    /// Creates the segment that starts at the current end (durably: the file and its
    /// directories fsynced) and makes it the active one.
    fn create_segment(&self, w: &mut Writer) -> Result<(), BrokerError> {
        // Created under the metadata lock (see `prepare`); fsynced after it.
        let (seg, file) = {
            let st = self.lock();
            if st.deleted {
                return Err(gone());
            }
            let base = st.segments.last().map_or(0, Segment::end_ord);
            std::fs::create_dir_all(&self.dir)?;
            let seg = Segment::empty(&self.dir, base);
            let file = faults::open_append(&seg.path)?;
            if file.metadata()?.len() != 0 {
                // Never overwrite: an earlier attempt only ever leaves an empty file here.
                return Err(BrokerError::Io(io::Error::other(format!(
                    "{} already exists and is not empty; not writing over it",
                    seg.path.display()
                ))));
            }
            (seg, file)
        };
        fsync_dir(&self.dir)?;
        for d in self.dir.ancestors().skip(1).take(3) {
            fsync_dir(d)?;
        }
        let mut st = self.lock();
        if st.deleted {
            return Err(gone());
        }
        st.segments.push(seg);
        w.file = Some(file);
        Ok(())
    }
}

fn gone() -> BrokerError {
    BrokerError::Gone("the topic was deleted".into())
}
