//! The find-in-history results list (over the tail pane) and the matches' ticks on the
//! timeline.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::find::{FindState, snippet};
use super::super::layout::Areas;
use super::super::model::Model;
use super::super::query::list_height;
use super::super::theme::Theme;
use super::super::theme::highlight;
use super::{fit, pad};
use crate::format::preview;
use crate::time;

/// Width of the time column (`2026-12-01 14:02:05.123Z`).
const TIME_W: usize = 24;
/// Width of the key column.
const KEY_W: usize = 14;

/// Draws the results list over the tail pane: one line per match (time, partition, key,
/// snippet with the match highlighted by the search's matcher), then the progress line.
pub(crate) fn results(m: &Model, f: &mut Frame, a: &Areas) {
    let t = Theme::of(m);
    let fd = &m.find;
    let topic = fd.topic.as_ref().map(|t| t.to_string()).unwrap_or_default();
    let how = match (fd.query.fixed, fd.query.ignore_case) {
        (false, false) => "",
        (false, true) => ", ignore case",
        (true, false) => ", fixed string",
        (true, true) => ", fixed string, ignore case",
    };
    let title = format!("Find {:?}{how} in {topic}: {}", fd.query.pattern, fd.range);
    let block = t.pane(title, true);
    let area = a.tail;
    let inner = block.inner(area);
    f.render_widget(Clear, area);
    f.render_widget(block, area);
    let w = usize::from(inner.width);
    if inner.height < 2 || w < 20 {
        return;
    }
    let time_w = if m.utc { TIME_W } else { TIME_W - 1 };
    let snip_w = w.saturating_sub(time_w + 2 + 4 + 2 + KEY_W + 2).max(8);
    let head = format!(
        "{}  {}  {}  MATCH",
        pad("TIME", time_w),
        pad("PART", 4),
        pad("KEY", KEY_W)
    );
    let mut lines = vec![Line::from(Span::styled(fit(&head, w), t.dim()))];
    let q = fd.matcher.as_ref();
    let rows = list_height(m).min(usize::from(inner.height).saturating_sub(2));
    for (i, r) in fd.results.iter().enumerate().skip(fd.scroll).take(rows) {
        let mut clock = time::format_datetime(r.ts_ns, m.utc);
        if m.utc {
            clock.push('Z');
        }
        let key = if r.key.is_empty() {
            "─".to_string()
        } else {
            preview(r.shown_key(), KEY_W)
        };
        let mut spans = vec![
            Span::styled(pad(&clock, time_w), t.time()),
            Span::raw("  "),
            Span::styled(pad(&format!("p{}", r.partition), 4), t.dim()),
            Span::raw("  "),
        ];
        spans.extend(highlight(&pad(&key, KEY_W), q, t.text(), t.hit()));
        spans.push(Span::raw("  "));
        let snip = q.map(|q| snippet(r, q, snip_w)).unwrap_or_default();
        spans.extend(highlight(&snip, q, t.text(), t.hit()));
        let mut line = Line::from(spans);
        if i == fd.sel {
            line = line.style(t.selected(true));
        }
        lines.push(line);
    }
    if fd.results.is_empty() {
        let text = match &fd.state {
            FindState::Running => "searching… (matches show here as they are found)",
            _ => "no match",
        };
        lines.push(Line::from(Span::styled(text, t.dim())));
    }
    while lines.len() < usize::from(inner.height) - 1 {
        lines.push(Line::from(""));
    }
    let style = match fd.state {
        FindState::Failed(_) => t.error(),
        FindState::Done { complete: false } => t.warn(),
        _ => t.dim(),
    };
    lines.push(Line::from(Span::styled(fit(&fd.progress_line(), w), style)));
    f.render_widget(Paragraph::new(lines), inner);
}

/// The timeline columns (of `cols` over `[start, stop]`) holding a match of the last
/// search, when it searched the tailed topic.
pub(crate) fn tick_columns(m: &Model, start: i64, stop: i64, cols: usize) -> Vec<bool> {
    let mut ticks = vec![false; cols];
    if m.find.topic.is_none() || m.find.topic != m.tail.topic || !m.tail.merged.is_empty() {
        return ticks;
    }
    for r in &m.find.results {
        if let Some(c) = super::timeline::column_of(r.ts_ns, start, stop, cols)
            && let Some(t) = ticks.get_mut(c)
        {
            *t = true;
        }
    }
    ticks
}
