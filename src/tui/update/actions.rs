//! The actions that move (selection, detail, matches) and the ones that open a dialog,
//! apart from [`action`](super::action)'s dispatch.

use super::super::dialog::Dialog;
use super::super::keymap::Action;
use super::super::model::{Level, Model, Overlay, Pane, Sel};
use super::super::msg::Effect;
use super::super::query::{self, target_topic};
use super::{nav, open_key, paging, scroll_detail, start_tail, toggle_collapse};
use crate::client::{CHANNELS_ONLY_V2, Protocol};

/// Selection, paging, detail and match moves.
pub(super) fn navigate(m: &mut Model, a: Action, cmds: &mut Vec<Effect>) {
    let in_tail = m.focus == Pane::Tail;
    let page = if in_tail {
        nav::tail_height(m)
    } else {
        nav::browser_height(m)
    } as isize;
    match a {
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
                paging::want_earlier(m, delta, cmds);
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
        Action::Open => open(m, in_tail, cmds),
        Action::Collapse | Action::Expand => {
            let ns = match &m.browser.sel {
                Some(Sel::Namespace(ns)) => ns.clone(),
                Some(Sel::Topic(t)) => t.namespace.clone(),
                None => return,
            };
            toggle_collapse(m, &ns, Some(a == Action::Collapse));
        }
        Action::NextMatch | Action::PrevMatch => {
            nav::jump_match(m, a == Action::NextMatch);
            if let Some(Overlay::Detail { seq, scroll }) = &mut m.overlay {
                // The detail follows the match (the tail selection moved to it).
                if *seq != m.tail.sel {
                    *seq = m.tail.sel;
                    *scroll = 0;
                }
            }
        }
        Action::NextRecord => nav::detail_step(m, 1),
        Action::PrevRecord => nav::detail_step(m, -1),
        _ => {}
    }
}

/// Enter: the record's detail in the tail; tails the topic (or folds the namespace) in
/// the list.
fn open(m: &mut Model, in_tail: bool, cmds: &mut Vec<Effect>) {
    if in_tail {
        let (_, row) = nav::tail_window(m);
        if let Some(seq) = m.tail.shown().rows(m.tail.filter).seq(row) {
            m.overlay = Some(Overlay::Detail { seq, scroll: 0 });
        }
        return;
    }
    match m.browser.sel.clone() {
        _ if !m.browser.marked.is_empty() => super::start_merged(m, cmds),
        Some(Sel::Topic(t)) => start_tail(m, t, cmds),
        Some(Sel::Namespace(ns)) => toggle_collapse(m, &ns, None),
        None => {}
    }
}

/// Opens the dialog of `a` (or says why not).
pub(super) fn open_dialog(m: &mut Model, a: Action) {
    let dialog = match a {
        Action::Columns => {
            let buf = m.tail.shown();
            let from = buf.end_seq().saturating_sub(500).max(buf.first_seq());
            let seen = crate::fields::paths(
                (from..buf.end_seq()).filter_map(|s| buf.get(s).map(|r| r.shown_value())),
            );
            Dialog::columns(&m.tail.columns, seen)
        }
        Action::GoToTime if m.tail.topic.is_some() => {
            // Prefilled with the cursor's time (live: now), exact, in the zone shown.
            let at = m.scrub.cursor.unwrap_or(m.now);
            Dialog::go_to_time(at, m.now, m.utc)
        }
        Action::GoToTime => {
            m.say(
                Level::Info,
                format!("select a topic first ({} in the topic list)", open_key()),
            );
            return;
        }
        Action::Publish => {
            Dialog::publish(target_topic(m).as_ref(), m.protocol != Some(Protocol::Mq))
        }
        Action::CloseChannel => match target_topic(m) {
            _ if m.protocol == Some(Protocol::Mq) => {
                return m.say(Level::Error, CHANNELS_ONLY_V2);
            }
            Some(t) if t.is_channel() && !query::target_is_open_channel(m) => {
                return m.say(Level::Error, format!("{t} is already closed"));
            }
            Some(t) if t.is_channel() => Dialog::close_channel(&t.name),
            Some(t) => {
                return m.say(Level::Error, format!("{t} is not a channel (chan/<name>)"));
            }
            None => return m.say(Level::Info, "select a channel first"),
        },
        Action::Delete => match target_topic(m) {
            Some(t) => {
                let note = (m.protocol == Some(Protocol::Mq)).then(|| {
                    "SeaweedFS 4.x brokers may keep listing the topic for up to ~30 s".to_string()
                });
                Dialog::delete(&t, note)
            }
            None => return m.say(Level::Info, "select a topic first"),
        },
        _ => return,
    };
    m.overlay = Some(Overlay::Dialog(dialog));
}

/// Detail view: copies the value (OSC 52; a hex dump when it is not UTF-8).
pub(super) fn copy_value(m: &mut Model, cmds: &mut Vec<Effect>) {
    if let Some(Overlay::Detail { seq, .. }) = &m.overlay
        && let Some(r) = m.tail.shown().get(*seq)
    {
        // A decoded value is copied as its JSON.
        let text = match std::str::from_utf8(r.shown_value()) {
            Ok(s) => s.to_string(),
            Err(_) => crate::format::hex_dump(&r.value).join("\n"),
        };
        let n = r.value.len();
        cmds.push(Effect::Copy(text));
        m.say(Level::Info, format!("copied the value ({n} B) via OSC 52"));
    }
}
