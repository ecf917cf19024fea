//! Snapshot fixtures for the TUI screens: fixed times (shown in UTC), fixed sizes,
//! hand-built topics, records and histograms; `render` draws a model into text.

#![allow(unused_imports)]

pub(crate) use std::sync::Arc;

pub(crate) use bytes::Bytes;
pub(crate) use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
pub(crate) use ratatui::Terminal;
pub(crate) use ratatui::backend::TestBackend;
pub(crate) use swmq::client::{
    Histogram, HistogramUnit, PartitionInfo, Protocol, Record, TopicInfo, TopicName,
};
pub(crate) use swmq::tui::model::{Model, SEC};
pub(crate) use swmq::tui::msg::{Effect, Msg, WorkerCmd, WorkerEvent};
pub(crate) use swmq::tui::update::update;
pub(crate) use swmq::tui::view::view;

/// 2026-11-26T14:02:12Z.
pub(crate) const NOW: i64 = 1_795_701_732 * SEC;

pub(crate) fn topic(s: &str) -> TopicName {
    TopicName::parse(s).unwrap()
}

pub(crate) fn info(
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

pub(crate) fn topics() -> Vec<TopicInfo> {
    vec![
        info("demo/orders", 4, 48_200, false, 7200 * SEC, SEC),
        info("demo/payments", 2, 12_900, false, 3600 * SEC, 42 * SEC),
        info("logs/api", 1, 301_000, false, 86_400 * SEC, 3 * SEC),
        info("chan/nightly-export", 1, 120, false, 600 * SEC, 60 * SEC),
        info("chan/backfill-07", 1, 88, true, 9000 * SEC, 5000 * SEC),
    ]
}

pub(crate) fn order(i: i64) -> Record {
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
        decoded: None,
    }
}

pub(crate) fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(crate) fn chr(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub(crate) fn typed(m: &mut Model, s: &str) {
    for c in s.chars() {
        update(m, chr(c));
    }
}

pub(crate) fn connected(read_only: bool) -> Model {
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
pub(crate) fn tailing() -> Model {
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

pub(crate) fn render(m: &Model) -> String {
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
