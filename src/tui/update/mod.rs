//! The pure state transition: `update(&mut Model, Msg) -> Vec<Command>`. No I/O, no clock:
//! time comes in with `Msg::Tick`.

pub mod nav;
pub mod scrub;
mod worker_events;

#[cfg(test)]
mod tests;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::dialog::{Dialog, DialogKey, DialogKind, Submit};
use super::keymap::{self, Action, Ctx};
use super::layout;
use super::model::{ConnState, Level, Model, Overlay, Pane, SEC, STATUS_TTL_NS, Sel};
use super::msg::{Command, Msg, Start};
use crate::client::{CHANNELS_ONLY_V2, Protocol, TopicName};

/// Applies one message to the model and returns the side effects to perform.
pub fn update(m: &mut Model, msg: Msg) -> Vec<Command> {
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
            m.size = (w, h);
            nav::browser_keep_visible(m);
            m.dirty = true;
        }
        Msg::Tick(now) => on_tick(m, now, &mut cmds),
        Msg::Worker(ev) => worker_events::on_event(m, ev, &mut cmds),
    }
    cmds
}

fn on_tick(m: &mut Model, now: i64, cmds: &mut Vec<Command>) {
    let old = m.now;
    m.now = now;
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
    if m.status
        .as_ref()
        .is_some_and(|s| now - s.at > STATUS_TTL_NS)
    {
        m.status = None;
        m.dirty = true;
    }
    scrub::slide_live_window(m, old);
    scrub::fire_resubscribe(m, cmds);
    scrub::refresh_histogram_if_due(m, cmds);
}

/// The key contexts in effect, most specific first.
pub fn contexts(m: &Model) -> &'static [Ctx] {
    match (&m.overlay, m.focus) {
        (Some(Overlay::Detail { .. }), _) => &[Ctx::Detail],
        (Some(_), _) => &[],
        (None, Pane::Browser) => &[Ctx::Browser, Ctx::Global],
        (None, Pane::Tail) => &[Ctx::Tail, Ctx::Timeline, Ctx::Global],
    }
}

fn on_key(m: &mut Model, k: KeyEvent, cmds: &mut Vec<Command>) {
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        quit(m, cmds);
        return;
    }
    if let Some(Overlay::Dialog(_)) = &m.overlay {
        dialog_key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Contexts { .. }) = &m.overlay {
        super::picker::key(m, &k, cmds);
        return;
    }
    if let Some(Overlay::Help { scroll }) = &mut m.overlay {
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => *scroll = scroll.saturating_add(1),
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown => *scroll = scroll.saturating_add(10),
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            _ => m.overlay = None,
        }
        return;
    }
    if m.browser.editing {
        browser_filter_key(m, &k);
        return;
    }
    if m.tail.searching {
        search_key(m, &k);
        return;
    }
    if matches!(
        m.conn,
        ConnState::Unreachable { .. } | ConnState::Connecting
    ) {
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => quit(m, cmds),
            // Another context may be the way out of an unreachable one.
            KeyCode::Char(':') => super::picker::open(m),
            _ => {}
        }
        return;
    }
    let Some(b) = keymap::lookup(&k, contexts(m)) else {
        return;
    };
    if b.writes && m.read_only {
        m.say(Level::Error, format!("read-only: {} is disabled", b.hint));
        return;
    }
    action(m, b.action, cmds);
}

fn quit(m: &mut Model, cmds: &mut Vec<Command>) {
    m.quit = true;
    cmds.push(Command::Quit);
}

/// Performs an action (from a key binding).
pub fn action(m: &mut Model, a: Action, cmds: &mut Vec<Command>) {
    let in_tail = m.focus == Pane::Tail;
    let page = if in_tail {
        nav::tail_height(m)
    } else {
        nav::browser_height(m)
    } as isize;
    match a {
        Action::Back => {
            if m.overlay.is_some() {
                m.overlay = None;
            } else if in_tail {
                m.focus = Pane::Browser;
            } else {
                quit(m, cmds);
            }
        }
        Action::Quit => quit(m, cmds),
        Action::Help => m.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Contexts => super::picker::open(m),
        Action::FocusNext | Action::FocusPrev => {
            m.focus = if in_tail { Pane::Browser } else { Pane::Tail };
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            let delta = match a {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -page,
                _ => page,
            };
            if let Some(Overlay::Detail { seq, .. }) = m.overlay {
                scroll_detail(m, seq, delta as i64);
            } else if in_tail {
                nav::tail_move(m, delta);
            } else {
                nav::browser_move(m, delta, false);
            }
        }
        Action::Top => {
            if in_tail {
                nav::tail_select_row(m, 0);
            } else {
                nav::browser_move(m, 0, true);
            }
        }
        Action::Open => {
            if in_tail {
                let (_, row) = nav::tail_window(m);
                if let Some(seq) = m.tail.shown().rows(m.tail.filter).seq(row) {
                    m.overlay = Some(Overlay::Detail { seq, scroll: 0 });
                }
            } else {
                match m.browser.sel.clone() {
                    Some(Sel::Topic(t)) => start_tail(m, t, cmds),
                    Some(Sel::Namespace(ns)) => toggle_collapse(m, &ns, None),
                    None => {}
                }
            }
        }
        Action::Collapse | Action::Expand => {
            let ns = match &m.browser.sel {
                Some(Sel::Namespace(ns)) => ns.clone(),
                Some(Sel::Topic(t)) => t.namespace.clone(),
                None => return,
            };
            toggle_collapse(m, &ns, Some(a == Action::Collapse));
        }
        Action::Find => {
            if in_tail {
                m.tail.searching = true;
            } else {
                m.browser.editing = true;
            }
        }
        Action::NextMatch => nav::jump_match(m, true),
        Action::PrevMatch => nav::jump_match(m, false),
        Action::ToggleFilter => {
            if m.tail.search.is_empty() {
                m.say(Level::Info, "no search: press / first");
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
        Action::GoToTime => {
            if m.tail.topic.is_some() {
                m.overlay = Some(Overlay::Dialog(Dialog::go_to_time()));
            } else {
                m.say(
                    Level::Info,
                    "select a topic first (Enter in the topic list)",
                );
            }
        }
        Action::Publish => {
            let t = target_topic(m);
            m.overlay = Some(Overlay::Dialog(Dialog::publish(t.as_ref())));
        }
        Action::CloseChannel => match target_topic(m) {
            _ if m.protocol == Some(Protocol::Mq) => m.say(Level::Error, CHANNELS_ONLY_V2),
            Some(t) if t.is_channel() => {
                m.overlay = Some(Overlay::Dialog(Dialog::close_channel(&t.name)));
            }
            Some(t) => m.say(Level::Error, format!("{t} is not a channel (chan/<name>)")),
            None => m.say(Level::Info, "select a channel first"),
        },
        Action::Delete => match target_topic(m) {
            Some(t) => {
                let note = (m.protocol == Some(Protocol::Mq)).then(|| {
                    "SeaweedFS 4.x brokers may keep listing the topic for up to ~30 s".to_string()
                });
                m.overlay = Some(Overlay::Dialog(Dialog::delete(&t, note)));
            }
            None => m.say(Level::Info, "select a topic first"),
        },
        Action::Refresh => cmds.push(Command::RefreshTopics),
        Action::Copy => {
            if let Some(Overlay::Detail { seq, .. }) = &m.overlay
                && let Some(r) = m.tail.shown().get(*seq)
            {
                let text = match std::str::from_utf8(&r.value) {
                    Ok(s) => s.to_string(),
                    Err(_) => crate::format::hex_dump(&r.value).join("\n"),
                };
                let n = r.value.len();
                cmds.push(Command::Copy(text));
                m.say(Level::Info, format!("copied the value ({n} B) via OSC 52"));
            }
        }
        Action::NextRecord => nav::detail_step(m, 1),
        Action::PrevRecord => nav::detail_step(m, -1),
    }
}

/// The topic an action applies to: the tailed one in the tail pane, else the browser's.
pub fn target_topic(m: &Model) -> Option<TopicName> {
    if m.focus == Pane::Tail && m.tail.topic.is_some() {
        return m.tail.topic.clone();
    }
    m.browser
        .selected_topic()
        .cloned()
        .or_else(|| m.tail.topic.clone())
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

/// Starts tailing `topic` from about its newest records, following.
pub fn start_tail(m: &mut Model, topic: TopicName, cmds: &mut Vec<Command>) {
    if let Some(old) = m.tail.sub.take() {
        cmds.push(Command::Cancel { id: old });
    }
    let id = m.fresh_id();
    m.tail.topic = Some(topic.clone());
    m.tail.sub = Some(id);
    scrub::reset_tail_buffer(m);
    m.tail.live.evict = true;
    m.tail.follow = true;
    m.scrub = Default::default();
    m.browser.sel = Some(Sel::Topic(topic.clone()));
    m.focus = Pane::Tail;
    cmds.push(Command::Subscribe {
        id,
        topic,
        start: Start::Newest(m.tail.live.capacity()),
    });
    scrub::request_histogram(m, cmds);
}

fn browser_filter_key(m: &mut Model, k: &KeyEvent) {
    match k.code {
        KeyCode::Enter => m.browser.editing = false,
        KeyCode::Esc => {
            m.browser.editing = false;
            m.browser.filter.clear();
        }
        KeyCode::Backspace => {
            m.browser.filter.pop();
        }
        KeyCode::Down => nav::browser_move(m, 1, false),
        KeyCode::Up => nav::browser_move(m, -1, false),
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            m.browser.filter.push(c);
        }
        _ => {}
    }
    // Keep the selection when it still shows; else the first topic that does.
    nav::browser_reselect(m, None);
    m.browser.scroll = 0;
    nav::browser_keep_visible(m);
}

fn search_key(m: &mut Model, k: &KeyEvent) {
    match k.code {
        KeyCode::Enter => {
            m.tail.searching = false;
            if !m.tail.search.is_empty() {
                // Following, the newest match is the nearest one (not the oldest record).
                let following = m.tail.follow;
                nav::jump_match(m, !following);
            }
            return;
        }
        KeyCode::Esc => {
            m.tail.searching = false;
            m.tail.search.clear();
            m.tail.filter = false;
        }
        KeyCode::Backspace => {
            m.tail.search.pop();
        }
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            m.tail.search.push(c);
        }
        _ => return,
    }
    let q = m.tail.search.clone();
    m.tail.live.set_query(Some(&q));
    if let Some(f) = &mut m.tail.frozen {
        f.set_query(Some(&q));
    }
}

fn dialog_key(m: &mut Model, k: &KeyEvent, cmds: &mut Vec<Command>) {
    let Some(Overlay::Dialog(d)) = &mut m.overlay else {
        return;
    };
    if d.in_flight.is_some() && k.code != KeyCode::Esc {
        // The request is in flight: the fields are what was sent; no edit, no resubmit.
        if k.code == KeyCode::Enter {
            d.error = Some("a request is in flight; wait for its answer".into());
        }
        return;
    }
    match d.key(k) {
        DialogKey::Edited | DialogKey::Ignored => {}
        DialogKey::Cancel => m.overlay = None,
        DialogKey::Submit => {
            if d.in_flight.is_some() {
                d.error = Some("a request is in flight; wait for its answer".into());
                return;
            }
            match d.submit(m.now) {
                Err(e) => d.error = Some(e),
                Ok(Submit::Nothing) => {}
                Ok(Submit::GoTo(spec)) => {
                    m.overlay = None;
                    m.focus = Pane::Tail;
                    scrub::go_to(m, spec, cmds);
                }
                Ok(s) => {
                    let req = m.next_id;
                    m.next_id += 1;
                    let Some(Overlay::Dialog(d)) = &mut m.overlay else {
                        return;
                    };
                    d.in_flight = Some(req);
                    d.error = None;
                    cmds.push(match s {
                        Submit::Publish(topic, messages) => Command::Publish {
                            req,
                            topic,
                            messages,
                        },
                        Submit::CloseChannel(name) => Command::CloseChannel { req, name },
                        Submit::Delete(topic) => Command::Delete { req, topic },
                        Submit::GoTo(_) | Submit::Nothing => return,
                    });
                }
            }
        }
    }
}

/// Scrolls the detail view by `delta` lines, never past its last line (so that the
/// first key back up moves it again).
fn scroll_detail(m: &mut Model, seq: u64, delta: i64) {
    let max = super::view::detail_max_scroll(m, seq, m.size);
    if let Some(Overlay::Detail { scroll, .. }) = &mut m.overlay {
        let moved = i64::from(*scroll) + delta;
        *scroll = u16::try_from(moved.clamp(0, i64::from(max))).unwrap_or(0);
        m.dirty = true;
    }
}

fn on_mouse(m: &mut Model, e: MouseEvent, cmds: &mut Vec<Command>) {
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
    let a = layout::areas(m.size);
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

/// Whether the dialog's request `req` is the one in flight.
fn dialog_waiting(m: &Model, req: u64) -> bool {
    matches!(&m.overlay, Some(Overlay::Dialog(d)) if d.in_flight == Some(req))
}

/// Which dialog kind is open.
pub fn dialog_kind(m: &Model) -> Option<&DialogKind> {
    match &m.overlay {
        Some(Overlay::Dialog(d)) => Some(&d.kind),
        _ => None,
    }
}
