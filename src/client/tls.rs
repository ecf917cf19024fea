//! TLS for every client connection: loading `--tls-*` / `security.toml` files into a rustls
//! client configuration, verifying the way SeaweedFS does, and turning TLS failures into
//! one line that says what to fix.
//!
//! SeaweedFS verifies the certificate chain only, never the host name (see
//! `docs/tls.md`): a cluster whose certificates name no host is normal. So the server's
//! chain is always verified against the CA, and its name only when the user gives one
//! (`--tls-server-name`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;

use super::ClientError;

/// TLS settings of a connection (all `None`: plaintext).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsOptions {
    /// CA certificate(s) (PEM) the server's chain must lead to.
    pub ca: Option<PathBuf>,
    /// Client certificate chain (PEM), for servers that require one (mTLS).
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key: Option<PathBuf>,
    /// Verify the server's certificate against this name too (chain-only otherwise).
    pub server_name: Option<String>,
}

impl TlsOptions {
    /// Whether TLS is on (any setting given).
    pub fn is_enabled(&self) -> bool {
        self.ca.is_some() || self.cert.is_some() || self.key.is_some() || self.server_name.is_some()
    }
}

/// A loaded TLS client setup.
#[derive(Debug, Clone)]
pub(crate) struct TlsSetup {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) server_name: Option<String>,
}

/// A TLS failure, already phrased for the user (one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TlsFailure(pub String);

/// The ring crypto provider (one per process is enough; it is stateless).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(what: &str, path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|e| ClientError::invalid(what, format!("{}: {e}", path.display())))
}

/// Every certificate of a PEM file (at least one).
pub(crate) fn load_certs(
    what: &str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let pem = read(what, path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| ClientError::invalid(what, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ClientError::invalid(
            what,
            format!("{}: no PEM certificate in this file", path.display()),
        ));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn load_key(what: &str, path: &Path) -> Result<PrivateKeyDer<'static>, ClientError> {
    let pem = read(what, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        ClientError::invalid(
            what,
            format!("{}: no usable PEM private key ({e})", path.display()),
        )
    })
}

/// A root store with every certificate of the CA file.
pub(crate) fn root_store(path: &Path) -> Result<rustls::RootCertStore, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in load_certs("--tls-ca", path)? {
        roots
            .add(cert)
            .map_err(|e| ClientError::invalid("--tls-ca", format!("{}: {e}", path.display())))?;
    }
    Ok(roots)
}

impl TlsSetup {
    /// Loads the files of `opts` into a client configuration offering `alpn`.
    pub(crate) fn load(opts: &TlsOptions, alpn: &[&[u8]]) -> Result<TlsSetup, ClientError> {
        let Some(ca) = &opts.ca else {
            return Err(ClientError::invalid(
                "TLS settings",
                "TLS needs the CA that signed the server's certificate: give --tls-ca \
                 (security.toml: [grpc] ca)",
            ));
        };
        let provider = provider();
        let inner = WebPkiServerVerifier::builder_with_provider(
            Arc::new(root_store(ca)?),
            Arc::clone(&provider),
        )
        .build()
        .map_err(|e| ClientError::invalid("--tls-ca", format!("{}: {e}", ca.display())))?;
        let verifier = Arc::new(ChainVerifier {
            inner,
            check_name: opts.server_name.is_some(),
        });
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::invalid("TLS settings", e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match (&opts.cert, &opts.key) {
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(load_certs("--tls-cert", cert)?, load_key("--tls-key", key)?)
                .map_err(|e| {
                    ClientError::invalid(
                        "--tls-cert/--tls-key",
                        format!("{} and {}: {e}", cert.display(), key.display()),
                    )
                })?,
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err(ClientError::invalid("--tls-cert", "needs --tls-key too"));
            }
            (None, Some(_)) => {
                return Err(ClientError::invalid("--tls-key", "needs --tls-cert too"));
            }
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(TlsSetup {
            config: Arc::new(config),
            server_name: opts.server_name.clone(),
        })
    }

    /// The name sent (SNI) and, with `--tls-server-name`, verified: that name, else the
    /// host of `addr` (an IP address or a DNS name), else a placeholder (chain-only
    /// verification does not use it).
    pub(crate) fn server_name_for(&self, addr: &str) -> ServerName<'static> {
        let host = self
            .server_name
            .clone()
            .unwrap_or_else(|| host_of(addr).to_string());
        ServerName::try_from(host)
            .unwrap_or_else(|_| ServerName::try_from("swmq.invalid").expect("a valid DNS name"))
    }
}

/// The host part of `HOST:PORT` / `[V6]:PORT`.
pub(crate) fn host_of(addr: &str) -> &str {
    let a = addr.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match a.rsplit_once(':') {
        Some((h, _)) => h,
        None => a,
    }
}

/// Verifies the chain (and expiry) always, and the name only when the user gave one: what
/// SeaweedFS itself does, with the stricter check available.
#[derive(Debug)]
struct ChainVerifier {
    inner: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain (and validity dates) before the name, so a name error
        // means the chain was good.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What a client sees when the server refuses its certificate (or the lack of one).
const NEEDS_CLIENT_CERT: &str = "the server requires a client certificate signed by its CA: \
     check --tls-cert and --tls-key (security.toml: [grpc.client])";

/// One line for a rustls error seen by a client; `name` is the name verified against.
pub(crate) fn describe_rustls(e: &rustls::Error, name: Option<&str>) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => describe_certificate_error(c, name),
        E::AlertReceived(a) => match a {
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied => NEEDS_CLIENT_CERT.to_string(),
            AlertDescription::CertificateExpired => {
                "the server refused the client certificate: it has expired (--tls-cert)".into()
            }
            AlertDescription::NoApplicationProtocol => {
                "the server refused TLS: no common application protocol (it wants no h2?)".into()
            }
            other => format!("the server ended the TLS handshake: {other:?}"),
        },
        E::InvalidMessage(_) => NOT_TLS.to_string(),
        other => format!("TLS failed: {other}"),
    }
}

fn describe_certificate_error(c: &CertificateError, name: Option<&str>) -> String {
    match c {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            "certificate signed by an unknown authority: check --tls-ca".into()
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".into()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (check the clocks)".into()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "the server's certificate does not match the host name {}: check \
                 --tls-server-name",
                name.unwrap_or("given")
            )
        }
        CertificateError::Revoked => "the server's certificate is revoked".into(),
        other => format!("the server's certificate is not acceptable: {other:?}"),
    }
}

/// TLS was spoken to something that does not speak it.
pub(crate) const NOT_TLS: &str = "the server does not speak TLS (a plaintext port?): \
     drop the --tls-* settings or use the server's TLS port";

/// Plaintext was spoken to a TLS port.
pub(crate) const NEEDS_TLS: &str = "the server requires TLS (plaintext refused): give --tls-ca, \
     --tls-cert and --tls-key, or --security-toml";

/// The user-facing TLS problem somewhere in an error's chain (a [`TlsFailure`] of our
/// connector, a rustls error inside an I/O error, or a TLS alert named in a message).
pub(crate) fn tls_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(f) = e.downcast_ref::<TlsFailure>() {
            return Some(f.0.clone());
        }
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls(r, None));
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn std::error::Error + 'static) = inner;
            if let Some(p) = tls_problem(inner) {
                return Some(p);
            }
        }
        if let Some(p) = alert_in_text(&e.to_string()) {
            return Some(p);
        }
        cur = e.source();
    }
    None
}

/// A TLS alert named in an error message (`received fatal alert: CertificateRequired`):
/// some layers (h2) keep only the text of the I/O error that ended the connection.
fn alert_in_text(msg: &str) -> Option<String> {
    let alert = msg.split("received fatal alert: ").nth(1)?;
    let name = alert.split(|c: char| !c.is_alphanumeric()).next()?;
    let a = match name {
        "CertificateRequired" => AlertDescription::CertificateRequired,
        "BadCertificate" => AlertDescription::BadCertificate,
        "UnknownCA" => AlertDescription::UnknownCA,
        "CertificateExpired" => AlertDescription::CertificateExpired,
        "AccessDenied" => AlertDescription::AccessDenied,
        _ => return Some(format!("the server ended the TLS connection: {name}")),
    };
    Some(describe_rustls(&rustls::Error::AlertReceived(a), None))
}

/// The TLS problem behind a gRPC status, if any.
pub(crate) fn status_tls_problem(status: &tonic::Status) -> Option<String> {
    if let Some(p) = alert_in_text(status.message()) {
        return Some(p);
    }
    if status.message().contains(NOT_TLS) || status.message().contains(NEEDS_TLS) {
        return Some(status.message().to_string());
    }
    let src = std::error::Error::source(status)?;
    tls_problem(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("127.0.0.1:17777"), "127.0.0.1");
        assert_eq!(host_of("[::1]:17777"), "::1");
        assert_eq!(host_of("broker.example"), "broker.example");
    }

    #[test]
    fn messages_name_the_fix() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(
            describe_rustls(&unknown, None),
            "certificate signed by an unknown authority: check --tls-ca"
        );
        let req = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        assert!(describe_rustls(&req, None).starts_with("the server requires a client cert"));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, req);
        assert!(
            tls_problem(&io)
                .unwrap()
                .contains("requires a client certificate")
        );
        assert!(
            alert_in_text("h2: received fatal alert: UnknownCA")
                .unwrap()
                .contains("client certificate")
        );
        assert_eq!(alert_in_text("connection refused"), None);
    }

    #[test]
    fn settings_are_checked() {
        let no_ca = TlsOptions {
            cert: Some("c.pem".into()),
            ..Default::default()
        };
        let e = TlsSetup::load(&no_ca, &[]).unwrap_err().to_string();
        assert!(e.contains("--tls-ca"), "{e}");
        let missing = TlsOptions {
            ca: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let e = TlsSetup::load(&missing, &[]).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }
}
