//! Several topics at once: Space marks topics and channels, `D` deletes the marked ones
//! together after one confirmation (type how many), `c` shows only closed, consumed
//! channels (4.x: consumed topics), `X` proposes deleting the closed, consumed channels
//! (4.x: consumed topics) older than an age the dialog lets the user change (1h first).

use super::super::dialog::{Dialog, DialogKind, FieldId, parse_age};
use super::super::keymap::{self, Action, Ctx};
use super::super::model::{Level, Model, Overlay, TreeRow};
use super::super::msg::{Effect, WorkerCmd};
use super::nav;
use crate::client::{ChannelFilter, Consumed, Protocol, TopicName};

/// What the quick clean-up proposes by default: closed, consumed channels (4.x: consumed
/// topics) at least this old; the dialog lets the user change it.
pub(super) const QUICK_CLEANUP_AGE: &str = "1h";

/// Space: marks or unmarks the selected topic, then selects the next row.
pub(super) fn toggle_mark(m: &mut Model) {
    let Some(t) = m.browser.selected_topic().cloned() else {
        m.say(Level::Info, "select a topic or channel to mark");
        return;
    };
    if !m.browser.marked.remove(&t) {
        m.browser.marked.insert(t);
    }
    nav::browser_move(m, 1, false);
    let n = m.browser.marked.len();
    m.say(
        Level::Info,
        format!(
            "{n} marked — {} tails them merged, {} deletes them together, {} unmarks all",
            keymap::hint_keys(Ctx::Browser, Action::Open),
            keymap::hint_keys(Ctx::Global, Action::Delete),
            keymap::hint_keys(Ctx::Global, Action::Back)
        ),
    );
}

/// Esc in the browser with marks: unmarks all. `false` when there was nothing to unmark.
pub(super) fn clear_marks(m: &mut Model) -> bool {
    if m.browser.marked.is_empty() {
        return false;
    }
    m.browser.marked.clear();
    m.say(Level::Info, "marks cleared");
    true
}

/// `c`: only closed, consumed channels / everything.
pub(super) fn toggle_done_filter(m: &mut Model) {
    m.browser.done_only = !m.browser.done_only;
    m.browser.scroll = 0;
    nav::browser_reselect(m, None);
    m.say(
        Level::Info,
        if m.browser.done_only {
            "showing closed, consumed channels only (c: all)"
        } else {
            "showing all topics"
        },
    );
}

/// `D` with marks: the confirmation for all of them. `false` when nothing is marked.
pub(super) fn delete_marked(m: &mut Model) -> bool {
    if m.browser.marked.is_empty() {
        return false;
    }
    let topics: Vec<TopicName> = m.browser.marked.iter().cloned().collect();
    open_dialog(m, topics, None);
    true
}

/// `X`: marks exactly the closed, consumed channels (4.x: the topics a consumer group
/// read to the end) older than an hour and asks to delete them; the age is a field of the
/// dialog and the list follows it ([`on_cleanup_edited`]).
pub(super) fn quick_cleanup(m: &mut Model) {
    let Ok(age_ns) = parse_age(QUICK_CLEANUP_AGE) else {
        return;
    };
    let (topics, lead) = cleanup_selection(m, age_ns, QUICK_CLEANUP_AGE);
    if topics.is_empty() {
        m.say(Level::Info, format!("{lead} (X)"));
        return;
    }
    m.browser.marked = topics.iter().cloned().collect();
    let note = dialog_notes(m, &topics, Some(lead));
    m.overlay = Some(Overlay::Dialog(Dialog::cleanup(
        topics,
        QUICK_CLEANUP_AGE,
        note,
    )));
}

/// The topics the quick clean-up selects at `age_ns` (typed as `age`), and the line
/// saying so.
fn cleanup_selection(m: &Model, age_ns: i64, age: &str) -> (Vec<TopicName>, String) {
    let filter = ChannelFilter::done(Some(age_ns));
    let topics: Vec<TopicName> = m
        .browser
        .topics
        .iter()
        .filter(|t| filter.matches_done(t, m.now))
        .map(|t| t.name.clone())
        .collect();
    let (one, many) = if m.protocol == Some(Protocol::Mq) {
        ("topic", "topics")
    } else {
        ("closed, consumed channel", "closed, consumed channels")
    };
    let by = if m.protocol == Some(Protocol::Mq) {
        " a consumer group read to the end"
    } else {
        ""
    };
    let lead = match topics.len() {
        0 => format!("no {one}{by} older than {age}"),
        1 => format!("Quick clean-up: the 1 {one}{by} older than {age}."),
        n => format!("Quick clean-up: the {n} {many}{by} older than {age}."),
    };
    (topics, lead)
}

/// After an edit in the quick clean-up: the list (and the marks) follow the age typed; an
/// age that does not parse empties the list and says why (nothing can be deleted then).
pub(super) fn on_cleanup_edited(m: &mut Model) {
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        return;
    };
    if !d.fields.iter().any(|f| f.spec.id == FieldId::Age) {
        return;
    }
    let typed = d.get(FieldId::Age).trim().to_string();
    let (topics, note, error) = match parse_age(&typed) {
        Ok(ns) => {
            let (topics, lead) = cleanup_selection(m, ns, &typed);
            let note = dialog_notes(m, &topics, Some(lead));
            (topics, note, None)
        }
        Err(e) => (Vec::new(), None, Some(e)),
    };
    m.browser.marked = topics.iter().cloned().collect();
    if let Some(Overlay::Dialog(d)) = &mut m.overlay {
        d.kind = DialogKind::DeleteMany(topics);
        d.note = note;
        d.error = error;
    }
}

/// Opens the confirmation, calling out open and unconsumed channels among `topics`.
fn open_dialog(m: &mut Model, topics: Vec<TopicName>, lead: Option<String>) {
    let note = dialog_notes(m, &topics, lead);
    m.overlay = Some(Overlay::Dialog(Dialog::delete_many(topics, note)));
}

/// What the confirmation says above the list: `lead`, open and unconsumed channels (4.x:
/// topics no consumer group read to the end), the 4.x listing delay.
fn dialog_notes(m: &Model, topics: &[TopicName], lead: Option<String>) -> Option<String> {
    let mut notes: Vec<String> = lead.into_iter().collect();
    let channels = || {
        topics
            .iter()
            .filter(|t| t.is_channel())
            .filter_map(|t| m.browser.info(t))
    };
    let open = channels().filter(|i| !i.closed()).count();
    let unconsumed = channels()
        .filter(|i| i.closed() && i.consumed() != Consumed::Yes)
        .count();
    if open > 0 {
        notes.push(format!(
            "⚠ {open} OPEN channel(s) among them: writers may still use them."
        ));
    }
    if unconsumed > 0 {
        notes.push(format!(
            "⚠ {unconsumed} closed channel(s) nobody is known to have read through."
        ));
    }
    if m.protocol == Some(Protocol::Mq) {
        let unread = topics
            .iter()
            .filter_map(|t| m.browser.info(t))
            .filter(|i| i.consumed() != Consumed::Yes)
            .count();
        if unread > 0 {
            notes.push(format!(
                "⚠ {unread} topic(s) no consumer group is known to have read to the end."
            ));
        }
        notes.push("SeaweedFS 4.x brokers may keep listing them for up to ~30 s".into());
    }
    (!notes.is_empty()).then(|| notes.join("\n"))
}

/// The answer to a delete of several topics: they leave the list and the marks, the
/// selection moves to the row after the first deleted one, a tail of one of them stops.
pub(super) fn on_deleted_many(m: &mut Model, deleted: &[TopicName], cmds: &mut Vec<Effect>) {
    let rows = m.browser.rows();
    let old = rows
        .iter()
        .position(|r| matches!(r, TreeRow::Topic(i) if deleted.contains(&i.name)));
    m.browser.topics.retain(|i| !deleted.contains(&i.name));
    for t in deleted {
        m.browser.marked.remove(t);
    }
    if m.browser
        .selected_topic()
        .is_some_and(|t| deleted.contains(t))
    {
        m.browser.sel = None;
    }
    nav::browser_reselect(m, old);
    if m.tail.topic.as_ref().is_some_and(|t| deleted.contains(t)) {
        if let Some(id) = m.tail.sub.take() {
            cmds.push(Effect::Worker(WorkerCmd::Cancel { id }));
        }
        m.tail.topic = None;
        super::scrub::reset_tail_buffer(m);
        m.scrub = Default::default();
    }
    cmds.push(Effect::Worker(WorkerCmd::RefreshTopics));
}

/// The status line after a delete of several topics.
pub(super) fn deleted_many_text(deleted: usize, failed: &[(TopicName, String)]) -> String {
    let mut s = format!(
        "deleted {deleted} topic{}",
        if deleted == 1 { "" } else { "s" }
    );
    if let Some((t, e)) = failed.first() {
        s.push_str(&format!("; {} failed ({t}: {e})", failed.len()));
    }
    s
}
