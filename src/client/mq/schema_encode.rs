//! JSON object → `schema_pb.RecordValue`, following a record type (`publish` to a
//! schematized topic). Accepts what [`super::schema_decode`] produces, so a decoded value
//! published again round-trips; anything that does not fit is refused naming the field
//! and the type it expects.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value as Json;

use crate::client::{FieldType, ScalarType, SchemaField};
use crate::proto::mq::schema_pb::{self, value::Kind};

/// A JSON value that does not fit the record type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
// Shown escaped: a field path may hold a JSON key of the input (anyone's text).
#[error(
    "field {}: expected {expected}, got {}",
    super::schema_decode::shown(.field),
    crate::format::escape::escape(.got)
)]
pub struct FitError {
    /// The field's path (`customer.city`, `lines.0.qty`).
    pub field: String,
    /// What the record type asks for.
    pub expected: String,
    /// What the JSON holds (shortened).
    pub got: String,
}

fn misfit(path: &str, expected: impl Into<String>, got: &Json) -> FitError {
    let mut g = got.to_string();
    if g.chars().count() > 40 {
        g = g.chars().take(39).collect::<String>() + "…";
    }
    FitError {
        field: path.to_string(),
        expected: expected.into(),
        got: g,
    }
}

/// Encodes a JSON object as a `RecordValue` of `fields`. Fields not in the type, missing
/// required fields and values of the wrong type are refused.
pub(super) fn encode_record(
    v: &Json,
    fields: &[SchemaField],
    path: &str,
) -> Result<schema_pb::RecordValue, FitError> {
    let Json::Object(m) = v else {
        let what = if path.is_empty() { "(value)" } else { path };
        return Err(misfit(
            what,
            "a JSON object (the topic has a record type)",
            v,
        ));
    };
    let join = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if fields.is_empty() {
        // A record type without fields (the Kafka gateway's Avro maps): any keys.
        return m
            .iter()
            .map(|(k, j)| {
                Ok((
                    k.clone(),
                    schema_pb::Value {
                        kind: untyped(j, &join(k))?,
                    },
                ))
            })
            .collect::<Result<_, FitError>>()
            .map(|fields| schema_pb::RecordValue { fields });
    }
    if let Some(extra) = m.keys().find(|k| !fields.iter().any(|f| f.name == **k)) {
        let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return Err(FitError {
            field: join(extra),
            expected: format!("one of the record type's fields ({})", known.join(", ")),
            got: "a field the type does not have".into(),
        });
    }
    let mut out = schema_pb::RecordValue::default();
    for f in fields {
        let p = join(&f.name);
        match m.get(&f.name) {
            None | Some(Json::Null) if f.required => {
                return Err(FitError {
                    field: p,
                    expected: format!("{} (required)", f.ty.name()),
                    got: "nothing".into(),
                });
            }
            None | Some(Json::Null) => {}
            Some(j) => {
                let kind = if f.repeated {
                    list(j, &f.ty, &p)?
                } else {
                    encode_value(j, &f.ty, &p)?
                };
                out.fields
                    .insert(f.name.clone(), schema_pb::Value { kind: Some(kind) });
            }
        }
    }
    Ok(out)
}

/// A JSON value by its own kind (no type known): `null` is no value.
fn untyped(j: &Json, path: &str) -> Result<Option<Kind>, FitError> {
    Ok(Some(match j {
        Json::Null => return Ok(None),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Kind::Int64Value(i),
            None => Kind::DoubleValue(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(t) => Kind::StringValue(t.clone()),
        Json::Array(items) => Kind::ListValue(schema_pb::ListValue {
            values: items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    untyped(it, &format!("{path}.{i}")).map(|kind| schema_pb::Value { kind })
                })
                .collect::<Result<_, _>>()?,
        }),
        Json::Object(_) => Kind::RecordValue(encode_record(j, &[], path)?),
    }))
}

fn list(j: &Json, elem: &FieldType, path: &str) -> Result<Kind, FitError> {
    let Json::Array(items) = j else {
        return Err(misfit(path, format!("a JSON array of {}", elem.name()), j));
    };
    let values = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            encode_value(item, elem, &format!("{path}.{i}"))
                .map(|k| schema_pb::Value { kind: Some(k) })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Kind::ListValue(schema_pb::ListValue { values }))
}

/// One JSON value as the `Value` kind of `ty`.
pub(super) fn encode_value(j: &Json, ty: &FieldType, path: &str) -> Result<Kind, FitError> {
    match ty {
        FieldType::Scalar(s) => scalar(j, *s, path),
        FieldType::List(elem) => list(j, elem, path),
        FieldType::Record(fields) => encode_record(j, fields, path).map(Kind::RecordValue),
        FieldType::Unknown => Err(misfit(
            path,
            "a type this swmq does not know (publish raw bytes with --no-schema)",
            j,
        )),
    }
}

fn scalar(j: &Json, s: ScalarType, path: &str) -> Result<Kind, FitError> {
    let fail = |hint: &str| misfit(path, format!("{} ({hint})", s.name()), j);
    let int = |lo: i64, hi: i64| -> Option<i64> {
        let i = match j {
            Json::Number(n) => n.as_i64(),
            Json::String(t) => t.trim().parse::<i64>().ok(),
            _ => None,
        }?;
        (lo..=hi).contains(&i).then_some(i)
    };
    Ok(match s {
        ScalarType::Bool => Kind::BoolValue(j.as_bool().ok_or_else(|| fail("true or false"))?),
        ScalarType::Int32 => Kind::Int32Value(
            int(i32::MIN.into(), i32::MAX.into()).ok_or_else(|| fail("an integer of 32 bits"))?
                as i32,
        ),
        ScalarType::Int64 => {
            Kind::Int64Value(int(i64::MIN, i64::MAX).ok_or_else(|| fail("an integer of 64 bits"))?)
        }
        ScalarType::Float => Kind::FloatValue(float(j).ok_or_else(|| fail("a number"))? as f32),
        ScalarType::Double => Kind::DoubleValue(float(j).ok_or_else(|| fail("a number"))?),
        ScalarType::String => {
            Kind::StringValue(j.as_str().ok_or_else(|| fail("a string"))?.to_string())
        }
        ScalarType::Bytes => Kind::BytesValue(
            j.as_str()
                .and_then(|t| B64.decode(t).ok())
                .ok_or_else(|| fail("base64 text"))?
                .into(),
        ),
        ScalarType::Timestamp => Kind::TimestampValue(
            timestamp(j).ok_or_else(|| fail("RFC 3339 text or µs since the epoch"))?,
        ),
        ScalarType::Date => Kind::DateValue(schema_pb::DateValue {
            days_since_epoch: date(j).ok_or_else(|| fail("YYYY-MM-DD or days since the epoch"))?,
        }),
        ScalarType::Time => Kind::TimeValue(schema_pb::TimeValue {
            time_micros: time_of_day(j)
                .ok_or_else(|| fail("HH:MM:SS[.ffffff] or µs since midnight"))?,
        }),
        ScalarType::Decimal => Kind::DecimalValue(
            decimal(j).ok_or_else(|| fail("a decimal number as text, e.g. \"12.50\""))?,
        ),
    })
}

fn float(j: &Json) -> Option<f64> {
    match j {
        Json::Number(n) => n.as_f64(),
        Json::String(t) => match t.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn timestamp(j: &Json) -> Option<schema_pb::TimestampValue> {
    if let Some(us) = j.as_i64() {
        return Some(schema_pb::TimestampValue {
            timestamp_micros: us,
            is_utc: true,
        });
    }
    let t = j.as_str()?.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(schema_pb::TimestampValue {
            timestamp_micros: d.timestamp_micros(),
            is_utc: true,
        });
    }
    // Without a zone: local wall time, as the decoder shows a value with is_utc = false.
    let n = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(schema_pb::TimestampValue {
        timestamp_micros: n.and_utc().timestamp_micros(),
        is_utc: false,
    })
}

fn date(j: &Json) -> Option<i32> {
    if let Some(d) = j.as_i64() {
        return i32::try_from(d).ok();
    }
    let d = chrono::NaiveDate::parse_from_str(j.as_str()?.trim(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

fn time_of_day(j: &Json) -> Option<i64> {
    if let Some(us) = j.as_i64() {
        return (0..86_400_000_000).contains(&us).then_some(us);
    }
    let t = chrono::NaiveTime::parse_from_str(j.as_str()?.trim(), "%H:%M:%S%.f").ok()?;
    let mid = chrono::NaiveTime::MIN;
    (t - mid).num_microseconds()
}

/// `"-12.50"` → unscaled -1250 as big-endian two's complement, precision 4, scale 2.
fn decimal(j: &Json) -> Option<schema_pb::DecimalValue> {
    let text = match j {
        Json::String(t) => t.trim().to_string(),
        Json::Number(n) => n.to_string(),
        _ => return None,
    };
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
        || int.len() + frac.len() > 1000
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut mag: Vec<u8> = vec![0]; // big-endian
    for d in digits.bytes() {
        let mut carry = u32::from(d - b'0');
        for b in mag.iter_mut().rev() {
            let cur = u32::from(*b) * 10 + carry;
            *b = cur as u8;
            carry = cur >> 8;
        }
        while carry > 0 {
            mag.insert(0, carry as u8);
            carry >>= 8;
        }
    }
    // Minimal two's complement: a leading 0 byte when the top bit is set.
    while mag.len() > 1 && mag[0] == 0 && mag[1] & 0x80 == 0 {
        mag.remove(0);
    }
    if mag[0] & 0x80 != 0 {
        mag.insert(0, 0);
    }
    if neg {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (s, c) = b.overflowing_add(1);
            *b = s;
            if !c {
                break;
            }
        }
    }
    let precision = digits.trim_start_matches('0').len().max(1);
    Some(schema_pb::DecimalValue {
        value: mag.into(),
        precision: precision as i32,
        scale: frac.len() as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::super::schema_decode::decimal_string;
    use super::*;

    #[test]
    fn a_record_type_without_fields_takes_any_keys() {
        let r = encode_record(
            &serde_json::json!({"a": 1, "b": {"c": [true, "x"]}}),
            &[],
            "",
        )
        .unwrap();
        assert_eq!(r.fields["a"].kind, Some(Kind::Int64Value(1)));
        let Some(Kind::RecordValue(b)) = &r.fields["b"].kind else {
            panic!("{r:?}")
        };
        assert!(matches!(b.fields["c"].kind, Some(Kind::ListValue(_))));
    }

    #[test]
    fn decimals_round_trip_exactly() {
        for t in [
            "123.45",
            "-123.45",
            "0.005",
            "-1",
            "0",
            "99999999999999999999.99",
            "-128",
            "128",
            "255",
        ] {
            let d = decimal(&Json::String(t.into())).unwrap();
            assert_eq!(decimal_string(&d.value, d.scale).unwrap(), t, "{t}");
        }
        assert_eq!(decimal(&Json::String("12.50".into())).unwrap().scale, 2);
        assert!(decimal(&Json::String("1e5".into())).is_none());
        assert!(decimal(&Json::String("".into())).is_none());
        assert!(decimal(&Json::String("1.2.3".into())).is_none());
    }
}
