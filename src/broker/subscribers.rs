//! Who read what: per partition, the subscribers it has served (2.x `subscriber_id`), first
//! and last seen, the last message handed to them, and whether they received the close
//! message of a channel. This is what tells an operator that a channel was *consumed*.
//!
//! - Kept in memory per partition, persisted beside it as `p<NN>.subs` (a small protobuf,
//!   `swmq.admin.v1.SubscriberFile`), bounded to the most recent [`MAX_SUBSCRIBERS`].
//! - Recorded on the subscribe path only: a message handed to a subscriber costs two relaxed
//!   atomic stores; files are written by one background task ([`Registry::flush_dirty`]),
//!   coalesced, never on the publish path.
//! - "Received the close" means more than "the broker sent it": the close message was handed
//!   to the subscriber *and* the subscriber then answered `is_close`, as the 2.x Go client
//!   (`msgclient.SubChannel`) does once it has read it. A reader that stops half way and
//!   disconnects never counts, even if the broker had already buffered the close for it.
//! - swmq's own readers (ids starting with [`INSPECTOR_PREFIX`]) are inspectors: recorded,
//!   but they never make a partition consumed.
//! - A partition closed before this data directory began recording subscribers
//!   (`topics/.subscribers-since`) and without a recorded consumer is "unknown", never
//!   "not consumed".

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use prost::Message as _;
use tokio::sync::Notify;

use super::partition::Partition;
use crate::proto::admin::{ConsumedState, SubscriberFile, SubscriberInfo};
use crate::proto::v2::Message;

/// Subscribers remembered per partition (the most recent ones).
pub(super) const MAX_SUBSCRIBERS: usize = 64;
/// Longest subscriber id kept, in bytes (longer ones are cut at a character boundary).
pub(super) const MAX_ID_BYTES: usize = 200;
/// Subscriber ids of swmq's own readers (they browse; they never consume).
pub(super) const INSPECTOR_PREFIX: &str = "swmq-";
/// After handing out a close message, the stream stays open this long for the subscriber's
/// `is_close` answer (a 2.x Go client cannot send it once the stream has ended).
pub(super) const ECHO_WAIT: Duration = Duration::from_secs(2);
/// Records are written at least this often while they change.
pub(super) const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The file under `<data>/topics` holding when recording began (ns since the epoch; a
/// file there is never taken for a namespace, which are directories).
pub(super) const SINCE_FILE: &str = ".subscribers-since";
const FILE_VERSION: u32 = 1;
/// A records file larger than this is not read (64 records take a few KiB).
const MAX_FILE_BYTES: u64 = 1 << 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The records of every partition seen since startup.
#[derive(Debug)]
pub(super) struct Registry {
    since_ns: i64,
    parts: Mutex<HashMap<(PathBuf, u32), Arc<PartSubs>>>,
    /// Wakes the writer early (a new subscriber, a close received, a session ended).
    pub wake: Notify,
}

/// The records of one partition (one incarnation of it: a deleted and re-created topic
/// starts afresh).
#[derive(Debug)]
pub(super) struct PartSubs {
    part: Weak<Partition>,
    path: PathBuf,
    entries: Mutex<Vec<Entry>>,
    dirty: AtomicBool,
}

#[derive(Debug)]
struct Entry {
    /// What is known from ended sessions (`connected` unused).
    info: SubscriberInfo,
    live: Vec<Arc<Live>>,
}

/// One open subscription's counters, updated without a lock.
#[derive(Debug, Default)]
struct Live {
    last_ts: AtomicI64,
    delivered: AtomicU64,
    close_handed: AtomicBool,
    /// When the subscriber answered `is_close` after being handed the close (0: not yet).
    close_received_at: AtomicI64,
}

/// One subscription being served; recorded into its partition's records when dropped.
#[derive(Debug)]
pub(super) struct Session {
    registry: Arc<Registry>,
    subs: Arc<PartSubs>,
    id: String,
    live: Arc<Live>,
    ended: Notify,
}

/// `id` cut to [`MAX_ID_BYTES`] at a character boundary.
pub(super) fn clip_id(id: &str) -> String {
    let mut end = id.len().min(MAX_ID_BYTES);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    id[..end].to_string()
}

/// Whether `id` names one of swmq's own (inspecting) readers.
pub(super) fn is_inspector(id: &str) -> bool {
    id.starts_with(INSPECTOR_PREFIX)
}

/// The records file of partition `number` of the topic in `topic_dir`.
pub(super) fn records_path(topic_dir: &Path, number: u32) -> PathBuf {
    topic_dir.join(format!("p{number:02}.subs"))
}

impl Registry {
    /// Opens the registry of a data directory (recording "since" now on first use).
    pub(super) fn open(data_dir: &Path) -> io::Result<Registry> {
        let root = super::names::topics_root(data_dir);
        fs::create_dir_all(&root)?;
        let path = root.join(SINCE_FILE);
        let since_ns = match fs::read_to_string(&path) {
            Ok(s) => s.trim().parse().unwrap_or_else(|_| {
                tracing::warn!(path = %path.display(), "unreadable; recording since now");
                crate::time::now_ns()
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let now = crate::time::now_ns();
                write_atomically(&path, format!("{now}\n").as_bytes())?;
                now
            }
            Err(e) => return Err(e),
        };
        Ok(Registry {
            since_ns,
            parts: Mutex::new(HashMap::new()),
            wake: Notify::new(),
        })
    }

    /// When this data directory began recording subscribers.
    pub(super) fn since_ns(&self) -> i64 {
        self.since_ns
    }

    /// The records of `part`, when already loaded.
    fn cached(&self, part: &Arc<Partition>) -> Option<Arc<PartSubs>> {
        let parts = lock(&self.parts);
        parts
            .get(&(part.topic_dir.clone(), part.number))
            .filter(|s| std::ptr::eq(s.part.as_ptr(), Arc::as_ptr(part)))
            .cloned()
    }

    /// The records of `part`, loaded from its file on first use (blocking I/O).
    pub(super) fn records(&self, part: &Arc<Partition>) -> Arc<PartSubs> {
        if let Some(s) = self.cached(part) {
            return s;
        }
        let path = records_path(&part.topic_dir, part.number);
        let loaded = Arc::new(PartSubs {
            part: Arc::downgrade(part),
            entries: Mutex::new(load(&path)),
            path,
            dirty: AtomicBool::new(false),
        });
        let mut parts = lock(&self.parts);
        let slot = parts
            .entry((part.topic_dir.clone(), part.number))
            .or_insert_with(|| Arc::clone(&loaded));
        if !std::ptr::eq(slot.part.as_ptr(), Arc::as_ptr(part)) {
            *slot = Arc::clone(&loaded);
        }
        Arc::clone(slot)
    }

    /// The records of `part`, loading them off the async threads when needed.
    pub(super) async fn records_async(self: &Arc<Self>, part: &Arc<Partition>) -> Arc<PartSubs> {
        if let Some(s) = self.cached(part) {
            return s;
        }
        let (me, p) = (Arc::clone(self), Arc::clone(part));
        match tokio::task::spawn_blocking(move || me.records(&p)).await {
            Ok(s) => s,
            Err(_) => self.records(part),
        }
    }

    /// Starts recording a subscription of `part` by `subscriber_id`.
    pub(super) async fn session(
        self: &Arc<Self>,
        part: &Arc<Partition>,
        subscriber_id: &str,
    ) -> Session {
        let subs = self.records_async(part).await;
        let id = clip_id(subscriber_id);
        let live = Arc::new(Live::default());
        let now = crate::time::now_ns();
        {
            let mut entries = lock(&subs.entries);
            match entries.iter_mut().find(|e| e.info.subscriber_id == id) {
                Some(e) => e.live.push(Arc::clone(&live)),
                None => entries.push(Entry {
                    info: SubscriberInfo {
                        subscriber_id: id.clone(),
                        first_seen_ns: now,
                        last_seen_ns: now,
                        inspector: is_inspector(&id),
                        ..Default::default()
                    },
                    live: vec![Arc::clone(&live)],
                }),
            }
            trim(&mut entries);
        }
        subs.dirty.store(true, Ordering::Release);
        self.wake.notify_one();
        Session {
            registry: Arc::clone(self),
            subs,
            id,
            live,
            ended: Notify::new(),
        }
    }

    /// Writes the records that changed since their last write; forgets those of deleted
    /// partitions. Blocking I/O: run it off the async threads.
    pub(super) fn flush_dirty(&self) {
        let all: Vec<Arc<PartSubs>> = lock(&self.parts).values().cloned().collect();
        for subs in all {
            let Some(part) = subs.part.upgrade().filter(|p| !p.is_deleted()) else {
                lock(&self.parts).retain(|_, s| !Arc::ptr_eq(s, &subs));
                continue;
            };
            if !subs.dirty.swap(false, Ordering::AcqRel) {
                continue;
            }
            match subs.write(&part) {
                Ok(true) => {}
                Ok(false) => subs.dirty.store(true, Ordering::Release),
                Err(e) => {
                    tracing::warn!(path = %subs.path.display(), "writing subscriber records: {e}");
                    subs.dirty.store(true, Ordering::Release);
                }
            }
        }
    }
}

impl PartSubs {
    /// The subscribers, live sessions included, most recently seen first.
    pub(super) fn snapshot(&self) -> Vec<SubscriberInfo> {
        let now = crate::time::now_ns();
        let entries = lock(&self.entries);
        let mut out: Vec<SubscriberInfo> = entries.iter().map(|e| e.merged(now)).collect();
        out.sort_by_key(|s| std::cmp::Reverse(s.last_seen_ns));
        out
    }

    /// Writes the records file; `Ok(false)` when the topic's directory does not exist
    /// (yet): nothing is ever created for records alone.
    fn write(&self, part: &Partition) -> io::Result<bool> {
        if !self.path.parent().is_some_and(Path::is_dir) {
            return Ok(false);
        }
        let mut subscribers = self.snapshot();
        for s in &mut subscribers {
            s.connected = 0;
        }
        let bytes = SubscriberFile {
            version: FILE_VERSION,
            subscribers,
        }
        .encode_to_vec();
        let tmp = self.path.with_extension("subs.tmp");
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        // Under the partition's lock, as the close marker: a delete (which marks the
        // partition first, then moves the directory) cannot slip in between.
        let st = part.lock();
        if st.deleted {
            drop(st);
            let _ = fs::remove_file(&tmp);
            return Ok(true);
        }
        fs::rename(&tmp, &self.path)?;
        drop(st);
        Ok(true)
    }
}

impl Entry {
    fn merged(&self, now: i64) -> SubscriberInfo {
        let mut info = self.info.clone();
        info.connected = self.live.len() as u32;
        if !self.live.is_empty() {
            info.last_seen_ns = now;
        }
        for l in &self.live {
            fold(&mut info, l);
        }
        info
    }
}

/// Adds a session's counters to a subscriber's record.
fn fold(info: &mut SubscriberInfo, l: &Live) {
    let delivered = l.delivered.load(Ordering::Relaxed);
    if delivered > 0 {
        info.delivered += delivered;
        info.last_delivered_ts_ns = l.last_ts.load(Ordering::Relaxed);
    }
    let at = l.close_received_at.load(Ordering::Acquire);
    if at != 0 {
        info.received_close = true;
        info.close_received_at_ns = info.close_received_at_ns.max(at);
    }
}

/// Keeps at most [`MAX_SUBSCRIBERS`]: the first to go are ended sessions of inspectors, then
/// of subscribers that never received the close, oldest first (so a partition's consumers
/// are the last thing forgotten and "consumed" never flips back).
fn trim(entries: &mut Vec<Entry>) {
    while entries.len() > MAX_SUBSCRIBERS {
        let victim = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.live.is_empty())
            .min_by_key(|(_, e)| {
                (
                    !e.info.inspector,
                    e.info.received_close,
                    e.info.last_seen_ns,
                )
            })
            .map(|(i, _)| i);
        match victim {
            Some(i) => {
                entries.swap_remove(i);
            }
            // Every one has an open session: the bound holds again as they end.
            None => break,
        }
    }
}

/// Reads a records file; a missing, oversized or undecodable one gives no records (a
/// damaged file is reported and replaced on the next write, never fatal).
fn load(path: &Path) -> Vec<Entry> {
    let bytes = match fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            tracing::warn!(path = %path.display(), "subscriber records too large; ignored");
            return Vec::new();
        }
        Ok(_) => match fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(path = %path.display(), "reading subscriber records: {e}");
                return Vec::new();
            }
        },
        Err(_) => return Vec::new(),
    };
    match SubscriberFile::decode(bytes.as_slice()) {
        Ok(f) => {
            let mut entries: Vec<Entry> = f
                .subscribers
                .into_iter()
                .map(|mut info| {
                    info.subscriber_id = clip_id(&info.subscriber_id);
                    info.inspector = is_inspector(&info.subscriber_id);
                    info.connected = 0;
                    Entry {
                        info,
                        live: Vec::new(),
                    }
                })
                .collect();
            trim(&mut entries);
            entries
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "damaged subscriber records ({e}); starting afresh");
            Vec::new()
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        super::partition::fsync_dir(dir)?;
    }
    Ok(())
}

impl Session {
    /// A message was handed to the subscriber's stream.
    pub(super) fn delivered(&self, m: &Message) {
        self.live.last_ts.store(m.event_time_ns, Ordering::Relaxed);
        self.live.delivered.fetch_add(1, Ordering::Relaxed);
        if m.is_close {
            self.live.close_handed.store(true, Ordering::Release);
        }
        self.subs.dirty.store(true, Ordering::Relaxed);
    }

    /// The subscriber sent `is_close`: after the close message, that is its receipt.
    pub(super) fn client_closed(&self) {
        if self.live.close_handed.load(Ordering::Acquire) {
            self.live
                .close_received_at
                .store(crate::time::now_ns(), Ordering::Release);
            self.subs.dirty.store(true, Ordering::Release);
            self.registry.wake.notify_one();
        }
        self.ended.notify_one();
    }

    /// The subscriber's request side ended (half-close, error): nothing more will come.
    pub(super) fn client_gone(&self) {
        self.ended.notify_one();
    }

    /// Once the stream has delivered everything: when it handed out a close message, waits
    /// (at most [`ECHO_WAIT`]) for the subscriber's `is_close` receipt or its departure.
    pub(super) async fn linger(&self, stopping: &tokio_util::sync::CancellationToken) {
        if !self.live.close_handed.load(Ordering::Acquire) {
            return;
        }
        tokio::select! {
            _ = self.ended.notified() => {}
            _ = tokio::time::sleep(ECHO_WAIT) => {}
            _ = stopping.cancelled() => {}
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let now = crate::time::now_ns();
        let mut entries = lock(&self.subs.entries);
        if let Some(e) = entries.iter_mut().find(|e| e.info.subscriber_id == self.id) {
            e.live.retain(|l| !Arc::ptr_eq(l, &self.live));
            fold(&mut e.info, &self.live);
            e.info.last_seen_ns = now;
        }
        trim(&mut entries);
        drop(entries);
        self.subs.dirty.store(true, Ordering::Release);
        self.registry.wake.notify_one();
    }
}

/// Whether a partition was read through its close message.
pub(super) fn consumed_state(
    closed: bool,
    last_ts: i64,
    subs: &[SubscriberInfo],
    since: i64,
) -> i32 {
    let state = if !closed {
        ConsumedState::NotConsumed
    } else if subs.iter().any(|s| s.received_close && !s.inspector) {
        ConsumedState::Consumed
    } else if last_ts < since {
        // Closed before anything was recorded here: nobody can tell.
        ConsumedState::ConsumedUnknown
    } else {
        ConsumedState::NotConsumed
    };
    state as i32
}

#[cfg(test)]
#[path = "subscribers_tests.rs"]
mod tests;
