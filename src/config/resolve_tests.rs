//! Precedence and error cases of [`resolve`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::file;
use super::*;

const FILE: &str = r#"
current-context = "dev"
[contexts.dev]
broker = "dev:17777"
filer = "dev:18888"
utc = true
connect-timeout = 7
[contexts.prod]
broker = "prod:17777"
protocol = "mq"
read-only = true
tls-ca = "/p/ca.pem"
"#;

fn run(flags: &Flags, env: &[(&str, &str)], text: &str) -> Result<(Config, Vec<String>), String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| env.get(k).cloned();
    let path = Path::new("/cfg/config.toml");
    let file = file::parse(path, text).unwrap();
    resolve(
        flags,
        &Inputs {
            env: &env,
            file_path: path,
            file: &file,
            home: Some(Path::new("/nonexistent-home")),
        },
    )
}

fn source(c: &Config, key: &str) -> Source {
    c.settings
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("{key} not recorded"))
        .source
        .clone()
}

#[test]
fn defaults_without_anything() {
    let (c, w) = run(&Flags::default(), &[], "").unwrap();
    assert!(w.is_empty());
    assert_eq!(c.connect.broker, DEFAULT_BROKER);
    assert_eq!(c.connect.filer, DEFAULT_FILER);
    assert_eq!(c.connect.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
    assert_eq!(c.context, None);
    assert!(!c.connect.tls.is_enabled());
    assert_eq!(source(&c, "broker"), Source::Default);
}

#[test]
fn flags_beat_env_beat_context_beat_defaults() {
    // The current context alone.
    let (c, _) = run(&Flags::default(), &[], FILE).unwrap();
    assert_eq!(c.context.as_deref(), Some("dev"));
    assert_eq!(c.connect.broker, "dev:17777");
    assert_eq!(c.connect.connect_timeout, Duration::from_secs(7));
    assert!(c.utc);
    assert_eq!(source(&c, "broker"), Source::Context("dev".into()));
    // Env over the context.
    let (c, _) = run(&Flags::default(), &[(ENV_BROKER, "env:1")], FILE).unwrap();
    assert_eq!(c.connect.broker, "env:1");
    assert_eq!(source(&c, "broker"), Source::Env(ENV_BROKER.into()));
    assert_eq!(c.connect.filer, "dev:18888");
    // Flag over env.
    let flags = Flags {
        broker: Some("flag:1".into()),
        ..Default::default()
    };
    let (c, _) = run(&flags, &[(ENV_BROKER, "env:1")], FILE).unwrap();
    assert_eq!(c.connect.broker, "flag:1");
    assert_eq!(source(&c, "broker"), Source::Flag);
    // Unset in the context: the default.
    let (c, _) = run(&Flags::default(), &[(ENV_CONTEXT, "prod")], FILE).unwrap();
    assert_eq!(c.connect.filer, DEFAULT_FILER);
    assert_eq!(source(&c, "filer"), Source::Default);
    assert_eq!(c.connect.protocol, ProtocolChoice::Mq);
}

#[test]
fn context_choice() {
    let flags = Flags {
        context: Some("prod".into()),
        ..Default::default()
    };
    // --context beats SWMQ_CONTEXT beats current-context.
    let (c, _) = run(&flags, &[(ENV_CONTEXT, "dev")], FILE).unwrap();
    assert_eq!(c.context.as_deref(), Some("prod"));
    assert_eq!(source(&c, "context"), Source::Flag);
    let (c, _) = run(&Flags::default(), &[(ENV_CONTEXT, "prod")], FILE).unwrap();
    assert_eq!(c.context.as_deref(), Some("prod"));
    assert_eq!(c.connect.tls.ca, Some(PathBuf::from("/p/ca.pem")));
    // An unknown name asked for is an error naming the known ones.
    let flags = Flags {
        context: Some("stage".into()),
        ..Default::default()
    };
    let e = run(&flags, &[], FILE).unwrap_err();
    assert!(e.contains("no context \"stage\""), "{e}");
    assert!(e.contains("known: dev, prod"), "{e}");
    // An undefined current-context is a warning, then defaults.
    let (c, w) = run(&Flags::default(), &[], "current-context = \"gone\"\n").unwrap();
    assert_eq!(c.context, None);
    assert!(
        w[0].contains("current-context \"gone\" is not defined"),
        "{w:?}"
    );
}

#[test]
fn a_read_only_context_cannot_be_turned_off() {
    let flags = Flags {
        context: Some("prod".into()),
        ..Default::default()
    };
    let (c, _) = run(&flags, &[(ENV_READ_ONLY, "0")], FILE).unwrap();
    assert!(c.read_only);
    assert_eq!(c.read_only_reason().unwrap(), "context prod is read-only");
    // Elsewhere the flag and env turn it on.
    let (c, _) = run(&Flags::default(), &[(ENV_READ_ONLY, "yes")], FILE).unwrap();
    assert!(c.read_only);
    assert_eq!(source(&c, "read-only"), Source::Env(ENV_READ_ONLY.into()));
    let (c, _) = run(&Flags::default(), &[], FILE).unwrap();
    assert!(!c.read_only);
}

#[test]
fn bad_environment_values_are_named() {
    for (var, val) in [
        (ENV_CONNECT_TIMEOUT, "soon"),
        (ENV_PROTOCOL, "kafka"),
        (ENV_READ_ONLY, "maybe"),
        (ENV_UTC, "2"),
    ] {
        let e = run(&Flags::default(), &[(var, val)], "").unwrap_err();
        assert!(e.starts_with(var), "{var}: {e}");
    }
    let (c, _) = run(&Flags::default(), &[(ENV_PROTOCOL, "Legacy")], "").unwrap();
    assert_eq!(c.connect.protocol, ProtocolChoice::Legacy);
}

#[test]
fn security_toml_fills_what_is_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let sec = dir.path().join("security.toml");
    std::fs::write(
        &sec,
        "[grpc]\nca = \"ca.pem\"\n[grpc.client]\ncert = \"c.pem\"\nkey = \"k.pem\"\n\
         [https.client]\nenabled = true\nca = \"ca.pem\"\n",
    )
    .unwrap();
    let flags = Flags {
        security_toml: Some(sec.clone()),
        tls_cert: Some("/mine.pem".into()),
        ..Default::default()
    };
    let (c, _) = run(&flags, &[], "").unwrap();
    assert_eq!(c.connect.tls.ca, Some(dir.path().join("ca.pem")));
    assert_eq!(c.connect.tls.cert, Some(PathBuf::from("/mine.pem")));
    assert_eq!(c.connect.tls.key, Some(dir.path().join("k.pem")));
    assert_eq!(source(&c, "tls-ca"), Source::SecurityToml(sec.clone()));
    assert_eq!(source(&c, "tls-cert"), Source::Flag);
    assert!(c.connect.https.is_some());
    // Given but missing: an error naming the file.
    let flags = Flags {
        security_toml: Some(dir.path().join("nope.toml")),
        ..Default::default()
    };
    let e = run(&flags, &[], "").unwrap_err();
    assert!(e.contains("nope.toml") && e.contains("cannot read"), "{e}");
}
