//! The embedded broker: SeaweedFS messaging 2.x (`messaging_pb.SeaweedMessaging`) plus
//! swmq's admin extension (`swmq.admin.v1.SwmqAdmin`), over durable local storage.
//!
//! Storage layout under the data directory (names validated, so nothing is ever written
//! outside of it):
//! `topics/<namespace>/<topic>/p<NN>/<first ordinal>.log` segment files of SeaweedFS log
//! records (4-byte big-endian length + `filer_pb.LogEntry` whose `data` is the serialized
//! `messaging_pb.Message`), `<first ordinal>.idx` sparse timestamp indexes,
//! `topics/<namespace>/<topic>/p<NN>.md5` close markers (as in 2.x) and `topic.conf`.
//!
//! Differences from the original 2.x broker, all deliberate: a message published with
//! `event_time_ns = 0` is stored with `event_time_ns` set to its log timestamp;
//! `ConfigureTopic`/`GetTopicConfiguration` are implemented; a subscriber that half-closes
//! its request stream keeps its live tail (it ends the subscription with `is_close` or by
//! cancelling the call); a subscriber at the end of a closed partition gets its stream
//! ended instead of waiting forever; streams of a deleted topic fail with ABORTED; see
//! `docs/embedded-broker.md` for the full list.

mod admin;
pub mod demo;
#[doc(hidden)]
pub mod faults;
mod grep;
mod names;
mod partition;
mod reader;
mod record;
mod recovery;
mod segment;
mod service;
mod store;
mod subscribers;
mod writer;

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod fuzz_tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

pub use names::{MAX_NAME_BYTES, validate_name};

use crate::proto::admin::swmq_admin_server::SwmqAdminServer;
use crate::proto::v2::seaweed_messaging_server::SeaweedMessagingServer;

/// The default listen address (loopback only; another address must be given explicitly).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:17777";
/// Default segment size: 64 MiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;
/// Default message size limit: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// The largest `--max-message-bytes` accepted (1 GiB, the largest record the reader
/// accepts, less the record framing).
pub const MAX_MESSAGE_BYTES: usize = record::MAX_RECORD_BYTES - record::RECORD_FRAMING;
/// Data written by publish streams that stay open is fsynced at least this often.
pub const BACKGROUND_SYNC: Duration = Duration::from_secs(1);
/// How long in-flight publishes may take to finish on shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Errors of the embedded broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A request argument was invalid.
    #[error("{0}")]
    InvalidArgument(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The partition was closed by a close message.
    #[error("{0}")]
    Closed(String),
    /// The topic was deleted while in use.
    #[error("{0}")]
    Gone(String),
    /// A storage error. (Its message includes the I/O error's, so it is not chained as a
    /// `source` as well: printed with its chain it would repeat.)
    #[error("storage error: {0}")]
    Io(std::io::Error),
    /// The data directory could not be opened or recovered.
    #[error("cannot use the data directory {}: {error}", dir.display())]
    DataDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server error: {0}")]
    Server(String),
    /// The TLS files could not be used.
    #[error("TLS: {0}")]
    Tls(String),
}

impl From<std::io::Error> for BrokerError {
    fn from(e: std::io::Error) -> Self {
        BrokerError::Io(e)
    }
}

impl From<BrokerError> for tonic::Status {
    fn from(e: BrokerError) -> Self {
        let msg = e.to_string();
        match e {
            BrokerError::InvalidArgument(_) => tonic::Status::invalid_argument(msg),
            BrokerError::NotFound(_) => tonic::Status::not_found(msg),
            BrokerError::Closed(_) => tonic::Status::failed_precondition(msg),
            BrokerError::Gone(_) => tonic::Status::aborted(msg),
            _ => tonic::Status::internal(msg),
        }
    }
}

/// How to run a broker.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address to bind (port 0: any free port).
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Segment files roll at this size.
    pub segment_bytes: u64,
    /// Largest message accepted (serialized `Message` size).
    pub max_message_bytes: usize,
    /// Address returned by `FindBroker`; default: the bound address.
    pub advertised: Option<String>,
    /// Serve TLS (and require client certificates when it names a client CA).
    pub tls: Option<BrokerTls>,
}

/// The broker's TLS files (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerTls {
    /// The broker's certificate chain.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// When set, clients must present a certificate signed by this CA (mTLS).
    pub client_ca: Option<PathBuf>,
}

impl BrokerTls {
    /// The tonic server TLS configuration; a missing or unreadable file is named.
    fn server_config(&self) -> Result<tonic::transport::ServerTlsConfig, BrokerError> {
        let read = |what: &str, p: &PathBuf| {
            std::fs::read(p).map_err(|e| BrokerError::Tls(format!("{what} {}: {e}", p.display())))
        };
        let identity = tonic::transport::Identity::from_pem(
            read("--tls-cert", &self.cert)?,
            read("--tls-key", &self.key)?,
        );
        let mut config = tonic::transport::ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.client_ca {
            config = config
                .client_ca_root(tonic::transport::Certificate::from_pem(read(
                    "--tls-client-ca",
                    ca,
                )?))
                .client_auth_optional(false);
        }
        Ok(config)
    }
}

impl BrokerConfig {
    /// A configuration with default limits.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        BrokerConfig {
            listen,
            data_dir,
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            advertised: None,
            tls: None,
        }
    }
}

/// The default data directory: `$XDG_DATA_HOME/swmq/broker` (`~/.local/share/swmq/broker`).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("swmq")
        .join("broker")
}

/// State shared by the services.
#[derive(Debug)]
pub(crate) struct Shared {
    store: Arc<store::Store>,
    /// Who read each partition (served by the admin service).
    subscribers: Arc<subscribers::Registry>,
    advertised: String,
    /// Bound to an unspecified address (0.0.0.0, ::) without `--advertise`.
    advertise_local: bool,
    started_at_ns: i64,
    /// Shutdown began: subscribers end, no new connections.
    stopping: CancellationToken,
    /// The grace period is over: publishers end too.
    hard_stop: CancellationToken,
    /// Partition scans of `Grep` searches running now.
    grep_scans: std::sync::atomic::AtomicU32,
}

/// A broker serving on a bound address.
#[derive(Debug)]
pub struct RunningBroker {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
}

/// Opens the data directory (recovering it), binds and serves both services.
pub async fn start(config: BrokerConfig) -> Result<RunningBroker, BrokerError> {
    if config.max_message_bytes == 0 || config.max_message_bytes > MAX_MESSAGE_BYTES {
        return Err(BrokerError::InvalidArgument(format!(
            "--max-message-bytes {} is out of range: 1 to {MAX_MESSAGE_BYTES}",
            config.max_message_bytes
        )));
    }
    let (store, subscribers) = open_data_dir(&config).await?;
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        builder = builder
            .tls_config(tls.server_config()?)
            .map_err(|e| BrokerError::Tls(crate::client::transport::error_chain(&e)))?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|error| BrokerError::Bind {
            addr: config.listen,
            error,
        })?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        store,
        subscribers: Arc::new(subscribers),
        advertised: config
            .advertised
            .clone()
            .unwrap_or_else(|| addr.to_string()),
        advertise_local: config.advertised.is_none() && addr.ip().is_unspecified(),
        started_at_ns: crate::time::now_ns(),
        stopping: CancellationToken::new(),
        hard_stop: CancellationToken::new(),
        grep_scans: Default::default(),
    });
    let server = serve(builder, listener, &shared, config.max_message_bytes);
    tokio::spawn(sync_in_background(Arc::clone(&shared)));
    tokio::spawn(record_subscribers(Arc::clone(&shared)));
    tracing::info!(%addr, data = %config.data_dir.display(), "broker started");
    Ok(RunningBroker {
        addr,
        shared,
        server,
    })
}

/// Opens (recovering) the store and the subscriber records of the data directory.
async fn open_data_dir(
    config: &BrokerConfig,
) -> Result<(Arc<store::Store>, subscribers::Registry), BrokerError> {
    let limits = partition::Limits {
        segment_bytes: config.segment_bytes.max(1024),
        max_message: config.max_message_bytes,
    };
    let data_dir = config.data_dir.clone();
    let store =
        tokio::task::spawn_blocking(move || store::Store::open(&data_dir, limits).map(Arc::new))
            .await
            .map_err(|e| BrokerError::Server(e.to_string()))?
            .map_err(|e| match e {
                BrokerError::Io(error) => BrokerError::DataDir {
                    dir: config.data_dir.clone(),
                    error,
                },
                e => e,
            })?;
    let data_dir = config.data_dir.clone();
    let subscribers = tokio::task::spawn_blocking(move || subscribers::Registry::open(&data_dir))
        .await
        .map_err(|e| BrokerError::Server(e.to_string()))?
        .map_err(|error| BrokerError::DataDir {
            dir: config.data_dir.clone(),
            error,
        })?;
    Ok((store, subscribers))
}

/// Serves the messaging and admin services on `listener` until shutdown begins.
fn serve(
    builder: tonic::transport::Server,
    listener: tokio::net::TcpListener,
    shared: &Arc<Shared>,
    max_message_bytes: usize,
) -> JoinHandle<Result<(), tonic::transport::Error>> {
    let frame_limit = max_message_bytes + record::RECORD_OVERHEAD;
    let messaging = SeaweedMessagingServer::new(service::MessagingService {
        shared: Arc::clone(shared),
    })
    .max_decoding_message_size(frame_limit)
    // Records stored under a larger limit (before a restart) are still served.
    .max_encoding_message_size(record::MAX_RECORD_BYTES + record::RECORD_OVERHEAD);
    let admin = SwmqAdminServer::new(admin::AdminService {
        shared: Arc::clone(shared),
    });
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(|s| {
        if let Ok(s) = &s {
            let _ = s.set_nodelay(true);
        }
        s
    });
    let stopping = shared.stopping.clone();
    tokio::spawn(
        builder
            // Clients that vanish without closing (a dead peer, a network partition) are
            // found by HTTP/2 pings, so their subscriptions and publishes end.
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)))
            .add_service(messaging)
            .add_service(admin)
            .serve_with_incoming_shutdown(incoming, async move { stopping.cancelled().await }),
    )
}

/// Syncs the store's dirty partitions every [`BACKGROUND_SYNC`] until shutdown begins.
async fn sync_in_background(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(BACKGROUND_SYNC);
    loop {
        tokio::select! {
            _ = tick.tick() => shared.store.sync_dirty().await,
            _ = shared.stopping.cancelled() => break,
        }
    }
}

/// Writes subscriber records as they change: soon after a wake-up (coalescing what
/// follows it), else every [`subscribers::FLUSH_EVERY`]; never on the publish path.
async fn record_subscribers(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(subscribers::FLUSH_EVERY) => {}
            _ = shared.subscribers.wake.notified() => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ = shared.stopping.cancelled() => break,
        }
        let reg = Arc::clone(&shared.subscribers);
        let _ = tokio::task::spawn_blocking(move || reg.flush_dirty()).await;
    }
}

impl Shared {
    /// The address `FindBroker` answers: the advertised one, except that a broker bound to
    /// an unspecified address (whose bound address, `0.0.0.0:PORT`, reaches nothing from
    /// another host) answers the address the client reached it on.
    fn find_broker_answer(&self, local: Option<SocketAddr>) -> String {
        match local {
            Some(local) if self.advertise_local => local.to_string(),
            _ => self.advertised.clone(),
        }
    }
}

impl RunningBroker {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address `FindBroker` returns.
    pub fn advertised(&self) -> &str {
        &self.shared.advertised
    }

    /// Partition scans of `Grep` searches running now (also in `BrokerInfo`).
    pub fn grep_scans(&self) -> u32 {
        self.shared
            .grep_scans
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stops gracefully: no new connections, subscribers end, in-flight publishes get
    /// [`SHUTDOWN_GRACE`] to finish (then end with UNAVAILABLE), all data is synced and
    /// the indexes saved.
    pub async fn shutdown(self) -> Result<(), BrokerError> {
        self.shared.stopping.cancel();
        let hard = self.shared.hard_stop.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            hard.cancel();
        });
        let mut server = self.server;
        let served = match tokio::time::timeout(SHUTDOWN_GRACE * 2, &mut server).await {
            Ok(Ok(r)) => r.map_err(|e| BrokerError::Server(e.to_string())),
            Ok(Err(e)) => Err(BrokerError::Server(e.to_string())),
            Err(_) => {
                server.abort();
                Ok(())
            }
        };
        timer.abort();
        self.shared.hard_stop.cancel();
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            shared.subscribers.flush_dirty();
            shared.store.shutdown()
        })
        .await
        .map_err(|e| BrokerError::Server(e.to_string()))??;
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = BrokerConfig::new(DEFAULT_LISTEN.parse().unwrap(), "/d".into());
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.listen.port(), 17777);
        assert_eq!(c.segment_bytes, 64 << 20);
        assert_eq!(c.max_message_bytes, 16 << 20);
        assert!(default_data_dir().ends_with("swmq/broker"));
    }

    #[test]
    fn errors_map_to_statuses() {
        let s: tonic::Status = BrokerError::Closed("channel is already closed".into()).into();
        assert_eq!(s.code(), tonic::Code::FailedPrecondition);
        assert_eq!(s.message(), "channel is already closed");
        let s: tonic::Status = BrokerError::InvalidArgument("bad".into()).into();
        assert_eq!(s.code(), tonic::Code::InvalidArgument);
        let s: tonic::Status = BrokerError::NotFound("x".into()).into();
        assert_eq!(s.code(), tonic::Code::NotFound);
    }

    #[tokio::test]
    async fn find_broker_on_an_unspecified_address_answers_the_one_reached() {
        let dir = tempfile::tempdir().unwrap();
        let b = start(BrokerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            dir.path().into(),
        ))
        .await
        .unwrap();
        let reached: SocketAddr = "192.0.2.7:17777".parse().unwrap();
        assert_eq!(
            b.shared.find_broker_answer(Some(reached)),
            b.addr().to_string()
        );
        let shared = Shared {
            store: Arc::new(store::Store::open(dir.path(), b.shared.store.limits()).unwrap()),
            subscribers: Arc::clone(&b.shared.subscribers),
            advertised: "0.0.0.0:17777".into(),
            advertise_local: true,
            started_at_ns: 0,
            stopping: CancellationToken::new(),
            hard_stop: CancellationToken::new(),
            grep_scans: Default::default(),
        };
        assert_eq!(shared.find_broker_answer(Some(reached)), "192.0.2.7:17777");
        b.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn an_unusable_data_dir_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = start(BrokerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            file.clone(),
        ))
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("not-a-dir"), "{err}");
    }
}
