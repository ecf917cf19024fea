//! "Consumed" on SeaweedFS 4.48 (issue 15): a topic is consumed by a consumer group when the
//! group's committed position reached the end of every partition. Real groups made by a
//! real subscriber with `follower_broker` set (as in `mq_operators`), on the shared weed:
//! the client's listing, `swmq topics` (column and filters), the bulk `swmq delete
//! --consumed`, and the TUI browser and clean-up dialog (snapshots from hand-built topics).
use crate::support;

use std::time::Duration;

use crate::mq_operators::{cli, consume, publish};
use assert_cmd::Command;
use support::screens::*;
use support::weed::mq_client;
use swmq::client::mq::MqClient;
use swmq::client::{Consumed, SubscriberInfo};

/// Describes `t` until its consumed state is `want` (a group's position is saved when its
/// subscriber has gone); fails after 20 s with the last answer.
async fn wait_consumed(c: &MqClient, t: &TopicName, want: Consumed) -> TopicInfo {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let info = c.describe(t, None).await.expect("describe").info;
        if info.consumed() == want {
            return info;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("{t} never {want:?}: {info:#?}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The JSON lines of `swmq topics` (with `args`) for topics of namespace `ns`.
fn topics_json(w: &support::weed::Weed, ns: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let out = cli(w, &[&["topics", "--format", "json"], args].concat());
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["namespace"] == ns)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn a_group_at_the_end_consumed_the_topic_half_grown_and_none_did_not() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = mq_client(w).await;
    let ns = support::unique_namespace("cons");
    let t = |n: &str| TopicName::new(&ns, n).unwrap();
    let (done, half, grown, none) = (t("done"), t("half"), t("grown"), t("none"));
    for x in [&done, &half, &grown, &none] {
        c.create_topic(x, 1).await.unwrap();
        publish(&c, x, 0, 6).await;
    }
    consume(w, &c, &done, "audit", 6).await;
    let seen = consume(w, &c, &half, "billing", 3).await;
    consume(w, &c, &grown, "audit", 6).await;
    let info = wait_consumed(&c, &done, Consumed::Yes).await;
    let by = info.consumer().expect("who");
    assert_eq!(by.id, "audit");
    assert!(by.close_received_at_ns.is_some_and(|at| at > 0), "{by:?}");
    wait_consumed(&c, &grown, Consumed::Yes).await;
    // Two more records after the group left: it is no longer at the end.
    publish(&c, &grown, 6, 2).await;
    let info = wait_consumed(&c, &grown, Consumed::No).await;
    assert!(info.consumers().is_empty());
    // Half read: not consumed; the group shows with its committed position.
    let info = wait_consumed(&c, &half, Consumed::No).await;
    let billing = &info.partitions[0].subscribers;
    assert_eq!(billing.len(), 1, "{info:#?}");
    assert_eq!(billing[0].id, "billing");
    assert_eq!(billing[0].last_delivered_ts_ns, Some(seen[2]));
    assert!(!billing[0].received_close());
    // No group at all: not consumed (nobody committed a position; not "unknown").
    let info = c.describe(&none, None).await.unwrap().info;
    assert_eq!(info.consumed(), Consumed::No, "{info:#?}");
    assert!(info.partitions[0].subscribers.is_empty());
    // The listing says the same.
    let list = c.list_topics().await.unwrap();
    let state = |x: &TopicName| list.iter().find(|i| i.name == *x).unwrap().consumed();
    assert_eq!(
        [&done, &half, &grown, &none].map(state),
        [Consumed::Yes, Consumed::No, Consumed::No, Consumed::No]
    );

    // `swmq topics`: the filters, with the column.
    let row = |args: &[&str], n: &str| {
        let table = cli(w, &[&["topics"], args].concat());
        assert!(
            table.lines().next().unwrap().ends_with("CONSUMED"),
            "{table}"
        );
        // The name column is cut to fit 80 columns (`…`) when other tests' topics are long.
        let full = format!("{ns}/{n}");
        let names_it = |cell: &str| {
            cell == full
                || cell
                    .strip_suffix('…')
                    .is_some_and(|head| full.starts_with(head))
        };
        table
            .lines()
            .find(|l| l.split_whitespace().next().is_some_and(names_it))
            .unwrap_or_else(|| panic!("{n} in {table}"))
            .to_string()
    };
    assert!(row(&["--consumed"], "done").ends_with("✓ audit"));
    // describe: the group that read it to the end, or not consumed (no reader lines: those
    // are a 2.x channel's; `swmq groups` shows a 4.x topic's groups).
    let d = cli(w, &["describe", &done.to_string()]);
    assert!(d.contains("consumed    ✓ by audit at "), "{d}");
    assert!(!d.contains("reader "), "{d}");
    let d = cli(w, &["describe", &half.to_string()]);
    assert!(d.contains("consumed    ✗ not consumed"), "{d}");
    assert!(row(&["--unconsumed"], "half").ends_with('✗'));
    assert!(row(&["--unconsumed"], "none").ends_with('✗'));
    let names = |v: Vec<serde_json::Value>| -> Vec<String> {
        v.iter()
            .map(|t| t["topic"].as_str().unwrap().to_string())
            .collect()
    };
    let consumed = topics_json(w, &ns, &["--consumed"]);
    assert_eq!(names(consumed.clone()), ["done"]);
    assert_eq!(consumed[0]["consumed"], "yes");
    assert_eq!(consumed[0]["consumed_by"], serde_json::json!(["audit"]));
    assert_eq!(
        names(topics_json(w, &ns, &["--unconsumed"])),
        ["grown", "half", "none"]
    );
    assert!(topics_json(w, &ns, &["--consumed", "--older-than", "1d"]).is_empty());

    // The bulk delete: read-only refuses; a dry run shows; --yes deletes exactly `done`.
    let ro = Command::cargo_bin("swmq")
        .unwrap()
        .args(["--broker", &w.broker, "--filer", &w.filer, "--read-only"])
        .args(["delete", "--consumed", "--namespace", &ns, "--yes"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&ro.get_output().stderr).to_string();
    assert!(err.contains("read-only"), "{err}");
    let dry = cli(w, &["delete", "--consumed", "--namespace", &ns]);
    assert!(dry.starts_with("would delete 1 consumed topic:"), "{dry}");
    assert!(
        dry.contains(&format!("{ns}/done")) && !dry.contains("/half"),
        "{dry}"
    );
    assert!(dry.contains("nothing was deleted"), "{dry}");
    assert_eq!(
        c.describe(&done, None).await.unwrap().info.message_count(),
        Some(6)
    );
    let out = cli(
        w,
        &[
            "delete",
            "--consumed",
            "--namespace",
            &ns,
            "--yes",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["deleted"], serde_json::json!([done.to_string()]), "{v}");
    assert_eq!(v["failed"], serde_json::json!([]));
    for x in [&half, &grown, &none] {
        let n = c.describe(x, None).await.unwrap().info.message_count();
        assert!(n >= Some(6), "{x} kept: {n:?}");
    }

    // The TUI browser on 4.x, from this listing: ✓, ✗.
    let mut m = Model::new(&w.broker, false, true, 10_000, swmq::time::now_ns());
    m.no_color = true;
    update(&mut m, Msg::Resize(120, 32));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: w.broker.clone(),
        }),
    );
    let mine: Vec<TopicInfo> = list
        .into_iter()
        .filter(|i| i.name.namespace == ns)
        .collect();
    update(&mut m, Msg::Worker(WorkerEvent::Topics(mine)));
    let screen = render(&m);
    let line = |n: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!(" {n} ")))
            .unwrap_or_else(|| panic!("{n} in {screen}"))
            .to_string()
    };
    assert!(line("done").contains('✓'), "{screen}");
    assert!(
        line("half").contains('✗') && line("none").contains('✗'),
        "{screen}"
    );
    // The confirmation of a delete names the group.
    m.browser.marked = [done.clone(), half.clone()].into();
    update(&mut m, chr('D'));
    let screen = render(&m);
    assert!(screen.contains("✓ consumed by audit"), "{screen}");
    assert!(screen.contains("✗ not consumed"), "{screen}");
}

/// A 4.x topic with one partition: `groups` committed there (name, at the end?).
fn mq_topic(name: &str, consumed: Consumed, groups: &[(&str, bool)], last_age: i64) -> TopicInfo {
    let mut i = info(name, 1, 4_000, false, 7200 * SEC, last_age);
    let p = &mut i.partitions[0];
    p.consumed = consumed;
    p.subscribers = groups
        .iter()
        .map(|(g, end)| SubscriberInfo {
            id: (*g).into(),
            last_seen_ns: NOW - 3000 * SEC,
            close_received_at_ns: end.then_some(NOW - 3000 * SEC),
            ..Default::default()
        })
        .collect();
    i
}

fn connected_4x() -> Model {
    let mut m = Model::new("127.0.0.1:17777", false, true, 10_000, NOW);
    m.no_color = true;
    update(&mut m, Msg::Resize(120, 32));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Topics(vec![
            mq_topic(
                "shop/orders",
                Consumed::Yes,
                &[("audit", true), ("billing", true)],
                5000 * SEC,
            ),
            mq_topic(
                "shop/payments",
                Consumed::No,
                &[("billing", false)],
                5000 * SEC,
            ),
            mq_topic("shop/refunds", Consumed::No, &[], 5000 * SEC),
            mq_topic("shop/returns", Consumed::Yes, &[("audit", true)], 60 * SEC),
            mq_topic("logs/api", Consumed::Unknown, &[], 3 * SEC),
        ])),
    );
    m
}

#[test]
fn the_browser_on_4x_shows_which_group_consumed_a_topic() {
    let m = connected_4x();
    let screen = render(&m);
    let row = |n: &str| screen.lines().find(|l| l.contains(n)).unwrap().to_string();
    assert!(
        row("orders").contains('✓') && row("payments").contains('✗'),
        "{screen}"
    );
    assert!(row("api").contains('?'), "{screen}");
}

#[test]
fn the_quick_cleanup_on_4x_lists_the_consumed_topics_with_an_age_field() {
    let mut m = connected_4x();
    update(&mut m, chr('X'));
    let screen = render(&m);
    assert!(screen.contains("shop/orders"), "{screen}");
    assert!(
        !screen.contains("shop/returns"),
        "younger than 1h: {screen}"
    );
}

#[test]
fn the_quick_cleanup_of_channels_takes_the_age_typed() {
    let mut m = Model::new("127.0.0.1:17777", false, true, 10_000, NOW);
    m.no_color = true;
    update(&mut m, Msg::Resize(100, 30));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Legacy,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    let chan = |name: &str, age: i64| {
        let mut i = info(name, 1, 120, true, 9000 * SEC, age);
        i.partitions[0].consumed = Consumed::Yes;
        i.partitions[0].subscribers = vec![SubscriberInfo {
            id: "worker-3".into(),
            close_received_at_ns: Some(NOW - age),
            ..Default::default()
        }];
        i
    };
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Topics(vec![
            chan("chan/nightly-0", 3 * 86_400 * SEC),
            chan("chan/nightly-1", 2 * 86_400 * SEC),
            chan("chan/nightly-2", 86_400 * SEC),
            chan("chan/hourly-9", 1800 * SEC),
        ])),
    );
    update(&mut m, chr('X'));
    update(&mut m, key(KeyCode::Up));
    update(&mut m, key(KeyCode::Backspace));
    update(&mut m, key(KeyCode::Backspace));
    typed(&mut m, "36h");
    let screen = render(&m);
    assert!(
        screen.contains("the 2 closed, consumed channels older than 36h"),
        "{screen}"
    );
    assert!(!screen.contains("chan/nightly-2"), "{screen}");
}
