//! Find in history, in `update`: `F` opens the prompt, a submit starts the search in the
//! worker (cancelling the previous one), its batches fill the results list, Enter lands
//! on a result (the tail scrubbed there with records before and after it, the match
//! highlighted), and `n`/`N` go from result to result across the whole history.

use crossterm::event::KeyEvent;

use super::super::find::{self, FindRequest, FindState};
use super::super::keymap::{self, Action, Ctx};
use super::super::model::{Landing, Level, Model, Overlay, Pane};
use super::super::msg::{Effect, ReqId, WorkerCmd};
use super::super::query::{list_height, tail_window, target_topic};
use crate::client::{ClientError, GrepProgress, Record};

/// `F`: the prompt for the target topic (the timeline's window is the second range only
/// when the timeline shows that topic).
pub(crate) fn open(m: &mut Model) {
    let Some(topic) = target_topic(m) else {
        let f = keymap::hint_keys(Ctx::Browser, Action::FindHistory);
        m.say(
            Level::Info,
            format!("select a topic first: {f} finds in its history"),
        );
        return;
    };
    let window = if m.tail.topic.as_ref() == Some(&topic) {
        m.window()
    } else {
        let first = m.browser.info(&topic).and_then(|i| i.first_ts_ns());
        (first.unwrap_or(0), m.now)
    };
    let d = find::dialog(&topic, window, &m.find.query, m.utc);
    m.overlay = Some(Overlay::Dialog(d));
}

/// Starts a search: cancels the previous one, clears the results, opens the list.
pub(crate) fn start(m: &mut Model, req: FindRequest, cmds: &mut Vec<Effect>) {
    if let Some(old) = m.find.id.take()
        && m.find.running()
    {
        cmds.push(Effect::Worker(WorkerCmd::Cancel { id: old }));
    }
    let id = m.fresh_id();
    let matcher = req.query.matcher().ok();
    m.find = find::Find {
        id: Some(id),
        topic: Some(req.topic.clone()),
        query: req.query.clone(),
        matcher,
        range: req.range,
        state: FindState::Running,
        ..Default::default()
    };
    m.overlay = Some(Overlay::Find);
    cmds.push(Effect::Worker(WorkerCmd::Find {
        id,
        topic: req.topic,
        query: req.query,
    }));
}

/// A batch of matches (and progress) of search `id`; another id's are dropped.
pub(crate) fn on_found(m: &mut Model, id: ReqId, matches: Vec<Record>, p: Option<GrepProgress>) {
    if m.find.id != Some(id) {
        return;
    }
    let room = find::MAX_RESULTS.saturating_sub(m.find.results.len());
    m.find.results.extend(matches.into_iter().take(room));
    if let Some(p) = p {
        m.find.progress = p;
    }
}

/// Search `id` said something (a partition it could not read).
pub(crate) fn on_notice(m: &mut Model, id: ReqId, text: String) {
    if m.find.id == Some(id) {
        m.say(Level::Error, format!("find: {text}"));
        m.find.notices.push(text);
    }
}

/// Search `id` ended.
pub(crate) fn on_ended(m: &mut Model, id: ReqId, result: Result<bool, ClientError>) {
    if m.find.id != Some(id) {
        return;
    }
    let n = m.find.results.len();
    m.find.state = match result {
        Ok(complete) => {
            m.say(
                Level::Info,
                format!(
                    "find: {n} match{} in {}",
                    if n == 1 { "" } else { "es" },
                    m.find.range
                ),
            );
            FindState::Done { complete }
        }
        Err(e) => {
            m.say(Level::Error, format!("find failed: {e}"));
            FindState::Failed(e.to_string())
        }
    };
}

/// A key while the results list shows (the key table's `Find` context).
pub(crate) fn key(m: &mut Model, k: &KeyEvent, cmds: &mut Vec<Effect>) {
    let Some(b) = keymap::lookup(k, &[Ctx::Find]) else {
        return;
    };
    let n = m.find.results.len();
    let page = list_height(m);
    let sel = m.find.sel;
    match b.action {
        Action::Down => m.find.sel = (sel + 1).min(n.saturating_sub(1)),
        Action::Up => m.find.sel = sel.saturating_sub(1),
        Action::PageDown => m.find.sel = (sel + page).min(n.saturating_sub(1)),
        Action::PageUp => m.find.sel = sel.saturating_sub(page),
        Action::Top => m.find.sel = 0,
        Action::Live => m.find.sel = n.saturating_sub(1),
        Action::Open if n > 0 => land(m, sel, cmds),
        Action::FindHistory => open(m),
        Action::Back => m.overlay = None,
        Action::Quit => cmds.push(Effect::Quit),
        _ => {}
    }
    keep_visible(m);
}

fn keep_visible(m: &mut Model) {
    let h = list_height(m);
    let f = &mut m.find;
    if f.sel < f.scroll {
        f.scroll = f.sel;
    } else if f.sel >= f.scroll + h {
        f.scroll = f.sel + 1 - h;
    }
}

/// Lands the tail on result `i`: the cursor at its nanosecond, the record selected with
/// the records before it paged in ([`super::landing`]), the match highlighted with the
/// search's own matcher.
pub(crate) fn land(m: &mut Model, i: usize, cmds: &mut Vec<Effect>) {
    let Some(r) = m.find.results.get(i).cloned() else {
        return;
    };
    let l = Landing::new((*r.topic).clone(), r.ts_ns, r.partition, r.offset);
    super::landing::land(m, l, cmds);
    if m.scrub.landing.is_none() {
        return; // the topic is gone: said by land()
    }
    (m.find.current, m.find.sel, m.find.steering) = (Some(i), i, true);
    keep_visible(m);
    m.tail.search = m.find.query.pattern.clone();
    m.tail.literal = m.find.query.fixed;
    m.tail.search_error = None;
    m.tail.live.set_query(m.find.matcher.clone());
    if let Some(f) = &mut m.tail.frozen {
        f.set_query(m.find.matcher.clone());
    }
    let total = m.find.results.len();
    let more = if m.find.running() { "+" } else { "" };
    m.say(
        Level::Info,
        format!("match {} of {total}{more}: going there…", i + 1),
    );
}

/// Whether `n`/`N` in the tail step through the find results (after landing on one, in
/// the topic searched, until a `/` search takes them back).
pub(crate) fn steers(m: &Model) -> bool {
    m.find.steering
        && !m.find.results.is_empty()
        && m.tail.topic.is_some()
        && m.tail.topic == m.find.topic
        && m.tail.merged.is_empty()
}

/// `n` / `N`: the next (previous) result after the selected record, across the whole
/// history (the results, not only the loaded records).
pub(crate) fn step(m: &mut Model, forward: bool, cmds: &mut Vec<Effect>) {
    let current = m.find.current.and_then(|i| m.find.results.get(i));
    let current = current.map(|r| (r.ts_ns, r.partition));
    // While a landing is under way the tail does not show the result yet.
    let from = match m.scrub.landing.is_some() {
        true => current,
        false => selected(m).or(current),
    };
    let next = match from {
        Some((ts, p)) => m.find.result_from(ts, p, forward),
        None if forward => Some(0),
        None => m.find.results.len().checked_sub(1),
    };
    match next {
        Some(i) => land(m, i, cmds),
        None => {
            let n = m.find.results.len();
            let text = match (forward, m.find.running()) {
                (true, true) => format!("no later match yet ({n} so far; still searching)"),
                (true, false) => format!("that was the last match of {n}"),
                (false, _) => format!("that was the first match of {n}"),
            };
            m.say(Level::Info, text);
        }
    }
}

/// The selected tail record's time and partition (none while following).
fn selected(m: &Model) -> Option<(i64, i32)> {
    if m.tail.follow || m.focus != Pane::Tail {
        return None;
    }
    let (_, sel) = tail_window(m);
    let rows = m.tail.shown().rows(m.tail.filter);
    rows.record(sel).map(|(_, r)| (r.ts_ns, r.partition))
}
