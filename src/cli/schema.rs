//! Schemas in the CLI: `describe`'s schema table and JSON, and `publish` encoding JSON
//! objects into `RecordValue`s on a schematized 4.x topic.

use serde_json::json;

use super::error::{CliError, CliResult, client_error};
use crate::client::mq::schema::encode_json;
use crate::client::{
    Client, ClientError, OutMessage, Schema, TopicName, schema_rows, schema_table,
};

/// The schema `publish` encodes values with: the topic's record type, unless `raw` or the
/// topic has none (or does not exist yet: it is created without one).
pub(super) async fn for_publish(
    client: &Client,
    topic: &TopicName,
    raw: bool,
    what: &str,
) -> CliResult<Option<Schema>> {
    if raw {
        return Ok(None);
    }
    match client.schema(topic).await {
        Ok(s) => Ok(s),
        Err(ClientError::TopicNotFound(_)) => Ok(None),
        Err(e) => Err(client_error(
            &format!("{what}: reading its schema"),
            Some(client),
            e,
        )),
    }
}

/// Encodes the value of `m` (a JSON object) with `schema`; the error names the field and
/// the type it expects, and says how to publish raw bytes instead.
pub(super) fn encode(schema: Option<&Schema>, mut m: OutMessage) -> Result<OutMessage, String> {
    if let Some(s) = schema {
        m.value = encode_json(s, &m.value).map_err(|e| {
            format!("{e} (the topic has a record type; --no-schema publishes raw bytes)")
        })?;
    }
    Ok(m)
}

/// [`encode`] over VALUE arguments: all are checked before anything is published.
pub(super) fn encode_all(
    schema: Option<&Schema>,
    msgs: Vec<OutMessage>,
    what: &str,
) -> CliResult<Vec<OutMessage>> {
    msgs.into_iter()
        .enumerate()
        .map(|(i, m)| {
            encode(schema, m).map_err(|e| {
                CliError::runtime(format!(
                    "{what}: value {}: {e}; nothing was published",
                    i + 1
                ))
            })
        })
        .collect()
}

/// The schema lines of `describe` (nothing when the topic has none).
pub(super) fn describe_lines(s: Option<&Schema>) -> Vec<String> {
    let Some(s) = s else {
        return Vec::new();
    };
    let format = if s.format.is_empty() {
        "(not set)"
    } else {
        s.format.as_str()
    };
    let mut out = vec![
        String::new(),
        format!("schema      {} fields, format {format}", s.fields.len()),
    ];
    if !s.key_columns.is_empty() {
        out.push(format!("key         {}", s.key_columns.join(", ")));
    }
    out.push(String::new());
    out.extend(schema_table(s));
    out
}

/// The `schema` member of `describe --format json` (null without one).
pub(super) fn describe_json(s: Option<&Schema>) -> serde_json::Value {
    match s {
        None => serde_json::Value::Null,
        Some(s) => json!({
            "format": s.format,
            "key_columns": s.key_columns,
            "fields": s.fields,
            "rows": schema_rows(s),
        }),
    }
}
