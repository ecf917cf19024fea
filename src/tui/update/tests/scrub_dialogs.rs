//! Scrubber, dialogs, connection, mouse.

use super::*;
use crate::tui::dialog::FieldId;
use crate::tui::update::{nav, scrub};

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

#[test]
fn publish_blocks_a_second_submit_while_in_flight() {
    let mut m = tailing();
    update(&mut m, chr('p'));
    for c in "key1".chars() {
        update(&mut m, chr(c));
    }
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [
        Effect::Worker(WorkerCmd::Publish {
            req,
            topic,
            messages,
        }),
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(topic, &t("demo/orders"));
    assert_eq!(&messages[0].key[..], b"key1");
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!()
    };
    assert!(d.error.as_ref().unwrap().contains("in flight"));
    // No edits while in flight either.
    update(&mut m, chr('x'));
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!()
    };
    assert_eq!(d.get(crate::tui::dialog::FieldId::Key), "key1");
    // An error keeps the dialog open and allows a retry.
    update(
        &mut m,
        ev(WorkerEvent::Published {
            req: *req,
            result: Err(crate::client::ClientError::Unsupported("boom".into())),
        }),
    );
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!()
    };
    assert_eq!(d.in_flight, None);
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [Effect::Worker(WorkerCmd::Publish { req, .. })] = cmds.as_slice() else {
        panic!()
    };
    let cmds = update(
        &mut m,
        ev(WorkerEvent::Published {
            req: *req,
            result: Ok(vec![PublishOutcome {
                partition: 1,
                offset: Some(5),
                ts_ns: None,
            }]),
        }),
    );
    assert!(m.overlay.is_none());
    let text = &m.status.as_ref().unwrap().text;
    assert!(text.contains("to demo/orders → p1 offset 5"), "{text}");
    assert!(cmds.is_empty(), "a known topic: {cmds:?}");
}

#[test]
fn publishing_to_a_new_topic_names_it_and_lists_it() {
    let mut m = tailing();
    update(&mut m, chr('p'));
    update(&mut m, shift(KeyCode::BackTab)); // back to the topic field
    for c in "-typo".chars() {
        update(&mut m, chr(c));
    }
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [Effect::Worker(WorkerCmd::Publish { req, topic, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(topic, &t("demo/orders-typo"));
    let cmds = update(
        &mut m,
        ev(WorkerEvent::Published {
            req: *req,
            result: Ok(vec![PublishOutcome {
                partition: 0,
                offset: None,
                ts_ns: None,
            }]),
        }),
    );
    let text = &m.status.as_ref().unwrap().text;
    assert!(
        text.contains("published 1 message(s) to demo/orders-typo"),
        "{text}"
    );
    assert_eq!(cmds, vec![Effect::Worker(WorkerCmd::RefreshTopics)]);
}

#[test]
fn delete_needs_the_full_name_and_removes_the_topic() {
    let mut m = tailing();
    let sub = m.tail.sub.unwrap();
    update(&mut m, chr('D'));
    for c in "demo/order".chars() {
        update(&mut m, chr(c));
    }
    assert!(update(&mut m, key(KeyCode::Enter)).is_empty());
    assert!(m.overlay.is_some());
    update(&mut m, chr('s'));
    let cmds = update(&mut m, key(KeyCode::Enter));
    let [Effect::Worker(WorkerCmd::Delete { req, topic })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(topic, &t("demo/orders"));
    let cmds = update(
        &mut m,
        ev(WorkerEvent::Deleted {
            req: *req,
            result: Ok(DeleteOutcome {
                existed: Some(true),
                note: None,
            }),
        }),
    );
    assert!(cmds.contains(&Effect::Worker(WorkerCmd::Cancel { id: sub })));
    assert!(cmds.contains(&Effect::Worker(WorkerCmd::RefreshTopics)));
    assert!(m.browser.info(&t("demo/orders")).is_none());
    assert!(m.tail.topic.is_none());
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("deleted demo/orders")
    );
}

#[test]
fn close_channel_only_on_2x_channels() {
    let mut m = connected();
    update(&mut m, chr('C'));
    assert!(m.status.as_ref().unwrap().text.contains("not a channel"));
    for _ in 0..4 {
        update(&mut m, chr('j'));
    }
    assert_eq!(m.browser.selected_topic(), Some(&t("chan/jobs")));
    update(&mut m, chr('C'));
    assert!(m.overlay.is_some());
    let cmds = update(&mut m, chr('y'));
    let [Effect::Worker(WorkerCmd::CloseChannel { req, name })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(name, "jobs");
    let cmds = update(
        &mut m,
        ev(WorkerEvent::ChannelClosed {
            req: *req,
            result: Ok(PublishOutcome {
                partition: 0,
                offset: None,
                ts_ns: None,
            }),
        }),
    );
    assert_eq!(cmds, vec![Effect::Worker(WorkerCmd::RefreshTopics)]);
    assert!(m.overlay.is_none());
    m.protocol = Some(Protocol::Mq);
    update(&mut m, chr('C'));
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("only in SeaweedFS 2.x")
    );
}

#[test]
fn read_only_refuses_writes() {
    let mut m = connected();
    m.read_only = true;
    for c in ['p', 'C', 'D'] {
        assert!(update(&mut m, chr(c)).is_empty());
        assert!(m.overlay.is_none());
        assert!(m.status.as_ref().unwrap().text.starts_with("read-only"));
    }
}

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

#[test]
fn the_publish_dialog_has_a_headers_field_only_where_the_broker_keeps_headers() {
    let fields = |m: &Model| match &m.overlay {
        Some(Overlay::Dialog(d)) => d.fields.iter().map(|f| f.spec.id).collect::<Vec<_>>(),
        other => panic!("no dialog: {other:?}"),
    };
    let mut m = connected();
    update(&mut m, chr('p'));
    assert!(fields(&m).contains(&FieldId::Headers));
    m.overlay = None;
    m.protocol = Some(Protocol::Mq);
    update(&mut m, chr('p'));
    let f = fields(&m);
    assert!(!f.contains(&FieldId::Headers), "{f:?}");
    assert!(
        f.contains(&FieldId::Value) && f.contains(&FieldId::Key),
        "{f:?}"
    );
}
