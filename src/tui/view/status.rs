//! The top status bar and the bottom hint / message line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::super::keymap::{self, Action, Ctx};
use super::super::model::{ConnState, Level, Model, Overlay, PartFault};
use super::super::msg::TailEnd;
use super::super::query;
use super::super::theme::Theme;
use crate::time;

/// The tail's mode word: following / paused / at cursor / live-paused.
pub(super) fn mode_word(m: &Model) -> String {
    match &m.tail.ended {
        Some(TailEnd::Closed) => return "ended (closed channel)".into(),
        Some(TailEnd::Failed(_)) => return "stopped (error)".into(),
        None => {}
    }
    if let Some(e) = &m.tail.reconnecting {
        return format!("reconnecting: {}", super::fit(e, 40));
    }
    if m.scrub.cursor.is_some() {
        if m.tail.paused() {
            "scrub (paused)".into()
        } else {
            "scrub".into()
        }
    } else if m.tail.paused() {
        format!("paused (+{} new)", m.tail.since_pause)
    } else if m.tail.follow {
        "following".into()
    } else {
        "browsing (G: follow)".into()
    }
}

/// The badges of the partitions that are not streaming: ` ─ p3 reconnecting ─ p5 failed`.
pub(super) fn fault_badges(m: &Model) -> String {
    let mut s = String::new();
    for (p, f) in &m.tail.faults {
        let word = match f {
            PartFault::Reconnecting(_) => "reconnecting",
            PartFault::Failed(_) => "failed",
        };
        s.push_str(&format!(" ─ p{p} {word}"));
    }
    s
}

pub(super) use crate::format::text::thousands;

/// Pieces of the top bar with their priority (higher stays longer).
type Groups = Vec<(u8, Vec<Span<'static>>)>;

/// The top bar. On a narrow terminal the least important pieces give way first (the
/// demo label, the buffer fill, the rate, the protocol, the address), so that the
/// connection state, the mode and the cursor time stay readable.
pub(super) fn status_bar(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let mut groups = connection_groups(m, t);
    if m.tail.topic.is_some() {
        groups.extend(tail_groups(m, t));
    }
    let groups = fit_groups(groups, area.width as usize);
    let used = groups_width(&groups);
    let mut parts: Vec<Span> = groups.into_iter().flat_map(|(_, s)| s).collect();
    let zone = if m.utc { "UTC  " } else { "" };
    let right = format!(
        "{zone}{} help ",
        keymap::hint_keys(Ctx::Global, Action::Help)
    );
    let need = used + right.chars().count() + 1;
    if need <= area.width as usize {
        parts.push(Span::raw(" ".repeat(area.width as usize - need + 1)));
        parts.push(Span::styled(right, t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(parts)), area);
}

fn sep(t: Theme) -> Span<'static> {
    Span::styled(" ─ ", t.dim())
}

/// Where swmq is connected: the context, the address, the protocol, the state.
fn connection_groups(m: &Model, t: Theme) -> Groups {
    let mut groups: Groups = vec![(9, vec![Span::styled(" swmq", t.title())])];
    if let Some(c) = &m.context {
        groups.push((8, vec![sep(t), Span::styled(format!("ctx {c}"), t.key())]));
    }
    groups.push((5, vec![sep(t), Span::raw(m.addr.clone())]));
    if let Some(p) = m.protocol {
        let s = match p {
            crate::client::Protocol::Mq => "SeaweedFS MQ 4.x",
            crate::client::Protocol::Legacy => "SeaweedFS 2.x",
        };
        groups.push((6, vec![sep(t), Span::raw(s)]));
        if let Some(l) = &m.label {
            groups.push((1, vec![Span::raw(format!(" ({l})"))]));
        }
    }
    let state = match &m.conn {
        ConnState::Connected => Span::styled("connected", t.ok()),
        ConnState::Connecting => Span::styled("connecting…", t.warn()),
        ConnState::Unreachable { .. } => Span::styled("unreachable", t.error()),
        ConnState::Disconnected { attempt, .. } => Span::styled(
            format!("DISCONNECTED, reconnecting (attempt {attempt})"),
            t.error(),
        ),
    };
    groups.push((10, vec![sep(t), state]));
    if m.read_only {
        groups.push((
            10,
            vec![Span::raw(" "), Span::styled(" READ-ONLY ", t.error())],
        ));
    }
    groups
}

/// The tail's: the mode, the cursor, the rate, the buffer's fill.
fn tail_groups(m: &Model, t: Theme) -> Groups {
    let mut groups: Groups = vec![(10, vec![sep(t), Span::styled(mode_word(m), t.title())])];
    if let Some(c) = m.scrub.cursor {
        let at = format!("cursor {}", time::format_datetime(c, m.utc));
        groups.push((8, vec![sep(t), Span::styled(at, t.time())]));
    }
    groups.push((4, vec![sep(t), Span::raw(format!("{:.0} msg/s", m.rate))]));
    let mut buf = vec![
        sep(t),
        Span::raw(format!(
            "{}/{} buf",
            thousands(m.tail.live.len() as u64),
            thousands(m.tail.live.capacity() as u64)
        )),
    ];
    if m.tail.live.dropped > 0 {
        buf.push(Span::styled(
            format!(" ({} dropped)", thousands(m.tail.live.dropped)),
            t.dim(),
        ));
    }
    groups.push((2, buf));
    groups
}

fn groups_width(g: &Groups) -> usize {
    g.iter()
        .flat_map(|(_, spans)| spans.iter())
        .map(|s| s.width())
        .sum()
}

/// The groups that fit in `width` columns: the lowest priorities (under 9) go first.
fn fit_groups(mut groups: Groups, width: usize) -> Groups {
    while groups_width(&groups) > width {
        let Some(lowest) = groups
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p < 9)
            .min_by_key(|(_, (p, _))| *p)
            .map(|(i, _)| i)
        else {
            break;
        };
        groups.remove(lowest);
    }
    groups
}

/// The bottom line: the status message, else the keys that work here (from the keymap).
/// Hints that do not fit whole are left out (never cut in the middle); `q quit` and
/// `? help` always stay.
pub(super) fn hint_line(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let mut parts = Vec::new();
    if let Some(s) = &m.status {
        let style = match (s.level, s.fading(m.now)) {
            (_, true) => t.dim(),
            (Level::Error, _) => t.error(),
            (Level::Info, _) => t.ok(),
        };
        parts.push(Span::styled(format!(" {} ", s.text), style));
        parts.push(Span::styled("│", t.dim()));
    } else if let ConnState::Disconnected { error, .. } = &m.conn {
        parts.push(Span::styled(format!(" {error} "), t.error()));
        parts.push(Span::styled("│", t.dim()));
    }
    if m.browser.editing {
        let keys = keymap::hint_text(&[Ctx::Filter], m.read_only, " ", " · ");
        parts.push(Span::styled(
            format!(" type to filter topics · {keys}"),
            t.dim(),
        ));
    } else if m.tail.searching {
        let keys = keymap::hint_text(&[Ctx::Search], m.read_only, " ", " · ");
        parts.push(Span::styled(format!(" type to search · {keys}"), t.dim()));
    } else if !matches!(m.overlay, Some(Overlay::Dialog(_))) {
        let hints = keymap::hints(
            keymap::contexts(m),
            m.read_only,
            |a| query::hint_shown(m, a),
            |a| query::hint_on(m, a),
        );
        let used: usize = parts.iter().map(Span::width).sum();
        parts.extend(fit_hints(
            hints,
            (area.width as usize).saturating_sub(used),
            t,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(parts)), area);
}

/// The hints that fit in `width` columns, whole, in table order; quit and help first
/// claim their room.
fn fit_hints(hints: Vec<keymap::Hint>, width: usize, t: Theme) -> Vec<Span<'static>> {
    let w = |h: &keymap::Hint| h.keys.width() + h.text.width() + 3;
    let essential = |h: &keymap::Hint| matches!(h.action, Action::Quit | Action::Help);
    let mut room = width.saturating_sub(hints.iter().filter(|h| essential(h)).map(w).sum());
    let mut parts = Vec::new();
    for h in hints {
        if !essential(&h) {
            if w(&h) > room {
                continue;
            }
            room -= w(&h);
        }
        parts.push(Span::styled(format!(" {}", h.keys), t.key()));
        parts.push(Span::styled(format!(" {} ", h.text), t.dim()));
    }
    parts
}
