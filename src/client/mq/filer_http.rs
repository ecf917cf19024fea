//! GETs of the filer's and volume servers' HTTP ports (the 4.x log files), HTTP or HTTPS
//! (`docs/tls.md`, HTTPS for the 4.x log-file reads).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1::SendRequest;

use super::files::{http_addr_of, url_path};
use crate::client::{ClientError, ConnectOptions, Transport};

/// The largest log file accepted (the broker flushes ≤ 8 MiB windows; appends to one name
/// can add more, a record can be large).
const MAX_FILE: usize = 1 << 30;

/// How long one HTTP request (connect, answer, whole body) may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// Idle HTTP connections kept for reuse.
const MAX_IDLE: usize = 16;

type Sender = SendRequest<Empty<Bytes>>;

/// How long a filer HTTP port that refused a connection is bypassed (chunks are read from
/// the volume servers meanwhile).
const FILER_DOWN_FOR: Duration = Duration::from_secs(30);

/// GETs over kept-alive HTTP/1.1 connections: to the filer's HTTP port (its gRPC port −
/// 10000, SeaweedFS's convention) and to volume servers. HTTPS with security.toml's
/// `[https.client]` settings when it enables them (as `weed`'s own clients); otherwise
/// plain HTTP, upgraded to HTTPS with the gRPC TLS settings for a server that answers
/// "Client sent an HTTP request to an HTTPS server" (Go's answer on a TLS port).
#[derive(Clone)]
pub struct FilerHttp {
    addr: Result<String, String>,
    /// `[https.client]`: every HTTP connection is HTTPS with these settings.
    https: Option<Transport>,
    /// Plain HTTP (the connect timeout).
    plain: Transport,
    /// The gRPC TLS settings, for servers found to require HTTPS (`None`: plaintext gRPC).
    upgrade: Option<Transport>,
    /// Servers found to require HTTPS (without `[https.client]`).
    tls_addrs: Arc<Mutex<HashSet<String>>>,
    idle: Arc<Mutex<HashMap<String, Vec<Sender>>>>,
    /// When the filer's HTTP port last refused (or was not derivable); `Instant` far in
    /// the future: bypassed for good ([`FilerHttp::bypass_filer_port`]).
    filer_down: Arc<Mutex<Option<Instant>>>,
    /// Volume server addresses by volume id.
    pub(super) volumes: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl std::fmt::Debug for FilerHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilerHttp")
            .field("addr", &self.addr)
            .field("https", &self.https.is_some())
            .finish()
    }
}

pub(super) fn http_error(
    ctx: &str,
    code: tonic::Code,
    message: impl std::fmt::Display,
) -> ClientError {
    ClientError::Rpc {
        context: ctx.to_string(),
        code,
        message: message.to_string(),
    }
}

/// What a GET's problem starts with when the answer could not be parsed as HTTP/1.1: a
/// TLS port, or a header hyper refuses — 4.48's filer sends each log file's extended
/// attributes as headers, `Buffer_start` as 8 raw bytes (`\0\0\0\0\0\0\0\x01`).
const NOT_HTTP: &str = "not an HTTP answer";

/// What Go's `net/http` answers (status 400) to plain HTTP on its TLS port.
const HTTPS_REQUIRED_ANSWER: &str = "HTTP request to an HTTPS server";

/// The problem of a plaintext request to an HTTPS server that swmq has no TLS settings
/// for.
const HTTPS_REQUIRED: &str = "the server requires HTTPS: enable [https.client] (ca, cert, \
     key) in security.toml (--security-toml), or give --tls-ca/--tls-cert/--tls-key";

/// A GET's outcome: the body (`None`: 404) and the `Server` header.
type Got = (Option<Bytes>, String);

impl FilerHttp {
    /// A client of the filer of `opts` (HTTP settings from `opts.https`, else plain HTTP
    /// upgraded with `opts.tls` where required); nothing is connected yet.
    pub fn new(opts: &ConnectOptions) -> Self {
        let grpc = opts.transport();
        FilerHttp {
            addr: http_addr_of(&opts.filer).map_err(|e| e.to_string()),
            https: opts.https.is_some().then(|| opts.http_transport()),
            plain: Transport::plain(opts.connect_timeout),
            upgrade: grpc.is_tls().then_some(grpc),
            tls_addrs: Arc::default(),
            idle: Arc::default(),
            filer_down: Arc::default(),
            volumes: Arc::default(),
        }
    }

    /// The filer's HTTP `HOST:PORT`.
    pub fn addr(&self) -> Result<&str, ClientError> {
        self.addr.as_deref().map_err(|e| ClientError::Invalid {
            what: "filer address".into(),
            detail: e.clone(),
        })
    }

    /// Reads files chunk by chunk from the volume servers from now on, never from the
    /// filer's HTTP port (for a filer whose HTTP port is not reachable from here).
    pub fn bypass_filer_port(&self) {
        if let Ok(mut d) = self.filer_down.lock() {
            *d = Instant::now().checked_add(Duration::from_secs(100 * 365 * 86_400));
        }
    }

    /// How `addr` is reached, and where its TLS settings come from (`None`: plain HTTP).
    fn transport_for(&self, addr: &str) -> (&Transport, Option<&'static str>) {
        if let Some(t) = &self.https {
            return (t, Some("[https.client] of security.toml"));
        }
        let upgraded = self.tls_addrs.lock().is_ok_and(|s| s.contains(addr));
        match &self.upgrade {
            Some(t) if upgraded => (t, Some("the gRPC TLS settings")),
            _ => (&self.plain, None),
        }
    }

    /// The one place HTTP connections are made (TLS goes here).
    async fn connect(&self, addr: &str) -> Result<Sender, ClientError> {
        let (transport, tls_from) = self.transport_for(addr);
        let scheme = if tls_from.is_some() { "https" } else { "http" };
        let io = transport
            .connect_io(addr, &[b"http/1.1"])
            .await
            .map_err(|e| match e {
                ClientError::Tls { problem, .. } => ClientError::Tls {
                    context: format!(
                        "{scheme} {addr} (TLS settings: {})",
                        tls_from.unwrap_or("none")
                    ),
                    problem,
                },
                ClientError::Connect { cause, .. } => ClientError::Connect {
                    addr: format!("{scheme} {addr}"),
                    cause,
                },
                ClientError::Timeout { secs, .. } => ClientError::Timeout {
                    addr: format!("{scheme} {addr}"),
                    secs,
                },
                other => other,
            })?;
        // The filer's answers carry raw binary headers (offset attributes): cleaned.
        let io = hyper_util::rt::TokioIo::new(super::http_head::CleanHeads::new(io));
        let (sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| ClientError::Connect {
                addr: format!("{scheme} {addr}"),
                cause: e.to_string(),
            })?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("http connection ended: {e}");
            }
        });
        Ok(sender)
    }

    async fn sender(&self, addr: &str) -> Result<Sender, ClientError> {
        loop {
            let idle = self
                .idle
                .lock()
                .ok()
                .and_then(|mut m| m.get_mut(addr).and_then(|v| v.pop()));
            match idle {
                Some(mut s) if !s.is_closed() => {
                    if s.ready().await.is_ok() {
                        return Ok(s);
                    }
                }
                Some(_) => {}
                None => return self.connect(addr).await,
            }
        }
    }

    /// GETs `path` from `addr` whole; `None` on 404.
    pub async fn get(&self, addr: &str, path: &str) -> Result<Option<Bytes>, ClientError> {
        Ok(self.get_with_server(addr, path).await?.0)
    }

    /// [`FilerHttp::get`] with the answer's `Server` header; a server that requires HTTPS
    /// is asked again over TLS (with the gRPC settings) when there are any.
    async fn get_with_server(&self, addr: &str, path: &str) -> Result<Got, ClientError> {
        // How this request goes (parallel requests may upgrade the address meanwhile).
        let (_, tls_from) = self.transport_for(addr);
        let text = match self.get_timed(addr, path).await? {
            Ok(got) => return Ok(got),
            Err(text) => text,
        };
        let retry = tls_from.is_none() && self.upgrade.is_some();
        if retry && let Ok(mut s) = self.tls_addrs.lock() {
            tracing::debug!("http {addr} requires HTTPS: using the gRPC TLS settings");
            s.insert(addr.to_string());
            if let Ok(mut m) = self.idle.lock() {
                m.remove(addr);
            }
        } else {
            let problem = if tls_from.is_some() {
                format!("the server refused the HTTPS request: {text}")
            } else if text.starts_with(NOT_HTTP) {
                format!("{HTTPS_REQUIRED} ({text})")
            } else {
                HTTPS_REQUIRED.to_string()
            };
            let scheme = if tls_from.is_some() { "https" } else { "http" };
            return Err(ClientError::Tls {
                context: format!("{scheme} {addr} GET {path}"),
                problem,
            });
        }
        match self.get_timed(addr, path).await? {
            Ok(got) => Ok(got),
            Err(text) => Err(ClientError::Tls {
                context: format!("https {addr} GET {path}"),
                problem: format!("the server refused the HTTPS request: {text}"),
            }),
        }
    }

    /// One GET within [`HTTP_TIMEOUT`]; `Ok(Err(text))`: the server wants HTTPS.
    async fn get_timed(&self, addr: &str, path: &str) -> Result<Result<Got, String>, ClientError> {
        tokio::time::timeout(HTTP_TIMEOUT, self.get_inner(addr, path))
            .await
            .map_err(|_| ClientError::Timeout {
                addr: format!("http {addr} GET {path}"),
                secs: HTTP_TIMEOUT.as_secs_f64(),
            })?
    }

    async fn get_inner(&self, addr: &str, path: &str) -> Result<Result<Got, String>, ClientError> {
        let mut s = self.sender(addr).await?;
        let req = http::Request::get(path)
            .header(http::header::HOST, addr)
            .body(Empty::<Bytes>::new())
            .map_err(|e| ClientError::invalid("http path", format!("{path:?}: {e}")))?;
        let ctx = format!("http {addr} GET {path}");
        let resp = match s.send_request(req).await {
            Ok(r) => r,
            // An answer that is not HTTP: taken for a TLS port that is not Go's (Go answers
            // plain HTTP on its TLS port with a 400, above). The filer's binary headers
            // that hyper refused are cleaned by `CleanHeads` (docs/tls.md).
            Err(e) if e.is_parse() => return Ok(Err(format!("{NOT_HTTP}: {e}"))),
            Err(e) => return Err(http_error(&ctx, tonic::Code::Unavailable, e)),
        };
        let status = resp.status();
        let server = resp
            .headers()
            .get(http::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = Limited::new(resp.into_body(), MAX_FILE)
            .collect()
            .await
            .map_err(|e| http_error(&ctx, tonic::Code::Unavailable, format!("body: {e}")))?
            .to_bytes();
        let text = || String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        if status == http::StatusCode::BAD_REQUEST && text().contains(HTTPS_REQUIRED_ANSWER) {
            return Ok(Err(text().trim().to_string()));
        }
        if let Ok(mut m) = self.idle.lock() {
            let v = m.entry(addr.to_string()).or_default();
            if v.len() < MAX_IDLE {
                v.push(s);
            }
        }
        match status.as_u16() {
            200 => Ok(Ok((Some(body), server))),
            404 => Ok(Ok((None, server))),
            code => {
                let grpc = if code >= 500 {
                    tonic::Code::Unavailable
                } else {
                    tonic::Code::Internal
                };
                Err(http_error(&ctx, grpc, format!("HTTP {status}: {}", text())))
            }
        }
    }

    /// GETs a filer path from the filer's HTTP port: `Err(None)` when that port cannot be
    /// used (not derivable, or refusing: the caller reads the chunks instead).
    pub(super) async fn get_filer(&self, path: &str) -> Result<Option<Bytes>, Option<ClientError>> {
        let down = self.filer_down.lock().ok().and_then(|d| *d);
        if down.is_some_and(|at| at.elapsed() < FILER_DOWN_FOR) {
            return Err(None);
        }
        let Ok(addr) = self.addr() else {
            return Err(None);
        };
        let mark_down = |why: &str| {
            tracing::debug!("filer http {addr}: {why}; reading chunks from volume servers");
            if let Ok(mut d) = self.filer_down.lock() {
                *d = Some(Instant::now());
            }
        };
        match self.get_with_server(addr, &url_path(path)).await {
            // The filer says `SeaweedFS <version>` (volume servers and masters name
            // themselves): anything else on that port is not the filer.
            Ok((b, server)) if is_filer_server(&server) => Ok(b),
            Ok((_, server)) => {
                mark_down(&format!("answered by {server:?}, not a filer"));
                Err(None)
            }
            Err(ClientError::Connect { cause, .. }) => {
                mark_down(&cause);
                Err(None)
            }
            // HTTPS to a plaintext port: not the filer (whose port would speak TLS too).
            Err(ClientError::Tls { problem, .. }) if problem == crate::client::tls::NOT_TLS => {
                mark_down(&problem);
                Err(None)
            }
            // An answer hyper cannot parse: 4.48's plaintext filer sends a log file's binary
            // `buffer_start` attribute as a raw header. The volume servers serve the chunks
            // without it (and a TLS-only cluster says so there).
            Err(ClientError::Tls { problem, .. }) if problem.contains(NOT_HTTP) => {
                mark_down(&problem);
                Err(None)
            }
            Err(e) => Err(Some(e)),
        }
    }
}

/// Whether a `Server` header is a SeaweedFS filer's (`SeaweedFS 4.48`).
pub(crate) fn is_filer_server(s: &str) -> bool {
    s.strip_prefix("SeaweedFS ")
        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}
