//! HTTPS for the 4.x log-file reads, on the secured weed of `tls_weed.rs` (run from its one
//! test: HTTPS on the filer's and the volume servers' HTTP ports, client certificates
//! required, the filer's gRPC port = its HTTP port + 10000 so that swmq reads from the
//! filer's HTTP port). History read from the files over HTTPS (filer port and volume
//! servers), grep on the files, plain HTTP upgraded with the gRPC TLS settings, and the
//! wrong CA: one line, no fallback.
use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use swmq::client::mq::MqClient;
use swmq::client::mq::files::FilerHttp;
use swmq::client::{
    Client, ClientError, ConnectOptions, ReadEvent, ReadSpec, TlsOptions, TopicName,
};

use support::tls::Certs;
use support::weed::Weed;

fn opts(w: &Weed, c: &Certs, https: Option<TlsOptions>) -> ConnectOptions {
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    o.tls = c.client_options();
    o.https = https;
    o.connect_timeout = Duration::from_secs(5);
    o
}

async fn mq(o: &ConnectOptions) -> MqClient {
    match Client::connect(o).await.expect("mTLS connect") {
        Client::Mq(m) => m,
        other => panic!("not 4.x: {:?}", other.protocol()),
    }
}

/// Records of the topic's log files, read from the files (waits up to 40 s for `n`).
async fn wait_in_files(c: &MqClient, t: &TopicName, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(40);
    let parts = c.partitions(t).await.unwrap();
    loop {
        let mut count = 0;
        for p in &parts {
            for f in &c.partition_files(t, p).await.unwrap().logs {
                let b = c
                    .fetch_log_file(t, p, &f.name)
                    .await
                    .expect("file over HTTPS");
                count += b.map_or(0, |b| swmq::client::mq::files::decode_entries(b).0.len());
            }
        }
        if count >= n {
            return;
        }
        assert!(Instant::now() < deadline, "{count} of {n} records in files");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The whole history: records, notices, or the read's error.
async fn history(c: &Client, t: &TopicName) -> Result<(usize, Vec<String>), ClientError> {
    let spec = ReadSpec {
        follow: false,
        ..Default::default()
    };
    let mut s = c.read(t, spec).await?;
    let (mut n, mut notices) = (0, Vec::new());
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), s.next())
            .await
            .expect("the read ends");
        match ev {
            None => return Ok((n, notices)),
            Some(Err(e)) => return Err(e),
            Some(Ok(ReadEvent::Records(r))) => n += r.len(),
            Some(Ok(ReadEvent::Notice(x))) => notices.push(x),
            Some(Ok(ReadEvent::PartitionFailed { error, .. })) => return Err(error),
            Some(Ok(_)) => {}
        }
    }
}

pub(crate) async fn https_reads(w: &Weed, c: &Certs) {
    let good = opts(w, c, Some(c.client_options()));
    let m = mq(&good).await;
    let client = Client::Mq(m.clone());
    let ns = support::unique_namespace("https");
    let t = TopicName::new(&ns, "hist").unwrap();
    client.create_topic(&t, 2).await.unwrap();
    let msgs = (0..40)
        .map(|i| support::out_msg(&format!("k{}", i % 5), &format!("needle-{i}")))
        .collect();
    client.publish(&t, msgs).await.unwrap();
    wait_in_files(&m, &t, 40).await;

    // The filer's HTTP port itself speaks HTTPS and gives the file.
    let part = &m.partitions(&t).await.unwrap()[0];
    let name = &m.partition_files(&t, part).await.unwrap().logs[0].name;
    let dir = swmq::client::mq::logs::partition_dir(&t, part);
    let file_path = format!("{dir}/{name}");
    let body = m.filer_http().get(&w.filer_http, &file_path).await;
    assert!(
        matches!(&body, Ok(Some(b)) if !b.is_empty()),
        "GET {file_path} over HTTPS: {body:?}"
    );

    // History from the files (everything is flushed: no notice of a broker fallback).
    let (n, notices) = history(&client, &t).await.expect("history over HTTPS");
    assert_eq!(n, 40, "{notices:?}");
    assert!(notices.is_empty(), "{notices:?}");
    // The same from the volume servers only (the filer's HTTP port bypassed).
    let vol = mq(&good).await;
    vol.filer_http().bypass_filer_port();
    wait_in_files(&vol, &t, 40).await;
    let (n, notices) = history(&Client::Mq(vol), &t)
        .await
        .expect("chunks over HTTPS");
    assert_eq!((n, notices.len()), (40, 0), "{notices:?}");
    // No [https.client]: plain HTTP, upgraded with the gRPC TLS settings.
    let (n, notices) = history(&Client::Mq(mq(&opts(w, c, None)).await), &t)
        .await
        .expect("upgraded to HTTPS");
    assert_eq!((n, notices.len()), (40, 0), "{notices:?}");
    // Plaintext everywhere: the server requires HTTPS, said in one line.
    let plain = FilerHttp::new(&ConnectOptions {
        tls: TlsOptions::default(),
        ..opts(w, c, None)
    });
    let e = plain.get(&w.filer_http, &file_path).await.unwrap_err();
    assert!(matches!(e, ClientError::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("requires HTTPS"), "{e}");

    // The wrong CA: the read fails with one line; no fallback to the broker.
    let wrong = TlsOptions {
        ca: Some(c.other_ca.clone()),
        ..c.client_options()
    };
    let e = history(&Client::Mq(mq(&opts(w, c, Some(wrong))).await), &t)
        .await
        .expect_err("a wrong HTTPS CA fails the read");
    let s = e.to_string();
    assert!(matches!(e, ClientError::Tls { .. }), "{e:?}");
    assert!(
        s.contains("unknown authority") && s.contains("[https.client]"),
        "{s}"
    );
    assert!(!s.contains('\n'), "{s}");

    let (broker, filer) = (w.broker.clone(), w.filer.clone());
    let c = c.clone();
    let topic = t.to_string();
    tokio::task::spawn_blocking(move || cli_checks(&broker, &filer, &c, &topic))
        .await
        .unwrap();
    client.delete(&t).await.unwrap();
}

fn swmq(broker: &str, filer: &str, sec: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_swmq"));
    for var in ["SWMQ_BROKER", "SWMQ_FILER", "SWMQ_CONTEXT", "SWMQ_TLS_CA"] {
        cmd.env_remove(var);
    }
    cmd.env("SWMQ_CONFIG", "/nonexistent/swmq-config.toml")
        .args(["--broker", broker, "--filer", filer])
        .arg("--security-toml")
        .arg(sec)
        .args(args)
        .output()
        .expect("run swmq")
}

/// `grep` and `tail` on the files from the security.toml; a wrong `[https.client] ca`
/// fails each in one line.
fn cli_checks(broker: &str, filer: &str, c: &Certs, topic: &str) {
    let good = c.dir.join("https-security.toml");
    std::fs::write(&good, c.security_toml_https()).unwrap();
    let bad = c.dir.join("https-wrong-ca.toml");
    std::fs::write(&bad, c.security_toml() + &c.https_sections(&c.other_ca)).unwrap();
    let out = swmq(broker, filer, &good, &["grep", topic, "needle-3"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "grep: {stdout}\n{stderr}");
    // needle-3 and needle-30..39.
    assert_eq!(stdout.lines().count(), 11, "{stdout}\n{stderr}");
    let tail = ["tail", topic, "--from", "earliest", "--no-follow"];
    let out = swmq(broker, filer, &good, &tail);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for args in [&["grep", topic, "needle-3"][..], &tail[..]] {
        let out = swmq(broker, filer, &bad, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("unknown authority"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
    }
}
