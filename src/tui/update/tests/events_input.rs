//! Quit, back and help keys, the detail view, connection and tail events, the mouse,
//! resize.

use super::*;
use crate::tui::update::{nav, scrub};

#[test]
fn quit_back_help_and_ctrl_c() {
    let mut m = tailing();
    update(&mut m, chr('?'));
    assert!(matches!(m.overlay, Some(Overlay::Help { .. })));
    update(&mut m, chr('j'));
    update(&mut m, chr('x'));
    assert!(m.overlay.is_none());
    // Esc backs out step by step and never quits: search, tail pane, filter, then nothing.
    for c in "/needle\r".chars() {
        update(
            &mut m,
            if c == '\r' {
                key(KeyCode::Enter)
            } else {
                chr(c)
            },
        );
    }
    assert!(!m.tail.shown().matches().is_empty());
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert!(m.tail.search.is_empty() && m.tail.shown().matches().is_empty());
    assert_eq!(m.focus, Pane::Tail);
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert_eq!(m.focus, Pane::Browser);
    m.browser.filter = "orders".into();
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert!(m.browser.filter.is_empty());
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty()); // Esc never quits
    assert!(m.status.as_ref().unwrap().text.contains("q quits"));
    // q quits from the tail pane as from the list.
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.focus, Pane::Tail);
    assert_eq!(update(&mut m, chr('q')), vec![Effect::Quit]);
    // On the no-broker screen too: q quits, Esc does not.
    let mut m = Model::new("127.0.0.1:1", false, true, 100, NOW);
    assert!(update(&mut m, key(KeyCode::Esc)).is_empty());
    assert_eq!(update(&mut m, chr('q')), vec![Effect::Quit]);
    // Ctrl-C quits even inside a dialog.
    let mut m = tailing();
    update(&mut m, chr('p'));
    let cmds = update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert_eq!(cmds, vec![Effect::Quit]);
}

#[test]
fn detail_navigation_and_copy() {
    let mut m = tailing();
    update(&mut m, key(KeyCode::Enter));
    let Some(Overlay::Detail { seq, .. }) = m.overlay else {
        panic!()
    };
    assert_eq!(m.tail.live.get(seq).unwrap().value, "needle 49");
    update(&mut m, key(KeyCode::Left));
    let Some(Overlay::Detail { seq, .. }) = m.overlay else {
        panic!()
    };
    assert_eq!(m.tail.live.get(seq).unwrap().value, "v48");
    update(&mut m, chr('l'));
    update(&mut m, chr('j'));
    let Some(Overlay::Detail { seq, scroll }) = m.overlay else {
        panic!()
    };
    assert_eq!(
        (m.tail.live.get(seq).unwrap().value.as_ref(), scroll),
        (&b"needle 49"[..], 0) // it fits: nothing to scroll
    );
    assert_eq!(
        update(&mut m, chr('c')),
        vec![Effect::Copy("needle 49".into())]
    );
    update(&mut m, chr('q'));
    assert!(m.overlay.is_none());
    assert!(!m.tail.follow); // the detail's record stays selected
}

#[test]
fn connection_events() {
    let mut m = Model::new("h:1", false, true, 10, NOW);
    let unreachable = || WorkerEvent::Unreachable {
        addr: "h:1".into(),
        error: crate::client::ClientError::Connect {
            addr: "b:1".into(),
            cause: "refused".into(),
        },
        attempt: 1,
        retry_in_ms: 500,
    };
    update(&mut m, ev(unreachable()));
    assert!(matches!(m.conn, ConnState::Unreachable { .. }));
    // Keys other than q do nothing on the no-broker screen.
    assert!(update(&mut m, chr('p')).is_empty());
    update(
        &mut m,
        ev(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: "h:1".into(),
        }),
    );
    assert_eq!(m.conn, ConnState::Connected);
    update(&mut m, ev(unreachable()));
    assert!(matches!(m.conn, ConnState::Disconnected { .. }));
    update(
        &mut m,
        ev(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: "h:1".into(),
        }),
    );
    assert!(m.status.as_ref().unwrap().text.contains("reconnected"));
}

#[test]
fn tail_events_and_ticks() {
    let mut m = tailing();
    let id = m.tail.sub.unwrap();
    update(
        &mut m,
        ev(WorkerEvent::TailReconnecting {
            id,
            partition: None,
            error: crate::client::ClientError::Unsupported("reset".into()),
            attempt: 1,
        }),
    );
    assert_eq!(m.tail.reconnecting.as_deref(), Some("reset"));
    update(
        &mut m,
        ev(WorkerEvent::TailReconnected {
            id,
            partition: None,
        }),
    );
    assert!(m.tail.reconnecting.is_none());
    update(&mut m, ev(WorkerEvent::CaughtUp { id }));
    assert!(m.tail.caught_up);
    // Rate: the 50 history records replayed before CaughtUp do not count; 7 live ones do.
    let live = (50..57).map(|i| rec(i, "live")).collect();
    update(&mut m, ev(WorkerEvent::Records { id, records: live }));
    update(&mut m, Msg::Tick(NOW + SEC));
    assert!((m.rate - 7.0).abs() < 1e-9, "{}", m.rate);
    update(&mut m, Msg::Tick(NOW + 2 * SEC));
    assert_eq!(m.rate, 0.0);
    // The live histogram refreshes every few seconds.
    let cmds = update(&mut m, Msg::Tick(NOW + 6 * SEC));
    assert!(matches!(
        cmds.as_slice(),
        [Effect::Worker(WorkerCmd::Histogram { .. })]
    ));
    m.say(crate::tui::model::Level::Info, "hello");
    update(&mut m, Msg::Tick(NOW + 60 * SEC));
    assert!(m.status.is_none());
    update(
        &mut m,
        ev(WorkerEvent::TailEnded {
            id,
            end: crate::tui::msg::TailEnd::Closed,
        }),
    );
    assert_eq!(m.tail.sub, None);
    assert_eq!(m.tail.ended, Some(crate::tui::msg::TailEnd::Closed));
}

#[test]
fn mouse_clicks_and_wheel() {
    let mut m = connected();
    let a = layout::areas(m.size);
    let rows = layout::browser_rows(&a, false);
    let click = |x, y| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Row 2: demo/payments (row 0 = "demo", 1 = orders).
    let cmds = update(&mut m, click(rows.x + 2, rows.y + 2));
    assert!(
        matches!(&cmds[0], Effect::Worker(WorkerCmd::Subscribe { topic, .. }) if *topic == t("demo/payments"))
    );
    let id = m.tail.sub.unwrap();
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id,
            records: (0..50).map(|i| rec(i, &format!("v{i}"))).collect(),
        }),
    );
    let wheel = Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: a.tail.x + 5,
        row: a.tail.y + 5,
        modifiers: KeyModifiers::NONE,
    });
    update(&mut m, wheel);
    assert!(!m.tail.follow);
    assert_eq!(sel_value(&m), "v46");
    // Click on a record selects it.
    let (top, _) = nav::tail_window(&m);
    update(&mut m, click(a.tail_rows.x + 3, a.tail_rows.y));
    assert_eq!(nav::tail_window(&m).1, top);
    // Click on the timeline moves the cursor there.
    let cmds = update(&mut m, click(a.timeline_inner.x + 10, a.timeline_inner.y));
    assert!(matches!(
        cmds.as_slice(),
        [Effect::Worker(WorkerCmd::Cancel { .. })]
    ));
    assert_eq!(m.scrub.cursor, Some(scrub::time_at_column(&m, 10)));
}

#[test]
fn resize_and_utc_toggle() {
    let mut m = tailing();
    update(&mut m, chr('j')); // a topic below the namespace row is selected
    assert_eq!(m.browser.scroll, 0);
    update(&mut m, Msg::Resize(50, 10));
    assert!(m.too_small());
    update(&mut m, Msg::Resize(1, 1));
    update(&mut m, Msg::Resize(100, 30));
    assert!(!m.too_small());
    // Back at a size where the whole list fits, it is not left scrolled past its top.
    assert_eq!(m.browser.scroll, 0);
    update(&mut m, chr('u'));
    assert!(!m.utc);
}
