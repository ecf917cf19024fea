//! What the worker reports, applied to the model.

use super::super::model::PartFault;
use super::super::model::{ConnState, Level, Model, Overlay};
use super::super::msg::{Effect, ReqId, SubId, TailEnd, WorkerCmd, WorkerEvent};
use super::{dialog_waiting, nav};
use crate::client::{ClientError, DeleteOutcome, Histogram, PublishOutcome, Record, TopicInfo};

/// Applies a worker event: each family to its own function.
pub(super) fn on_event(m: &mut Model, ev: WorkerEvent, cmds: &mut Vec<Effect>) {
    m.dirty = true;
    match ev {
        WorkerEvent::Connected { .. } | WorkerEvent::Unreachable { .. } => on_connection(m, ev),
        WorkerEvent::Topics(list) => on_topics(m, list, cmds),
        WorkerEvent::Records { id, records } => on_records(m, id, records, cmds),
        WorkerEvent::CaughtUp { .. }
        | WorkerEvent::TailReconnecting { .. }
        | WorkerEvent::TailReconnected { .. }
        | WorkerEvent::TailNotice { .. }
        | WorkerEvent::TailPartitionFailed { .. }
        | WorkerEvent::TailEnded { .. } => on_tail_state(m, ev, cmds),
        WorkerEvent::Inspected { id, result } => {
            super::super::inspector::on_result(m, id, result.map_err(|e| e.to_string()));
        }
        WorkerEvent::Histogram { id, result } => on_histogram(m, id, result),
        WorkerEvent::Earlier { req, result } => {
            super::paging::on_earlier(m, req, result);
            super::landing::after_context(m, req);
        }
        WorkerEvent::Published { req, result } => on_published(m, req, result, cmds),
        WorkerEvent::ChannelClosed { req, result } => on_channel_closed(m, req, result, cmds),
        WorkerEvent::Deleted { req, result } => on_deleted(m, req, result, cmds),
        WorkerEvent::DeletedMany {
            req,
            deleted,
            failed,
        } => {
            let text = super::marks::deleted_many_text(deleted.len(), &failed);
            finish_request(m, req, failed.is_empty(), true, text);
            super::marks::on_deleted_many(m, &deleted, cmds);
        }
        WorkerEvent::Found {
            id,
            matches,
            progress,
        } => super::find::on_found(m, id, matches, progress),
        WorkerEvent::FindNotice { id, text } => super::find::on_notice(m, id, text),
        WorkerEvent::FindEnded { id, result } => super::find::on_ended(m, id, result),
    }
}

/// The connection: connected (again), or the broker unreachable.
fn on_connection(m: &mut Model, ev: WorkerEvent) {
    match ev {
        WorkerEvent::Connected { protocol, addr } => {
            if matches!(m.conn, ConnState::Disconnected { .. }) {
                m.say(Level::Info, format!("reconnected to {addr}"));
            }
            m.protocol = Some(protocol);
            m.addr = addr;
            m.conn = ConnState::Connected;
        }
        WorkerEvent::Unreachable {
            addr,
            error,
            attempt,
            retry_in_ms,
        } => {
            m.addr = addr;
            let error = error.to_string();
            m.conn = match m.conn {
                ConnState::Connected | ConnState::Disconnected { .. } => {
                    ConnState::Disconnected { error, attempt }
                }
                _ => ConnState::Unreachable {
                    error,
                    attempt,
                    retry_in_ms,
                },
            };
        }
        _ => {} // another family's
    }
}

/// A topic listing: the browser keeps its selection (or the row it was on).
fn on_topics(m: &mut Model, mut list: Vec<TopicInfo>, cmds: &mut Vec<Effect>) {
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let old_row = m.browser.sel_row(&m.browser.rows());
    m.browser.take_listing(list, m.now);
    nav::browser_reselect(m, old_row);
    super::landing::on_listing(m, cmds);
}

/// The tail subscription's state (caught up, a fault, its end); another subscription's
/// (replaced) are dropped.
fn on_tail_state(m: &mut Model, ev: WorkerEvent, cmds: &mut Vec<Effect>) {
    match ev {
        WorkerEvent::CaughtUp { id } if m.tail.sub == Some(id) => {
            m.tail.caught_up = true;
            super::landing::on_records(m, true, cmds);
        }
        WorkerEvent::TailNotice { id, text } if m.tail.sub == Some(id) => {
            m.say(Level::Error, text);
        }
        WorkerEvent::TailReconnecting {
            id,
            partition,
            error,
            ..
        } if m.tail.sub == Some(id) => match partition {
            Some(p) => {
                m.tail
                    .faults
                    .insert(p, PartFault::Reconnecting(error.to_string()));
            }
            None => m.tail.reconnecting = Some(error.to_string()),
        },
        WorkerEvent::TailReconnected { id, partition } if m.tail.sub == Some(id) => match partition
        {
            Some(p) => {
                m.tail.faults.remove(&p);
            }
            None => m.tail.reconnecting = None,
        },
        WorkerEvent::TailPartitionFailed {
            id,
            partition,
            error,
        } if m.tail.sub == Some(id) => {
            m.say(
                Level::Error,
                format!("partition {partition} failed (the others go on): {error}"),
            );
            m.tail
                .faults
                .insert(partition, PartFault::Failed(error.to_string()));
        }
        WorkerEvent::TailEnded { id, end } if m.tail.sub == Some(id) => {
            m.tail.sub = None;
            if let TailEnd::Failed(e) = &end {
                m.say(Level::Error, format!("tail stopped: {e}"));
            }
            m.tail.ended = Some(end);
        }
        _ => {} // a replaced subscription's, or another family's
    }
}

/// The timeline's histogram (only the latest request's).
fn on_histogram(m: &mut Model, id: ReqId, result: Result<Histogram, ClientError>) {
    if id != m.scrub.hist_id {
        return;
    }
    match result {
        Ok(h) => {
            m.scrub.hist = Some(h);
            m.scrub.hist_error = None;
        }
        Err(e) => m.scrub.hist_error = Some(e.to_string()),
    }
}

/// A close-channel answer: said, and the list refreshed when it worked.
fn on_channel_closed(
    m: &mut Model,
    req: ReqId,
    result: Result<PublishOutcome, ClientError>,
    cmds: &mut Vec<Effect>,
) {
    let text = match &result {
        Ok(_) => "channel closed".to_string(),
        Err(e) => format!("close failed: {e}"),
    };
    let ok = result.is_ok();
    finish_request(m, req, ok, true, text);
    if ok {
        cmds.push(Effect::Worker(WorkerCmd::RefreshTopics));
    }
}

/// New records of subscription `id`.
fn on_records(m: &mut Model, id: SubId, records: Vec<Record>, cmds: &mut Vec<Effect>) {
    if m.tail.sub != Some(id) {
        return; // stale: a replaced subscription
    }
    let n = records.len() as u64;
    let was_empty = m.tail.live.is_empty();
    for r in records {
        m.tail.last_ts = Some(r.ts_ns);
        m.tail.live.push(r);
    }
    m.tail.received += n;
    if m.tail.caught_up {
        // msg/s is the topic's live rate, not the speed history is replayed at.
        m.rate_window.1 += n;
    }
    if m.tail.paused() {
        m.tail.since_pause += n;
    }
    if was_empty && !m.tail.follow && m.tail.sel < m.tail.live.first_seq() {
        m.tail.sel = m.tail.live.first_seq();
        m.tail.top = m.tail.sel;
    }
    super::landing::on_records(m, false, cmds);
    if m.tail.live.refused > 0 && !m.tail.live.evict {
        // From a cursor: the window is full; stop reading instead of dropping.
        m.tail.sub = None;
        cmds.push(Effect::Worker(WorkerCmd::Cancel { id }));
    }
}

/// A publish answer: the status names the target; a new topic is listed at once.
fn on_published(
    m: &mut Model,
    req: ReqId,
    result: Result<Vec<PublishOutcome>, ClientError>,
    cmds: &mut Vec<Effect>,
) {
    // The target, from the dialog that sent it (named in the result: a typo in the
    // topic field publishes somewhere else, and the status must say where).
    let target = match &m.overlay {
        Some(Overlay::Dialog(d)) if d.in_flight == Some(req) => {
            Some(d.get(crate::tui::dialog::FieldId::Topic).trim().to_string())
        }
        _ => None,
    };
    let text = match &result {
        Ok(outs) => {
            let mut s = format!("published {} message(s)", outs.len());
            if let Some(t) = &target {
                s.push_str(&format!(" to {t}"));
            }
            if let Some(last) = outs.last() {
                s.push_str(&format!(" → p{}", last.partition));
                if let Some(o) = last.offset {
                    s.push_str(&format!(" offset {o}"));
                }
                if let Some(t) = last.ts_ns {
                    s.push_str(&format!(" at {}", crate::time::format_rfc3339(t)));
                }
            }
            s
        }
        Err(e) => format!("publish failed: {e}"),
    };
    let new_topic = target.is_some_and(|t| {
        result.is_ok() && !m.browser.topics.iter().any(|i| i.name.to_string() == t)
    });
    // A failed publish keeps its dialog (fix the fields, send again).
    finish_request(m, req, result.is_ok(), false, text);
    if new_topic {
        cmds.push(Effect::Worker(WorkerCmd::RefreshTopics)); // it created a topic: list it now
    }
}

/// A delete answer: the topic leaves the list (the next row is selected) and the tail.
fn on_deleted(
    m: &mut Model,
    req: ReqId,
    result: Result<DeleteOutcome, ClientError>,
    cmds: &mut Vec<Effect>,
) {
    let deleted = match &m.overlay {
        Some(Overlay::Dialog(d)) if d.in_flight == Some(req) => match &d.kind {
            super::DialogKind::Delete(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    };
    let text = match (&result, &deleted) {
        (Ok(o), Some(t)) => {
            let mut s = format!("deleted {t}");
            if o.existed == Some(false) {
                s.push_str(" (it did not exist)");
            }
            if let Some(n) = &o.note {
                s.push_str(&format!("; {n}"));
            }
            s
        }
        (Ok(_), None) => "deleted".to_string(),
        (Err(e), _) => format!("delete failed: {e}"),
    };
    let ok = result.is_ok();
    finish_request(m, req, ok, true, text);
    if ok {
        if let Some(t) = deleted {
            // The row of the deleted topic: its successor takes the selection.
            let old =
                m.browser.rows().iter().position(
                    |r| matches!(r, super::super::model::TreeRow::Topic(i) if i.name == t),
                );
            m.browser.topics.retain(|i| i.name != t);
            if m.browser.selected_topic() == Some(&t) {
                m.browser.sel = None;
            }
            nav::browser_reselect(m, old);
            if m.tail.topic.as_ref() == Some(&t) {
                if let Some(id) = m.tail.sub.take() {
                    cmds.push(Effect::Worker(WorkerCmd::Cancel { id }));
                }
                m.tail.topic = None;
                super::scrub::reset_tail_buffer(m);
                m.scrub = Default::default();
            }
        }
        cmds.push(Effect::Worker(WorkerCmd::RefreshTopics));
    }
}

/// Closes the dialog waiting for `req` on success (and on failure when `close_on_error`;
/// else the error shows in it), and says the result in the status line.
fn finish_request(m: &mut Model, req: u64, ok: bool, close_on_error: bool, text: String) {
    if dialog_waiting(m, req) {
        if ok || close_on_error {
            m.overlay = None;
        } else if let Some(Overlay::Dialog(d)) = &mut m.overlay {
            d.in_flight = None;
            d.error = Some(text.clone());
        }
    }
    m.say(if ok { Level::Info } else { Level::Error }, text);
}
