//! One partition: an append-only sequence of segment files with strictly increasing
//! timestamps, group-committed fsyncs, and a watch channel that wakes live readers.
//!
//! Two locks, never held by an async task across file I/O: `state` holds the metadata
//! readers need (segments, closed, deleted) and is only held briefly; `writer` owns the
//! active segment's file and is only taken on the blocking pool (see `writer.rs`), so a slow
//! disk stalls the publishers of its own partition and nothing else. A batch of messages is
//! written with one `write` (readers see it when it returns); a failed write is rolled back
//! (file length and metadata), so a segment never keeps torn bytes after an error. Streams
//! make their data durable with [`Partition::sync`] (concurrent syncs share one `fsync`).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::BrokerError;
use super::faults;
use super::names;
use super::recovery;
use super::segment::Segment;
use super::writer::{Batch, Writer};
use crate::proto::v2::Message;

/// Storage limits shared by every partition.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Roll a segment once it reaches this size.
    pub segment_bytes: u64,
    /// Largest message accepted for publishing (serialized `Message`); its stored record
    /// (message, key copy and framing) may be at most this plus
    /// [`super::record::RECORD_FRAMING`]. Existing records are read whatever their size.
    pub max_message: usize,
}

/// A partition of a topic.
#[derive(Debug)]
pub(super) struct Partition {
    /// The topic's directory.
    pub topic_dir: PathBuf,
    /// This partition's directory (`p<NN>`).
    pub dir: PathBuf,
    /// Its number.
    pub number: u32,
    pub(super) limits: Limits,
    pub(super) state: Mutex<State>,
    /// The active file; locked on the blocking pool only.
    pub(super) writer: Mutex<Writer>,
    /// Logical bytes written to segment files since open (mirrors the writer's count).
    pub(super) written: AtomicU64,
    /// Logical bytes known to be fsynced (group commit: held while syncing).
    synced: tokio::sync::Mutex<u64>,
    /// Carries the ordinal one past the last written record; bumped on close and delete.
    pub(super) watch: watch::Sender<u64>,
}

/// What readers see of a partition.
#[derive(Debug)]
pub(super) struct State {
    pub(super) segments: Vec<Segment>,
    /// A close record is stored: later appends are refused.
    pub(super) closed: bool,
    /// The topic was deleted: everything fails.
    pub(super) deleted: bool,
}

impl State {
    /// Closed (nothing more will ever be readable).
    pub(super) fn settled_closed(&self) -> bool {
        self.closed
    }
}

/// fsyncs a directory (makes a creation or rename in it durable).
pub(super) fn fsync_dir(dir: &Path) -> io::Result<()> {
    faults::sync_dir(dir)
}

/// Runs blocking file work on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BrokerError> + Send + 'static,
) -> Result<T, BrokerError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BrokerError::Io(io::Error::other(e.to_string())))?
}

impl Partition {
    /// Opens (recovering) or prepares a partition in `topic_dir` (blocking: call it on
    /// the blocking pool). Nothing is created on disk until the first append.
    pub(super) fn open(topic_dir: &Path, number: u32, limits: Limits) -> io::Result<Partition> {
        let dir = names::partition_dir(topic_dir, number);
        let mut segments = Vec::new();
        if dir.is_dir() {
            segments = recovery::recover_segments(&dir)?;
        }
        let marker = names::close_marker(topic_dir, number);
        let mut closed = marker.exists();
        if !closed && recovery::last_is_close(&segments)? {
            // Crashed between storing the close and writing the marker.
            let hex = recovery::values_md5(&segments)?;
            recovery::write_marker_file(topic_dir, number, &hex)?;
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
                closed,
                deleted: false,
            }),
            writer: Mutex::new(Writer::new(last_ts)),
            written: AtomicU64::new(0),
            synced: tokio::sync::Mutex::new(0),
            watch: watch::channel(end).0,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a batch of messages on the blocking pool: written to the active segment
    /// (visible to readers) when this returns; call [`Partition::sync`] to make it durable.
    /// A message that is refused ends the batch; the ones before it are stored.
    pub(super) async fn append_batch(self: &Arc<Self>, msgs: Vec<Message>) -> Batch {
        let me = Arc::clone(self);
        match tokio::task::spawn_blocking(move || me.write_batch(msgs)).await {
            Ok(b) => b,
            Err(e) => Batch {
                error: Some(BrokerError::Io(io::Error::other(e.to_string()))),
                ..Batch::default()
            },
        }
    }

    /// Appends one message (blocking; tests and tools).
    #[cfg(test)]
    pub(super) fn append(&self, msg: Message) -> Result<Batch, BrokerError> {
        let mut b = self.write_batch(vec![msg]);
        match b.error.take() {
            Some(e) => Err(e),
            None => Ok(b),
        }
    }

    /// Whether a close message was stored (publishes are refused).
    pub(super) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Whether the topic was deleted under this partition.
    pub(super) fn is_deleted(&self) -> bool {
        self.lock().deleted
    }

    /// fsyncs everything written so far; concurrent callers share one fsync.
    pub(super) async fn sync(self: &Arc<Self>) -> Result<(), BrokerError> {
        let target = self.written.load(Ordering::Acquire);
        let mut synced = self.synced.lock().await;
        if *synced >= target {
            return Ok(());
        }
        let me = Arc::clone(self);
        *synced = blocking(move || Ok(me.sync_blocking()?)).await?;
        Ok(())
    }

    /// fsyncs the active file; returns the logical bytes now durable.
    fn sync_blocking(&self) -> io::Result<u64> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let written = w.written;
        let file = w.file.as_ref().map(File::try_clone).transpose()?;
        drop(w);
        let path = self.lock().segments.last().map(|s| s.path.clone());
        if let (Some(file), Some(path)) = (file, path) {
            faults::sync_data(&file, &path)?;
        }
        Ok(written)
    }

    /// Whether bytes were written that are not fsynced yet (and no sync is running).
    pub(super) fn needs_sync(&self) -> bool {
        let written = self.written.load(Ordering::Acquire);
        self.synced.try_lock().is_ok_and(|synced| *synced < written)
    }

    /// After a close record was appended: makes it durable and writes the close marker.
    pub(super) async fn seal(self: &Arc<Self>) -> Result<(), BrokerError> {
        self.sync().await?;
        let me = Arc::clone(self);
        blocking(move || {
            let segments = me.lock().segments.clone();
            let hex = recovery::values_md5(&segments)?;
            // Under the lock: a delete (which marks the partition first, then moves the
            // directory) cannot slip in, so the marker never lands in a recreated topic.
            let st = me.lock();
            if st.deleted {
                return Err(BrokerError::Gone("the topic was deleted".into()));
            }
            recovery::write_marker_file(&me.topic_dir, me.number, &hex)?;
            drop(st);
            Ok(())
        })
        .await?;
        self.watch.send_modify(|_| {});
        Ok(())
    }

    /// Marks the partition deleted: appends fail and readers stop (the writer drops its
    /// file at its next batch).
    pub(super) fn mark_deleted(&self) {
        self.lock().deleted = true;
        self.watch.send_modify(|_| {});
    }

    /// fsyncs and saves the index of the active segment (graceful shutdown; blocking).
    pub(super) fn shutdown(&self) -> io::Result<()> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // The writer lock keeps the segment as it is; readers' lock is not held across I/O.
        let (deleted, last) = {
            let st = self.lock();
            (st.deleted, st.segments.last().cloned())
        };
        let Some(seg) = last.filter(|_| !deleted) else {
            return Ok(());
        };
        if let Some(f) = &w.file {
            faults::sync_data(f, &seg.path)?;
        }
        seg.save_index()
    }
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
