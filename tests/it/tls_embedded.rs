//! TLS and mutual TLS against the embedded broker, through the real gRPC client: every
//! client call works over mTLS, and each way of getting TLS wrong gives its one-line
//! message (never a raw rustls or h2 dump).
use crate::support;

use std::time::Duration;

use swmq::broker::{BrokerConfig, BrokerTls, RunningBroker};
use swmq::client::{Client, ClientError, ConnectOptions, TlsOptions, TopicName};

use support::tls::{Certs, generate};

async fn broker(dir: &std::path::Path, tls: Option<BrokerTls>) -> RunningBroker {
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.join("data"));
    config.tls = tls;
    swmq::broker::start(config).await.expect("start broker")
}

fn mtls(c: &Certs) -> BrokerTls {
    BrokerTls {
        cert: c.server_cert.clone(),
        key: c.server_key.clone(),
        client_ca: Some(c.ca.clone()),
    }
}

fn opts(addr: &str, tls: TlsOptions) -> ConnectOptions {
    let mut o = ConnectOptions::new(addr);
    o.tls = tls;
    o.connect_timeout = Duration::from_secs(5);
    o
}

/// The error of a connect that must fail.
async fn refused(o: &ConnectOptions) -> ClientError {
    match Client::connect(o).await {
        Ok(_) => panic!("connected with unusable TLS settings"),
        Err(e) => e,
    }
}

async fn connect_err(addr: &str, tls: TlsOptions) -> String {
    match Client::connect(&opts(addr, tls)).await {
        Ok(c) => {
            // A TLS 1.3 server refuses a client certificate after the client's side of the
            // handshake: the first call then fails.
            match c.list_topics().await {
                Ok(_) => panic!("connected and listed where TLS should fail"),
                Err(e) => one_line(e),
            }
        }
        Err(e) => one_line(e),
    }
}

fn one_line(e: ClientError) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "multi-line error: {s}");
    assert!(
        matches!(e, ClientError::Tls { .. }),
        "not a TLS error: {e:?}"
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_call_works_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let certs = generate(&dir.path().join("certs"));
    let b = broker(dir.path(), Some(mtls(&certs))).await;
    let addr = b.addr().to_string();
    let client = Client::connect(&opts(&addr, certs.client_options()))
        .await
        .expect("mTLS connect");
    assert_eq!(client.protocol(), swmq::client::Protocol::Legacy);
    client.status().await.expect("status");
    let topic = TopicName::new(&support::unique_namespace("tls"), "t").unwrap();
    let msgs = (0..20)
        .map(|i| support::out_msg(&format!("k{}", i % 3), &format!("v{i}")))
        .collect();
    let out = client.publish(&topic, msgs).await.expect("publish");
    assert_eq!(out.len(), 20);
    let topics = client.list_topics().await.expect("list");
    assert!(topics.iter().any(|t| t.name == topic), "{topics:?}");
    client.describe(&topic, None).await.expect("describe");
    let n = support::tls::count_history(&client, &topic, 20).await;
    assert_eq!(n, 20);
    let ch = client.chan_close("tls-chan").await;
    assert!(ch.is_ok(), "{ch:?}");
    client.delete(&topic).await.expect("delete");
    // A name check on request: the certificate names 127.0.0.1 and localhost.
    let mut named = certs.client_options();
    named.server_name = Some("localhost".into());
    Client::connect(&opts(&addr, named))
        .await
        .expect("verified against localhost");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tls_mistake_has_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let c = generate(&dir.path().join("certs"));
    let b = broker(dir.path(), Some(mtls(&c))).await;
    let addr = b.addr().to_string();

    let e = connect_err(&addr, TlsOptions::default()).await;
    assert!(
        e.contains("the server requires TLS (plaintext refused)"),
        "{e}"
    );

    let ca_only = TlsOptions {
        ca: Some(c.ca.clone()),
        ..Default::default()
    };
    let e = connect_err(&addr, ca_only).await;
    assert!(
        e.contains("the server requires a client certificate"),
        "{e}"
    );

    let stranger = TlsOptions {
        ca: Some(c.ca.clone()),
        cert: Some(c.other_client_cert.clone()),
        key: Some(c.other_client_key.clone()),
        server_name: None,
    };
    let e = connect_err(&addr, stranger).await;
    assert!(
        e.contains("the server requires a client certificate"),
        "{e}"
    );

    let wrong_ca = TlsOptions {
        ca: Some(c.other_ca.clone()),
        ..c.client_options()
    };
    let e = connect_err(&addr, wrong_ca).await;
    assert!(
        e.contains("certificate signed by an unknown authority: check --tls-ca"),
        "{e}"
    );

    let wrong_name = TlsOptions {
        server_name: Some("mq.example.org".into()),
        ..c.client_options()
    };
    let e = connect_err(&addr, wrong_name).await;
    assert!(
        e.contains("does not match the host name mq.example.org"),
        "{e}"
    );
    assert!(e.contains(&addr), "{e}");
    b.shutdown().await.unwrap();

    // An expired server certificate.
    let dir2 = tempfile::tempdir().unwrap();
    let expired = BrokerTls {
        cert: c.expired_cert.clone(),
        key: c.expired_key.clone(),
        client_ca: None,
    };
    let b = broker(dir2.path(), Some(expired)).await;
    let e = connect_err(&b.addr().to_string(), c.client_options()).await;
    assert!(e.contains("the server's certificate has expired"), "{e}");
    b.shutdown().await.unwrap();

    // TLS to a plaintext broker.
    let dir3 = tempfile::tempdir().unwrap();
    let b = broker(dir3.path(), None).await;
    let e = connect_err(&b.addr().to_string(), c.client_options()).await;
    assert!(e.contains("the server does not speak TLS"), "{e}");
    b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_tls_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let c = generate(&dir.path().join("certs"));
    let missing = TlsOptions {
        ca: Some(dir.path().join("nope.crt")),
        ..Default::default()
    };
    let e = refused(&opts("127.0.0.1:1", missing)).await;
    assert!(matches!(e, ClientError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("nope.crt"), "{e}");
    let key_as_cert = TlsOptions {
        ca: Some(c.server_key.clone()),
        ..Default::default()
    };
    let e = refused(&opts("127.0.0.1:1", key_as_cert)).await;
    assert!(e.to_string().contains("no PEM certificate"), "{e}");
    let half = TlsOptions {
        cert: Some(c.client_cert.clone()),
        ..c.client_options()
    };
    let half = TlsOptions { key: None, ..half };
    let e = refused(&opts("127.0.0.1:1", half)).await;
    assert!(e.to_string().contains("needs --tls-key"), "{e}");
    // The broker names its own unusable files.
    let tls = BrokerTls {
        cert: dir.path().join("missing.crt"),
        key: c.server_key.clone(),
        client_ca: None,
    };
    let mut config = BrokerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().join("d"));
    config.tls = Some(tls);
    let e = swmq::broker::start(config).await.unwrap_err().to_string();
    assert!(e.contains("missing.crt"), "{e}");
}
