//! TUI benchmarks (harness = false; run with `cargo bench --bench tui_render`):
//! - full-frame render time at 200×50 with a full 10,000-record buffer, against rendering
//!   an empty frame (just the chrome) in the same run;
//! - ingest throughput of `update()` and RSS staying flat over millions of records.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use swmq::client::{
    Histogram, HistogramUnit, PartitionInfo, Protocol, Record, TopicInfo, TopicName,
};
use swmq::tui::model::{Model, SEC};
use swmq::tui::msg::{Msg, WorkerEvent};
use swmq::tui::update::update;
use swmq::tui::view::view;

const NOW: i64 = 1_795_701_732 * SEC;

fn record(topic: &Arc<TopicName>, i: i64) -> Record {
    Record {
        topic: topic.clone(),
        partition: (i % 8) as i32,
        ts_ns: NOW - 10_000 * SEC + i * 1_000_000,
        key: Bytes::from(format!("key-{}", i % 977)),
        value: Bytes::from(format!(
            r#"{{"order":{i},"sku":"A-{}","qty":{},"customer":"c-{}","note":"lorem ipsum dolor sit amet"}}"#,
            i % 50,
            i % 7,
            i % 1000
        )),
        headers: vec![],
        is_close: false,
        offset: Some(i),
        decoded: None,
    }
}

fn model(records: usize) -> Model {
    let mut m = Model::new("127.0.0.1:17777", false, true, 10_000, NOW);
    update(&mut m, Msg::Resize(200, 50));
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Legacy,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    let topics: Vec<TopicInfo> = (0..40)
        .map(|i| TopicInfo {
            name: TopicName::parse(&format!("ns{}/topic-{i}", i % 5)).unwrap(),
            partitions: vec![PartitionInfo {
                id: 0,
                message_count: Some(1000 * i),
                bytes: Some(100_000 * i),
                first_ts_ns: Some(NOW - 3600 * SEC),
                last_ts_ns: Some(NOW - SEC),
                ..Default::default()
            }],
            publishers: None,
            subscribers: None,
        })
        .collect();
    let t0 = topics[0].name.clone();
    update(&mut m, Msg::Worker(WorkerEvent::Topics(topics)));
    if records == 0 {
        return m;
    }
    swmq::tui::update::start_tail(&mut m, t0.clone(), &mut Vec::new());
    let id = m.tail.sub.unwrap();
    let topic = Arc::new(t0);
    let batch: Vec<Record> = (0..records as i64).map(|i| record(&topic, i)).collect();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Records { id, records: batch }),
    );
    let (start, stop) = m.window();
    let hist_id = m.scrub.hist_id;
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Histogram {
            id: hist_id,
            result: Ok(Histogram {
                start_ns: start,
                stop_ns: stop,
                counts: (0..198u64).map(|i| (i * 31) % 97).collect(),
                unit: HistogramUnit::Messages,
            }),
        }),
    );
    m
}

fn time_frames(m: &Model, n: u32) -> f64 {
    let mut t = Terminal::new(TestBackend::new(200, 50)).unwrap();
    for _ in 0..20 {
        t.draw(|f| view(m, f)).unwrap();
    }
    let start = Instant::now();
    for _ in 0..n {
        // A fresh frame each time (TestBackend diffing is part of a real draw too).
        t.draw(|f| view(black_box(m), f)).unwrap();
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    let n = 500;
    let empty = model(0);
    let full = model(10_000);
    assert_eq!(full.tail.live.len(), 10_000);
    let mut searching = full.clone();
    searching.tail.search = "a-17".into();
    let q = swmq::matcher::Matcher::new(
        "a-17",
        swmq::matcher::Syntax::Regex,
        swmq::matcher::Case::Smart,
    );
    searching.tail.live.set_query(q.ok());
    let mut filtered = searching.clone();
    filtered.tail.filter = true;

    let e = time_frames(&empty, n);
    let f = time_frames(&full, n);
    let s = time_frames(&searching, n);
    let fl = time_frames(&filtered, n);
    println!("render 200x50, {n} frames each:");
    println!("  empty frame (chrome only)        {:8.3} ms", e * 1e3);
    println!(
        "  full buffer (10,000), following   {:8.3} ms  ({:.2}x empty)",
        f * 1e3,
        f / e
    );
    println!(
        "  full buffer, search highlight     {:8.3} ms  ({:.2}x empty)",
        s * 1e3,
        s / e
    );
    println!(
        "  full buffer, filter on            {:8.3} ms  ({:.2}x empty)",
        fl * 1e3,
        fl / e
    );
    println!(
        "  target: < 2 ms per full frame -> {}",
        if f < 0.002 && s < 0.002 && fl < 0.002 {
            "MET"
        } else {
            "NOT MET"
        }
    );

    let t = Instant::now();
    for _ in 0..100 {
        black_box(full.tail.live.clone());
    }
    println!(
        "pause snapshot of 10,000 records: {:.3} ms",
        t.elapsed().as_secs_f64() * 10.0
    );
    frame_loop();

    // Sustained ingest: batches of 1,000 records through update(), default buffer.
    let mut m = model(0);
    let t0 = m.browser.topics[0].name.clone();
    swmq::tui::update::start_tail(&mut m, t0.clone(), &mut Vec::new());
    let id = m.tail.sub.unwrap();
    let topic = Arc::new(t0);
    let total: i64 = std::env::var("SWMQ_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let batch = 1_000;
    let mut samples = Vec::new();
    let start = Instant::now();
    let mut i = 0i64;
    while i < total {
        let records: Vec<Record> = (i..i + batch).map(|j| record(&topic, j)).collect();
        update(&mut m, Msg::Worker(WorkerEvent::Records { id, records }));
        i += batch;
        if i % (total / 10).max(batch) == 0 {
            samples.push((i, rss_kib()));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest {total} records (batches of {batch}, building the records included): {:.0} records/s",
        total as f64 / secs
    );
    println!(
        "  buffered {} (dropped {}), RSS in MiB at each tenth:",
        m.tail.live.len(),
        m.tail.live.dropped
    );
    let line: Vec<String> = samples
        .iter()
        .map(|(n, kib)| format!("{}M:{:.1}", n / 1_000_000, *kib as f64 / 1024.0))
        .collect();
    println!("  {}", line.join("  "));
    let first = samples.first().map_or(0, |s| s.1) as f64;
    let last = samples.last().map_or(0, |s| s.1) as f64;
    println!(
        "  growth from first to last sample: {:.1} MiB (target: flat, < 60 MiB total)",
        (last - first) / 1024.0
    );
}

/// 100k records/s in 16 ms frames: per frame, 1,600 records through `update()`, one key
/// press, and one full draw at 200×50. The work per frame must stay well under 16 ms.
fn frame_loop() {
    let mut m = model(0);
    let t0 = m.browser.topics[0].name.clone();
    swmq::tui::update::start_tail(&mut m, t0.clone(), &mut Vec::new());
    let id = m.tail.sub.unwrap();
    let topic = Arc::new(t0);
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let frames: i64 = std::env::var("SWMQ_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let per_frame = 1_600i64;
    let keys = [' ', ' ', 'k', 'G', 'n'];
    let mut times = Vec::with_capacity(frames as usize);
    let mut per_key = [0f64; 5];
    for f in 0..frames {
        let records: Vec<Record> = (f * per_frame..(f + 1) * per_frame)
            .map(|j| record(&topic, j))
            .collect();
        let start = Instant::now();
        update(&mut m, Msg::Worker(WorkerEvent::Records { id, records }));
        let c = keys[(f as usize) % keys.len()];
        update(
            &mut m,
            Msg::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
        );
        term.draw(|fr| view(&m, fr)).unwrap();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        per_key[(f as usize) % keys.len()] = per_key[(f as usize) % keys.len()].max(ms);
        times.push(ms);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    println!(
        "frame loop at 100k records/s ({frames} frames of {per_frame} records + a key + a draw): median {:.2} ms, p99 {:.2} ms, max {:.2} ms (frame budget 16 ms)",
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
    println!(
        "  worst frame by key: {:?}",
        keys.iter().zip(per_key).collect::<Vec<_>>()
    );
}
