//! The cluster view (`swmq brokers`) on two SeaweedFS 4.48 brokers: both listed with the
//! balancer and the partitions each leads; a killed broker and its partitions flagged.
use crate::support;

use std::time::Duration;

use support::cluster::Cluster;
use swmq::client::mq::brokers::ClusterView;
use swmq::client::*;

fn flagged(v: &ClusterView, dead: &str) -> bool {
    let listed_down = v
        .brokers
        .iter()
        .any(|b| b.address == dead && !b.answers && b.problem.is_some());
    let parts = v.problems.iter().any(|p| {
        p.problem == "leaderless" || (p.leader == dead && p.problem == "leader does not answer")
    });
    listed_down || parts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn brokers_lists_both_and_flags_a_killed_one() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let Some(cl) = tokio::task::spawn_blocking(Cluster::start).await.unwrap() else {
        return;
    };
    let balancer = cl.balancer().await;
    let other = 1 - balancer;
    let c = cl.client(balancer).await;
    let t = TopicName::new(&support::unique_namespace("brk"), "spread").unwrap();
    c.create_topic(&t, 8).await.expect("create");
    let v = c.brokers().await.expect("brokers");
    assert_eq!(
        v.balancer.as_deref(),
        Some(cl.brokers[balancer].as_str()),
        "{v:#?}"
    );
    for (i, addr) in cl.brokers.iter().enumerate() {
        let b = v
            .brokers
            .iter()
            .find(|b| &b.address == addr)
            .unwrap_or_else(|| panic!("{addr} not listed: {v:#?}"));
        assert!(b.answers, "{v:#?}");
        assert_eq!(b.balancer, i == balancer);
        assert_eq!(b.registered, Some(true), "the master lists it: {v:#?}");
        assert!(b.leads > 0, "{addr} leads partitions: {v:#?}");
    }
    assert!(v.problems.is_empty(), "{v:#?}");
    let leads: usize = v.brokers.iter().map(|b| b.leads).sum();
    assert!(leads >= 8, "{v:#?}");
    // 4.48 counts the streams of the balancer's partitions only: the other broker's are
    // unknown, and both views say so instead of showing 0.
    let b = |i: usize| {
        v.brokers
            .iter()
            .find(|b| b.address == cl.brokers[i])
            .unwrap()
    };
    assert_eq!(b(balancer).publishers, Some(0), "{v:#?}");
    assert_eq!((b(other).publishers, b(other).subscribers), (None, None));
    assert!(
        v.notes.iter().any(|n| n.contains(&cl.brokers[other])
            && n.contains("counts the streams of the balancer's own partitions only")),
        "{v:#?}"
    );
    let table = swmq::cli::brokers_table_for_tests(&v);
    let row = table
        .lines()
        .find(|l| l.starts_with(&cl.brokers[other]))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[cells.len() - 2..], ["?", "?"], "{table}");
    // The same for a topic's clients: with partitions on both brokers, unknown (not 0).
    let d = c.describe(&t, None).await.expect("describe");
    assert_eq!((d.info.publishers, d.info.subscribers), (None, None));
    let g = c.groups(&t).await.expect("groups");
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("only those of the balancer's partitions")),
        "{g:#?}"
    );
    // Through the binary, as JSON.
    let out = assert_cmd::Command::cargo_bin("swmq")
        .unwrap()
        .args([
            "--broker",
            &cl.brokers[balancer],
            "--filer",
            &cl.filer,
            "brokers",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(j["brokers"].as_array().unwrap().len(), 2, "{j}");
    let other_json = j["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["address"] == cl.brokers[other].as_str())
        .unwrap();
    assert!(other_json["publishers"].is_null(), "{j}");
    // The other broker is killed: it (or the partitions it led) is flagged.
    let dead = cl.brokers[other].clone();
    cl.broker_procs[other].stop("KILL");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    let v = loop {
        let v = c.brokers().await.expect("brokers after the kill");
        if flagged(&v, &dead) {
            break v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never flagged: {v:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let table = swmq::cli::brokers_table_for_tests(&v);
    assert!(
        table.contains("DOWN") || table.contains("flagged"),
        "{table}"
    );
    eprintln!("{table}");
    assert!(cl.broker_procs[balancer].is_alive());
}
