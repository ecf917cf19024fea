//! Moving around: the browser tree, the tail rows, the detail view, search matches.

use super::super::layout;
use super::super::model::{Model, Overlay, Sel};
pub(crate) use super::super::query::{tail_height, tail_window};
use super::search_key;

/// Selects tail row `row` (clamped), leaving follow mode, and keeps it visible.
pub(crate) fn tail_select_row(m: &mut Model, row: usize) {
    let (top, _) = tail_window(m);
    let rows = m.tail.shown().rows(m.tail.filter);
    if rows.is_empty() {
        return;
    }
    let row = row.min(rows.len() - 1);
    let h = tail_height(m);
    let top = if row < top {
        row
    } else if row >= top + h {
        row + 1 - h
    } else {
        top
    };
    let (Some(sel), Some(top)) = (rows.seq(row), rows.seq(top)) else {
        return;
    };
    m.tail.follow = false;
    m.tail.sel = sel;
    m.tail.top = top;
}

/// Moves the tail selection by `delta` rows (leaving follow mode).
pub(crate) fn tail_move(m: &mut Model, delta: isize) {
    let (_, sel) = tail_window(m);
    tail_select_row(m, sel.saturating_add_signed(delta));
}

/// Jumps to the next (`forward`) or previous search match, wrapping around.
pub(crate) fn jump_match(m: &mut Model, forward: bool) {
    let buf = m.tail.shown();
    let matches = buf.matches();
    if matches.is_empty() {
        let q = m.tail.search.clone();
        m.say(
            super::super::model::Level::Info,
            if q.is_empty() {
                format!("no search: press {} first", search_key())
            } else {
                format!("no match for {q:?}")
            },
        );
        return;
    }
    let (_, sel_row) = tail_window(m);
    let rows = buf.rows(m.tail.filter);
    let cur = rows.seq(sel_row).unwrap_or(buf.first_seq());
    let at_bottom = m.tail.follow;
    let target = if forward {
        matches
            .iter()
            .copied()
            .find(|s| *s > cur && !at_bottom)
            .unwrap_or(matches[0])
    } else {
        matches
            .iter()
            .rev()
            .copied()
            .find(|s| *s < cur || (at_bottom && *s <= cur))
            .unwrap_or(*matches.back().unwrap_or(&cur))
    };
    let row = rows.row_of(target);
    tail_select_row(m, row);
}

/// The browser's list height.
pub(crate) fn browser_height(m: &Model) -> usize {
    let a = m.areas();
    let filter = m.browser.editing || !m.browser.filter.is_empty();
    (layout::browser_rows(&a, filter).height as usize).max(1)
}

/// Moves the browser selection by `delta` rows (or to row 0 when `to_top`).
pub(crate) fn browser_move(m: &mut Model, delta: isize, to_top: bool) {
    let rows = m.browser.rows();
    if rows.is_empty() {
        return;
    }
    let cur = m.browser.sel_row(&rows).unwrap_or(0);
    let new = if to_top {
        0
    } else {
        cur.saturating_add_signed(delta).min(rows.len() - 1)
    };
    let sel = rows[new].sel();
    m.browser.sel = Some(sel);
    browser_keep_visible(m);
}

/// Scrolls the browser so the selection is visible.
pub(crate) fn browser_keep_visible(m: &mut Model) {
    let h = browser_height(m);
    let rows = m.browser.rows();
    let n = rows.len();
    let Some(r) = m.browser.sel_row(&rows) else {
        return;
    };
    drop(rows);
    if h == 0 {
        return; // too small to show any row: keep the scroll for when it grows again
    }
    if r < m.browser.scroll {
        m.browser.scroll = r;
    } else if r >= m.browser.scroll + h {
        m.browser.scroll = r + 1 - h;
    }
    // Never scrolled further than needed: a list that fits starts at its first row.
    m.browser.scroll = m.browser.scroll.min(n.saturating_sub(h));
}

/// After a new listing: keeps the selection, or selects the row where it was, or the
/// first topic.
pub(crate) fn browser_reselect(m: &mut Model, old_row: Option<usize>) {
    let rows = m.browser.rows();
    if rows.is_empty() {
        m.browser.sel = None;
        return;
    }
    if m.browser.sel_row(&rows).is_some() {
        return;
    }
    let is_topic = |r: &super::super::model::TreeRow<'_>| matches!(r.sel(), Sel::Topic(_));
    let row = match old_row {
        // The row that took its place (the next one), a topic rather than a namespace
        // header: the next topic at or after it, else the one before it.
        Some(r) => {
            let r = r.min(rows.len() - 1);
            (r..rows.len())
                .find(|&i| is_topic(&rows[i]))
                .or_else(|| (0..r).rev().find(|&i| is_topic(&rows[i])))
                .unwrap_or(r)
        }
        None => rows.iter().position(is_topic).unwrap_or(0),
    };
    m.browser.sel = Some(rows[row].sel());
    browser_keep_visible(m);
}

/// Detail view: moves to the next/previous row, selecting it in the tail too.
pub(crate) fn detail_step(m: &mut Model, delta: isize) {
    let Some(Overlay::Detail { seq, .. }) = &m.overlay else {
        return;
    };
    let rows = m.tail.shown().rows(m.tail.filter);
    if rows.is_empty() {
        return;
    }
    let row = rows
        .row_of(*seq)
        .saturating_add_signed(delta)
        .min(rows.len() - 1);
    tail_select_row(m, row);
    let seq = m.tail.sel;
    m.overlay = Some(Overlay::Detail { seq, scroll: 0 });
}
