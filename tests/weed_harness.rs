//! The real SeaweedFS 4.48 starts, is detected as MQ 4.x, and serves topics.
mod support;

use swmq::client::{Client, ConnectOptions, Protocol};

#[tokio::test]
async fn weed_is_detected_as_mq() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let ch = swmq::client::detect::open_channel(&w.broker, std::time::Duration::from_secs(3))
        .await
        .unwrap();
    let p = swmq::client::detect::detect(&w.broker, ch, std::time::Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(p, Protocol::Mq);
    let c = Client::connect(&ConnectOptions::new(&w.broker))
        .await
        .unwrap();
    assert_eq!(c.protocol(), Protocol::Mq);
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error_naming_the_address() {
    let port = support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let err = Client::connect(&ConnectOptions::new(&addr))
        .await
        .err()
        .expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains(&addr), "{msg}");
    assert!(
        matches!(err, swmq::client::ClientError::Connect { .. }),
        "{err:?}"
    );
}
