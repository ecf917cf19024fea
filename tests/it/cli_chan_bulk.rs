//! `swmq chan list` and the bulk `swmq chan delete --closed --consumed` through the binary,
//! against the embedded broker, with channels read by a foreign 2.x subscriber.
#[allow(unused_imports)]
use crate::cli_common;
use crate::support;

use cli_common::*;
use support::chan::{fill, sub_channel};
use support::embedded::{Embedded, start_embedded};

async fn target() -> (Embedded, Target) {
    let e = start_embedded().await;
    let t = Target {
        broker: e.addr.clone(),
        filer: format!("127.0.0.1:{}", support::free_port()),
        protocol: "legacy",
    };
    (e, t)
}

/// done: read through its close; half: read half; unread; open: never closed, read to its
/// current end; and a regular topic. Waits until the broker's records show `done` consumed.
async fn scene(e: &Embedded, t: &Target) {
    fill(&e.addr, "done", 6, true).await;
    fill(&e.addr, "done2", 2, true).await;
    fill(&e.addr, "half", 6, true).await;
    fill(&e.addr, "unread", 6, true).await;
    fill(&e.addr, "open", 3, false).await;
    support::embedded::publish(&e.addr, "ns", "plain", 0, vec![support::embedded::msg("x")])
        .await
        .unwrap();
    assert_eq!(
        sub_channel(&e.addr, "worker-3", "done", None).await,
        (6, true)
    );
    assert_eq!(
        sub_channel(&e.addr, "worker-9", "done2", None).await,
        (2, true)
    );
    assert_eq!(
        sub_channel(&e.addr, "worker-4", "half", Some(3)).await,
        (3, false)
    );
    assert_eq!(
        sub_channel(&e.addr, "worker-5", "open", Some(3)).await,
        (3, false)
    );
    for _ in 0..50 {
        let out = swmq(t, &["chan", "list", "--consumed", "--format", "json"]).await;
        if json_lines(&ok(&out, "chan list")).len() == 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("done and done2 never showed as consumed");
}

fn names(v: &[serde_json::Value]) -> Vec<String> {
    v.iter()
        .map(|c| c["channel"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chan_list_shows_state_and_filters() {
    // Long by design: one end-to-end scenario, read top to bottom.
    let (e, t) = target().await;
    scene(&e, &t).await;
    let table = ok(&swmq(&t, &["chan", "list"]).await, "chan list");
    let line = |n: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("no {n} in {table}"))
            .to_string()
    };
    assert!(table.starts_with("CHANNEL"), "{table}");
    assert!(line("done").contains("closed") && line("done").contains("✓ worker-3"));
    assert!(line("half").contains('✗') && line("unread").contains('✗'));
    assert!(line("open").contains("open"));
    assert!(!table.contains("plain"), "only channels: {table}");

    let all = json_lines(&ok(
        &swmq(&t, &["chan", "list", "--format", "json"]).await,
        "chan list json",
    ));
    assert_eq!(names(&all), ["done", "done2", "half", "open", "unread"]);
    let done = &all[0];
    assert_eq!(done["consumed"], "yes");
    assert_eq!(done["consumed_by"], "worker-3");
    assert_eq!(done["closed"], true);
    assert_eq!(all[2]["consumed"], "no");
    let subs = all[2]["subscribers"].as_array().unwrap();
    assert_eq!(subs[0]["id"], "worker-4");

    let closed_unconsumed = json_lines(&ok(
        &swmq(
            &t,
            &[
                "chan",
                "list",
                "--closed",
                "--unconsumed",
                "--format",
                "json",
            ],
        )
        .await,
        "unconsumed",
    ));
    assert_eq!(names(&closed_unconsumed), ["half", "unread"]);
    let old = json_lines(&ok(
        &swmq(
            &t,
            &["chan", "list", "--older-than", "1d", "--format", "json"],
        )
        .await,
        "older",
    ));
    assert!(old.is_empty(), "nothing is a day old: {old:?}");
    let err = fails(
        &swmq(&t, &["chan", "list", "--older-than", "soon"]).await,
        2,
        "bad age",
    );
    assert!(err.contains("--older-than"), "{err}");

    // describe says it too: the state, who read it, every reader the broker recorded.
    let d = ok(&swmq(&t, &["describe", "chan/done"]).await, "describe done");
    let line = |p: &str| d.lines().find(|l| l.starts_with(p)).unwrap_or_default();
    assert!(
        line("consumed").starts_with("consumed    ✓ by worker-3 at "),
        "{d}"
    );
    assert!(
        line("reader").starts_with("reader      p0 worker-3: 7 delivered, last seen ")
            && line("reader").ends_with(", read the close"),
        "{d}"
    );
    let d = ok(&swmq(&t, &["describe", "chan/half"]).await, "describe half");
    assert!(d.contains("consumed    ✗ not consumed"), "{d}");
    assert!(d.contains("reader      p0 worker-4: "), "{d}");
    assert!(!d.contains("read the close"), "{d}");
    let d = ok(&swmq(&t, &["describe", "ns/plain"]).await, "describe plain");
    assert!(!d.contains("consumed"), "not a channel: {d}");
    let j = json_lines(&ok(
        &swmq(&t, &["describe", "chan/done", "--format", "json"]).await,
        "describe json",
    ));
    let p0 = &j[0]["partitions"][0];
    assert_eq!(p0["consumed"], "yes");
    assert_eq!(p0["subscribers"][0]["id"], "worker-3");
    assert_eq!(j[0]["consumed_by"], serde_json::json!(["worker-3"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_delete_shows_then_deletes_exactly_the_closed_consumed_channels() {
    let (e, t) = target().await;
    scene(&e, &t).await;
    let listed = |t: Target| async move {
        names(&json_lines(&ok(
            &swmq(&t, &["chan", "list", "--format", "json"]).await,
            "list",
        )))
    };
    let before = listed(t.clone()).await;

    // Without both filters: a usage error, nothing deleted.
    let err = fails(
        &swmq(&t, &["chan", "delete", "--closed"]).await,
        2,
        "one flag",
    );
    assert!(err.contains("--closed and --consumed"), "{err}");
    // Read-only refuses even the preview.
    let mut c = cli_common::command(&t, &["chan", "delete", "--closed", "--consumed", "--yes"]);
    let out = c.env("SWMQ_READ_ONLY", "1").output().unwrap();
    fails(&out, 1, "read-only");
    // Without --yes: shows what it would delete and deletes nothing.
    let dry = ok(
        &swmq(&t, &["chan", "delete", "--closed", "--consumed"]).await,
        "dry run",
    );
    assert!(
        dry.starts_with("would delete 2 closed, consumed channels:"),
        "{dry}"
    );
    assert!(dry.contains("done") && dry.contains("done2") && !dry.contains("half"));
    assert!(dry.contains("pass --yes"), "{dry}");
    let json = json_lines(&ok(
        &swmq(
            &t,
            &[
                "chan",
                "delete",
                "--closed",
                "--consumed",
                "--format",
                "json",
            ],
        )
        .await,
        "dry run json",
    ));
    assert_eq!(json[0]["dry_run"], true);
    assert_eq!(
        names(json[0]["would_delete"].as_array().unwrap()),
        ["done", "done2"]
    );
    // --older-than excludes the young ones.
    let young = ok(
        &swmq(
            &t,
            &[
                "chan",
                "delete",
                "--closed",
                "--consumed",
                "--older-than",
                "1h",
                "--yes",
            ],
        )
        .await,
        "older than",
    );
    assert!(young.contains("0 channels deleted"), "{young}");
    assert_eq!(listed(t.clone()).await, before);

    let out = ok(
        &swmq(
            &t,
            &[
                "chan",
                "delete",
                "--closed",
                "--consumed",
                "--yes",
                "--format",
                "json",
            ],
        )
        .await,
        "bulk delete",
    );
    let report = &json_lines(&out)[0];
    assert_eq!(report["deleted"], serde_json::json!(["done", "done2"]));
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(listed(t.clone()).await, ["half", "open", "unread"]);
    // The regular topic is untouched too.
    let topics = ok(&swmq(&t, &["topics"]).await, "topics");
    assert!(topics.contains("ns/plain"), "{topics}");
    e.broker.shutdown().await.unwrap();
}
