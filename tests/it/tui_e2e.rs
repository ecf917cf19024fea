//! End to end: the real `swmq` binary in a pseudo-terminal against the embedded broker
//! with seeded data (and, when available, against a real SeaweedFS 4.48).

use crate::support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use swmq::client::{Client, OutMessage, TopicName};

use support::pty::{Tui, first_record_line, read_history, seed, seed_orders};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tui_against_the_embedded_broker() {
    let emb = support::embedded::start_embedded().await;
    let ts = seed_orders(&emb.addr).await;
    assert_eq!(ts.len(), 30);
    // A record whose timestamp is strictly after its predecessor's (ties across partitions
    // would make "the first at or after" ambiguous).
    let i = (10..30)
        .find(|&i| ts[i - 1].0 < ts[i].0)
        .expect("distinct timestamps");
    let (at, expect) = (ts[i].0 - 1, ts[i].1.clone());

    let mut tui = Tui::start(&["--broker", &emb.addr]);
    // The browser lists the seeded topics.
    tui.wait("the topic list", 20, |s| {
        s.contains("orders") && s.contains("refunds")
    });
    // Select e2e/orders (filter, then Enter) and see its newest messages, following.
    tui.keys("/orders\r");
    tui.keys("\r");
    let s = tui.wait("the newest record", 15, |s| s.contains("order-029"));
    assert!(s.contains("following"), "{s}");
    // Go to a time: the first record shown is the first seeded message at or after it.
    tui.keys("t");
    tui.wait("the go-to-time prompt", 5, |s| s.contains("Go to time"));
    tui.keys(&swmq::time::format_rfc3339(at));
    tui.keys("\r");
    let s = tui.wait("records from the cursor", 15, |s| {
        first_record_line(s).contains("order-")
    });
    assert!(
        first_record_line(&s).contains(&expect),
        "first record should be {expect}:\n{s}"
    );
    assert!(s.contains("scrub"), "{s}");
    // Back to live, publish, and see it in the tail.
    tui.keys("G");
    tui.wait("live again", 10, |s| {
        s.contains("following") && s.contains("order-029")
    });
    tui.keys("p");
    tui.wait("the publish dialog", 5, |s| s.contains("Publish"));
    tui.keys("k-e2e\t\thello-from-the-tui\r");
    let s = tui.wait("the published message in the tail", 15, |s| {
        s.contains("hello-from-the-tui") && !s.contains("Enter send")
    });
    assert!(s.contains("published 1 message(s)"), "{s}");
    // Delete the topic (type its full name) and see it disappear.
    tui.keys("D");
    tui.wait("the delete dialog", 5, |s| s.contains("Type e2e/orders"));
    tui.keys("e2e/order\r"); // not the full name: nothing happens
    std::thread::sleep(Duration::from_millis(300));
    assert!(tui.screen().contains("Type e2e/orders"));
    tui.keys("s\r");
    let s = tui.wait("the topic gone", 15, |s| {
        s.contains("deleted e2e/orders") && !s.contains(" orders ")
    });
    // The browser is filtered by "orders" here: none of the one remaining topic matches.
    assert!(s.contains("Topics (0/1)"), "e2e/refunds remains: {s}");
    // q quits from the tail pane; the terminal is restored.
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    std::thread::sleep(Duration::from_millis(200));
    let raw = tui.raw.lock().unwrap().clone();
    let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(200)..]).into_owned();
    assert!(
        tail.contains("\x1b[?1049l"),
        "alternate screen left: {tail:?}"
    );
    assert!(tail.contains("\x1b[?25h"), "cursor shown: {tail:?}");
    let (alt, hidden) = {
        let p = tui.parser.lock().unwrap();
        (p.screen().alternate_screen(), p.screen().hide_cursor())
    };
    assert!(!alt && !hidden, "terminal restored");
    emb.broker.shutdown().await.unwrap();
}

#[test]
fn no_broker_screen_names_the_address() {
    let port = support::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut tui = Tui::start(&["--broker", &addr, "--connect-timeout", "1"]);
    let s = tui.wait("the no-broker screen", 15, |s| s.contains("swmq demo"));
    assert!(s.contains(&addr) && s.contains("--broker"), "{s}");
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
}

/// The same screens against a real SeaweedFS 4.48: browse, tail, scrub (go to a time),
/// publish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn tui_against_weed_4_48() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = support::weed::mq_client(w).await;
    let ns = support::unique_namespace("tui");
    let t = TopicName::new(&ns, "events").unwrap();
    c.create_topic(&t, 2).await.unwrap();
    let msgs: Vec<OutMessage> = (0..20)
        .map(|i| OutMessage {
            key: Bytes::from(format!("k{i}")),
            value: Bytes::from(format!("w-{i:03}")),
            ..Default::default()
        })
        .collect();
    c.publish(&t, msgs).await.unwrap();
    let all = read_history(&Client::Mq(c), &t).await;
    assert_eq!(all.len(), 20);
    let i = (5..20)
        .find(|&i| all[i - 1].ts_ns < all[i].ts_ns)
        .expect("distinct timestamps");
    let expect = String::from_utf8_lossy(&all[i].value).into_owned();

    let mut tui = Tui::start(&["--broker", &w.broker, "--filer", &w.filer]);
    // The shared weed holds every test's namespaces: filter before looking for ours.
    tui.wait("the topic list", 30, |s| {
        s.contains("Topics (") && !s.contains("Topics (loading")
    });
    tui.keys(&format!("/{ns}\r"));
    tui.wait("the namespace", 30, |s| s.contains(&ns));
    tui.keys("\r");
    let s = tui.wait("the newest records", 30, |s| s.contains("w-019"));
    assert!(s.contains("SeaweedFS MQ 4.x"), "{s}");
    // Scrub: go to just before record i; the first record shown is record i.
    tui.keys("t");
    tui.wait("the go-to-time prompt", 5, |s| s.contains("Go to time"));
    tui.keys(&swmq::time::format_rfc3339(all[i].ts_ns - 1));
    tui.keys("\r");
    let s = tui.wait("records from the cursor", 30, |s| {
        first_record_line(s).contains("w-0")
    });
    assert!(
        first_record_line(&s).contains(&expect),
        "first record should be {expect}:\n{s}"
    );
    // The timeline has a histogram (bytes per bucket on 4.x) and a cursor.
    assert!(s.contains('▲'), "{s}");
    // Back to live and publish.
    tui.keys("G");
    tui.wait("live", 10, |s| s.contains("following"));
    tui.keys("p");
    tui.wait("the publish dialog", 5, |s| s.contains("Publish"));
    tui.keys("kk\tfrom-the-tui-on-4x\r");
    tui.wait("the published message in the tail", 30, |s| {
        s.contains("from-the-tui-on-4x") && !s.contains("Enter send")
    });
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
}

/// `swmq demo` on a terminal opens the TUI on the seeded embedded broker, labelled, and
/// stops it on exit.
#[test]
fn demo_opens_the_tui_on_the_embedded_broker() {
    let started = Instant::now();
    let mut tui = Tui::start(&["demo"]);
    let s = tui.wait("the demo's topics", 30, |s| {
        s.contains("embedded demo") && s.contains("orders")
    });
    eprintln!("demo topics listed after {:?}", started.elapsed());
    assert!(s.contains("SeaweedFS 2.x (embedded demo)"), "{s}");
    assert!(s.contains("channels"), "{s}");
    // Tail the first topic, scrub back ten buckets, and see records from there.
    tui.keys("\r");
    tui.wait("records", 20, |s| first_record_line(s).contains(':'));
    tui.keys("\x1b[1;2D"); // Shift+←
    let s = tui.wait("the cursor", 10, |s| s.contains("cursor 20"));
    eprintln!("{s}");
    tui.keys("q");
    assert_eq!(tui.exit_code(15), 0);
}

/// The broker goes away: the status bar says so; it comes back (same address and data):
/// the tail resumes after the last record shown, without gap or duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_resumes_after_the_broker_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let config =
        || swmq::broker::BrokerConfig::new(addr.parse().unwrap(), dir.path().to_path_buf());
    let broker = swmq::broker::start(config()).await.unwrap();
    let topic = TopicName::parse("e2e/live").unwrap();
    let first: Vec<String> = (0..8).map(|i| format!("before-{i}")).collect();
    seed(&addr, &topic, &first).await;

    let mut tui = Tui::start(&["--broker", &addr]);
    // Not just "live": the timeline's title says "live" before the topics are listed.
    tui.wait("the topic", 20, |s| s.contains("e2e (1)"));
    tui.keys("\r");
    tui.wait("the records", 15, |s| s.contains("before-7"));
    broker.shutdown().await.unwrap();
    tui.wait("the disconnection", 20, |s| s.contains("DISCONNECTED"));
    let broker = swmq::broker::start(config()).await.unwrap();
    let second: Vec<String> = (0..5).map(|i| format!("after-{i}")).collect();
    seed(&addr, &topic, &second).await;
    let s = tui.wait("the records published after the restart", 30, |s| {
        s.contains("after-4") && s.contains("connected")
    });
    for v in first.iter().chain(&second) {
        assert_eq!(s.matches(v.as_str()).count(), 1, "{v} exactly once:\n{s}");
    }
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    broker.shutdown().await.unwrap();
}

/// A 2.x channel: listed as open, closed with `C` after a confirmation, then listed as
/// closed; the tail of the channel shows that it ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_a_channel_from_the_tui() {
    let emb = support::embedded::start_embedded().await;
    let chan = TopicName::channel("e2e-jobs").unwrap();
    seed(
        &emb.addr,
        &chan,
        &["job-1".to_string(), "job-2".to_string()],
    )
    .await;
    let mut tui = Tui::start(&["--broker", &emb.addr]);
    tui.wait("the open channel", 20, |s| {
        s.contains("e2e-jobs") && s.contains("open")
    });
    tui.keys("\r"); // the only topic is preselected: tail it
    tui.wait("the channel's records", 15, |s| s.contains("job-2"));
    tui.keys("C");
    tui.wait("the confirmation", 5, |s| {
        s.contains("Seal channel e2e-jobs")
    });
    tui.keys("y");
    let s = tui.wait("the channel closed", 15, |s| {
        let row = s
            .lines()
            .find(|l| l.contains("○ e2e-jobs"))
            .unwrap_or_default();
        s.contains("channel closed")
            && row.contains("closed")
            && s.contains("ended (closed channel)")
    });
    assert!(
        s.contains("[close]"),
        "the close message shows in the tail:\n{s}"
    );
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}

/// SIGTERM ends the TUI like `q`: exit 0, terminal restored.
#[test]
fn sigterm_restores_the_terminal() {
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut tui = Tui::start(&["--broker", &addr, "--connect-timeout", "1"]);
    tui.wait("the no-broker screen", 15, |s| s.contains("swmq demo"));
    let pid = tui.child.process_id().expect("pid");
    let st = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(tui.exit_code(10), 0);
    std::thread::sleep(Duration::from_millis(200));
    let raw = tui.raw.lock().unwrap().clone();
    let tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(200)..]).into_owned();
    assert!(
        tail.contains("\x1b[?1049l") && tail.contains("\x1b[?25h"),
        "{tail:?}"
    );
}
