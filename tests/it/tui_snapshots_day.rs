//! Snapshots of the screens issue 13 changed: the topic list's header, rates and sort,
//! the footer at 80×24, the help that wraps, the full-width tail, the prefilled go-to-time
//! prompt and the search highlighted in the detail view (80×24 and 200×50).

use crate::support;

use support::screens::*;

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

#[test]
fn json_fields_as_columns_at_80x24_and_200x50() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut m = tailing();
        update(&mut m, Msg::Resize(w, h));
        update(&mut m, chr('c'));
        typed(&mut m, "sku, eur");
        update(&mut m, key(KeyCode::Enter));
        let screen = render(&m);
        assert!(
            screen.contains("SKU") && screen.contains("A-19"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("json_columns_{w}x{h}"), screen);
    }
}
