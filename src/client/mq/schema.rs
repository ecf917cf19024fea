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
    /// The topic's schema (`None`: it has no record type), from its `topic.conf` in the
    /// filer; through the broker's `GetTopicConfiguration` only when the filer cannot be
    /// asked. 4.48's `GetTopicConfiguration` is not a plain read: it goes to the balancer,
    /// re-checks the partition assignments (rewriting `topic.conf` when it changes them),
    /// and a reader that sent it beside `GetPartitionRangeInfo` lost the records of an
    /// exact `--from` (docs/mq-4x-schemas.md); it also leaves `schema_format` out.
    pub async fn schema(&self, topic: &TopicName) -> Result<Option<Schema>, ClientError> {
        match self
            .filer()
            .lookup(&super::topic_dir(topic), "topic.conf")
            .await
        {
            Ok(Some(e)) => schema_from_conf(&e.content)
                .map_err(|detail| ClientError::invalid(format!("topic.conf of {topic}"), detail)),
            Ok(None) => Err(ClientError::TopicNotFound(topic.to_string())),
            Err(e) => {
                tracing::debug!("topic.conf of {topic} not read from the filer ({e})");
                self.schema_from_broker(topic).await
            }
        }
    }

    /// The schema through `GetTopicConfiguration` (see [`MqClient::schema`]).
    async fn schema_from_broker(&self, topic: &TopicName) -> Result<Option<Schema>, ClientError> {
        let req = GetTopicConfigurationRequest {
            topic: Some(pb_topic(topic)),
        };
        let r = match self.broker().get_topic_configuration(req).await {
            Ok(r) => r.into_inner(),
            // 4.48 on a topic without topic.conf: UNKNOWN, "failed to read topic
            // configuration: all filer connections failed, last error: filer: no entry is
            // found in filer store".
            Err(s) if is_missing_topic(&s) || s.message().contains("no entry is found") => {
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

/// The schema in a `topic.conf` (protojson of `ConfigureTopicResponse`, as the broker
/// writes it: lowerCamelCase names, enums as names; snake_case accepted too).
pub fn schema_from_conf(conf: &[u8]) -> Result<Option<Schema>, String> {
    use serde_json::Value as J;
    fn get<'a>(o: &'a J, camel: &str, snake: &str) -> Option<&'a J> {
        o.get(camel)
            .or_else(|| o.get(snake))
            .filter(|v| !v.is_null())
    }
    fn fields(rt: &J, depth: usize) -> Vec<SchemaField> {
        let list = get(rt, "fields", "fields").and_then(J::as_array);
        let mut v: Vec<SchemaField> = list
            .into_iter()
            .flatten()
            .map(|f| SchemaField {
                name: get(f, "name", "name")
                    .and_then(J::as_str)
                    .unwrap_or("")
                    .into(),
                index: get(f, "fieldIndex", "field_index")
                    .and_then(J::as_i64)
                    .unwrap_or(0) as i32,
                ty: get(f, "type", "type").map_or(FieldType::Unknown, |t| ty(t, depth + 1)),
                repeated: get(f, "isRepeated", "is_repeated") == Some(&J::Bool(true)),
                required: get(f, "isRequired", "is_required") == Some(&J::Bool(true)),
            })
            .collect();
        v.sort_by_key(|f| f.index);
        v
    }
    fn ty(t: &J, depth: usize) -> FieldType {
        if depth > 64 {
            return FieldType::Unknown;
        }
        if let Some(s) = get(t, "scalarType", "scalar_type") {
            let p = match s {
                J::String(n) => schema_pb::ScalarType::from_str_name(n),
                J::Number(n) => n
                    .as_i64()
                    .and_then(|i| schema_pb::ScalarType::try_from(i as i32).ok()),
                _ => None,
            };
            return p.map_or(FieldType::Unknown, |p| FieldType::Scalar(scalar_from(p)));
        }
        if let Some(r) = get(t, "recordType", "record_type") {
            return FieldType::Record(fields(r, depth));
        }
        if let Some(l) = get(t, "listType", "list_type") {
            let e = get(l, "elementType", "element_type");
            return FieldType::List(Box::new(e.map_or(FieldType::Unknown, |e| ty(e, depth + 1))));
        }
        FieldType::Unknown
    }
    let c: J = serde_json::from_slice(conf).map_err(|e| format!("not JSON: {e}"))?;
    let Some(rt) = get(&c, "messageRecordType", "message_record_type") else {
        return Ok(None);
    };
    let strings = |camel, snake| -> Vec<String> {
        get(&c, camel, snake)
            .and_then(J::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    Ok(Some(Schema {
        fields: fields(rt, 0),
        key_columns: strings("keyColumns", "key_columns"),
        format: get(&c, "schemaFormat", "schema_format")
            .and_then(J::as_str)
            .unwrap_or("")
            .to_string(),
    }))
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

#[cfg(test)]
#[path = "schema_fuzz.rs"]
mod fuzz;
