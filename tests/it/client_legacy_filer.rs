//! The 2.x filer fallback (no admin service) against the REAL SeaweedFS 4.48 filer: a 2.x
//! topic layout is written into the filer over its HTTP API, then listed and described
//! through `LegacyClient`. The 4.x broker of that server stands in for a broker without the
//! admin extension (it answers `UNIMPLEMENTED` to it, as an original 2.x broker does).
use crate::support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use swmq::client::legacy::LegacyClient;
use swmq::client::{
    ClientError, ConnectOptions, Consumed, HistogramRequest, HistogramUnit, TopicName,
};

/// Stores `body` at `path` through the filer's HTTP API (a plain `PUT`).
fn put_file(filer_http: &str, path: &str, body: &[u8]) {
    let mut s = TcpStream::connect(filer_http).expect("connect to filer http");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {filer_http}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let status = resp.lines().next().unwrap_or("");
    assert!(
        status.contains(" 200") || status.contains(" 201"),
        "PUT {path}: {status}\n{resp}"
    );
}

async fn client(w: &support::weed::Weed) -> LegacyClient {
    let mut opts = ConnectOptions::new(&w.broker);
    opts.filer = w.filer.clone();
    let ch = swmq::client::detect::open_channel(&w.broker, Duration::from_secs(3))
        .await
        .unwrap();
    LegacyClient::new(&opts, ch)
}

const MINUTE: i64 = 60_000_000_000;
/// 2026-11-27T00:00:00Z in ns.
const DAY: i64 = 1_795_737_600 * 1_000_000_000;

#[tokio::test]
#[ignore = "needs weed"]
async fn lists_and_describes_the_2x_layout_from_the_real_filer() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = support::weed::weed() else {
        return;
    };
    let ns = support::unique_namespace("legacyfiler");
    let base = format!("/topics/{ns}");
    // events: partitions 0 and 2 over two days; partition 1 has nothing yet.
    put_file(
        &w.filer_http,
        &format!("{base}/events/2026-11-27/13-07.part00"),
        &[1u8; 300],
    );
    put_file(
        &w.filer_http,
        &format!("{base}/events/2026-11-27/13-09.part00"),
        &[2u8; 200],
    );
    put_file(
        &w.filer_http,
        &format!("{base}/events/2026-11-28/00-01.part02"),
        &[3u8; 50],
    );
    // Not part of the layout: ignored.
    put_file(
        &w.filer_http,
        &format!("{base}/events/2026-11-27/notes.txt"),
        b"x",
    );
    // A closed channel-like topic: data and the md5 marker of partition 0.
    put_file(
        &w.filer_http,
        &format!("{base}/done/2026-11-27/10-00.part00"),
        &[9u8; 10],
    );
    put_file(
        &w.filer_http,
        &format!("{base}/done/p00.md5"),
        b"d41d8cd98f00b204e9800998ecf8427e",
    );

    let c = client(w).await;
    let topics = c.list_topics().await.expect("list through the filer");
    let mine: Vec<_> = topics.iter().filter(|t| t.name.namespace == ns).collect();
    assert_eq!(mine.len(), 2, "{mine:#?}");
    let done = mine.iter().find(|t| t.name.name == "done").unwrap();
    assert!(done.closed());
    // No admin service, no subscriber records: whether it was read is unknown, never "no".
    assert_eq!(done.consumed(), Consumed::Unknown);
    assert_eq!(done.bytes(), Some(10));
    assert_eq!(done.first_ts_ns(), Some(DAY + 10 * 60 * MINUTE));

    let events = mine.iter().find(|t| t.name.name == "events").unwrap();
    assert_eq!(events.partitions.len(), 3);
    assert_eq!(events.partitions[0].bytes, Some(500));
    assert_eq!(events.partitions[1].bytes, Some(0));
    assert_eq!(events.partitions[2].bytes, Some(50));
    assert_eq!(events.message_count(), None, "counts need reading the logs");
    assert!(!events.closed());
    assert_eq!(events.first_ts_ns(), Some(DAY + (13 * 60 + 7) * MINUTE));
    assert_eq!(events.last_ts_ns(), Some(DAY + 24 * 60 * MINUTE + MINUTE));

    let name = TopicName::new(&ns, "events").unwrap();
    let d = c
        .describe(
            &name,
            Some(HistogramRequest {
                start_ns: Some(DAY + 13 * 60 * MINUTE),
                stop_ns: Some(DAY + 13 * 60 * MINUTE + 10 * MINUTE),
                buckets: 5,
            }),
        )
        .await
        .expect("describe through the filer");
    assert_eq!(d.info, **events);
    let h = d.histogram.unwrap();
    assert_eq!(h.unit, HistogramUnit::Bytes);
    // 2-minute buckets from 13:00: 13:07 → bucket 3, 13:09 → bucket 4.
    assert_eq!(h.counts, vec![0, 0, 0, 300, 200]);

    // Without a range: the topic's first file to the end of its last file's minute.
    let all = c
        .histogram(
            &name,
            HistogramRequest {
                start_ns: None,
                stop_ns: None,
                buckets: 1,
            },
        )
        .await
        .expect("histogram through the filer");
    assert_eq!(all.counts, vec![550]);
    assert_eq!(all.stop_ns, DAY + 24 * 60 * MINUTE + 2 * MINUTE);

    let missing = TopicName::new(&ns, "nope").unwrap();
    let e = c.describe(&missing, None).await.unwrap_err();
    assert!(matches!(e, ClientError::TopicNotFound(_)), "{e:?}");
}

#[tokio::test]
#[ignore = "needs weed"]
async fn a_broker_without_admin_counts_topics_from_the_filer() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let ns = support::unique_namespace("legacycount");
    put_file(
        &w.filer_http,
        &format!("/topics/{ns}/one/2026-11-27/10-00.part00"),
        b"1",
    );
    put_file(&w.filer_http, &format!("/topics/{ns}/two/p00.md5"), b"x");
    let e = support::embedded::start_embedded().await;
    let proxy = support::v2only::v2_only_proxy(&e.addr).await;
    let mut opts = ConnectOptions::new(&proxy);
    opts.filer = w.filer.clone();
    let ch = swmq::client::detect::open_channel(&proxy, Duration::from_secs(3))
        .await
        .unwrap();
    let c = LegacyClient::new(&opts, ch);
    let st = c.status().await.unwrap();
    assert_eq!(st.embedded_version, None);
    let listed = c.list_topics().await.unwrap();
    assert!(listed.iter().filter(|t| t.name.namespace == ns).count() == 2);
    let count = st.topic_count.expect("counted from the filer");
    assert!(count >= 2, "{count}");
}
