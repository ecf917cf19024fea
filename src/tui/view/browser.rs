//! The topic browser: namespaces → topics, channels with their state.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::{self, Action, Ctx};
use super::super::layout::{self, Areas};
use super::super::model::{Model, Pane, SortKey, TreeRow};
use super::super::theme::Theme;
use super::{fit, pad};
use crate::client::{CHANNEL_NAMESPACE, TopicInfo};
use crate::format::{human_bytes, human_count};
use crate::time::format_duration;
use unicode_width::UnicodeWidthStr;

/// Draws the browser: its title, the filter being typed, the column header, the rows.
pub(super) fn browser(m: &Model, f: &mut Frame, a: &Areas) {
    let t = Theme::of(m);
    let focused = m.focus == Pane::Browser && m.overlay.is_none();
    f.render_widget(t.pane(title(m), focused), a.browser);
    let filter_line = m.browser.editing || !m.browser.filter.is_empty();
    let rows_area = layout::browser_rows(a, filter_line);
    let w = rows_area.width as usize;
    let header = ratatui::layout::Rect::new(rows_area.x, rows_area.y - 1, rows_area.width, 1);
    f.render_widget(
        Paragraph::new(Span::styled(header_text(m, w), t.dim())),
        header,
    );
    if filter_line {
        let cursor = if m.browser.editing { "▏" } else { "" };
        let r = ratatui::layout::Rect::new(rows_area.x, rows_area.y - 2, rows_area.width, 1);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("/", t.key()),
                Span::raw(fit(
                    &format!("{}{cursor}", m.browser.filter),
                    w.saturating_sub(1),
                )),
            ])),
            r,
        );
    }
    let rows = m.browser.rows();
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled(fit(&empty_message(m), w), t.dim())),
            rows_area,
        );
        return;
    }
    let sel = m.browser.sel_row(&rows);
    let mut lines = Vec::with_capacity(rows_area.height as usize);
    for (i, row) in rows
        .iter()
        .enumerate()
        .skip(m.browser.scroll)
        .take(rows_area.height as usize)
    {
        let mut line = match row {
            TreeRow::Namespace(ns, collapsed, n) => namespace_line(ns, *collapsed, *n, w, t),
            TreeRow::Topic(info) => topic_line(m, info, w, t),
        };
        if Some(i) == sel {
            line = line.patch_style(t.selected(focused));
            let used = line.width();
            if used < w {
                line.push_span(Span::styled(" ".repeat(w - used), t.selected(focused)));
            }
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), rows_area);
}

/// The pane's title: how many topics (filtered: how many of all match).
fn title(m: &Model) -> String {
    if m.browser.loaded && !m.browser.filter.is_empty() {
        let f = m.browser.filter.to_lowercase();
        let shown = m
            .browser
            .topics
            .iter()
            .filter(|t| t.name.to_string().to_lowercase().contains(&f))
            .count();
        format!(" Topics ({shown}/{}) ", m.browser.topics.len())
    } else if m.browser.loaded {
        format!(" Topics ({}) ", m.browser.topics.len())
    } else {
        " Topics (loading…) ".to_string()
    }
}

/// What an empty list says.
fn empty_message(m: &Model) -> String {
    if !m.browser.loaded {
        "loading…".to_string()
    } else if m.browser.filter.is_empty() {
        let p = keymap::hint_keys(Ctx::Global, Action::Publish);
        format!("no topics yet — press {p} to publish one")
    } else {
        "no topic matches the filter".to_string()
    }
}

/// A namespace's row: collapsed or not, its name, how many topics.
fn namespace_line(ns: &str, collapsed: bool, n: usize, w: usize, t: Theme) -> Line<'static> {
    let arrow = if collapsed { "▸" } else { "▾" };
    let name = if ns == CHANNEL_NAMESPACE {
        "channels"
    } else {
        ns
    };
    Line::from(vec![
        Span::styled(format!("{arrow} "), t.dim()),
        Span::styled(fit(name, w.saturating_sub(8)), t.title()),
        Span::styled(format!(" ({n})"), t.dim()),
    ])
}

/// Which columns a list `w` columns wide shows besides the name: the count always
/// (80×24 keeps it), then the rate, the size and the age as room allows.
#[derive(Debug, Clone, Copy)]
struct Cols {
    rate: bool,
    age: bool,
    size: bool,
}

const COUNT_W: usize = 6;
const RATE_W: usize = 6;
const AGE_W: usize = 4;
const SIZE_W: usize = 8;

/// On a narrow list the column sorted by shows too (next to the count).
fn cols(w: usize, sort: SortKey) -> Cols {
    let sorted = |k: SortKey| sort == k && w >= 24;
    Cols {
        rate: w >= 34 || sorted(SortKey::Rate),
        size: w >= 44 || sorted(SortKey::Size),
        age: w >= 54 || sorted(SortKey::Last),
    }
}

/// The right-hand cells: count, rate, age, size (each right-aligned, one space before).
fn right_cells(c: Cols, count: &str, rate: &str, age: &str, size: &str) -> String {
    let mut right = format!(" {count:>COUNT_W$}");
    if c.rate {
        right.push_str(&format!(" {rate:>RATE_W$}"));
    }
    if c.age {
        right.push_str(&format!(" {age:>AGE_W$}"));
    }
    if c.size {
        right.push_str(&format!(" {size:>SIZE_W$}"));
    }
    right
}

/// The column header, the sorted column marked `▼` (name: `▲`).
fn header_text(m: &Model, w: usize) -> String {
    let mark = |k: SortKey, s: &str| {
        if m.browser.sort == k {
            format!("{s}{}", if k == SortKey::Name { "▲" } else { "▼" })
        } else {
            s.to_string()
        }
    };
    let right = right_cells(
        cols(w, m.browser.sort),
        "MSGS",
        &mark(SortKey::Rate, "MSG/S"),
        &mark(SortKey::Last, "LAST"),
        &mark(SortKey::Size, "SIZE"),
    );
    let name_w = w.saturating_sub(4 + right.width());
    fit(
        &format!("    {}{right}", pad(&mark(SortKey::Name, "NAME"), name_w)),
        w,
    )
}

/// A rate for the msgs/s column: `0`, `2.5`, `120`, `1.2k`; `-` before two listings.
fn rate_label(rate: Option<f64>) -> String {
    match rate {
        None => "-".into(),
        Some(r) if r < 0.05 => "0".into(),
        Some(r) if r < 10.0 => format!("{r:.1}"),
        Some(r) if r < 1000.0 => format!("{r:.0}"),
        Some(r) => human_count(r as u64),
    }
}

fn topic_line<'a>(m: &Model, info: &'a TopicInfo, w: usize, t: Theme) -> Line<'a> {
    let tailing = m.tail.topic.as_ref() == Some(&info.name);
    let marker = if info.name.is_channel() {
        if info.closed() {
            Span::styled("○ ", t.dim())
        } else {
            Span::styled("◉ ", t.ok())
        }
    } else if tailing {
        Span::styled("● ", t.ok())
    } else {
        Span::raw("  ")
    };
    let count = info.message_count().map(human_count).unwrap_or_default();
    let size = info.bytes().map(human_bytes).unwrap_or_default();
    let age = info
        .last_ts_ns()
        .map(|ts| age_label(m.now - ts))
        .unwrap_or_default();
    let rate = rate_label(m.browser.rates.get(&info.name).copied());
    let mut right = right_cells(cols(w, m.browser.sort), &count, &rate, &age, &size);
    // The marker says open (◉) or closed (○); the word too where there is room; then
    // consumed: ✓ (by whom, when, where there is room), ✗ or ?.
    if info.name.is_channel() {
        let state = if w >= 44 {
            format!(" {:>6}", if info.closed() { "closed" } else { "open" })
        } else {
            String::new()
        };
        right = format!("{state} {}{right}", consumed_label(m, info, w));
    } else if m.protocol == Some(crate::client::Protocol::Mq) {
        // 4.x: consumed by a consumer group that committed the end of every partition.
        right = format!(" {}{right}", consumed_label(m, info, w));
    }
    let name_w = w.saturating_sub(4 + right.width());
    let mark = if m.browser.marked.contains(&info.name) {
        Span::styled("+ ", t.warn())
    } else {
        Span::raw("  ")
    };
    Line::from(vec![
        mark,
        marker,
        Span::styled(
            pad(&info.name.name, name_w),
            if tailing { t.title() } else { t.text() },
        ),
        Span::styled(right, t.dim()),
    ])
}

/// A channel's (4.x: a topic's) consumed cell: `✓ worker-3 2h` (the subscriber, or the
/// consumer group, and when) on wide panes, else `✓`, `✗` or `?`.
fn consumed_label(m: &Model, info: &TopicInfo, w: usize) -> String {
    match info.consumer() {
        Some(s) if w >= 64 && info.consumed() == crate::client::Consumed::Yes => {
            let at = s.close_received_at_ns.unwrap_or(m.now);
            format!(
                "✓ {:<10} {:>4}",
                crate::format::preview(s.id.as_bytes(), 10),
                age_label(m.now - at)
            )
        }
        _ => info.consumed().mark().to_string(),
    }
}

/// The last-message age of a browser row, at most 5 columns: "now" under a second
/// (not "750ms", which pushed the row out of its columns).
fn age_label(age_ns: i64) -> String {
    if age_ns < crate::time::NS_PER_SEC {
        "now".into()
    } else {
        format_duration(age_ns)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_under_a_second_say_now() {
        assert_eq!(super::age_label(750_000_000), "now");
        assert_eq!(super::age_label(-5), "now"); // a clock slightly behind the broker's
        assert_eq!(super::age_label(42_000_000_000), "42s");
    }

    #[test]
    fn rates_read_at_a_glance() {
        assert_eq!(super::rate_label(None), "-");
        assert_eq!(super::rate_label(Some(0.01)), "0");
        assert_eq!(super::rate_label(Some(2.46)), "2.5");
        assert_eq!(super::rate_label(Some(120.4)), "120");
        assert!(super::rate_label(Some(12_345.0)).ends_with('k'));
    }
}
