//! SeaweedFS `security.toml`: the TLS settings a client of the cluster uses.
//!
//! Like `weed`, the file is looked up in `./security.toml`, `~/.seaweedfs/security.toml`
//! and `/etc/seaweedfs/security.toml` (first found), unless a path is given. A client
//! takes the CA from `[grpc] ca` (or `[grpc.client] ca`), its certificate from
//! `[grpc.client] cert`/`key`, and for HTTP reads `[https.client]` (`enabled`, `cert`,
//! `key`, `ca`). Every other section (jwt, the servers' own certificates) is ignored.
//! Empty strings count as unset (weed's template has `cert = ""`). Relative paths are
//! taken relative to the file's directory.

use std::path::{Path, PathBuf};

use super::file::{FileProblem, toml_problem};
use crate::client::TlsOptions;

/// Environment variable with the path of a `security.toml`.
pub(crate) const ENV_SECURITY_TOML: &str = "SWMQ_SECURITY_TOML";

/// The TLS settings read from a `security.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SecurityToml {
    /// The file.
    pub path: PathBuf,
    /// gRPC: `[grpc] ca`, `[grpc.client] cert`/`key`. Disabled when the file has no CA
    /// (a cluster without gRPC TLS).
    pub grpc: TlsOptions,
    /// HTTPS for the filer's and volume servers' HTTP ports (`[https.client]` with
    /// `enabled = true`).
    pub https: Option<TlsOptions>,
}

/// Where `weed` looks for `security.toml`, in order.
pub(crate) fn lookup_paths(home: Option<&Path>) -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from("security.toml")];
    if let Some(h) = home {
        v.push(h.join(".seaweedfs").join("security.toml"));
    }
    v.push(PathBuf::from("/etc/seaweedfs/security.toml"));
    v
}

/// The first existing file of [`lookup_paths`].
pub(crate) fn lookup(home: Option<&Path>) -> Option<PathBuf> {
    lookup_paths(home).into_iter().find(|p| p.is_file())
}

/// Reads and parses `path`.
pub(crate) fn read(path: &Path) -> Result<SecurityToml, FileProblem> {
    let text = std::fs::read_to_string(path).map_err(|e| FileProblem {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot read it: {e}"),
    })?;
    parse(path, &text)
}

/// Parses the text of `path`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<SecurityToml, FileProblem> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_problem(path, text, &e))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let get = |section: &[&str], key: &str| -> Result<Option<String>, FileProblem> {
        let mut t = &table;
        for s in section {
            match t.get(*s) {
                Some(toml::Value::Table(inner)) => t = inner,
                _ => return Ok(None),
            }
        }
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(FileProblem {
                path: path.to_path_buf(),
                line: None,
                message: format!(
                    "[{}] {key} must be a string, not {}",
                    section.join("."),
                    other.type_str()
                ),
            }),
        }
    };
    let file = |s: Option<String>| s.map(|s| base.join(s));
    let ca = file(get(&["grpc"], "ca")?.or(get(&["grpc", "client"], "ca")?));
    let grpc = if ca.is_some() {
        TlsOptions {
            ca,
            cert: file(get(&["grpc", "client"], "cert")?),
            key: file(get(&["grpc", "client"], "key")?),
            server_name: None,
        }
    } else {
        TlsOptions::default()
    };
    let https_enabled = matches!(
        table
            .get("https")
            .and_then(|h| h.get("client"))
            .and_then(|c| c.get("enabled")),
        Some(toml::Value::Boolean(true))
    );
    let https = https_enabled
        .then(|| -> Result<TlsOptions, FileProblem> {
            Ok(TlsOptions {
                ca: file(get(&["https", "client"], "ca")?),
                cert: file(get(&["https", "client"], "cert")?),
                key: file(get(&["https", "client"], "key")?),
                server_name: None,
            })
        })
        .transpose()?;
    Ok(SecurityToml {
        path: path.to_path_buf(),
        grpc,
        https,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_client_sections() {
        let text = r#"
[jwt.signing]
key = "secret"
[grpc]
ca = "tls/ca.crt"
[grpc.msg_broker]
cert = "tls/broker.crt"
key = "tls/broker.key"
[grpc.client]
cert = "/abs/client.crt"
key = "tls/client.key"
[https.client]
enabled = true
ca = "tls/ca.crt"
"#;
        let s = parse(Path::new("/etc/sw/security.toml"), text).unwrap();
        assert_eq!(s.grpc.ca, Some(PathBuf::from("/etc/sw/tls/ca.crt")));
        assert_eq!(s.grpc.cert, Some(PathBuf::from("/abs/client.crt")));
        assert_eq!(s.grpc.key, Some(PathBuf::from("/etc/sw/tls/client.key")));
        let https = s.https.unwrap();
        assert_eq!(https.ca, Some(PathBuf::from("/etc/sw/tls/ca.crt")));
        assert_eq!(https.cert, None);
    }

    #[test]
    fn the_template_with_empty_values_is_plaintext() {
        let text = "[grpc]\nca = \"\"\n[grpc.client]\ncert = \"\"\nkey = \"\"\n\
                    [https.client]\nenabled = false\n";
        let s = parse(Path::new("security.toml"), text).unwrap();
        assert!(!s.grpc.is_enabled());
        assert_eq!(s.https, None);
    }

    #[test]
    fn problems_name_the_line() {
        let e = parse(Path::new("/s.toml"), "[grpc]\nca = 3\n").unwrap_err();
        assert!(e.message.contains("[grpc] ca must be a string"), "{e}");
        let e = parse(Path::new("/s.toml"), "[grpc]\nca = \"x\"\n[grpc\n").unwrap_err();
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn lookup_order_is_weeds() {
        let p = lookup_paths(Some(Path::new("/home/u")));
        assert_eq!(
            p,
            vec![
                PathBuf::from("security.toml"),
                PathBuf::from("/home/u/.seaweedfs/security.toml"),
                PathBuf::from("/etc/seaweedfs/security.toml"),
            ]
        );
    }
}
