//! Topic schemas on 4.x: `GetTopicConfiguration` → [`Schema`], values decoded when read
//! ([`decode`]) and JSON encoded when published ([`encode_json`]).
//!
//! The Go client's `PublishRecord` stores `proto.Marshal(RecordValue)` as the value and the
//! key unchanged; the Kafka gateway stores a decoded Confluent record the same way and its
//! key, when schematized, as a serialized `RecordValue` too (`weed/mq/kafka/protocol/
//! produce.go`). Keys are decoded only on topics that have a record type.

use std::sync::Arc;

use bytes::Bytes;
use prost::Message as _;

use super::schema_decode::{parse_record, record_json};
pub use super::schema_encode::FitError;
use super::{MqClient, pb_topic};
use crate::client::{
    ClientError, Decoded, FieldType, Record, RecordDecoder, ScalarType, Schema, SchemaField,
    TopicName, is_missing_topic,
};
use crate::proto::mq::messaging_pb::{ConfigureTopicRequest, GetTopicConfigurationRequest};
use crate::proto::mq::schema_pb;

impl MqClient {
    /// The topic's schema (`None`: it has no record type).
    pub async fn schema(&self, topic: &TopicName) -> Result<Option<Schema>, ClientError> {
        let req = GetTopicConfigurationRequest {
            topic: Some(pb_topic(topic)),
        };
        let r = match self.broker().get_topic_configuration(req).await {
            Ok(r) => r.into_inner(),
            Err(s) if is_missing_topic(&s) => {
                return Err(ClientError::TopicNotFound(topic.to_string()));
            }
            Err(s) => {
                return Err(ClientError::rpc(
                    format!("get the configuration of {topic} at {}", self.broker_addr()),
                    s,
                ));
            }
        };
        Ok(schema_from(
            r.message_record_type.as_ref(),
            r.key_columns,
            r.schema_format,
        ))
    }

    /// Sets the topic's schema with `ConfigureTopic` (same partition count: in place).
    /// The broker keeps it in `topic.conf`.
    pub async fn configure_schema(
        &self,
        topic: &TopicName,
        partitions: u32,
        record_type: schema_pb::RecordType,
        key_columns: Vec<String>,
        format: &str,
    ) -> Result<(), ClientError> {
        if !(1..=2520).contains(&partitions) {
            return Err(ClientError::invalid(
                "partition count",
                format!("{partitions}: a 4.x topic has 1 to 2520 partitions"),
            ));
        }
        let req = ConfigureTopicRequest {
            topic: Some(pb_topic(topic)),
            partition_count: partitions as i32,
            message_record_type: Some(record_type),
            key_columns,
            schema_format: format.to_string(),
            ..Default::default()
        };
        self.broker().configure_topic(req).await.map_err(|s| {
            ClientError::rpc(format!("configure {topic} at {}", self.broker_addr()), s)
        })?;
        Ok(())
    }

    /// A decoder of the topic's records, when it has a schema (`None` also when the
    /// configuration cannot be read: records are then shown raw, as before).
    pub(crate) async fn decoder(&self, topic: &TopicName) -> Option<RecordDecoder> {
        match self.schema(topic).await {
            Ok(Some(s)) => {
                let s = Arc::new(s);
                Some(Arc::new(move |r: &mut Record| decode_into(&s, r)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("schema of {topic} not read ({e}); values shown raw");
                None
            }
        }
    }
}

/// A [`Schema`] from the configuration's fields (`None` without a record type).
pub fn schema_from(
    rt: Option<&schema_pb::RecordType>,
    key_columns: Vec<String>,
    format: String,
) -> Option<Schema> {
    let rt = rt?;
    Some(Schema {
        fields: fields_from(rt, 0),
        key_columns,
        format,
    })
}

fn fields_from(rt: &schema_pb::RecordType, depth: usize) -> Vec<SchemaField> {
    let mut v: Vec<SchemaField> = rt
        .fields
        .iter()
        .map(|f| SchemaField {
            name: f.name.clone(),
            index: f.field_index,
            ty: f
                .r#type
                .as_ref()
                .map_or(FieldType::Unknown, |t| type_from(t, depth + 1)),
            repeated: f.is_repeated,
            required: f.is_required,
        })
        .collect();
    v.sort_by_key(|f| f.index);
    v
}

fn type_from(t: &schema_pb::Type, depth: usize) -> FieldType {
    use schema_pb::r#type::Kind;
    if depth > 64 {
        return FieldType::Unknown;
    }
    match &t.kind {
        Some(Kind::ScalarType(s)) => match schema_pb::ScalarType::try_from(*s) {
            Ok(s) => FieldType::Scalar(scalar_from(s)),
            Err(_) => FieldType::Unknown,
        },
        Some(Kind::RecordType(rt)) => FieldType::Record(fields_from(rt, depth)),
        Some(Kind::ListType(l)) => FieldType::List(Box::new(
            l.element_type
                .as_deref()
                .map_or(FieldType::Unknown, |e| type_from(e, depth + 1)),
        )),
        None => FieldType::Unknown,
    }
}

fn scalar_from(s: schema_pb::ScalarType) -> ScalarType {
    use schema_pb::ScalarType as P;
    match s {
        P::Bool => ScalarType::Bool,
        P::Int32 => ScalarType::Int32,
        P::Int64 => ScalarType::Int64,
        P::Float => ScalarType::Float,
        P::Double => ScalarType::Double,
        P::Bytes => ScalarType::Bytes,
        P::String => ScalarType::String,
        P::Timestamp => ScalarType::Timestamp,
        P::Date => ScalarType::Date,
        P::Decimal => ScalarType::Decimal,
        P::Time => ScalarType::Time,
    }
}

/// The `schema_pb.RecordType` of a [`Schema`]'s fields (for `ConfigureTopic`).
pub fn record_type_of(fields: &[SchemaField]) -> schema_pb::RecordType {
    use schema_pb::r#type::Kind;
    fn ty(t: &FieldType) -> Option<schema_pb::Type> {
        let kind = match t {
            FieldType::Scalar(s) => Kind::ScalarType(scalar_to(*s) as i32),
            FieldType::Record(f) => Kind::RecordType(record_type_of(f)),
            FieldType::List(e) => Kind::ListType(Box::new(schema_pb::ListType {
                element_type: ty(e).map(Box::new),
            })),
            FieldType::Unknown => return None,
        };
        Some(schema_pb::Type { kind: Some(kind) })
    }
    schema_pb::RecordType {
        fields: fields
            .iter()
            .map(|f| schema_pb::Field {
                name: f.name.clone(),
                field_index: f.index,
                r#type: ty(&f.ty),
                is_repeated: f.repeated,
                is_required: f.required,
            })
            .collect(),
    }
}

fn scalar_to(s: ScalarType) -> schema_pb::ScalarType {
    use schema_pb::ScalarType as P;
    match s {
        ScalarType::Bool => P::Bool,
        ScalarType::Int32 => P::Int32,
        ScalarType::Int64 => P::Int64,
        ScalarType::Float => P::Float,
        ScalarType::Double => P::Double,
        ScalarType::Bytes => P::Bytes,
        ScalarType::String => P::String,
        ScalarType::Timestamp => P::Timestamp,
        ScalarType::Date => P::Date,
        ScalarType::Decimal => P::Decimal,
        ScalarType::Time => P::Time,
    }
}

/// Decodes a record's key and value following `s` (see [`decode`]).
pub fn decode_into(s: &Schema, r: &mut Record) {
    r.decoded = Some(Arc::new(decode(s, &r.key, &r.value)));
}

/// The decoded form of a key and value of a topic with schema `s`: the value as JSON or a
/// one-line note saying why it is shown raw; the key as JSON when it is a non-empty
/// serialized `RecordValue`.
pub fn decode(s: &Schema, key: &[u8], value: &[u8]) -> Decoded {
    let v = if value.is_empty() {
        Err("empty value, not a record".to_string())
    } else {
        parse_record(value).and_then(|rec| record_json(&rec, Some(&s.fields), ""))
    };
    let v = v.map_err(|e| format!("not decoded with the topic's record type: {e}"));
    let k = match parse_record(key) {
        Ok(rec) if !rec.is_empty() => record_json(&rec, None, "").ok(),
        _ => None,
    };
    Decoded::new(v, k)
}

/// Encodes a JSON text as the `RecordValue` bytes of schema `s`; refuses (naming the field
/// and the type it expects) what does not fit.
pub fn encode_json(s: &Schema, json: &[u8]) -> Result<Bytes, FitError> {
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|e| FitError {
        field: "(value)".into(),
        expected: "a JSON object (the topic has a record type)".into(),
        got: format!("text that is not JSON ({e})"),
    })?;
    let rec = super::schema_encode::encode_record(&v, &s.fields, "")?;
    Ok(rec.encode_to_vec().into())
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
