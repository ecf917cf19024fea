//! Pure rendering of the `topics` and `describe` tables and the describe histogram, all
//! fitting an 80-column terminal.

use crate::client::{
    Histogram, HistogramUnit, PartitionInfo, TopicDescription, TopicInfo, TopicName,
};
use crate::format::escape::escape;
use crate::format::human_bytes;
use crate::time;

use crate::time::NS_PER_SEC;

/// The width every table fits in.
pub(super) const WIDTH: usize = 80;

/// A column: its header and whether its cells are right-aligned.
pub(super) struct Col {
    /// Header text.
    pub header: &'static str,
    /// Right-align (numbers).
    pub right: bool,
}

const fn col(header: &'static str, right: bool) -> Col {
    Col { header, right }
}

use crate::format::text::width as width_of;

/// Cuts `s` to `w` terminal columns (CJK and emoji count two), ending with `…` when cut.
pub(super) fn truncate(s: &str, w: usize) -> String {
    crate::format::text::fit(s, w)
}

/// Renders rows under headers, two spaces between columns; the `flex` column shrinks
/// (cells cut with `…`) so that lines fit `width`. Lines carry no trailing spaces.
pub(super) fn render(cols: &[Col], rows: &[Vec<String>], flex: usize, width: usize) -> Vec<String> {
    let mut w: Vec<usize> = cols.iter().map(|c| width_of(c.header)).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate().take(cols.len()) {
            w[i] = w[i].max(width_of(cell));
        }
    }
    let total: usize = w.iter().sum::<usize>() + 2 * cols.len().saturating_sub(1);
    if total > width && flex < w.len() {
        let others = total - w[flex];
        w[flex] = width
            .saturating_sub(others)
            .max(width_of(cols[flex].header))
            .max(6);
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let cell = truncate(cell, w[i]);
            let pad = w[i].saturating_sub(width_of(&cell));
            if cols[i].right {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(&cell);
            } else {
                s.push_str(&cell);
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = vec![line(cols.iter().map(|c| c.header).collect())];
    for r in rows {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// `48213` → `48,213`.
pub(super) use crate::format::text::thousands as group;

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".to_string())
}

/// A compact time for table cells: `11-26 14:02` (local, or UTC when `utc`).
pub(super) fn short_time(ns: i64, utc: bool) -> String {
    time::format_at(ns, utc, "%m-%d %H:%M")
}

/// A count for a table cell: grouped when it fits 9 characters, else `1.3G`.
fn count_cell(n: u64) -> String {
    let g = group(n);
    if g.len() <= 9 {
        g
    } else {
        crate::format::human_count(n)
    }
}

/// A topic name from a server, for a table: escaped, and marked `(invalid)` in front
/// (where a narrow column does not cut it off) when it is not a valid name: a hostile or
/// buggy server must not make two names look alike.
pub(super) fn topic_cell(name: &TopicName) -> String {
    let s = format!("{}/{}", escape(&name.namespace), escape(&name.name));
    if crate::names::name_problem(&name.namespace).is_some()
        || crate::names::name_problem(&name.name).is_some()
    {
        return format!("(invalid) {s}");
    }
    s
}

/// The `swmq topics` table; with `consumed`, a CONSUMED column (only then: it takes room
/// from the names in 80 columns).
pub(super) fn topics_table(topics: &[TopicInfo], utc: bool, consumed: bool) -> Vec<String> {
    let (first, last) = if utc {
        ("FIRST UTC", "LAST UTC")
    } else {
        ("FIRST", "LAST")
    };
    let cols = [
        col("TOPIC", false),
        col("PARTS", true),
        col("MESSAGES", true),
        col("SIZE", true),
        col(first, false),
        col(last, false),
        col("CONSUMED", false),
    ];
    let n = if consumed { cols.len() } else { cols.len() - 1 };
    let cols = &cols[..n];
    let rows: Vec<Vec<String>> = topics
        .iter()
        .map(|t| {
            let mut name = topic_cell(&t.name);
            if t.name.is_channel() && t.closed() {
                name.push_str(" (closed)");
            }
            vec![
                name,
                if t.partitions.is_empty() {
                    "-".into()
                } else {
                    t.partitions.len().to_string()
                },
                opt(t.message_count(), count_cell),
                opt(t.bytes(), human_bytes),
                opt(t.first_ts_ns(), |ns| short_time(ns, utc)),
                opt(t.last_ts_ns(), |ns| short_time(ns, utc)),
                super::topics_bulk::consumed_short(t),
            ]
            .into_iter()
            .take(n)
            .collect()
        })
        .collect();
    render(cols, &rows, 0, WIDTH)
}

/// Readers listed by `describe` at most (the broker keeps 64 per partition).
const READERS_LISTED: usize = 16;

/// Whether the topic was consumed and by whom (channels, and 4.x topics with consumer
/// groups), then each reader a 2.x broker recorded for a channel (swmq's own left out).
fn consumed_lines(info: &TopicInfo, utc: bool) -> Vec<String> {
    use crate::client::Consumed;
    let readers: Vec<(i32, &crate::client::SubscriberInfo)> = info
        .partitions
        .iter()
        .flat_map(|p| p.subscribers.iter().map(move |s| (p.id, s)))
        .filter(|(_, s)| !s.inspector)
        .collect();
    if !info.name.is_channel() && readers.is_empty() {
        return Vec::new();
    }
    let at = |ns: Option<i64>| {
        ns.map(|ns| format!(" at {}", time::format_datetime(ns, utc)))
            .unwrap_or_default()
    };
    let state = match (info.consumed(), info.consumer()) {
        (Consumed::Yes, Some(s)) => {
            let more = match info.consumers().len() {
                0 | 1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            format!("✓ by {}{}{more}", escape(&s.id), at(s.close_received_at_ns))
        }
        (c, _) => format!("{} {}", c.mark(), c.label()),
    };
    let mut out = vec![format!("consumed    {state}")];
    if !info.name.is_channel() {
        return out;
    }
    for (p, s) in readers.iter().take(READERS_LISTED) {
        let close = if s.received_close() {
            ", read the close"
        } else {
            ""
        };
        out.push(format!(
            "reader      p{p} {}: {} delivered, last seen {}{close}",
            escape(&s.id),
            s.delivered,
            time::format_datetime(s.last_seen_ns, utc)
        ));
    }
    if readers.len() > READERS_LISTED {
        out.push(format!(
            "            … and {} more (--format json lists them)",
            readers.len() - READERS_LISTED
        ));
    }
    out
}

/// The `swmq describe` table: a summary, the partitions, then the histogram.
pub(super) fn describe_table(d: &TopicDescription, protocol: &str, utc: bool) -> Vec<String> {
    let info = &d.info;
    let mut out = vec![
        format!("topic       {}", topic_cell(&info.name)),
        format!("protocol    {protocol}"),
        format!("partitions  {}", info.partitions.len()),
        format!("messages    {}", opt(info.message_count(), group)),
        format!("size        {}", opt(info.bytes(), human_bytes)),
    ];
    let (first, last) = (info.first_ts_ns(), info.last_ts_ns());
    out.push(format!(
        "first       {}",
        opt(first, |ns| time::format_datetime(ns, utc))
    ));
    let span = match (first, last) {
        (Some(f), Some(l)) => format!("  (span {})", precise_duration(l.saturating_sub(f))),
        _ => String::new(),
    };
    out.push(format!(
        "last        {}{span}",
        opt(last, |ns| time::format_datetime(ns, utc))
    ));
    if info.publishers.is_some() || info.subscribers.is_some() {
        out.push(format!(
            "clients     {} publishers, {} subscribers",
            opt(info.publishers, |n| n.to_string()),
            opt(info.subscribers, |n| n.to_string())
        ));
    }
    if info.name.is_channel() {
        let state = if info.closed() { "closed" } else { "open" };
        out.push(format!("channel     {state}"));
    }
    out.extend(consumed_lines(info, utc));
    if !info.partitions.is_empty() {
        out.push(String::new());
        out.extend(partitions_table(&info.partitions, utc));
    }
    if let Some(h) = &d.histogram {
        out.push(String::new());
        out.extend(histogram_lines(h, utc));
    }
    out
}

fn partitions_table(parts: &[PartitionInfo], utc: bool) -> Vec<String> {
    let ring = parts.iter().any(|p| p.ring.is_some() || p.leader.is_some());
    let last = if utc { "LAST UTC" } else { "LAST" };
    let mut cols = vec![col("PART", true)];
    if ring {
        cols.push(col("RANGE", false));
        cols.push(col("LEADER", false));
    }
    cols.extend([col("MESSAGES", true), col("SIZE", true), col(last, false)]);
    if !ring {
        cols.push(col("STATE", false));
    }
    let rows: Vec<Vec<String>> = parts
        .iter()
        .map(|p| {
            let mut r = vec![p.id.to_string()];
            if ring {
                r.push(opt(p.ring, |g| {
                    format!("{}-{}", g.range_start, g.range_stop)
                }));
                r.push(opt(p.leader.as_deref(), |s| escape(s).into_owned()));
            }
            r.push(opt(p.message_count, count_cell));
            r.push(opt(p.bytes, human_bytes));
            r.push(opt(p.last_ts_ns, |ns| short_time(ns, utc)));
            if !ring {
                r.push(if p.closed { "closed" } else { "open" }.to_string());
            }
            r
        })
        .collect();
    let flex = if ring { 2 } else { 0 };
    render(&cols, &rows, flex, WIDTH)
}

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One sparkline character per bucket: blank for zero, `▁`..`█` scaled to the peak.
pub(super) fn sparkline(counts: &[u64]) -> String {
    let peak = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                let i = (c as u128 * 8).div_ceil(peak as u128) as usize;
                LEVELS[i.clamp(1, 8) - 1]
            }
        })
        .collect()
}

fn unit_cell(unit: HistogramUnit, v: u64) -> String {
    match unit {
        HistogramUnit::Messages => group(v),
        HistogramUnit::Bytes => human_bytes(v),
    }
}

/// The histogram: a header line, then bars (≤ 24 buckets, one line each) or a sparkline
/// wrapped at 72 buckets per line with its time axis.
pub(super) fn histogram_lines(h: &Histogram, utc: bool) -> Vec<String> {
    let what = match h.unit {
        HistogramUnit::Messages => "messages",
        HistogramUnit::Bytes => "bytes",
    };
    let peak = h.counts.iter().copied().max().unwrap_or(0);
    let total: u64 = h.counts.iter().fold(0u64, |a, &c| a.saturating_add(c));
    let w = h.bucket_width();
    let label = Labels::new(h.start_ns, h.stop_ns, w, utc);
    let span = format!(
        "{what} per {}, {} → {}",
        precise_duration(w),
        label.full(h.start_ns),
        label.row(h.stop_ns)
    );
    let sums = format!(
        "total {}, peak {}",
        unit_cell(h.unit, total),
        unit_cell(h.unit, peak)
    );
    let mut out = if width_of(&span) + 2 + width_of(&sums) <= WIDTH {
        vec![format!("{span}, {sums}")]
    } else {
        vec![span, sums]
    };
    if h.counts.len() <= 24 {
        const BAR: usize = 40;
        for (i, &c) in h.counts.iter().enumerate() {
            let start = h.start_ns.saturating_add(w.saturating_mul(i as i64));
            let eighths = if peak == 0 {
                0
            } else {
                (c as u128 * (BAR as u128 * 8)).div_ceil(peak as u128) as usize
            };
            let mut bar = "█".repeat(eighths / 8);
            if eighths % 8 > 0 {
                bar.push(LEVELS[eighths % 8 - 1]);
            }
            out.push(format!(
                "{}  {:<BAR$}  {}",
                label.row(start),
                bar,
                unit_cell(h.unit, c)
            ));
        }
        return out;
    }
    const ROW: usize = 72;
    for (row, chunk) in h.counts.chunks(ROW).enumerate() {
        let start = h
            .start_ns
            .saturating_add(w.saturating_mul((row * ROW) as i64));
        // The last label is the histogram's end (not start + width × buckets, which the
        // integer bucket width leaves short of it).
        let stop = if (row + 1) * ROW >= h.counts.len() {
            h.stop_ns
        } else {
            start.saturating_add(w.saturating_mul(chunk.len() as i64))
        };
        out.push(sparkline(chunk));
        let (a, b) = (label.row(start), label.row(stop));
        let gap = chunk.len().max(a.len() + b.len() + 1) - a.len() - b.len();
        out.push(format!("{a}{}{b}", " ".repeat(gap)));
    }
    out
}

/// A duration (bucket width, span) exact enough at any scale: `0s`, `375µs`, `1.5ms`,
/// `2.25s`, `8m34s`, `1h30m`, `2d`.
pub(super) fn precise_duration(ns: i64) -> String {
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    if ns <= 0 {
        return "0s".into();
    }
    let decimal = |v: i64, unit: i64, name: &str| {
        let s = format!("{:.3}", v as f64 / unit as f64);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}{name}")
    };
    if ns < US {
        format!("{ns}ns")
    } else if ns < MS {
        decimal(ns, US, "µs")
    } else if ns < NS_PER_SEC {
        decimal(ns, MS, "ms")
    } else if ns < 60 * NS_PER_SEC {
        decimal(ns, NS_PER_SEC, "s")
    } else if ns < 3_600 * NS_PER_SEC {
        let secs = ns / NS_PER_SEC;
        match secs % 60 {
            0 => format!("{}m", secs / 60),
            s => format!("{}m{s}s", secs / 60),
        }
    } else {
        time::format_duration(ns)
    }
}

/// Histogram time labels with the precision the bucket width needs, so that consecutive
/// buckets never share a label: minutes for wide buckets, down to nanoseconds; the date
/// is shown on rows only when the span crosses a day.
struct Labels {
    utc: bool,
    /// Digits after the second (None: minute precision).
    frac: Option<usize>,
    date_on_rows: bool,
}

impl Labels {
    fn new(start_ns: i64, stop_ns: i64, width_ns: i64, utc: bool) -> Self {
        let frac = if width_ns >= 60 * NS_PER_SEC {
            None
        } else if width_ns >= NS_PER_SEC {
            Some(0)
        } else if width_ns >= 1_000_000 {
            Some(3)
        } else if width_ns >= 1_000 {
            Some(6)
        } else {
            Some(9)
        };
        let day = |ns: i64| Self::at(ns, utc, "%Y-%m-%d");
        let date_on_rows = frac.is_none() || day(start_ns) != day(stop_ns.saturating_sub(1));
        Labels {
            utc,
            frac,
            date_on_rows,
        }
    }

    fn at(ns: i64, utc: bool, fmt: &str) -> String {
        time::format_at(ns, utc, fmt)
    }

    fn fmt(&self, ns: i64, date: bool) -> String {
        let clock = match self.frac {
            None => "%H:%M".to_string(),
            Some(0) => "%H:%M:%S".to_string(),
            Some(n) => format!("%H:%M:%S%.{n}f"),
        };
        let fmt = if date {
            format!("%m-%d {clock}")
        } else {
            clock
        };
        Self::at(ns, self.utc, &fmt)
    }

    /// With the date (header).
    fn full(&self, ns: i64) -> String {
        self.fmt(ns, true)
    }

    /// A row or axis label.
    fn row(&self, ns: i64) -> String {
        self.fmt(ns, self.date_on_rows)
    }
}

#[cfg(test)]
mod tests;
