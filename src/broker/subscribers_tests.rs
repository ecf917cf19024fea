use super::*;
use crate::broker::partition::Limits;

const LIMITS: Limits = Limits {
    segment_bytes: 1 << 20,
    max_message: 1 << 20,
};

fn info(id: &str, last_seen: i64, received_close: bool) -> Entry {
    Entry {
        info: SubscriberInfo {
            subscriber_id: id.into(),
            last_seen_ns: last_seen,
            received_close,
            inspector: is_inspector(id),
            ..Default::default()
        },
        live: Vec::new(),
    }
}

fn close_msg() -> Message {
    Message {
        is_close: true,
        event_time_ns: 42,
        ..Default::default()
    }
}

#[test]
fn ids_are_clipped_at_a_character_boundary() {
    let long = "é".repeat(150); // 300 bytes
    let c = clip_id(&long);
    assert!(
        c.len() <= MAX_ID_BYTES && c.len() >= MAX_ID_BYTES - 1,
        "{}",
        c.len()
    );
    assert!(long.starts_with(&c));
    assert_eq!(clip_id("worker-3"), "worker-3");
    assert!(is_inspector("swmq-123-0-p0-5") && !is_inspector("worker-3"));
}

#[test]
fn trimming_forgets_inspectors_then_non_consumers_and_keeps_consumers() {
    let mut e = vec![info("consumer", 1, true)];
    for i in 0..MAX_SUBSCRIBERS as i64 {
        e.push(info(&format!("reader-{i}"), 10 + i, false));
    }
    e.push(info("swmq-1", 1000, false));
    trim(&mut e);
    assert_eq!(e.len(), MAX_SUBSCRIBERS);
    let ids: Vec<&str> = e.iter().map(|e| e.info.subscriber_id.as_str()).collect();
    assert!(!ids.contains(&"swmq-1"), "the inspector goes first");
    assert!(!ids.contains(&"reader-0"), "then the oldest non-consumer");
    assert!(ids.contains(&"consumer"), "the old consumer stays");
}

#[test]
fn consumed_needs_a_real_subscriber_to_receive_the_close() {
    let sub = |id: &str, close| SubscriberInfo {
        subscriber_id: id.into(),
        received_close: close,
        inspector: is_inspector(id),
        ..Default::default()
    };
    let yes = ConsumedState::Consumed as i32;
    let no = ConsumedState::NotConsumed as i32;
    let unknown = ConsumedState::ConsumedUnknown as i32;
    assert_eq!(consumed_state(true, 100, &[sub("w", true)], 50), yes);
    assert_eq!(consumed_state(false, 100, &[sub("w", true)], 50), no);
    assert_eq!(consumed_state(true, 100, &[sub("w", false)], 50), no);
    assert_eq!(consumed_state(true, 100, &[sub("swmq-1", true)], 50), no);
    // Closed before recording began, no consumer known: nobody can tell.
    assert_eq!(consumed_state(true, 10, &[], 50), unknown);
    assert_eq!(consumed_state(true, 10, &[sub("w", true)], 50), yes);
}

#[tokio::test]
async fn sessions_are_recorded_persisted_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(Registry::open(dir.path()).unwrap());
    let since = reg.since_ns();
    assert!(since > 0);
    let topic_dir = dir.path().join("topics/chan/c");
    let part = Arc::new(Partition::open(&topic_dir, 0, LIMITS).unwrap());
    part.append(Message {
        value: "v".into(),
        ..Default::default()
    })
    .unwrap();
    part.append(close_msg()).unwrap();
    part.seal().await.unwrap();

    // A reader that was handed the close but never answered: not a receipt.
    let half = reg.session(&part, "half").await;
    half.delivered(&close_msg());
    half.client_gone();
    drop(half);
    // One that answered is_close after the close.
    let full = reg.session(&part, "worker-3").await;
    full.delivered(&close_msg());
    full.client_closed();
    let live = reg.records(&part).snapshot();
    let w = live.iter().find(|s| s.subscriber_id == "worker-3").unwrap();
    assert_eq!(w.connected, 1);
    assert!(w.received_close && w.close_received_at_ns > 0);
    drop(full);
    reg.flush_dirty();
    assert!(records_path(&topic_dir, 0).is_file());

    let reg2 = Registry::open(dir.path()).unwrap();
    assert_eq!(reg2.since_ns(), since, "recording began once");
    let part2 = Arc::new(Partition::open(&topic_dir, 0, LIMITS).unwrap());
    let subs = reg2.records(&part2).snapshot();
    let by = |id: &str| subs.iter().find(|s| s.subscriber_id == id).unwrap().clone();
    assert!(by("worker-3").received_close);
    assert_eq!(by("worker-3").last_delivered_ts_ns, 42);
    assert_eq!(by("worker-3").connected, 0);
    assert!(!by("half").received_close);
    assert_eq!(by("half").delivered, 1);
}

#[tokio::test]
async fn a_damaged_file_is_no_records_and_nothing_is_written_for_a_missing_topic() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(Registry::open(dir.path()).unwrap());
    let topic_dir = dir.path().join("topics/ns/t");
    fs::create_dir_all(&topic_dir).unwrap();
    fs::write(records_path(&topic_dir, 0), b"\xff\xff\xff garbage").unwrap();
    let part = Arc::new(Partition::open(&topic_dir, 0, LIMITS).unwrap());
    assert!(reg.records(&part).snapshot().is_empty());
    // A subscriber of a topic that has no directory: no directory is made for it.
    let ghost_dir = dir.path().join("topics/ns/ghost");
    let ghost = Arc::new(Partition::open(&ghost_dir, 0, LIMITS).unwrap());
    drop(reg.session(&ghost, "w").await);
    reg.flush_dirty();
    assert!(!ghost_dir.exists());
    // A deleted partition's records are forgotten, not written.
    drop(reg.session(&part, "w").await);
    part.mark_deleted();
    reg.flush_dirty();
    assert!(!lock(&reg.parts).contains_key(&(topic_dir.clone(), 0)));
    assert!(lock(&reg.parts).contains_key(&(ghost_dir.clone(), 0)));
}
