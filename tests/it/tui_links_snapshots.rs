//! Snapshots: the tail of marked topics merged by time (a topic column, the union's
//! timeline), and a landing on a linked record with the records before it.

use crate::support;

use support::screens::*;

fn payment(i: i64) -> Record {
    Record {
        topic: Arc::new(topic("demo/payments")),
        partition: (i % 2) as i32,
        ts_ns: NOW - 60 * SEC + i * 37_000_000 + 18_000_000,
        key: Bytes::from(format!("pay-{}", 500 + i)),
        value: Bytes::from(format!(r#"{{"payment":{},"eur":{}.00}}"#, 500 + i, i * 3)),
        headers: vec![],
        is_close: false,
        offset: Some(i / 2),
        decoded: None,
    }
}

#[test]
fn marked_topics_tail_merged_with_a_topic_column() {
    let mut m = connected(false);
    // Mark demo/orders and demo/payments (Space marks and moves down), then Enter.
    m.browser.sel = Some(swmq::tui::model::Sel::Topic(topic("demo/orders")));
    update(&mut m, chr(' '));
    m.browser.sel = Some(swmq::tui::model::Sel::Topic(topic("demo/payments")));
    update(&mut m, chr(' '));
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(
        matches!(&cmds[0], Effect::Worker(WorkerCmd::SubscribeMany { topics, .. }) if topics.len() == 2),
        "{cmds:?}"
    );
    let id = m.tail.sub.unwrap();
    let hist_id = m.scrub.hist_id;
    let mut records: Vec<Record> = (0..30).map(order).chain((0..30).map(payment)).collect();
    records.sort_by_key(|r| r.ts_ns);
    update(&mut m, Msg::Worker(WorkerEvent::Records { id, records }));
    update(&mut m, Msg::Worker(WorkerEvent::CaughtUp { id }));
    let (start, stop) = m.window();
    // The union's density: the worker sums the topics' histograms.
    let counts: Vec<u64> = (0..118u64).map(|i| (i * 5 % 17) + i / 3).collect();
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
    let screen = render(&m);
    assert!(
        screen.contains("2 topics merged: demo/orders, demo/payments"),
        "{screen}"
    );
    assert!(screen.contains("TOPIC"), "{screen}");
    assert!(
        screen.contains("demo/payments") && screen.contains("pay-529"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn open_lands_on_the_record_with_the_records_before_it() {
    let mut m = Model::new("127.0.0.1:17777", false, true, 10_000, NOW);
    m.no_color = true;
    update(&mut m, Msg::Resize(120, 32));
    let target = order(40);
    let link = swmq::link::Link::to_record("127.0.0.1:17777", &target);
    swmq::tui::update::landing::open_link(&mut m, &link);
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Legacy,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    update(&mut m, Msg::Worker(WorkerEvent::Topics(topics())));
    update(&mut m, Msg::Tick(NOW + swmq::tui::model::DEBOUNCE_NS));
    let id = m.tail.sub.unwrap();
    let cmds = update(
        &mut m,
        Msg::Worker(WorkerEvent::Records {
            id,
            records: (40..60).map(order).collect(),
        }),
    );
    let Some(Effect::Worker(WorkerCmd::ReadBefore { req, .. })) = cmds.last().cloned() else {
        panic!("{cmds:?}")
    };
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Earlier {
            req,
            result: Ok(((25..40).map(order).collect(), false)),
        }),
    );
    let screen = render(&m);
    assert!(
        screen.contains("ord-1039") && screen.contains("ord-1040"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}
