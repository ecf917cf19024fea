//! The timeline: a density histogram from the first message to now, with the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::{self, Action, Ctx};
use super::super::model::Model;
use super::super::theme::Theme;
use crate::client::{Histogram, HistogramUnit};
use crate::time;

use crate::time::NS_PER_SEC;

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Resamples a histogram onto `cols` columns covering `[start, stop)`: each bucket's
/// count is spread over the columns its time span covers, in proportion. A histogram
/// coarser than the screen (taken before a resize, or of a wider window) thus draws an
/// even bar, not a comb of bars and gaps.
pub(super) fn columns(h: &Histogram, start: i64, stop: i64, cols: usize) -> Vec<f64> {
    let mut out = vec![0f64; cols];
    if cols == 0 || stop <= start || h.counts.is_empty() {
        return out;
    }
    let bw = h.bucket_width().max(1) as f64;
    let col_w = (stop - start) as f64 / cols as f64;
    for (i, c) in h.counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let b0 = h.start_ns as f64 + i as f64 * bw;
        let b1 = b0 + bw;
        let (lo, hi) = (b0.max(start as f64), b1.min(stop as f64));
        if hi <= lo {
            continue;
        }
        let first = ((lo - start as f64) / col_w).floor().max(0.0) as usize;
        let last = (((hi - start as f64) / col_w).ceil() as usize).min(cols);
        for (col, v) in out.iter_mut().enumerate().take(last).skip(first) {
            let c0 = start as f64 + col as f64 * col_w;
            let overlap = (hi.min(c0 + col_w) - lo.max(c0)).max(0.0);
            *v += *c as f64 * overlap / bw;
        }
    }
    out
}

/// Timestamps of the received records the histogram `h` does not count yet (at or after
/// its stop), newest first; none for a histogram of bytes.
fn newer_than<'a>(m: &'a Model, h: &'a Histogram) -> impl Iterator<Item = i64> + 'a {
    let buf = &m.tail.live;
    let messages = h.unit == HistogramUnit::Messages;
    (buf.first_seq()..buf.end_seq())
        .rev()
        .map_while(move |seq| buf.get(seq).map(|r| r.ts_ns))
        .take_while(move |ts| messages && *ts >= h.stop_ns)
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
pub(super) fn column_of(t: i64, start: i64, stop: i64, cols: usize) -> Option<usize> {
    if t < start || t > stop || stop <= start || cols == 0 {
        return None;
    }
    let c = ((t - start) as i128 * cols as i128 / (stop - start) as i128) as usize;
    Some(c.min(cols - 1))
}

/// The timeline's title: the window, the cursor (or live), the span and the total.
fn title(m: &Model, start: i64, stop: i64) -> String {
    let span = stop - start;
    let live_window = m.window_is_live();
    let seconds = span < 20 * crate::time::NS_PER_MIN;
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
        let total: u64 = h.counts.iter().sum::<u64>() + newer_than(m, h).count() as u64;
        title.push_str(&match h.unit {
            HistogramUnit::Messages => {
                format!(" ─ {} messages", crate::format::human_count(total))
            }
            HistogramUnit::Bytes => format!(" ─ {} stored", crate::format::human_bytes(total)),
        });
    }
    title.push(' ');
    title
}

/// Draws the timeline block.
pub(super) fn timeline(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let (start, stop) = m.window();
    let title = title(m, start, stop);
    let block = t.pane(title, false);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cols = inner.width as usize;
    if m.tail.topic.is_none() {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "Tail a topic to see its history here; {}/{} then move through it.",
                    keymap::first_key(Ctx::Timeline, Action::ScrubBack),
                    keymap::first_key(Ctx::Timeline, Action::ScrubFwd)
                ),
                t.dim(),
            )),
            inner,
        );
        return;
    }
    let counts = column_counts(m, start, stop, cols);
    let bars = Bars {
        max: counts.iter().copied().fold(0f64, f64::max),
        counts: &counts,
        cursor: m.scrub.cursor.and_then(|c| column_of(c, start, stop, cols)),
        held: held_columns(m, start, stop, cols),
        // Find in history: a tick over each column holding a match, its bars highlighted.
        ticks: &super::find::tick_columns(m, start, stop, cols),
        rows: inner.height.saturating_sub(1).max(1) as usize,
    };
    let mut lines = bars.lines(t);
    if let Some(e) = &m.scrub.hist_error {
        lines[0] = Line::from(Span::styled(
            super::fit(&format!("histogram unavailable: {e}"), cols),
            t.error(),
        ));
    }
    if inner.height > 1 {
        lines.push(axis(m, start, stop, cols, bars.cursor, t));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The histogram's counts per column of `[start, stop]` (zeros before it comes).
fn column_counts(m: &Model, start: i64, stop: i64, cols: usize) -> Vec<f64> {
    let Some(h) = &m.scrub.hist else {
        return vec![0.0; cols];
    };
    let mut counts = columns(h, start, stop, cols);
    // Records that arrived since the histogram was taken are counted too, so the live
    // edge of the timeline does not lag by the refresh interval.
    for ts in newer_than(m, h) {
        if let Some(c) = column_of(ts, start, stop, cols) {
            counts[c] += 1.0;
        }
    }
    counts
}

/// The columns spanned by the buffered records (underlined on the bottom row).
fn held_columns(m: &Model, start: i64, stop: i64, cols: usize) -> Option<(usize, usize)> {
    let buf = m.tail.shown();
    let (a, b) = (buf.get(buf.first_seq())?, buf.last()?);
    let a = column_of(a.ts_ns.clamp(start, stop), start, stop, cols);
    let b = column_of(b.ts_ns.clamp(start, stop), start, stop, cols);
    a.zip(b)
}

/// The bars of the timeline and what marks them.
struct Bars<'a> {
    /// Per column.
    counts: &'a [f64],
    /// The largest count (the full height).
    max: f64,
    /// The cursor's column.
    cursor: Option<usize>,
    /// The buffered records' columns.
    held: Option<(usize, usize)>,
    /// The columns holding a find's match.
    ticks: &'a [bool],
    /// Rows of bars (each eight levels high).
    rows: usize,
}

impl Bars<'_> {
    /// The rows of bars, top first.
    fn lines(&self, t: Theme) -> Vec<Line<'static>> {
        (0..self.rows)
            .rev()
            .map(|row| {
                let cells = (0..self.counts.len()).map(|col| self.cell(row, col, t));
                Line::from(coalesce(cells.collect()))
            })
            .collect()
    }

    /// Row `row` (0: the bottom) of column `col`.
    fn cell(&self, row: usize, col: usize, t: Theme) -> (char, Style) {
        let levels = self.rows * 8;
        let c = self.counts[col];
        let level = if c <= 0.0 || self.max <= 0.0 {
            0
        } else {
            ((c * levels as f64 / self.max).ceil() as usize).clamp(1, levels)
        };
        let here = level.saturating_sub(row * 8).min(8);
        let mut style = t.bars();
        if row == 0 && self.held.is_some_and(|(a, b)| (a..=b).contains(&col)) {
            style = style.add_modifier(Modifier::UNDERLINED);
        }
        let tick = self.ticks.get(col).copied().unwrap_or(false);
        if Some(col) == self.cursor {
            (if here == 0 { '│' } else { BARS[here] }, t.cursor())
        } else if tick && here == 0 && row + 1 == self.rows {
            ('▾', t.hit())
        } else if tick {
            (BARS[here], t.hit())
        } else {
            (BARS[here], style)
        }
    }
}

/// Axis tick intervals, in seconds (sub-second ones in `SUB_SECOND_TICKS_MS`).
const TICKS_S: [i64; 20] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200,
    86_400, 172_800, 604_800,
];
const SUB_SECOND_TICKS_MS: [i64; 6] = [10, 20, 50, 100, 200, 500];

/// The axis labels of `[start, stop]` on `cols` columns: `(column, text)`, at round times
/// (every 10 s, 5 min, 1 h, ... in the shown time zone) far enough apart to stay legible,
/// the last one at the right edge (`now` for the live window, else the window's end).
pub(super) fn axis_labels(
    start: i64,
    stop: i64,
    cols: usize,
    utc: bool,
    live: bool,
) -> Vec<(usize, String)> {
    let span = stop - start;
    if cols == 0 || span <= 0 {
        return Vec::new();
    }
    let intervals = SUB_SECOND_TICKS_MS
        .iter()
        .map(|ms| ms * 1_000_000)
        .chain(TICKS_S.iter().map(|s| s * NS_PER_SEC));
    let width_of = |iv: i64| axis_format(iv).len();
    // The smallest interval whose labels are at least two columns apart.
    let interval = intervals
        .clone()
        .find(|&iv| (iv as i128 * cols as i128 / span as i128) >= (width_of(iv) + 2) as i128)
        .unwrap_or(TICKS_S[TICKS_S.len() - 1] * NS_PER_SEC);
    let fmt = axis_format(interval);
    let label = |ts: i64| format_in_zone(ts, utc, fmt);
    let end_text = if live { "now".to_string() } else { label(stop) };
    let end_col = cols.saturating_sub(end_text.chars().count());
    let mut out = Vec::new();
    // Round in the shown zone: local midnight, not UTC midnight, for day and hour ticks.
    let offset = if utc { 0 } else { local_offset_ns(start) };
    let first = (start + offset).div_euclid(interval) * interval - offset;
    let mut ts = if first < start {
        first + interval
    } else {
        first
    };
    let mut free_from = 0usize;
    while ts <= stop {
        let text = label(ts);
        let w = text.chars().count();
        let tick = column_of(ts, start, stop, cols).unwrap_or(cols);
        let col = tick.saturating_sub(w / 2);
        if col >= free_from && col + w + 2 <= end_col {
            out.push((col, text));
            free_from = col + w + 2;
        }
        ts += interval;
    }
    // The right edge is always labelled (regular labels keep clear of it).
    if end_text.chars().count() <= cols {
        out.push((end_col, end_text));
    }
    out
}

fn axis_format(interval: i64) -> &'static str {
    if interval < NS_PER_SEC {
        "%H:%M:%S%.3f"
    } else if interval < 60 * NS_PER_SEC {
        "%H:%M:%S"
    } else if interval < 86_400 * NS_PER_SEC {
        "%H:%M"
    } else {
        "%b %d"
    }
}

fn format_in_zone(ns: i64, utc: bool, fmt: &str) -> String {
    crate::time::format_at(ns, utc, fmt)
}

fn local_offset_ns(ns: i64) -> i64 {
    use chrono::Offset;
    let t = chrono::DateTime::from_timestamp_nanos(ns).with_timezone(&chrono::Local);
    i64::from(t.offset().fix().local_minus_utc()) * NS_PER_SEC
}

fn axis(
    m: &Model,
    start: i64,
    stop: i64,
    cols: usize,
    cursor: Option<usize>,
    t: Theme,
) -> Line<'static> {
    let mut chars = vec![' '; cols];
    for (col, text) in axis_labels(start, stop, cols, m.utc, m.window_is_live()) {
        // A label the cursor mark would cut in two is left out.
        if cursor.is_some_and(|c| c + 1 >= col && c <= col + text.chars().count()) {
            continue;
        }
        for (i, ch) in text.chars().enumerate() {
            if let Some(c) = chars.get_mut(col + i) {
                *c = ch;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * NS_PER_SEC;

    #[test]
    fn records_newer_than_the_histogram_are_counted_on_the_live_edge() {
        let now = 1_795_720_775 * NS_PER_SEC;
        let mut m = Model::new("127.0.0.1:1", false, true, 100, now);
        let topic = std::sync::Arc::new(crate::client::TopicName::parse("a/b").expect("name"));
        for i in 0..10 {
            m.tail.live.push(crate::client::Record {
                topic: topic.clone(),
                partition: 0,
                ts_ns: now - 10 * NS_PER_SEC + i * NS_PER_SEC,
                key: Default::default(),
                value: Default::default(),
                headers: vec![],
                is_close: false,
                offset: None,
                decoded: None,
            });
        }
        let mut h = Histogram {
            start_ns: now - 60 * NS_PER_SEC,
            stop_ns: now - 3 * NS_PER_SEC,
            counts: vec![1; 10],
            unit: HistogramUnit::Messages,
        };
        let newer: Vec<i64> = newer_than(&m, &h).collect();
        let secs = |ts: &i64| (now - ts) / NS_PER_SEC;
        assert_eq!(newer.iter().map(secs).collect::<Vec<_>>(), vec![1, 2, 3]);
        h.unit = HistogramUnit::Bytes;
        assert_eq!(newer_than(&m, &h).count(), 0);
    }

    #[test]
    fn a_coarse_histogram_draws_no_comb() {
        // 40 buckets (taken at a narrower width) on 100 columns: no empty column inside.
        let h = Histogram {
            start_ns: 0,
            stop_ns: 40 * NS_PER_SEC,
            counts: vec![10; 40],
            unit: HistogramUnit::Messages,
        };
        let cols = columns(&h, 0, 40 * NS_PER_SEC, 100);
        assert!(cols.iter().all(|c| *c > 0.0), "{cols:?}");
        let total: f64 = cols.iter().sum();
        assert!((total - 400.0).abs() < 1e-6, "{total}");
        let (lo, hi) = cols
            .iter()
            .fold((f64::MAX, 0f64), |(a, b), c| (a.min(*c), b.max(*c)));
        assert!(hi / lo < 1.01, "uneven: {lo}..{hi}");
        // A finer histogram sums its buckets into columns; one outside adds nothing.
        let h = Histogram {
            start_ns: 0,
            stop_ns: 40 * NS_PER_SEC,
            counts: vec![1; 40],
            unit: HistogramUnit::Messages,
        };
        assert_eq!(columns(&h, 0, 20 * NS_PER_SEC, 10), vec![2.0; 10]);
    }

    #[test]
    fn a_zoomed_axis_keeps_labels_at_every_span() {
        let start = 1_795_720_775 * NS_PER_SEC + 123_456_789;
        for cols in [58usize, 78, 118, 198] {
            // From the narrowest zoom (1 ms a column) to weeks.
            let mut span = cols as i64 * 1_000_000;
            while span < 60 * 86_400 * NS_PER_SEC {
                let labels = axis_labels(start, start + span, cols, true, false);
                assert!(
                    labels.len() >= 2,
                    "{cols} cols, span {span} ns: only {labels:?}"
                );
                span = span * 3 / 2;
            }
        }
    }

    #[test]
    fn axis_labels_are_round_times_and_end_at_now() {
        // 2026-11-26T19:19:35Z .. 2026-11-27T01:20:12Z on 158 columns, UTC.
        let start = 1_795_720_775 * NS_PER_SEC;
        let stop = start + 6 * 60 * MIN + 37 * NS_PER_SEC;
        let labels = axis_labels(start, stop, 158, true, true);
        let texts: Vec<&str> = labels.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts.last(), Some(&"now"), "{texts:?}");
        assert_eq!(labels.last().map(|l| l.0), Some(155));
        for t in &texts[..texts.len() - 1] {
            assert!(t.ends_with(":00") || t.ends_with(":30"), "{texts:?}");
        }
        assert!(
            texts.contains(&"20:00") && texts.contains(&"01:00"),
            "{texts:?}"
        );
        // Labels never overlap and stay inside the row.
        for w in labels.windows(2) {
            assert!(w[0].0 + w[0].1.len() < w[1].0, "{labels:?}");
        }
    }

    #[test]
    fn axis_labels_always_end_with_the_right_edge() {
        let start = 1_795_720_775 * NS_PER_SEC;
        for cols in [40usize, 60, 80, 118, 158, 200] {
            for secs in [7i64, 28, 31, 90, 600, 3_700, 21_600, 200_000] {
                let stop = start + secs * NS_PER_SEC;
                for live in [true, false] {
                    let labels = axis_labels(start, stop, cols, true, live);
                    let (col, text) = labels.last().expect("labels");
                    assert_eq!(col + text.len(), cols, "{cols} {secs} {labels:?}");
                    if live {
                        assert_eq!(text, "now");
                    }
                    for w in labels.windows(2) {
                        assert!(w[0].0 + w[0].1.len() < w[1].0, "{labels:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn axis_labels_of_a_zoomed_window_end_at_its_stop_and_show_seconds() {
        let start = 1_795_720_775 * NS_PER_SEC;
        let stop = start + 90 * NS_PER_SEC;
        let labels = axis_labels(start, stop, 100, true, false);
        let last = &labels.last().expect("labels").1;
        assert_eq!(last, "19:21:05");
        assert!(labels.iter().any(|(_, t)| t == "19:20:00"), "{labels:?}");
        // Sub-second windows label milliseconds, not the same second over and over.
        let labels = axis_labels(start, start + 300_000_000, 100, true, false);
        let texts: Vec<&String> = labels.iter().map(|(_, t)| t).collect();
        assert!(texts.len() >= 3, "{texts:?}");
        let mut dedup = texts.clone();
        dedup.dedup();
        assert_eq!(dedup, texts);
        assert!(axis_labels(start, start, 10, true, true).is_empty());
        assert_eq!(axis_labels(start, stop, 2, true, true), vec![]);
    }
}
