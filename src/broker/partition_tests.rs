//! Storage tests: rolling, seeks across segments, counts, recovery of torn tails and
//! damaged indexes.
use std::fs;
use std::io::Write;

use super::*;
use crate::broker::reader::{Chunk, Cursor};

const LIMITS: Limits = Limits {
    segment_bytes: 4096,
    max_message: 1 << 20,
};

fn open(dir: &Path) -> Arc<Partition> {
    Arc::new(Partition::open(dir, 0, LIMITS).unwrap())
}

fn m(ts: i64, v: &str) -> Message {
    Message {
        event_time_ns: ts,
        value: v.to_string().into(),
        ..Default::default()
    }
}

async fn read_all(p: &Partition, mut cur: Cursor) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    while let Chunk::Records(recs) = p.read(&mut cur, 1000).await.unwrap() {
        for r in recs {
            out.push((
                r.ts_ns,
                String::from_utf8_lossy(&r.message.value).into_owned(),
            ));
        }
    }
    out
}

fn fill(p: &Partition, n: i64) {
    for i in 0..n {
        p.append(m(1000 + 10 * i, &format!("value-{i:05}-padding-padding")))
            .unwrap();
    }
}

#[tokio::test]
async fn segments_roll_and_reads_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    fill(&p, 1000);
    p.sync().await.unwrap();
    let segs = p.lock().segments.len();
    assert!(segs > 5, "{segs} segments");
    let all = read_all(&p, p.cursor_start()).await;
    assert_eq!(all.len(), 1000);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    // Seeks: strictly after t, across segment boundaries.
    for t in [0, 1000, 1005, 5000, 5010, 9990, 10_990, 20_000] {
        let mut cur = p.cursor_after(t);
        let mut skipped = 0;
        let mut first = None;
        while let Chunk::Records(recs) = p.read(&mut cur, 100).await.unwrap() {
            if let Some(r) = recs.iter().find(|r| r.ts_ns > t) {
                first = Some(r.ts_ns);
                break;
            }
            skipped += recs.len();
        }
        let want = all.iter().find(|(ts, _)| *ts > t).map(|(ts, _)| *ts);
        assert_eq!(first, want, "after {t}");
        // The first record > t is in the index block the cursor points at.
        assert!(
            skipped < super::super::segment::INDEX_EVERY as usize,
            "{skipped}"
        );
    }
    for t in [0, 1000, 1001, 4440, 5000, 9991, 20_000] {
        let want = all.iter().filter(|(ts, _)| *ts < t).count() as u64;
        assert_eq!(p.count_before(t).await.unwrap(), want, "before {t}");
    }
    let s = p.stats();
    assert_eq!((s.count, s.first_ts, s.last_ts), (1000, 1000, 10_990));
}

#[tokio::test]
async fn non_increasing_timestamps_become_last_plus_one() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    for ts in [500, 500, 100, 0, 900] {
        p.append(m(ts, "x")).unwrap();
    }
    let got: Vec<i64> = read_all(&p, p.cursor_start())
        .await
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(got[..3], [500, 501, 502]);
    assert!(got[3] > 502, "broker clock"); // event_time 0: now
    assert_eq!(got[4], got[3] + 1);
}

#[tokio::test]
async fn torn_tail_is_cut_on_reopen_and_appends_continue() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        fill(&p, 100);
        p.sync().await.unwrap();
    }
    let pdir = names::partition_dir(dir.path(), 0);
    let mut logs: Vec<_> = fs::read_dir(&pdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    let last = logs.last().unwrap();
    let len = fs::metadata(last).unwrap().len();
    // A torn record: half of a length prefix and garbage.
    let mut f = std::fs::OpenOptions::new().append(true).open(last).unwrap();
    f.write_all(&[0, 0, 0x40, 0, 1, 2, 3]).unwrap();
    drop(f);
    let p = open(dir.path());
    assert_eq!(fs::metadata(last).unwrap().len(), len, "cut back");
    // The cut bytes were set aside first, beside the segment.
    let q = recovery::quarantine_path(last, len);
    assert_eq!(fs::read(&q).unwrap(), [0, 0, 0x40, 0, 1, 2, 3]);
    assert_eq!(p.stats().count, 100);
    p.append(m(1_000_000, "after")).unwrap();
    let all = read_all(&p, p.cursor_start()).await;
    assert_eq!(all.len(), 101);
    assert_eq!(all[100].1, "after");
}

#[tokio::test]
async fn damaged_or_missing_indexes_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let p = open(dir.path());
        fill(&p, 500);
        p.shutdown().unwrap();
        p.lock().segments.clone()
    };
    let pdir = names::partition_dir(dir.path(), 0);
    let idx: Vec<_> = fs::read_dir(&pdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    assert_eq!(idx.len(), before.len(), "every segment has an index");
    fs::remove_file(&idx[0]).unwrap();
    fs::write(&idx[1], b"garbage").unwrap();
    let p = open(dir.path());
    let after = p.lock().segments.clone();
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(
            (a.count, a.size, a.first_ts, a.last_ts),
            (b.count, b.size, b.first_ts, b.last_ts)
        );
        assert_eq!(a.index, b.index);
    }
    assert!(idx[0].exists(), "rebuilt index saved again");
    assert_eq!(p.count_before(3000).await.unwrap(), 200);
}

#[tokio::test]
async fn garbage_in_the_middle_is_never_served() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        fill(&p, 300);
        p.shutdown().unwrap();
    }
    let pdir = names::partition_dir(dir.path(), 0);
    let mut logs: Vec<_> = fs::read_dir(&pdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    // Overwrite the middle of the second segment and drop its index.
    let mut bytes = fs::read(&logs[1]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 40].fill(0xff);
    fs::write(&logs[1], &bytes).unwrap();
    fs::remove_file(logs[1].with_extension("idx")).unwrap();
    let p = open(dir.path());
    let all = read_all(&p, p.cursor_start()).await;
    assert!(all.len() < 300 && !all.is_empty());
    // What is served is an intact prefix.
    for (i, (ts, v)) in all.iter().enumerate() {
        assert_eq!(*ts, 1000 + 10 * i as i64);
        assert_eq!(*v, format!("value-{i:05}-padding-padding"));
    }
    assert!(logs[2].with_extension("damaged").exists());
    // Nothing was destroyed: the segment's valid part plus its quarantined tail is the
    // damaged segment, byte for byte.
    let kept = fs::read(&logs[1]).unwrap();
    let q = recovery::quarantine_path(&logs[1], kept.len() as u64);
    assert_eq!([kept, fs::read(&q).unwrap()].concat(), bytes);
}

#[tokio::test]
async fn recovery_that_cannot_set_damage_aside_cuts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        fill(&p, 20);
        p.sync().await.unwrap();
    }
    let log = names::partition_dir(dir.path(), 0).join(Segment::file_name(0));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"torn").unwrap();
    drop(f);
    let len = fs::metadata(&log).unwrap().len();
    faults::install(faults::Plan {
        root: dir.path().into(),
        ops: vec![faults::Op::Create],
        at: 0,
        times: u64::MAX,
        fault: faults::Fault::NoSpace,
    });
    let err = Partition::open(dir.path(), 0, LIMITS).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(28), "{err}");
    assert_eq!(fs::metadata(&log).unwrap().len(), len, "nothing cut");
    faults::clear(dir.path());
    let p = open(dir.path());
    assert_eq!(p.stats().count, 20);
    assert_eq!(fs::metadata(&log).unwrap().len(), len - 4);
}

#[tokio::test]
async fn close_marker_is_restored_after_a_crash_before_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        p.append(m(5, "v")).unwrap();
        p.append(Message {
            is_close: true,
            ..Default::default()
        })
        .unwrap();
        assert!(p.append(m(9, "late")).is_err());
        p.sync().await.unwrap(); // durable, but no marker (as if killed before seal)
    }
    assert!(!names::close_marker(dir.path(), 0).exists());
    let p = open(dir.path());
    assert!(p.is_closed());
    assert!(names::close_marker(dir.path(), 0).exists());
    let err = p.append(m(10, "x")).unwrap_err().to_string();
    assert!(err.contains("channel is already closed"), "{err}");
}

#[tokio::test]
async fn needs_sync_tracks_unsynced_writes() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    assert!(!p.needs_sync());
    p.append(m(1, "a")).unwrap();
    assert!(p.needs_sync());
    p.sync().await.unwrap();
    assert!(!p.needs_sync());
}

#[tokio::test]
async fn a_close_sealed_after_a_delete_writes_no_marker() {
    let dir = tempfile::tempdir().unwrap();
    let p = open(dir.path());
    p.append(m(1, "a")).unwrap();
    p.append(Message {
        is_close: true,
        ..m(2, "")
    })
    .unwrap();
    // The topic is deleted between the close being stored and its marker being written
    // (the directory may already hold the topic's next incarnation).
    p.mark_deleted();
    let err = p.seal().await.unwrap_err();
    assert!(err.to_string().contains("deleted"), "{err}");
    assert!(!names::close_marker(dir.path(), 0).exists());
}

#[tokio::test]
async fn a_half_written_marker_or_a_torn_close_record_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    {
        let p = open(dir.path());
        p.append(m(5, "v")).unwrap();
        p.append(Message {
            is_close: true,
            ..m(6, "")
        })
        .unwrap();
        p.sync().await.unwrap();
    }
    // Killed while writing the marker: only a torn temp file exists.
    let marker = names::close_marker(dir.path(), 0);
    fs::write(marker.with_extension("md5.tmp"), "3a7").unwrap();
    let p = open(dir.path());
    assert!(p.is_closed());
    // The MD5 of all values ("v" and the close's empty value), as 2.x wrote it.
    assert_eq!(
        fs::read_to_string(&marker).unwrap(),
        "9e3669d19b675bd57058fd4664205d2a"
    );
    drop(p);
    // Killed while writing the close record itself: it is cut off, the partition stays open.
    fs::remove_file(&marker).unwrap();
    let log = dir.path().join("p00").join(Segment::file_name(0));
    let len = fs::metadata(&log).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(len - 2)
        .unwrap();
    fs::remove_file(log.with_extension("idx")).ok();
    let p = open(dir.path());
    assert!(!p.is_closed() && !marker.exists());
    assert_eq!(read_all(&p, p.cursor_start()).await, [(5, "v".to_string())]);
    p.append(m(7, "after")).unwrap();
}
