//! Snapshot tests of every TUI screen: ratatui `TestBackend` + insta. Deterministic: fixed
//! times (shown in UTC), fixed sizes, hand-built topics, records and histograms.

use crate::support;

use support::screens::*;

#[test]
fn browser_with_topics_and_channels() {
    let m = connected(false);
    insta::assert_snapshot!(render(&m));
}
#[test]
fn tailing_follows() {
    let m = tailing();
    insta::assert_snapshot!(render(&m));
}

#[test]
fn paused_keeps_a_frozen_snapshot_while_counting() {
    let mut m = tailing();
    update(&mut m, chr(' '));
    let id = m.tail.sub.unwrap();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Records {
            id,
            records: (60..75).map(order).collect(),
        }),
    );
    let screen = render(&m);
    assert!(screen.contains("paused (+15 new)"), "{screen}");
    assert!(
        !screen.contains("ord-1074"),
        "frozen snapshot must not show new records"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn search_highlights_and_jumps() {
    let mut m = tailing();
    m.no_color = false;
    update(&mut m, chr('/'));
    typed(&mut m, "a-17");
    update(&mut m, key(KeyCode::Enter)); // following: the newest match (ord-1057)
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT)),
    ); // ord-1037
    let screen = render(&m);
    assert!(screen.contains("/a-17 3 matches"), "{screen}");
    assert!(
        screen.contains("ord-1037") && screen.contains("ord-1057"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // The highlight is a style: check the hit cells are styled differently.
    let mut t = Terminal::new(TestBackend::new(120, 32)).unwrap();
    t.draw(|f| view(&m, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let hits = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].bg == ratatui::style::Color::Yellow)
        .count();
    assert!(hits >= 2 * 4, "highlighted cells: {hits}");
}

#[test]
fn filter_hides_non_matching_records() {
    let mut m = tailing();
    update(&mut m, chr('/'));
    typed(&mut m, "a-17");
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, chr('f'));
    insta::assert_snapshot!(render(&m));
}

fn detail_of(value: &[u8], key_bytes: &[u8]) -> Model {
    let mut m = tailing();
    let id = m.tail.sub.unwrap();
    let mut r = order(61);
    r.value = Bytes::copy_from_slice(value);
    r.key = Bytes::copy_from_slice(key_bytes);
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Records {
            id,
            records: vec![r],
        }),
    );
    update(&mut m, key(KeyCode::Enter));
    m
}

#[test]
fn detail_json() {
    let m = detail_of(
        br#"{"order":1061,"sku":"A-1","lines":[{"qty":2},{"qty":1}]}"#,
        b"ord-1061",
    );
    insta::assert_snapshot!(render(&m));
}

#[test]
fn detail_text() {
    let m = detail_of(b"payment declined\nretry in 30s\tcode=51", b"");
    insta::assert_snapshot!(render(&m));
}

#[test]
fn detail_hex() {
    let bin: Vec<u8> = (0u8..40).map(|i| i.wrapping_mul(37) ^ 0x7f).collect();
    let m = detail_of(&bin, b"\x00\x01bin");
    insta::assert_snapshot!(render(&m));
}

#[test]
fn scrubber_with_histogram_and_cursor() {
    let mut m = tailing();
    for _ in 0..3 {
        update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::SHIFT)),
        );
    }
    let cmds = update(&mut m, Msg::Tick(NOW + 200_000_000));
    let Some(Effect::Worker(WorkerCmd::Subscribe {
        id,
        start: swmq::tui::msg::Start::At(at),
        ..
    })) = cmds.last().cloned()
    else {
        panic!("{cmds:?}")
    };
    let records: Vec<Record> = (0..30)
        .map(|i| Record {
            ts_ns: at + i * 1_000_000_000,
            ..order(i)
        })
        .collect();
    update(&mut m, Msg::Worker(WorkerEvent::Records { id, records }));
    let screen = render(&m);
    assert!(screen.contains("cursor 2026-11-26"), "{screen}");
    assert!(screen.contains('▲'));
    insta::assert_snapshot!(screen);
    // The buffered records' span is underlined on the bottom row of bars.
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(&m, f)).unwrap();
    let a = swmq::tui::layout::areas(m.size);
    let y = a.timeline_inner.y + 1;
    let buf = t.backend().buffer().clone();
    let underlined = (0..m.size.0)
        .filter(|&x| {
            buf[(x, y)]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        })
        .count();
    assert!(underlined >= 1, "no buffered span marked");
}

#[test]
fn go_to_time_shows_an_invalid_time_inline() {
    let mut m = tailing();
    update(&mut m, chr('t'));
    typed(&mut m, "yesterday");
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(cmds.is_empty());
    let screen = render(&m);
    assert!(screen.contains("invalid time \"yesterday\""), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn publish_dialog() {
    let mut m = tailing();
    update(&mut m, chr('p'));
    typed(&mut m, "ord-9");
    update(&mut m, key(KeyCode::Tab));
    typed(&mut m, "source=tui");
    update(&mut m, key(KeyCode::Tab));
    typed(&mut m, r#"{"order":9}"#);
    insta::assert_snapshot!(render(&m));
}

#[test]
fn delete_confirmation() {
    let mut m = connected(false);
    update(&mut m, chr('D'));
    typed(&mut m, "demo/ord");
    let screen = render(&m);
    assert!(screen.contains("Type demo/orders"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn delete_confirmation_on_4x_warns_about_listing() {
    let mut m = connected(false);
    m.protocol = Some(Protocol::Mq);
    update(&mut m, chr('D'));
    let screen = render(&m);
    assert!(screen.contains("~30 s"), "{screen}");
}

#[test]
fn help_generated_from_the_keymap() {
    let mut m = connected(false);
    m.size = (120, 60);
    update(&mut m, chr('?'));
    let screen = render(&m);
    assert!(screen.contains("publish a message"));
    insta::assert_snapshot!(screen);
}

#[test]
fn read_only_has_no_writing_keys() {
    let mut m = connected(true);
    m.size = (120, 60);
    update(&mut m, chr('p'));
    assert!(m.overlay.is_none());
    let bar = render(&m);
    assert!(bar.contains("read-only: publish is disabled"), "{bar}");
    assert!(bar.contains("READ-ONLY"));
    update(&mut m, chr('?'));
    let screen = render(&m);
    assert!(!screen.contains("publish a message"), "{screen}");
    assert!(!screen.contains("delete the selected"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn disconnected_status() {
    let mut m = tailing();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Unreachable {
            addr: "127.0.0.1:17777".into(),
            error: swmq::client::ClientError::Connect {
                addr: "127.0.0.1:17777".into(),
                cause: "connection refused".into(),
            },
            attempt: 3,
            retry_in_ms: 1000,
        }),
    );
    let screen = render(&m);
    assert!(screen.contains("DISCONNECTED"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn no_broker_at_start() {
    let mut m = Model::new("10.0.0.9:17777", false, true, 10_000, NOW);
    m.no_color = true;
    update(&mut m, Msg::Resize(100, 24));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Unreachable {
            addr: "10.0.0.9:17777".into(),
            error: swmq::client::ClientError::Timeout {
                addr: "10.0.0.9:17777".into(),
                secs: 3.0,
            },
            attempt: 1,
            retry_in_ms: 1000,
        }),
    );
    let screen = render(&m);
    assert!(
        screen.contains("swmq demo") && screen.contains("--broker"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn too_small() {
    let mut m = tailing();
    update(&mut m, Msg::Resize(40, 10));
    insta::assert_snapshot!(render(&m));
}

#[test]
fn publish_result_in_status_bar() {
    let mut m = tailing();
    update(&mut m, chr('p'));
    typed(&mut m, "k");
    let cmds = update(&mut m, key(KeyCode::Enter));
    let Some(Effect::Worker(WorkerCmd::Publish { req, .. })) = cmds.first().cloned() else {
        panic!("{cmds:?}")
    };
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Published {
            req,
            result: Ok(vec![swmq::client::PublishOutcome {
                partition: 2,
                offset: Some(17),
                ts_ns: None,
            }]),
        }),
    );
    let screen = render(&m);
    assert!(
        screen.contains("published 1 message(s) to demo/orders → p2 offset 17"),
        "{screen}"
    );
}

#[test]
fn browser_filter_shows_how_many_topics_match() {
    let mut m = connected(false);
    update(&mut m, chr('/'));
    typed(&mut m, "chan");
    let screen = render(&m);
    assert!(screen.contains("Topics (2/5)"), "{screen}");
    assert!(screen.contains("nightly-export") && !screen.contains("payments"));
    update(&mut m, key(KeyCode::Esc));
    assert!(render(&m).contains("Topics (5)"));
}

#[test]
fn narrow_status_bar_keeps_mode_and_cursor_time() {
    let mut m = tailing();
    m.label = Some("embedded demo".into());
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, key(KeyCode::Left));
    let screen = render(&m);
    let top = screen.lines().next().unwrap_or_default();
    assert!(top.contains("connected ─ scrub ─ cursor 2026-"), "{top}");
    assert!(!top.contains("embedded demo"), "{top}"); // the label gave way first
    // Wide enough, everything is there.
    update(&mut m, Msg::Resize(160, 30));
    let top = render(&m).lines().next().unwrap_or_default().to_string();
    assert!(
        top.contains("(embedded demo)") && top.contains(" buf"),
        "{top}"
    );
}

#[test]
fn wide_terminal_shows_channel_names_whole_with_their_sizes() {
    let mut m = connected(false);
    update(&mut m, Msg::Resize(160, 40));
    let screen = render(&m);
    let row = screen
        .lines()
        .find(|l| l.contains("nightly-export"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("open") && row.contains("KiB"), "{row}");
}
