//! Unit tests of `files` (log-file names, decoding, seeks).

use super::*;
use crate::client::mq::filer_http::is_filer_server;

fn log(name: &str) -> DirFile {
    DirFile {
        name: name.into(),
        start_ns: parse_log_name(name).unwrap(),
        bytes: 1,
        mtime_ns: None,
        parquet: None,
    }
}

fn frame(e: &LogEntry) -> Vec<u8> {
    let body = e.encode_to_vec();
    let mut v = (body.len() as u32).to_be_bytes().to_vec();
    v.extend(body);
    v
}

#[test]
fn entries_decode_and_a_bad_tail_is_reported_not_panicked() {
    let a = LogEntry {
        ts_ns: 5,
        key: Bytes::from("k"),
        data: Bytes::from("v"),
        offset: 7,
        ..Default::default()
    };
    let b = LogEntry {
        ts_ns: 6,
        offset: 8,
        ..Default::default()
    };
    let mut buf = frame(&a);
    buf.extend(frame(&b));
    let (es, err) = decode_entries(Bytes::from(buf.clone()));
    assert_eq!(es, vec![a.clone(), b]);
    assert_eq!(err, None);
    // Truncated in the middle of the second record.
    let cut = Bytes::from(buf[..buf.len() - 1].to_vec());
    let (es, err) = decode_entries(cut);
    assert_eq!(es, vec![a.clone()]);
    assert!(err.unwrap().contains("runs past the end"));
    // Stray bytes, huge lengths, garbage.
    let (_, err) = decode_entries(Bytes::from_static(&[0, 0]));
    assert!(err.unwrap().contains("stray"));
    let (es, err) = decode_entries(Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 1]));
    assert!(es.is_empty() && err.is_some());
    let (_, err) = decode_entries(Bytes::from_static(&[0, 0, 0, 2, 0xff, 0xff]));
    assert!(err.unwrap().contains("undecodable"));
    assert_eq!(decode_entries(Bytes::new()), (vec![], None));
}

#[test]
fn timestamps_are_read_without_decoding_and_agree_with_the_decoder() {
    let entries: Vec<LogEntry> = [0i64, 1, 127, 128, 1_764_000_000_123_456_789, -5]
        .iter()
        .enumerate()
        .map(|(i, &ts)| LogEntry {
            ts_ns: ts,
            key: Bytes::from(format!("k{i}")),
            data: Bytes::from(vec![0x08; i * 40]),
            offset: i as i64,
            ..Default::default()
        })
        .collect();
    let mut buf: Vec<u8> = entries.iter().flat_map(frame).collect();
    // An entry whose timestamp is not the first field (offset 3, then ts 42).
    let odd = [0x28, 3, 0x08, 42];
    buf.extend((odd.len() as u32).to_be_bytes());
    buf.extend(odd);
    let (es, err) = decode_entries(Bytes::from(buf.clone()));
    assert_eq!(err, None);
    let want: Vec<i64> = es.iter().map(|e| e.ts_ns).collect();
    assert_eq!(want.last(), Some(&42));
    assert_eq!(entry_timestamps(&buf), (want.clone(), None));
    // The same errors as the decoder for a damaged tail.
    for cut in [1, 3, 5] {
        let b = &buf[..buf.len() - cut];
        let (es, err) = decode_entries(Bytes::copy_from_slice(b));
        let ts: Vec<i64> = es.iter().map(|e| e.ts_ns).collect();
        assert_eq!(entry_timestamps(b), (ts, err));
    }
    let bad = [0, 0, 0, 2, 0xff, 0xff];
    assert!(entry_timestamps(&bad).1.unwrap().contains("undecodable"));
    assert_eq!(entry_timestamps(&[]), (vec![], None));
}

#[test]
fn the_seek_starts_at_the_last_file_begun_a_second_before() {
    let logs = [
        log("2026-12-01-10-00-00"),
        log("2026-12-01-10-00-05"),
        log("2026-12-01-10-00-06"),
        log("2026-12-01-10-00-20"),
    ];
    let at = |s: &str, ms: i64| parse_log_name(s).unwrap() + ms * 1_000_000;
    assert_eq!(seek_index(&logs, i64::MIN), 0);
    assert_eq!(seek_index(&logs, at("2026-12-01-10-00-00", 500)), 0);
    // In 10:00:05.5 the file of 10:00:05 may start after T: the one before it may
    // still hold records at or after T.
    assert_eq!(seek_index(&logs, at("2026-12-01-10-00-05", 500)), 0);
    assert_eq!(seek_index(&logs, at("2026-12-01-10-00-06", 0)), 1);
    assert_eq!(seek_index(&logs, at("2026-12-01-10-00-07", 0)), 2);
    assert_eq!(seek_index(&logs, at("2026-12-01-10-00-30", 0)), 3);
    assert_eq!(seek_index(&[], 5), 0);
}

#[test]
fn listing_is_classified_and_uncovered_parquet_found() {
    let mk = |name: &str, ext: &[(&str, i64)]| Entry {
        name: name.into(),
        extended: ext
            .iter()
            .map(|(k, v)| (k.to_string(), Bytes::from(v.to_be_bytes().to_vec())))
            .collect(),
        ..Default::default()
    };
    let t0 = parse_log_name("2026-12-01-10-00-00").unwrap();
    let entries = vec![
        mk("2026-12-01-10-00-05", &[]),
        mk("2026-12-01-10-00-00", &[]),
        mk("checkpoint.offset", &[]),
        mk(
            "2026-12-01-09-00-00.parquet",
            &[("ts_min", t0 - 3600 * NS + 7)],
        ),
        mk("2026-12-01-10-00-00.parquet", &[("ts_max", t0 + 6 * NS)]),
    ];
    let f = classify(&entries);
    let names: Vec<&str> = f.logs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["2026-12-01-10-00-00", "2026-12-01-10-00-05"]);
    assert_eq!(f.parquet.len(), 2);
    assert_eq!(f.parquet[0].start_ns, t0 - 3600 * NS + 7);
    let un = uncovered_parquet(&f);
    assert_eq!(un.len(), 1, "{un:?}");
    assert_eq!(un[0].0, "2026-12-01-09-00-00.parquet");
}

#[test]
fn paths_and_addresses() {
    assert_eq!(url_path("/topics/a b/t%"), "/topics/a%20b/t%25");
    assert_eq!(url_path("/topics/ns/é"), "/topics/ns/%C3%A9");
    assert_eq!(url_path(""), "/");
    assert_eq!(http_addr_of("127.0.0.1:18888").unwrap(), "127.0.0.1:8888");
    assert_eq!(http_addr_of("http://h:28888").unwrap(), "h:18888");
    assert!(http_addr_of("h:8888").is_err());
    assert!(http_addr_of("nohost").is_err());
    assert!(http_addr_of("h:x").is_err());
    assert!(is_filer_server("SeaweedFS 4.48"));
    assert!(!is_filer_server("SeaweedFS Volume 4.48"));
    assert!(!is_filer_server("nginx"));
    assert!(!is_filer_server(""));
}
