//! Drawing: `view(&Model, &mut Frame)`, side-effect free.

mod browser;
mod detail;
pub(crate) mod find;
mod overlay;
mod status;
mod tail;
mod timeline;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::layout;
use super::model::{ConnState, Model, Overlay};

/// Draws the whole screen for the model.
pub fn view(m: &Model, f: &mut Frame) {
    let area = f.area();
    if area.width < super::model::MIN_SIZE.0 || area.height < super::model::MIN_SIZE.1 {
        overlay::too_small(m, f, area);
        return;
    }
    if let ConnState::Unreachable { .. } | ConnState::Connecting = m.conn {
        overlay::no_broker(m, f, area);
        if let Some(Overlay::Contexts { selected }) = &m.overlay {
            super::picker::view(m, f, area, *selected);
        }
        return;
    }
    let a = layout::screen((area.width, area.height), !m.browser.hidden);
    status::status_bar(m, f, a.status);
    if !m.browser.hidden {
        browser::browser(m, f, &a);
    }
    tail::tail(m, f, &a);
    timeline::timeline(m, f, a.timeline);
    status::hint_line(m, f, a.hints);
    match &m.overlay {
        Some(Overlay::Help { scroll }) => overlay::help(m, f, area, *scroll),
        Some(Overlay::Detail { seq, scroll }) => detail::detail(m, f, area, *seq, *scroll),
        Some(Overlay::Dialog(d)) => overlay::dialog(m, f, area, d),
        Some(Overlay::Contexts { selected }) => super::picker::view(m, f, area, *selected),
        Some(Overlay::Inspector(i)) => super::inspector::view(m, f, area, i),
        Some(Overlay::Find) => find::results(m, f, &a),
        None => {}
    }
}

/// A rectangle of `w`×`h` centred in `r` (clamped to it).
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

pub use crate::format::text::{fit, pad};
