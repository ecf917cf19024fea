use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::proto::mq::schema_pb::value::Kind;

#[path = "schema_sample.rs"]
mod sample;
use sample::*;

const ID: i64 = -9_007_199_254_740_993; // beyond a double's exact integers

fn schema() -> Schema {
    Schema {
        fields: fields(),
        key_columns: vec!["id".into()],
        format: String::new(),
    }
}

/// The sample record with a false bool and hostile text.
fn go_record() -> schema_pb::RecordValue {
    let mut r = sample::go_record(ID, "Lyon");
    r.fields.insert("ok".into(), v(Kind::BoolValue(false)));
    r.fields
        .insert("name".into(), v(Kind::StringValue("Zoë \u{202e}".into())));
    r
}

fn expected() -> serde_json::Value {
    let mut e = sample::expected(ID, "Lyon");
    e["ok"] = json!(false);
    e["name"] = json!("Zoë \u{202e}");
    e
}

#[test]
fn a_go_record_decodes_to_json_following_the_type() {
    let s = schema();
    let d = decode(&s, b"k1", &go_record().encode_to_vec());
    assert_eq!(d.note, None);
    assert_eq!(d.value.as_ref(), Some(&expected()));
    assert_eq!(d.key, None, "a plain key stays raw");
    assert!(d.value_text.unwrap().contains("\"amount\":\"-123.45\""));
}

#[test]
fn decoded_json_published_again_round_trips() {
    let s = schema();
    let bytes = encode_json(&s, expected().to_string().as_bytes()).unwrap();
    let back = decode(&s, b"", &bytes);
    assert_eq!(back.value, Some(expected()), "{:?}", back.note);
    // The same wire value as the Go client's (map order aside).
    let ours = schema_pb::RecordValue::decode(&bytes[..]).unwrap();
    assert_eq!(ours, go_record());
}

#[test]
fn a_misfit_is_refused_naming_the_field_and_the_type() {
    let s = schema();
    let e = encode_json(&s, br#"{"id": "seven"}"#).unwrap_err();
    assert_eq!(e.field, "id");
    assert!(e.to_string().contains("expected INT64"), "{e}");
    let e = encode_json(&s, br#"{"id": 1, "customer": {"city": 3}}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field customer.city: expected STRING (a string), got 3"
    );
    let e = encode_json(&s, br#"{"id": 1, "tags": ["a", 2]}"#).unwrap_err();
    assert_eq!(e.field, "tags.1");
    let e = encode_json(&s, br#"{"ok": true}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field id: expected INT64 (required), got nothing"
    );
    let e = encode_json(&s, br#"{"id": 1, "colour": "red"}"#).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("field colour: expected one of the record type's fields (id, ok,"),
        "{e}"
    );
    let e = encode_json(&s, b"plain").unwrap_err();
    assert!(e.to_string().contains("not JSON"), "{e}");
    let e = encode_json(&s, br#"{"id": 2147483648, "n32": 2147483648}"#).unwrap_err();
    assert_eq!(e.field, "n32");
}

#[test]
fn a_value_that_does_not_follow_the_type_is_kept_raw_with_a_note() {
    let s = schema();
    let d = decode(&s, b"", b"plain text");
    assert_eq!(d.value, None);
    assert!(d.note.as_deref().unwrap().starts_with("not decoded"));
    let mut r = schema_pb::RecordValue::default();
    r.fields
        .insert("id".into(), v(Kind::StringValue("x".into())));
    let d = decode(&s, b"", &r.encode_to_vec());
    assert_eq!(
        d.note.as_deref(),
        Some("not decoded with the topic's record type: field id: expected INT64, found STRING")
    );
    assert!(!d.note.unwrap().contains('\n'));
}

#[test]
fn a_field_name_with_a_newline_stays_on_the_notes_one_line() {
    // Found by `damaged_record_values_never_panic` (scripts/fuzz, 2026-12-02): a flipped
    // byte put a newline into a nested field's name, and the note quoted the path raw.
    let s = schema();
    let mut inner = schema_pb::RecordValue::default();
    inner.fields.insert(
        "a\nb\u{202e}".into(),
        v(Kind::DecimalValue(schema_pb::DecimalValue {
            value: vec![1].into(),
            precision: 3,
            scale: 979_299_805,
        })),
    );
    let mut r = schema_pb::RecordValue::default();
    r.fields.insert("x\ny".into(), v(Kind::RecordValue(inner)));
    let d = decode(&s, b"", &r.encode_to_vec());
    let note = d.note.unwrap();
    assert!(!note.contains('\n') && !note.contains('\u{202e}'), "{note}");
    assert!(
        note.contains(r"field x\x0ay.a\x0ab\u{202e}: decimal scale"),
        "{note}"
    );
    let long = "n".repeat(1000);
    let mut r = schema_pb::RecordValue::default();
    r.fields.insert(long, v(Kind::StringValue("x".into())));
    r.fields.insert("id".into(), v(Kind::Int64Value(1)));
    let d = decode(&s, b"", &r.encode_to_vec());
    if let Some(note) = d.note {
        assert!(note.chars().count() < 400, "{note}");
    }
}

#[test]
fn a_publish_error_shows_a_hostile_json_key_on_one_line() {
    let e = encode_json(&schema(), br#"{"id": 1, "x\ny\u202e": 2}"#).unwrap_err();
    let shown = e.to_string();
    assert!(
        !shown.contains('\n') && !shown.contains('\u{202e}'),
        "{shown}"
    );
    assert!(shown.contains(r"x\x0ay\u{202e}"), "{shown}");
}

#[test]
fn a_key_that_is_a_record_value_is_decoded_and_fields_outside_the_type_are_kept() {
    let s = schema();
    let mut k = schema_pb::RecordValue::default();
    k.fields.insert("id".into(), v(Kind::Int32Value(7)));
    let mut val = go_record();
    val.fields.insert("key_id".into(), v(Kind::Int32Value(7))); // the Kafka gateway's
    let d = decode(&s, &k.encode_to_vec(), &val.encode_to_vec());
    assert_eq!(d.key, Some(json!({"id": 7})));
    assert_eq!(d.key_text.as_deref(), Some(r#"{"id":7}"#));
    assert_eq!(d.value.unwrap()["key_id"], json!(7));
}

#[test]
fn a_topic_conf_as_the_broker_writes_it_gives_the_schema() {
    // protojson with EmitUnpopulated, as `filer.ProtoToText` writes topic.conf.
    let conf = br#"{
      "brokerPartitionAssignments": [],
      "retention": null,
      "messageRecordType": {"fields": [
        {"name": "tags", "fieldIndex": 2, "type": {"listType": {"elementType": {"scalarType": "STRING"}}}, "isRepeated": false, "isRequired": false},
        {"name": "id", "fieldIndex": 0, "type": {"scalarType": "INT64"}, "isRepeated": false, "isRequired": true},
        {"name": "customer", "fieldIndex": 1, "type": {"recordType": {"fields": [
          {"name": "city", "fieldIndex": 0, "type": {"scalarType": "STRING"}, "isRepeated": false, "isRequired": false}]}},
         "isRepeated": false, "isRequired": false}]},
      "keyColumns": ["id"],
      "schemaFormat": "AVRO"
    }"#;
    let s = schema_from_conf(conf).unwrap().unwrap();
    assert_eq!(s.format, "AVRO");
    assert_eq!(s.key_columns, ["id"]);
    assert_eq!(s.fields[0].name, "id");
    assert!(s.fields[0].required);
    assert_eq!(s.fields[1].ty.name(), "RECORD");
    assert_eq!(s.fields[2].ty.name(), "LIST<STRING>");
    let none = br#"{"brokerPartitionAssignments": [], "messageRecordType": null, "keyColumns": [], "schemaFormat": ""}"#;
    assert_eq!(schema_from_conf(none).unwrap(), None);
    assert!(schema_from_conf(b"{broken").is_err());
}

#[test]
fn schemas_convert_both_ways() {
    let s = schema();
    let back = schema_from(
        Some(&record_type_of(&s.fields)),
        vec!["id".into()],
        String::new(),
    );
    assert_eq!(back, Some(s));
    assert_eq!(schema_from(None, vec![], String::new()), None);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(key in proptest::collection::vec(any::<u8>(), 0..64),
                                   value in proptest::collection::vec(any::<u8>(), 0..256)) {
        let d = decode(&schema(), &key, &value);
        prop_assert!(d.value.is_some() != d.note.is_some());
    }

    #[test]
    fn mutated_records_never_panic(i in 0usize..400, b in any::<u8>()) {
        let mut bytes = go_record().encode_to_vec();
        let i = i % bytes.len();
        bytes[i] = b;
        let _ = decode(&schema(), &bytes, &bytes);
        bytes.truncate(i);
        let _ = decode(&schema(), &bytes, &bytes);
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    // Value{record_value: RecordValue{fields: {"a": Value{record_value: …}}}} 10 000 deep.
    let mut b: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let mut val = vec![0x7a]; // field 15 (record_value), wire type 2
        push_len(&mut val, &b);
        let mut entry = vec![0x0a, 0x01, b'a', 0x12];
        push_len(&mut entry, &val);
        let mut rec = vec![0x0a];
        push_len(&mut rec, &entry);
        b = rec;
    }
    let d = decode(&schema(), b"", &b);
    assert!(d.note.is_some());
}

fn push_len(out: &mut Vec<u8>, body: &[u8]) {
    let mut n = body.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(body);
}
