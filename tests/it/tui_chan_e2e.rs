//! End to end in a pty: consumed channels shown, filtered, marked with Space and deleted
//! together (type how many); exactly the marked ones go, nothing unmarked or open.
use crate::support;

use std::time::Duration;

use swmq::client::{Client, ConnectOptions, Consumed};

use support::chan::{fill, sub_channel};
use support::pty::Tui;

/// Channel names the broker lists (sorted), and whether `ns/plain` is still there.
async fn listed(c: &Client) -> (Vec<String>, bool) {
    let all = c.list_topics().await.unwrap();
    let chans = all
        .iter()
        .filter(|t| t.name.is_channel())
        .map(|t| t.name.name.clone())
        .collect();
    (chans, all.iter().any(|t| t.name.to_string() == "ns/plain"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_consumed_channels_are_deleted_together_and_nothing_else() {
    let emb = support::embedded::start_embedded().await;
    let addr = emb.addr.clone();
    for name in ["done", "done2", "done3"] {
        fill(&addr, name, 3, true).await;
        assert_eq!(sub_channel(&addr, "worker-3", name, None).await, (3, true));
    }
    fill(&addr, "half", 4, true).await;
    sub_channel(&addr, "worker-4", "half", Some(2)).await;
    fill(&addr, "unread", 2, true).await;
    fill(&addr, "open", 2, false).await;
    support::embedded::publish(&addr, "ns", "plain", 0, vec![support::embedded::msg("x")])
        .await
        .unwrap();
    let c = Client::connect(&ConnectOptions::new(&addr)).await.unwrap();
    for _ in 0..50 {
        let all = c.list_topics().await.unwrap();
        if all.iter().filter(|t| t.consumed() == Consumed::Yes).count() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut tui = Tui::start(&["--broker", &addr]);
    tui.wait("the topic list", 20, |s| s.contains("Topics (7)"));
    tui.wait("the consumed marks", 10, |s| {
        s.contains("done     closed ✓") && s.contains("unread   closed ✗")
    });
    // Only closed, consumed channels: done, done2, done3.
    tui.keys("c");
    let screen = tui.wait("the filter", 5, |s| s.contains("consumed channels only"));
    assert!(
        !screen.contains("unread") && !screen.contains("plain"),
        "{screen}"
    );
    // Mark done (the selection moves to done2), skip done2, mark done3.
    tui.keys(" ");
    tui.wait("one mark", 5, |s| s.contains("1 marked"));
    tui.keys("j ");
    tui.wait("two marks", 5, |s| s.contains("2 marked"));
    tui.keys("c");
    tui.keys("D");
    let dialog = tui.wait("the confirmation", 5, |s| s.contains("Delete 2 topics"));
    assert!(
        dialog.contains("chan/done ") && dialog.contains("chan/done3"),
        "{dialog}"
    );
    assert!(!dialog.contains("chan/done2"), "{dialog}");
    // Each name with its count and size, then its state and who read it.
    let lines: Vec<&str> = dialog.lines().collect();
    let at = lines.iter().position(|l| l.contains("chan/done3")).unwrap();
    assert!(
        lines[at].contains("4 msgs") && lines[at].contains(" B "),
        "{dialog}"
    );
    assert!(
        lines[at + 1].contains("closed ✓ consumed worker-3"),
        "{dialog}"
    );
    assert!(dialog.contains("Type 2 and press Enter"), "{dialog}");
    // A wrong number deletes nothing.
    tui.keys("3\r");
    std::thread::sleep(Duration::from_millis(300));
    assert!(tui.screen().contains("Delete 2 topics"));
    tui.keys("\x7f2\r");
    tui.wait("the result", 10, |s| s.contains("deleted 2 topics"));
    let (chans, plain) = listed(&c).await;
    assert_eq!(chans, ["done2", "half", "open", "unread"]);
    assert!(plain);
    tui.keys("q");
    assert_eq!(tui.exit_code(10), 0);
    emb.broker.shutdown().await.unwrap();
}
