//! The timeline: a density histogram from the first message to now, with the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::super::model::Model;
use super::theme::Theme;
use crate::client::{Histogram, HistogramUnit};
use crate::time;

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Resamples a histogram onto `cols` columns covering `[start, stop)`.
pub fn columns(h: &Histogram, start: i64, stop: i64, cols: usize) -> Vec<u64> {
    let mut out = vec![0u64; cols];
    if cols == 0 || stop <= start || h.counts.is_empty() {
        return out;
    }
    let bw = h.bucket_width();
    let span = (stop - start) as i128;
    for (i, c) in h.counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let mid = h.start_ns as i128 + i as i128 * bw as i128 + bw as i128 / 2;
        if mid < start as i128 || mid >= stop as i128 {
            continue;
        }
        let col = ((mid - start as i128) * cols as i128 / span) as usize;
        out[col.min(cols - 1)] += c;
    }
    out
}

/// Cells to spans: one span per run of equal style.
fn coalesce(cells: Vec<(char, Style)>) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut cur: Option<Style> = None;
    for (ch, st) in cells {
        if cur.is_some_and(|c| c != st) {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                cur.unwrap_or_default(),
            ));
        }
        cur = Some(st);
        run.push(ch);
    }
    if let Some(st) = cur {
        spans.push(Span::styled(run, st));
    }
    spans
}

/// The column of time `t` in a window of `cols` columns.
pub fn column_of(t: i64, start: i64, stop: i64, cols: usize) -> Option<usize> {
    if t < start || t > stop || stop <= start || cols == 0 {
        return None;
    }
    let c = ((t - start) as i128 * cols as i128 / (stop - start) as i128) as usize;
    Some(c.min(cols - 1))
}

/// Draws the timeline block.
pub fn timeline(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let (start, stop) = m.window();
    let span = stop - start;
    let live_window = m.scrub.window.is_none();
    let seconds = span < 20 * 60 * 1_000_000_000;
    let mut title = format!(
        " Timeline ─ {} → {}",
        time::format_axis(start, m.utc, seconds),
        if live_window {
            "now".to_string()
        } else {
            time::format_axis(stop, m.utc, seconds)
        }
    );
    match m.scrub.cursor {
        Some(c) => title.push_str(&format!(" ─ cursor {}", time::format_datetime(c, m.utc))),
        None => title.push_str(" ─ live"),
    }
    title.push_str(&format!(" ─ span {}", time::format_duration(span)));
    if let Some(h) = &m.scrub.hist {
        let total: u64 = h.counts.iter().sum();
        title.push_str(&match h.unit {
            HistogramUnit::Messages => {
                format!(" ─ {} messages", crate::format::human_count(total))
            }
            HistogramUnit::Bytes => format!(" ─ {} stored", crate::format::human_bytes(total)),
        });
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border())
        .title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cols = inner.width as usize;
    if m.tail.topic.is_none() {
        f.render_widget(
            Paragraph::new(Span::styled(
                "Tail a topic to see its history here; ←/→ then move through it.",
                t.dim(),
            )),
            inner,
        );
        return;
    }
    let counts = m
        .scrub
        .hist
        .as_ref()
        .map(|h| columns(h, start, stop, cols))
        .unwrap_or_else(|| vec![0; cols]);
    let max = counts.iter().copied().max().unwrap_or(0);
    let cursor_col = m.scrub.cursor.and_then(|c| column_of(c, start, stop, cols));
    let bar_rows = inner.height.saturating_sub(1).max(1) as usize;
    let levels = bar_rows * 8;
    // The span of the buffered records, underlined on the bottom row.
    let buf = m.tail.shown();
    let held = match (buf.get(buf.first_seq()), buf.last()) {
        (Some(a), Some(b)) => {
            let a = column_of(a.ts_ns.clamp(start, stop), start, stop, cols);
            let b = column_of(b.ts_ns.clamp(start, stop), start, stop, cols);
            a.zip(b)
        }
        _ => None,
    };
    let mut lines: Vec<Line> = Vec::new();
    for row in (0..bar_rows).rev() {
        let mut cells: Vec<(char, Style)> = Vec::with_capacity(cols);
        for (col, c) in counts.iter().enumerate() {
            let level = if *c == 0 || max == 0 {
                0
            } else {
                ((*c as u128 * levels as u128).div_ceil(max as u128) as usize).max(1)
            };
            let here = level.saturating_sub(row * 8).min(8);
            let mut style = t.bars();
            if row == 0 && held.is_some_and(|(a, b)| (a..=b).contains(&col)) {
                style = style.add_modifier(Modifier::UNDERLINED);
            }
            if Some(col) == cursor_col {
                cells.push((if here == 0 { '│' } else { BARS[here] }, t.cursor()));
            } else {
                cells.push((BARS[here], style));
            }
        }
        lines.push(Line::from(coalesce(cells)));
    }
    if let Some(e) = &m.scrub.hist_error {
        lines[0] = Line::from(Span::styled(
            super::fit(&format!("histogram unavailable: {e}"), cols),
            t.error(),
        ));
    }
    if inner.height > 1 {
        lines.push(axis(m, start, stop, cols, cursor_col, seconds, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn axis(
    m: &Model,
    start: i64,
    stop: i64,
    cols: usize,
    cursor: Option<usize>,
    seconds: bool,
    t: Theme,
) -> Line<'static> {
    let mut chars = vec![' '; cols];
    let label_w = if seconds { 8 } else { 5 };
    let step = (label_w + 6).max(1);
    let mut col = 0;
    while col + label_w <= cols {
        let ts = start + ((stop - start) as i128 * col as i128 / cols as i128) as i64;
        for (i, ch) in time::format_axis(ts, m.utc, seconds).chars().enumerate() {
            chars[col + i] = ch;
        }
        col += step;
    }
    let mut spans = Vec::new();
    match cursor {
        Some(c) => {
            let before: String = chars[..c].iter().collect();
            let after: String = chars[c + 1..].iter().collect();
            spans.push(Span::styled(before, t.dim()));
            spans.push(Span::styled("▲", t.cursor()));
            spans.push(Span::styled(after, t.dim()));
        }
        None => spans.push(Span::styled(chars.iter().collect::<String>(), t.dim())),
    }
    Line::from(spans)
}
