//! Browser, tail, search, pause, detail.

use super::*;

#[test]
fn browser_navigation_and_selection_survive_refresh() {
    let mut m = connected();
    // Namespaces: demo first, chan ("channels") last; first topic preselected.
    assert_eq!(m.browser.sel, Some(Sel::Topic(t("demo/orders"))));
    update(&mut m, chr('j'));
    assert_eq!(m.browser.sel, Some(Sel::Topic(t("demo/payments"))));
    update(&mut m, key(KeyCode::Down));
    assert_eq!(m.browser.sel, Some(Sel::Namespace("chan".into())));
    update(&mut m, chr('k'));
    update(&mut m, chr('g'));
    assert_eq!(m.browser.sel, Some(Sel::Namespace("demo".into())));
    update(&mut m, key(KeyCode::PageDown));
    assert_eq!(m.browser.sel, Some(Sel::Topic(t("chan/jobs"))));
    // A refresh with a new topic keeps the selection.
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![
            info("a/new", 5),
            info("demo/orders", 3600),
            info("demo/payments", 60),
            info("chan/jobs", 60),
        ])),
    );
    assert_eq!(m.browser.sel, Some(Sel::Topic(t("chan/jobs"))));
    // Collapse / expand.
    update(&mut m, chr('h'));
    assert!(m.browser.collapsed.contains("chan"));
    assert_eq!(m.browser.sel, Some(Sel::Namespace("chan".into())));
    update(&mut m, chr('l'));
    assert!(!m.browser.collapsed.contains("chan"));
    update(&mut m, key(KeyCode::Enter)); // Enter on a namespace toggles it
    assert!(m.browser.collapsed.contains("chan"));
}

#[test]
fn browser_filter() {
    let mut m = connected();
    update(&mut m, chr('/'));
    assert!(m.browser.editing);
    for c in "pay".chars() {
        update(&mut m, chr(c));
    }
    let rows = m.browser.rows();
    assert_eq!(rows.len(), 2);
    assert_eq!(m.browser.sel, Some(Sel::Topic(t("demo/payments"))));
    update(&mut m, key(KeyCode::Enter));
    assert!(!m.browser.editing);
    assert_eq!(m.browser.filter, "pay");
    update(&mut m, chr('/'));
    update(&mut m, key(KeyCode::Esc));
    assert_eq!(m.browser.filter, "");
    assert_eq!(m.browser.rows().len(), 5);
}

#[test]
fn enter_tails_and_replaces_the_old_subscription() {
    let mut m = tailing();
    let old = m.tail.sub.unwrap();
    assert_eq!(m.focus, Pane::Tail);
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.focus, Pane::Browser);
    update(&mut m, chr('j'));
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert_eq!(cmds[0], Effect::Worker(WorkerCmd::Cancel { id: old }));
    let Effect::Worker(WorkerCmd::Subscribe { id, topic, .. }) = &cmds[1] else {
        panic!("{cmds:?}")
    };
    assert_eq!(topic, &t("demo/payments"));
    assert_ne!(*id, old);
    assert!(m.tail.live.is_empty());
}

#[test]
fn stale_subscription_results_are_dropped() {
    let mut m = tailing();
    let old = m.tail.sub.unwrap();
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, chr('j'));
    update(&mut m, key(KeyCode::Enter));
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id: old,
            records: vec![rec(99, "stale")],
        }),
    );
    assert!(m.tail.live.is_empty());
    update(
        &mut m,
        ev(WorkerEvent::TailEnded {
            id: old,
            end: crate::tui::msg::TailEnd::Failed(crate::client::ClientError::Unsupported(
                "x".into(),
            )),
        }),
    );
    assert!(m.tail.ended.is_none());
    update(&mut m, ev(WorkerEvent::CaughtUp { id: old }));
    assert!(!m.tail.caught_up);
    // A stale histogram is dropped too.
    let stale = m.scrub.hist_id - 1;
    update(
        &mut m,
        ev(WorkerEvent::Histogram {
            id: stale,
            result: Ok(Histogram {
                start_ns: 0,
                stop_ns: 10,
                counts: vec![1],
                unit: HistogramUnit::Messages,
            }),
        }),
    );
    assert!(m.scrub.hist.is_none());
}

#[test]
fn follow_scroll_and_return() {
    let mut m = tailing();
    assert!(m.tail.follow);
    assert_eq!(sel_value(&m), "needle 49");
    update(&mut m, chr('k'));
    assert!(!m.tail.follow);
    assert_eq!(sel_value(&m), "v48");
    // New records do not move the selection while browsing.
    let id = m.tail.sub.unwrap();
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id,
            records: vec![rec(50, "v50")],
        }),
    );
    assert_eq!(sel_value(&m), "v48");
    update(&mut m, key(KeyCode::Up));
    update(&mut m, key(KeyCode::PageUp));
    update(&mut m, chr('g'));
    assert_eq!(sel_value(&m), "needle 0");
    update(&mut m, key(KeyCode::PageDown));
    assert!(!m.tail.follow);
    update(&mut m, shift(KeyCode::Char('G')));
    assert!(m.tail.follow);
    assert_eq!(sel_value(&m), "v50");
    update(&mut m, chr('k'));
    update(&mut m, key(KeyCode::End));
    assert!(m.tail.follow);
}

#[test]
fn pause_freezes_a_snapshot_and_keeps_counting() {
    let mut m = tailing();
    update(&mut m, chr(' '));
    assert!(m.tail.paused());
    let id = m.tail.sub.unwrap();
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id,
            records: (50..80).map(|i| rec(i, "new")).collect(),
        }),
    );
    assert_eq!(m.tail.shown().len(), 50);
    assert_eq!(m.tail.live.len(), 80);
    assert_eq!(m.tail.since_pause, 30);
    assert_eq!(sel_value(&m), "needle 49");
    // Over capacity while paused: the live ring drops (counted), the snapshot stays.
    update(
        &mut m,
        ev(WorkerEvent::Records {
            id,
            records: (80..130).map(|i| rec(i, "more")).collect(),
        }),
    );
    assert_eq!(m.tail.live.len(), 100);
    assert_eq!(m.tail.live.dropped, 30);
    assert_eq!(m.tail.shown().len(), 50);
    update(&mut m, chr(' '));
    assert!(!m.tail.paused());
    assert_eq!(sel_value(&m), "more");
}

#[test]
fn search_highlight_jumps_and_filter() {
    let mut m = tailing();
    update(&mut m, chr('/'));
    assert!(m.tail.searching);
    for c in "NEEDLE".chars() {
        update(&mut m, chr(c));
    }
    // Smart case: an upper-case letter makes the search exact.
    assert_eq!(m.tail.live.matches().len(), 0);
    for _ in 0..6 {
        update(&mut m, key(KeyCode::Backspace));
    }
    for c in "needle".chars() {
        update(&mut m, chr(c));
    }
    assert_eq!(m.tail.live.matches().len(), 8); // 0,7,..,49
    update(&mut m, key(KeyCode::Enter));
    assert!(!m.tail.searching);
    // From follow the nearest match is the newest, not the oldest record of the buffer.
    assert_eq!(sel_value(&m), "needle 49");
    assert!(!m.tail.follow);
    update(&mut m, shift(KeyCode::Char('N')));
    assert_eq!(sel_value(&m), "needle 42");
    update(&mut m, chr('n'));
    update(&mut m, chr('n'));
    assert_eq!(sel_value(&m), "needle 0"); // wrapped forwards
    update(&mut m, shift(KeyCode::Char('N')));
    assert_eq!(sel_value(&m), "needle 49"); // wrapped backwards
    update(&mut m, chr('/'));
    update(&mut m, key(KeyCode::Enter)); // not following: forward from the selection
    assert_eq!(sel_value(&m), "needle 0");
    update(&mut m, shift(KeyCode::Char('N')));
    update(&mut m, chr('f'));
    assert!(m.tail.filter);
    assert_eq!(m.tail.shown().rows(true).len(), 8);
    update(&mut m, chr('k'));
    assert_eq!(sel_value(&m), "needle 42"); // moves between matches only
    update(&mut m, chr('f'));
    assert!(!m.tail.filter);
    update(&mut m, chr('/'));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.tail.search.is_empty());
    assert!(m.tail.live.matches().is_empty());
    update(&mut m, chr('n'));
    assert!(m.status.as_ref().unwrap().text.contains("press /"));
}

#[test]
fn remaining_keys_refresh_back_tab_and_detail_paging() {
    let mut m = tailing();
    update(&mut m, shift(KeyCode::BackTab));
    assert_eq!(m.focus, Pane::Browser);
    assert_eq!(
        update(&mut m, chr('r')),
        vec![Effect::Worker(WorkerCmd::RefreshTopics)]
    );
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(m.focus, Pane::Tail);
    // Esc: back to the browser, never quits.
    assert!(!update(&mut m, key(KeyCode::Esc)).contains(&Effect::Quit));
    assert_eq!(m.focus, Pane::Browser);
    update(&mut m, key(KeyCode::Tab));
    // A value of 100 lines, one of them longer than the screen is wide (it wraps).
    let long: Vec<String> = (0..100)
        .map(|i| {
            if i == 5 {
                "x".repeat(300)
            } else {
                format!("line {i}")
            }
        })
        .collect();
    let id = m.tail.sub.unwrap();
    let records = vec![rec(50, &long.join("\n"))];
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    update(&mut m, key(KeyCode::Enter));
    let ctrl_d = || Msg::Key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    update(&mut m, ctrl_d());
    let Some(Overlay::Detail { scroll, seq }) = m.overlay else {
        panic!()
    };
    assert!(scroll > 1);
    // Scrolling stops at the last line (wrapped lines counted): one key back moves again.
    let max = crate::tui::detail_text::max_scroll(&m, seq, m.size);
    assert!(max > 60, "{max}");
    for _ in 0..20 {
        update(&mut m, ctrl_d());
    }
    assert!(matches!(m.overlay, Some(Overlay::Detail { scroll, .. }) if scroll == max));
    update(&mut m, chr('k'));
    assert!(matches!(m.overlay, Some(Overlay::Detail { scroll, .. }) if scroll == max - 1));
    for _ in 0..4 {
        update(&mut m, key(KeyCode::PageUp));
    }
    let Some(Overlay::Detail { scroll, .. }) = m.overlay else {
        panic!()
    };
    assert_eq!(scroll, 0);
    update(&mut m, key(KeyCode::Esc));
    assert!(m.overlay.is_none());
    // Key releases are ignored.
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = crossterm::event::KeyEventKind::Release;
    assert!(update(&mut m, Msg::Key(release)).is_empty());
}

#[test]
fn search_is_a_regex_with_a_literal_mode_and_names_a_bad_pattern() {
    let mut m = tailing();
    update(&mut m, chr('/'));
    for c in "v4[0-3]$".chars() {
        update(&mut m, chr(c));
    }
    assert_eq!(m.tail.live.matches().len(), 3); // v40, v41, v43 (42 is "needle 42")
    // Tab: the same text as literal characters matches nothing.
    update(&mut m, key(KeyCode::Tab));
    assert!(m.tail.literal);
    assert_eq!(m.tail.live.matches().len(), 0);
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, chr('('));
    assert!(m.tail.search_error.is_some());
    assert_eq!(m.tail.live.matches().len(), 0);
    update(&mut m, key(KeyCode::Backspace));
    assert!(m.tail.search_error.is_none());
    assert_eq!(m.tail.live.matches().len(), 3);
    // Keys count too: "^k7$" matches the key k7 only.
    update(&mut m, key(KeyCode::Esc));
    update(&mut m, chr('/'));
    for c in "^k7$".chars() {
        update(&mut m, chr(c));
    }
    assert_eq!(m.tail.live.matches().len(), 1);
}
