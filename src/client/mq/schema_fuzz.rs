//! Fuzzing of the `RecordValue` decoder with proptest (issue 9; see docs/embedded-broker.md,
//! "Fault injection, fuzzing, soak"): random `RecordValue` trees of every kind (nested
//! records and lists, hostile strings, any numbers, odd decimals and times), records
//! following the sample record type, and both with random damage (flipped bytes, cuts,
//! spliced garbage). Properties: no panic, no recursion beyond the depth limit; a valid
//! `RecordValue` always decodes with no type; an error names the field path it is about;
//! the JSON a record decodes to, published again (`encode_json`), decodes to the same
//! JSON.
//!
//! Longer runs: `PROPTEST_CASES=N cargo test --lib client::mq::schema::fuzz`.

use proptest::prelude::*;

use super::*;
use crate::proto::mq::schema_pb::value::Kind;

#[allow(unused_imports)] // the sample module's `use super::*` needs them
use serde_json::json;

// The same sample schema as the unit tests, compiled in this module too (its `use super::*`
// takes this module's imports).
#[path = "schema_sample.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod sample;

fn timestamp() -> impl Strategy<Value = Kind> {
    (any::<i64>(), any::<bool>()).prop_map(|(timestamp_micros, is_utc)| {
        Kind::TimestampValue(schema_pb::TimestampValue {
            timestamp_micros,
            is_utc,
        })
    })
}

fn date() -> impl Strategy<Value = Kind> {
    any::<i32>()
        .prop_map(|days_since_epoch| Kind::DateValue(schema_pb::DateValue { days_since_epoch }))
}

fn decimal() -> impl Strategy<Value = Kind> {
    (
        prop::collection::vec(any::<u8>(), 0..40),
        any::<i32>(),
        prop_oneof![any::<i32>(), -40..40i32],
    )
        .prop_map(|(value, precision, scale)| {
            Kind::DecimalValue(schema_pb::DecimalValue {
                value: value.into(),
                precision,
                scale,
            })
        })
}

fn time_of_day() -> impl Strategy<Value = Kind> {
    prop_oneof![any::<i64>(), 0..86_400_000_000i64]
        .prop_map(|time_micros| Kind::TimeValue(schema_pb::TimeValue { time_micros }))
}

/// The strategy of the scalar kind of the sample field `name` (records and lists: a
/// placeholder, replaced by the caller).
fn kind_of(name: &str) -> BoxedStrategy<Kind> {
    match name {
        "id" => any::<i64>().prop_map(Kind::Int64Value).boxed(),
        "ok" => any::<bool>().prop_map(Kind::BoolValue).boxed(),
        "n32" => any::<i32>().prop_map(Kind::Int32Value).boxed(),
        "ratio" => any::<f32>().prop_map(Kind::FloatValue).boxed(),
        "price" => any::<f64>().prop_map(Kind::DoubleValue).boxed(),
        "blob" => prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(|b| Kind::BytesValue(b.into()))
            .boxed(),
        "name" => any::<String>().prop_map(Kind::StringValue).boxed(),
        "at" => timestamp().boxed(),
        "day" => date().boxed(),
        "amount" => decimal().boxed(),
        "tod" => time_of_day().boxed(),
        _ => Just(Kind::BoolValue(false)).boxed(),
    }
}

fn scalar_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        prop_oneof![
            any::<bool>().prop_map(Kind::BoolValue),
            any::<i32>().prop_map(Kind::Int32Value),
            any::<i64>().prop_map(Kind::Int64Value),
            any::<f32>().prop_map(Kind::FloatValue),
            any::<f64>().prop_map(Kind::DoubleValue),
            prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| Kind::BytesValue(b.into())),
        ],
        prop_oneof![
            any::<String>().prop_map(Kind::StringValue),
            timestamp(),
            date(),
            decimal(),
            time_of_day(),
        ],
    ]
}

fn value() -> impl Strategy<Value = schema_pb::Value> {
    let leaf = prop_oneof![
        9 => scalar_kind().prop_map(|k| schema_pb::Value { kind: Some(k) }),
        1 => Just(schema_pb::Value { kind: None }),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|values| schema_pb::Value {
                kind: Some(Kind::ListValue(schema_pb::ListValue { values })),
            }),
            prop::collection::hash_map(any::<String>(), inner, 0..5).prop_map(|fields| {
                schema_pb::Value {
                    kind: Some(Kind::RecordValue(schema_pb::RecordValue { fields })),
                }
            }),
        ]
    })
}

fn record() -> impl Strategy<Value = schema_pb::RecordValue> {
    prop::collection::hash_map(any::<String>(), value(), 0..6)
        .prop_map(|fields| schema_pb::RecordValue { fields })
}

fn schema() -> Schema {
    Schema {
        fields: sample::fields(),
        key_columns: vec!["id".into()],
        format: String::new(),
    }
}

/// A record of the sample type: its fields present or not, each holding a value of its
/// type (any value of it).
fn typed_record() -> impl Strategy<Value = schema_pb::RecordValue> {
    use sample::v;
    let fields = sample::fields();
    let kinds: Vec<BoxedStrategy<Kind>> = fields.iter().map(|f| kind_of(&f.name)).collect();
    (
        prop::collection::vec(any::<bool>(), fields.len()),
        kinds,
        any::<String>(),
        prop::collection::vec(any::<String>(), 0..4),
    )
        .prop_map(move |(present, ks, city, tags)| {
            let mut r = schema_pb::RecordValue::default();
            for ((f, on), k) in fields.iter().zip(present).zip(ks) {
                if !on {
                    continue;
                }
                let k = match f.name.as_str() {
                    "customer" => {
                        let mut c = schema_pb::RecordValue::default();
                        c.fields
                            .insert("city".into(), v(Kind::StringValue(city.clone())));
                        Kind::RecordValue(c)
                    }
                    "tags" => Kind::ListValue(schema_pb::ListValue {
                        values: tags
                            .iter()
                            .map(|t| v(Kind::StringValue(t.clone())))
                            .collect(),
                    }),
                    _ => k,
                };
                r.fields.insert(f.name.clone(), v(k));
            }
            r
        })
}

#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Cut(usize),
    Splice(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Damage::Flip(i, x)),
        any::<usize>().prop_map(Damage::Cut),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(i, g)| Damage::Splice(i, g)),
    ]
}

fn apply(b: &mut Vec<u8>, ds: &[Damage]) {
    for d in ds {
        match d {
            Damage::Flip(i, x) if !b.is_empty() => {
                let i = i % b.len();
                b[i] ^= x;
            }
            Damage::Flip(..) => {}
            Damage::Cut(i) => b.truncate(i % (b.len() + 1)),
            Damage::Splice(i, g) => {
                let i = i % (b.len() + 1);
                let tail = b.split_off(i);
                b.extend_from_slice(g);
                b.extend(tail);
            }
        }
    }
}

/// The decoded form's contract: JSON or a note, never both; a note names a field path
/// when it is about a field.
fn check(d: &Decoded) -> Result<(), TestCaseError> {
    prop_assert!(d.value.is_some() != d.note.is_some(), "{:?}", d);
    if let Some(n) = &d.note {
        prop_assert!(!n.contains('\n'), "{:?}", n);
    }
    Ok(())
}

/// The record's time of day is not within one day (stored by someone else's encoder).
fn time_out_of_range(r: &schema_pb::RecordValue) -> bool {
    r.fields.values().any(|v| {
        matches!(&v.kind, Some(Kind::TimeValue(t)) if !(0..86_400_000_000).contains(&t.time_micros))
    })
}

/// The field a "required field missing" refusal names (`FitError { field, got: "nothing" }`).
fn missing_field(debug: &str) -> Option<&str> {
    if !debug.contains("got: \"nothing\"") {
        return None;
    }
    let rest = debug.split_once("field: \"")?.1;
    Some(rest.split_once('"')?.0)
}

/// The names of the top-level fields a path-naming error may be about.
fn names_a_field(e: &str, r: &schema_pb::RecordValue) -> bool {
    // As errors show names: escaped, cut (the cut form's start is the escaped name's).
    let shown = |k: &str| -> String {
        let e = crate::format::escape::escape(k);
        e.chars()
            .take(crate::client::mq::schema_decode::PATH_CHARS)
            .collect()
    };
    !e.contains("field ")
        || r.fields
            .keys()
            .any(|k| e.contains(&format!("field {}", shown(k))))
}

proptest! {
    #[test]
    fn any_record_value_decodes_without_a_type(r in record()) {
        let b = r.encode_to_vec();
        let rec = parse_record(&b).map_err(|e| TestCaseError::fail(format!("{e}: {r:?}")))?;
        prop_assert_eq!(rec.len(), r.fields.len());
        match record_json(&rec, None, "") {
            Ok(j) => prop_assert_eq!(j.as_object().map(|o| o.len()), Some(r.fields.len())),
            // Only a decimal out of the decoder's range is refused, naming its field.
            Err(e) => prop_assert!(e.contains("decimal") && names_a_field(&e, &r), "{}", e),
        }
        let d = decode(&schema(), &b, &b);
        check(&d)?;
        if let Some(n) = &d.note {
            prop_assert!(names_a_field(n, &r), "{}", n);
        }
    }

    #[test]
    fn damaged_record_values_never_panic(r in record(), ds in prop::collection::vec(damage(), 1..4)) {
        let mut b = r.encode_to_vec();
        apply(&mut b, &ds);
        check(&decode(&schema(), &b, &b))?;
    }

    #[test]
    fn typed_records_decode_and_publish_again_to_the_same_json(r in typed_record()) {
        let s = schema();
        let d = decode(&s, b"", &r.encode_to_vec());
        check(&d)?;
        let Some(j) = d.value else {
            // An empty record encodes to no bytes at all: shown raw, as an empty value.
            if r.fields.is_empty() {
                return Ok(());
            }
            // Only an odd decimal may stay raw (its note names the field).
            let n = d.note.unwrap_or_default();
            prop_assert!(n.contains("field amount"), "{}", n);
            return Ok(());
        };
        let again = match encode_json(&s, j.to_string().as_bytes()) {
            Ok(a) => a,
            // A required field the record lacks: the encoder refuses it, as it should.
            Err(e) if missing_field(&format!("{e:?}")).is_some_and(|f| !r.fields.contains_key(f)) => {
                return Ok(());
            }
            // A time of day outside one day is shown raw (µs) and refused as a TIME.
            Err(_) if time_out_of_range(&r) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}: {j}"))),
        };
        let back = decode(&s, b"", &again);
        prop_assert_eq!(back.value.as_ref(), Some(&j), "{:?}", back.note);
    }

    #[test]
    fn damaged_typed_records_never_panic(r in typed_record(), ds in prop::collection::vec(damage(), 1..4)) {
        let mut b = r.encode_to_vec();
        apply(&mut b, &ds);
        check(&decode(&schema(), &b, &b))?;
    }
}
