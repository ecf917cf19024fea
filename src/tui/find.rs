//! Find in history (`F`): the search's state in the model, its prompt (a dialog built
//! from field descriptors) and the pure helpers the results list is drawn with.
//!
//! The search itself is [`crate::client::Client::grep`], run by the worker
//! ([`super::find_task`]); matches arrive in batches with the search's id (stale ones are
//! dropped), are kept in [`Find::results`] (in time order, across the whole history) and
//! drive the results list, the timeline's ticks and `n`/`N`.

use super::dialog::{Dialog, DialogKind, FieldId, FieldKind, FieldSpec, Submit};
use super::keymap::{self, Action, Ctx};
use super::msg::ReqId;
use crate::client::{GrepProgress, GrepQuery, Record, TopicName};
use crate::format::{human_bytes, human_count, preview};
use crate::matcher::Matcher;

/// The most matches one search keeps (it stops there and says so).
pub(crate) const MAX_RESULTS: usize = 10_000;

static PATTERN: FieldSpec = FieldSpec {
    id: FieldId::Pattern,
    label: "Pattern",
    kind: FieldKind::Line,
    help: "matched against key, value and headers of every record (binary values byte-wise)",
    keys: None,
};
const SYNTAXES: &[&str] = &["regex", "fixed string"];
static SYNTAX: FieldSpec = FieldSpec {
    id: FieldId::Syntax,
    label: "Pattern is a",
    kind: FieldKind::Choice(SYNTAXES),
    help: "{keys}: regex (Rust syntax) or fixed string",
    keys: Some((Ctx::Choice, Action::NextChoice)),
};
const CASES: &[&str] = &["exact case", "ignore case"];
static CASE: FieldSpec = FieldSpec {
    id: FieldId::Case,
    label: "Case",
    kind: FieldKind::Choice(CASES),
    help: "{keys}: exact case or ignore case",
    keys: Some((Ctx::Choice, Action::NextChoice)),
};
const RANGES: &[&str] = &["whole topic", "visible range"];
static RANGE: FieldSpec = FieldSpec {
    id: FieldId::Range,
    label: "Search",
    kind: FieldKind::Choice(RANGES),
    help: "{keys}: the whole topic, or the timeline's visible range",
    keys: Some((Ctx::Choice, Action::NextChoice)),
};

/// A search as asked for in the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct FindRequest {
    /// The topic.
    pub topic: TopicName,
    /// The pattern, options and range.
    pub query: GrepQuery,
    /// The range in words ("whole topic", "12:00:00 – 12:30:00").
    pub range: String,
}

/// The prompt for a search of `topic`, prefilled with the previous search's pattern and
/// options; `window` is the timeline's visible range (the second choice of range).
pub(crate) fn dialog(topic: &TopicName, window: (i64, i64), last: &GrepQuery, utc: bool) -> Dialog {
    let mut d = Dialog::with(
        DialogKind::Find(topic.clone(), window),
        &[&PATTERN, &SYNTAX, &CASE, &RANGE],
    );
    d.utc = utc;
    d.set(FieldId::Pattern, &last.pattern);
    d.set(FieldId::Syntax, SYNTAXES[usize::from(last.fixed)]);
    d.set(FieldId::Case, CASES[usize::from(last.ignore_case)]);
    d.set(FieldId::Range, RANGES[0]);
    let (a, b) = window;
    if let Some(f) = d.fields.iter_mut().find(|f| f.spec.id == FieldId::Range) {
        f.help = Some(format!(
            "{}: the whole topic, or the visible range {}",
            keymap::hint_keys(Ctx::Choice, Action::NextChoice),
            range_words(a, b, utc)
        ));
    }
    d
}

fn range_words(a: i64, b: i64, utc: bool) -> String {
    format!(
        "{} – {}",
        crate::time::format_datetime(a, utc),
        crate::time::format_datetime(b, utc)
    )
}

/// Validates the prompt: a pattern that compiles (the same matcher as `swmq grep`).
pub(crate) fn submit(d: &Dialog, topic: &TopicName, window: (i64, i64)) -> Result<Submit, String> {
    let pattern = d.get(FieldId::Pattern).to_string();
    if pattern.is_empty() {
        return Err("type a pattern to search for".into());
    }
    let visible = d.get(FieldId::Range) == RANGES[1];
    let mut query = GrepQuery {
        pattern,
        fixed: d.get(FieldId::Syntax) == SYNTAXES[1],
        ignore_case: d.get(FieldId::Case) == CASES[1],
        max: Some(MAX_RESULTS),
        ..Default::default()
    };
    let range = if visible {
        (query.from, query.until) = (Some(window.0), Some(window.1));
        range_words(window.0, window.1, d.utc)
    } else {
        RANGES[0].to_string()
    };
    query.validate().map_err(|e| e.to_string())?;
    Ok(Submit::Find(Box::new(FindRequest {
        topic: topic.clone(),
        query,
        range,
    })))
}

/// Where a search is.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FindState {
    /// No search yet.
    #[default]
    Idle,
    /// Running.
    Running,
    /// Over; `complete`: the whole range was scanned.
    Done {
        /// The whole range was scanned (false: stopped at [`MAX_RESULTS`] or a partition
        /// could not be read).
        complete: bool,
    },
    /// Failed (why).
    Failed(String),
}

/// The find-in-history state: the last search and its results.
#[derive(Debug, Clone, Default)]
pub struct Find {
    /// The running (or last) search's id; events of another id are stale.
    pub id: Option<ReqId>,
    /// The topic searched.
    pub topic: Option<TopicName>,
    /// The search.
    pub query: GrepQuery,
    /// Its compiled pattern (highlights; the same one the search uses).
    pub matcher: Option<Matcher>,
    /// The range in words.
    pub range: String,
    /// The matches so far, in time order.
    pub results: Vec<Record>,
    /// The latest progress.
    pub progress: GrepProgress,
    /// Running, done or failed.
    pub state: FindState,
    /// What the search said on the way (a partition it could not read).
    pub notices: Vec<String>,
    /// The highlighted result in the list.
    pub sel: usize,
    /// The first result shown in the list.
    pub scroll: usize,
    /// The result the tail was last put on (`n`/`N` go on from there).
    pub current: Option<usize>,
    /// `n`/`N` in the tail step through the results (after landing on one; a `/` search
    /// takes them back).
    pub steering: bool,
}

impl Find {
    /// Whether a search is running.
    pub fn running(&self) -> bool {
        self.state == FindState::Running
    }

    /// The progress line: `12.0k records, 2.3 MiB scanned (40%), 3 matches, searching…`.
    pub fn progress_line(&self) -> String {
        let p = &self.progress;
        let records = p.records.max(self.results.len() as u64);
        let mut s = format!(
            "{} records, {} scanned",
            human_count(records),
            human_bytes(p.bytes)
        );
        if let Some(f) = p.fraction().filter(|_| self.running()) {
            s.push_str(&format!(" ({:.0}%)", f * 100.0));
        }
        let n = self.results.len();
        s.push_str(&format!(
            ", {} match{}",
            human_count(n as u64),
            if n == 1 { "" } else { "es" }
        ));
        s.push_str(match &self.state {
            FindState::Idle => "",
            FindState::Running => ", searching…",
            FindState::Done { complete: true } => ", done",
            FindState::Done { complete: false } if n >= MAX_RESULTS => {
                ", stopped at the first 10,000 matches (narrow the pattern or the range)"
            }
            FindState::Done { complete: false } => ", done, INCOMPLETE (see the notices)",
            FindState::Failed(_) => ", failed",
        });
        if let FindState::Failed(e) = &self.state {
            s.push_str(&format!(": {e}"));
        }
        s
    }

    /// The index of the first result after (`forward`) or before `ts_ns`; ties by
    /// partition against `partition`.
    pub fn result_from(&self, ts_ns: i64, partition: i32, forward: bool) -> Option<usize> {
        let key = |r: &Record| (r.ts_ns, r.partition);
        let at = (ts_ns, partition);
        if forward {
            self.results.iter().position(|r| key(r) > at)
        } else {
            self.results.iter().rposition(|r| key(r) < at)
        }
    }
}

/// The part of a matching record shown in the list: the value around its first match
/// (`…` where it is cut), or the first matching header `name=value`, at most `width`
/// characters.
pub(crate) fn snippet(r: &Record, q: &Matcher, width: usize) -> String {
    let width = width.max(8);
    let value = preview(r.shown_value(), 4096);
    let (text, at) = match q.ranges(&value).first() {
        Some((a, _)) => (value.clone(), Some(*a)),
        None => match r.headers.iter().find(|(k, v)| {
            q.is_match(k.as_bytes()) || q.is_match(v) // the header that matched
        }) {
            Some((k, v)) => {
                let h = format!("[{k}={}]", preview(v, 512));
                let at = q.ranges(&h).first().map(|(a, _)| *a);
                (h, at)
            }
            None => (value.clone(), None),
        },
    };
    let chars_before = at.map_or(0, |a| text[..a].chars().count());
    let lead = width / 3;
    let skip = match text.chars().count() <= width {
        true => 0, // it all fits
        false => chars_before.saturating_sub(lead),
    };
    let cut: String = text.chars().skip(skip).collect();
    let shown = if skip > 0 { format!("…{cut}") } else { cut };
    super::view::fit(&shown, width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn rec(key: &str, value: &[u8], headers: &[(&str, &str)]) -> Record {
        Record {
            topic: std::sync::Arc::new(TopicName::parse("a/b").unwrap()),
            partition: 0,
            offset: None,
            ts_ns: 1,
            key: Bytes::copy_from_slice(key.as_bytes()),
            value: Bytes::copy_from_slice(value),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), Bytes::copy_from_slice(v.as_bytes())))
                .collect(),
            is_close: false,
            decoded: None,
        }
    }

    fn m(p: &str) -> Matcher {
        GrepQuery::new(p).matcher().unwrap()
    }

    #[test]
    fn snippets_centre_the_match_and_fall_back_to_headers() {
        let long = format!("{}order-8812{}", "x".repeat(100), "y".repeat(100));
        let s = snippet(&rec("", long.as_bytes(), &[]), &m("8812"), 30);
        assert!(s.starts_with('…') && s.contains("order-8812"), "{s}");
        let s = snippet(&rec("", b"short order-8812", &[]), &m("8812"), 30);
        assert_eq!(s, "short order-8812");
        let s = snippet(
            &rec("", b"nothing", &[("trace", "id=8812")]),
            &m("8812"),
            40,
        );
        assert_eq!(s, "[trace=id=8812]");
        // A key match: the value's start.
        let s = snippet(&rec("k-8812", b"plain", &[]), &m("8812"), 40);
        assert_eq!(s, "plain");
    }

    #[test]
    fn the_prompt_builds_the_query_and_cycles_its_choices() {
        let t = TopicName::parse("a/b").unwrap();
        let mut d = dialog(&t, (100, 200), &GrepQuery::default(), true);
        assert_eq!(d.submit(0).unwrap_err(), "type a pattern to search for");
        for c in "ord-88".chars() {
            d.key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE);
        let space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        d.key(&tab);
        d.key(&space); // fixed string
        d.key(&tab);
        d.key(&KeyEvent::new(KeyCode::Right, KeyModifiers::NONE)); // ignore case
        d.key(&tab);
        d.key(&KeyEvent::new(KeyCode::Left, KeyModifiers::NONE)); // visible range
        d.key(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)); // no typing in a choice
        let Ok(Submit::Find(r)) = d.submit(0) else {
            panic!("a find")
        };
        assert_eq!(r.query.pattern, "ord-88");
        assert!(r.query.fixed && r.query.ignore_case);
        assert_eq!((r.query.from, r.query.until), (Some(100), Some(200)));
        assert_eq!(r.query.max, Some(MAX_RESULTS));
        // A bad regex is said in the prompt.
        let mut d = dialog(&t, (100, 200), &GrepQuery::new("a(b"), true);
        assert!(d.submit(0).unwrap_err().contains("a(b"));
        d.set(FieldId::Syntax, SYNTAXES[1]);
        assert!(d.submit(0).is_ok(), "a fixed string needs no escaping");
    }
}
