//! Dialogs built from field descriptors: publish, close-channel and delete confirmations,
//! and the go-to-time prompt. Fields are found by their [`FieldId`], never by position.

use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::client::{OutMessage, TopicName};
use crate::time::{TimeSpec, parse_spec_in};

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    /// Target topic `ns/topic`.
    Topic,
    /// Message key.
    Key,
    /// Headers, one `k=v` per line.
    Headers,
    /// Message value.
    Value,
    /// Repeat count.
    Count,
    /// The typed confirmation (the topic's full name).
    Confirm,
    /// A time SPEC.
    Time,
    /// JSON field paths, comma-separated.
    Columns,
    /// A search pattern (find in history).
    Pattern,
    /// Regex or fixed string (a choice).
    Syntax,
    /// Exact case or ignore case (a choice).
    Case,
    /// Where to search (a choice).
    Range,
    /// An age (`1h`, `30m`, `2d`), as `--older-than` takes it.
    Age,
}

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line.
    Line,
    /// Several lines (Alt+Enter or Ctrl+J inserts a newline).
    Multi,
    /// Digits only.
    Number,
    /// One of these texts: Space, ← and → cycle through them.
    Choice(&'static [&'static str]),
}

/// A field's description.
#[derive(Debug)]
pub struct FieldSpec {
    /// Its identity.
    pub id: FieldId,
    /// Its label.
    pub label: &'static str,
    /// How it is edited.
    pub kind: FieldKind,
    /// Shown under the field when focused.
    pub help: &'static str,
}

static TOPIC: FieldSpec = FieldSpec {
    id: FieldId::Topic,
    label: "Topic",
    kind: FieldKind::Line,
    help: "namespace/topic",
};
static KEY: FieldSpec = FieldSpec {
    id: FieldId::Key,
    label: "Key",
    kind: FieldKind::Line,
    help: "empty: no key",
};
static HEADERS: FieldSpec = FieldSpec {
    id: FieldId::Headers,
    label: "Headers",
    kind: FieldKind::Multi,
    help: "one k=v per line (Alt+Enter / Ctrl+J: new line)",
};
static VALUE: FieldSpec = FieldSpec {
    id: FieldId::Value,
    label: "Value",
    kind: FieldKind::Multi,
    help: "Alt+Enter / Ctrl+J: new line",
};
static COUNT: FieldSpec = FieldSpec {
    id: FieldId::Count,
    label: "Count",
    kind: FieldKind::Number,
    help: "how many copies to send (1-100000)",
};
static CONFIRM: FieldSpec = FieldSpec {
    id: FieldId::Confirm,
    label: "Type the full name",
    kind: FieldKind::Line,
    help: "Enter deletes only when it matches exactly",
};
static CONFIRM_COUNT: FieldSpec = FieldSpec {
    id: FieldId::Confirm,
    label: "Type the number of topics being deleted",
    kind: FieldKind::Number,
    help: "Enter deletes only when it matches exactly",
};
static AGE: FieldSpec = FieldSpec {
    id: FieldId::Age,
    label: "Older than (last message at least this old)",
    kind: FieldKind::Line,
    help: "1h, 30m, 2d, 1h30m (as --older-than); the list follows as you type",
};
static TIME: FieldSpec = FieldSpec {
    id: FieldId::Time,
    label: "Time",
    kind: FieldKind::Line,
    help: "16:40, 2026-11-26 16:40:00.123, -15m, RFC 3339, ns, earliest, latest",
};

static COLUMNS: FieldSpec = FieldSpec {
    id: FieldId::Columns,
    label: "JSON fields shown as columns",
    kind: FieldKind::Line,
    help: "comma-separated paths (customer.city, lines.0.qty); Tab completes; empty: none",
};

/// Which dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogKind {
    /// Publish messages.
    Publish,
    /// Seal a channel (a yes/no confirmation).
    CloseChannel(String),
    /// Delete a topic (type its name).
    Delete(TopicName),
    /// Delete several marked topics together (type how many).
    DeleteMany(Vec<TopicName>),
    /// Move the timeline cursor to a time.
    GoToTime,
    /// Pick JSON fields as tail columns.
    Columns,
    /// Find in a topic's history (the timeline's visible window is the second range).
    Find(TopicName, (i64, i64)),
}

/// One field with its text.
#[derive(Debug, Clone)]
pub struct Field {
    /// The descriptor.
    pub spec: &'static FieldSpec,
    /// The text.
    pub text: String,
    /// Prefilled and untouched: the first typed character replaces it.
    pub fresh: bool,
    /// The help line in place of the descriptor's (e.g. an example with today's date).
    pub help: Option<String>,
}

/// An open dialog.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Which one.
    pub kind: DialogKind,
    /// Its fields.
    pub fields: Vec<Field>,
    /// The focused field.
    pub focus: usize,
    /// A validation or request error, shown inline.
    pub error: Option<String>,
    /// A note (e.g. 4.x listing delay).
    pub note: Option<String>,
    /// The request sent for it, while in flight (submits are blocked).
    pub in_flight: Option<u64>,
    /// Times without a zone are UTC (`--utc`, `u`), else local time.
    pub utc: bool,
    /// What Tab completes the focused field from (JSON paths seen); empty: Tab moves.
    pub completions: Vec<String>,
}

/// What a key did to a dialog.
#[derive(Debug, PartialEq)]
pub enum DialogKey {
    /// Edited or moved; nothing to do.
    Edited,
    /// Enter: validate and submit.
    Submit,
    /// Esc: close.
    Cancel,
    /// Not for the dialog.
    Ignored,
}

/// What a valid submit asks for.
#[derive(Debug, PartialEq)]
pub enum Submit {
    /// Publish these messages to the topic.
    Publish(TopicName, Vec<OutMessage>),
    /// Close the channel.
    CloseChannel(String),
    /// Delete the topic.
    Delete(TopicName),
    /// Delete these topics.
    DeleteMany(Vec<TopicName>),
    /// Go to the time.
    GoTo(TimeSpec),
    /// Show these JSON fields as columns.
    Columns(Vec<String>),
    /// Search the history.
    Find(Box<super::find::FindRequest>),
    /// Nothing (e.g. the confirmation does not match).
    Nothing,
}

impl Dialog {
    pub(super) fn with(kind: DialogKind, specs: &[&'static FieldSpec]) -> Self {
        Dialog {
            kind,
            fields: specs
                .iter()
                .map(|s| Field {
                    spec: s,
                    text: String::new(),
                    fresh: false,
                    help: None,
                })
                .collect(),
            focus: 0,
            error: None,
            note: None,
            in_flight: None,
            utc: false,
            completions: Vec::new(),
        }
    }

    /// The publish dialog, targeting `topic` when given.
    /// `headers`: whether the broker keeps headers (2.x); 4.x has none, so no field.
    pub fn publish(topic: Option<&TopicName>, headers: bool) -> Self {
        let fields: &[&'static FieldSpec] = if headers {
            &[&TOPIC, &KEY, &HEADERS, &VALUE, &COUNT]
        } else {
            &[&TOPIC, &KEY, &VALUE, &COUNT]
        };
        let mut d = Dialog::with(DialogKind::Publish, fields);
        if let Some(t) = topic {
            d.set(FieldId::Topic, &t.to_string());
            d.focus = 1;
        }
        d.set(FieldId::Count, "1");
        d
    }

    /// The close-channel confirmation.
    pub fn close_channel(name: &str) -> Self {
        Dialog::with(DialogKind::CloseChannel(name.to_string()), &[])
    }

    /// The delete confirmation; `note` says what the user should know (4.x delay).
    pub fn delete(topic: &TopicName, note: Option<String>) -> Self {
        let mut d = Dialog::with(DialogKind::Delete(topic.clone()), &[&CONFIRM]);
        d.note = note;
        d
    }

    /// The confirmation of a delete of several topics; `note` says what the user should
    /// know (open or unconsumed channels among them, the 4.x delay).
    pub fn delete_many(topics: Vec<TopicName>, note: Option<String>) -> Self {
        let mut d = Dialog::with(DialogKind::DeleteMany(topics), &[&CONFIRM_COUNT]);
        d.note = note;
        d
    }

    /// The quick clean-up: [`Dialog::delete_many`] with the age it selected by (`age`,
    /// editable: the list follows it) above the count to type, which has the focus.
    pub fn cleanup(topics: Vec<TopicName>, age: &str, note: Option<String>) -> Self {
        let mut d = Dialog::with(DialogKind::DeleteMany(topics), &[&AGE, &CONFIRM_COUNT]);
        d.set(FieldId::Age, age);
        d.focus = 1;
        d.note = note;
        d
    }

    /// The go-to-time prompt, prefilled with `at` (the cursor's time, exact to the ns) in
    /// the zone shown; its example uses the date of `now_ns`.
    pub fn go_to_time(at: i64, now_ns: i64, utc: bool) -> Self {
        let mut d = Dialog::with(DialogKind::GoToTime, &[&TIME]);
        d.utc = utc;
        let zone = if utc { "UTC" } else { "local time" };
        let today = crate::time::format_date(now_ns, utc);
        if let Some(f) = d.fields.first_mut() {
            f.text = crate::time::format_datetime_exact(at, utc);
            f.fresh = true;
            f.help = Some(format!(
                "e.g. 16:40 (today), {today} 16:40:05.250, -15m, earliest, latest ({zone})"
            ));
        }
        d
    }

    /// The field-columns prompt: `current` columns, completion from `seen` paths.
    pub fn columns(current: &[String], seen: Vec<String>) -> Self {
        let mut d = Dialog::with(DialogKind::Columns, &[&COLUMNS]);
        d.set(FieldId::Columns, &current.join(", "));
        if seen.is_empty() {
            d.note = Some("no JSON objects among the records shown: nothing to complete".into());
        }
        d.completions = seen;
        d
    }

    /// Tab in a field with completions: completes its last item; lists the matches.
    fn complete(&mut self) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        let (text, hits) = crate::fields::complete(&f.text, &self.completions);
        f.text = text;
        f.help = Some(match hits.len() {
            0 => "no field starts so".to_string(),
            1 => f.spec.help.to_string(),
            n => {
                let shown: Vec<&str> = hits.iter().take(8).map(String::as_str).collect();
                let more = if n > 8 { " …" } else { "" };
                format!("{n} fields: {}{more}", shown.join(" "))
            }
        });
    }

    /// The title.
    pub fn title(&self) -> String {
        match &self.kind {
            DialogKind::Publish => "Publish".into(),
            DialogKind::CloseChannel(n) => format!("Close channel {n}"),
            DialogKind::Delete(t) => format!("Delete {t}"),
            DialogKind::DeleteMany(ts) => format!("Delete {} topics", ts.len()),
            DialogKind::GoToTime => "Go to time".into(),
            DialogKind::Columns => "Columns".into(),
            DialogKind::Find(t, _) => format!("Find in the history of {t}"),
        }
    }

    /// The text of a field ("" when the dialog has no such field).
    pub fn get(&self, id: FieldId) -> &str {
        self.fields
            .iter()
            .find(|f| f.spec.id == id)
            .map_or("", |f| f.text.as_str())
    }

    /// Sets a field's text.
    pub fn set(&mut self, id: FieldId, text: &str) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.spec.id == id) {
            f.text = text.to_string();
        }
    }

    /// Applies a key to the focused field.
    pub fn key(&mut self, ev: &KeyEvent) -> DialogKey {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let kind = self.fields.get(self.focus).map(|f| f.spec.kind);
        match ev.code {
            KeyCode::Esc => return DialogKey::Cancel,
            KeyCode::Enter if alt && kind == Some(FieldKind::Multi) => self.insert('\n'),
            KeyCode::Char('j') if ctrl && kind == Some(FieldKind::Multi) => self.insert('\n'),
            KeyCode::Enter => return DialogKey::Submit,
            KeyCode::Char('y') if self.fields.is_empty() => return DialogKey::Submit,
            KeyCode::Char('n') if self.fields.is_empty() => return DialogKey::Cancel,
            KeyCode::Tab if !self.completions.is_empty() => self.complete(),
            KeyCode::Tab | KeyCode::Down if !self.fields.is_empty() => {
                self.focus = (self.focus + 1) % self.fields.len();
            }
            KeyCode::BackTab | KeyCode::Up if !self.fields.is_empty() => {
                self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
            }
            KeyCode::Backspace => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.text.pop();
                }
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if self.cycle(ev.code) => {}
            KeyCode::Left | KeyCode::Right | KeyCode::End => {} // keep the prefill, edit it
            KeyCode::Char('u') if ctrl => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.text.clear();
                }
            }
            KeyCode::Char(c) if !ctrl => self.insert(c),
            _ => return DialogKey::Ignored,
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.fresh = false;
        }
        self.error = None;
        DialogKey::Edited
    }

    /// Space, ← or → on a choice field: the next (← previous) option. `false`: not a choice.
    fn cycle(&mut self, code: KeyCode) -> bool {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return false;
        };
        let FieldKind::Choice(options) = f.spec.kind else {
            return false;
        };
        let i = options.iter().position(|o| *o == f.text).unwrap_or(0);
        let n = options.len().max(1);
        let j = (if code == KeyCode::Left {
            i + n - 1
        } else {
            i + 1
        }) % n;
        f.text = options.get(j).unwrap_or(&"").to_string();
        true
    }

    fn insert(&mut self, c: char) {
        if let Some(f) = self.fields.get_mut(self.focus) {
            let choice = matches!(f.spec.kind, FieldKind::Choice(_));
            if choice || (f.spec.kind == FieldKind::Number && !c.is_ascii_digit()) {
                return;
            }
            if f.fresh {
                f.text.clear();
            }
            f.text.push(c);
        }
    }

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
            DialogKind::Find(t, window) => super::find::submit(self, t, *window),
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
pub(crate) fn parse_headers(s: &str) -> Result<Vec<(String, Bytes)>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn type_in(d: &mut Dialog, s: &str) {
        for c in s.chars() {
            d.key(&key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn publish_builds_messages_from_fields() {
        let t = TopicName::parse("demo/orders").unwrap();
        let mut d = Dialog::publish(Some(&t), true);
        assert_eq!(d.fields[d.focus].spec.id, FieldId::Key);
        type_in(&mut d, "k1");
        d.key(&key(KeyCode::Tab));
        type_in(&mut d, "b=2");
        d.key(&KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        type_in(&mut d, "a=1");
        d.key(&key(KeyCode::Tab));
        type_in(&mut d, "line1");
        d.key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
        type_in(&mut d, "line2");
        d.key(&key(KeyCode::Tab));
        d.key(&key(KeyCode::Backspace));
        type_in(&mut d, "x3");
        assert_eq!(d.get(FieldId::Count), "3");
        assert_eq!(d.key(&key(KeyCode::Enter)), DialogKey::Submit);
        let Ok(Submit::Publish(topic, msgs)) = d.submit(0) else {
            panic!("not a publish")
        };
        assert_eq!(topic, t);
        assert_eq!(msgs.len(), 3);
        assert_eq!(&msgs[0].key[..], b"k1");
        assert_eq!(&msgs[0].value[..], b"line1\nline2");
        assert_eq!(msgs[0].headers[0].0, "a");
        assert_eq!(&msgs[0].headers[1].1[..], b"2");
    }

    #[test]
    fn publish_errors_name_the_field() {
        let mut d = Dialog::publish(None, true);
        type_in(&mut d, "nope");
        assert!(d.submit(0).unwrap_err().contains("NAMESPACE/TOPIC"));
        d.set(FieldId::Topic, "a/b");
        d.set(FieldId::Headers, "novalue");
        assert!(d.submit(0).unwrap_err().contains("not k=v"));
        d.set(FieldId::Headers, "");
        d.set(FieldId::Count, "0");
        assert!(d.submit(0).unwrap_err().contains("count"));
    }

    #[test]
    fn deleting_several_requires_their_number() {
        let ts = vec![
            TopicName::channel("a").unwrap(),
            TopicName::channel("b").unwrap(),
        ];
        let mut d = Dialog::delete_many(ts.clone(), None);
        assert_eq!(d.title(), "Delete 2 topics");
        type_in(&mut d, "1");
        assert_eq!(d.submit(0), Ok(Submit::Nothing));
        d.key(&key(KeyCode::Backspace));
        type_in(&mut d, "x2");
        assert_eq!(d.get(FieldId::Confirm), "2", "digits only");
        assert_eq!(d.submit(0), Ok(Submit::DeleteMany(ts)));
    }

    #[test]
    fn delete_requires_the_exact_name() {
        let t = TopicName::parse("chan/x").unwrap();
        let mut d = Dialog::delete(&t, None);
        type_in(&mut d, "chan/");
        assert_eq!(d.submit(0), Ok(Submit::Nothing));
        type_in(&mut d, "x");
        assert_eq!(d.submit(0), Ok(Submit::Delete(t)));
    }

    #[test]
    fn go_to_time_is_prefilled_and_typing_replaces_the_prefill() {
        let at = 1_764_198_652_123_456_789; // 2025-11-26T23:10:52.123456789Z
        let mut d = Dialog::go_to_time(at, at, true);
        assert_eq!(d.get(FieldId::Time), "2025-11-26 23:10:52.123456789Z");
        assert!(
            d.fields[0]
                .help
                .as_ref()
                .unwrap()
                .contains("2025-11-26 16:40")
        );
        // Enter on the prefill goes exactly where the cursor is.
        assert_eq!(d.submit(at), Ok(Submit::GoTo(TimeSpec::At(at))));
        // Backspace edits the prefill; a typed character replaces an untouched one.
        d.key(&key(KeyCode::Backspace));
        assert_eq!(d.get(FieldId::Time), "2025-11-26 23:10:52.123456789");
        let mut d = Dialog::go_to_time(at, at, true);
        type_in(&mut d, "23:10");
        assert_eq!(d.get(FieldId::Time), "23:10");
        assert_eq!(
            d.submit(at),
            Ok(Submit::GoTo(TimeSpec::At(at - 52_123_456_789)))
        );
    }

    #[test]
    fn go_to_time_parses_every_spec() {
        let mut d = Dialog::go_to_time(0, 0, true);
        type_in(&mut d, "-15m");
        assert_eq!(
            d.submit(1_000 * 60_000_000_000),
            Ok(Submit::GoTo(TimeSpec::At(985 * 60_000_000_000)))
        );
        d.set(FieldId::Time, "yesterday");
        assert!(d.submit(0).unwrap_err().contains("yesterday"));
        d.set(FieldId::Time, "earliest");
        assert_eq!(d.submit(0), Ok(Submit::GoTo(TimeSpec::Earliest)));
    }
}
