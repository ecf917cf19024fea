//! The persisted history of 4.x partitions: the log files in the filer, fetched over the
//! filer's HTTP port and decoded the way the broker itself reads them
//! (`weed/mq/logstore/read_log_from_disk.go`).
//!
//! Facts relied on (`seaweedfs-4x.md`, Filer; checked on 4.48, see `docs/mq-4x-reading.md`):
//! - `/topics/<ns>/<topic>/<version>/<range>/` holds log files named after the UTC second
//!   of their first record (`YYYY-MM-DD-HH-MM-SS`); a later flush whose first record falls
//!   in the same second is appended to the same file;
//! - a file is a sequence of 4-byte big-endian lengths, each followed by a serialized
//!   `filer_pb.LogEntry` (`ts_ns` = the record's own timestamp, `key`, `data` = the value,
//!   `offset` = its offset in the partition);
//! - within a partition the broker stores strictly increasing timestamps, so the records of
//!   every file precede those of the next file by name;
//! - `GET /<path>` on the filer's HTTP port (its gRPC port − 10000) returns a file whole;
//!   its chunks can also be read from the volume servers (`LookupVolume`, `GET /<fid>`),
//!   as the broker does: used when the filer's HTTP port is not the conventional one;
//! - `mq.topic.compact` writes `<first record's second>.parquet` beside the logs, with the
//!   time range in the entry's `ts_min`/`ts_max` extended attributes (8 bytes, big-endian).

use bytes::{Buf, Bytes};
use futures::StreamExt as _;
use prost::Message as _;

pub use super::filer_http::FilerHttp;
use super::filer_http::http_error;
use super::logs::{parse_log_name, partition_dir};
use super::{MqClient, Part};
use crate::client::filer::{entry_mtime_ns, entry_size};
use crate::client::{ClientError, TopicName};
use crate::proto::filer::{Entry, FileChunk, LogEntry};

const NS: i64 = 1_000_000_000;

/// Chunks of one log file fetched at once (a file of appended flushes has several).
const CHUNKS_AT_ONCE: usize = 4;

/// One file of a partition directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirFile {
    /// Its name.
    pub name: String,
    /// For a log file, the UTC second of its first record (ns); for a `.parquet` file its
    /// first record's time (ns, from its attributes or name).
    pub start_ns: i64,
    /// Its size in bytes.
    pub bytes: u64,
    /// When it was last written (ns), when known.
    pub mtime_ns: Option<i64>,
    /// A parquet file (`mq.topic.compact`), with its last record's time when known.
    pub parquet: Option<Option<i64>>,
}

/// The log and parquet files of one partition, log files in name (= time) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionFiles {
    /// Log files, sorted by name.
    pub logs: Vec<DirFile>,
    /// Parquet files.
    pub parquet: Vec<DirFile>,
    /// Whether the partition has a `consumers/` directory (native consumer groups).
    pub consumers: bool,
}

fn be_i64(v: Option<&Bytes>) -> Option<i64> {
    let v = v?;
    (v.len() == 8).then(|| (&v[..]).get_i64())
}

/// Classifies the entries of a partition directory.
pub fn classify(entries: &[Entry]) -> PartitionFiles {
    let mut out = PartitionFiles {
        consumers: entries
            .iter()
            .any(|e| e.is_directory && e.name == "consumers"),
        ..Default::default()
    };
    for e in entries.iter().filter(|e| !e.is_directory) {
        if let Some(stem) = e.name.strip_suffix(".parquet") {
            let min = be_i64(e.extended.get("ts_min"));
            let Some(start_ns) = min.or_else(|| parse_log_name(stem)) else {
                continue;
            };
            out.parquet.push(DirFile {
                name: e.name.clone(),
                start_ns,
                bytes: entry_size(e),
                mtime_ns: entry_mtime_ns(e),
                parquet: Some(be_i64(e.extended.get("ts_max"))),
            });
        } else if let Some(start_ns) = parse_log_name(&e.name) {
            out.logs.push(DirFile {
                name: e.name.clone(),
                start_ns,
                bytes: entry_size(e),
                mtime_ns: entry_mtime_ns(e),
                parquet: None,
            });
        }
    }
    out.logs.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The index of the first log file that can hold a record stamped at or after `t`: the
/// last file named at least one second before `t` (its first record is before `t`, and so
/// are those of every earlier file), else the first. Binary search over the names.
pub fn seek_index(logs: &[DirFile], t: i64) -> usize {
    // Files whose second ends at or before `t`: their first record is before `t`.
    let before = logs.partition_point(|f| f.start_ns.saturating_add(NS) <= t);
    before.saturating_sub(1)
}

/// Parquet files whose time range no log file covers: the records there are not read.
/// Returns `(name, first ns, last ns if known)` of each.
pub fn uncovered_parquet(files: &PartitionFiles) -> Vec<(String, i64, Option<i64>)> {
    files
        .parquet
        .iter()
        .filter(|p| {
            let first_sec = p.start_ns - p.start_ns.rem_euclid(NS);
            let last = p.parquet.flatten().unwrap_or(p.start_ns);
            !files
                .logs
                .iter()
                .any(|l| l.start_ns >= first_sec && l.start_ns <= last)
        })
        .map(|p| (p.name.clone(), p.start_ns, p.parquet.flatten()))
        .collect()
}

/// Decodes a log file: 4-byte big-endian lengths, each followed by a `LogEntry`. A
/// truncated or undecodable tail is an error naming the byte position; the entries
/// before it are returned with it.
pub fn decode_entries(buf: Bytes) -> (Vec<LogEntry>, Option<String>) {
    let mut out = Vec::with_capacity(buf.len() / 128);
    let err = decode_each(buf, |e| {
        out.push(e);
        false
    });
    (out, err)
}

/// [`decode_entries`] handing each entry to `f` as it is decoded (no list of entries);
/// stops when `f` says so. Returns the error of a damaged tail.
pub fn decode_each(mut buf: Bytes, mut f: impl FnMut(LogEntry) -> bool) -> Option<String> {
    let total = buf.len();
    while buf.has_remaining() {
        let pos = total - buf.len();
        if buf.len() < 4 {
            return Some(format!("{} stray bytes at {pos}", buf.len()));
        }
        let n = (&buf[..4]).get_u32() as usize;
        if buf.len() - 4 < n {
            return Some(format!(
                "record of {n} bytes at {pos} runs past the end ({total})"
            ));
        }
        buf.advance(4);
        let body = buf.split_to(n);
        match LogEntry::decode(body) {
            Ok(e) => {
                if f(e) {
                    return None;
                }
            }
            Err(e) => return Some(format!("undecodable record at {pos}: {e}")),
        }
    }
    None
}

/// The timestamps of a log file's entries without decoding them (`ts_ns`, field 1, comes
/// first as SeaweedFS writes it; an entry where it does not is decoded in full), with
/// [`decode_entries`]'s error for a damaged tail: what a scan needs of a file it knows
/// holds no match.
pub fn entry_timestamps(buf: &[u8]) -> (Vec<i64>, Option<String>) {
    let total = buf.len();
    let mut out = Vec::with_capacity(total / 128);
    let mut at = 0;
    while at < total {
        let rest = &buf[at..];
        if rest.len() < 4 {
            return (out, Some(format!("{} stray bytes at {at}", rest.len())));
        }
        let n = (&rest[..4]).get_u32() as usize;
        if rest.len() - 4 < n {
            let why = format!("record of {n} bytes at {at} runs past the end ({total})");
            return (out, Some(why));
        }
        let body = &rest[4..4 + n];
        match leading_ts(body).map_or_else(|| LogEntry::decode(body).map(|e| e.ts_ns), Ok) {
            Ok(ts) => out.push(ts),
            Err(e) => return (out, Some(format!("undecodable record at {at}: {e}"))),
        }
        at += 4 + n;
    }
    (out, None)
}

/// Field 1 (`ts_ns`, a varint) when an encoded `LogEntry` starts with it.
fn leading_ts(body: &[u8]) -> Option<i64> {
    if body.first() != Some(&0x08) {
        return None;
    }
    let mut v: u64 = 0;
    for (i, b) in body[1..].iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(v as i64);
        }
    }
    None
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
fn encode_segment(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The request path of a filer path (`/topics/a b/t` → `/topics/a%20b/t`).
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        encode_segment(seg, &mut out);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The filer's HTTP address for its gRPC address (`host:18888` → `host:8888`).
pub fn http_addr_of(grpc: &str) -> Result<String, ClientError> {
    let a = grpc
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("grpc://");
    let bad = || ClientError::invalid("filer address", format!("{grpc:?}: no HOST:PORT"));
    let (host, port) = a.rsplit_once(':').ok_or_else(bad)?;
    let port: u32 = port.parse().map_err(|_| bad())?;
    if port <= 10_000 {
        return Err(ClientError::invalid(
            "filer address",
            format!("{grpc}: the gRPC port must be the HTTP port + 10000"),
        ));
    }
    Ok(format!("{host}:{}", port - 10_000))
}

/// The file id of a chunk (`<volume>,<key hex><cookie 8 hex>`).
fn chunk_file_id(c: &FileChunk) -> Option<String> {
    if !c.file_id.is_empty() {
        return Some(c.file_id.clone());
    }
    let f = c.fid.as_ref()?;
    Some(format!("{},{:x}{:08x}", f.volume_id, f.file_key, f.cookie))
}

impl MqClient {
    /// The log and parquet files of one partition (one listing of its directory).
    pub async fn partition_files(
        &self,
        topic: &TopicName,
        part: &Part,
    ) -> Result<PartitionFiles, ClientError> {
        self.partition_files_from(topic, part, "").await
    }

    /// [`MqClient::partition_files`] from the file `from` on (inclusive; `""`: all): what
    /// was flushed since a file was read, without listing the files before it again.
    pub async fn partition_files_from(
        &self,
        topic: &TopicName,
        part: &Part,
        from: &str,
    ) -> Result<PartitionFiles, ClientError> {
        let entries = self
            .filer()
            .list_entries_from(&partition_dir(topic, part), from, usize::MAX)
            .await?;
        Ok(classify(&entries))
    }

    /// One log file of a partition, whole: from the filer's HTTP port, else chunk by
    /// chunk from the volume servers (as the broker reads them); `None` when it is gone
    /// (truncated or compacted away since it was listed).
    pub async fn fetch_log_file(
        &self,
        topic: &TopicName,
        part: &Part,
        name: &str,
    ) -> Result<Option<Bytes>, ClientError> {
        let dir = partition_dir(topic, part);
        match self.filer_http().get_filer(&format!("{dir}/{name}")).await {
            Ok(b) => return Ok(b),
            Err(Some(e)) => return Err(e),
            Err(None) => {}
        }
        let at = std::time::Instant::now();
        let Some(entry) = self.filer().lookup(&dir, name).await? else {
            return Ok(None);
        };
        tracing::debug!("{dir}/{name}: chunks looked up in {:?}", at.elapsed());
        if !entry.content.is_empty() {
            return Ok(Some(entry.content));
        }
        let mut chunks = entry.chunks;
        chunks.sort_by_key(|c| c.offset);
        let mut fids = Vec::with_capacity(chunks.len());
        for c in chunks.iter().filter(|c| c.size > 0) {
            let what = format!("{dir}/{name}");
            if c.is_chunk_manifest || !c.cipher_key.is_empty() {
                return Err(ClientError::Unsupported(format!(
                    "{what}: chunk manifests and encrypted chunks are not read"
                )));
            }
            fids.push(
                chunk_file_id(c)
                    .ok_or_else(|| ClientError::invalid("chunk", format!("{what}: no file id")))?,
            );
        }
        if let [fid] = &fids[..] {
            return Ok(Some(self.fetch_chunk(fid).await?));
        }
        // A file of appended flushes: its chunks fetched a few at a time, kept in order.
        // Owned ids: a closure over `&String` makes the future not `Send` for every lifetime.
        let mut parts = futures::stream::iter(
            fids.into_iter()
                .map(|fid| async move { self.fetch_chunk(&fid).await }),
        )
        .buffered(CHUNKS_AT_ONCE);
        let mut out = bytes::BytesMut::new();
        while let Some(part) = parts.next().await {
            out.extend_from_slice(&part?);
        }
        Ok(Some(out.freeze()))
    }

    /// One chunk from the first volume server that has it.
    async fn fetch_chunk(&self, fid: &str) -> Result<Bytes, ClientError> {
        let vid = fid.split(',').next().unwrap_or_default().to_string();
        let http = self.filer_http();
        let cached = http.volumes.lock().ok().and_then(|m| m.get(&vid).cloned());
        let urls = match cached {
            Some(u) => u,
            None => {
                let at = std::time::Instant::now();
                let u = self.filer().lookup_volume(&vid).await?;
                tracing::debug!("volume {vid}: looked up in {:?}", at.elapsed());
                if let Ok(mut m) = http.volumes.lock() {
                    m.insert(vid.clone(), u.clone());
                }
                u
            }
        };
        let mut last = None;
        for url in &urls {
            let addr = url.trim_start_matches("http://").trim_end_matches('/');
            match http.get(addr, &format!("/{fid}")).await {
                Ok(Some(b)) => return Ok(b),
                Ok(None) => last = Some(http_error(fid, tonic::Code::NotFound, "not found")),
                Err(e) => last = Some(e),
            }
        }
        if let Ok(mut m) = http.volumes.lock() {
            m.remove(&vid);
        }
        Err(last.unwrap_or_else(|| {
            http_error(
                fid,
                tonic::Code::Unavailable,
                format!("volume {vid} has no server"),
            )
        }))
    }
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
