//! Dialogs built from field descriptors: publish, close-channel and delete confirmations,
//! and the go-to-time prompt. Fields are found by their [`FieldId`], never by position.

use crossterm::event::KeyEvent;

use super::keymap::{self, Action, Ctx};

mod submit;
#[cfg(test)]
mod tests;

pub(crate) use submit::parse_age;

use crate::client::{OutMessage, TopicName};
use crate::time::TimeSpec;

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
    /// Shown under the field when focused; `{keys}` stands for the keys of `keys`.
    pub help: &'static str,
    /// The binding whose keys the help names (`Enter deletes…`), from the key table.
    pub(crate) keys: Option<(Ctx, Action)>,
}

impl FieldSpec {
    /// The help, with the keys it names.
    pub fn help_text(&self) -> String {
        match self.keys {
            Some((ctx, a)) => self.help.replace("{keys}", &keymap::hint_keys(ctx, a)),
            None => self.help.to_string(),
        }
    }
}

static TOPIC: FieldSpec = FieldSpec {
    id: FieldId::Topic,
    label: "Topic",
    kind: FieldKind::Line,
    help: "namespace/topic",
    keys: None,
};
static KEY: FieldSpec = FieldSpec {
    id: FieldId::Key,
    label: "Key",
    kind: FieldKind::Line,
    help: "empty: no key",
    keys: None,
};
static HEADERS: FieldSpec = FieldSpec {
    id: FieldId::Headers,
    label: "Headers",
    kind: FieldKind::Multi,
    help: "one k=v per line ({keys}: new line)",
    keys: Some((Ctx::Multi, Action::Newline)),
};
static VALUE: FieldSpec = FieldSpec {
    id: FieldId::Value,
    label: "Value",
    kind: FieldKind::Multi,
    help: "{keys}: new line",
    keys: Some((Ctx::Multi, Action::Newline)),
};
static COUNT: FieldSpec = FieldSpec {
    id: FieldId::Count,
    label: "Count",
    kind: FieldKind::Number,
    help: "how many copies to send (1-100000)",
    keys: None,
};
static CONFIRM: FieldSpec = FieldSpec {
    id: FieldId::Confirm,
    label: "Type the full name",
    kind: FieldKind::Line,
    help: "{keys} deletes only when it matches exactly",
    keys: Some((Ctx::Delete, Action::Submit)),
};
static CONFIRM_COUNT: FieldSpec = FieldSpec {
    id: FieldId::Confirm,
    label: "Type the number of topics being deleted",
    kind: FieldKind::Number,
    help: "{keys} deletes only when it matches exactly",
    keys: Some((Ctx::DeleteMany, Action::Submit)),
};
static AGE: FieldSpec = FieldSpec {
    id: FieldId::Age,
    label: "Older than (last message at least this old)",
    kind: FieldKind::Line,
    help: "1h, 30m, 2d, 1h30m (as --older-than); the list follows as you type",
    keys: None,
};
static TIME: FieldSpec = FieldSpec {
    id: FieldId::Time,
    label: "Time",
    kind: FieldKind::Line,
    help: "16:40, 2026-11-26 16:40:00.123, -15m, RFC 3339, ns, earliest, latest",
    keys: None,
};

static COLUMNS: FieldSpec = FieldSpec {
    id: FieldId::Columns,
    label: "JSON fields shown as columns",
    kind: FieldKind::Line,
    help: "comma-separated paths (customer.city, lines.0.qty); {keys} completes; empty: none",
    keys: Some((Ctx::Columns, Action::Complete)),
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
            1 => f.spec.help_text(),
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

    /// The key context of the dialog's kind: its own keys, and its footer's.
    pub(crate) fn key_ctx(&self) -> Ctx {
        match self.kind {
            DialogKind::Publish => Ctx::Publish,
            DialogKind::CloseChannel(_) => Ctx::Confirm,
            DialogKind::Delete(_) => Ctx::Delete,
            DialogKind::DeleteMany(_) => Ctx::DeleteMany,
            DialogKind::GoToTime => Ctx::GoTo,
            DialogKind::Columns => Ctx::Columns,
            DialogKind::Find(..) => Ctx::FindPrompt,
        }
    }

    /// The key contexts in effect, most specific first: the kind's, the focused field's
    /// (several lines, a choice), then every field's.
    pub(crate) fn contexts(&self) -> Vec<Ctx> {
        let focused = self.fields.get(self.focus).map(|f| f.spec.kind);
        let mut out = vec![self.key_ctx()];
        match focused {
            Some(FieldKind::Multi) => out.push(Ctx::Multi),
            Some(FieldKind::Choice(_)) => out.push(Ctx::Choice),
            _ => {}
        }
        if focused.is_some() {
            out.push(Ctx::Form);
        }
        out
    }

    /// Applies a key: a binding of the dialog's contexts, else typing into the focused
    /// field.
    pub fn key(&mut self, ev: &KeyEvent) -> DialogKey {
        let n = self.fields.len();
        match keymap::action_of(ev, &self.contexts()) {
            Some(Action::Cancel) => return DialogKey::Cancel,
            Some(Action::Submit) => return DialogKey::Submit,
            Some(Action::Newline) => self.insert('\n'),
            Some(Action::Complete) if !self.completions.is_empty() => self.complete(),
            Some(Action::Complete | Action::NextField) if n > 0 => {
                self.focus = (self.focus + 1) % n;
            }
            Some(Action::PrevField) if n > 0 => self.focus = (self.focus + n - 1) % n,
            Some(Action::NextChoice) => self.cycle(true),
            Some(Action::PrevChoice) => self.cycle(false),
            Some(Action::DeleteBack) => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.text.pop();
                }
            }
            Some(Action::KeepText) => {} // the prefill stays: typing edits it
            Some(Action::ClearField) => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.text.clear();
                }
            }
            Some(_) => return DialogKey::Ignored,
            None => match keymap::typed(ev) {
                Some(c) => self.insert(c),
                None => return DialogKey::Ignored,
            },
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.fresh = false;
        }
        self.error = None;
        DialogKey::Edited
    }

    /// A choice field: the next option (`forward`) or the previous one, wrapping; nothing
    /// on another field.
    fn cycle(&mut self, forward: bool) {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return;
        };
        let FieldKind::Choice(options) = f.spec.kind else {
            return;
        };
        let i = options.iter().position(|o| *o == f.text).unwrap_or(0);
        let n = options.len().max(1);
        let j = (if forward { i + 1 } else { i + n - 1 }) % n;
        f.text = options.get(j).unwrap_or(&"").to_string();
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
}
