//! Several topics at once: Space marks topics and channels, `D` deletes the marked ones
//! together after one confirmation (type how many), `c` shows only closed, consumed
//! channels, `X` proposes deleting the closed, consumed channels older than an hour.

use super::super::dialog::Dialog;
use super::super::model::{Level, Model, Overlay, TreeRow};
use super::super::msg::{Effect, WorkerCmd};
use super::nav;
use crate::client::{ChannelFilter, Consumed, Protocol, TopicName};
use crate::time::format_duration;

/// What the quick clean-up proposes: closed, consumed channels at least this old.
pub const QUICK_CLEANUP_AGE_NS: i64 = crate::time::NS_PER_HOUR;

/// Space: marks or unmarks the selected topic, then selects the next row.
pub fn toggle_mark(m: &mut Model) {
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
        format!("{n} marked — Enter tails them merged, D deletes them together, Esc unmarks all"),
    );
}

/// Esc in the browser with marks: unmarks all. `false` when there was nothing to unmark.
pub fn clear_marks(m: &mut Model) -> bool {
    if m.browser.marked.is_empty() {
        return false;
    }
    m.browser.marked.clear();
    m.say(Level::Info, "marks cleared");
    true
}

/// `c`: only closed, consumed channels / everything.
pub fn toggle_done_filter(m: &mut Model) {
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
pub fn delete_marked(m: &mut Model) -> bool {
    if m.browser.marked.is_empty() {
        return false;
    }
    let topics: Vec<TopicName> = m.browser.marked.iter().cloned().collect();
    open_dialog(m, topics, None);
    true
}

/// `X`: marks exactly the closed, consumed channels older than an hour and asks to
/// delete them.
pub fn quick_cleanup(m: &mut Model) {
    let filter = ChannelFilter::done(Some(QUICK_CLEANUP_AGE_NS));
    let age = format_duration(QUICK_CLEANUP_AGE_NS);
    let topics: Vec<TopicName> = m
        .browser
        .topics
        .iter()
        .filter(|t| filter.matches(t, m.now))
        .map(|t| t.name.clone())
        .collect();
    if topics.is_empty() {
        let why = if m.protocol == Some(Protocol::Mq) {
            " (4.x has no channels)"
        } else {
            ""
        };
        m.say(
            Level::Info,
            format!("no closed, consumed channel older than {age}{why}"),
        );
        return;
    }
    m.browser.marked = topics.iter().cloned().collect();
    let lead = format!(
        "Quick clean-up: the {} closed, consumed channel{} older than {age}.",
        topics.len(),
        if topics.len() == 1 { "" } else { "s" }
    );
    open_dialog(m, topics, Some(lead));
}

/// Opens the confirmation, calling out open and unconsumed channels among `topics`.
fn open_dialog(m: &mut Model, topics: Vec<TopicName>, lead: Option<String>) {
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
        notes.push("SeaweedFS 4.x brokers may keep listing them for up to ~30 s".into());
    }
    let note = (!notes.is_empty()).then(|| notes.join("\n"));
    m.overlay = Some(Overlay::Dialog(Dialog::delete_many(topics, note)));
}

/// The answer to a delete of several topics: they leave the list and the marks, the
/// selection moves to the row after the first deleted one, a tail of one of them stops.
pub fn on_deleted_many(m: &mut Model, deleted: &[TopicName], cmds: &mut Vec<Effect>) {
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
pub fn deleted_many_text(deleted: usize, failed: &[(TopicName, String)]) -> String {
    let mut s = format!(
        "deleted {deleted} topic{}",
        if deleted == 1 { "" } else { "s" }
    );
    if let Some((t, e)) = failed.first() {
        s.push_str(&format!("; {} failed ({t}: {e})", failed.len()));
    }
    s
}
