//! Every CLI command end to end through the binary against the real SeaweedFS 4.48.
use crate::cli_common;
use crate::support;

use cli_common::*;

fn target() -> Option<Target> {
    let w = support::weed::weed()?;
    Some(Target {
        broker: w.broker.clone(),
        filer: w.filer.clone(),
        protocol: "mq",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn status_reports_mq() {
    let Some(t) = target() else { return };
    check_status(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn json_tail_publish_roundtrip_is_byte_exact() {
    let Some(t) = target() else { return };
    check_json_roundtrip(&t, &support::unique_namespace("clirt")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn time_ranges_count_partition_grep() {
    let Some(t) = target() else { return };
    check_time_ranges(&t, &support::unique_namespace("clitr")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn topics_and_describe() {
    let Some(t) = target() else { return };
    check_topics_describe(&t, &support::unique_namespace("clitd")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn closed_stdout_ends_quietly() {
    let Some(t) = target() else { return };
    check_closed_stdout(&t, &support::unique_namespace("clihd")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn follow_then_ctrl_c() {
    let Some(t) = target() else { return };
    check_follow_and_ctrl_c(&t, &support::unique_namespace("clifw")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn read_only_and_unconfirmed_delete() {
    let Some(t) = target() else { return };
    check_read_only(&t, &support::unique_namespace("cliro")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn delete_with_yes() {
    let Some(t) = target() else { return };
    check_delete(&t, &support::unique_namespace("clidl")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn channels_are_refused_on_4x() {
    let Some(t) = target() else { return };
    check_chan_refused_on_mq(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn forcing_the_wrong_protocol_is_one_line() {
    let Some(t) = target() else { return };
    let out = swmq(&t, &["--protocol", "legacy", "tail", "a/b", "--no-follow"]).await;
    let err = fails(&out, 1, "legacy against 4.x");
    assert!(err.contains(&t.broker), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn closed_stdout_ends_an_idle_tail() {
    let Some(t) = target() else { return };
    check_closed_stdout_while_idle(&t, &support::unique_namespace("cliid")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn json_input_is_strict() {
    let Some(t) = target() else { return };
    check_json_input_is_strict(&t, &support::unique_namespace("clijs")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn partition_range_message() {
    let Some(t) = target() else { return };
    check_partition_range_message(&t, &support::unique_namespace("clipr")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn partitioners() {
    let Some(t) = target() else { return };
    check_partitioners(&t, &support::unique_namespace("clipt")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn time_roundtrip_through_from() {
    let Some(t) = target() else { return };
    check_time_roundtrip(&t, &support::unique_namespace("clitm")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn short_flags_and_format_strings() {
    let Some(t) = target() else { return };
    check_short_flags_and_formats(&t, &support::unique_namespace("clisf")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn tail_last() {
    let Some(t) = target() else { return };
    check_last(&t, &support::unique_namespace("clitl")).await;
}

/// With the filer unreachable, `topics`, `describe` and `tail` still answer from the
/// broker, and each says once on stderr that the filer could not be reached (naming its
/// address) instead of showing `-` and an empty timeline as if there were nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_filer_is_said_loudly_by_topics_describe_and_tail() {
    let Some(t) = target() else { return };
    let topic = format!("{}/t", support::unique_namespace("clinf"));
    ok(
        &swmq(&t, &["publish", &topic, "--key", "k", "v"]).await,
        "publish",
    );
    let dead = format!("127.0.0.1:{}", support::free_port());
    let mut bad = t.clone();
    bad.filer = dead.clone();
    for args in [
        vec!["topics"],
        vec!["describe", topic.as_str()],
        vec!["tail", topic.as_str(), "--no-follow", "--format", "json"],
    ] {
        let out = swmq(&bad, &args).await;
        let stdout = ok(&out, &format!("{args:?}"));
        let err = String::from_utf8_lossy(&out.stderr);
        let said: Vec<&str> = err.lines().filter(|l| l.contains(&dead)).collect();
        assert_eq!(said.len(), 1, "{args:?}: said once, naming {dead}: {err}");
        assert!(said[0].starts_with("swmq: "), "{args:?}: {err}");
        if args[0] == "tail" {
            assert_eq!(json_lines(&stdout).len(), 1, "{args:?}: {stdout}");
        } else {
            assert!(stdout.contains(&topic), "{args:?}: {stdout}");
        }
    }
}
