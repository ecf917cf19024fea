//! Dialogs that write: publish, delete, close channel; read-only refuses them.

use super::*;
use crate::tui::dialog::FieldId;

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
