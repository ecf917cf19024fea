//! Landing on one record: `swmq open LINK` (and `y`, which copies the link to a record).
//!
//! A landing puts the timeline cursor at the record's nanosecond, subscribes there, finds
//! the record among the first ones delivered and selects it, then pages in the records
//! just before it (a [`Effect::Worker(WorkerCmd::ReadBefore)`]), so the tail shows the record with what came
//! before and after it. A link is opened once the first topic listing is in: it tells
//! whether the topic exists and whether the time is inside it.

use super::super::model::{Landing, Level, Model, Overlay, Pane, Sel};
use super::super::msg::{Effect, WorkerCmd};
use super::super::query::{tail_height, tail_window};
use super::scrub;
use crate::client::{Protocol, Record};
use crate::link::Link;

/// Opens `link` once the topic listing arrives (see [`on_listing`]).
pub fn open_link(m: &mut Model, link: &Link) {
    m.opening = Some(Landing::new(
        link.topic.clone(),
        link.ts_ns,
        link.partition,
        link.offset,
    ));
    m.say(
        Level::Info,
        format!(
            "opening {} at {} (partition {})…",
            link.topic,
            crate::time::format_datetime_exact(link.ts_ns, m.utc),
            link.partition
        ),
    );
}

/// A topic listing arrived: lands the pending link, if any.
pub fn on_listing(m: &mut Model, cmds: &mut Vec<Effect>) {
    if let Some(l) = m.opening.take() {
        land(m, l, cmds);
    }
}

/// Tails `l.topic` from `l.ts_ns` and selects the record once it is delivered. A topic
/// that is not listed, or a time outside it, is said in the status line.
pub fn land(m: &mut Model, l: Landing, cmds: &mut Vec<Effect>) {
    let Some(info) = m.browser.info(&l.topic).cloned() else {
        m.say(
            Level::Error,
            format!("{} does not exist on {} (deleted?)", l.topic, m.addr),
        );
        return;
    };
    let problem = crate::link::position_problem_at(&l.topic, l.ts_ns, l.partition, &info, m.utc);
    let topic = l.topic.clone();
    if m.tail.topic.as_ref() != Some(&topic) || !m.tail.merged.is_empty() {
        m.tail.merged.clear();
        m.tail.topic = Some(topic.clone());
        m.tail.columns = m.columns_by_topic.get(&topic).cloned().unwrap_or_default();
        m.scrub = Default::default();
        m.browser.sel = Some(Sel::Topic(topic));
        super::nav::browser_keep_visible(m);
    }
    m.overlay = None;
    m.focus = Pane::Tail;
    scrub::set_cursor(m, l.ts_ns, cmds);
    m.scrub.landing = Some(l);
    scrub::request_histogram(m, cmds);
    if let Some(p) = problem {
        m.say(Level::Error, p);
    }
}

/// New records of the landing's subscription: selects the record when it is in, or the
/// first one after its time when the read has passed it (`ended`: the history is all in).
pub fn on_records(m: &mut Model, ended: bool, cmds: &mut Vec<Effect>) {
    let Some(l) = &m.scrub.landing else {
        return;
    };
    if l.found || (m.tail.sub.is_none() && !ended) {
        return;
    }
    let buf = &m.tail.live;
    let (mut hit, mut next, mut passed) = (None, None, false);
    for seq in buf.first_seq()..buf.end_seq() {
        let Some(r) = buf.get(seq) else { continue };
        if is_target(l, r) {
            hit = Some(seq);
            break;
        }
        if r.ts_ns >= l.ts_ns && next.is_none() {
            next = Some(seq);
        }
        passed |= r.ts_ns > l.ts_ns;
    }
    let (ts, partition) = (l.ts_ns, l.partition);
    let at = crate::time::format_datetime_exact(ts, m.utc);
    let seq = match hit {
        Some(seq) => seq,
        None if passed || ended || buf.refused > 0 => {
            let text = match next {
                Some(_) => format!(
                    "no record of partition {partition} at {at} (deleted?): showing the next one"
                ),
                None => format!("no record at or after {at}"),
            };
            m.say(Level::Error, text);
            match next {
                Some(seq) => seq,
                None => {
                    m.scrub.landing = None;
                    return;
                }
            }
        }
        None => return, // not delivered yet
    };
    select(m, seq);
    if hit.is_some() {
        m.say(
            Level::Info,
            format!("at the record: partition {partition}, {at}"),
        );
    }
    ask_context(m, cmds);
}

fn is_target(l: &Landing, r: &Record) -> bool {
    r.partition == l.partition
        && r.ts_ns == l.ts_ns
        && (l.offset.is_none() || r.offset.is_none() || r.offset == l.offset)
}

fn select(m: &mut Model, seq: u64) {
    m.tail.follow = false;
    m.tail.frozen = None;
    m.tail.sel = seq;
    m.tail.top = seq;
    if let Some(l) = &mut m.scrub.landing {
        l.found = true;
    }
}

/// Asks for the records just before the first loaded one: the context above the record.
fn ask_context(m: &mut Model, cmds: &mut Vec<Effect>) {
    let Some(topic) = m.tail.topic.clone() else {
        return;
    };
    let buf = &m.tail.live;
    let Some(before) = buf.get(buf.first_seq()).map(|r| r.ts_ns) else {
        return;
    };
    let floor = m
        .browser
        .info(&topic)
        .and_then(|i| i.first_ts_ns())
        .unwrap_or(0);
    if before <= floor || m.tail.paging.is_some() {
        m.scrub.landing = None;
        return;
    }
    let req = m.fresh_id();
    let limit = (tail_height(m) / 2).max(3);
    m.tail.paging = Some((req, before, 0));
    if let Some(l) = &mut m.scrub.landing {
        l.context_req = Some(req);
    }
    cmds.push(Effect::Worker(WorkerCmd::ReadBefore {
        req,
        topic,
        before_ns: before,
        floor_ns: floor,
        limit,
    }));
}

/// The records before the landed one are in (paged in by [`super::paging::on_earlier`]):
/// scrolls so that they show above it.
pub fn after_context(m: &mut Model, req: u64) {
    if m.scrub
        .landing
        .as_ref()
        .is_none_or(|l| l.context_req != Some(req))
    {
        return;
    }
    m.scrub.landing = None;
    let (_, sel_row) = tail_window(m);
    let rows = m.tail.shown().rows(m.tail.filter);
    let top_row = sel_row.saturating_sub(tail_height(m) / 2);
    if let Some(top) = rows.seq(top_row) {
        m.tail.top = top;
    }
    m.say(
        Level::Info,
        format!("at the record, {sel_row} earlier record(s) loaded above it"),
    );
}

/// `y`: copies a link to the selected record (the detail view's, or the tail's) and
/// shows it in the status line.
pub fn copy_link(m: &mut Model, cmds: &mut Vec<Effect>) {
    let record = match &m.overlay {
        Some(Overlay::Detail { seq, .. }) => m.tail.shown().get(*seq),
        _ if m.tail.follow && m.tail.shown().is_empty() => None,
        _ => {
            let (_, sel) = tail_window(m);
            m.tail
                .shown()
                .rows(m.tail.filter)
                .record(sel)
                .map(|(_, r)| r)
        }
    };
    let Some(r) = record else {
        m.say(Level::Info, "no record selected: nothing to link to");
        return;
    };
    let mut link = Link::to_record(&m.addr, r);
    link.protocol = m.protocol;
    link.tls = m.link_hints.tls;
    if m.protocol == Some(Protocol::Mq) {
        link.filer = m.link_hints.filer.clone();
    }
    let text = link.to_string();
    if let Err(e) = Link::parse(&text) {
        m.say(Level::Error, format!("cannot link to this record: {e}"));
        return;
    }
    cmds.push(Effect::Copy(text.clone()));
    m.say(Level::Info, format!("copied {text}"));
}
