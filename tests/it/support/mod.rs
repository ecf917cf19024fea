//! Shared test support: the real SeaweedFS 4.48 server and the embedded broker.
#![allow(dead_code)]

pub(crate) mod weed;

use std::sync::atomic::{AtomicU32, Ordering};

/// A namespace no other test uses (tests share one server per test binary).
pub(crate) fn unique_namespace(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A free loopback port for a test server: below Linux's ephemeral range (32768–60999),
/// so no outgoing connection can take it between this check and the server's bind (or
/// while a test restarts a server on the same port), and never the same port twice in
/// this process (the integration tests are one binary, run in parallel). The CI saw
/// `bind: address already in use` from `weed` with ports taken from `bind(0)`.
pub(crate) fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 12_000;
    const SPAN: u32 = 32_000 - LOW;
    let start = std::process::id().wrapping_mul(7_919) % SPAN;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        assert!(n < SPAN, "no free loopback port left below 32000");
        let port = (LOW + (start + n) % SPAN) as u16;
        let free = |ip: &str| std::net::TcpListener::bind((ip, port)).is_ok();
        if free("127.0.0.1") && free("0.0.0.0") {
            return port;
        }
    }
}

pub(crate) mod chan;
pub(crate) mod cluster;
pub(crate) mod embedded;
pub(crate) mod hostile;
pub(crate) mod pty;
pub(crate) mod screens;
pub(crate) mod tls;
pub(crate) mod v2only;

/// A message with a UTF-8 key and value.
pub(crate) fn out_msg(key: &str, value: &str) -> swmq::client::OutMessage {
    swmq::client::OutMessage {
        key: bytes::Bytes::from(key.to_string()),
        value: bytes::Bytes::from(value.to_string()),
        ..Default::default()
    }
}

/// Every record of `t` from the earliest, without following (the reference a test
/// compares search and landing results with).
pub(crate) async fn read_history(
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

/// The records' values as text, in the order given.
pub(crate) fn values_of(records: &[swmq::client::Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8_lossy(&r.value).into_owned())
        .collect()
}
