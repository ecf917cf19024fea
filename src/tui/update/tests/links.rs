//! Landing on a linked record (`swmq open`), `y` (copy a link), and tailing the marked
//! topics merged.

use super::*;
use crate::link::Link;

/// The model after `swmq open` of the link to `rec(i)` of demo/orders, connected and
/// listed; returns the subscription's id once the debounce has fired.
fn opened(i: i64) -> (Model, u64, Vec<Effect>) {
    let mut m = Model::new("127.0.0.1:17777", false, true, 100, NOW);
    update(&mut m, Msg::Resize(120, 40));
    let r = rec(i, "x");
    let link = Link::to_record("127.0.0.1:17777", &r);
    crate::tui::update::landing::open_link(&mut m, &link);
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("opening demo/orders")
    );
    let cmds = update(
        &mut m,
        ev(WorkerEvent::Topics(vec![info("demo/orders", 3600)])),
    );
    assert_eq!(m.tail.topic, Some(t("demo/orders")));
    assert_eq!(
        m.scrub.cursor,
        Some(r.ts_ns),
        "the cursor at the record's ns"
    );
    assert!(matches!(
        cmds.as_slice(),
        [Effect::Worker(WorkerCmd::Histogram { .. })]
    ));
    let cmds = update(&mut m, Msg::Tick(NOW + DEBOUNCE_NS));
    let [Effect::Worker(WorkerCmd::Subscribe { id, start, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(*start, Start::At(r.ts_ns));
    (m, *id, cmds)
}

#[test]
fn open_selects_the_record_then_pages_in_the_records_before_it() {
    let (mut m, id, _) = opened(40);
    // The read from the record's time: records 40.. (40 first).
    let records = (40..50).map(|i| rec(i, &format!("v{i}"))).collect();
    let cmds = update(&mut m, ev(WorkerEvent::Records { id, records }));
    assert_eq!(super::sel_value(&m), "v40");
    assert!(!m.tail.follow);
    let [
        Effect::Worker(WorkerCmd::ReadBefore {
            req,
            before_ns,
            limit,
            ..
        }),
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*before_ns, rec(40, "").ts_ns);
    assert!(*limit >= 3);
    let earlier = (30..40).map(|i| rec(i, &format!("v{i}"))).collect();
    update(
        &mut m,
        ev(WorkerEvent::Earlier {
            req: *req,
            result: Ok((earlier, false)),
        }),
    );
    // Still on the record, with the ones before it visible above.
    assert_eq!(super::sel_value(&m), "v40");
    let (top, sel) = crate::tui::update::nav::tail_window(&m);
    assert!(sel - top >= 5, "context above: top {top}, sel {sel}");
    assert!(m.scrub.landing.is_none());
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("earlier record(s) loaded above it"),
        "{:?}",
        m.status
    );
}

#[test]
fn a_missing_record_selects_the_next_one_and_says_so() {
    let (mut m, id, _) = opened(40);
    // Record 40 is gone: the read starts at 41.
    let records = (41..45).map(|i| rec(i, &format!("v{i}"))).collect();
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    assert_eq!(super::sel_value(&m), "v41");
    let s = m.status.clone().unwrap();
    assert!(
        s.text.contains("no record of partition 0") && s.text.contains("next one"),
        "{s:?}"
    );
}

#[test]
fn a_topic_not_listed_or_a_time_outside_it_is_said() {
    let mut m = Model::new("127.0.0.1:17777", false, true, 100, NOW);
    let mut r = rec(1, "x");
    r.topic = Arc::new(t("demo/gone"));
    crate::tui::update::landing::open_link(&mut m, &Link::to_record("h:1", &r));
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![info("demo/orders", 3600)])),
    );
    let s = m.status.clone().unwrap();
    assert!(s.text.contains("demo/gone does not exist"), "{s:?}");
    assert_eq!(m.tail.topic, None);
    // Before the topic's first record (10 s of history, the record 99 s old).
    let mut m = Model::new("127.0.0.1:17777", false, true, 100, NOW);
    crate::tui::update::landing::open_link(&mut m, &Link::to_record("h:1", &rec(1, "x")));
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![info("demo/orders", 10)])),
    );
    let s = m.status.clone().unwrap();
    assert!(
        s.text.contains("before demo/orders's first record"),
        "{s:?}"
    );
    assert_eq!(
        m.scrub.cursor,
        Some(NOW - 10 * SEC),
        "clamped to the first record"
    );
}

#[test]
fn y_copies_a_link_to_the_selected_record() {
    let mut m = super::tailing();
    update(&mut m, chr('k'));
    let r_val = super::sel_value(&m);
    let cmds = update(&mut m, chr('y'));
    let [Effect::Copy(text)] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    let l = Link::parse(text).unwrap();
    assert_eq!(l.broker, "127.0.0.1:17777");
    assert_eq!(l.topic, t("demo/orders"));
    assert_eq!(l.protocol, Some(Protocol::Legacy));
    let i: i64 = r_val.trim_start_matches('v').parse().unwrap();
    assert_eq!(
        (l.ts_ns, l.partition, l.offset),
        (rec(i, "").ts_ns, (i % 2) as i32, Some(i))
    );
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .starts_with("copied swmq://")
    );
    // In the detail view, the detail's record.
    update(&mut m, key(KeyCode::Enter));
    let cmds = update(&mut m, chr('y'));
    assert!(matches!(cmds.as_slice(), [Effect::Copy(x)] if x == text));
    // Nothing selected: nothing copied.
    let mut m = connected();
    update(&mut m, key(KeyCode::Tab));
    assert!(update(&mut m, chr('y')).is_empty());
}

#[test]
fn enter_with_marks_tails_the_marked_topics_merged() {
    let mut m = connected();
    // The browser rows: chan, demo (orders, payments) — mark both demo topics.
    m.browser.sel = Some(Sel::Topic(t("demo/orders")));
    update(&mut m, chr(' '));
    m.browser.sel = Some(Sel::Topic(t("demo/payments")));
    update(&mut m, chr(' '));
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [
        Effect::Worker(WorkerCmd::SubscribeMany { topics, start, .. }),
        Effect::Worker(WorkerCmd::HistogramMany { topics: ht, .. }),
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(topics, &[t("demo/orders"), t("demo/payments")]);
    assert_eq!(ht, topics);
    assert_eq!(*start, Start::Newest(100));
    assert_eq!(m.focus, Pane::Tail);
    // The timeline starts at the earliest first record of the union.
    assert_eq!(m.history_start(), NOW - 3600 * SEC);
    // Scrubbing re-subscribes all of them.
    update(&mut m, key(KeyCode::Left));
    let cmds = update(&mut m, Msg::Tick(NOW + DEBOUNCE_NS));
    assert!(
        matches!(cmds.as_slice(), [Effect::Worker(WorkerCmd::SubscribeMany { topics, .. })] if topics.len() == 2),
        "{cmds:?}"
    );
    // Enter on one topic without marks: that one alone again.
    update(&mut m, key(KeyCode::Esc));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.browser.marked.is_empty());
    m.browser.sel = Some(Sel::Topic(t("demo/orders")));
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(
        matches!(&cmds[1], Effect::Worker(WorkerCmd::Subscribe { topic, .. }) if *topic == t("demo/orders")),
        "{cmds:?}"
    );
    assert!(m.tail.merged.is_empty());
}
