//! The tail pane: merged records in time order, with search highlights.

use ratatui::Frame;
use ratatui::layout::Rect;

use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::{self, Action, Ctx};
use super::super::layout::Areas;
use super::super::model::{Model, Pane};
use super::super::msg::TailEnd;
use super::super::query::tail_window;
use super::super::theme::{Theme, highlight};
use super::status::{mode_word, thousands};
use super::{fit, pad};
use crate::client::{Record, TopicName};
use crate::format::preview;
use crate::matcher::Matcher;
use crate::time;
use unicode_width::UnicodeWidthStr;

const KEY_W: usize = 14;

/// Draws the tail pane: its title, the column header (or the search prompt), the rows.
pub(super) fn tail(m: &Model, f: &mut Frame, a: &Areas) {
    let t = Theme::of(m);
    let focused = m.focus == Pane::Tail && m.overlay.is_none();
    f.render_widget(t.pane(title(m), focused), a.tail);
    let inner = Rect::new(
        a.tail.x + 1,
        a.tail.y + 1,
        a.tail.width.saturating_sub(2),
        1,
    );
    let w = inner.width as usize;
    let time_w = if m.utc { 13 } else { 12 };
    let topic_w = topic_width(m);
    let value_w = w.saturating_sub(time_w + 2 + 4 + 2 + topic_w + KEY_W + 2);
    let (col_ws, value_w) = column_widths(&m.tail.columns, value_w);
    let widths = Widths {
        topic: topic_w,
        time: time_w,
        columns: &col_ws,
        value: value_w,
    };
    let header = if m.tail.searching {
        search_prompt(m, t)
    } else {
        column_header(m, &widths, w, t)
    };
    f.render_widget(Paragraph::new(header), inner);
    let area = a.tail_rows;
    let buf = m.tail.shown();
    let rows = buf.rows(m.tail.filter);
    if rows.is_empty() {
        let msg = empty_message(m);
        f.render_widget(Paragraph::new(Span::styled(fit(&msg, w), t.dim())), area);
        return;
    }
    let (top, sel) = tail_window(m);
    let query = buf.query();
    let mut lines = Vec::with_capacity(area.height as usize);
    for row in top..(top + area.height as usize).min(rows.len()) {
        let Some((_, r)) = rows.record(row) else {
            continue;
        };
        let mut line = record_line(m, r, &widths, query, t);
        if row == sel && !m.tail.follow {
            line = line.patch_style(t.selected(focused));
            let used = line.width();
            if used < w {
                line.push_span(Span::styled(" ".repeat(w - used), t.selected(focused)));
            }
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The pane's title: the topic (or the topics merged), the mode, where it reads from,
/// the rate and the search.
fn title(m: &Model) -> String {
    match &m.tail.topic {
        None => " Tail ".to_string(),
        Some(_) if !m.tail.merged.is_empty() => {
            let names: Vec<String> = m.tail.merged.iter().map(|t| t.to_string()).collect();
            let mut s = format!(
                " {} topics merged: {} ─ {}",
                names.len(),
                names.join(", "),
                mode_word(m)
            );
            if let Some(c) = m.scrub.cursor {
                s.push_str(&format!(" from {}", time::format_clock(c, m.utc)));
            }
            s.push(' ');
            s
        }
        Some(topic) => topic_title(m, topic),
    }
}

/// The title of one topic's tail.
fn topic_title(m: &Model, topic: &TopicName) -> String {
    let parts = m
        .browser
        .info(topic)
        .map(|i| i.partitions.len())
        .filter(|n| *n > 0)
        .map(|n| format!(" ─ {n} partition{}", if n == 1 { "" } else { "s" }))
        .unwrap_or_default();
    let mut s = format!(" {topic}{parts} ─ {}", mode_word(m));
    s.push_str(&super::status::fault_badges(m));
    if let Some(c) = m.scrub.cursor {
        s.push_str(&format!(" from {}", time::format_clock(c, m.utc)));
    }
    s.push_str(&format!(" ─ {:.0} msg/s", m.rate));
    if m.tail.live.refused > 0 {
        s.push_str(&format!(
            " ─ first {} shown (more after)",
            thousands(m.tail.live.len() as u64)
        ));
    }
    if !m.tail.search.is_empty() {
        let n = m.tail.shown().matches().len();
        s.push_str(&format!(
            " ─ /{} {n} match{}{}",
            m.tail.search,
            if n == 1 { "" } else { "es" },
            if m.tail.filter { " (filtered)" } else { "" }
        ));
    }
    s.push(' ');
    s
}

/// The search being typed, in place of the column header.
fn search_prompt(m: &Model, t: Theme) -> Line<'static> {
    let mode = if m.tail.literal { "literal" } else { "regex" };
    let mut spans = vec![
        Span::styled(
            format!(
                "search ({mode}, {} switches): ",
                keymap::hint_keys(Ctx::Search, Action::SwitchSyntax)
            ),
            t.key(),
        ),
        Span::raw(format!("{}▏", m.tail.search)),
    ];
    if let Some(e) = &m.tail.search_error {
        spans.push(Span::styled(format!("  {e}"), t.error()));
    }
    Line::from(spans)
}

/// The column header (`w` columns wide).
fn column_header(m: &Model, widths: &Widths, w: usize, t: Theme) -> Line<'static> {
    let topic_head = match widths.topic {
        0 => String::new(),
        tw => pad("TOPIC", tw),
    };
    let mut text = format!(
        "{}  {}  {topic_head}{}  ",
        pad(if m.utc { "TIME (UTC)" } else { "TIME" }, widths.time),
        pad("PART", 4),
        pad("KEY", KEY_W)
    );
    for (name, cw) in m.tail.columns.iter().zip(widths.columns) {
        text.push_str(&pad(&name.to_uppercase(), *cw));
        text.push_str("  ");
    }
    if widths.value > 0 {
        text.push_str("VALUE");
    }
    Line::from(Span::styled(fit(&text, w), t.dim()))
}

fn empty_message(m: &Model) -> String {
    if m.tail.topic.is_none() {
        let open = keymap::hint_keys(Ctx::Browser, Action::Open);
        return format!("Select a topic and press {open} to tail it.");
    }
    match &m.tail.ended {
        Some(TailEnd::Failed(e)) => return format!("The subscription ended: {e}"),
        Some(TailEnd::Closed) => return "The subscription ended: the channel is closed.".into(),
        None => {}
    }
    if m.scrub.resub_at.is_some() {
        return "Moving to the cursor…".into();
    }
    if m.tail.filter && !m.tail.live.is_empty() {
        return "No record matches the search (f shows all).".into();
    }
    if m.tail.caught_up || m.scrub.cursor.is_some() {
        "No messages yet — waiting for new ones…".into()
    } else {
        "Reading…".into()
    }
}

/// The topic column of a merged tail (the longest name, 8 to 24 columns, and the gap);
/// 0 for one topic.
fn topic_width(m: &Model) -> usize {
    match m.tail.merged.iter().map(|t| t.to_string().width()).max() {
        Some(w) => w.clamp(8, 24) + 2,
        None => 0,
    }
}

/// Column widths of a record row.
struct Widths<'w> {
    /// The topic column with its gap (0: one topic, none shown).
    topic: usize,
    time: usize,
    columns: &'w [usize],
    value: usize,
}

/// The widths of the field columns that fit in `room` (each as wide as its name, 8 to
/// 24 columns) and what is left for the value (nothing when under 10 columns).
fn column_widths(cols: &[String], room: usize) -> (Vec<usize>, usize) {
    let mut left = room;
    let mut out = Vec::new();
    for c in cols {
        let cw = c.width().clamp(8, 24);
        if cw + 2 > left {
            break;
        }
        out.push(cw);
        left -= cw + 2;
    }
    let value = if out.is_empty() || left >= 10 {
        left
    } else {
        0
    };
    (out, value)
}

/// The field columns of a record: each path's text, `─` where the value has none.
fn field_cells(r: &Record, cols: &[String], widths: &[usize]) -> Vec<String> {
    let parsed = match r.value_json() {
        Some(_) => None,
        None => crate::fields::parse(&r.value),
    };
    let json = r.value_json().or(parsed.as_ref());
    cols.iter()
        .zip(widths)
        .map(|(path, cw)| {
            let text = json
                .and_then(|v| crate::fields::get(v, path))
                .map(crate::fields::text)
                .map_or_else(
                    || "─".to_string(),
                    |s| crate::format::preview(s.as_bytes(), *cw),
                );
            pad(&text, *cw)
        })
        .collect()
}

fn record_line<'a>(
    m: &Model,
    r: &Record,
    wd: &Widths<'_>,
    query: Option<&Matcher>,
    t: Theme,
) -> Line<'a> {
    let (time_w, value_w) = (wd.time, wd.value);
    let clock = time::format_clock(r.ts_ns, m.utc);
    let clock = if m.utc { format!("{clock}Z") } else { clock };
    let key = if r.key.is_empty() {
        "─".to_string()
    } else {
        preview(r.shown_key(), KEY_W)
    };
    let mut value = preview(r.shown_value(), value_w.max(1));
    if r.schema_note().is_some() {
        value = format!("[raw] {value}");
    }
    if r.is_close {
        value = format!("[close] {value}");
    }
    // The preview is cut in characters; wide ones (CJK, emoji) need the cut in columns.
    let value = fit(&value, value_w.max(1));
    let mut spans = vec![
        Span::styled(pad(&clock, time_w), t.time()),
        Span::raw("  "),
        Span::styled(pad(&format!("p{}", r.partition), 4), t.dim()),
        Span::raw("  "),
    ];
    if wd.topic > 0 {
        let name = preview(r.topic.to_string().as_bytes(), wd.topic - 2);
        spans.push(Span::styled(pad(&name, wd.topic), t.title()));
    }
    spans.extend(highlight(&pad(&key, KEY_W), query, t.text(), t.hit()));
    spans.push(Span::raw("  "));
    for cell in field_cells(r, &m.tail.columns, wd.columns) {
        spans.extend(highlight(&cell, query, t.title(), t.hit()));
        spans.push(Span::raw("  "));
    }
    if value_w == 0 {
        return Line::from(spans);
    }
    spans.extend(highlight(&value, query, t.text(), t.hit()));
    Line::from(spans)
}
