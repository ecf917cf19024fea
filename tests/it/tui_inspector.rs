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
        info,
    }
}

fn inspect_id(cmds: &[Command]) -> u64 {
    cmds.iter()
        .find_map(|c| match c {
            Command::Inspect { id, .. } => Some(*id),
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
        Command::Subscribe {
            start: Start::At(t),
            ..
        } => Some(*t),
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
    assert!(!cmds.iter().any(|c| matches!(c, Command::Subscribe { .. })));
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
