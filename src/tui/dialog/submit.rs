//! A dialog's submit: its fields validated into what to do ([`Submit`]), or the error
//! shown inline.

use bytes::Bytes;

use super::{Dialog, DialogKind, FieldId, Submit};
use crate::client::{OutMessage, TopicName};
use crate::time::parse_spec_in;

impl Dialog {
    /// Validates the fields and says what to do; `Err` is shown inline.
    pub fn submit(&self, now_ns: i64) -> Result<Submit, String> {
        match &self.kind {
            DialogKind::Publish => {
                let topic =
                    TopicName::parse(self.get(FieldId::Topic).trim()).map_err(|e| e.to_string())?;
                let headers = parse_headers(self.get(FieldId::Headers))?;
                let count_s = self.get(FieldId::Count).trim();
                let count: usize = if count_s.is_empty() {
                    1
                } else {
                    count_s
                        .parse()
                        .map_err(|_| format!("invalid count {count_s:?}"))?
                };
                if !(1..=100_000).contains(&count) {
                    return Err(format!("count must be 1-100000, not {count}"));
                }
                let m = OutMessage {
                    key: Bytes::copy_from_slice(self.get(FieldId::Key).as_bytes()),
                    value: Bytes::copy_from_slice(self.get(FieldId::Value).as_bytes()),
                    headers,
                    ts_ns: None,
                    is_close: false,
                };
                Ok(Submit::Publish(topic, vec![m; count]))
            }
            DialogKind::CloseChannel(n) => Ok(Submit::CloseChannel(n.clone())),
            DialogKind::Delete(t) => {
                if self.get(FieldId::Confirm) == t.to_string() {
                    Ok(Submit::Delete(t.clone()))
                } else {
                    Ok(Submit::Nothing)
                }
            }
            DialogKind::Columns => Ok(Submit::Columns(crate::fields::parse_list(
                self.get(FieldId::Columns),
            ))),
            DialogKind::DeleteMany(ts) => {
                if self.fields.iter().any(|f| f.spec.id == FieldId::Age) {
                    parse_age(self.get(FieldId::Age))?;
                }
                if !ts.is_empty() && self.get(FieldId::Confirm).trim() == ts.len().to_string() {
                    Ok(Submit::DeleteMany(ts.clone()))
                } else {
                    Ok(Submit::Nothing)
                }
            }
            DialogKind::Find(t, window) => crate::tui::find::submit(self, t, *window),
            DialogKind::GoToTime => parse_spec_in(self.get(FieldId::Time), now_ns, self.utc)
                .map(Submit::GoTo)
                .map_err(|e| format!("invalid time {:?}: {}", e.input, e.reason)),
        }
    }
}

/// Parses the age of the quick clean-up (as `--older-than`), with an error naming it.
pub(crate) fn parse_age(s: &str) -> Result<i64, String> {
    if s.trim().is_empty() {
        return Err("type an age: 1h, 30m, 2d".into());
    }
    crate::time::parse_duration(s.trim())
        .map_err(|e| format!("invalid age {:?}: {e} (e.g. 1h, 30m, 2d)", s.trim()))
}

/// Parses `k=v` lines (blank lines skipped) into sorted headers.
pub(super) fn parse_headers(s: &str) -> Result<Vec<(String, Bytes)>, String> {
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("header line {}: {line:?} is not k=v", i + 1));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("header line {}: empty name", i + 1));
        }
        out.push((k.to_string(), Bytes::copy_from_slice(v.as_bytes())));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
