//! The scrubber: the cursor and its debounced resubscribe, clamping, zoom, go to time.

use super::*;
use crate::tui::update::scrub;

fn due(m: &mut Model) -> Vec<Effect> {
    update(m, Msg::Tick(m.now + DEBOUNCE_NS))
}

#[test]
fn scrubbing_resubscribes_at_the_cursor_after_the_debounce() {
    let mut m = tailing();
    let old = m.tail.sub.unwrap();
    let (start, stop) = m.window();
    assert_eq!(stop, NOW);
    let bucket = (stop - start) / i64::from(layout::areas(m.size).timeline_inner.width);
    let cmds = update(&mut m, key(KeyCode::Left));
    assert_eq!(cmds, vec![Effect::Worker(WorkerCmd::Cancel { id: old })]);
    assert_eq!(m.scrub.cursor, Some(NOW - bucket));
    assert!(
        m.tail.live.is_empty(),
        "records not from the cursor are cleared at once"
    );
    // Within the debounce: more moves, no subscription yet.
    assert!(update(&mut m, chr('h')).is_empty());
    assert!(update(&mut m, shift(KeyCode::Left)).is_empty());
    assert_eq!(m.scrub.cursor, Some(NOW - 12 * bucket));
    assert!(update(&mut m, Msg::Tick(NOW + DEBOUNCE_NS / 2)).is_empty());
    // (The live window ends at now, so its buckets widen as time passes.)
    let bucket2 = scrub::bucket_ns(&m);
    assert!(update(&mut m, key(KeyCode::Right)).is_empty());
    let want = NOW - 12 * bucket + bucket2;
    assert_eq!(m.scrub.cursor, Some(want));
    let cmds = due(&mut m);
    let [Effect::Worker(WorkerCmd::Subscribe { id, topic, start })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!((*start, topic.clone()), (Start::At(want), t("demo/orders")));
    assert_eq!(m.tail.sub, Some(*id));
    assert!(m.tail.live.is_empty() && !m.tail.follow);
    // Nothing more once fired.
    assert!(due(&mut m).is_empty());
    // Records from the cursor: the first one is selected.
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id: *id,
            records: vec![rec(1, "first"), rec(2, "second")],
        }),
    );
    assert_eq!(sel_value(&m), "first");
    // Shift+→ ten buckets forward.
    let bucket3 = scrub::bucket_ns(&m);
    update(&mut m, shift(KeyCode::Right));
    assert_eq!(m.scrub.cursor, Some(want + 10 * bucket3));
    // → past now returns to live at once.
    for _ in 0..5 {
        update(&mut m, shift(KeyCode::Right));
    }
    assert_eq!(m.scrub.cursor, None);
    assert!(m.tail.follow);
    assert!(m.tail.sub.is_some());
}

#[test]
fn scrubbing_is_clamped_to_the_topic_history_and_g_returns_live() {
    let mut m = tailing();
    for _ in 0..50 {
        update(&mut m, shift(KeyCode::Left));
    }
    assert_eq!(m.scrub.cursor, Some(NOW - 3600 * SEC));
    due(&mut m);
    let cmds = update(&mut m, shift(KeyCode::Char('G')));
    let sub = m.tail.sub.unwrap();
    assert!(
        matches!(cmds.as_slice(), [Effect::Worker(WorkerCmd::Cancel { .. }), Effect::Worker(WorkerCmd::Subscribe { id, start: Start::Newest(100), .. })] if *id == sub)
    );
    assert!(m.scrub.cursor.is_none() && m.tail.follow);
}

#[test]
fn scrub_window_full_stops_reading_instead_of_dropping() {
    let mut m = tailing();
    update(&mut m, key(KeyCode::Left));
    let cmds = due(&mut m);
    let Some(Effect::Worker(WorkerCmd::Subscribe { id, .. })) = cmds.last().cloned() else {
        panic!()
    };
    let cmds = update(
        &mut m,
        ev(WorkerEvent::Records {
            id,
            records: (0..120).map(|i| rec(i, "x")).collect(),
        }),
    );
    assert_eq!(cmds, vec![Effect::Worker(WorkerCmd::Cancel { id })]);
    assert_eq!(m.tail.live.len(), 100);
    assert_eq!(m.tail.live.first_seq(), m.tail.sel); // still at the cursor's first record
    assert_eq!(m.tail.sub, None);
}

#[test]
fn zoom_requests_histograms_of_the_new_window() {
    let mut m = tailing();
    let (start, stop) = m.window();
    let cmds = update(&mut m, chr(']'));
    let [
        Effect::Worker(WorkerCmd::Histogram {
            start_ns,
            stop_ns,
            buckets,
            ..
        }),
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*stop_ns, stop);
    assert_eq!(stop_ns - start_ns, (stop - start) / 2);
    assert_eq!(
        *buckets,
        u32::from(layout::areas(m.size).timeline_inner.width)
    );
    let cmds = update(&mut m, chr('['));
    assert!(matches!(
        cmds.as_slice(),
        [Effect::Worker(WorkerCmd::Histogram { .. })]
    ));
    assert_eq!(m.scrub.window, None); // back to the whole history
}

#[test]
fn a_window_zoomed_while_live_slides_with_the_clock() {
    let mut m = tailing();
    update(&mut m, chr(']'));
    let (start, stop) = m.window();
    assert_eq!(stop, NOW);
    assert!(m.window_is_live());
    update(&mut m, Msg::Tick(NOW + 2 * SEC));
    assert_eq!(m.window(), (start + 2 * SEC, stop + 2 * SEC));
    // Its histogram refreshes like the whole-history one, for the slid window.
    let cmds = update(&mut m, Msg::Tick(NOW + 6 * SEC));
    let [Effect::Worker(WorkerCmd::Histogram { stop_ns, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(*stop_ns, NOW + 6 * SEC);
    // With a cursor the window holds still.
    update(&mut m, key(KeyCode::Left));
    assert!(!m.window_is_live());
    let w = m.window();
    update(&mut m, Msg::Tick(NOW + 9 * SEC));
    assert_eq!(m.window(), w);
}

#[test]
fn go_to_time_sets_the_exact_cursor() {
    let mut m = tailing();
    update(&mut m, chr('t'));
    let at = NOW - 1234 * SEC - 567;
    for c in crate::time::format_rfc3339(at).chars() {
        update(&mut m, chr(c));
    }
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(m.overlay.is_none());
    assert!(matches!(
        cmds.as_slice(),
        [Effect::Worker(WorkerCmd::Cancel { .. })]
    ));
    assert_eq!(m.scrub.cursor, Some(at));
    let cmds = due(&mut m);
    assert!(
        matches!(cmds.as_slice(), [Effect::Worker(WorkerCmd::Subscribe { start: Start::At(x), .. })] if *x == at)
    );
    // Invalid: error inline, dialog stays, nothing sent.
    update(&mut m, chr('t'));
    for c in "-15x".chars() {
        update(&mut m, chr(c));
    }
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!()
    };
    assert!(d.error.as_ref().unwrap().contains("unknown unit"));
    // `earliest` goes to the topic's first message.
    update(&mut m, key(KeyCode::Esc));
    update(&mut m, chr('t'));
    for c in "earliest".chars() {
        update(&mut m, chr(c));
    }
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.scrub.cursor, Some(NOW - 3600 * SEC));
    // `now` (or any later time) follows live rather than parking the cursor on nothing.
    for spec in ["now", "2099-01-01T00:00:00Z"] {
        update(&mut m, key(KeyCode::Left)); // scrubbing
        assert!(m.scrub.cursor.is_some());
        update(&mut m, chr('t'));
        for c in spec.chars() {
            update(&mut m, chr(c));
        }
        let cmds = update(&mut m, key(KeyCode::Enter));
        assert!(m.overlay.is_none(), "{spec}");
        assert_eq!(m.scrub.cursor, None, "{spec}");
        assert!(m.tail.follow);
        assert!(
            cmds.iter().any(|c| matches!(
                c,
                Effect::Worker(WorkerCmd::Subscribe {
                    start: Start::Newest(_),
                    ..
                })
            )),
            "{spec}: {cmds:?}"
        );
        assert!(m.status.as_ref().unwrap().text.contains("following live"));
    }
}
