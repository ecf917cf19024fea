//! Protocol detection and connection errors, against the real SeaweedFS 4.48 and fake servers.
use crate::support;

use swmq::client::{Client, ConnectOptions, Protocol};

#[tokio::test]
#[ignore = "needs weed"]
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

#[tokio::test]
#[ignore = "needs weed"]
async fn an_http_server_is_not_a_broker() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    // The filer's HTTP port answers HTTP/1.1, not gRPC.
    let err = Client::connect(&ConnectOptions::new(&w.filer_http))
        .await
        .err()
        .expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains(&w.filer_http), "{msg}");
    assert!(
        matches!(
            err,
            swmq::client::ClientError::NotABroker { .. }
                | swmq::client::ClientError::Connect { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
#[ignore = "needs weed"]
async fn the_filer_grpc_port_is_not_a_broker() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    // A gRPC server without the messaging service answers UNIMPLEMENTED to both probes.
    let err = Client::connect(&ConnectOptions::new(&w.filer))
        .await
        .err()
        .expect("must fail");
    assert!(
        matches!(err, swmq::client::ClientError::NotABroker { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not a SeaweedFS message broker"),
        "{err}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_with_the_configured_timeout() {
    // Accepts TCP connections and never says anything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(4).flatten() {
            held.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let mut opts = ConnectOptions::new(&addr);
    opts.connect_timeout = std::time::Duration::from_millis(400);
    let start = std::time::Instant::now();
    let err = Client::connect(&opts).await.err().expect("must fail");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(err, swmq::client::ClientError::Timeout { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&addr), "{err}");
}

/// Detection must never take a broker down. 4.48 crashes on a `ListTopics` that arrives
/// while its broker is still looking for its balancer; detection asks `FindBrokerLeader`
/// instead. Probe a starting server from its first moment until well after it is ready.
#[tokio::test]
#[ignore = "needs weed"]
async fn detecting_a_starting_weed_does_not_crash_it() {
    if support::weed::weed().is_none() {
        return; // no weed here (outside CI): skipped, as `weed()` said
    }
    let w = support::weed::spawn_server().expect("spawn a second weed");
    let mut opts = ConnectOptions::new(&w.broker);
    opts.connect_timeout = std::time::Duration::from_millis(500);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut probes_before_ready = 0;
    let mut detected_after_balancer = 0;
    while std::time::Instant::now() < deadline && detected_after_balancer < 5 {
        let ready = w.log_text().contains("found balanacer");
        match Client::connect(&opts).await {
            Ok(c) => {
                assert_eq!(c.protocol(), Protocol::Mq);
                if ready {
                    detected_after_balancer += 1;
                } else {
                    probes_before_ready += 1;
                }
            }
            Err(_) if !ready => {} // not listening yet
            Err(e) => panic!("detection failed on a ready broker: {e}"),
        }
        assert!(
            w.is_alive(),
            "weed died while being probed; log tail:\n{}",
            w.log_text()
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let log = w.log_text();
    w.kill();
    assert_eq!(detected_after_balancer, 5, "never became ready");
    assert!(!log.contains("panic:"), "weed panicked");
    eprintln!("{probes_before_ready} successful probes before the balancer was found");
}
