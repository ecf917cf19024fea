//! End to end in a pty: the keys an operator backs out with (Esc never quits), `t` with
//! a local time typed as swmq shows it, and the mouse (real SGR escape sequences).

use crate::support;

use std::time::Duration;

use chrono::{FixedOffset, TimeZone};

use support::pty::{Tui, find_in, first_record_line, seed_orders};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_backs_out_step_by_step_and_never_quits() {
    let emb = support::embedded::start_embedded().await;
    seed_orders(&emb.addr).await;
    let mut tui = Tui::start(&["--broker", &emb.addr]);
    tui.wait("the topic list", 20, |s| s.contains("Topics (2)"));
    // Esc on the topic list: still running, and it says how to quit.
    tui.keys("\x1b");
    tui.wait("the quit hint", 5, |s| s.contains("q quits"));
    assert!(tui.running());
    // Esc while typing a filter clears it; Esc on a kept filter clears it too.
    tui.keys("/ord");
    tui.wait("the filter", 5, |s| s.contains("Topics (1/2)"));
    tui.keys("\x1b");
    tui.wait("the filter cleared", 5, |s| s.contains("Topics (2)"));
    tui.keys("/orders\r");
    tui.wait("the kept filter", 5, |s| s.contains("Topics (1/2)"));
    tui.keys("\x1b");
    tui.wait("the filter cleared", 5, |s| s.contains("Topics (2)"));
    // Tail orders; a search is cleared by Esc, then Esc leaves the tail pane.
    tui.keys("\r");
    tui.wait("the tail", 15, |s| {
        s.contains("order-029") && s.contains("Enter detail")
    });
    tui.keys("/order-003\r");
    tui.wait("the search", 5, |s| s.contains("order-003"));
    tui.keys("\x1b");
    tui.keys("\x1b");
    tui.wait("the browser focused", 5, |s| s.contains("Enter tail"));
    // Help closes with Esc; one more Esc on the list: still running.
    tui.keys("?");
    tui.wait("the help", 5, |s| s.contains(" Keys "));
    tui.keys("\x1b");
    tui.wait("the help closed", 5, |s| !s.contains(" Keys "));
    tui.keys("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(tui.running(), "Esc quit:\n{}", tui.screen());
    // q quits, exit 0.
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}

/// `t` takes a clock time in local time (here UTC+05:30 via `TZ`), as the tail shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_to_a_local_clock_time_typed_as_shown() {
    let emb = support::embedded::start_embedded().await;
    let ts = seed_orders(&emb.addr).await;
    // A record a whole millisecond after its predecessor (the batches are 30 ms apart).
    let i = (10..30)
        .find(|&i| ts[i].0 / 1_000_000 > ts[i - 1].0 / 1_000_000)
        .expect("a record in a later millisecond");
    let ist = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    let local = ist.timestamp_nanos(ts[i].0);
    let clock = local.format("%H:%M:%S%.3f").to_string();
    let shown = local.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    let mut tui = Tui::start_with(&["--broker", &emb.addr], &[], &[("TZ", "IST-5:30")]);
    tui.wait("the topic list", 20, |s| s.contains("Topics (2)"));
    tui.keys("\r");
    tui.wait("the tail", 15, |s| s.contains("order-029"));
    tui.keys("t");
    // The prompt is prefilled (live: now) and its example is today's date.
    let today = chrono::Utc::now()
        .with_timezone(&ist)
        .format("%Y-%m-%d")
        .to_string();
    let s = tui.wait("the prompt", 5, |s| s.contains("Go to time"));
    assert!(s.contains(&format!("{today} 16:40")), "{s}");
    tui.keys(&clock);
    tui.keys("\r");
    let s = tui.wait("records from the local time", 15, |s| {
        first_record_line(s).contains("order-")
    });
    assert!(
        first_record_line(&s).contains(&ts[i].1),
        "first record should be {} at {shown}:\n{s}",
        ts[i].1
    );
    assert!(s.contains(&format!("cursor {shown}")), "{s}");
    // `t` again is prefilled with the cursor, exact: Enter keeps the same place.
    tui.keys("t");
    let s = tui.wait("the prefilled prompt", 5, |s| s.contains("Go to time"));
    assert!(s.contains(&shown), "prefilled with the cursor: {s}");
    tui.keys("\r");
    let s = tui.wait("the same records", 15, |s| {
        !s.contains("Go to time") && first_record_line(s).contains("order-")
    });
    assert!(first_record_line(&s).contains(&ts[i].1), "{s}");
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mouse_clicks_select_and_the_wheel_scrolls() {
    let emb = support::embedded::start_embedded().await;
    seed_orders(&emb.addr).await;
    let mut tui = Tui::start(&["--broker", &emb.addr]);
    // Every step that clicks finds its target in a steady snapshot (a frame half drawn or
    // the layout changing as the timeline loads moved rows under the old live-screen reads).
    let s = tui.wait_steady("the topic list", 20, |s| s.contains("refunds"));
    // Click refunds: it is tailed.
    let (row, col) = find_in(&s, "refunds").expect("refunds on screen");
    tui.click(col, row);
    let s = tui.wait_steady("refunds tailed", 15, |s| {
        first_record_line(s).contains("r1") && s.contains(" Timeline")
    });
    // Click orders: tailed too.
    let (row, col) = find_in(&s, "orders").expect("orders on screen");
    tui.click(col, row);
    let s = tui.wait_steady("orders tailed", 15, |s| {
        s.contains("order-029") && s.contains("order-020") && s.contains(" Timeline")
    });
    // Click a record: it is selected (following stops).
    let (row, col) = find_in(&s, "order-020").expect("order-020 shown");
    tui.click(col, row);
    let record_below = |s: &str| {
        s.lines()
            .nth(usize::from(row) + 3)
            .and_then(|l| l.split_whitespace().find(|w| w.starts_with("order-")))
            .map(str::to_string)
    };
    let s = tui.wait_steady("browsing", 5, |s| {
        s.contains("browsing") && record_below(s).is_some()
    });
    // The wheel scrolls the selection, three rows a notch: the record three rows below.
    let below = record_below(&s).expect("a record three rows below");
    tui.wheel(col, row, true, 1);
    tui.keys("\r");
    let s = tui.wait("the detail", 5, |s| s.contains("Record "));
    assert!(
        s.contains(&below),
        "wheel down 3 from order-020 is {below}: {s}"
    );
    tui.keys("\x1b");
    // Click on the timeline: the cursor moves there (scrub mode).
    let s = tui.wait_steady("the detail closed", 5, |s| {
        !s.contains("Record ") && s.contains(" Timeline")
    });
    let (trow, _) = find_in(&s, " Timeline").expect("timeline");
    tui.click(70, trow + 2);
    tui.wait("the cursor", 10, |s| {
        s.contains("cursor 20") && s.contains("scrub")
    });
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}

/// Scrub to a record, then move up past it: earlier records are paged in (backward
/// reads) and the position holds; the same from a live tail holding only the newest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_back_before_the_cursor() {
    let emb = support::embedded::start_embedded().await;
    let ts = seed_orders(&emb.addr).await;
    let i = (15..30)
        .find(|&i| ts[i - 1].0 < ts[i].0)
        .expect("distinct timestamps");
    let mut tui = Tui::start(&["--broker", &emb.addr]);
    tui.wait("the topic list", 20, |s| s.contains("Topics (2)"));
    tui.keys("\r");
    tui.wait("the tail", 15, |s| s.contains("order-029"));
    tui.keys("t");
    tui.wait("the prompt", 5, |s| s.contains("Go to time"));
    tui.keys(&swmq::time::format_rfc3339(ts[i].0 - 1));
    tui.keys("\r");
    let s = tui.wait("records from the cursor", 15, |s| {
        first_record_line(s).contains("order-")
    });
    assert!(first_record_line(&s).contains(&ts[i].1), "{s}");
    // Up from the first record: the one before the cursor comes in, selected, on top.
    tui.keys("k");
    let s = tui.wait("the record before the cursor", 15, |s| {
        first_record_line(s).contains(&ts[i - 1].1)
    });
    assert!(s.contains(&ts[i].1), "the cursor's record stays: {s}");
    for _ in 0..5 {
        tui.keys("k");
    }
    tui.wait("five more back", 15, |s| {
        first_record_line(s).contains(&ts[i - 6].1)
    });
    // All the way back to the topic's first message.
    tui.keys("\x1b[5~"); // PageUp
    tui.keys("\x1b[5~");
    // The first in merged order (under load another partition's first record may carry
    // an earlier timestamp than order-000).
    tui.wait("the first message", 15, |s| {
        first_record_line(s).contains(&ts[0].1) && s.contains("first message")
    });
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);

    // Live, with a ring of 10: only the newest are loaded; paging back brings the rest.
    let mut tui = Tui::start(&["--broker", &emb.addr, "--buffer", "10"]);
    tui.wait("the topic list", 20, |s| s.contains("Topics (2)"));
    tui.keys("\r");
    let s = tui.wait("the newest", 15, |s| s.contains("order-029"));
    assert!(!s.contains("order-005"), "only the newest are loaded: {s}");
    tui.keys("g");
    tui.keys("\x1b[5~");
    tui.wait("earlier records paged in", 15, |s| s.contains("order-015"));
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}
