//! Drawing: `view(&Model, &mut Frame)`, side-effect free.

mod browser;
mod detail;
mod overlay;
mod status;
mod tail;
pub mod theme;
mod timeline;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

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
        return;
    }
    let a = layout::areas((area.width, area.height));
    status::status_bar(m, f, a.status);
    browser::browser(m, f, &a);
    tail::tail(m, f, &a);
    timeline::timeline(m, f, a.timeline);
    status::hint_line(m, f, a.hints);
    match &m.overlay {
        Some(Overlay::Help { scroll }) => overlay::help(m, f, area, *scroll),
        Some(Overlay::Detail { seq, scroll }) => detail::detail(m, f, area, *seq, *scroll),
        Some(Overlay::Dialog(d)) => overlay::dialog(m, f, area, d),
        None => {}
    }
}

/// A rectangle of `w`×`h` centred in `r` (clamped to it).
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

/// Cuts `s` to `width` characters, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Pads (or cuts) `s` to exactly `width` characters.
pub fn pad(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// A line of `(text, style)` pieces.
pub fn line<'a>(parts: Vec<Span<'a>>) -> Line<'a> {
    Line::from(parts)
}
