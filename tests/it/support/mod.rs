//! Shared test support: the real SeaweedFS 4.48 server and the embedded broker.
#![allow(dead_code)]

pub mod weed;

use std::sync::atomic::{AtomicU32, Ordering};

/// A namespace no other test uses (tests share one server per test binary).
pub fn unique_namespace(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A free loopback port (bound and released; the OS does not hand it out again at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

pub mod chan;
pub mod cluster;
pub mod embedded;
pub mod hostile;
pub mod pty;
pub mod screens;
pub mod tls;
pub mod v2only;

/// A message with a UTF-8 key and value.
pub fn out_msg(key: &str, value: &str) -> swmq::client::OutMessage {
    swmq::client::OutMessage {
        key: bytes::Bytes::from(key.to_string()),
        value: bytes::Bytes::from(value.to_string()),
        ..Default::default()
    }
}

/// Every record of `t` from the earliest, without following (the reference a test
/// compares search and landing results with).
pub async fn read_history(
    c: &swmq::client::Client,
    t: &swmq::client::TopicName,
) -> Vec<swmq::client::Record> {
    let spec = swmq::client::ReadSpec {
        from: swmq::time::TimeSpec::Earliest,
        follow: false,
        ..Default::default()
    };
    let mut s = c.read(t, spec).await.unwrap();
    let mut out = Vec::new();
    while let Some(ev) = s.next().await {
        if let swmq::client::ReadEvent::Records(b) = ev.unwrap() {
            out.extend(b);
        }
    }
    out
}
