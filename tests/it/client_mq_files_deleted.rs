//! 4.x log files deleted while a read runs (retention, `mq.topic.truncate`): reported, and
//! the read goes on (moved out of `client_mq_files.rs`, which it shares helpers with).

use crate::client_mq_files::{history_from, wait_in_files};
use crate::support;

use std::time::Duration;

use support::out_msg as msg;
use support::weed::mq_client as mq;
use swmq::client::mq::PartitionReadConfig;
use swmq::client::*;
use swmq::time::TimeSpec;

/// `weed shell mq.topic.truncate` deletes the log files of each partition; here they are
/// deleted through the filer while a read holds back (its consumer does not read, so the
/// partition reader waits on its bounded channel with files still to fetch). The read says
/// which files vanished, goes on with the others and ends normally; a following read then
/// sees new records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn files_deleted_while_read_are_reported_and_the_read_goes_on() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq(w).await;
    let t = TopicName::new(&support::unique_namespace("trunc"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    // Enough records that the stalled read has files left to fetch: with one record per
    // event the merger and the channels hold about 17,000 (64 events of 256 + 16).
    let (files, per) = (8usize, 4000usize);
    for f in 0..files {
        let batch: Vec<OutMessage> = (0..per)
            .map(|k| msg(&format!("k{}", k % 9), &format!("f{f}-{k:04}")))
            .collect();
        c.publish(&t, batch).await.unwrap();
        wait_in_files(&c, &t, (f + 1) * per).await;
        // The next session's first record must fall in another second (another file).
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let part = c.partitions(&t).await.unwrap().remove(0);
    let listed = c.partition_files(&t, &part).await.unwrap().logs;
    assert!(listed.len() >= 4, "{t}: {} log files", listed.len());
    // One record per event, one file fetched at a time: the reader stalls with files left.
    let cfg = PartitionReadConfig {
        batch: 1,
        prefetch: 1,
        ..Default::default()
    };
    let mut s = c
        .read_with(&t, history_from(TimeSpec::Earliest), cfg)
        .await
        .unwrap();
    let mut got: Vec<Record> = Vec::new();
    while got.len() < 5 {
        match tokio::time::timeout(Duration::from_secs(20), s.next()).await {
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(_))) => {}
            other => panic!("{other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dir = swmq::client::mq::logs::partition_dir(&t, &part);
    for f in &listed {
        c.filer().delete_entry(&dir, &f.name).await.unwrap();
    }
    let mut notices = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => panic!("the read did not end: {} records, {notices:?}", got.len()),
            Ok(None) => break,
            Ok(Some(Ok(ReadEvent::Records(r)))) => got.extend(r),
            Ok(Some(Ok(ReadEvent::Notice(n)))) => notices.push(n),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("the read failed: {e} ({notices:?})"),
        }
    }
    eprintln!(
        "{} of {} records read; notices: {notices:?}",
        got.len(),
        files * per
    );
    assert!(got.len() < files * per, "nothing was deleted in time");
    assert!(
        notices.iter().any(|n| n.contains("vanished")),
        "no notice names the deleted files: {notices:?}"
    );
    // What was read is in order and whole files' worth from the start.
    let values = support::values_of(&got);
    let mut sorted = values.clone();
    sorted.sort();
    assert_eq!(values, sorted);
    // The topic lives on: a new record is read by a following tail.
    let mut tail = c.read(&t, ReadSpec::default()).await.unwrap();
    c.publish(&t, vec![msg("after", "after-truncate")])
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, tail.next()).await {
            Err(_) => panic!("the record published after the truncation was not read"),
            Ok(Some(Ok(ReadEvent::Records(r)))) if r.iter().any(|r| r.key == "after") => break,
            Ok(Some(Ok(_))) => {}
            other => panic!("{other:?}"),
        }
    }
}
