//! A topic's schema (4.x `GetTopicConfiguration`: record type, key columns, format) and a
//! record's decoded form, protocol-neutral. 2.x topics have no schema.
//!
//! The decoding and encoding of values (`schema_pb.RecordValue`) live in
//! [`crate::client::mq::schema`]; this module holds what the CLI and the TUI show.

use std::sync::Arc;

use serde::Serialize;

use super::Record;

/// A scalar type of the record type (`schema_pb.ScalarType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ScalarType {
    /// `bool`.
    Bool,
    /// 32-bit integer.
    Int32,
    /// 64-bit integer.
    Int64,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Bytes (base64 in JSON).
    Bytes,
    /// UTF-8 text.
    String,
    /// Microseconds since the epoch (RFC 3339 in JSON).
    Timestamp,
    /// Days since the epoch (`YYYY-MM-DD` in JSON).
    Date,
    /// An exact decimal (a string in JSON).
    Decimal,
    /// Microseconds since midnight (`HH:MM:SS.ffffff` in JSON).
    Time,
}

impl ScalarType {
    /// The name SeaweedFS uses (`INT64`, `STRING`, …).
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::Bool => "BOOL",
            ScalarType::Int32 => "INT32",
            ScalarType::Int64 => "INT64",
            ScalarType::Float => "FLOAT",
            ScalarType::Double => "DOUBLE",
            ScalarType::Bytes => "BYTES",
            ScalarType::String => "STRING",
            ScalarType::Timestamp => "TIMESTAMP",
            ScalarType::Date => "DATE",
            ScalarType::Decimal => "DECIMAL",
            ScalarType::Time => "TIME",
        }
    }
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A scalar.
    Scalar(ScalarType),
    /// A nested record.
    Record(Vec<SchemaField>),
    /// A list of elements of one type.
    List(Box<FieldType>),
    /// A type this client does not know (a newer SeaweedFS): values are shown as found.
    Unknown,
}

impl FieldType {
    /// `INT64`, `RECORD`, `LIST<STRING>`, `LIST<RECORD>`.
    pub fn name(&self) -> String {
        match self {
            FieldType::Scalar(s) => s.name().to_string(),
            FieldType::Record(_) => "RECORD".to_string(),
            FieldType::List(e) => format!("LIST<{}>", e.name()),
            FieldType::Unknown => "UNKNOWN".to_string(),
        }
    }
}

/// One field of a record type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaField {
    /// Its name.
    pub name: String,
    /// `field_index`.
    pub index: i32,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Several values (a list of `ty`).
    pub repeated: bool,
    /// Must be present.
    pub required: bool,
}

/// A topic's schema: the record type its values follow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    /// The top-level fields, in `field_index` order.
    pub fields: Vec<SchemaField>,
    /// The columns that make up the key.
    pub key_columns: Vec<String>,
    /// `schema_format` (e.g. `AVRO`, `PROTOBUF`, `JSON_SCHEMA`; empty when not set).
    pub format: String,
}

/// A record's value (and key) decoded following its topic's schema. Computed once per
/// record when it is read; the text forms are what previews, text output and search use.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The value as a JSON object, when it decoded against the record type.
    pub value: Option<serde_json::Value>,
    /// `value` as compact JSON text.
    pub value_text: Option<String>,
    /// Why the value is shown raw (one line), when it did not decode.
    pub note: Option<String>,
    /// The key as a JSON object, when it is a serialized `RecordValue`.
    pub key: Option<serde_json::Value>,
    /// `key` as compact JSON text.
    pub key_text: Option<String>,
}

impl Decoded {
    /// A decoded form from the JSON value (or the note) and the key.
    pub fn new(
        value: Result<serde_json::Value, String>,
        key: Option<serde_json::Value>,
    ) -> Decoded {
        let (value, note) = match value {
            Ok(v) => (Some(v), None),
            Err(n) => (None, Some(n)),
        };
        Decoded {
            value_text: value.as_ref().map(|v| v.to_string()),
            key_text: key.as_ref().map(|v| v.to_string()),
            value,
            note,
            key,
        }
    }
}

impl Record {
    /// The value as shown and searched: its decoded JSON text, else the raw bytes.
    pub fn shown_value(&self) -> &[u8] {
        match self
            .decoded
            .as_deref()
            .and_then(|d| d.value_text.as_deref())
        {
            Some(t) => t.as_bytes(),
            None => &self.value,
        }
    }

    /// The key as shown and searched: its decoded JSON text, else the raw bytes.
    pub fn shown_key(&self) -> &[u8] {
        match self.decoded.as_deref().and_then(|d| d.key_text.as_deref()) {
            Some(t) => t.as_bytes(),
            None => &self.key,
        }
    }

    /// The decoded value, when the topic has a schema and the value followed it.
    pub fn value_json(&self) -> Option<&serde_json::Value> {
        self.decoded.as_deref().and_then(|d| d.value.as_ref())
    }

    /// Why a value of a schematized topic is shown raw (one line).
    pub fn schema_note(&self) -> Option<&str> {
        self.decoded.as_deref().and_then(|d| d.note.as_deref())
    }
}

/// Decodes records in place (set on a [`super::ReadStream`] by a protocol that knows the
/// topic's schema).
pub type RecordDecoder = Arc<dyn Fn(&mut Record) + Send + Sync>;

/// One row of the schema table: nested fields follow their record, indented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaRow {
    /// The field's name, indented two spaces per nesting level.
    pub field: String,
    /// `INT64`, `RECORD`, `LIST<STRING>`.
    pub ty: String,
    /// Must be present.
    pub required: bool,
    /// Several values.
    pub repeated: bool,
    /// A key column.
    pub key: bool,
}

/// The rows of the schema table (for `describe` and the TUI's topic inspector): every
/// field in order, nested record fields (also those of a list's records) after their
/// parent, indented.
pub fn schema_rows(s: &Schema) -> Vec<SchemaRow> {
    let mut out = Vec::new();
    push_rows(&s.fields, 0, &s.key_columns, &mut out);
    out
}

fn push_rows(fields: &[SchemaField], depth: usize, keys: &[String], out: &mut Vec<SchemaRow>) {
    for f in fields {
        out.push(SchemaRow {
            field: format!("{}{}", "  ".repeat(depth), f.name),
            ty: f.ty.name(),
            required: f.required,
            repeated: f.repeated,
            key: depth == 0 && keys.contains(&f.name),
        });
        let mut ty = &f.ty;
        while let FieldType::List(e) = ty {
            ty = e;
        }
        if let FieldType::Record(sub) = ty {
            push_rows(sub, depth + 1, keys, out);
        }
    }
}

/// The schema as text lines: a header, the format and key columns, one line per field.
pub fn schema_table(s: &Schema) -> Vec<String> {
    let mut rows = schema_rows(s);
    for r in &mut rows {
        r.field = crate::format::escape::escape(&r.field).into_owned();
    }
    let fw = rows
        .iter()
        .map(|r| r.field.chars().count())
        .max()
        .unwrap_or(0);
    let fw = fw.max("FIELD".len());
    let tw = rows.iter().map(|r| r.ty.len()).max().unwrap_or(0).max(4);
    let yes = |b: bool| if b { "yes" } else { "-" };
    let mut out = vec![format!(
        "{:<fw$}  {:<tw$}  {:<8}  {:<8}  KEY",
        "FIELD", "TYPE", "REQUIRED", "REPEATED"
    )];
    for r in &rows {
        out.push(format!(
            "{:<fw$}  {:<tw$}  {:<8}  {:<8}  {}",
            r.field,
            r.ty,
            yes(r.required),
            yes(r.repeated),
            if r.key { "key" } else { "-" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: FieldType) -> SchemaField {
        SchemaField {
            name: name.into(),
            index: 0,
            ty,
            repeated: false,
            required: false,
        }
    }

    #[test]
    fn rows_list_nested_fields_after_their_record_and_mark_keys() {
        let s = Schema {
            fields: vec![
                SchemaField {
                    required: true,
                    ..field("id", FieldType::Scalar(ScalarType::Int64))
                },
                field(
                    "customer",
                    FieldType::Record(vec![field("city", FieldType::Scalar(ScalarType::String))]),
                ),
                SchemaField {
                    repeated: true,
                    ..field(
                        "lines",
                        FieldType::List(Box::new(FieldType::Record(vec![field(
                            "qty",
                            FieldType::Scalar(ScalarType::Int32),
                        )]))),
                    )
                },
            ],
            key_columns: vec!["id".into()],
            format: "AVRO".into(),
        };
        let t = schema_table(&s);
        assert_eq!(
            t,
            [
                "FIELD     TYPE          REQUIRED  REPEATED  KEY",
                "id        INT64         yes       -         key",
                "customer  RECORD        -         -         -",
                "  city    STRING        -         -         -",
                "lines     LIST<RECORD>  -         yes       -",
                "  qty     INT32         -         -         -",
            ]
        );
    }

    fn decoded_record() -> Record {
        let value = serde_json::json!({"city": "Paris", "id": 2});
        Record {
            topic: Arc::new(crate::client::TopicName::parse("ns/t").unwrap()),
            partition: 0,
            ts_ns: 1_700_000_000_000_000_000,
            key: bytes::Bytes::from_static(b"\x0a\x02id"),
            value: bytes::Bytes::from_static(b"\x0a\x05\x00\xff"),
            headers: vec![],
            is_close: false,
            offset: Some(3),
            decoded: Some(Arc::new(Decoded::new(
                Ok(value),
                Some(serde_json::json!({"id": 2})),
            ))),
        }
    }

    #[test]
    fn every_output_shows_and_searches_the_decoded_form() {
        let r = decoded_record();
        assert_eq!(r.shown_value(), br#"{"city":"Paris","id":2}"#);
        assert_eq!(r.shown_key(), br#"{"id":2}"#);
        let line = crate::format::text_line(&r, true, 80);
        assert!(
            line.ends_with(r#"{"id":2}  {"city":"Paris","id":2}"#),
            "{line}"
        );
        // JSON lines: the fast writer and the general path agree; raw bytes stay.
        let mut out = Vec::new();
        crate::format::JsonLineWriter::new().write(&mut out, &r);
        let general = crate::format::json_line(&r) + "\n";
        assert_eq!(String::from_utf8(out).unwrap(), general);
        let j: serde_json::Value = serde_json::from_str(&general).unwrap();
        assert_eq!(j["value_json"]["city"], "Paris");
        assert_eq!(j["key_json"]["id"], 2);
        assert_eq!(j["value_encoding"], "base64");
        let m = crate::matcher::Matcher::new(
            r#""city":"Paris""#,
            crate::matcher::Syntax::Literal,
            crate::matcher::Case::Smart,
        )
        .unwrap();
        assert!(m.matches(&r));
    }

    #[test]
    fn a_value_that_did_not_decode_is_shown_raw_with_its_note() {
        let mut r = decoded_record();
        r.value = bytes::Bytes::from_static(b"plain");
        r.decoded = Some(Arc::new(Decoded::new(Err("not decoded: x".into()), None)));
        assert_eq!(r.shown_value(), b"plain");
        let line = crate::format::text_line(&r, true, 80);
        assert!(line.ends_with("plain  [not decoded: x]"), "{line}");
        let j: serde_json::Value = serde_json::from_str(&crate::format::json_line(&r)).unwrap();
        assert_eq!(j["schema_note"], "not decoded: x");
        assert_eq!(j["value"], "plain");
        assert!(j.get("value_json").is_none());
    }
}
