//! Fuzzing of the `publish --input json` envelope parser with proptest (issue 9; see
//! docs/embedded-broker.md, "Fault injection, fuzzing, soak"): any bytes, and `tail
//! --format json` lines of random records (any bytes in keys, values and headers) with
//! random damage (a field removed, retyped or added, a byte flipped, a cut). Properties:
//! no panic; an error is one short line that names what was wrong; every line `tail
//! --format json` writes parses back into the message it came from.
//!
//! Longer runs: `PROPTEST_CASES=N cargo test --lib cli::publish::fuzz`.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::client::{Record, TopicName};
use crate::format::{JsonLineWriter, json_line};

/// The longest error a line may get (the caller adds the line number).
const MAX_ERROR: usize = 400;

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        any::<String>().prop_map(String::into_bytes),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    (
        bytes(),
        bytes(),
        prop::collection::btree_map(any::<String>(), bytes(), 0..4),
        any::<bool>(),
        any::<i64>(),
        proptest::option::of(any::<i64>()),
        0..i32::MAX,
    )
        .prop_map(
            |(key, value, headers, is_close, ts_ns, offset, partition)| Record {
                topic: Arc::new(TopicName::new("fz", "topic").expect("a valid name")),
                partition,
                ts_ns,
                key: key.into(),
                value: value.into(),
                headers: headers.into_iter().map(|(k, v)| (k, v.into())).collect(),
                is_close,
                offset,
                decoded: None,
            },
        )
}

#[derive(Debug, Clone)]
enum Damage {
    Remove(usize),
    Retype(usize, serde_json::Value),
    Add(String, serde_json::Value),
    Flip(usize, u8),
    Cut(usize),
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        "[A-Za-z0-9+/=]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z0-9_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Remove),
        (any::<usize>(), json_value()).prop_map(|(i, v)| Damage::Retype(i, v)),
        (any::<String>(), json_value()).prop_map(|(k, v)| Damage::Add(k, v)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Damage::Flip(i, x)),
        any::<usize>().prop_map(Damage::Cut),
    ]
}

fn apply(line: &str, d: &Damage) -> Vec<u8> {
    let mut obj: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).expect("tail writes JSON objects");
    let keys: Vec<String> = obj.keys().cloned().collect();
    match d {
        Damage::Remove(i) => {
            obj.remove(&keys[i % keys.len()]);
        }
        Damage::Retype(i, v) => {
            obj.insert(keys[i % keys.len()].clone(), v.clone());
        }
        Damage::Add(k, v) => {
            obj.insert(k.clone(), v.clone());
        }
        Damage::Flip(i, x) => {
            let mut b = line.as_bytes().to_vec();
            let i = i % b.len();
            b[i] ^= x;
            return b;
        }
        Damage::Cut(i) => return line.as_bytes()[..i % (line.len() + 1)].to_vec(),
    }
    serde_json::to_vec(&obj).expect("a map serializes")
}

fn check_error(line: &[u8], r: Result<OutMessage, String>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(!e.is_empty());
        prop_assert!(!e.contains('\n'), "{:?}", e);
        prop_assert!(
            e.chars().count() <= MAX_ERROR,
            "an error of {} chars for a line of {} bytes: {:.200}",
            e.chars().count(),
            line.len(),
            e
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..256)) {
        check_error(&b, parse_envelope(&b))?;
    }

    #[test]
    fn any_json_never_panics(v in json_value()) {
        let b = serde_json::to_vec(&v).expect("serializes");
        check_error(&b, parse_envelope(&b))?;
        let with_value = serde_json::json!({"value": v});
        let b = serde_json::to_vec(&with_value).expect("serializes");
        check_error(&b, parse_envelope(&b))?;
    }

    #[test]
    fn tail_json_lines_parse_back(r in record()) {
        let line = json_line(&r);
        let mut w = Vec::new();
        JsonLineWriter::new().write(&mut w, &r);
        prop_assert_eq!(&w[..w.len() - 1], line.as_bytes());
        let m = parse_envelope(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
        prop_assert_eq!(&m.key, &r.key);
        prop_assert_eq!(&m.value, &r.value);
        prop_assert_eq!(&m.headers, &r.headers);
        prop_assert_eq!(m.is_close, r.is_close);
        prop_assert_eq!(m.ts_ns, (r.ts_ns > 0).then_some(r.ts_ns));
    }

    #[test]
    fn damaged_lines_never_panic(r in record(), d in damage()) {
        let b = apply(&json_line(&r), &d);
        check_error(&b, parse_envelope(&b))?;
    }
}
