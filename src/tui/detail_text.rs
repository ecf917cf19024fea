//! A record's detail as lines: the overlay draws them, and `update` counts them to clamp
//! its scrolling (shared here so that neither calls the other).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::keymap::{self, Action, Ctx};
use super::model::Model;
use super::theme::Theme;
use crate::client::Record;
use crate::format::{ValueView, preview, value_view};
use crate::matcher::Matcher;
use crate::time;

/// The lines of a record's detail (without scrolling), the value wrapped at `width`
/// columns so that no part of a long text or JSON string is cut off at the edge.
pub(crate) fn detail_lines(m: &Model, seq: u64, width: usize, t: Theme) -> Vec<Line<'static>> {
    let Some(r) = m.tail.shown().get(seq) else {
        let pause = keymap::hint_keys(Ctx::Tail, Action::Pause);
        return vec![Line::from(Span::styled(
            format!(
                "This record is no longer buffered (the ring moved on). Pause with {pause} to keep it."
            ),
            t.dim(),
        ))];
    };
    let q = m.tail.shown().query();
    let mut lines = where_lines(m, r, q, t);
    if r.is_close {
        lines.push(Line::from(vec![
            label("Close", t),
            Span::raw("a close message (seals the channel)"),
        ]));
    }
    lines.extend(header_lines(r, q, t));
    lines.extend(value_lines(r, width, q, t));
    lines
}

/// A field's label, padded.
fn label(s: &str, t: Theme) -> Span<'static> {
    Span::styled(format!("{s:<10}"), t.key())
}

/// Text with the search's matches highlighted.
fn hl(s: &str, q: Option<&Matcher>, t: Theme) -> Vec<Span<'static>> {
    super::theme::highlight(s, q, t.text(), t.hit())
}

/// Where the record is (topic, partition, offset, time) and its key.
fn where_lines(m: &Model, r: &Record, q: Option<&Matcher>, t: Theme) -> Vec<Line<'static>> {
    let key = if r.key.is_empty() {
        "(none)".to_string()
    } else {
        preview(r.shown_key(), 200)
    };
    vec![
        Line::from(vec![label("Topic", t), Span::raw(r.topic.to_string())]),
        Line::from(vec![
            label("Partition", t),
            Span::raw(format!("p{}", r.partition)),
            Span::styled("   offset ", t.key()),
            Span::raw(r.offset.map_or("unknown".to_string(), |o| o.to_string())),
        ]),
        Line::from(vec![
            label("Time", t),
            Span::styled(time::format_rfc3339(r.ts_ns), t.time()),
            Span::styled(format!("   {} ns", r.ts_ns), t.dim()),
        ]),
        Line::from(vec![
            label("", t),
            Span::styled(
                format!(
                    "{} {}",
                    time::format_datetime(r.ts_ns, m.utc),
                    if m.utc { "" } else { "local" }
                ),
                t.dim(),
            ),
        ]),
        Line::from(
            [label("Key", t)]
                .into_iter()
                .chain(hl(&key, q, t))
                .collect::<Vec<_>>(),
        ),
    ]
}

/// The headers, one a line.
fn header_lines(r: &Record, q: Option<&Matcher>, t: Theme) -> Vec<Line<'static>> {
    if r.headers.is_empty() {
        return vec![Line::from(vec![
            label("Headers", t),
            Span::styled("(none)", t.dim()),
        ])];
    }
    r.headers
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let mut spans = vec![label(if i == 0 { "Headers" } else { "" }, t)];
            spans.extend(super::theme::highlight(
                &format!("{k}: "),
                q,
                t.title(),
                t.hit(),
            ));
            spans.extend(hl(&preview(v, 200), q, t));
            Line::from(spans)
        })
        .collect()
}

/// The value: what it is (JSON, text, hex, a schema's record), its size, then its lines
/// wrapped at `width`.
fn value_lines(r: &Record, width: usize, q: Option<&Matcher>, t: Theme) -> Vec<Line<'static>> {
    let (kind, body) = match value_view(r.shown_value()) {
        ValueView::Json(l) if r.value_json().is_some() => ("record decoded with the schema", l),
        ValueView::Json(l) => ("JSON", l),
        ValueView::Text(l) => ("text", l),
        ValueView::Hex(l) => ("hex", l),
    };
    let mut lines = vec![
        Line::from(""),
        Line::from(vec![
            label("Value", t),
            Span::styled(format!("{kind}, {} B", r.value.len()), t.dim()),
        ]),
    ];
    if let Some(note) = r.schema_note() {
        lines.push(Line::from(vec![
            label("", t),
            Span::styled(preview(note.as_bytes(), 200), t.dim()),
        ]));
    }
    lines.extend(
        body.iter()
            .flat_map(|l| wrap(l, width))
            .map(|l| Line::from(hl(&l, q, t))),
    );
    lines
}

/// Splits `s` into pieces of at most `width` terminal columns (at least one piece).
pub(crate) fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut out = vec![String::new()];
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        used += w;
        out.last_mut().expect("at least one piece").push(ch);
    }
    out
}

/// The detail overlay's area and the columns inside its border.
pub(crate) fn detail_area(area: Rect) -> (Rect, usize) {
    let r = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(2),
    );
    (r, usize::from(r.width.saturating_sub(2)))
}

/// How far the detail of record `seq` can scroll on a terminal of `size`.
pub(crate) fn max_scroll(m: &Model, seq: u64, size: (u16, u16)) -> u16 {
    let (r, width) = detail_area(Rect::new(0, 0, size.0, size.1));
    let n = detail_lines(m, seq, width, Theme::of(m)).len();
    u16::try_from(n)
        .unwrap_or(u16::MAX)
        .saturating_sub(r.height.saturating_sub(2))
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_value_lines_wrap_by_terminal_columns() {
        assert_eq!(wrap("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(wrap("", 3), vec![""]);
        // Wide characters take two columns and are never split.
        assert_eq!(wrap("日本語の", 5), vec!["日本", "語の"]);
    }
}
