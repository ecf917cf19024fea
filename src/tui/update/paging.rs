//! Paging back before the first loaded record (scrub and live mode alike): moving up
//! past it asks the worker for the page before it; the answer goes in front of the
//! buffer, every record keeps its sequence number, so the position is not lost.

use super::super::buffer::Buffer;
use super::super::model::{Level, Model};
use super::super::msg::{Effect, ReqId, WorkerCmd};
use super::super::query::{tail_height, tail_window};
use super::nav;
use crate::client::Record;

/// Before moving up `delta` rows (< 0): when that passes the first loaded record, asks
/// for the records before it (once; not past the topic's first message).
pub(super) fn want_earlier(m: &mut Model, delta: isize, cmds: &mut Vec<Effect>) {
    let Some(topic) = m.tail.topic.clone() else {
        return;
    };
    if !m.tail.merged.is_empty() {
        return; // several topics: paging back reads one topic; scrub (←) instead
    }
    let (_, sel) = tail_window(m);
    let overshoot = (sel as isize).saturating_add(delta);
    if delta >= 0 || overshoot >= 0 || m.tail.paging.is_some() {
        return;
    }
    let buf = m.tail.shown();
    let Some(before) = buf.get(buf.first_seq()).map(|r| r.ts_ns) else {
        return; // nothing loaded: nothing to page back from
    };
    let floor = m
        .browser
        .info(&topic)
        .and_then(|i| i.first_ts_ns())
        .unwrap_or(0);
    if m.tail.at_beginning || before <= floor {
        m.tail.at_beginning = true;
        m.say(Level::Info, "this is the topic's first message");
        return;
    }
    let req = m.fresh_id();
    let limit = (tail_height(m) * 2).clamp(50, 1000);
    m.tail.paging = Some((req, before, overshoot));
    cmds.push(Effect::Worker(WorkerCmd::ReadBefore {
        req,
        topic,
        before_ns: before,
        floor_ns: floor,
        limit,
    }));
    m.say(Level::Info, "reading earlier records…");
}

fn shown_mut(m: &mut Model) -> &mut Buffer {
    match &mut m.tail.frozen {
        Some(f) => f,
        None => &mut m.tail.live,
    }
}

/// The page before the first loaded record arrived: in front of the buffer it goes, and
/// the selection moves on up by the rows the key asked for.
pub(super) fn on_earlier(m: &mut Model, req: ReqId, result: Result<(Vec<Record>, bool), String>) {
    let Some((want, before, overshoot)) = m.tail.paging else {
        return;
    };
    if want != req {
        return; // stale: a replaced subscription or page
    }
    m.tail.paging = None;
    let (records, done) = match result {
        Ok(r) => r,
        Err(e) => {
            m.say(Level::Error, format!("reading earlier records failed: {e}"));
            return;
        }
    };
    m.tail.at_beginning = done;
    let buf = shown_mut(m);
    if buf.get(buf.first_seq()).map(|r| r.ts_ns) != Some(before) {
        // The live ring moved on meanwhile: the page would leave a gap. Drop it.
        return;
    }
    let got = records.len();
    let n = buf.prepend(records);
    let (_, sel_row) = tail_window(m);
    if let Some(seq) = m.tail.shown().rows(m.tail.filter).seq(sel_row) {
        m.tail.follow = false;
        m.tail.sel = seq;
    }
    let (_, row) = tail_window(m);
    nav::tail_select_row(m, row.saturating_add_signed(overshoot));
    if n < got {
        m.say(
            Level::Info,
            format!("paged in {n} of {got} earlier records: the buffer is full (--buffer)"),
        );
    } else if done {
        m.say(
            Level::Info,
            format!("{n} earlier records; this is the topic's first message"),
        );
    } else {
        m.say(Level::Info, format!("{n} earlier records"));
    }
}
