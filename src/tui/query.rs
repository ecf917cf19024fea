//! Pure questions about the model that both `update` and `view` ask (beside
//! [`layout`](super::layout)): which rows the tail shows, which hints apply now.

use super::keymap::Action;
use super::model::{Model, Pane};
use crate::client::{Protocol, TopicName};

/// The tail's visible window: `(first row shown, selected row)` for the current size.
/// Following shows the newest rows with the newest selected.
pub(crate) fn tail_window(m: &Model) -> (usize, usize) {
    let rows = m.tail.shown().rows(m.tail.filter);
    let n = rows.len();
    let h = tail_height(m);
    if n == 0 {
        return (0, 0);
    }
    if m.tail.follow {
        return (n.saturating_sub(h), n - 1);
    }
    let sel = rows.row_of(m.tail.sel);
    let mut top = if m.tail.top < m.tail.shown().first_seq() {
        0
    } else {
        rows.row_of(m.tail.top)
    };
    if sel < top {
        top = sel;
    } else if sel >= top + h {
        top = sel + 1 - h;
    }
    (top, sel)
}

/// Rows the tail pane shows at once.
pub(crate) fn tail_height(m: &Model) -> usize {
    (m.areas().tail_rows.height as usize).max(1)
}

/// The topic an action applies to: the tailed one in the tail pane, else the browser's.
pub(crate) fn target_topic(m: &Model) -> Option<TopicName> {
    if m.focus == Pane::Tail && m.tail.topic.is_some() {
        return m.tail.topic.clone();
    }
    m.browser
        .selected_topic()
        .cloned()
        .or_else(|| m.tail.topic.clone())
}

/// Whether the target is a channel that can be closed: a 2.x channel not closed yet.
pub(crate) fn target_is_open_channel(m: &Model) -> bool {
    m.protocol != Some(Protocol::Mq)
        && target_topic(m)
            .is_some_and(|t| t.is_channel() && m.browser.info(&t).is_none_or(|i| !i.closed()))
}

/// Whether the hint of `a` belongs in the hint bar now (`C` only on an open channel,
/// `D` only with a topic to delete).
pub(crate) fn hint_shown(m: &Model, a: Action) -> bool {
    match a {
        Action::CloseChannel => target_is_open_channel(m),
        Action::Delete => target_topic(m).is_some(),
        _ => true,
    }
}

/// Whether the toggle of `a` is on (its hint then names the way back: `Space resume`).
pub(crate) fn hint_on(m: &Model, a: Action) -> bool {
    match a {
        Action::Pause => m.tail.paused(),
        _ => false,
    }
}

/// Result rows the list shows (inside its border, above the progress line).
pub(crate) fn list_height(m: &Model) -> usize {
    usize::from(m.areas().tail.height.saturating_sub(4)).max(1)
}
