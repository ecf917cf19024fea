//! The admin extension (`swmq.admin.v1`): listing, describing, histograms.
use crate::support;

use support::embedded::*;
use swmq::proto::admin::{
    BrokerInfoRequest, DescribeTopicRequest, HistogramRequest, ListTopicsRequest,
};
use swmq::proto::v2::Message;

fn at(ts: i64) -> Message {
    Message {
        event_time_ns: ts,
        ..msg("0123456789")
    }
}

#[tokio::test]
async fn list_and_describe_topics_with_partition_stats() {
    let e = start_embedded().await;
    publish(&e.addr, "a", "t1", 0, vec![at(100), at(200)])
        .await
        .unwrap();
    publish(&e.addr, "a", "t1", 2, vec![at(150)]).await.unwrap();
    let close = Message {
        is_close: true,
        ..Default::default()
    };
    publish(&e.addr, "chan", "done", 0, vec![at(5), close])
        .await
        .unwrap();
    let mut c = admin_client(&e.addr).await;

    let info = c
        .broker_info(BrokerInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.advertised_address, e.addr);
    assert_eq!(info.data_dir, e.dir.path().display().to_string());

    let all = c
        .list_topics(ListTopicsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .topics;
    let names: Vec<_> = all
        .iter()
        .map(|t| format!("{}/{}", t.namespace, t.topic))
        .collect();
    assert_eq!(names, ["a/t1", "chan/done"]);
    let t1 = &all[0];
    assert_eq!(t1.partition_count, 3);
    let p = &t1.partitions;
    assert_eq!(
        p.iter()
            .map(|p| (p.partition, p.message_count, p.first_ts_ns, p.last_ts_ns))
            .collect::<Vec<_>>(),
        [(0, 2, 100, 200), (1, 0, 0, 0), (2, 1, 150, 150)]
    );
    assert!(p[0].bytes > 20 && !p[0].closed);
    let done = &all[1].partitions[0];
    assert!(done.closed);
    assert_eq!(done.message_count, 2);

    let only_chan = c
        .list_topics(ListTopicsRequest {
            namespace: "chan".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .topics;
    assert_eq!(only_chan.len(), 1);

    let d = c
        .describe_topic(DescribeTopicRequest {
            namespace: "a".into(),
            topic: "t1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d.topic.as_ref(), Some(t1));
    let err = c
        .describe_topic(DescribeTopicRequest {
            namespace: "a".into(),
            topic: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    assert!(err.message().contains("a/nope"), "{err}");
}

#[tokio::test]
async fn histogram_counts_are_exact() {
    let e = start_embedded().await;
    // Partition 0: ts 1000..1999 (1000 messages, several index blocks); partition 1: 500 at
    // 1500.. step 2.
    let p0: Vec<Message> = (0..1000).map(|i| at(1000 + i)).collect();
    let p1: Vec<Message> = (0..500).map(|i| at(1500 + 2 * i)).collect();
    publish(&e.addr, "h", "t", 0, p0).await.unwrap();
    publish(&e.addr, "h", "t", 1, p1).await.unwrap();
    let mut c = admin_client(&e.addr).await;
    let req = |start, stop, buckets, partitions: Vec<i32>| HistogramRequest {
        namespace: "h".into(),
        topic: "t".into(),
        start_ts_ns: start,
        stop_ts_ns: stop,
        buckets,
        partitions,
    };
    let h = c
        .histogram(req(1000, 3000, 4, vec![]))
        .await
        .unwrap()
        .into_inner();
    // Buckets [1000,1500) [1500,2000) [2000,2500) [2500,3000).
    assert_eq!(h.counts, [500, 500 + 250, 250, 0]);
    let h = c
        .histogram(req(1000, 3000, 4, vec![1]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.counts, [0, 250, 250, 0]);
    // Odd boundaries inside index blocks: brute-force check.
    let h = c
        .histogram(req(1003, 1999, 7, vec![0]))
        .await
        .unwrap()
        .into_inner();
    let w = (1999 - 1003) / 7;
    let want: Vec<u64> = (0..7)
        .map(|i| {
            let lo = 1003 + i * w;
            let hi = if i == 6 { 1999 } else { lo + w };
            (lo..hi).count() as u64
        })
        .collect();
    assert_eq!(h.counts, want);

    // Many buckets: one per timestamp, every block shared by 64 boundaries.
    let h = c
        .histogram(req(1000, 2000, 1000, vec![0]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.counts, vec![1; 1000]);
    // Bucket edges: a message exactly at a boundary counts in the bucket it starts, one at
    // stop is outside; with more buckets than nanoseconds, all land in the last bucket.
    let h = c.histogram(req(1500, 1502, 2, vec![0])).await.unwrap();
    assert_eq!(h.into_inner().counts, [1, 1]);
    let h = c.histogram(req(1999, 2000, 1, vec![])).await.unwrap();
    assert_eq!(h.into_inner().counts, [1]);
    let h = c.histogram(req(1000, 1003, 5, vec![0])).await.unwrap();
    assert_eq!(h.into_inner().counts, [0, 0, 0, 0, 3]);

    for bad in [
        req(10, 10, 4, vec![]),
        req(0, 10, 0, vec![]),
        req(0, 10, 2, vec![-1]),
        req(10, 5, 4, vec![]),
        req(0, 10, 10_001, vec![]),
        req(0, 10, u32::MAX, vec![]),
    ] {
        let err = c.histogram(bad).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    }
    let mut missing = req(0, 10, 2, vec![]);
    missing.topic = "missing".into();
    assert_eq!(
        c.histogram(missing).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
}
