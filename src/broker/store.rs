//! The topic registry: every topic and partition under `<data>/topics`, opened (and
//! recovered) at startup, created on first use, deleted recursively.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use prost::Message as _;

use super::BrokerError;
use super::faults;
use super::names;
use super::partition::{Limits, Partition, fsync_dir};
use super::reader::Stats;
use crate::proto::v2::TopicConfiguration;

/// The most partitions a topic may be configured with.
pub(super) const MAX_PARTITIONS: i32 = 4096;

const CONFIG_FILE: &str = "topic.conf";
/// Where deleted topics are moved before they are removed.
const TRASH: &str = ".trash";
/// The file that marks a directory as an swmq broker's data directory.
pub(super) const DATA_DIR_MARK: &str = "swmq-broker-data";
/// What a data directory made before the mark existed may hold (anything else: the
/// directory belongs to another program, and the broker will not delete or write in it).
const OWN_ENTRIES: [&str; 3] = [DATA_DIR_MARK, "topics", TRASH];

/// All topics of a broker.
#[derive(Debug)]
pub(super) struct Store {
    data_dir: PathBuf,
    limits: Limits,
    topics: Mutex<HashMap<(String, String), Arc<Topic>>>,
    trash_seq: AtomicU64,
}

/// One topic and its partitions.
#[derive(Debug)]
pub(super) struct Topic {
    /// Namespace.
    pub namespace: String,
    /// Topic name.
    pub name: String,
    /// `<data>/topics/<ns>/<topic>`.
    pub dir: PathBuf,
    partitions: Mutex<BTreeMap<u32, Arc<Partition>>>,
    config: Mutex<Option<TopicConfiguration>>,
    /// Held while the configuration file is written (on the blocking pool; `config` itself
    /// is only held briefly).
    config_write: Mutex<()>,
    /// Deleted: no partition or configuration may be added to it any more (a caller that
    /// looked it up before the delete goes to the topic's next incarnation instead).
    deleted: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn dir_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    match fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd {
                let e = e?;
                if e.file_type()?.is_dir() {
                    out.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    out.sort();
    Ok(out)
}

impl Store {
    /// Opens the data directory, recovering every partition found in it.
    pub(super) fn open(data_dir: &Path, limits: Limits) -> Result<Store, BrokerError> {
        claim_data_dir(data_dir)?;
        let root = names::topics_root(data_dir);
        fs::create_dir_all(&root)?;
        empty_trash(data_dir);
        let mut topics = HashMap::new();
        for ns in dir_names(&root)? {
            if names::validate_name("namespace", &ns).is_err() {
                continue;
            }
            for name in dir_names(&root.join(&ns))? {
                if names::validate_name("topic", &name).is_err() {
                    continue;
                }
                let topic = Topic::new(data_dir, &ns, &name);
                *lock(&topic.config) = read_config(&topic.dir)?;
                let mut parts = lock(&topic.partitions);
                for p in dir_names(&topic.dir)? {
                    if let Some(n) = names::parse_partition_dir(&p) {
                        parts.insert(n, Arc::new(Partition::open(&topic.dir, n, limits)?));
                    }
                }
                drop(parts);
                topics.insert((ns.clone(), name), Arc::new(topic));
            }
        }
        Ok(Store {
            data_dir: data_dir.to_path_buf(),
            limits,
            topics: Mutex::new(topics),
            trash_seq: AtomicU64::new(0),
        })
    }

    /// The storage limits.
    #[cfg(test)]
    pub(super) fn limits(&self) -> Limits {
        self.limits
    }

    /// The data directory.
    pub(super) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn topic_entry(&self, namespace: &str, topic: &str) -> Result<Arc<Topic>, BrokerError> {
        names::validate_topic(namespace, topic)?;
        let mut topics = lock(&self.topics);
        Ok(Arc::clone(
            topics
                .entry((namespace.to_string(), topic.to_string()))
                .or_insert_with(|| Arc::new(Topic::new(&self.data_dir, namespace, topic))),
        ))
    }

    /// The partition `namespace/topic/partition`, created (in memory) when new; opening
    /// (recovering) one happens on the blocking pool.
    pub(super) async fn partition(
        self: &Arc<Self>,
        namespace: &str,
        topic: &str,
        partition: i32,
    ) -> Result<Arc<Partition>, BrokerError> {
        let n = names::validate_partition(partition)?;
        names::validate_topic(namespace, topic)?;
        if let Some(p) = self.open_partition(namespace, topic, n) {
            return Ok(p);
        }
        let me = Arc::clone(self);
        let (ns, name) = (namespace.to_string(), topic.to_string());
        super::partition::blocking(move || {
            loop {
                let t = me.topic_entry(&ns, &name)?;
                if let Some(p) = me.partition_of(&t, n)? {
                    return Ok(p);
                }
            }
        })
        .await
    }

    /// The partition if it is already open (no file system access).
    fn open_partition(&self, namespace: &str, topic: &str, n: u32) -> Option<Arc<Partition>> {
        let topics = lock(&self.topics);
        let t = topics.get(&(namespace.to_string(), topic.to_string()))?;
        let parts = lock(&t.partitions);
        if t.deleted.load(Ordering::Acquire) {
            return None;
        }
        parts.get(&n).cloned()
    }

    /// Partition `n` of `t`, opened when new; `None` when `t` was deleted meanwhile.
    fn partition_of(&self, t: &Topic, n: u32) -> Result<Option<Arc<Partition>>, BrokerError> {
        let mut parts = lock(&t.partitions);
        if t.deleted.load(Ordering::Acquire) {
            return Ok(None);
        }
        if let Some(p) = parts.get(&n) {
            return Ok(Some(Arc::clone(p)));
        }
        let p = Arc::new(Partition::open(&t.dir, n, self.limits)?);
        parts.insert(n, Arc::clone(&p));
        Ok(Some(p))
    }

    /// An existing topic (one with data, a close marker or a stored configuration).
    pub(super) fn topic(
        &self,
        namespace: &str,
        topic: &str,
    ) -> Result<Option<Arc<Topic>>, BrokerError> {
        names::validate_topic(namespace, topic)?;
        let topics = lock(&self.topics);
        Ok(topics
            .get(&(namespace.to_string(), topic.to_string()))
            .filter(|t| t.exists())
            .cloned())
    }

    /// Every existing topic, optionally of one namespace, sorted by name.
    pub(super) fn list(&self, namespace: Option<&str>) -> Result<Vec<Arc<Topic>>, BrokerError> {
        if let Some(ns) = namespace {
            names::validate_name("namespace", ns)?;
        }
        let topics = lock(&self.topics);
        let mut out: Vec<Arc<Topic>> = topics
            .values()
            .filter(|t| namespace.is_none_or(|ns| t.namespace == ns) && t.exists())
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(out)
    }

    /// Deletes a topic and all its data; succeeds when it does not exist. Runs on the
    /// blocking pool; the registry lock is held only for the rename (a metadata operation),
    /// the fsync and the removal happen after it.
    pub(super) async fn delete_topic(
        self: &Arc<Self>,
        namespace: &str,
        topic: &str,
    ) -> Result<(), BrokerError> {
        names::validate_topic(namespace, topic)?;
        let me = Arc::clone(self);
        let (ns, name) = (namespace.to_string(), topic.to_string());
        super::partition::blocking(move || me.delete_blocking(&ns, &name)).await
    }

    fn delete_blocking(&self, namespace: &str, topic: &str) -> Result<(), BrokerError> {
        let key = (namespace.to_string(), topic.to_string());
        let dir = names::topic_dir(&self.data_dir, namespace, topic);
        let trash = self.data_dir.join(TRASH);
        let doomed = trash.join(format!(
            "{}-{}",
            std::process::id(),
            self.trash_seq.fetch_add(1, Ordering::Relaxed)
        ));
        // A configure in progress finishes before the directory moves; later ones see the
        // deleted flag and go to the topic's next incarnation.
        let current = lock(&self.topics).get(&key).cloned();
        let _writing = current.as_ref().map(|t| lock(&t.config_write));
        let moved = {
            let mut topics = lock(&self.topics);
            if let Some(t) = topics.remove(&key) {
                let parts = lock(&t.partitions);
                t.deleted.store(true, Ordering::Release);
                for p in parts.values() {
                    p.mark_deleted();
                }
            }
            if dir.exists() {
                fs::create_dir_all(&trash)?;
                fs::rename(&dir, &doomed)?;
                true
            } else {
                false
            }
        };
        if moved {
            if let Some(parent) = dir.parent() {
                fsync_dir(parent)?;
            }
            fs::remove_dir_all(doomed)?;
        }
        Ok(())
    }

    /// Stores a topic's configuration (2.x declared `ConfigureTopic`; swmq implements it),
    /// durably, on the blocking pool.
    pub(super) async fn configure(
        self: &Arc<Self>,
        namespace: &str,
        topic: &str,
        config: TopicConfiguration,
    ) -> Result<(), BrokerError> {
        names::validate_topic(namespace, topic)?;
        if !(1..=MAX_PARTITIONS).contains(&config.partition_count) {
            return Err(BrokerError::InvalidArgument(format!(
                "invalid partition_count {}: it must be between 1 and {MAX_PARTITIONS}",
                config.partition_count
            )));
        }
        if crate::proto::v2::topic_configuration::Partitioning::try_from(config.partitoning)
            .is_err()
        {
            return Err(BrokerError::InvalidArgument(format!(
                "unknown partitioning {}",
                config.partitoning
            )));
        }
        let me = Arc::clone(self);
        let (ns, name) = (namespace.to_string(), topic.to_string());
        super::partition::blocking(move || me.configure_blocking(&ns, &name, config)).await
    }

    fn configure_blocking(
        &self,
        namespace: &str,
        topic: &str,
        config: TopicConfiguration,
    ) -> Result<(), BrokerError> {
        loop {
            let t = self.topic_entry(namespace, topic)?;
            let _writing = lock(&t.config_write);
            if t.deleted.load(Ordering::Acquire) {
                continue; // deleted since the lookup: configure its next incarnation
            }
            fs::create_dir_all(&t.dir)?;
            let path = t.dir.join(CONFIG_FILE);
            let tmp = path.with_extension("conf.tmp");
            let mut f = faults::create(&tmp)?;
            faults::write_all(&mut f, &tmp, &config.encode_to_vec())?;
            faults::sync_data(&f, &tmp)?;
            fs::rename(&tmp, &path)?;
            fsync_dir(&t.dir)?;
            if let Some(ns_dir) = t.dir.parent() {
                fsync_dir(ns_dir)?;
            }
            *lock(&t.config) = Some(config);
            return Ok(());
        }
    }

    /// A topic's configuration: the stored one, else one derived from its partitions;
    /// NOT_FOUND when the topic does not exist.
    pub(super) fn configuration(
        &self,
        namespace: &str,
        topic: &str,
    ) -> Result<TopicConfiguration, BrokerError> {
        let t = self.topic(namespace, topic)?.ok_or_else(|| {
            BrokerError::NotFound(format!("topic {namespace}/{topic} does not exist"))
        })?;
        Ok(t.configuration())
    }

    /// fsyncs every partition written to since its last sync (bounds what a power loss can
    /// take from publishers that keep their streams open for long).
    pub(super) async fn sync_dirty(&self) {
        let topics: Vec<Arc<Topic>> = lock(&self.topics).values().cloned().collect();
        for t in topics {
            for p in t.partitions() {
                if p.needs_sync()
                    && let Err(e) = p.sync().await
                {
                    tracing::warn!(dir = %p.dir.display(), "background sync failed: {e}");
                }
            }
        }
    }

    /// Flushes and syncs every partition and saves the active indexes.
    pub(super) fn shutdown(&self) -> io::Result<()> {
        let topics: Vec<Arc<Topic>> = lock(&self.topics).values().cloned().collect();
        for t in topics {
            for p in t.partitions() {
                p.shutdown()?;
            }
        }
        Ok(())
    }
}

/// Removes what deletes left in `.trash` (interrupted by a crash): only entries named as
/// the broker names them (`<pid>-<sequence>`), in a directory that carries the mark.
fn empty_trash(data_dir: &Path) {
    let Ok(rd) = fs::read_dir(data_dir.join(TRASH)) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.split_once('-').is_some_and(|(a, b)| {
            [a, b]
                .iter()
                .all(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        });
        if ours && let Err(err) = fs::remove_dir_all(e.path()) {
            tracing::warn!("cannot remove {}: {err}", e.path().display());
        }
    }
}

/// Makes sure `data_dir` is (or becomes) an swmq broker data directory: a new or empty
/// directory gets the mark; one that holds anything besides the broker's own entries and has
/// no mark belongs to another program and is refused. An unmarked directory made by an
/// older swmq (before the mark) has `topics/`; one holding only `.trash` is not claimed
/// (the broker empties `.trash`, so it must be sure the directory is its own).
fn claim_data_dir(data_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(data_dir)?;
    let mark = data_dir.join(DATA_DIR_MARK);
    if mark.is_file() {
        return Ok(());
    }
    let mut has_topics = false;
    for e in fs::read_dir(data_dir)? {
        let name = e?.file_name();
        has_topics |= name == "topics";
        if !OWN_ENTRIES.iter().any(|own| name == *own) {
            return Err(io::Error::other(format!(
                "it already holds {name:?} and has no {DATA_DIR_MARK} file, so it is not an \
                 swmq broker data directory (use a new or empty directory)"
            )));
        }
    }
    if !has_topics && data_dir.join(TRASH).exists() {
        return Err(io::Error::other(format!(
            "it holds {TRASH:?} but no {DATA_DIR_MARK} file and no topics/, so it is not an \
             swmq broker data directory (use a new or empty directory)"
        )));
    }
    fs::write(
        &mark,
        "swmq embedded broker data directory (SeaweedFS messaging 2.x)\n",
    )?;
    fsync_dir(data_dir)
}

fn read_config(dir: &Path) -> Result<Option<TopicConfiguration>, BrokerError> {
    match fs::read(dir.join(CONFIG_FILE)) {
        Ok(b) => Ok(TopicConfiguration::decode(b.as_slice()).ok()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl Topic {
    fn new(data_dir: &Path, namespace: &str, name: &str) -> Topic {
        Topic {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dir: names::topic_dir(data_dir, namespace, name),
            partitions: Mutex::new(BTreeMap::new()),
            config: Mutex::new(None),
            config_write: Mutex::new(()),
            deleted: AtomicBool::new(false),
        }
    }

    /// Whether the topic has anything on disk.
    pub(super) fn exists(&self) -> bool {
        lock(&self.config).is_some() || lock(&self.partitions).values().any(|p| p.exists())
    }

    /// The partitions opened so far, by number.
    pub(super) fn partitions(&self) -> Vec<Arc<Partition>> {
        lock(&self.partitions).values().cloned().collect()
    }

    /// The stored configuration (else a default one) with the partition count the topic
    /// really has: a 2.x publisher picks its partition itself, so one beyond the configured
    /// count is accepted and counts, as in listings.
    pub(super) fn configuration(&self) -> TopicConfiguration {
        let stored = lock(&self.config).clone();
        TopicConfiguration {
            partition_count: self.partition_count(),
            ..stored.unwrap_or_default()
        }
    }

    /// The configured partition count, else one more than the highest existing partition.
    pub(super) fn partition_count(&self) -> i32 {
        let configured = lock(&self.config).as_ref().map_or(0, |c| c.partition_count);
        let highest = lock(&self.partitions)
            .iter()
            .filter(|(_, p)| p.exists())
            .map(|(n, _)| *n as i32 + 1)
            .max()
            .unwrap_or(0);
        configured.max(highest)
    }

    /// Statistics of partitions `0..partition_count` (empty ones included).
    pub(super) fn stats(&self) -> Vec<(u32, Stats)> {
        let count = self.partition_count().max(0) as u32;
        let parts = lock(&self.partitions);
        (0..count)
            .map(|n| (n, parts.get(&n).map(|p| p.stats()).unwrap_or_default()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        segment_bytes: 4096,
        max_message: 1 << 20,
    };

    #[tokio::test]
    async fn a_lookup_racing_a_delete_lands_in_the_new_topic() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), LIMITS).unwrap());
        // A publisher looked the topic up, then the topic was deleted before it opened its
        // partition: the partition it gets must be the one the store serves from now on.
        let old = store.topic_entry("ns", "t").unwrap();
        store.delete_topic("ns", "t").await.unwrap();
        assert!(store.partition_of(&old, 0).unwrap().is_none());
        let p = store.partition("ns", "t", 0).await.unwrap();
        assert!(Arc::ptr_eq(
            &p,
            &store.partition("ns", "t", 0).await.unwrap()
        ));
    }

    #[test]
    fn a_directory_of_another_program_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(".trash")).unwrap();
        fs::write(dir.path().join(".trash/keep"), "x").unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let err = Store::open(dir.path(), LIMITS).unwrap_err().to_string();
        assert!(
            err.contains("notes.txt") && err.contains(DATA_DIR_MARK),
            "{err}"
        );
        assert!(dir.path().join(".trash/keep").exists());
        assert!(!dir.path().join("topics").exists());
        // New, empty and marked directories, and ones an older swmq made, are fine.
        let fresh = dir.path().join("new/broker");
        Store::open(&fresh, LIMITS).unwrap();
        assert!(fresh.join(DATA_DIR_MARK).is_file());
        Store::open(&fresh, LIMITS).unwrap();
        // Only a `.trash` and no mark: not claimed, its contents left alone.
        let trash_only = tempfile::tempdir().unwrap();
        fs::create_dir_all(trash_only.path().join(".trash/1-0")).unwrap();
        let err = Store::open(trash_only.path(), LIMITS)
            .unwrap_err()
            .to_string();
        assert!(err.contains(".trash"), "{err}");
        assert!(trash_only.path().join(".trash/1-0").exists());
        assert!(!trash_only.path().join(DATA_DIR_MARK).exists());
        let older = tempfile::tempdir().unwrap();
        fs::create_dir_all(older.path().join("topics/ns")).unwrap();
        fs::create_dir_all(older.path().join(".trash/12-3/ns")).unwrap();
        fs::create_dir_all(older.path().join(".trash/notes")).unwrap();
        Store::open(older.path(), LIMITS).unwrap();
        assert!(older.path().join(DATA_DIR_MARK).is_file());
        // Under the mark, only the broker's own leftovers (`<pid>-<n>`) are removed.
        assert!(!older.path().join(".trash/12-3").exists());
        assert!(older.path().join(".trash/notes").exists());
    }
}
