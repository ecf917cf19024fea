//! A sample record type and record, shared by the unit tests (`schema_tests.rs`) and the
//! integration tests on weed (`tests/mq_schema.rs`, through `#[path]`): every scalar type,
//! a nested record and a list, built the way the Go client's `RecordValueBuilder` does.
//! The including module brings the names into scope (`Bytes`, `Kind`, `schema_pb`,
//! `FieldType`, `ScalarType`, `SchemaField`, `json!`).
use super::*;

pub(super) fn f(name: &str, index: i32, ty: FieldType) -> SchemaField {
    SchemaField {
        name: name.into(),
        index,
        ty,
        repeated: false,
        required: false,
    }
}

pub(super) fn sc(s: ScalarType) -> FieldType {
    FieldType::Scalar(s)
}

/// Every scalar type (`id` required), a nested record and a list.
pub(super) fn fields() -> Vec<SchemaField> {
    vec![
        SchemaField {
            required: true,
            ..f("id", 0, sc(ScalarType::Int64))
        },
        f("ok", 1, sc(ScalarType::Bool)),
        f("n32", 2, sc(ScalarType::Int32)),
        f("ratio", 3, sc(ScalarType::Float)),
        f("price", 4, sc(ScalarType::Double)),
        f("blob", 5, sc(ScalarType::Bytes)),
        f("name", 6, sc(ScalarType::String)),
        f("at", 7, sc(ScalarType::Timestamp)),
        f("day", 8, sc(ScalarType::Date)),
        f("amount", 9, sc(ScalarType::Decimal)),
        f("tod", 10, sc(ScalarType::Time)),
        f(
            "customer",
            11,
            FieldType::Record(vec![f("city", 0, sc(ScalarType::String))]),
        ),
        f(
            "tags",
            12,
            FieldType::List(Box::new(sc(ScalarType::String))),
        ),
    ]
}

pub(super) fn v(k: Kind) -> schema_pb::Value {
    schema_pb::Value { kind: Some(k) }
}

/// A record of [`fields`]; `id` and `city` vary.
pub(super) fn go_record(id: i64, city: &str) -> schema_pb::RecordValue {
    let mut r = schema_pb::RecordValue::default();
    let mut put = |n: &str, k: Kind| {
        r.fields.insert(n.to_string(), v(k));
    };
    put("id", Kind::Int64Value(id));
    put("ok", Kind::BoolValue(true));
    put("n32", Kind::Int32Value(-7));
    put("ratio", Kind::FloatValue(0.25));
    put("price", Kind::DoubleValue(19.99));
    put("blob", Kind::BytesValue(Bytes::from_static(&[0, 159, 255])));
    put("name", Kind::StringValue("Zoë".into()));
    put(
        "at",
        Kind::TimestampValue(schema_pb::TimestampValue {
            timestamp_micros: 1_764_547_200_000_001,
            is_utc: true,
        }),
    );
    put(
        "day",
        Kind::DateValue(schema_pb::DateValue {
            days_since_epoch: 20_423,
        }),
    );
    // -12345 (two's complement 0xCFC7), scale 2.
    put(
        "amount",
        Kind::DecimalValue(schema_pb::DecimalValue {
            value: Bytes::from_static(&[0xcf, 0xc7]),
            precision: 5,
            scale: 2,
        }),
    );
    put(
        "tod",
        Kind::TimeValue(schema_pb::TimeValue {
            time_micros: 45_296_000_007,
        }),
    );
    let mut c = schema_pb::RecordValue::default();
    c.fields
        .insert("city".into(), v(Kind::StringValue(city.into())));
    put("customer", Kind::RecordValue(c));
    put(
        "tags",
        Kind::ListValue(schema_pb::ListValue {
            values: vec![
                v(Kind::StringValue("new".into())),
                v(Kind::StringValue("vip".into())),
            ],
        }),
    );
    r
}

/// What [`go_record`] reads back as.
pub(super) fn expected(id: i64, city: &str) -> serde_json::Value {
    json!({
        "id": id, "ok": true, "n32": -7, "ratio": 0.25, "price": 19.99, "blob": "AJ//",
        "name": "Zoë", "at": "2025-12-01T00:00:00.000001Z", "day": "2025-12-01",
        "amount": "-123.45", "tod": "12:34:56.000007", "customer": {"city": city},
        "tags": ["new", "vip"]
    })
}
