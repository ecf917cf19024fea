//! The pure state transition: `update(&mut Model, Msg) -> Vec<Effect>`. No I/O, no clock:
//! time comes in with `Msg::Tick`.

mod actions;
pub(crate) mod find;
pub mod landing;
mod marks;
pub(crate) mod nav;
mod paging;
mod prompts;
pub(crate) mod scrub;
mod worker_events;

#[cfg(test)]
mod tests;

use crossterm::event::{KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

use super::dialog::DialogKind;
use super::keymap::{self, Action, Ctx};
use super::layout;
use super::model::{ConnState, Level, Model, Overlay, Pane, SEC, Sel};
use super::msg::{Effect, Msg, Start, WorkerCmd};
use crate::client::TopicName;

/// Applies one message to the model and returns the side effects to perform.
pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut cmds = Vec::new();
    match msg {
        Msg::Key(k) => {
            if k.kind != KeyEventKind::Release {
                on_key(m, k, &mut cmds);
                m.dirty = true;
            }
        }
        Msg::Mouse(e) => on_mouse(m, e, &mut cmds),
        Msg::Resize(w, h) => {
            let old_w = m.size.0;
            m.size = (w, h);
            nav::browser_keep_visible(m);
            if w != old_w && m.scrub.hist.is_some() {
                // One bucket per column again at the new width.
                scrub::request_histogram(m, &mut cmds);
            }
            m.dirty = true;
        }
        Msg::Tick(now) => on_tick(m, now, &mut cmds),
        Msg::Worker(ev) => worker_events::on_event(m, ev, &mut cmds),
    }
    cmds
}

fn on_tick(m: &mut Model, now: i64, cmds: &mut Vec<Effect>) {
    let old = m.now;
    m.now = now;
    super::inspector::on_tick(m, cmds);
    if now / SEC != old / SEC {
        m.dirty = true; // ages and "now" move
    }
    let (since, count) = m.rate_window;
    if now - since >= SEC {
        let rate = count as f64 * SEC as f64 / (now - since) as f64;
        if rate != m.rate {
            m.dirty = true;
        }
        m.rate = rate;
        m.rate_window = (now, 0);
    }
    if let Some(s) = &m.status {
        if s.expired(now) {
            m.status = None;
            m.dirty = true;
        } else if s.fading(now) != s.fading(old) {
            m.dirty = true;
        }
    }
    scrub::slide_live_window(m, old);
    scrub::fire_resubscribe(m, cmds);
    scrub::refresh_histogram_if_due(m, cmds);
}

fn on_key(m: &mut Model, k: KeyEvent, cmds: &mut Vec<Effect>) {
    if keymap::action_of(&k, &[Ctx::Always]) == Some(Action::Quit) {
        quit(cmds);
        return;
    }
    if let Some(Overlay::Dialog(_)) = &m.overlay {
        prompts::dialog_key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Contexts { .. }) = &m.overlay {
        super::picker::key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Find) = &m.overlay {
        find::key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Inspector(_)) = &m.overlay {
        super::inspector::key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Help { .. }) = &m.overlay {
        prompts::help_key(m, &k);
        return;
    }
    if m.browser.editing {
        prompts::filter_key(m, &k);
        return;
    }
    if m.tail.searching {
        prompts::search_key(m, &k);
        return;
    }
    if matches!(
        m.conn,
        ConnState::Unreachable { .. } | ConnState::Connecting
    ) {
        // Only quit (Esc never does, not even here) and the picker: another context may be
        // the way out of an unreachable one.
        match keymap::action_of(&k, &[Ctx::Global]) {
            Some(Action::Quit) => quit(cmds),
            Some(Action::Contexts) => super::picker::open(m),
            _ => {}
        }
        return;
    }
    let Some(b) = keymap::lookup(&k, keymap::contexts(m)) else {
        return;
    };
    if b.writes && m.read_only {
        m.say(Level::Error, format!("read-only: {} is disabled", b.hint));
        return;
    }
    action(m, b.action, cmds);
}

fn quit(cmds: &mut Vec<Effect>) {
    cmds.push(Effect::Quit);
}

/// Performs an action (from a key binding).
pub fn action(m: &mut Model, a: Action, cmds: &mut Vec<Effect>) {
    let in_tail = m.focus == Pane::Tail;
    match a {
        Action::Back => back(m),
        Action::Quit => quit(cmds),
        Action::Help => m.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Contexts => super::picker::open(m),
        Action::FocusNext | Action::FocusPrev => {
            m.browser.hidden = false;
            m.focus = if in_tail { Pane::Browser } else { Pane::Tail };
        }
        Action::Sort => sort_browser(m),
        Action::ToggleBrowser => toggle_browser(m),
        Action::FindHistory => find::open(m),
        Action::NextMatch if find::steers(m) => find::step(m, true, cmds),
        Action::PrevMatch if find::steers(m) => find::step(m, false, cmds),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Open
        | Action::Collapse
        | Action::Expand
        | Action::NextMatch
        | Action::PrevMatch
        | Action::NextRecord
        | Action::PrevRecord => actions::navigate(m, a, cmds),
        Action::Mark => marks::toggle_mark(m),
        Action::DoneFilter => marks::toggle_done_filter(m),
        Action::Cleanup => marks::quick_cleanup(m),
        Action::Delete if marks::delete_marked(m) => {}
        Action::Columns
        | Action::GoToTime
        | Action::Publish
        | Action::CloseChannel
        | Action::Delete => actions::open_dialog(m, a),
        Action::Find
        | Action::ToggleFilter
        | Action::Pause
        | Action::Live
        | Action::ToggleUtc
        | Action::ScrubBack
        | Action::ScrubFwd
        | Action::ScrubBack10
        | Action::ScrubFwd10
        | Action::ZoomOut
        | Action::ZoomIn => search_and_time_action(m, a, cmds),
        Action::Refresh => cmds.push(Effect::Worker(WorkerCmd::RefreshTopics)),
        Action::Inspect => super::inspector::open(m, cmds),
        Action::Copy => actions::copy_value(m, cmds),
        Action::CopyLink => landing::copy_link(m, cmds),
        // The prompts' and overlays' own actions, never bound in the panes' contexts:
        // their own dispatchers handle them.
        Action::Submit
        | Action::Cancel
        | Action::NextField
        | Action::PrevField
        | Action::Complete
        | Action::Newline
        | Action::DeleteBack
        | Action::KeepText
        | Action::ClearField
        | Action::NextChoice
        | Action::PrevChoice
        | Action::SwitchSyntax
        | Action::NextTab
        | Action::PrevTab
        | Action::TabPartitions
        | Action::TabConsumers
        | Action::TabConfig
        | Action::TabCluster
        | Action::Bottom => {}
    }
}

/// The search's and the clock's actions: find, filter, pause, live, the timeline's cursor
/// and zoom.
fn search_and_time_action(m: &mut Model, a: Action, cmds: &mut Vec<Effect>) {
    match a {
        Action::Find => {
            if m.focus == Pane::Tail {
                m.tail.searching = true;
                m.find.steering = false; // n/N: this search's matches
            } else {
                m.browser.editing = true;
            }
        }
        Action::ToggleFilter => {
            if m.tail.search.is_empty() {
                m.say(
                    Level::Info,
                    format!("no search: press {} first", search_key()),
                );
            } else {
                m.tail.filter = !m.tail.filter;
            }
        }
        Action::Pause => toggle_pause(m),
        Action::Live => {
            scrub::go_live(m, cmds);
            m.tail.follow = true;
        }
        Action::ToggleUtc => m.utc = !m.utc,
        Action::ScrubBack => scrub::move_cursor(m, -1, cmds),
        Action::ScrubFwd => scrub::move_cursor(m, 1, cmds),
        Action::ScrubBack10 => scrub::move_cursor(m, -10, cmds),
        Action::ScrubFwd10 => scrub::move_cursor(m, 10, cmds),
        Action::ZoomOut => scrub::zoom(m, 2.0, cmds),
        Action::ZoomIn => scrub::zoom(m, 0.5, cmds),
        _ => {}
    }
}

/// The topic list by the next sort key.
fn sort_browser(m: &mut Model) {
    m.browser.sort = m.browser.sort.next();
    m.browser.scroll = 0;
    nav::browser_keep_visible(m);
    m.say(
        Level::Info,
        format!("topics sorted by {}", m.browser.sort.label()),
    );
}

fn toggle_browser(m: &mut Model) {
    if m.browser.hidden {
        m.browser.hidden = false;
    } else if m.tail.topic.is_some() {
        m.browser.hidden = true;
        m.focus = Pane::Tail;
    } else {
        let text = format!("tail a topic first ({} in the topic list)", open_key());
        m.say(Level::Info, text);
        return;
    }
    nav::browser_keep_visible(m);
}

/// Esc: backs out one step (the overlay, the filter or search, the tail pane); never
/// quits.
fn back(m: &mut Model) {
    if m.overlay.is_some() {
        m.overlay = None;
    } else if m.focus == Pane::Tail {
        if m.tail.search.is_empty() {
            m.browser.hidden = false;
            m.focus = Pane::Browser;
        } else {
            prompts::clear_search(m);
        }
    } else if !m.browser.filter.is_empty() {
        m.browser.filter.clear();
        nav::browser_reselect(m, None);
        nav::browser_keep_visible(m);
    } else if marks::clear_marks(m) {
    } else {
        let quit = keymap::hint_keys(Ctx::Global, Action::Quit);
        m.say(Level::Info, format!("{quit} quits"));
    }
}

fn toggle_collapse(m: &mut Model, ns: &str, collapse: Option<bool>) {
    let now = m.browser.collapsed.contains(ns);
    let want = collapse.unwrap_or(!now);
    if want {
        m.browser.collapsed.insert(ns.to_string());
        m.browser.sel = Some(Sel::Namespace(ns.to_string()));
    } else {
        m.browser.collapsed.remove(ns);
    }
    nav::browser_keep_visible(m);
}

fn toggle_pause(m: &mut Model) {
    if m.tail.frozen.take().is_none() {
        m.tail.frozen = Some(m.tail.live.clone());
        m.tail.since_pause = 0;
    } else if !m.tail.follow && m.tail.sel < m.tail.live.first_seq() {
        // The selection was evicted while paused: show the oldest buffered record.
        m.tail.sel = m.tail.live.first_seq();
        m.tail.top = m.tail.sel;
    }
}

/// Enter with topics marked: tails them merged by time (one marked: that one alone).
pub fn start_merged(m: &mut Model, cmds: &mut Vec<Effect>) {
    let topics: Vec<TopicName> = m.browser.marked.iter().cloned().collect();
    let Some(first) = topics.first().cloned() else {
        return;
    };
    if topics.len() == 1 {
        return start_tail(m, first, cmds);
    }
    m.tail.merged = topics;
    m.tail.topic = Some(first);
    m.tail.columns = Vec::new();
    scrub::resubscribe(m, Start::Newest(m.tail.live.capacity()), cmds);
    m.tail.follow = true;
    m.scrub = Default::default();
    m.focus = Pane::Tail;
    scrub::request_histogram(m, cmds);
    let n = m.tail.merged.len();
    m.say(
        Level::Info,
        format!(
            "tailing {n} marked topics merged by time ({} in the list unmarks)",
            keymap::hint_keys(Ctx::Global, Action::Back)
        ),
    );
}

/// Starts tailing `topic` from about its newest records, following.
pub fn start_tail(m: &mut Model, topic: TopicName, cmds: &mut Vec<Effect>) {
    m.tail.merged.clear();
    m.tail.topic = Some(topic.clone());
    m.tail.columns = m.columns_by_topic.get(&topic).cloned().unwrap_or_default();
    scrub::resubscribe(m, Start::Newest(m.tail.live.capacity()), cmds);
    m.tail.follow = true;
    m.scrub = Default::default();
    m.browser.sel = Some(Sel::Topic(topic));
    m.focus = Pane::Tail;
    scrub::request_histogram(m, cmds);
}

/// Scrolls the detail view by `delta` lines, never past its last line (so that the
/// first key back up moves it again).
fn scroll_detail(m: &mut Model, seq: u64, delta: i64) {
    let max = super::detail_text::max_scroll(m, seq, m.size);
    if let Some(Overlay::Detail { scroll, .. }) = &mut m.overlay {
        let moved = i64::from(*scroll) + delta;
        *scroll = u16::try_from(moved.clamp(0, i64::from(max))).unwrap_or(0);
        m.dirty = true;
    }
}

fn on_mouse(m: &mut Model, e: MouseEvent, cmds: &mut Vec<Effect>) {
    if m.overlay.is_some() || m.too_small() {
        if let Some(Overlay::Detail { seq, .. }) = m.overlay {
            match e.kind {
                MouseEventKind::ScrollDown => scroll_detail(m, seq, 3),
                MouseEventKind::ScrollUp => scroll_detail(m, seq, -3),
                _ => {}
            }
        }
        return;
    }
    let a = m.areas();
    let (x, y) = (e.column, e.row);
    let in_tail = layout::contains(a.tail, x, y);
    let in_browser = layout::contains(a.browser, x, y);
    match e.kind {
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let d = if e.kind == MouseEventKind::ScrollUp {
                -3
            } else {
                3
            };
            if in_tail {
                paging::want_earlier(m, d, cmds);
                nav::tail_move(m, d);
            } else if in_browser {
                nav::browser_move(m, d, false);
            } else {
                return;
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            let filter = m.browser.editing || !m.browser.filter.is_empty();
            let br = layout::browser_rows(&a, filter);
            if layout::contains(br, x, y) {
                m.focus = Pane::Browser;
                let row = m.browser.scroll + usize::from(y - br.y);
                let sel = m.browser.rows().get(row).map(|r| r.sel());
                match sel {
                    Some(Sel::Topic(t)) if m.tail.topic.as_ref() != Some(&t) => {
                        start_tail(m, t, cmds)
                    }
                    Some(Sel::Topic(_)) => m.focus = Pane::Tail,
                    Some(Sel::Namespace(ns)) => toggle_collapse(m, &ns, None),
                    None => {}
                }
            } else if layout::contains(a.tail_rows, x, y) {
                m.focus = Pane::Tail;
                let (top, _) = nav::tail_window(m);
                nav::tail_select_row(m, top + usize::from(y - a.tail_rows.y));
            } else if layout::contains(a.timeline_inner, x, y) && m.tail.topic.is_some() {
                m.focus = Pane::Tail;
                let t = scrub::time_at_column(m, x - a.timeline_inner.x);
                scrub::set_cursor(m, t, cmds);
            } else if in_tail {
                m.focus = Pane::Tail;
            } else if in_browser {
                m.focus = Pane::Browser;
            } else {
                return;
            }
        }
        _ => return,
    }
    m.dirty = true;
}

/// The key that tails the selected topic, for messages that name it.
fn open_key() -> String {
    keymap::hint_keys(Ctx::Browser, Action::Open)
}

/// The key that starts a search in the tail, for messages that name it.
fn search_key() -> String {
    keymap::hint_keys(Ctx::Tail, Action::Find)
}

/// Whether the dialog's request `req` is the one in flight.
fn dialog_waiting(m: &Model, req: u64) -> bool {
    matches!(&m.overlay, Some(Overlay::Dialog(d)) if d.in_flight == Some(req))
}
