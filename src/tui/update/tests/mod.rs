//! `update()` unit tests: every key path and worker event.

mod browse_tail;
mod dialogs;
mod events_input;
mod find;
mod links;
mod marks;
mod paging;
mod scrub;
mod small_things;

pub(super) use std::sync::Arc;

pub(super) use bytes::Bytes;
pub(super) use crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

pub(super) use crate::client::{
    DeleteOutcome, Histogram, HistogramUnit, PartitionInfo, Protocol, PublishOutcome, Record,
    TopicInfo, TopicName,
};
pub(crate) use crate::tui::layout;
pub(super) use crate::tui::model::{ConnState, DEBOUNCE_NS, Model, Overlay, Pane, SEC, Sel};
pub(super) use crate::tui::msg::{Effect, Msg, Start, WorkerCmd, WorkerEvent};
pub(super) use crate::tui::update::update;

pub(super) const NOW: i64 = 1_795_701_732 * SEC;

pub(super) fn t(s: &str) -> TopicName {
    TopicName::parse(s).unwrap()
}

pub(super) fn info(name: &str, first_age_s: i64) -> TopicInfo {
    TopicInfo {
        name: t(name),
        partitions: vec![PartitionInfo {
            id: 0,
            message_count: Some(10),
            bytes: Some(100),
            first_ts_ns: Some(NOW - first_age_s * SEC),
            last_ts_ns: Some(NOW - SEC),
            ..Default::default()
        }],
        publishers: None,
        subscribers: None,
    }
}

pub(super) fn rec(i: i64, v: &str) -> Record {
    Record {
        topic: Arc::new(t("demo/orders")),
        partition: (i % 2) as i32,
        ts_ns: NOW - 100 * SEC + i * SEC,
        key: Bytes::from(format!("k{i}")),
        value: Bytes::copy_from_slice(v.as_bytes()),
        headers: vec![],
        is_close: false,
        offset: Some(i),
        decoded: None,
    }
}

pub(super) fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
pub(super) fn chr(c: char) -> Msg {
    key(KeyCode::Char(c))
}
pub(super) fn shift(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::SHIFT))
}
pub(super) fn ev(e: WorkerEvent) -> Msg {
    Msg::Worker(e)
}

pub(super) fn connected() -> Model {
    let mut m = Model::new("127.0.0.1:17777", false, true, 100, NOW);
    update(&mut m, Msg::Resize(120, 40));
    update(
        &mut m,
        ev(WorkerEvent::Connected {
            protocol: Protocol::Legacy,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![
            info("demo/orders", 3600),
            info("demo/payments", 60),
            info("chan/jobs", 60),
        ])),
    );
    m
}

/// Tailing demo/orders with 50 records (values "v0".."v49", every 7th "needle").
pub(super) fn tailing() -> Model {
    let mut m = connected();
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(
        matches!(&cmds[0], Effect::Worker(WorkerCmd::Subscribe { start: Start::Newest(100), topic, .. }) if *topic == t("demo/orders"))
    );
    assert!(matches!(
        &cmds[1],
        Effect::Worker(WorkerCmd::Histogram { .. })
    ));
    let id = m.tail.sub.unwrap();
    let records = (0..50)
        .map(|i| {
            rec(
                i,
                &if i % 7 == 0 {
                    format!("needle {i}")
                } else {
                    format!("v{i}")
                },
            )
        })
        .collect();
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    m
}

pub(super) fn sel_value(m: &Model) -> String {
    let (_, row) = crate::tui::update::nav::tail_window(m);
    let rows = m.tail.shown().rows(m.tail.filter);
    let (_, r) = rows.record(row).unwrap();
    String::from_utf8_lossy(&r.value).into_owned()
}
