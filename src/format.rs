//! One record formatter for the CLI and the TUI: JSON lines, text lines, single-line
//! previews, and the detail view's rendering of a value (JSON, text or hex dump).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::client::{OutMessage, Record};
use crate::time;

pub(crate) mod escape;
pub(crate) mod template;
pub(crate) mod text;

/// How bytes are written in JSON: `utf8` when they are valid UTF-8, else `base64`.
pub(crate) fn encode_bytes(b: &[u8]) -> (String, &'static str) {
    match std::str::from_utf8(b) {
        Ok(s) => (s.to_string(), "utf8"),
        Err(_) => (B64.encode(b), "base64"),
    }
}

/// The inverse of [`encode_bytes`].
pub(crate) fn decode_bytes(s: &str, encoding: &str) -> Result<Bytes, String> {
    match encoding {
        "" | "utf8" => Ok(Bytes::copy_from_slice(s.as_bytes())),
        "base64" => B64
            .decode(s)
            .map(Bytes::from)
            .map_err(|e| format!("bad base64: {e}")),
        other => Err(format!("unknown encoding {other:?} (utf8 or base64)")),
    }
}

/// A header value in JSON: a plain string when UTF-8, else `{"base64": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum JsonHeaderValue {
    /// UTF-8 text.
    Text(String),
    /// Binary, base64.
    Binary {
        /// The base64 text.
        base64: String,
    },
}

/// One record as a JSON line (`tail --format json`), readable back by `publish --input json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JsonRecord {
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// Topic.
    #[serde(default)]
    pub topic: String,
    /// Partition.
    #[serde(default)]
    pub partition: i32,
    /// Timestamp, ns since the epoch.
    #[serde(default)]
    pub ts_ns: i64,
    /// RFC 3339 UTC with ns.
    #[serde(default)]
    pub time: String,
    /// Key, encoded per `key_encoding`.
    #[serde(default)]
    pub key: String,
    /// `utf8` or `base64`.
    #[serde(default)]
    pub key_encoding: String,
    /// Value, encoded per `value_encoding`.
    #[serde(default)]
    pub value: String,
    /// `utf8` or `base64`.
    #[serde(default)]
    pub value_encoding: String,
    /// Headers.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, JsonHeaderValue>,
    /// A close message.
    #[serde(default)]
    pub is_close: bool,
    /// Offset, null when unknown.
    #[serde(default)]
    pub offset: Option<i64>,
    /// The key decoded as a `RecordValue` (schematized 4.x topics only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_json: Option<serde_json::Value>,
    /// The value decoded with the topic's record type (`value` stays the raw bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_json: Option<serde_json::Value>,
    /// Why a value of a schematized topic was not decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_note: Option<String>,
}

impl JsonRecord {
    /// The JSON form of a record.
    pub(crate) fn from_record(r: &Record) -> Self {
        let (key, key_encoding) = encode_bytes(&r.key);
        let (value, value_encoding) = encode_bytes(&r.value);
        let headers = r
            .headers
            .iter()
            .map(|(k, v)| {
                let hv = match std::str::from_utf8(v) {
                    Ok(s) => JsonHeaderValue::Text(s.to_string()),
                    Err(_) => JsonHeaderValue::Binary {
                        base64: B64.encode(v),
                    },
                };
                (k.clone(), hv)
            })
            .collect();
        JsonRecord {
            namespace: r.topic.namespace.clone(),
            topic: r.topic.name.clone(),
            partition: r.partition,
            ts_ns: r.ts_ns,
            time: time::format_rfc3339(r.ts_ns),
            key,
            key_encoding: key_encoding.into(),
            value,
            value_encoding: value_encoding.into(),
            headers,
            is_close: r.is_close,
            offset: r.offset,
            key_json: r.decoded.as_ref().and_then(|d| d.key.clone()),
            value_json: r.value_json().cloned(),
            schema_note: r.schema_note().map(str::to_string),
        }
    }

    /// The message to re-publish this record losslessly (key, value, headers, close flag;
    /// the timestamp is asked for as the event time).
    pub(crate) fn to_out_message(&self) -> Result<OutMessage, String> {
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| {
                let b = match v {
                    JsonHeaderValue::Text(s) => Bytes::copy_from_slice(s.as_bytes()),
                    JsonHeaderValue::Binary { base64 } => decode_bytes(base64, "base64")?,
                };
                Ok((k.clone(), b))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(OutMessage {
            key: decode_bytes(&self.key, &self.key_encoding).map_err(|e| format!("key: {e}"))?,
            value: decode_bytes(&self.value, &self.value_encoding)
                .map_err(|e| format!("value: {e}"))?,
            headers,
            ts_ns: (self.ts_ns > 0).then_some(self.ts_ns),
            is_close: self.is_close,
        })
    }
}

/// One record as a JSON line (no trailing newline).
pub(crate) fn json_line(r: &Record) -> String {
    escape::to_json_string(&JsonRecord::from_record(r)).unwrap_or_default()
}

/// Writes JSON lines (`tail --format json`) without per-record allocations. The bytes are
/// exactly those of [`json_line`] followed by `\n`; the `time` field's second is cached.
#[derive(Debug, Default)]
pub(crate) struct JsonLineWriter {
    sec: Option<i64>,
    prefix: String,
    topic: Option<std::sync::Arc<crate::client::TopicName>>,
    head: Vec<u8>,
}

impl JsonLineWriter {
    /// A writer with an empty time cache.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends `r` as one JSON line (with its trailing newline) to `out`.
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, r: &Record) {
        use std::io::Write as _;
        // JsonRecord keeps headers in a map (sorted, last duplicate wins): take the
        // general path for the rare record whose headers are not sorted and unique, and
        // for decoded records (their JSON fields).
        if r.headers.windows(2).any(|w| w[0].0 >= w[1].0) || r.decoded.is_some() {
            out.extend_from_slice(json_line(r).as_bytes());
            out.push(b'\n');
            return;
        }
        if self.topic.as_ref().is_none_or(|t| **t != *r.topic) {
            self.head.clear();
            self.head.extend_from_slice(b"{\"namespace\":");
            json_str(&mut self.head, &r.topic.namespace);
            self.head.extend_from_slice(b",\"topic\":");
            json_str(&mut self.head, &r.topic.name);
            self.topic = Some(r.topic.clone());
        }
        out.extend_from_slice(&self.head);
        let _ = write!(
            out,
            ",\"partition\":{},\"ts_ns\":{},\"time\":\"",
            r.partition, r.ts_ns
        );
        self.write_time(out, r.ts_ns);
        out.extend_from_slice(b"\",\"key\":");
        json_bytes(out, &r.key, b",\"key_encoding\":");
        out.extend_from_slice(b",\"value\":");
        json_bytes(out, &r.value, b",\"value_encoding\":");
        out.extend_from_slice(b",\"headers\":{");
        for (i, (k, v)) in r.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, k);
            out.push(b':');
            match std::str::from_utf8(v) {
                Ok(s) => json_str(out, s),
                Err(_) => {
                    out.extend_from_slice(b"{\"base64\":");
                    base64_str(out, v);
                    out.push(b'}');
                }
            }
        }
        out.extend_from_slice(b"},\"is_close\":");
        out.extend_from_slice(if r.is_close { b"true" } else { b"false" });
        out.extend_from_slice(b",\"offset\":");
        match r.offset {
            Some(o) => {
                let _ = write!(out, "{o}");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b"}\n");
    }

    /// `2026-11-26T23:10:52.123456789Z`, as [`time::format_rfc3339`].
    fn write_time(&mut self, out: &mut Vec<u8>, ts_ns: i64) {
        use std::io::Write as _;
        let sec = ts_ns.div_euclid(time::NS_PER_SEC);
        let nanos = ts_ns.rem_euclid(time::NS_PER_SEC);
        let Some(sec_ns) = sec.checked_mul(time::NS_PER_SEC) else {
            out.extend_from_slice(time::format_rfc3339(ts_ns).as_bytes());
            return;
        };
        if self.sec != Some(sec) {
            let full = time::format_rfc3339(sec_ns);
            // "YYYY-MM-DDTHH:MM:SS" + ".000000000Z"
            self.prefix = full.trim_end_matches(".000000000Z").to_string();
            self.sec = Some(sec);
        }
        out.extend_from_slice(self.prefix.as_bytes());
        let _ = write!(out, ".{nanos:09}Z");
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    let _ = escape::to_json_writer(&mut *out, s);
}

fn base64_str(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + base64::encoded_len(b.len(), true).unwrap_or(0), 0);
    let n = B64.encode_slice(b, &mut out[start..]).unwrap_or(0);
    out.truncate(start + n);
    out.push(b'"');
}

/// A bytes field and its `*_encoding` sibling (`enc_key` is `,"x_encoding":`).
fn json_bytes(out: &mut Vec<u8>, b: &[u8], enc_key: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => {
            json_str(out, s);
            out.extend_from_slice(enc_key);
            out.extend_from_slice(b"\"utf8\"");
        }
        Err(_) => {
            base64_str(out, b);
            out.extend_from_slice(enc_key);
            out.extend_from_slice(b"\"base64\"");
        }
    }
}

/// One record as a text line: `time  pN  key  value-preview` (decoded values as JSON; a
/// schematized value that did not decode: raw, with the note). The CLI and TUI use
/// [`text_line_in`]; this is the tests' short form.
#[cfg(test)]
pub(crate) fn text_line(r: &Record, utc: bool, max_value_chars: usize) -> String {
    text_line_in(r, utc, max_value_chars, false)
}

/// [`text_line`] with the record's topic after the time when `with_topic` (a tail of
/// several topics): `time  ns/topic  pN  key  value`.
pub(crate) fn text_line_in(
    r: &Record,
    utc: bool,
    max_value_chars: usize,
    with_topic: bool,
) -> String {
    let key = if r.key.is_empty() {
        "-".to_string()
    } else {
        preview(r.shown_key(), 40)
    };
    let topic = match with_topic {
        true => format!("{}  ", preview(r.topic.to_string().as_bytes(), 80)),
        false => String::new(),
    };
    let mut line = format!(
        "{}  {topic}p{}  {}  {}",
        time::format_datetime(r.ts_ns, utc),
        r.partition,
        key,
        preview(r.shown_value(), max_value_chars)
    );
    if r.is_close {
        line.push_str("  [close]");
    }
    if let Some(note) = r.schema_note() {
        line.push_str(&format!("  [{}]", preview(note.as_bytes(), 200)));
    }
    line
}

/// A single-line preview of bytes at most `max_chars` characters wide: text with control
/// characters escaped, or `<binary N B> 7f 45 4c …` for binary data. Never raw bytes.
pub(crate) fn preview(b: &[u8], max_chars: usize) -> String {
    let max_chars = max_chars.max(1);
    match std::str::from_utf8(b) {
        Ok(s) => {
            let mut out = String::new();
            let mut n = 0;
            for c in s.chars() {
                let esc: std::borrow::Cow<str> = match c {
                    '\n' => "⏎".into(),
                    '\t' => " ".into(),
                    c if escape::is_hazard(c) => {
                        let mut e = String::new();
                        escape::push_escaped(&mut e, c);
                        e.into()
                    }
                    c => c.to_string().into(),
                };
                let w = esc.chars().count();
                if n + w > max_chars {
                    out.pop_if_needed(max_chars, n);
                    out.push('…');
                    return out;
                }
                out.push_str(&esc);
                n += w;
            }
            out
        }
        Err(_) => {
            let mut out = format!("<binary {}>", human_bytes(b.len() as u64));
            for byte in b {
                if out.chars().count() + 3 > max_chars {
                    out.push_str(" …");
                    break;
                }
                out.push_str(&format!(" {byte:02x}"));
            }
            out.chars().take(max_chars.max(12)).collect()
        }
    }
}

trait PopIfNeeded {
    fn pop_if_needed(&mut self, max: usize, n: usize);
}

impl PopIfNeeded for String {
    /// Makes room for the ellipsis when the text already fills the width.
    fn pop_if_needed(&mut self, max: usize, n: usize) {
        if n >= max {
            self.pop();
        }
    }
}

/// How the detail view shows a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueView {
    /// Pretty-printed JSON lines.
    Json(Vec<String>),
    /// UTF-8 text lines.
    Text(Vec<String>),
    /// A hex dump: offset, 16 bytes, ASCII column.
    Hex(Vec<String>),
}

/// Renders a value for the detail view.
pub(crate) fn value_view(b: &[u8]) -> ValueView {
    if let Ok(s) = std::str::from_utf8(b) {
        let t = s.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
            && let Ok(pretty) = serde_json::to_string_pretty(&v)
        {
            return ValueView::Json(pretty.lines().map(str::to_string).collect());
        }
        if !s
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return ValueView::Text(s.lines().map(|l| l.replace('\t', "    ")).collect());
        }
    }
    ValueView::Hex(hex_dump(b))
}

/// `00000000  7f 45 4c 46 02 01 01 00  00 00 00 00 00 00 00 00  |.ELF............|`
pub(crate) fn hex_dump(b: &[u8]) -> Vec<String> {
    b.chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let mut hex = String::with_capacity(50);
            for (j, byte) in chunk.iter().enumerate() {
                if j == 8 {
                    hex.push(' ');
                }
                hex.push_str(&format!("{byte:02x} "));
            }
            let ascii: String = chunk
                .iter()
                .map(|&c| {
                    if (0x20..0x7f).contains(&c) {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("{:08x}  {hex:<49} |{ascii}|", i * 16)
        })
        .collect()
}

/// `512 B`, `48.2 KiB`, `1.3 MiB`, `2.0 GiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `999`, `48.2k`, `1.3M`, `2.0G`.
pub(crate) fn human_count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", n as f64 / 1e6),
        1_000_000_000..=999_999_999_999 => format!("{:.1}G", n as f64 / 1e9),
        1_000_000_000_000..=999_999_999_999_999 => format!("{:.1}T", n as f64 / 1e12),
        1_000_000_000_000_000..=999_999_999_999_999_999 => {
            format!("{:.1}P", n as f64 / 1e15)
        }
        _ => format!("{:.1}E", n as f64 / 1e18),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;
    use std::sync::Arc;

    fn rec(value: &[u8]) -> Record {
        Record {
            topic: Arc::new(TopicName::parse("demo/orders").unwrap()),
            partition: 2,
            ts_ns: 1_764_198_652_123_456_789,
            key: Bytes::from_static(b"k1"),
            value: Bytes::copy_from_slice(value),
            headers: vec![
                ("bin".into(), Bytes::from_static(&[0xff, 0x00])),
                ("ct".into(), Bytes::from_static(b"json")),
            ],
            is_close: false,
            offset: None,
            decoded: None,
        }
    }

    #[test]
    fn json_roundtrip_is_lossless() {
        for v in [&b"{\"a\":1}"[..], &[0xde, 0xad, 0xbe, 0xef][..], b""] {
            let r = rec(v);
            let line = json_line(&r);
            let back: JsonRecord = serde_json::from_str(&line).unwrap();
            let m = back.to_out_message().unwrap();
            assert_eq!(m.value, r.value);
            assert_eq!(m.key, r.key);
            assert_eq!(m.headers, r.headers);
            assert_eq!(m.ts_ns, Some(r.ts_ns));
        }
        let line = json_line(&rec(&[0xff]));
        assert!(line.contains("\"value_encoding\":\"base64\""), "{line}");
        assert!(line.contains("\"time\":\"2025-11-26T23:10:52.123456789Z\""));
        assert!(line.contains("\"offset\":null"));
        assert!(line.contains("\"bin\":{\"base64\":\"/wA=\"}"), "{line}");
    }

    #[test]
    fn fast_json_writer_matches_json_line() {
        let mut w = JsonLineWriter::new();
        let mut recs = vec![
            rec(b"{\"a\":1}"),
            rec(&[0xde, 0xad, 0xbe, 0xef]),
            rec(b""),
            rec("quote \" backslash \\ ctl \x01\x1f\n\t é ✓ \u{7f}".as_bytes()),
        ];
        let mut r = rec(b"x");
        r.key = Bytes::from_static(&[0xff, 0xfe, 0x00]);
        r.offset = Some(-3);
        r.is_close = true;
        r.headers = vec![
            ("b".into(), Bytes::new()),
            ("a".into(), Bytes::from_static(b"1")),
        ];
        recs.push(r.clone());
        r.headers = vec![
            ("k".into(), Bytes::from_static(b"1")),
            ("k".into(), Bytes::from_static(b"2")),
        ];
        recs.push(r.clone());
        r.topic = Arc::new(TopicName::parse("other/t\"q").unwrap());
        recs.push(r.clone());
        recs.push(rec(b"back"));
        r.headers.clear();
        for ts in [
            0,
            -1,
            -1_000_000_001,
            1,
            999_999_999,
            i64::MAX,
            i64::MIN + 1,
            1_764_198_652_000_000_000,
        ] {
            r.ts_ns = ts;
            recs.push(r.clone());
            recs.push(r.clone());
        }
        for r in &recs {
            let mut out = Vec::new();
            w.write(&mut out, r);
            let want = format!("{}\n", json_line(r));
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn previews_never_print_raw_bytes() {
        assert_eq!(preview(b"hello", 10), "hello");
        assert_eq!(preview(b"hello world", 5), "hell…");
        assert_eq!(preview(b"a\nb\x07", 20), "a⏎b\\x07");
        let p = preview(&[0x7f, 0x45, 0x4c, 0x46, 0xff], 40);
        assert!(p.starts_with("<binary 5 B> 7f 45 4c 46 ff"), "{p}");
    }

    #[test]
    fn value_views() {
        assert!(matches!(value_view(b"{\"a\":[1,2]}"), ValueView::Json(l) if l.len() > 3));
        assert_eq!(
            value_view(b"line1\nline2"),
            ValueView::Text(vec!["line1".into(), "line2".into()])
        );
        let ValueView::Hex(lines) = value_view(&[0x00, 0x41, 0xff]) else {
            panic!()
        };
        assert_eq!(lines[0], format!("00000000  {:<49} |.A.|", "00 41 ff "));
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(49_357), "48.2 KiB");
        assert_eq!(human_count(48_200), "48.2k");
        assert_eq!(human_count(7), "7");
        assert_eq!(human_count(u64::MAX), "18.4E");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
        assert_eq!(
            preview("a\u{202e}b\u{9b}".as_bytes(), 40),
            "a\\u{202e}b\\x9b"
        );
    }
}
