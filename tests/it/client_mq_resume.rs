//! A 4.x read survives its connections being cut: it reports Reconnecting, resumes after
//! the last delivered record and loses or repeats nothing (real SeaweedFS 4.48 behind a
//! TCP proxy that the test cuts).
use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use swmq::client::mq::MqClient;
use swmq::client::*;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards loopback connections to `upstream`; `cut()` drops every open connection.
struct Proxy {
    addr: String,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let c2 = conns.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = l.accept().await {
                let up = upstream.clone();
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&up).await {
                        let _ = copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c2.lock().unwrap().push(h);
            }
        });
        Proxy {
            addr,
            conns,
            accept,
        }
    }

    fn cut(&self) {
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn mq(broker: &str, filer: &str) -> MqClient {
    let mut o = ConnectOptions::new(broker);
    o.filer = filer.to_string();
    o.protocol = ProtocolChoice::Mq;
    match Client::connect(&o).await.expect("connect") {
        Client::Mq(c) => c,
        Client::Legacy(_) => unreachable!(),
    }
}

fn msg(i: usize) -> OutMessage {
    OutMessage {
        key: Bytes::from(format!("r{i}")),
        value: Bytes::from(format!("value {i}")),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_cut_connection_is_retried_and_resumed_without_gap_or_duplicate() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let direct = mq(&w.broker, &w.filer).await;
    let proxy = Proxy::start(w.broker.clone()).await;
    // Everything through the proxy, not to the leader's advertised address.
    let via = mq(&proxy.addr, &w.filer).await.route_to_leaders(false);
    let t = TopicName::new(&support::unique_namespace("cut"), "t").unwrap();
    direct.create_topic(&t, 2).await.unwrap();
    direct
        .publish(&t, (0..10).map(msg).collect())
        .await
        .unwrap();

    let mut s = via.read(&t, ReadSpec::default()).await.unwrap();
    let mut got: Vec<Record> = Vec::new();
    let mut reconnecting = 0;
    let mut reconnected = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut cut_done = false;
    while got.len() < 20 {
        if got.len() >= 10 && !cut_done {
            cut_done = true;
            proxy.cut();
            // Written while the reader's connection is down.
            direct
                .publish(&t, (10..20).map(msg).collect())
                .await
                .unwrap();
        }
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!(
                "{} of 20 records after the cut ({reconnecting} reconnecting): {got:?}",
                got.len()
            ),
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(ReadEvent::Reconnecting { .. }))) => reconnecting += 1,
            Ok(Some(Ok(ReadEvent::Reconnected { .. }))) => reconnected += 1,
            Ok(Some(Ok(ReadEvent::CaughtUp))) => {}
            Ok(other) => panic!("{other:?}"),
        }
    }
    // The file reader polls the broker with unary FetchMessage calls: a cut between two
    // calls is not an error (the channel dials again), so it may go unreported; either
    // way the reader must have come back through a new connection of the proxy.
    let new_conns = proxy.conns.lock().unwrap().len();
    assert!(
        reconnecting >= 1 || new_conns >= 1,
        "the reader never came back after the cut ({reconnecting} reconnecting, {new_conns} new connections)"
    );
    let mut keys: Vec<String> = got
        .iter()
        .map(|r| String::from_utf8_lossy(&r.key).into_owned())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 20, "gap or duplicate: {got:?}");
    // Per partition strictly increasing (no replay).
    for p in 0..2 {
        let ts: Vec<i64> = got
            .iter()
            .filter(|r| r.partition == p)
            .map(|r| r.ts_ns)
            .collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
    }
    eprintln!("reconnecting {reconnecting}, reconnected {reconnected}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn publisher_churn_loses_nothing_for_history_or_a_running_tail() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(&w.broker, &w.filer).await;
    let t = TopicName::new(&support::unique_namespace("churn"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    let mut tail = c.read(&t, ReadSpec::default()).await.unwrap();
    // One stream per message: the partition unloads and reloads between them (a publish
    // may meet "log buffer is stopping" and is retried).
    let n = 8;
    let started = std::time::Instant::now();
    for i in 0..n {
        let out = c.publish(&t, vec![msg(i)]).await.unwrap();
        assert_eq!(out.len(), 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("{n} single-message sessions took {:?}", started.elapsed());
    let mut got: Vec<Record> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < n {
        match tokio::time::timeout_at(deadline, tail.next()).await {
            Err(_) => panic!("the tail saw {} of {n}: {got:?}", got.len()),
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("{other:?}"),
        }
    }
    eprintln!(
        "tail complete {:?} after the first publish",
        started.elapsed()
    );
    assert!(got.windows(2).all(|w| w[0].ts_ns < w[1].ts_ns));
    let history = ReadSpec {
        follow: false,
        ..Default::default()
    };
    let hist_started = std::time::Instant::now();
    let mut s = c.read(&t, history).await.unwrap();
    let mut all = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(30), s.next())
        .await
        .expect("history read ends")
    {
        if let ReadEvent::Records(r) = ev.unwrap() {
            all.extend(r);
        }
    }
    eprintln!("history read took {:?}", hist_started.elapsed());
    assert_eq!(
        all.iter().map(|r| r.ts_ns).collect::<Vec<_>>(),
        got.iter().map(|r| r.ts_ns).collect::<Vec<_>>()
    );
}

/// A publish whose connection is cut mid-stream never duplicates: it is not retried once
/// messages went out (the broker may have stored some it did not acknowledge); it fails
/// saying how many were acknowledged, and every acknowledged one is stored exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_publish_cut_mid_stream_fails_without_duplicating() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let direct = mq(&w.broker, &w.filer).await;
    let proxy = Proxy::start(w.broker.clone()).await;
    let via = mq(&proxy.addr, &w.filer).await.route_to_leaders(false);
    let t = TopicName::new(&support::unique_namespace("pubcut"), "t").unwrap();
    direct.create_topic(&t, 1).await.unwrap();
    let n = 3000;
    let p = via.publisher(&t).await.unwrap();
    let mut sent = 0;
    for i in 0..n {
        if i == n / 2 {
            // Half of them out, many unacknowledged: cut.
            proxy.cut();
        }
        if p.send(msg(i)).await.is_err() {
            break;
        }
        sent += 1;
    }
    let acked = match p.finish().await {
        Ok(o) => o.len(),
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains("acknowledged"), "{text}");
            let acked: usize = text
                .split("; ")
                .find_map(|part| part.split(" message(s) acknowledged").next()?.parse().ok())
                .unwrap_or_else(|| panic!("no count in: {text}"));
            eprintln!("failed after {sent} sent: {text}");
            acked
        }
    };
    let spec = ReadSpec {
        from: swmq::time::TimeSpec::Earliest,
        follow: false,
        ..ReadSpec::default()
    };
    let mut s = direct.read(&t, spec).await.unwrap();
    let mut got: Vec<Record> = Vec::new();
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(30), s.next())
        .await
        .expect("read back in time")
    {
        if let ReadEvent::Records(r) = ev.unwrap() {
            got.extend(r);
        }
    }
    let mut keys: Vec<&[u8]> = got.iter().map(|r| r.key.as_ref()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), got.len(), "duplicates stored");
    assert!(
        got.len() >= acked,
        "{} stored < {acked} acknowledged",
        got.len()
    );
    assert!(got.len() <= n);
}
