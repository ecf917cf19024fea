//! The config file, `$XDG_CONFIG_HOME/swmq/config.toml` (or `$SWMQ_CONFIG`): named
//! contexts and the default one. Reading never fails: a broken file is one warning naming
//! the file, the line and the problem, and swmq goes on with the defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::client::ProtocolChoice;

/// Environment variable with the config file's path (instead of the XDG location).
pub(crate) const ENV_CONFIG: &str = "SWMQ_CONFIG";

/// The parsed config file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigFile {
    /// The context used when neither `--context` nor `SWMQ_CONTEXT` names one.
    pub current_context: Option<String>,
    /// Named contexts.
    #[serde(default)]
    pub contexts: BTreeMap<String, ContextSettings>,
}

/// One named context: where a cluster is and how to talk to it. Unset values fall back
/// to the defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ContextSettings {
    /// Broker gRPC `HOST:PORT`.
    pub broker: Option<String>,
    /// Filer gRPC `HOST:PORT`.
    pub filer: Option<String>,
    /// `auto`, `mq` or `legacy`.
    pub protocol: Option<ProtocolChoice>,
    /// Refuse every mutation, whatever the flags (production).
    pub read_only: Option<bool>,
    /// Show times in UTC.
    pub utc: Option<bool>,
    /// Connect timeout in seconds.
    pub connect_timeout: Option<f64>,
    /// CA certificate (PEM).
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM).
    pub tls_cert: Option<PathBuf>,
    /// Client key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Name to verify the servers' certificates against.
    pub tls_server_name: Option<String>,
    /// A SeaweedFS `security.toml` to take the TLS settings from.
    pub security_toml: Option<PathBuf>,
}

/// A problem with a file: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileProblem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} line {l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .unwrap_or(text)
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

/// A TOML error as a [`FileProblem`] (one line: the message's first line).
pub(crate) fn toml_problem(path: &Path, text: &str, e: &toml::de::Error) -> FileProblem {
    FileProblem {
        path: path.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string(),
    }
}

/// Parses a config file's text.
pub(crate) fn parse(path: &Path, text: &str) -> Result<ConfigFile, FileProblem> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| toml_problem(path, text, &e))?;
    for (name, c) in &file.contexts {
        if let Some(t) = c.connect_timeout
            && crate::config::parse_timeout_secs(&t.to_string()).is_err()
        {
            return Err(FileProblem {
                path: path.to_path_buf(),
                line: find_line(text, "connect-timeout"),
                message: format!(
                    "context {name:?}: connect-timeout {t} must be between 0 and 3600 seconds"
                ),
            });
        }
    }
    Ok(file)
}

fn find_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
}

/// Where the config file is: `$SWMQ_CONFIG`, else `$XDG_CONFIG_HOME/swmq/config.toml`
/// (`~/.config/swmq/config.toml`).
pub(crate) fn default_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = env(ENV_CONFIG).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let base = env("XDG_CONFIG_HOME")
        .filter(|p| Path::new(p).is_absolute())
        .map(PathBuf::from)
        .or_else(dirs::config_dir)
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("swmq").join("config.toml")
}

/// Reads the config file: a missing file is an empty one; a broken one gives the empty one
/// and the problem (to print as a warning).
pub(crate) fn load(path: &Path) -> (ConfigFile, Option<FileProblem>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (ConfigFile::default(), None),
        Err(e) => {
            let p = FileProblem {
                path: path.to_path_buf(),
                line: None,
                message: format!("cannot read it: {e}"),
            };
            return (ConfigFile::default(), Some(p));
        }
    };
    match parse(path, &text) {
        Ok(f) => (f, None),
        Err(p) => (ConfigFile::default(), Some(p)),
    }
}

/// The commented example `swmq config init` writes.
pub(crate) const EXAMPLE: &str = r#"# swmq configuration (written by `swmq config init`).
#
# Precedence, highest first: command-line flags > environment (SWMQ_*) > the context >
# built-in defaults. `swmq config show` prints every value and where it came from.
# Pick a context with --context NAME or SWMQ_CONTEXT=NAME; without either,
# current-context below is used (`swmq context use NAME` changes it).

current-context = "local"

# A context has any of: broker, filer, protocol ("auto", "mq", "legacy"), read-only,
# utc, connect-timeout (seconds), tls-ca, tls-cert, tls-key, tls-server-name and
# security-toml (a SeaweedFS security.toml: its [grpc] ca and [grpc.client] cert/key).
# Unset values take the defaults.

[contexts.local]
broker = "localhost:17777"
filer = "localhost:18888"

# A production cluster with mutual TLS, protected from accidental writes:
#
# [contexts.prod]
# broker = "mq.prod.example:17777"
# filer = "filer.prod.example:18888"
# protocol = "mq"
# read-only = true        # publish, delete and channel close are refused
# utc = true
# tls-ca = "/etc/seaweedfs/tls/ca.crt"
# tls-cert = "/etc/seaweedfs/tls/client.crt"
# tls-key = "/etc/seaweedfs/tls/client.key"
# tls-server-name = "mq.prod.example"   # optional: SeaweedFS itself checks the chain only
# # or, instead of the tls-* lines:
# # security-toml = "/etc/seaweedfs/security.toml"
"#;

/// Reads the file for editing (a missing file is an empty document); a file that does not
/// parse is an error (editing it would lose the user's text).
fn edit_doc(path: &Path) -> Result<toml_edit::DocumentMut, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    parse(path, &text).map_err(|p| format!("{p}; fix it first"))?;
    text.parse::<toml_edit::DocumentMut>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn save_doc(path: &Path, doc: &toml_edit::DocumentMut) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    // Written beside and renamed: a crash never leaves half a config file.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, doc.to_string())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Sets `current-context` (the context must exist), keeping the rest of the file as is.
pub(crate) fn set_current(path: &Path, name: &str) -> Result<(), String> {
    let mut doc = edit_doc(path)?;
    let exists = doc
        .get("contexts")
        .and_then(|c| c.as_table_like())
        .is_some_and(|t| t.contains_key(name));
    if !exists {
        return Err(format!(
            "no context {name:?} in {} (swmq context list)",
            path.display()
        ));
    }
    doc["current-context"] = toml_edit::value(name);
    save_doc(path, &doc)
}

/// Adds or replaces context `name`, keeping the rest of the file (comments too).
pub(crate) fn put_context(path: &Path, name: &str, ctx: &ContextSettings) -> Result<(), String> {
    crate::config::validate_context_name(name)?;
    let mut doc = edit_doc(path)?;
    let rendered = toml::to_string(ctx).map_err(|e| e.to_string())?;
    let table = rendered
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| e.to_string())?
        .as_table()
        .clone();
    if !doc.contains_key("contexts") {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        doc["contexts"] = toml_edit::Item::Table(t);
    }
    let contexts = doc["contexts"]
        .as_table_mut()
        .ok_or_else(|| format!("{}: `contexts` is not a table", path.display()))?;
    contexts.insert(name, toml_edit::Item::Table(table));
    save_doc(path, &doc)
}

/// Writes [`EXAMPLE`] unless a file is there (or `force`).
pub(crate) fn init(path: &Path, force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!(
            "{} exists; add --force to overwrite it",
            path.display()
        ));
    }
    let doc = EXAMPLE
        .parse::<toml_edit::DocumentMut>()
        .map_err(|e| e.to_string())?;
    save_doc(path, &doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("/cfg/config.toml")
    }

    #[test]
    fn the_example_parses() {
        let f = parse(&p(), EXAMPLE).unwrap();
        assert_eq!(f.current_context.as_deref(), Some("local"));
        assert_eq!(
            f.contexts["local"].broker.as_deref(),
            Some("localhost:17777")
        );
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let text = "current-context = \"a\"\n\n[contexts.a]\nbrokr = \"h:1\"\n";
        let e = parse(&p(), text).unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("unknown field `brokr`"), "{}", e.message);
        assert!(
            e.to_string().starts_with("/cfg/config.toml line 4: "),
            "{e}"
        );

        let e = parse(&p(), "[contexts.a]\nprotocol = \"kafka\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("kafka"), "{}", e.message);

        let e = parse(&p(), "[contexts.a\n").unwrap_err();
        assert_eq!(e.line, Some(1));

        let e = parse(&p(), "[contexts.a]\nread-only = \"yes\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));

        let e = parse(&p(), "[contexts.a]\nconnect-timeout = -1\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("connect-timeout"), "{}", e.message);

        // Hostile bytes never panic.
        for text in [
            "\u{0}",
            "[[contexts]]\n",
            "contexts = 3",
            "\u{feff}x=1",
            "a=\"\\u\"",
        ] {
            assert!(parse(&p(), text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn missing_and_unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let (f, w) = load(&dir.path().join("none.toml"));
        assert_eq!((f, w), (ConfigFile::default(), None));
        let (f, w) = load(dir.path());
        assert_eq!(f, ConfigFile::default());
        assert!(w.unwrap().message.contains("cannot read"));
    }

    #[test]
    fn editing_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("swmq/config.toml");
        init(&path, false).unwrap();
        assert!(init(&path, false).unwrap_err().contains("--force"));
        let prod = ContextSettings {
            broker: Some("10.0.0.1:17777".into()),
            read_only: Some(true),
            protocol: Some(ProtocolChoice::Mq),
            ..Default::default()
        };
        put_context(&path, "prod", &prod).unwrap();
        set_current(&path, "prod").unwrap();
        assert!(
            set_current(&path, "nope")
                .unwrap_err()
                .contains("no context \"nope\"")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# Precedence, highest first"), "{text}");
        let f = parse(&path, &text).unwrap();
        assert_eq!(f.current_context.as_deref(), Some("prod"));
        assert_eq!(f.contexts["prod"], prod);
        assert!(f.contexts.contains_key("local"));
    }

    #[test]
    fn paths() {
        let env = |k: &str| (k == "XDG_CONFIG_HOME").then(|| "/x/cfg".to_string());
        assert_eq!(default_path(&env), PathBuf::from("/x/cfg/swmq/config.toml"));
        let env = |k: &str| (k == ENV_CONFIG).then(|| "/y.toml".to_string());
        assert_eq!(default_path(&env), PathBuf::from("/y.toml"));
    }
}
