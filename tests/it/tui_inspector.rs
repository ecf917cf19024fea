//! The topic inspector (`i`): tabs, live refresh with request ids (stale answers dropped),
//! and Enter on a consumer group jumping to the tail scrubbed at its committed position.
//! TestBackend + insta snapshots with hand-built data; the worker's `inspect` against the
//! real broker is in `tests/mq_operators.rs`.
use crate::support;

use support::screens::*;
use swmq::client::mq::groups::{ConsumerGroup, GroupKind, GroupPartition, TopicGroups};
use swmq::tui::inspector::{Inspection, REFRESH_NS, Tab};
use swmq::tui::model::Overlay;
use swmq::tui::msg::Start;

fn group(name: &str, kind: GroupKind, lags: &[u64], ts: i64) -> ConsumerGroup {
    ConsumerGroup {
        name: name.into(),
        kind,
        partitions: lags
            .iter()
            .enumerate()
            .map(|(i, l)| GroupPartition {
                partition: i as i32,
                committed_offset: Some(100 - *l as i64),
                committed_ts_ns: (kind == GroupKind::Native).then_some(ts + i as i64),
                committed_at_ns: Some(NOW - 30 * SEC),
                high_water_mark: Some(100),
                lag: Some(*l),
                lag_at_least: false,
            })
            .collect(),
        members: Vec::new(),
    }
}

fn inspection() -> Inspection {
    let info = topics().remove(0);
    Inspection {
        groups: Some(TopicGroups {
            topic: info.name.clone(),
            partitions: 4,
            groups: vec![
                group("billing", GroupKind::Native, &[9, 3, 0, 1], NOW - 600 * SEC),
                group("analytics", GroupKind::Kafka, &[2, 0, 0, 0], 0),
                group("audit", GroupKind::Native, &[0, 0, 0, 0], NOW - 5 * SEC),
            ],
            notes: Vec::new(),
        }),
        config: None,
        schema: None,
        cluster: None,
        info,
    }
}

fn inspect_id(cmds: &[Effect]) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Effect::Worker(WorkerCmd::Inspect { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("an Inspect request")
}

fn opened() -> (Model, u64) {
    let mut m = connected(false);
    let cmds = update(&mut m, chr('i'));
    let id = inspect_id(&cmds);
    (m, id)
}

fn answer(m: &mut Model, id: u64, d: Inspection) {
    update(
        m,
        Msg::Worker(WorkerEvent::Inspected {
            id,
            result: Ok(Box::new(d)),
        }),
    );
}

fn tab(m: &Model) -> Option<Tab> {
    match &m.overlay {
        Some(Overlay::Inspector(i)) => Some(i.tab),
        _ => None,
    }
}

#[test]
fn opens_loading_then_shows_partitions_and_consumers() {
    let (mut m, id) = opened();
    insta::assert_snapshot!("inspector_loading", render(&m));
    answer(&mut m, id, inspection());
    insta::assert_snapshot!("inspector_partitions", render(&m));
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(tab(&m), Some(Tab::Consumers));
    insta::assert_snapshot!("inspector_consumers", render(&m));
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(tab(&m), Some(Tab::Config));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.overlay.is_none());
}

#[test]
fn a_stale_answer_is_dropped_and_an_open_inspector_refreshes_live() {
    let (mut m, id) = opened();
    // A refresh is due after REFRESH_NS: a new id.
    let cmds = update(&mut m, Msg::Tick(NOW + REFRESH_NS + SEC));
    let id2 = inspect_id(&cmds);
    assert_ne!(id, id2);
    // The answer to the older request comes late: dropped.
    answer(&mut m, id, inspection());
    let Some(Overlay::Inspector(i)) = &m.overlay else {
        panic!("closed")
    };
    assert!(i.data.is_none());
    answer(&mut m, id2, inspection());
    let Some(Overlay::Inspector(i)) = &m.overlay else {
        panic!("closed")
    };
    assert_eq!(
        i.data
            .as_ref()
            .unwrap()
            .groups
            .as_ref()
            .unwrap()
            .groups
            .len(),
        3
    );
    // An answer after the inspector closed changes nothing.
    update(&mut m, key(KeyCode::Esc));
    answer(&mut m, id2, inspection());
    assert!(m.overlay.is_none());
}

#[test]
fn enter_on_a_group_tails_at_its_committed_position() {
    let (mut m, id) = opened();
    answer(&mut m, id, inspection());
    update(&mut m, key(KeyCode::Tab));
    // billing is first (largest lag); its oldest committed timestamp is NOW - 600 s.
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(m.overlay.is_none());
    assert_eq!(
        m.tail.topic.as_ref().map(|t| t.to_string()).as_deref(),
        Some("demo/orders")
    );
    let want = NOW - 600 * SEC + 1;
    let at = cmds.iter().rev().find_map(|c| match c {
        Effect::Worker(WorkerCmd::Subscribe {
            start: Start::At(t),
            ..
        }) => Some(*t),
        _ => None,
    });
    assert_eq!(at, Some(want), "{cmds:?}");
    // A Kafka group (offsets only) cannot be jumped to by time: said, nothing moves.
    let (mut m, id) = opened();
    answer(&mut m, id, inspection());
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, chr('j'));
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(m.overlay.is_some());
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Effect::Worker(WorkerCmd::Subscribe { .. })))
    );
}

#[test]
fn an_error_is_shown_in_the_inspector() {
    let (mut m, id) = opened();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Inspected {
            id,
            result: Err(swmq::client::ClientError::TopicNotFound(
                "demo/orders".into(),
            )),
        }),
    );
    assert!(render(&m).contains("error: "), "{}", render(&m));
}

#[test]
fn the_cluster_tab_asks_for_the_brokers_and_flags_a_broker_that_does_not_answer() {
    use swmq::client::mq::brokers::{BrokerInfo, ClusterView, PartitionProblem};
    let (mut m, id) = opened();
    answer(&mut m, id, inspection());
    // The first answers leave the cluster out (it probes every broker): the tab asks.
    let cmds = update(&mut m, chr('4'));
    assert_eq!(tab(&m), Some(Tab::Cluster));
    let asked = cmds.iter().find_map(|c| match c {
        Effect::Worker(WorkerCmd::Inspect { id, cluster, .. }) => Some((*id, *cluster)),
        _ => None,
    });
    let (id2, cluster) = asked.expect("an Inspect request");
    assert!(cluster);
    assert!(render(&m).contains("asking every broker"), "{}", render(&m));
    let broker = |address: &str, balancer: bool, leads: usize, problem: Option<&str>| BrokerInfo {
        address: address.into(),
        balancer,
        answers: problem.is_none(),
        problem: problem.map(Into::into),
        registered: Some(problem.is_none()),
        leads,
        ..BrokerInfo::default()
    };
    let mut d = inspection();
    d.cluster = Some(ClusterView {
        balancer: Some("127.0.0.1:17777".into()),
        brokers: vec![
            broker("127.0.0.1:17777", true, 7, None),
            broker("127.0.0.1:17778", false, 9, Some("connection refused")),
        ],
        topics: 3,
        problems: vec![PartitionProblem {
            topic: "demo/orders".into(),
            partition: 2,
            leader: "127.0.0.1:17778".into(),
            problem: "leader does not answer".into(),
        }],
        notes: Vec::new(),
    });
    answer(&mut m, id2, d);
    let screen = render(&m);
    assert!(
        screen.contains("2 brokers, balancer 127.0.0.1:17777"),
        "{screen}"
    );
    assert!(screen.contains("DOWN: connection refused"), "{screen}");
    assert!(
        screen.contains("! demo/orders p2: leader does not answer (127.0.0.1:17778)"),
        "{screen}"
    );
    // Refreshes on this tab keep asking for the cluster.
    let cmds = update(&mut m, Msg::Tick(NOW + REFRESH_NS + SEC));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Effect::Worker(WorkerCmd::Inspect { cluster: true, .. })))
    );
}

/// On 2.x (the embedded broker, a channel read through its close by a foreign subscriber):
/// the inspector's worker finds the partition's state and the recorded subscribers; the
/// tabs 4.x has and 2.x has not say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_2x_the_inspector_shows_recorded_subscribers_of_a_channel() {
    use std::time::Duration;
    use support::chan::{fill, sub_channel};
    use swmq::client::{Client, ConnectOptions, Consumed};
    let e = support::embedded::start_embedded().await;
    fill(&e.addr, "done", 3, true).await;
    assert_eq!(
        sub_channel(&e.addr, "worker-3", "done", None).await,
        (3, true)
    );
    let c = Client::connect(&ConnectOptions::new(&e.addr))
        .await
        .unwrap();
    let t = topic("chan/done");
    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = c.list_topics().await.unwrap();
        if listed
            .iter()
            .any(|i| i.name == t && i.consumed() == Consumed::Yes)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = swmq::tui::inspector::inspect(&c, &t, false).await.unwrap();
    assert!(found.groups.is_none() && found.config.is_none() && found.schema.is_none());
    let mut m = connected(false);
    update(&mut m, Msg::Worker(WorkerEvent::Topics(listed)));
    let id = update(&mut m, chr('i'))
        .iter()
        .find_map(|c| match c {
            Effect::Worker(WorkerCmd::Inspect { id, topic, .. }) if *topic == t => Some(*id),
            _ => None,
        })
        .expect("an Inspect request for chan/done");
    answer(&mut m, id, found);
    let screen = render(&m);
    assert!(screen.contains("closed, ✓ consumed"), "{screen}");
    update(&mut m, chr('2'));
    let screen = render(&m);
    assert!(
        screen.contains("p0  worker-3  4 delivered, read the close"),
        "{screen}"
    );
    update(&mut m, chr('3'));
    assert!(
        render(&m).contains("2.x topics have no retention, generations or schema"),
        "{}",
        render(&m)
    );
    update(&mut m, chr('4'));
    assert!(render(&m).contains("a 2.x broker is a single server"));
    e.broker.shutdown().await.unwrap();
}

/// A tab longer than the terminal says how much more there is, and j/k scroll it (a wide
/// schema on the Config/Schema tab).
#[test]
fn a_long_tab_scrolls_and_says_how_much_more_there_is() {
    use swmq::client::{FieldType, ScalarType, Schema, SchemaField};
    let (mut m, id) = opened();
    update(&mut m, Msg::Resize(100, 20));
    let mut d = inspection();
    d.schema = Some(Schema {
        fields: (0..30)
            .map(|n| SchemaField {
                name: format!("field{n:02}"),
                index: n,
                ty: FieldType::Scalar(ScalarType::Int64),
                repeated: false,
                required: n == 0,
            })
            .collect(),
        key_columns: vec!["field00".into()],
        format: String::new(),
    });
    answer(&mut m, id, d);
    update(&mut m, chr('3'));
    let screen = render(&m);
    assert!(screen.contains("field00"), "{screen}");
    assert!(!screen.contains("field29"), "{screen}");
    assert!(screen.contains("more lines (j/k scroll)"), "{screen}");
    for _ in 0..40 {
        update(&mut m, chr('j'));
    }
    let screen = render(&m);
    assert!(screen.contains("field29"), "{screen}");
    assert!(!screen.contains("more lines"), "{screen}");
    // Another tab starts at its top.
    update(&mut m, chr('1'));
    update(&mut m, chr('3'));
    assert!(render(&m).contains("field00"));
}
