//! The record detail view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::super::detail_text::{detail_area, detail_lines};
use super::super::keymap::{self, Ctx};
use super::super::model::Model;
use super::super::theme::Theme;

/// Draws the detail overlay.
pub(super) fn detail(m: &Model, f: &mut Frame, area: Rect, seq: u64, scroll: u16) {
    let t = Theme::of(m);
    let (r, width) = detail_area(area);
    let rows = m.tail.shown().rows(m.tail.filter);
    let pos = format!(" Record {}/{} ", rows.row_of(seq) + 1, rows.len());
    let hints: String = keymap::hints(&[Ctx::Detail], m.read_only, |_| true, |_| false)
        .into_iter()
        .map(|h| format!(" {} {} ", h.keys, h.text))
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus())
        .title(Span::styled(pos, t.title()))
        .title_bottom(Span::styled(hints, t.dim()));
    let lines = detail_lines(m, seq, width, t);
    let max_scroll = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_sub(r.height.saturating_sub(2));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(max_scroll), 0)),
        r,
    );
}
