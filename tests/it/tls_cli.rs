//! The binary over mutual TLS against the embedded broker: `swmq broker --tls-*` serving,
//! CLI commands with flags and with a context, the TUI in a pty showing the context in its
//! header and switching contexts with the `:` picker.
use crate::support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::pty::Tui;
use support::tls::{Certs, generate};

const BIN: &str = env!("CARGO_BIN_EXE_swmq");

/// `swmq ARGS` with a clean environment: no user config, no SWMQ_* settings.
fn swmq(args: &[&str], config: &Path) -> Output {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("SWMQ_") {
            c.env_remove(k);
        }
    }
    c.env("SWMQ_CONFIG", config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run swmq")
}

fn stdout_ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `swmq broker` over mutual TLS on a free port; killed on drop.
struct Broker {
    child: std::process::Child,
    addr: String,
    _data: tempfile::TempDir,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_broker(c: &Certs) -> Broker {
    let data = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut child = Command::new(BIN)
        .args(["broker", "--listen", &addr, "--data"])
        .arg(data.path())
        .arg("--tls-cert")
        .arg(&c.server_cert)
        .arg("--tls-key")
        .arg(&c.server_key)
        .arg("--tls-client-ca")
        .arg(&c.ca)
        .env("SWMQ_CONFIG", "/nonexistent/config.toml")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn swmq broker");
    let mut line = String::new();
    let mut out = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while !line.ends_with('\n') && out.read(&mut byte).unwrap_or(0) == 1 {
        line.push(byte[0] as char);
    }
    assert!(
        line.contains("TLS, client certificates required"),
        "{line:?}"
    );
    Broker {
        child,
        addr,
        _data: data,
    }
}

#[test]
fn broker_cli_and_contexts_over_mutual_tls() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let dir = tempfile::tempdir().unwrap();
    let c = generate(&dir.path().join("certs"));
    let b = start_broker(&c);
    let cfg = dir.path().join("config.toml");
    let tls: Vec<String> = [
        ("--tls-ca", &c.ca),
        ("--tls-cert", &c.client_cert),
        ("--tls-key", &c.client_key),
    ]
    .iter()
    .flat_map(|(f, p)| [f.to_string(), p.display().to_string()])
    .collect();
    let with = |args: &[&str]| -> Output {
        let mut v: Vec<&str> = vec!["--broker", &b.addr];
        v.extend(tls.iter().map(String::as_str));
        v.extend(args);
        swmq(&v, &cfg)
    };
    // Plaintext is refused, in one line, exit 1.
    let out = swmq(&["--broker", &b.addr, "topics"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the server requires TLS") && err.lines().count() == 1,
        "{err}"
    );
    // Every command over mTLS.
    assert!(stdout_ok(&with(&["status"]), "status").contains("2.x"));
    stdout_ok(
        &with(&["publish", "tls/t", "--key", "k", "v1", "v2"]),
        "publish",
    );
    assert!(stdout_ok(&with(&["topics"]), "topics").contains("tls"));
    stdout_ok(&with(&["describe", "tls/t"]), "describe");
    let tail = stdout_ok(
        &with(&["tail", "tls/t", "--from", "earliest", "--no-follow"]),
        "tail",
    );
    assert_eq!(tail.lines().count(), 2, "{tail}");
    stdout_ok(&with(&["chan", "publish", "c1", "x"]), "chan publish");
    stdout_ok(&with(&["chan", "close", "c1"]), "chan close");
    stdout_ok(&with(&["chan", "read", "c1", "--no-follow"]), "chan read");
    stdout_ok(&with(&["delete", "tls/t", "--yes"]), "delete");
    // A context with the TLS files, read-only: reads work, writes are refused whatever
    // the flags say.
    stdout_ok(
        &with(&["--read-only", "context", "add", "secure"]),
        "context add",
    );
    let list = stdout_ok(&swmq(&["context", "list"], &cfg), "context list");
    assert!(
        list.contains("* secure") && list.contains("read-only, tls"),
        "{list}"
    );
    assert!(stdout_ok(&swmq(&["topics"], &cfg), "topics via context").contains("chan"));
    let out = swmq(&["publish", "tls/t", "v"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused: context secure is read-only"),
        "{err}"
    );
    let show = stdout_ok(&swmq(&["config", "show"], &cfg), "config show");
    assert!(show.contains("context secure"), "{show}");
    assert!(
        show.lines()
            .any(|l| l.starts_with("tls-ca") && l.ends_with("context secure")),
        "{show}"
    );
    // A broken config file: one warning naming file and line, then the defaults.
    std::fs::write(&cfg, "[contexts.secure]\nbrokr = 1\n").unwrap();
    let out = swmq(&["--broker", &b.addr, "topics"], &cfg);
    let err = String::from_utf8_lossy(&out.stderr);
    let warning = err.lines().next().unwrap_or_default();
    assert!(
        warning.contains("warning:") && warning.contains("config.toml line 2"),
        "{err}"
    );
    assert!(warning.contains("brokr"), "{err}");
}

#[test]
fn the_tui_over_mutual_tls_shows_and_switches_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let c = generate(&dir.path().join("certs"));
    let secure = start_broker(&c);
    let other = start_broker(&c);
    let cfg = dir.path().join("config.toml");
    for (name, b) in [("alpha", &secure), ("beta", &other)] {
        let out = swmq(
            &[
                "--broker",
                &b.addr,
                "--tls-ca",
                c.ca.to_str().unwrap(),
                "--tls-cert",
                c.client_cert.to_str().unwrap(),
                "--tls-key",
                c.client_key.to_str().unwrap(),
                "context",
                "add",
                name,
            ],
            &cfg,
        );
        stdout_ok(&out, "context add");
    }
    // Something to see on beta.
    let out = swmq(&["--context", "beta", "publish", "only/on-beta", "x"], &cfg);
    stdout_ok(&out, "publish to beta");
    completions_know_contexts_and_tls(&cfg);
    let mut tui = Tui::start_with_config(&["--context", "alpha"], &cfg);
    let s = tui.wait("connected to alpha", 30, |s| {
        s.contains("ctx alpha") && s.contains("connected")
    });
    assert!(s.contains(&secure.addr), "{s}");
    tui.keys(":");
    tui.wait("the picker", 30, |s| {
        s.contains("Contexts") && s.contains("beta")
    });
    tui.keys("j");
    tui.keys("\r");
    let s = tui.wait("connected to beta", 30, |s| {
        s.contains("ctx beta") && s.contains("connected") && s.contains("only")
    });
    assert!(s.contains(&other.addr), "{s}");
    tui.keys("q");
}

/// Shell completion (the fish protocol of the generated scripts): context names after
/// `--context` and `context use`, the TLS options, and topic names read over mTLS with the
/// context's TLS settings.
fn completions_know_contexts_and_tls(cfg: &Path) {
    let complete = |words: &[&str]| {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("SWMQ_") {
                c.env_remove(k);
            }
        }
        let out = c
            .env("SWMQ_CONFIG", cfg)
            .env("_SWMQ_COMPLETE", "fish")
            .arg("--")
            .args(words)
            .output()
            .expect("run swmq");
        stdout_ok(&out, "complete")
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(complete(&["swmq", "--context", ""]), ["alpha", "beta"]);
    assert_eq!(complete(&["swmq", "--context=b"]), ["--context=beta"]);
    assert_eq!(complete(&["swmq", "context", "use", "a"]), ["alpha"]);
    let tls = complete(&["swmq", "tail", "--tls-"]);
    for flag in ["--tls-ca", "--tls-cert", "--tls-key", "--tls-server-name"] {
        assert!(tls.iter().any(|l| l == flag), "{flag} in {tls:?}");
    }
    // Topics come from beta's broker, over mTLS with the context's certificates.
    let got = complete(&["swmq", "--context", "beta", "tail", "x"]);
    assert!(got.is_empty(), "{got:?}");
    let got = complete(&["swmq", "--context", "beta", "tail", "only/"]);
    assert_eq!(got, ["only/on-beta"]);
}
