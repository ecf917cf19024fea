//! Marks, the closed-and-consumed filter, the quick clean-up and deleting several topics.

use super::*;
use crate::client::{Consumed, SubscriberInfo};

/// A channel: closed or open, consumed or not, its last message `age_s` ago.
fn chan(name: &str, closed: bool, consumed: Consumed, age_s: i64) -> TopicInfo {
    let mut i = info(&format!("chan/{name}"), age_s + 10);
    let p = &mut i.partitions[0];
    p.closed = closed;
    p.consumed = consumed;
    p.last_ts_ns = Some(NOW - age_s * SEC);
    if consumed == Consumed::Yes {
        p.subscribers = vec![SubscriberInfo {
            id: "worker-3".into(),
            close_received_at_ns: Some(NOW - age_s * SEC),
            ..Default::default()
        }];
    }
    i
}

fn with_channels() -> Model {
    let mut m = connected();
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![
            info("demo/orders", 3600),
            chan("a-done", true, Consumed::Yes, 7200),
            chan("b-young", true, Consumed::Yes, 60),
            chan("c-unread", true, Consumed::No, 7200),
            chan("d-open", false, Consumed::No, 7200),
            chan("e-unknown", true, Consumed::Unknown, 7200),
        ])),
    );
    m
}

fn typed(m: &mut Model, s: &str) {
    for c in s.chars() {
        update(m, chr(c));
    }
}

fn select(m: &mut Model, name: &str) {
    m.browser.sel = Some(Sel::Topic(t(name)));
}

fn dialog_topics(m: &Model) -> (Vec<TopicName>, Option<String>) {
    match &m.overlay {
        Some(Overlay::Dialog(d)) => match &d.kind {
            crate::tui::dialog::DialogKind::DeleteMany(ts) => (ts.clone(), d.note.clone()),
            k => panic!("{k:?}"),
        },
        o => panic!("{o:?}"),
    }
}

#[test]
fn space_marks_and_delete_asks_for_the_count_calling_out_open_and_unread() {
    let mut m = with_channels();
    select(&mut m, "chan/a-done");
    update(&mut m, chr(' '));
    assert_eq!(
        m.browser.selected_topic(),
        Some(&t("chan/b-young")),
        "moves on"
    );
    select(&mut m, "chan/d-open");
    update(&mut m, chr(' '));
    select(&mut m, "chan/c-unread");
    update(&mut m, chr(' '));
    assert_eq!(m.browser.marked.len(), 3);
    update(&mut m, chr('D'));
    let (ts, note) = dialog_topics(&m);
    assert_eq!(ts, [t("chan/a-done"), t("chan/c-unread"), t("chan/d-open")]);
    let note = note.unwrap();
    assert!(note.contains("1 OPEN channel"), "{note}");
    assert!(note.contains("1 closed channel(s) nobody"), "{note}");
    // Typing the wrong number does nothing; the right one sends one command.
    typed(&mut m, "2");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    update(&mut m, key(KeyCode::Backspace));
    typed(&mut m, "3");
    let cmds = update(&mut m, key(KeyCode::Enter));
    let Some(Effect::Worker(WorkerCmd::DeleteMany { req, topics })) = cmds.first() else {
        panic!("{cmds:?}")
    };
    assert_eq!(topics.len(), 3);
    // Two deleted, one failed: the list, marks and selection follow.
    select(&mut m, "chan/a-done");
    let cmds = update(
        &mut m,
        ev(WorkerEvent::DeletedMany {
            req: *req,
            deleted: vec![t("chan/a-done"), t("chan/c-unread")],
            failed: vec![(t("chan/d-open"), "broker down".into())],
        }),
    );
    assert!(cmds.contains(&Effect::Worker(WorkerCmd::RefreshTopics)));
    assert!(m.overlay.is_none());
    assert!(m.browser.info(&t("chan/a-done")).is_none());
    assert_eq!(
        m.browser.marked.iter().collect::<Vec<_>>(),
        [&t("chan/d-open")]
    );
    assert_eq!(
        m.browser.selected_topic(),
        Some(&t("chan/b-young")),
        "the next row"
    );
    let status = &m.status.as_ref().unwrap().text;
    assert!(status.contains("deleted 2 topics; 1 failed"), "{status}");
    // Esc unmarks what is left.
    update(&mut m, key(KeyCode::Esc));
    assert!(m.browser.marked.is_empty());
}

#[test]
fn the_quick_cleanup_proposes_exactly_the_old_closed_consumed_channels() {
    let mut m = with_channels();
    update(&mut m, chr('X'));
    let (ts, note) = dialog_topics(&m);
    assert_eq!(ts, [t("chan/a-done")]);
    assert!(
        note.unwrap()
            .contains("the 1 closed, consumed channel older than 1h")
    );
    assert_eq!(m.browser.marked.len(), 1);
}

#[test]
fn the_filter_shows_closed_consumed_channels_only() {
    let mut m = with_channels();
    update(&mut m, chr('c'));
    let rows: Vec<String> = m
        .browser
        .rows()
        .iter()
        .map(|r| format!("{:?}", r.sel()))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[1].contains("a-done") && rows[2].contains("b-young"));
    update(&mut m, chr('c'));
    assert!(m.browser.rows().len() > 3);
}

#[test]
fn read_only_has_no_bulk_delete() {
    let mut m = with_channels();
    m.read_only = true;
    select(&mut m, "chan/a-done");
    update(&mut m, chr(' '));
    update(&mut m, chr('D'));
    update(&mut m, chr('X'));
    assert!(m.overlay.is_none());
}
