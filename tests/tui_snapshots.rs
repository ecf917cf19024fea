//! Snapshot tests of every TUI screen: ratatui `TestBackend` + insta. Deterministic: fixed
//! times (shown in UTC), fixed sizes, hand-built topics, records and histograms.

use std::sync::Arc;

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use swmq::client::{
    Histogram, HistogramUnit, PartitionInfo, Protocol, Record, TopicInfo, TopicName,
};
use swmq::tui::model::{Model, SEC};
use swmq::tui::msg::{Command, Msg, WorkerEvent};
use swmq::tui::update::update;
use swmq::tui::view::view;

/// 2026-11-26T14:02:12Z.
const NOW: i64 = 1_795_701_732 * SEC;

fn topic(s: &str) -> TopicName {
    TopicName::parse(s).unwrap()
}

fn info(
    name: &str,
    parts: usize,
    count: u64,
    closed: bool,
    first_age: i64,
    last_age: i64,
) -> TopicInfo {
    TopicInfo {
        name: topic(name),
        partitions: (0..parts)
            .map(|i| PartitionInfo {
                id: i as i32,
                message_count: Some(count / parts as u64),
                bytes: Some(count / parts as u64 * 120),
                first_ts_ns: Some(NOW - first_age),
                last_ts_ns: Some(NOW - last_age),
                closed,
                ..Default::default()
            })
            .collect(),
        publishers: None,
        subscribers: None,
    }
}

fn topics() -> Vec<TopicInfo> {
    vec![
        info("demo/orders", 4, 48_200, false, 7200 * SEC, SEC),
        info("demo/payments", 2, 12_900, false, 3600 * SEC, 42 * SEC),
        info("logs/api", 1, 301_000, false, 86_400 * SEC, 3 * SEC),
        info("chan/nightly-export", 1, 120, false, 600 * SEC, 60 * SEC),
        info("chan/backfill-07", 1, 88, true, 9000 * SEC, 5000 * SEC),
    ]
}

fn order(i: i64) -> Record {
    let value = format!(
        r#"{{"order":{},"sku":"A-{}","qty":{},"eur":{}.50}}"#,
        1000 + i,
        i % 20,
        i % 5 + 1,
        i * 3
    );
    Record {
        topic: Arc::new(topic("demo/orders")),
        partition: (i % 4) as i32,
        ts_ns: NOW - 60 * SEC + i * 37_000_000,
        key: Bytes::from(format!("ord-{}", 1000 + i)),
        value: Bytes::from(value),
        headers: vec![("source".into(), Bytes::from_static(b"checkout"))],
        is_close: false,
        offset: Some(i / 4),
    }
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn chr(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn typed(m: &mut Model, s: &str) {
    for c in s.chars() {
        update(m, chr(c));
    }
}

fn connected(read_only: bool) -> Model {
    let mut m = Model::new("127.0.0.1:17777", read_only, true, 10_000, NOW);
    m.no_color = true;
    update(&mut m, Msg::Resize(120, 32));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Legacy,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    update(&mut m, Msg::Worker(WorkerEvent::Topics(topics())));
    m
}

/// Connected, tailing demo/orders with 60 records and a histogram.
fn tailing() -> Model {
    let mut m = connected(false);
    update(&mut m, key(KeyCode::Enter)); // tails the first topic (demo/orders)
    let id = m.tail.sub.unwrap();
    let hist_id = m.scrub.hist_id;
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Records {
            id,
            records: (0..60).map(order).collect(),
        }),
    );
    update(&mut m, Msg::Worker(WorkerEvent::CaughtUp { id }));
    let (start, stop) = m.window();
    let counts: Vec<u64> = (0..118u64)
        .map(|i| (i * 7 % 23) + if (40..55).contains(&i) { 60 } else { 0 } + i / 4)
        .collect();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Histogram {
            id: hist_id,
            result: Ok(Histogram {
                start_ns: start,
                stop_ns: stop,
                counts,
                unit: HistogramUnit::Messages,
            }),
        }),
    );
    m
}

fn render(m: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

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
    let Some(Command::Subscribe {
        id,
        start: swmq::tui::msg::Start::At(at),
        ..
    }) = cmds.last().cloned()
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
            error: "cannot connect to broker at 127.0.0.1:17777: connection refused".into(),
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
            error: "timed out after 3.0s waiting for 10.0.0.9:17777".into(),
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
    let Some(Command::Publish { req, .. }) = cmds.first().cloned() else {
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

/// Two listings 2 s apart: every topic has a msgs/s; sorted by it (`s`).
fn with_rates(size: (u16, u16)) -> Model {
    let mut m = tailing();
    update(&mut m, Msg::Resize(size.0, size.1));
    update(&mut m, Msg::Tick(NOW + 2 * SEC));
    let mut later = topics();
    for (i, t) in later.iter_mut().enumerate() {
        for p in &mut t.partitions {
            p.message_count = p.message_count.map(|c| c + 250 * i as u64);
        }
    }
    update(&mut m, Msg::Worker(WorkerEvent::Topics(later)));
    update(&mut m, key(KeyCode::Tab)); // to the browser
    update(&mut m, chr('s'));
    m
}

#[test]
fn topic_list_headers_rates_and_sort_at_80x24() {
    let m = with_rates((80, 24));
    let screen = render(&m);
    assert!(
        screen.contains("MSGS") && screen.contains("MSG/S▼"),
        "{screen}"
    );
    // 80×24 stays usable: counts in the list, the footer's quit and help whole.
    assert!(screen.contains("48.2k"), "{screen}");
    let footer = screen.lines().last().unwrap_or_default();
    assert!(
        footer.contains("? help") && footer.contains("q quit"),
        "{footer}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn topic_list_headers_rates_and_sort_at_200x50() {
    let screen = render(&with_rates((200, 50)));
    assert!(
        screen.contains("LAST") && screen.contains("SIZE"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn paused_footer_says_resume_at_80x24() {
    let mut m = tailing();
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, chr(' '));
    let screen = render(&m);
    let footer = screen.lines().last().unwrap_or_default();
    assert!(footer.contains("Space resume"), "{footer}");
    assert!(
        footer.contains("q quit") && !footer.ends_with("q qu"),
        "{footer}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn help_fits_and_wraps_at_80x24() {
    let mut m = connected(false);
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, chr('?'));
    let screen = render(&m);
    assert!(screen.contains("↓ more"), "{screen}");
    // Nothing cut: every help line ends inside the box.
    for l in screen.lines().filter(|l| l.contains('│')) {
        assert!(!l.contains('…'), "cut: {l}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn tail_full_width_without_the_browser_at_200x50() {
    let mut m = tailing();
    update(&mut m, Msg::Resize(200, 50));
    update(&mut m, chr('b'));
    let screen = render(&m);
    assert!(!screen.contains("Topics ("), "{screen}");
    assert!(
        screen.contains(r#""qty":1,"eur":120.50}"#),
        "whole values: {screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn go_to_time_prefilled_at_80x24() {
    let mut m = tailing();
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, key(KeyCode::Left));
    update(&mut m, chr('t'));
    let screen = render(&m);
    assert!(screen.contains("2026-11-26 "), "prefilled: {screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn detail_highlights_the_search() {
    let mut m = tailing();
    update(&mut m, chr('/'));
    typed(&mut m, "checkout|A-1[0-9]");
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, key(KeyCode::Enter));
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(&m, f)).unwrap();
    let screen = render(&m);
    // The header value and the sku are highlighted (the theme's hit style: reversed).
    let buf = t.backend().buffer().clone();
    let row = screen
        .lines()
        .position(|l| l.contains("source: checkout"))
        .unwrap_or_else(|| panic!("{screen}")) as u16;
    let col = screen
        .lines()
        .nth(row as usize)
        .unwrap()
        .find("checkout")
        .unwrap();
    let x = screen.lines().nth(row as usize).unwrap()[..col]
        .chars()
        .count() as u16;
    let hit = ratatui::style::Modifier::UNDERLINED;
    assert!(buf[(x, row)].modifier.contains(hit), "{screen}");
    assert!(!buf[(x - 2, row)].modifier.contains(hit), "{screen}");
    insta::assert_snapshot!(screen);
}
