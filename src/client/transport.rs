//! Every connection swmq makes is built here: gRPC channels to brokers and filers (HTTP/2
//! windows, TCP options, connect timeout), TLS on top of them, and plain byte streams for
//! the filer's HTTP port. The connection defaults are defined here once.
//!
//! One connector serves plaintext and TLS alike, so every channel gets the same options and
//! every TLS failure the same one-line explanation ([`super::tls`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_util::either::Either;
use tonic::transport::{Channel, Endpoint, Uri};

use super::ClientError;
use super::tls::{self, TlsFailure, TlsOptions, TlsSetup};

/// Default broker address.
pub(crate) const DEFAULT_BROKER: &str = "localhost:17777";
/// Default filer gRPC address.
pub(crate) const DEFAULT_FILER: &str = "localhost:18888";
/// Default connect (and protocol detection) timeout.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// HTTP/2 stream window of every channel.
const STREAM_WINDOW: u32 = 8 << 20;
/// HTTP/2 connection window of every channel.
const CONNECTION_WINDOW: u32 = 32 << 20;

/// A connected byte stream, plaintext or TLS.
pub(crate) type Io = Either<TcpStream, tokio_rustls::client::TlsStream<TcpStream>>;

/// How to reach servers: the connect timeout and the TLS settings.
#[derive(Debug, Clone)]
pub struct Transport {
    /// Connect timeout (TCP and TLS handshake).
    pub connect_timeout: Duration,
    /// TLS settings (disabled: plaintext).
    pub tls: TlsOptions,
}

impl Default for Transport {
    fn default() -> Self {
        Transport::plain(DEFAULT_CONNECT_TIMEOUT)
    }
}

/// Strips a scheme and builds an `http://` endpoint URI for `addr` (TLS is added by our
/// connector, not by tonic, so the scheme is always `http`).
pub fn endpoint_uri(addr: &str) -> String {
    let a = addr
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_start_matches("grpc://");
    format!("http://{a}")
}

/// A plaintext channel to `addr` with the given connect timeout (see
/// [`Transport::channel`]).
pub async fn open_channel(addr: &str, timeout: Duration) -> Result<Channel, ClientError> {
    Transport::plain(timeout).channel(addr).await
}

impl Transport {
    /// Plaintext with this connect timeout.
    pub fn plain(connect_timeout: Duration) -> Self {
        Transport {
            connect_timeout,
            tls: TlsOptions::default(),
        }
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_enabled()
    }

    fn setup(&self, alpn: &[&[u8]]) -> Result<Option<Arc<TlsSetup>>, ClientError> {
        if !self.tls.is_enabled() {
            return Ok(None);
        }
        TlsSetup::load(&self.tls, alpn).map(|s| Some(Arc::new(s)))
    }

    /// The rustls client configuration for other protocols (the filer's HTTPS port):
    /// `None` when TLS is off. `alpn` lists the protocols to offer (`b"http/1.1"`).
    pub fn tls_client_config(
        &self,
        alpn: &[&[u8]],
    ) -> Result<Option<Arc<rustls::ClientConfig>>, ClientError> {
        Ok(self.setup(alpn)?.map(|s| Arc::clone(&s.config)))
    }

    /// A byte stream to `addr` (TLS when configured, offering `alpn`), for HTTP clients.
    /// Failures are one line naming the address and what to fix.
    pub async fn connect_io(&self, addr: &str, alpn: &[&[u8]]) -> Result<Io, ClientError> {
        let setup = self.setup(alpn)?;
        let fut = connect_stream(addr.to_string(), setup);
        match tokio::time::timeout(self.connect_timeout, fut).await {
            Err(_) => Err(self.timeout_error(addr)),
            Ok(Ok(io)) => Ok(io),
            Ok(Err(e)) => Err(self.connect_error(addr, &*e)),
        }
    }

    /// A gRPC channel to `addr`, connected now (so that a dead address or a TLS problem
    /// fails here with a clear error). Reconnects by itself afterwards.
    pub async fn channel(&self, addr: &str) -> Result<Channel, ClientError> {
        let connector = Connector {
            tls: self.setup(&[b"h2"])?,
        };
        let ep = Endpoint::from_shared(endpoint_uri(addr))
            .map_err(|e| ClientError::invalid("address", format!("{addr:?}: {e}")))?
            .connect_timeout(self.connect_timeout)
            // No adaptive window: its BDP pings make grpc-go servers (weed 4.48) answer
            // GOAWAY ENHANCE_YOUR_CALM "too_many_pings" during a fast publish (seen).
            // Large fixed windows: h2 (0.4.19+) closes a connection with GOAWAY
            // ENHANCE_YOUR_CALM "too_many_data_frames" when unread small DATA frames exceed
            // a budget of half the connection window, and weed 4.48 sends one small frame
            // per message (and per ack). 32 MiB gives a 16 MiB budget: no trip while a
            // slower consumer (a debug build, a paused terminal) falls behind.
            .initial_stream_window_size(Some(STREAM_WINDOW))
            .initial_connection_window_size(Some(CONNECTION_WINDOW));
        match tokio::time::timeout(self.connect_timeout, ep.connect_with_connector(connector)).await
        {
            Err(_) => Err(self.timeout_error(addr)),
            Ok(Err(e)) => Err(self.connect_error(addr, &e)),
            Ok(Ok(ch)) => Ok(ch),
        }
    }

    fn timeout_error(&self, addr: &str) -> ClientError {
        ClientError::Timeout {
            addr: addr.to_string(),
            secs: self.connect_timeout.as_secs_f64(),
        }
    }

    fn connect_error(&self, addr: &str, e: &(dyn std::error::Error + 'static)) -> ClientError {
        if let Some(problem) = tls::tls_problem(e) {
            return ClientError::Tls {
                context: format!("cannot connect to {addr}"),
                problem,
            };
        }
        let cause = error_chain(e);
        if cause.contains("timed out") {
            self.timeout_error(addr)
        } else {
            ClientError::Connect {
                addr: addr.to_string(),
                cause,
            }
        }
    }

    /// Why a TLS server refuses us, found on a fresh connection: a TLS 1.3 server judges
    /// the client certificate after the client's side of the handshake, so its alert
    /// (`CertificateRequired`, `BadCertificate`, …) only arrives on the first read, and a
    /// gRPC call may see a reset instead. `None`: no refusal seen.
    pub async fn tls_refusal(&self, addr: &str) -> Option<String> {
        let setup = self.setup(&[b"h2"]).ok()??;
        let probe = async {
            let mut io = match connect_stream(addr.to_string(), Some(setup)).await {
                Ok(io) => io,
                Err(e) => return tls::tls_problem(&*e),
            };
            // An accepting server sends its HTTP/2 settings at once; a refusing one its
            // alert. Nothing is written, so that no reset can hide the alert.
            let mut buf = [0u8; 1];
            match io.read(&mut buf).await {
                Err(e) => tls::tls_problem(&e),
                Ok(_) => None,
            }
        };
        let limit = self.connect_timeout.min(Duration::from_secs(2));
        tokio::time::timeout(limit, probe).await.ok().flatten()
    }

    /// Whether something at `addr` answers a TLS ClientHello with TLS (to explain a
    /// plaintext connection that a TLS server dropped). Any doubt is `false`.
    pub async fn speaks_tls(&self, addr: &str) -> bool {
        let probe = async {
            let mut tcp = TcpStream::connect(host_port(addr)).await.ok()?;
            let config = probe_config();
            let name = rustls::pki_types::ServerName::try_from("swmq.invalid").ok()?;
            let mut conn = rustls::ClientConnection::new(config, name).ok()?;
            let mut hello = Vec::new();
            conn.write_tls(&mut hello).ok()?;
            tcp.write_all(&hello).await.ok()?;
            let mut head = [0u8; 3];
            tcp.read_exact(&mut head).await.ok()?;
            // A TLS record: handshake (22) or alert (21), version 3.x.
            Some(matches!(head, [21 | 22, 3, _]))
        };
        matches!(
            tokio::time::timeout(self.connect_timeout, probe).await,
            Ok(Some(true))
        )
    }
}

/// A client configuration that accepts any server (only for [`Transport::speaks_tls`],
/// which never sends data over it).
fn probe_config() -> Arc<rustls::ClientConfig> {
    #[derive(Debug)]
    struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);
    impl rustls::client::danger::ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn verify_tls13_signature(
            &self,
            _: &[u8],
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = tls::provider();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// `HOST:PORT` of an address that may carry a scheme.
fn host_port(addr: &str) -> String {
    endpoint_uri(addr).trim_start_matches("http://").to_string()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// TCP (no Nagle) and, when configured, a TLS handshake with one-line failures.
async fn connect_stream(addr: String, tls: Option<Arc<TlsSetup>>) -> Result<Io, BoxError> {
    let tcp = TcpStream::connect(host_port(&addr)).await?;
    let _ = tcp.set_nodelay(true);
    let Some(tls) = tls else {
        return Ok(Either::Left(tcp));
    };
    let name = tls.server_name_for(&addr);
    let shown = name.to_str().into_owned();
    match TlsConnector::from(Arc::clone(&tls.config))
        .connect(name, tcp)
        .await
    {
        Ok(s) => Ok(Either::Right(s)),
        Err(e) => {
            let problem = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(r) => tls::describe_rustls(r, Some(&shown)),
                // The peer hung up during the handshake: it does not speak TLS.
                None if e.kind() == std::io::ErrorKind::UnexpectedEof => tls::NOT_TLS.into(),
                None => format!("TLS handshake failed: {e}"),
            };
            Err(Box::new(TlsFailure(problem)))
        }
    }
}

/// The tower connector tonic calls for each (re)connection.
#[derive(Clone)]
struct Connector {
    tls: Option<Arc<TlsSetup>>,
}

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<Io>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let tls = self.tls.clone();
        Box::pin(async move {
            let addr = uri
                .authority()
                .map(|a| a.to_string())
                .ok_or_else(|| format!("{uri}: no host:port"))?;
            connect_stream(addr, tls).await.map(TokioIo::new)
        })
    }
}

/// The innermost meaningful message of an error chain (`connection refused`, …).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msgs = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        msgs.push(s.to_string());
        cur = s.source();
    }
    msgs.dedup();
    msgs.last().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(endpoint_uri("h:1"), "http://h:1");
        assert_eq!(endpoint_uri(" https://h:1"), "http://h:1");
        assert_eq!(host_port("grpc://h:1"), "h:1");
    }

    #[tokio::test]
    async fn a_dead_port_names_the_address() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let t = Transport::plain(Duration::from_secs(2));
        let e = t.channel(&addr).await.unwrap_err();
        assert!(matches!(e, ClientError::Connect { .. }), "{e:?}");
        assert!(e.to_string().contains(&addr), "{e}");
        assert!(!t.speaks_tls(&addr).await);
    }
}
