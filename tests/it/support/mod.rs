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
