//! Issue 13's smaller points (7), the topic list (4), the full-width tail (5), `t`'s
//! prefill (2) and the help's scroll.

use super::*;
use crate::client::ClientError;
use crate::tui::keymap::Action;
use crate::tui::model::{Level, SortKey};
use crate::tui::query;

fn delete_selected(m: &mut Model, name: &str) -> u64 {
    update(m, chr('D'));
    for c in name.chars() {
        update(m, chr(c));
    }
    let cmds = update(m, key(KeyCode::Enter));
    let [Effect::Worker(WorkerCmd::Delete { req, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    *req
}

#[test]
fn after_a_delete_the_next_row_is_selected() {
    let mut m = connected();
    assert_eq!(m.browser.selected_topic(), Some(&t("demo/orders")));
    let req = delete_selected(&mut m, "demo/orders");
    let ok = Ok(DeleteOutcome {
        existed: Some(true),
        note: None,
    });
    update(&mut m, ev(WorkerEvent::Deleted { req, result: ok }));
    assert_eq!(m.browser.selected_topic(), Some(&t("demo/payments")));
    // The last topic of a namespace: the next row is a namespace header, so the next
    // topic after it.
    let req = delete_selected(&mut m, "demo/payments");
    let ok = Ok(DeleteOutcome {
        existed: Some(true),
        note: None,
    });
    update(&mut m, ev(WorkerEvent::Deleted { req, result: ok }));
    assert_eq!(m.browser.selected_topic(), Some(&t("chan/jobs")));
}

#[test]
fn a_failed_close_or_delete_closes_its_dialog_and_says_why() {
    let mut m = connected();
    let req = delete_selected(&mut m, "demo/orders");
    update(
        &mut m,
        ev(WorkerEvent::Deleted {
            req,
            result: Err(ClientError::Unsupported("permission denied".into())),
        }),
    );
    assert!(m.overlay.is_none());
    let s = m.status.clone().unwrap();
    assert_eq!(s.level, Level::Error);
    assert!(
        s.text.contains("delete failed: permission denied"),
        "{}",
        s.text
    );
    assert!(m.browser.info(&t("demo/orders")).is_some());
    for _ in 0..4 {
        update(&mut m, chr('j'));
    }
    update(&mut m, chr('C'));
    let cmds = update(&mut m, chr('y'));
    let [Effect::Worker(WorkerCmd::CloseChannel { req, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    update(
        &mut m,
        ev(WorkerEvent::ChannelClosed {
            req: *req,
            result: Err(ClientError::Unsupported("broker unavailable".into())),
        }),
    );
    assert!(m.overlay.is_none());
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("close failed: broker unavailable")
    );
}

#[test]
fn close_channel_only_on_an_open_one() {
    let mut m = connected();
    for _ in 0..4 {
        update(&mut m, chr('j'));
    }
    assert_eq!(m.browser.selected_topic(), Some(&t("chan/jobs")));
    assert!(query::hint_shown(&m, Action::CloseChannel));
    let mut closed = info("chan/jobs", 60);
    closed.partitions[0].closed = true;
    update(
        &mut m,
        ev(WorkerEvent::Topics(vec![
            info("demo/orders", 3600),
            info("demo/payments", 60),
            closed,
        ])),
    );
    assert!(!query::hint_shown(&m, Action::CloseChannel));
    update(&mut m, chr('C'));
    assert!(m.overlay.is_none());
    assert!(m.status.as_ref().unwrap().text.contains("already closed"));
    // Not on a topic, not on 4.x.
    update(&mut m, chr('g'));
    assert!(!query::hint_shown(&m, Action::CloseChannel));
}

#[test]
fn no_close_channel_hint_or_dialog_on_4x() {
    let mut m = connected();
    m.protocol = Some(Protocol::Mq);
    for _ in 0..4 {
        update(&mut m, chr('j'));
    }
    assert_eq!(m.browser.selected_topic(), Some(&t("chan/jobs")));
    assert!(!query::hint_shown(&m, Action::CloseChannel));
    update(&mut m, chr('C'));
    assert!(m.overlay.is_none());
    let said = &m.status.as_ref().unwrap().text;
    assert_eq!(said, crate::client::CHANNELS_ONLY_V2);
}

#[test]
fn pause_hint_names_the_way_back() {
    let mut m = tailing();
    assert!(!query::hint_on(&m, Action::Pause));
    update(&mut m, chr(' '));
    assert!(query::hint_on(&m, Action::Pause));
}

#[test]
fn status_messages_fade_then_go() {
    let mut m = connected();
    m.say(Level::Info, "hello");
    let s = m.status.clone().unwrap();
    update(&mut m, Msg::Tick(NOW + 2 * SEC));
    assert!(m.status.is_some() && !s.fading(m.now));
    update(&mut m, Msg::Tick(NOW + 4 * SEC));
    assert!(m.status.as_ref().unwrap().fading(m.now));
    update(&mut m, Msg::Tick(NOW + 6 * SEC));
    assert!(m.status.is_none());
    // Errors stay longer.
    m.say(Level::Error, "boom");
    update(&mut m, Msg::Tick(NOW + 14 * SEC));
    assert!(m.status.is_some());
    update(&mut m, Msg::Tick(NOW + 17 * SEC));
    assert!(m.status.is_none());
}

fn counted(name: &str, count: u64, bytes: u64, last_age_s: i64) -> TopicInfo {
    let mut i = info(name, 3600);
    i.partitions[0].message_count = Some(count);
    i.partitions[0].bytes = Some(bytes);
    i.partitions[0].last_ts_ns = Some(NOW - last_age_s * SEC);
    i
}

fn topic_rows(m: &Model) -> Vec<String> {
    m.browser
        .rows()
        .iter()
        .filter_map(|r| match r {
            crate::tui::model::TreeRow::Topic(i) => Some(i.name.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn topics_get_a_rate_from_two_listings_and_sort_by_it() {
    let mut m = connected();
    let list = |a: u64, b: u64, c: u64| {
        vec![
            counted("demo/a", a, 10, 30),
            counted("demo/b", b, 5_000, 1),
            counted("demo/c", c, 100, 300),
        ]
    };
    update(&mut m, ev(WorkerEvent::Topics(list(100, 100, 100))));
    assert!(m.browser.rates.is_empty(), "one listing: no rate yet");
    update(&mut m, Msg::Tick(NOW + 2 * SEC));
    update(&mut m, ev(WorkerEvent::Topics(list(120, 200, 90))));
    assert_eq!(m.browser.rates.get(&t("demo/a")), Some(&10.0));
    assert_eq!(m.browser.rates.get(&t("demo/b")), Some(&50.0));
    assert_eq!(m.browser.rates.get(&t("demo/c")), None, "shrank: no rate");
    assert_eq!(topic_rows(&m), ["demo/a", "demo/b", "demo/c"]);
    update(&mut m, chr('s'));
    assert_eq!(m.browser.sort, SortKey::Rate);
    assert_eq!(topic_rows(&m), ["demo/b", "demo/a", "demo/c"]);
    update(&mut m, chr('s'));
    assert_eq!(m.browser.sort, SortKey::Size);
    assert_eq!(topic_rows(&m), ["demo/b", "demo/c", "demo/a"]);
    update(&mut m, chr('s'));
    assert_eq!(m.browser.sort, SortKey::Last);
    assert_eq!(topic_rows(&m), ["demo/b", "demo/a", "demo/c"]);
    update(&mut m, chr('s'));
    assert_eq!(m.browser.sort, SortKey::Name);
    assert!(m.status.as_ref().unwrap().text.contains("sorted by name"));
}

#[test]
fn b_hides_the_browser_and_the_tail_takes_the_full_width() {
    let mut m = connected();
    update(&mut m, chr('b'));
    assert!(!m.browser.hidden, "nothing tailed yet");
    let mut m = tailing();
    update(&mut m, chr('b'));
    assert!(m.browser.hidden);
    assert_eq!(m.areas().tail.x, 0);
    assert_eq!(m.areas().tail.width, m.size.0);
    // Clicking where the browser was selects a record, not a topic.
    update(&mut m, key(KeyCode::Tab));
    assert!(!m.browser.hidden);
    assert_eq!(m.focus, Pane::Browser);
    update(&mut m, key(KeyCode::Tab));
    update(&mut m, chr('b'));
    update(&mut m, key(KeyCode::Esc)); // Esc leaves the tail: the list comes back
    assert!(!m.browser.hidden);
    assert_eq!(m.focus, Pane::Browser);
}

#[test]
fn go_to_time_is_prefilled_with_the_cursor() {
    let mut m = tailing();
    update(&mut m, key(KeyCode::Left));
    let c = m.scrub.cursor.unwrap();
    update(&mut m, chr('t'));
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!()
    };
    assert_eq!(
        d.get(crate::tui::dialog::FieldId::Time),
        crate::time::format_datetime_exact(c, true)
    );
    // Enter as it stands: the cursor stays exactly where it is.
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(m.scrub.cursor, Some(c));
}

#[test]
fn a_resize_asks_for_a_histogram_at_the_new_width() {
    let mut m = tailing();
    let id = m.scrub.hist_id;
    update(
        &mut m,
        ev(WorkerEvent::Histogram {
            id,
            result: Ok(Histogram {
                start_ns: NOW - 3600 * SEC,
                stop_ns: NOW,
                counts: vec![1; 118],
                unit: HistogramUnit::Messages,
            }),
        }),
    );
    let cmds = update(&mut m, Msg::Resize(100, 40));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Effect::Worker(WorkerCmd::Histogram { buckets: 98, .. }))),
        "{cmds:?}"
    );
    assert!(
        update(&mut m, Msg::Resize(100, 30)).is_empty(),
        "same width"
    );
}

#[test]
fn help_scrolls_no_further_than_its_last_line() {
    let mut m = connected();
    update(&mut m, Msg::Resize(80, 24));
    update(&mut m, chr('?'));
    for _ in 0..200 {
        update(&mut m, chr('j'));
    }
    let max = crate::tui::help::help_max_scroll(false, (80, 24));
    assert!(max > 0);
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll }) if scroll == max));
    update(&mut m, chr('k'));
    assert!(matches!(m.overlay, Some(Overlay::Help { scroll }) if scroll == max - 1));
}

#[test]
fn detail_n_and_shift_n_go_to_the_next_and_previous_match() {
    let mut m = tailing();
    update(&mut m, chr('/'));
    for c in "needle (35|42)".chars() {
        update(&mut m, chr(c));
    }
    update(&mut m, key(KeyCode::Enter)); // ends the search: jumps to the newest match
    let detail_value = |m: &Model| {
        let Some(Overlay::Detail { seq, .. }) = m.overlay else {
            panic!("no detail")
        };
        String::from_utf8_lossy(&m.tail.shown().get(seq).unwrap().value).into_owned()
    };
    // A regex: needle 35 and needle 42 only.
    assert_eq!(sel_value(&m), "needle 42");
    update(&mut m, key(KeyCode::Enter));
    assert_eq!(detail_value(&m), "needle 42");
    update(&mut m, shift(KeyCode::Char('N')));
    assert_eq!(detail_value(&m), "needle 35");
    update(&mut m, chr('n'));
    assert_eq!(detail_value(&m), "needle 42");
    update(&mut m, chr('n')); // wraps around
    assert_eq!(detail_value(&m), "needle 35");
}

#[test]
fn c_picks_json_fields_as_columns_with_completion_kept_per_topic() {
    let mut m = tailing();
    let id = m.tail.sub.unwrap();
    let records = (50..53)
        .map(|i| {
            rec(
                i,
                &format!(r#"{{"currency":"EUR","customer":{{"city":"c{i}","id":{i}}}}}"#),
            )
        })
        .collect();
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    update(&mut m, chr('c'));
    let field = |m: &Model| match &m.overlay {
        Some(Overlay::Dialog(d)) => d.get(crate::tui::dialog::FieldId::Columns).to_string(),
        _ => panic!("no dialog"),
    };
    for ch in "cus".chars() {
        update(&mut m, chr(ch));
    }
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(field(&m), "customer");
    update(&mut m, chr('.'));
    update(&mut m, chr('c'));
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(field(&m), "customer.city");
    for ch in ", cur".chars() {
        update(&mut m, chr(ch));
    }
    update(&mut m, key(KeyCode::Tab));
    assert_eq!(field(&m), "customer.city, currency");
    update(&mut m, key(KeyCode::Enter));
    assert!(m.overlay.is_none());
    assert_eq!(m.tail.columns, ["customer.city", "currency"]);
    // Another topic has its own (none); coming back, orders has them again.
    let mut cmds = Vec::new();
    crate::tui::update::start_tail(&mut m, t("demo/payments"), &mut cmds);
    assert!(m.tail.columns.is_empty());
    crate::tui::update::start_tail(&mut m, t("demo/orders"), &mut cmds);
    assert_eq!(m.tail.columns, ["customer.city", "currency"]);
    // Emptied: the whole value again.
    update(&mut m, chr('c'));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    update(&mut m, key(KeyCode::Enter));
    assert!(m.tail.columns.is_empty());
}
