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

fn dialog_age(m: &Model) -> (String, Option<String>) {
    match &m.overlay {
        Some(Overlay::Dialog(d)) => (
            d.get(crate::tui::dialog::FieldId::Age).to_string(),
            d.error.clone(),
        ),
        o => panic!("{o:?}"),
    }
}

#[test]
fn the_quick_cleanup_age_is_a_field_and_the_list_follows_it() {
    let mut m = with_channels();
    update(&mut m, chr('X'));
    assert_eq!(dialog_age(&m).0, "1h");
    // Up to the age field, a shorter age: the young channel joins, and its marks.
    update(&mut m, key(KeyCode::Up));
    for _ in 0..2 {
        update(&mut m, key(KeyCode::Backspace));
    }
    typed(&mut m, "30s");
    let (ts, note) = dialog_topics(&m);
    assert_eq!(ts, [t("chan/a-done"), t("chan/b-young")]);
    assert!(
        note.unwrap()
            .contains("the 2 closed, consumed channels older than 30s"),
    );
    assert_eq!(m.browser.marked.len(), 2);
    // An age that does not parse: nothing is selected, the error says why.
    typed(&mut m, "x");
    let (ts, _) = dialog_topics(&m);
    assert!(ts.is_empty());
    let (age, err) = dialog_age(&m);
    assert_eq!(age, "30sx");
    assert!(err.unwrap().contains("invalid age \"30sx\""));
    update(&mut m, key(KeyCode::Down));
    typed(&mut m, "0");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    // Back to a valid age (3h: none), then 1d30m... 2h: the old one only; the count is typed.
    update(&mut m, key(KeyCode::Up));
    for _ in 0..4 {
        update(&mut m, key(KeyCode::Backspace));
    }
    typed(&mut m, "3h");
    assert!(dialog_topics(&m).0.is_empty());
    assert!(dialog_age(&m).1.is_none());
    update(&mut m, key(KeyCode::Backspace));
    update(&mut m, key(KeyCode::Backspace));
    typed(&mut m, "90m");
    assert_eq!(dialog_topics(&m).0, [t("chan/a-done")]);
    update(&mut m, key(KeyCode::Down));
    update(&mut m, key(KeyCode::Backspace));
    typed(&mut m, "1");
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(
        matches!(cmds.first(), Some(Effect::Worker(WorkerCmd::DeleteMany { topics, .. })) if topics == &[t("chan/a-done")]),
        "{cmds:?}"
    );
}

/// A 4.x topic: consumed (by `group`, committed `age_s` ago) or not.
fn mq_topic(name: &str, consumed: Consumed, group: Option<&str>, age_s: i64) -> TopicInfo {
    let mut i = info(name, age_s + 10);
    let p = &mut i.partitions[0];
    p.consumed = consumed;
    p.last_ts_ns = Some(NOW - age_s * SEC);
    p.subscribers = group
        .map(|g| SubscriberInfo {
            id: g.into(),
            close_received_at_ns: (consumed == Consumed::Yes).then_some(NOW - age_s * SEC),
            ..Default::default()
        })
        .into_iter()
        .collect();
    i
}

#[test]
fn on_4x_the_filter_and_the_quick_cleanup_take_topics_a_group_read_to_the_end() {
    let mut m = connected();
    m.protocol = Some(crate::client::Protocol::Mq);
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![
            mq_topic("shop/done", Consumed::Yes, Some("audit"), 7200),
            mq_topic("shop/half", Consumed::No, Some("billing"), 7200),
            mq_topic("shop/none", Consumed::No, None, 7200),
            mq_topic("shop/young", Consumed::Yes, Some("audit"), 60),
            mq_topic("shop/unknown", Consumed::Unknown, None, 7200),
        ])),
    );
    update(&mut m, chr('c'));
    let rows: Vec<String> = m
        .browser
        .rows()
        .iter()
        .map(|r| format!("{:?}", r.sel()))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    update(&mut m, chr('c'));
    update(&mut m, chr('X'));
    let (ts, note) = dialog_topics(&m);
    assert_eq!(ts, [t("shop/done")]);
    let note = note.unwrap();
    assert!(
        note.contains("the 1 topic a consumer group read to the end older than 1h"),
        "{note}"
    );
    update(&mut m, key(KeyCode::Esc));
    // Marked by hand, the unread ones are called out.
    m.browser.marked = [t("shop/done"), t("shop/half"), t("shop/unknown")].into();
    update(&mut m, chr('D'));
    let note = dialog_topics(&m).1.unwrap();
    assert!(
        note.contains("⚠ 2 topic(s) no consumer group is known to have read to the end"),
        "{note}"
    );
}
