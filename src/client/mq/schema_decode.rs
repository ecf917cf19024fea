//! `schema_pb.RecordValue` bytes → JSON, following a record type.
//!
//! A strict wire-level reader (not prost): a field number or wire type that a
//! `RecordValue` cannot have is an error, so plain text or another protobuf is not taken
//! for a record with its fields silently skipped. Depth is bounded; arbitrary bytes give an
//! error, never a panic.
//!
//! JSON forms: timestamps RFC 3339 (µs; `Z` when `is_utc`), dates `YYYY-MM-DD`, times
//! `HH:MM:SS.ffffff`, decimals exact strings, bytes base64, NaN/±Infinity as strings;
//! object keys sorted.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value as Json};

use crate::client::{FieldType, ScalarType, SchemaField};

/// Nesting deeper than this is refused (hostile input must not overflow the stack).
const MAX_DEPTH: usize = 64;
/// Decimals longer than this (bytes) are refused (the conversion is quadratic).
const MAX_DECIMAL_BYTES: usize = 1024;

/// A value as found on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Wire<'a> {
    /// No kind set (a nil `Value`).
    Null,
    /// `bool_value`.
    Bool(bool),
    /// `int32_value`.
    I32(i32),
    /// `int64_value`.
    I64(i64),
    /// `float_value`.
    F32(f32),
    /// `double_value`.
    F64(f64),
    /// `bytes_value`.
    Bytes(&'a [u8]),
    /// `string_value`.
    Str(&'a str),
    /// `timestamp_value`.
    Timestamp {
        /// µs since the epoch.
        micros: i64,
        /// UTC, else local wall time.
        is_utc: bool,
    },
    /// `date_value`: days since the epoch.
    Date(i32),
    /// `decimal_value`.
    Decimal {
        /// Big-endian two's complement unscaled value.
        value: &'a [u8],
        /// Digits.
        precision: i32,
        /// Digits after the point.
        scale: i32,
    },
    /// `time_value`: µs since midnight.
    Time(i64),
    /// `list_value`.
    List(Vec<Wire<'a>>),
    /// `record_value`.
    Record(Vec<(&'a str, Wire<'a>)>),
}

impl Wire<'_> {
    /// What was found, for notes: `INT64`, `STRING`, `LIST`, `RECORD`, `null`.
    fn kind(&self) -> &'static str {
        match self {
            Wire::Null => "no value",
            Wire::Bool(_) => "BOOL",
            Wire::I32(_) => "INT32",
            Wire::I64(_) => "INT64",
            Wire::F32(_) => "FLOAT",
            Wire::F64(_) => "DOUBLE",
            Wire::Bytes(_) => "BYTES",
            Wire::Str(_) => "STRING",
            Wire::Timestamp { .. } => "TIMESTAMP",
            Wire::Date(_) => "DATE",
            Wire::Decimal { .. } => "DECIMAL",
            Wire::Time(_) => "TIME",
            Wire::List(_) => "LIST",
            Wire::Record(_) => "RECORD",
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.b.get(self.pos) else {
                return Err("truncated varint".into());
            };
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(format!("length {n} runs past the end"));
        };
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.varint()?;
        self.take(usize::try_from(n).map_err(|_| "length too large".to_string())?)
    }

    /// Field number and wire type.
    fn tag(&mut self) -> Result<(u64, u8), String> {
        let t = self.varint()?;
        Ok((t >> 3, (t & 7) as u8))
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

fn bad(what: &str, field: u64, wt: u8) -> String {
    format!("not a RecordValue: unexpected field {field} (wire type {wt}) in {what}")
}

/// Parses `RecordValue` bytes (field order as on the wire; a repeated name: last wins).
pub(super) fn parse_record(b: &[u8]) -> Result<Vec<(&str, Wire<'_>)>, String> {
    record(b, 0)
}

fn record(b: &[u8], depth: usize) -> Result<Vec<(&str, Wire<'_>)>, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    let mut r = Reader::new(b);
    let mut out: Vec<(&str, Wire<'_>)> = Vec::new();
    while !r.done() {
        match r.tag()? {
            (1, 2) => {
                let (name, v) = entry(r.bytes()?, depth)?;
                match out.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = v,
                    None => out.push((name, v)),
                }
            }
            (f, wt) => return Err(bad("a record", f, wt)),
        }
    }
    Ok(out)
}

fn entry(b: &[u8], depth: usize) -> Result<(&str, Wire<'_>), String> {
    let mut r = Reader::new(b);
    let (mut name, mut v) = ("", Wire::Null);
    while !r.done() {
        match r.tag()? {
            (1, 2) => {
                name = std::str::from_utf8(r.bytes()?)
                    .map_err(|_| "not a RecordValue: a field name is not UTF-8".to_string())?
            }
            (2, 2) => v = value(r.bytes()?, depth + 1)?,
            (f, wt) => return Err(bad("a field entry", f, wt)),
        }
    }
    Ok((name, v))
}

/// Parses one `Value`.
fn value(b: &[u8], depth: usize) -> Result<Wire<'_>, String> {
    if depth > MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    let mut r = Reader::new(b);
    let mut v = Wire::Null;
    while !r.done() {
        v = match r.tag()? {
            (1, 0) => Wire::Bool(r.varint()? != 0),
            (2, 0) => Wire::I32(r.varint()? as i32),
            (3, 0) => Wire::I64(r.varint()? as i64),
            (4, 5) => Wire::F32(f32::from_le_bytes(r.fixed()?)),
            (5, 1) => Wire::F64(f64::from_le_bytes(r.fixed()?)),
            (6, 2) => Wire::Bytes(r.bytes()?),
            (7, 2) => Wire::Str(
                std::str::from_utf8(r.bytes()?)
                    .map_err(|_| "not a RecordValue: a string is not UTF-8".to_string())?,
            ),
            (8, 2) => {
                let [m, u] = ints::<2>(r.bytes()?, "a timestamp")?;
                Wire::Timestamp {
                    micros: m as i64,
                    is_utc: u != 0,
                }
            }
            (9, 2) => Wire::Date(ints::<1>(r.bytes()?, "a date")?[0] as i32),
            (10, 2) => decimal(r.bytes()?)?,
            (11, 2) => Wire::Time(ints::<1>(r.bytes()?, "a time")?[0] as i64),
            (14, 2) => {
                let mut lr = Reader::new(r.bytes()?);
                let mut items = Vec::new();
                while !lr.done() {
                    match lr.tag()? {
                        (1, 2) => items.push(value(lr.bytes()?, depth + 1)?),
                        (f, wt) => return Err(bad("a list", f, wt)),
                    }
                }
                Wire::List(items)
            }
            (15, 2) => Wire::Record(record(r.bytes()?, depth + 1)?),
            (f, wt) => return Err(bad("a value", f, wt)),
        };
    }
    Ok(v)
}

/// A message of N varint fields numbered 1..=N.
fn ints<const N: usize>(b: &[u8], what: &str) -> Result<[u64; N], String> {
    let mut r = Reader::new(b);
    let mut out = [0u64; N];
    while !r.done() {
        match r.tag()? {
            (f, 0) if (1..=N as u64).contains(&f) => out[f as usize - 1] = r.varint()?,
            (f, wt) => return Err(bad(what, f, wt)),
        }
    }
    Ok(out)
}

fn decimal(b: &[u8]) -> Result<Wire<'_>, String> {
    let mut r = Reader::new(b);
    let (mut value, mut precision, mut scale) = (&b[..0], 0, 0);
    while !r.done() {
        match r.tag()? {
            (1, 2) => value = r.bytes()?,
            (2, 0) => precision = r.varint()? as i32,
            (3, 0) => scale = r.varint()? as i32,
            (f, wt) => return Err(bad("a decimal", f, wt)),
        }
    }
    Ok(Wire::Decimal {
        value,
        precision,
        scale,
    })
}

/// The JSON of a record following `fields` (`None`: no type known, shown as found).
/// Fields not in the type are kept, shown as found. Errors name the field path.
pub(super) fn record_json(
    rec: &[(&str, Wire<'_>)],
    fields: Option<&[SchemaField]>,
    path: &str,
) -> Result<Json, String> {
    let mut m = Map::new();
    for (name, w) in rec {
        let p = if path.is_empty() {
            (*name).to_string()
        } else {
            format!("{path}.{name}")
        };
        let f = fields.and_then(|fs| fs.iter().find(|f| f.name == *name));
        let j = match f {
            Some(f) if f.repeated => match w {
                Wire::List(items) => list_json(items, Some(&f.ty), &p)?,
                one => json(one, Some(&f.ty), &p)?,
            },
            Some(f) => json(w, Some(&f.ty), &p)?,
            None => json(w, None, &p)?,
        };
        m.insert((*name).to_string(), j);
    }
    Ok(Json::Object(m))
}

fn list_json(items: &[Wire<'_>], elem: Option<&FieldType>, path: &str) -> Result<Json, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, w)| json(w, elem, &format!("{path}.{i}")))
        .collect::<Result<Vec<_>, _>>()
        .map(Json::Array)
}

fn mismatch(path: &str, want: &FieldType, w: &Wire<'_>) -> String {
    format!(
        "field {}: expected {}, found {}",
        shown(path),
        want.name(),
        w.kind()
    )
}

/// The longest field path an error quotes (characters; a longer one is cut, naming its
/// length).
pub(crate) const PATH_CHARS: usize = 200;

/// A field path as an error shows it: field names are anyone's bytes (a name with a
/// newline once made the one-line decode note two lines: found by the fuzz target
/// `damaged_record_values_never_panic`), so escaped and cut.
pub(crate) fn shown(path: &str) -> String {
    crate::format::escape::escape_short(path, PATH_CHARS)
}

/// One value as JSON, checked against `ty` when known.
fn json(w: &Wire<'_>, ty: Option<&FieldType>, path: &str) -> Result<Json, String> {
    if matches!(w, Wire::Null) {
        return Ok(Json::Null);
    }
    match ty {
        None | Some(FieldType::Unknown) => Ok(untyped(w, path)?),
        Some(FieldType::List(elem)) => match w {
            Wire::List(items) => list_json(items, Some(elem), path),
            _ => Err(mismatch(path, ty.expect("some"), w)),
        },
        Some(FieldType::Record(fields)) => match w {
            Wire::Record(r) => record_json(r, Some(fields), path),
            _ => Err(mismatch(path, ty.expect("some"), w)),
        },
        Some(t @ FieldType::Scalar(s)) => {
            if scalar_of(w) != Some(*s) {
                return Err(mismatch(path, t, w));
            }
            untyped(w, path)
        }
    }
}

fn scalar_of(w: &Wire<'_>) -> Option<ScalarType> {
    Some(match w {
        Wire::Bool(_) => ScalarType::Bool,
        Wire::I32(_) => ScalarType::Int32,
        Wire::I64(_) => ScalarType::Int64,
        Wire::F32(_) => ScalarType::Float,
        Wire::F64(_) => ScalarType::Double,
        Wire::Bytes(_) => ScalarType::Bytes,
        Wire::Str(_) => ScalarType::String,
        Wire::Timestamp { .. } => ScalarType::Timestamp,
        Wire::Date(_) => ScalarType::Date,
        Wire::Decimal { .. } => ScalarType::Decimal,
        Wire::Time(_) => ScalarType::Time,
        Wire::Null | Wire::List(_) | Wire::Record(_) => return None,
    })
}

/// A value as JSON by its own kind.
fn untyped(w: &Wire<'_>, path: &str) -> Result<Json, String> {
    Ok(match w {
        Wire::Null => Json::Null,
        Wire::Bool(b) => Json::Bool(*b),
        Wire::I32(i) => Json::from(*i),
        Wire::I64(i) => Json::from(*i),
        Wire::F32(f) => float(f64::from(*f), &f.to_string()),
        Wire::F64(f) => float(*f, &f.to_string()),
        Wire::Bytes(b) => Json::String(B64.encode(b)),
        Wire::Str(s) => Json::String((*s).to_string()),
        Wire::Timestamp { micros, is_utc } => timestamp(*micros, *is_utc),
        Wire::Date(d) => chrono::DateTime::from_timestamp(i64::from(*d) * 86_400, 0)
            .map_or(Json::from(*d), |t| {
                Json::String(t.date_naive().format("%Y-%m-%d").to_string())
            }),
        Wire::Time(us) => time_of_day(*us),
        Wire::Decimal { value, scale, .. } => Json::String(
            decimal_string(value, *scale).map_err(|e| format!("field {}: {e}", shown(path)))?,
        ),
        Wire::List(items) => list_json(items, None, path)?,
        Wire::Record(r) => record_json(r, None, path)?,
    })
}

/// A finite float as a JSON number (its shortest text, so an f32 shows as typed);
/// NaN and infinities as the strings `NaN`, `Infinity`, `-Infinity`.
fn float(f: f64, shortest: &str) -> Json {
    if f.is_nan() {
        return Json::String("NaN".into());
    }
    if f.is_infinite() {
        return Json::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into());
    }
    shortest
        .parse::<serde_json::Number>()
        .map(Json::Number)
        .unwrap_or_else(|_| Json::from(f))
}

/// RFC 3339 text for years 0000–9999 (what RFC 3339 can write); µs since the epoch
/// otherwise, so that a decoded value publishes back to the same timestamp (the fuzz
/// target found year −1 printed as `-0001-…`, which no RFC 3339 parser reads).
fn timestamp(micros: i64, is_utc: bool) -> Json {
    use chrono::Datelike as _;
    let writable = |t: &chrono::DateTime<chrono::Utc>| (0..=9999).contains(&t.year());
    match chrono::DateTime::from_timestamp_micros(micros).filter(writable) {
        Some(t) if is_utc => Json::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        Some(t) => Json::String(t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        None => Json::from(micros),
    }
}

fn time_of_day(us: i64) -> Json {
    if !(0..86_400_000_000).contains(&us) {
        return Json::from(us);
    }
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    Json::String(format!(
        "{:02}:{:02}:{:02}.{frac:06}",
        s / 3600,
        s / 60 % 60,
        s % 60
    ))
}

/// The exact decimal text of a big-endian two's complement unscaled value and a scale.
pub(super) fn decimal_string(be: &[u8], scale: i32) -> Result<String, String> {
    if be.len() > MAX_DECIMAL_BYTES {
        return Err(format!(
            "decimal of {} bytes (at most {MAX_DECIMAL_BYTES})",
            be.len()
        ));
    }
    if !(-1000..=1000).contains(&scale) {
        return Err(format!("decimal scale {scale} out of range"));
    }
    let neg = be.first().is_some_and(|b| b & 0x80 != 0);
    // Magnitude: two's complement negated when negative.
    let mut mag: Vec<u8> = if neg {
        let mut v: Vec<u8> = be.iter().map(|b| !b).collect();
        for b in v.iter_mut().rev() {
            let (s, carry) = b.overflowing_add(1);
            *b = s;
            if !carry {
                break;
            }
        }
        v
    } else {
        be.to_vec()
    };
    let mut digits = Vec::new();
    while mag.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    let mut s = String::from_utf8(digits).map_err(|e| e.to_string())?;
    if scale < 0 {
        if s != "0" {
            s.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        }
    } else if scale > 0 {
        let scale = scale as usize;
        if s.len() <= scale {
            s = format!("{}{s}", "0".repeat(scale + 1 - s.len()));
        }
        s.insert(s.len() - scale, '.');
    }
    if neg && s.bytes().any(|c| c.is_ascii_digit() && c != b'0') {
        s.insert(0, '-');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal_string(&[0x30, 0x39], 2).unwrap(), "123.45");
        // -12345 in two's complement: 0xCFC7.
        assert_eq!(decimal_string(&[0xcf, 0xc7], 2).unwrap(), "-123.45");
        assert_eq!(decimal_string(&[0x05], 3).unwrap(), "0.005");
        assert_eq!(decimal_string(&[0xff], 0).unwrap(), "-1");
        assert_eq!(decimal_string(&[0x00], 2).unwrap(), "0.00");
        assert_eq!(decimal_string(&[], 0).unwrap(), "0");
        assert_eq!(decimal_string(&[0x07], -2).unwrap(), "700");
        // 2^72 - 1, beyond any machine integer.
        assert_eq!(
            decimal_string(
                &[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                4
            )
            .unwrap(),
            "472236648286964521.3695"
        );
    }

    #[test]
    fn times_and_floats_have_readable_forms() {
        assert_eq!(
            time_of_day(3_723_000_045),
            Json::String("01:02:03.000045".into())
        );
        assert_eq!(time_of_day(-1), Json::from(-1));
        assert_eq!(
            timestamp(1_700_000_000_123_456, true),
            Json::String("2023-11-14T22:13:20.123456Z".into())
        );
        assert_eq!(
            timestamp(1_700_000_000_123_456, false),
            Json::String("2023-11-14T22:13:20.123456".into())
        );
        assert_eq!(float(f64::NAN, "NaN"), Json::String("NaN".into()));
        assert_eq!(float(f64::from(1.1f32), "1.1").to_string(), "1.1");
    }

    #[test]
    fn text_and_other_protobufs_are_not_records() {
        assert!(parse_record(b"hello world").is_err());
        assert!(parse_record(b"{\"a\":1}").is_err());
        // A DataMessage-like protobuf: field 2 bytes.
        assert!(parse_record(&[0x12, 0x01, b'x']).is_err());
        assert_eq!(parse_record(b"").unwrap(), vec![]);
    }
}
