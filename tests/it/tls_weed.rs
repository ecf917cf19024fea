//! A real SeaweedFS 4.48 secured with a generated `security.toml` (mutual TLS on every gRPC
//! port, certificates from rcgen): plaintext is refused with its message, the client with
//! the cluster's client certificate does everything (brokers and filer), each TLS mistake
//! gives its one-line message, and the CLI works over TLS from flags, from the
//! security.toml and from a context; HTTPS for the log-file reads (`tls_https.rs`). One
//! weed for the whole file (one test function).
use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use swmq::client::{Client, ClientError, ConnectOptions, TlsOptions, TopicName};

use support::tls::{Certs, generate};
use support::weed::{Weed, spawn_server_ports, wait_ready_with, weed_binary};

fn start_secured() -> Option<(Weed, Certs, tempfile::TempDir)> {
    if let Err(e) = weed_binary() {
        panic!("the real SeaweedFS is unavailable: {e}");
    }
    let certs_dir = tempfile::tempdir().unwrap();
    let certs = generate(certs_dir.path());
    // HTTPS on the filer's and volume servers' HTTP ports too; the filer's ports laid out
    // as by default (gRPC = HTTP + 10000), so that log files come from its HTTPS port.
    let toml = certs.security_toml_https();
    let prepare = |dir: &Path| std::fs::write(dir.join("security.toml"), &toml).unwrap();
    let w = spawn_server_ports(prepare, true).expect("spawn weed");
    if let Err(e) = wait_ready_with(&w, &certs.client_options()) {
        let log = w.log_text();
        w.kill();
        panic!("secured weed did not become ready: {e}\n{log}");
    }
    Some((w, certs, certs_dir))
}

fn opts(w: &Weed, tls: TlsOptions) -> ConnectOptions {
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    o.tls = tls;
    o.connect_timeout = Duration::from_secs(5);
    o
}

async fn tls_error(o: &ConnectOptions) -> String {
    let e = match Client::connect(o).await {
        Err(e) => e,
        Ok(c) => c.list_topics().await.expect_err("TLS should have failed"),
    };
    let s = e.to_string();
    assert!(
        matches!(e, ClientError::Tls { .. }),
        "not a TLS error: {e:?}"
    );
    assert!(
        !s.contains('\n') && s.len() < 300,
        "not one short line: {s}"
    );
    s
}

fn swmq(args: &[&str], env: &[(&str, &Path)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_swmq"));
    for var in [
        "SWMQ_BROKER",
        "SWMQ_FILER",
        "SWMQ_TLS_CA",
        "SWMQ_TLS_CERT",
        "SWMQ_TLS_KEY",
        "SWMQ_SECURITY_TOML",
        "SWMQ_CONTEXT",
        "SWMQ_READ_ONLY",
    ] {
        c.env_remove(var);
    }
    // No config file of the user's.
    c.env("SWMQ_CONFIG", "/nonexistent/swmq-config.toml");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().expect("run swmq")
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn secured_weed() {
    // The harness blocks on a runtime of its own: start it off this one.
    let started = std::thread::spawn(start_secured)
        .join()
        .expect("start weed");
    let Some((w, certs, _certs_dir)) = started else {
        return;
    };
    client_over_mtls(&w, &certs).await;
    tls_mistakes(&w, &certs).await;
    cli_over_mtls(&w, &certs).await;
    crate::tls_https::https_reads(&w, &certs).await;
    w.kill();
}

async fn client_over_mtls(w: &Weed, certs: &Certs) {
    let client = Client::connect(&opts(w, certs.client_options()))
        .await
        .expect("mTLS connect");
    assert_eq!(client.protocol(), swmq::client::Protocol::Mq);
    let topic = TopicName::new(&support::unique_namespace("tls"), "orders").unwrap();
    client.create_topic(&topic, 2).await.expect("create");
    let msgs = (0..30)
        .map(|i| support::out_msg(&format!("k{}", i % 4), &format!("v{i}")))
        .collect();
    client.publish(&topic, msgs).await.expect("publish");
    // Listing goes through the filer: TLS there too.
    let topics = client.list_topics().await.expect("list (filer over TLS)");
    assert!(topics.iter().any(|t| t.name == topic));
    let n = support::tls::count_history(&client, &topic, 30).await;
    assert_eq!(n, 30);
    client
        .delete(&topic)
        .await
        .expect("delete (filer over TLS)");
}

async fn tls_mistakes(w: &Weed, c: &Certs) {
    let e = tls_error(&opts(w, TlsOptions::default())).await;
    assert!(
        e.contains("the server requires TLS (plaintext refused)"),
        "{e}"
    );
    let ca_only = TlsOptions {
        ca: Some(c.ca.clone()),
        ..Default::default()
    };
    let e = tls_error(&opts(w, ca_only)).await;
    assert!(
        e.contains("the server requires a client certificate"),
        "{e}"
    );
    let stranger = TlsOptions {
        cert: Some(c.other_client_cert.clone()),
        key: Some(c.other_client_key.clone()),
        ..c.client_options()
    };
    let e = tls_error(&opts(w, stranger)).await;
    assert!(
        e.contains("the server requires a client certificate"),
        "{e}"
    );
    let wrong_ca = TlsOptions {
        ca: Some(c.other_ca.clone()),
        ..c.client_options()
    };
    let e = tls_error(&opts(w, wrong_ca)).await;
    assert!(
        e.contains("certificate signed by an unknown authority"),
        "{e}"
    );
    let wrong_name = TlsOptions {
        server_name: Some("mq.example.org".into()),
        ..c.client_options()
    };
    let e = tls_error(&opts(w, wrong_name)).await;
    assert!(
        e.contains("does not match the host name mq.example.org"),
        "{e}"
    );
    // TLS to a plaintext port (the master's HTTP port).
    let mut o = opts(w, c.client_options());
    o.broker = w.master.clone();
    let e = tls_error(&o).await;
    assert!(e.contains("the server does not speak TLS"), "{e}");
}

fn cli_over_mtls(w: &Weed, c: &Certs) -> impl std::future::Future<Output = ()> {
    let (w_broker, w_filer) = (w.broker.clone(), w.filer.clone());
    let c = c.clone();
    async move {
        tokio::task::spawn_blocking(move || cli_checks(&w_broker, &w_filer, &c))
            .await
            .unwrap();
    }
}

fn cli_checks(broker: &str, filer: &str, c: &Certs) {
    // Long by design: one end-to-end scenario, read top to bottom.
    let ns = support::unique_namespace("tlscli");
    let topic = format!("{ns}/events");
    let base = ["--broker", broker, "--filer", filer];
    let tls_flags = [
        "--tls-ca",
        c.ca.to_str().unwrap(),
        "--tls-cert",
        c.client_cert.to_str().unwrap(),
        "--tls-key",
        c.client_key.to_str().unwrap(),
    ];
    let with = |cmd: &[&str]| -> Vec<String> {
        base.iter()
            .chain(tls_flags.iter())
            .chain(cmd.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: Vec<String>| swmq(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    // Plaintext: one line, exit 1.
    let out = swmq(&[&base[..], &["status"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("requires TLS") && err.lines().count() == 1,
        "{err}"
    );
    // Every command over mTLS from flags.
    let s = ok(&run(with(&["status"])), "status");
    assert!(s.contains("4.x"), "{s}");
    ok(
        &run(with(&[
            "publish",
            &topic,
            "--partitions",
            "2",
            "--key",
            "k",
            "a",
            "b",
            "c",
        ])),
        "publish",
    );
    let t = ok(&run(with(&["topics"])), "topics");
    assert!(t.contains(&ns), "{t}");
    ok(&run(with(&["describe", &topic])), "describe");
    let tail = ok(
        &run(with(&[
            "tail",
            &topic,
            "--from",
            "earliest",
            "--no-follow",
            "--format",
            "json",
        ])),
        "tail",
    );
    assert_eq!(tail.lines().count(), 3, "{tail}");
    // From the security.toml (the [grpc.client] section).
    let sec = c.dir.join("client-security.toml");
    std::fs::write(&sec, c.security_toml()).unwrap();
    let out = swmq(
        &[
            &base[..],
            &["--security-toml", sec.to_str().unwrap(), "topics"],
        ]
        .concat(),
        &[],
    );
    assert!(ok(&out, "topics via --security-toml").contains(&ns));
    // From a context in a config file; a read-only context refuses the delete.
    let cfg = c.dir.join("config.toml");
    let add = swmq(
        &[
            &base[..],
            &[
                "--security-toml",
                sec.to_str().unwrap(),
                "--read-only",
                "context",
                "add",
                "prod",
            ],
        ]
        .concat(),
        &[("SWMQ_CONFIG", &cfg)],
    );
    ok(&add, "context add");
    let out = swmq(&["delete", &topic, "--yes"], &[("SWMQ_CONFIG", &cfg)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("context prod is read-only"), "{err}");
    let out = swmq(&["topics"], &[("SWMQ_CONFIG", &cfg)]);
    assert!(ok(&out, "topics via the context").contains(&ns));
    // The TUI over mTLS, from the context: the header names it, the topic is listed.
    let mut tui = support::pty::Tui::start_with_config(&[], &cfg);
    let s = tui.wait("the TUI connected over mTLS", 30, |s| {
        s.contains("ctx prod") && s.contains("connected") && s.contains(&ns)
    });
    assert!(s.contains("SeaweedFS MQ 4.x"), "{s}");
    tui.keys("q");
    drop(tui);
    ok(&run(with(&["delete", &topic, "--yes"])), "delete");
}
