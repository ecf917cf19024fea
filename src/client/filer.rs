//! Filer access (listing, looking up and deleting under `/topics/...`), shared by both
//! protocol modules.
//!
//! The connection to the filer is opened on first use and reused by every clone of the
//! [`FilerClient`]. Facts it relies on (`filer-subset.md`, `seaweedfs-4x.md`):
//! `ListEntries` streams entries sorted by name and is paged with `startFromFileName` =
//! the last name and `inclusiveStartFrom = false`; a missing directory gives an empty
//! stream; `DeleteEntry` reports failure in the response's `error` field and treats a
//! missing entry as success.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use tonic::transport::Channel;

use super::ClientError;
use super::transport::Transport;
use crate::proto::filer::seaweed_filer_client::SeaweedFilerClient;
use crate::proto::filer::{
    DeleteEntryRequest, Entry, ListEntriesRequest, LookupDirectoryEntryRequest, LookupVolumeRequest,
};

/// Entries asked for per `ListEntries` page.
const PAGE: u32 = 1000;
/// How long a failed connection attempt is remembered (calls fail at once meanwhile).
const FAILURE_MEMORY: Duration = Duration::from_secs(10);

/// A lazily connected client of a SeaweedFS filer's gRPC port.
#[derive(Clone)]
pub struct FilerClient {
    addr: String,
    transport: Transport,
    channel: Arc<OnceCell<Channel>>,
    /// The last failed connection attempt, to fail fast for a while after it.
    failed: Arc<Mutex<Option<(Instant, ClientError)>>>,
}

impl std::fmt::Debug for FilerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilerClient")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Joins a directory and a name into a path (`/a` + `b` = `/a/b`, `/` + `b` = `/b`).
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Splits a path into its parent directory and name (`/a/b` → (`/a`, `b`)).
pub fn split(path: &str) -> (String, String) {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) => ("/".to_string(), p[1..].to_string()),
        Some(i) => (p[..i].to_string(), p[i + 1..].to_string()),
        None => ("/".to_string(), p.to_string()),
    }
}

impl FilerClient {
    /// A client for the filer at `addr` (`HOST:PORT` of its gRPC port); nothing is
    /// connected until the first call.
    pub fn new(addr: impl Into<String>, transport: Transport) -> Self {
        FilerClient {
            addr: addr.into(),
            transport,
            channel: Arc::new(OnceCell::new()),
            failed: Arc::new(Mutex::new(None)),
        }
    }

    /// The filer address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Why the filer could not be reached, when no connection to it was ever made and the
    /// last attempt failed (remembered for a while): what a listing that went on without
    /// the filer must say.
    pub fn unreachable(&self) -> Option<ClientError> {
        if self.channel.get().is_some() {
            return None;
        }
        let f = self.failed.lock().ok()?;
        f.as_ref().map(|(_, e)| e.clone())
    }

    async fn client(&self) -> Result<SeaweedFilerClient<Channel>, ClientError> {
        if self.channel.get().is_none()
            && let Ok(f) = self.failed.lock()
            && let Some((at, e)) = f.as_ref()
            && at.elapsed() < FAILURE_MEMORY
        {
            return Err(e.clone());
        }
        let ch = self
            .channel
            .get_or_try_init(|| self.transport.channel(&self.addr))
            .await
            .map_err(|e| {
                let e = match e {
                    ClientError::Connect { addr, cause } => ClientError::Connect {
                        addr: format!("filer {addr}"),
                        cause,
                    },
                    ClientError::Tls { problem, .. } => ClientError::Tls {
                        context: format!("cannot connect to filer {}", self.addr),
                        problem,
                    },
                    other => other,
                };
                if let Ok(mut f) = self.failed.lock() {
                    *f = Some((Instant::now(), e.clone()));
                }
                e
            })?;
        Ok(SeaweedFilerClient::new(ch.clone()).max_decoding_message_size(64 << 20))
    }

    fn ctx(&self, what: &str, path: &str) -> String {
        format!("filer {} {what} {path}", self.addr)
    }

    /// Every entry of `dir`, sorted by name, without chunk lists (names, sizes, times).
    /// A missing directory gives an empty list.
    pub async fn list_entries(&self, dir: &str) -> Result<Vec<Entry>, ClientError> {
        self.list_entries_limited(dir, usize::MAX).await
    }

    /// At most `max` entries of `dir`, from the first in name order.
    pub async fn list_entries_limited(
        &self,
        dir: &str,
        max: usize,
    ) -> Result<Vec<Entry>, ClientError> {
        self.list_entries_from(dir, "", max).await
    }

    /// At most `max` entries of `dir` in name order, from `from` on (inclusive; `""`: from
    /// the first): one cheap request to see what was added after a known name.
    pub async fn list_entries_from(
        &self,
        dir: &str,
        from: &str,
        max: usize,
    ) -> Result<Vec<Entry>, ClientError> {
        let mut client = self.client().await?;
        let mut out: Vec<Entry> = Vec::new();
        let mut start = from.to_string();
        let mut inclusive = !from.is_empty();
        loop {
            let want = (max - out.len()).min(PAGE as usize) as u32;
            let req = ListEntriesRequest {
                directory: dir.to_string(),
                start_from_file_name: start.clone(),
                inclusive_start_from: std::mem::replace(&mut inclusive, false),
                limit: want,
                omit_chunks: true,
                ..Default::default()
            };
            let mut stream = client
                .list_entries(req)
                .await
                .map_err(|s| ClientError::rpc(self.ctx("list", dir), s))?
                .into_inner();
            let mut got = 0u32;
            while let Some(resp) = stream
                .message()
                .await
                .map_err(|s| ClientError::rpc(self.ctx("list", dir), s))?
            {
                if let Some(e) = resp.entry {
                    got += 1;
                    start = e.name.clone();
                    out.push(e);
                }
            }
            if got < want || out.len() >= max {
                return Ok(out);
            }
        }
    }

    /// The entry at `dir`/`name`, or `None` when there is none.
    pub async fn lookup(&self, dir: &str, name: &str) -> Result<Option<Entry>, ClientError> {
        let mut client = self.client().await?;
        let req = LookupDirectoryEntryRequest {
            directory: dir.to_string(),
            name: name.to_string(),
        };
        match client.lookup_directory_entry(req).await {
            Ok(r) => Ok(r.into_inner().entry),
            Err(s) if is_not_found(&s) => Ok(None),
            Err(s) => Err(ClientError::rpc(self.ctx("lookup", &join(dir, name)), s)),
        }
    }

    /// The addresses (`HOST:PORT`) of the volume servers holding volume `vid`.
    pub async fn lookup_volume(&self, vid: &str) -> Result<Vec<String>, ClientError> {
        let mut client = self.client().await?;
        let req = LookupVolumeRequest {
            volume_ids: vec![vid.to_string()],
        };
        let resp = client
            .lookup_volume(req)
            .await
            .map_err(|s| ClientError::rpc(self.ctx("lookup volume", vid), s))?
            .into_inner();
        let locs = resp
            .locations_map
            .get(vid)
            .map(|l| l.locations.clone())
            .unwrap_or_default();
        Ok(locs
            .into_iter()
            .flat_map(|l| [l.url, l.public_url])
            .filter(|u| !u.is_empty())
            .fold(Vec::new(), |mut v, u| {
                if !v.contains(&u) {
                    v.push(u);
                }
                v
            }))
    }

    /// The filer's masters (as configured: `host:port` or `host:port.grpcPort`) and its
    /// version (`GetFilerConfiguration`).
    pub async fn masters(&self) -> Result<(Vec<String>, String), ClientError> {
        let mut client = self.client().await?;
        let r = client
            .get_filer_configuration(crate::proto::filer::GetFilerConfigurationRequest {})
            .await
            .map_err(|s| ClientError::rpc(self.ctx("configuration", "/"), s))?
            .into_inner();
        Ok((r.masters, r.version))
    }

    /// Deletes `dir`/`name` recursively with its data. A missing entry is success.
    pub async fn delete_entry(&self, dir: &str, name: &str) -> Result<(), ClientError> {
        let mut client = self.client().await?;
        let path = join(dir, name);
        let req = DeleteEntryRequest {
            directory: dir.to_string(),
            name: name.to_string(),
            is_delete_data: true,
            is_recursive: true,
            ignore_recursive_error: false,
            ..Default::default()
        };
        let resp = client
            .delete_entry(req)
            .await
            .map_err(|s| ClientError::rpc(self.ctx("delete", &path), s))?
            .into_inner();
        if resp.error.is_empty() {
            Ok(())
        } else {
            Err(ClientError::Rpc {
                context: self.ctx("delete", &path),
                code: tonic::Code::Unknown,
                message: resp.error,
            })
        }
    }
}

/// Whether a lookup status means "no such entry" (the filer answers NotFound, or Unknown
/// with a "not found" text).
fn is_not_found(s: &tonic::Status) -> bool {
    s.code() == tonic::Code::NotFound
        || s.message().to_ascii_lowercase().contains("not found")
        || s.message().contains("no entry")
}

/// The size in bytes of an entry (its `file_size` attribute, else the sum of chunk sizes).
pub fn entry_size(e: &Entry) -> u64 {
    match &e.attributes {
        Some(a) if a.file_size > 0 => a.file_size,
        _ => e
            .chunks
            .iter()
            .map(|c| c.size)
            .sum::<u64>()
            .max(e.content.len() as u64),
    }
}

/// The modification time of an entry in ns since the epoch, when it has one.
pub fn entry_mtime_ns(e: &Entry) -> Option<i64> {
    let a = e.attributes.as_ref()?;
    if a.mtime <= 0 {
        return None;
    }
    a.mtime
        .checked_mul(1_000_000_000)?
        .checked_add(i64::from(a.mtime_ns.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_split_paths() {
        assert_eq!(join("/topics", "ns"), "/topics/ns");
        assert_eq!(join("/", "topics"), "/topics");
        assert_eq!(split("/topics/ns/t"), ("/topics/ns".into(), "t".into()));
        assert_eq!(split("/topics"), ("/".into(), "topics".into()));
        assert_eq!(split("/topics/ns/"), ("/topics".into(), "ns".into()));
    }
}
