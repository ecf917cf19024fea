//! The scrubber: cursor moves, zoom, go-to-time, the debounced re-subscribe, histograms.

use super::super::model::{DEBOUNCE_NS, Level, Model};
use super::super::msg::{Effect, Start, WorkerCmd};
use super::open_key;
use crate::time::TimeSpec;

/// Buckets the timeline shows (its inner width).
pub(crate) fn buckets(m: &Model) -> i64 {
    i64::from(m.areas().timeline_inner.width.max(1))
}

/// Width of one timeline bucket in ns.
pub(crate) fn bucket_ns(m: &Model) -> i64 {
    let (start, stop) = m.window();
    ((stop - start) / buckets(m)).max(1)
}

/// Asks for the histogram of the current window.
pub(crate) fn request_histogram(m: &mut Model, cmds: &mut Vec<Effect>) {
    let Some(topic) = m.tail.topic.clone() else {
        return;
    };
    let id = m.fresh_id();
    let (start_ns, stop_ns) = m.window();
    m.scrub.hist_id = id;
    m.scrub.hist_at = m.now;
    if !m.tail.merged.is_empty() {
        cmds.push(Effect::Worker(WorkerCmd::HistogramMany {
            id,
            topics: m.tail.merged.clone(),
            start_ns,
            stop_ns,
            buckets: buckets(m) as u32,
        }));
        return;
    }
    cmds.push(Effect::Worker(WorkerCmd::Histogram {
        id,
        topic,
        start_ns,
        stop_ns,
        buckets: buckets(m) as u32,
    }));
}

/// Moves the cursor by `n` buckets (negative: back).
pub(crate) fn move_cursor(m: &mut Model, n: i64, cmds: &mut Vec<Effect>) {
    if m.tail.topic.is_none() {
        m.say(
            Level::Info,
            format!("select a topic first ({} in the topic list)", open_key()),
        );
        return;
    }
    let (_, stop) = m.window();
    let cur = m.scrub.cursor.unwrap_or(stop.min(m.now));
    let target = cur.saturating_add(n.saturating_mul(bucket_ns(m)));
    if n > 0 && target >= m.now {
        go_live(m, cmds);
        return;
    }
    set_cursor(m, target, cmds);
}

/// Puts the cursor at `t` (clamped to the topic's history), cancels the current
/// subscription and schedules the re-subscribe at `t` after the debounce.
pub(crate) fn set_cursor(m: &mut Model, t: i64, cmds: &mut Vec<Effect>) {
    let t = t.clamp(m.history_start(), m.now.max(m.history_start()));
    m.scrub.landing = None; // a landing sets its own after this
    m.scrub.cursor = Some(t);
    if let Some((start, stop)) = m.scrub.window {
        let span = stop - start;
        if t < start || t >= stop {
            let ns = t - span / 2;
            m.scrub.window = Some((ns, ns + span));
            request_histogram(m, cmds);
        }
    }
    if let Some(old) = m.tail.sub.take() {
        cmds.push(Effect::Worker(WorkerCmd::Cancel { id: old }));
        // What was shown is not "from the cursor": clear it until the new read delivers.
        reset_tail_buffer(m);
    }
    m.tail.frozen = None;
    m.tail.follow = false;
    m.scrub.resub_at = Some(m.now + DEBOUNCE_NS);
    m.dirty = true;
}

/// Fires the debounced re-subscribe when due.
pub(crate) fn fire_resubscribe(m: &mut Model, cmds: &mut Vec<Effect>) {
    let (Some(due), Some(cursor), Some(_)) = (m.scrub.resub_at, m.scrub.cursor, &m.tail.topic)
    else {
        return;
    };
    if m.now < due {
        return;
    }
    m.scrub.resub_at = None;
    resubscribe(m, Start::At(cursor), cmds);
    m.tail.follow = false;
    m.tail.sel = m.tail.live.end_seq();
    m.tail.top = m.tail.sel;
}

/// THE way to (re)start the tail of the tailed topic: cancels the current subscription,
/// takes a fresh id, empties the buffer and subscribes from `start`. From the newest
/// records the ring evicts the oldest; from a time it keeps the first records (the ones
/// at the cursor) and stops reading when full.
pub(crate) fn resubscribe(m: &mut Model, start: Start, cmds: &mut Vec<Effect>) {
    let Some(topic) = m.tail.topic.clone() else {
        return;
    };
    if let Some(old) = m.tail.sub.take() {
        cmds.push(Effect::Worker(WorkerCmd::Cancel { id: old }));
    }
    let id = m.fresh_id();
    m.tail.sub = Some(id);
    reset_tail_buffer(m);
    m.tail.live.evict = matches!(start, Start::Newest(_));
    if !m.tail.merged.is_empty() {
        let topics = m.tail.merged.clone();
        cmds.push(Effect::Worker(WorkerCmd::SubscribeMany {
            id,
            topics,
            start,
        }));
        return;
    }
    cmds.push(Effect::Worker(WorkerCmd::Subscribe { id, topic, start }));
}

/// Empties the tail buffer for a new subscription.
pub(crate) fn reset_tail_buffer(m: &mut Model) {
    m.tail.live.clear();
    m.tail.frozen = None;
    m.tail.caught_up = false;
    m.tail.reconnecting = None;
    m.tail.faults.clear();
    m.tail.ended = None;
    m.tail.received = 0;
    m.tail.since_pause = 0;
    m.tail.last_ts = None;
    m.tail.paging = None;
    m.tail.at_beginning = false;
    m.dirty = true;
}

/// Back to live: newest records, following, full-history timeline.
pub(crate) fn go_live(m: &mut Model, cmds: &mut Vec<Effect>) {
    m.scrub.landing = None;
    let was_scrubbing = m.scrub.cursor.is_some() || m.scrub.resub_at.is_some();
    m.scrub.cursor = None;
    m.scrub.resub_at = None;
    m.tail.follow = true;
    if !was_scrubbing {
        return;
    }
    let zoomed = m.scrub.window.take().is_some();
    if m.tail.topic.is_none() {
        return;
    }
    resubscribe(m, Start::Newest(m.tail.live.capacity()), cmds);
    if zoomed {
        request_histogram(m, cmds);
    }
}

/// Zooms the window by `factor` (2.0 out, 0.5 in) around the cursor (or now).
pub(crate) fn zoom(m: &mut Model, factor: f64, cmds: &mut Vec<Effect>) {
    if m.tail.topic.is_none() {
        m.say(
            Level::Info,
            format!("select a topic first ({} in the topic list)", open_key()),
        );
        return;
    }
    let (start, stop) = m.window();
    let span = (stop - start) as f64;
    let min_span = (buckets(m) * 1_000_000) as f64; // 1 ms per bucket
    let new_span = (span * factor).max(min_span).min(1e18) as i64;
    let center = m.scrub.cursor.unwrap_or(stop);
    // Keep the cursor at the same relative place.
    let rel = if span > 0.0 {
        (center - start) as f64 / span
    } else {
        1.0
    };
    let mut new_start = center - (new_span as f64 * rel) as i64;
    let mut new_stop = new_start + new_span;
    if new_stop > m.now && m.scrub.cursor.is_none() {
        new_stop = m.now;
        new_start = new_stop - new_span;
    }
    let full = {
        let saved = m.scrub.window.take();
        let w = m.window();
        m.scrub.window = saved;
        w
    };
    if factor > 1.0 && new_start <= full.0 && new_stop >= full.1 {
        m.scrub.window = None; // zoomed out to the whole history
    } else {
        m.scrub.window = Some((new_start, new_stop));
    }
    m.say(
        Level::Info,
        format!("zoom {}", crate::time::format_duration(new_span)),
    );
    request_histogram(m, cmds);
}

/// Applies a go-to-time SPEC.
pub(crate) fn go_to(m: &mut Model, spec: TimeSpec, cmds: &mut Vec<Effect>) {
    match spec {
        TimeSpec::Latest => go_live(m, cmds),
        TimeSpec::Earliest => {
            let t = m.history_start();
            set_cursor(m, t, cmds);
        }
        TimeSpec::At(t) if t >= m.now => {
            // "now" or a future time: nothing is there yet; follow live instead of
            // parking the cursor at the right edge on an empty tail.
            go_live(m, cmds);
            m.say(Level::Info, "that is now or later: following live");
        }
        TimeSpec::At(t) => {
            // Make the target visible: recentre a zoomed window on it.
            if t < m.history_start() {
                m.say(
                    Level::Info,
                    "before the topic's first message: showing from the first one",
                );
            }
            set_cursor(m, t, cmds);
        }
    }
}

/// The clock moved from `old_now`: a window zoomed while live keeps its span and slides
/// with now (instead of freezing at the moment of the zoom while still saying "live").
pub(crate) fn slide_live_window(m: &mut Model, old_now: i64) {
    if m.scrub.cursor.is_some() {
        return;
    }
    if let Some((start, stop)) = m.scrub.window
        && stop >= old_now
        && stop < m.now
    {
        m.scrub.window = Some((m.now - (stop - start), m.now));
    }
}

/// Live timeline: refreshes the histogram every few seconds.
pub(crate) fn refresh_histogram_if_due(m: &mut Model, cmds: &mut Vec<Effect>) {
    if m.tail.topic.is_some()
        && m.window_is_live()
        && m.now - m.scrub.hist_at >= super::super::model::HISTOGRAM_REFRESH_NS
    {
        request_histogram(m, cmds);
    }
}

/// The time at column `col` of the timeline.
pub(crate) fn time_at_column(m: &Model, col: u16) -> i64 {
    let (start, _) = m.window();
    start + i64::from(col) * bucket_ns(m)
}
