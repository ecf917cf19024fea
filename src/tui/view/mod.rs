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
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub use detail::max_scroll as detail_max_scroll;

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
        None => {}
    }
}

/// A rectangle of `w`×`h` centred in `r` (clamped to it).
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

/// Cuts `s` to `width` terminal columns, ending with `…` when cut (wide characters such
/// as CJK or emoji count two columns).
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// Pads (or cuts) `s` to exactly `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let n = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// A line of `(text, style)` pieces.
pub fn line<'a>(parts: Vec<Span<'a>>) -> Line<'a> {
    Line::from(parts)
}

#[cfg(test)]
mod tests {
    use super::{fit, pad};
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn fit_and_pad_count_terminal_columns_not_chars() {
        assert_eq!(pad("鍵🔑", 8), "鍵🔑    ");
        assert_eq!(pad("鍵🔑", 8).width(), 8);
        assert_eq!(fit("日本語のメッセージ", 7), "日本語…");
        assert_eq!(pad("日本語のメッセージ", 8).width(), 8); // "日本語…" + one space
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("abc", 0), "");
    }
}
