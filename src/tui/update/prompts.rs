//! Keys of the prompts and the dialogs: the help overlay, the topic filter, the search
//! (compiled and applied to the buffers), a dialog and what its submit does.

use crossterm::event::KeyEvent;

use super::super::dialog::{DialogKey, Submit};
use super::super::keymap::{self, Action, Ctx};
use super::super::model::{Level, Model, Overlay, Pane};
use super::super::msg::{Effect, WorkerCmd};
use super::{find, marks, nav, scrub};

/// A key in the help overlay: scrolls it; any key it does not bind closes it.
pub(super) fn help_key(m: &mut Model, k: &KeyEvent) {
    let Some(Overlay::Help { scroll }) = &mut m.overlay else {
        return;
    };
    let max = super::super::help::help_max_scroll(m.read_only, m.size);
    match keymap::action_of(k, &[Ctx::Help]) {
        Some(Action::Down) => *scroll = scroll.saturating_add(1).min(max),
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll = scroll.saturating_add(10).min(max),
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
        _ => m.overlay = None,
    }
}

/// A key while typing the topic filter.
pub(super) fn filter_key(m: &mut Model, k: &KeyEvent) {
    match keymap::action_of(k, &[Ctx::Filter]) {
        Some(Action::Submit) => m.browser.editing = false,
        Some(Action::Cancel) => {
            m.browser.editing = false;
            m.browser.filter.clear();
        }
        Some(Action::Down) => nav::browser_move(m, 1, false),
        Some(Action::Up) => nav::browser_move(m, -1, false),
        Some(Action::DeleteBack) => {
            m.browser.filter.pop();
        }
        Some(_) => {}
        None => m.browser.filter.extend(keymap::typed(k)),
    }
    // Keep the selection when it still shows; else the first topic that does.
    nav::browser_reselect(m, None);
    m.browser.scroll = 0;
    nav::browser_keep_visible(m);
}

/// A key while typing the search.
pub(super) fn search_key(m: &mut Model, k: &KeyEvent) {
    match keymap::action_of(k, &[Ctx::Search]) {
        Some(Action::Submit) => {
            m.tail.searching = false;
            if !m.tail.search.is_empty() {
                // Following, the newest match is the nearest one (not the oldest record).
                let following = m.tail.follow;
                nav::jump_match(m, !following);
            }
            return;
        }
        Some(Action::Cancel) => {
            m.tail.searching = false;
            clear_search(m);
            return;
        }
        Some(Action::SwitchSyntax) => m.tail.literal = !m.tail.literal,
        Some(Action::DeleteBack) => {
            m.tail.search.pop();
        }
        Some(_) => return,
        None => match keymap::typed(k) {
            Some(c) => m.tail.search.push(c),
            None => return,
        },
    }
    apply_search(m);
}

/// Compiles the search text (regex, or literal) and applies it to the shown buffers; an
/// invalid regex matches nothing and says why.
fn apply_search(m: &mut Model) {
    use crate::matcher::{Case, Matcher, Syntax};
    let syntax = if m.tail.literal {
        Syntax::Literal
    } else {
        Syntax::Regex
    };
    let q = if m.tail.search.is_empty() {
        m.tail.search_error = None;
        None
    } else {
        match Matcher::new(&m.tail.search, syntax, Case::Smart) {
            Ok(q) => {
                m.tail.search_error = None;
                Some(q)
            }
            Err(e) => {
                m.tail.search_error = Some(e.reason);
                None
            }
        }
    };
    m.tail.live.set_query(q.clone());
    if let Some(f) = &mut m.tail.frozen {
        f.set_query(q);
    }
}

/// A key in a dialog: edits it, or submits it (a request in flight blocks both).
pub(super) fn dialog_key(m: &mut Model, k: &KeyEvent, cmds: &mut Vec<Effect>) {
    let Some(Overlay::Dialog(d)) = &mut m.overlay else {
        return;
    };
    let act = keymap::action_of(k, &d.contexts());
    if d.in_flight.is_some() && act != Some(Action::Cancel) {
        // The request is in flight: the fields are what was sent; no edit, no resubmit.
        if act == Some(Action::Submit) {
            d.error = Some("a request is in flight; wait for its answer".into());
        }
        return;
    }
    match d.key(k) {
        DialogKey::Edited => marks::on_cleanup_edited(m),
        DialogKey::Ignored => {}
        DialogKey::Cancel => m.overlay = None,
        DialogKey::Submit => {
            if d.in_flight.is_some() {
                d.error = Some("a request is in flight; wait for its answer".into());
                return;
            }
            match d.submit(m.now) {
                Err(e) => d.error = Some(e),
                Ok(Submit::Nothing) => {}
                Ok(Submit::Columns(cols)) => {
                    m.overlay = None;
                    set_columns(m, cols);
                }
                Ok(Submit::Find(req)) => find::start(m, *req, cmds),
                Ok(Submit::GoTo(spec)) => {
                    m.overlay = None;
                    m.focus = Pane::Tail;
                    scrub::go_to(m, spec, cmds);
                }
                Ok(s) => {
                    let req = m.fresh_id();
                    let Some(Overlay::Dialog(d)) = &mut m.overlay else {
                        return;
                    };
                    d.in_flight = Some(req);
                    d.error = None;
                    cmds.push(match s {
                        Submit::Publish(topic, messages) => Effect::Worker(WorkerCmd::Publish {
                            req,
                            topic,
                            messages,
                        }),
                        Submit::CloseChannel(name) => {
                            Effect::Worker(WorkerCmd::CloseChannel { req, name })
                        }
                        Submit::Delete(topic) => Effect::Worker(WorkerCmd::Delete { req, topic }),
                        Submit::DeleteMany(topics) => {
                            Effect::Worker(WorkerCmd::DeleteMany { req, topics })
                        }
                        Submit::GoTo(_)
                        | Submit::Columns(_)
                        | Submit::Find(_)
                        | Submit::Nothing => return,
                    });
                }
            }
        }
    }
}

/// Clears the search (and the filter by it).
pub(super) fn clear_search(m: &mut Model) {
    m.tail.search.clear();
    m.tail.filter = false;
    apply_search(m);
}

/// Shows `cols` as the tail's field columns, remembered for the topic (this session).
fn set_columns(m: &mut Model, cols: Vec<String>) {
    let Some(t) = m.tail.topic.clone() else {
        return;
    };
    let text = if cols.is_empty() {
        "no field columns: the whole value".to_string()
    } else {
        format!("columns: {}", cols.join(", "))
    };
    m.columns_by_topic.insert(t, cols.clone());
    m.tail.columns = cols;
    m.say(Level::Info, text);
}
