//! Certificates for TLS tests, generated with rcgen into a directory: a CA, a server
//! certificate (for `127.0.0.1` and `localhost`), a client certificate, an expired server
//! certificate, a certificate of another CA, and a `security.toml` for `weed`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// Generated PEM files.
#[derive(Debug, Clone)]
pub(crate) struct Certs {
    /// The directory holding them.
    pub dir: PathBuf,
    /// The CA certificate.
    pub ca: PathBuf,
    /// Server certificate and key (SANs 127.0.0.1 and localhost), signed by the CA.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// Server certificate that expired in 2021, signed by the CA.
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
    /// Client certificate and key, signed by the CA.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Another CA, and a client certificate it signed.
    pub other_ca: PathBuf,
    pub other_client_cert: PathBuf,
    pub other_client_key: PathBuf,
}

fn ca(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let key = KeyPair::generate().expect("CA key");
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = p.self_signed(&key).expect("self-signed CA");
    (Issuer::new(p, key), cert.pem())
}

/// A leaf certificate (server and client use) signed by `issuer`: (cert PEM, key PEM).
fn leaf(issuer: &Issuer<'_, KeyPair>, cn: &str, expired: bool) -> (String, String) {
    let key = KeyPair::generate().expect("leaf key");
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    p.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = p.signed_by(&key, issuer).expect("signed leaf");
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, pem).expect("write PEM");
    p
}

/// Generates every certificate into `dir`.
pub(crate) fn generate(dir: &Path) -> Certs {
    std::fs::create_dir_all(dir).expect("cert dir");
    let (ca_issuer, ca_pem) = ca("swmq test CA");
    let (other_issuer, other_pem) = ca("some other CA");
    let (sc, sk) = leaf(&ca_issuer, "swmq test server", false);
    let (ec, ek) = leaf(&ca_issuer, "swmq expired server", true);
    let (cc, ck) = leaf(&ca_issuer, "swmq test client", false);
    let (oc, ok) = leaf(&other_issuer, "stranger", false);
    Certs {
        dir: dir.to_path_buf(),
        ca: write(dir, "ca.crt", &ca_pem),
        server_cert: write(dir, "server.crt", &sc),
        server_key: write(dir, "server.key", &sk),
        expired_cert: write(dir, "expired.crt", &ec),
        expired_key: write(dir, "expired.key", &ek),
        client_cert: write(dir, "client.crt", &cc),
        client_key: write(dir, "client.key", &ck),
        other_ca: write(dir, "other-ca.crt", &other_pem),
        other_client_cert: write(dir, "other-client.crt", &oc),
        other_client_key: write(dir, "other-client.key", &ok),
    }
}

impl Certs {
    /// A `security.toml` for `weed` (every server section and `[grpc.client]`), with
    /// absolute paths.
    pub(crate) fn security_toml(&self) -> String {
        let (ca, c, k) = (
            self.ca.display(),
            self.server_cert.display(),
            self.server_key.display(),
        );
        let mut s = format!("[grpc]\nca = \"{ca}\"\n\n");
        for section in ["master", "volume", "filer", "msg_broker", "client"] {
            s.push_str(&format!(
                "[grpc.{section}]\ncert = \"{c}\"\nkey = \"{k}\"\n\n"
            ));
        }
        s
    }

    /// [`Certs::security_toml`] with HTTPS on the filer's and volume servers' HTTP ports
    /// (client certificates required: `ca` given) and `[https.client]` for weed's own
    /// clients (and swmq's, when it reads this file).
    pub(crate) fn security_toml_https(&self) -> String {
        self.security_toml() + &self.https_sections(&self.ca)
    }

    /// The `[https.*]` sections, `[https.client]` verifying servers against `client_ca`.
    pub(crate) fn https_sections(&self, client_ca: &Path) -> String {
        let (ca, c, k) = (
            self.ca.display(),
            self.server_cert.display(),
            self.server_key.display(),
        );
        let client_ca = client_ca.display();
        let mut s = format!(
            "[https.client]\nenabled = true\nca = \"{client_ca}\"\ncert = \"{c}\"\n\
             key = \"{k}\"\n\n"
        );
        for section in ["filer", "volume"] {
            s.push_str(&format!(
                "[https.{section}]\ncert = \"{c}\"\nkey = \"{k}\"\nca = \"{ca}\"\n\n"
            ));
        }
        s
    }

    /// Client TLS options: the CA and the client certificate.
    pub(crate) fn client_options(&self) -> swmq::client::TlsOptions {
        swmq::client::TlsOptions {
            ca: Some(self.ca.clone()),
            cert: Some(self.client_cert.clone()),
            key: Some(self.client_key.clone()),
            server_name: None,
        }
    }
}

/// Reads `topic` from the earliest record to the current end and counts the records (the
/// read must end within `secs`).
pub(crate) async fn count_history(
    client: &swmq::client::Client,
    topic: &swmq::client::TopicName,
    secs: u64,
) -> usize {
    let spec = swmq::client::ReadSpec {
        from: swmq::time::TimeSpec::Earliest,
        follow: false,
        ..Default::default()
    };
    let mut s = client.read(topic, spec).await.expect("read");
    let mut n = 0;
    while let Some(ev) = tokio::time::timeout(std::time::Duration::from_secs(secs), s.next())
        .await
        .expect("the read ends")
    {
        if let swmq::client::ReadEvent::Records(rs) = ev.expect("read event") {
            n += rs.len();
        }
    }
    n
}
