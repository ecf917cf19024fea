//! Help, dialogs, and the whole-screen notices (too small, no broker).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::super::dialog::{Dialog, DialogKind, Field, FieldKind};
use super::super::help::{HelpRow, help_area, help_max_scroll, help_rows};
use super::super::keymap::{self, Action, Ctx};
use super::super::model::{ConnState, MIN_SIZE, Model};
use super::super::theme::Theme;
use super::centered;
use crate::client::{Consumed, TopicName};
use crate::format::{human_bytes, human_count, preview};

/// The "terminal too small" notice.
pub(super) fn too_small(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let text = vec![
        Line::from(Span::styled("Terminal too small", t.error())),
        Line::from(format!("{}×{}", area.width, area.height)),
        Line::from(format!("needs at least {}×{}", MIN_SIZE.0, MIN_SIZE.1)),
        Line::from(Span::styled(
            format!("{} quits", keymap::hint_keys(Ctx::Global, Action::Quit)),
            t.dim(),
        )),
    ];
    let h = (text.len() as u16).min(area.height);
    let r = Rect::new(area.x, area.y + (area.height - h) / 2, area.width, h);
    f.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// The screen shown while no broker has answered yet.
pub(super) fn no_broker(m: &Model, f: &mut Frame, area: Rect) {
    let t = Theme::of(m);
    let mut text = vec![Line::from(Span::styled("swmq", t.title())), Line::from("")];
    match &m.conn {
        ConnState::Unreachable {
            error,
            attempt,
            retry_in_ms,
        } => {
            text.push(Line::from(Span::styled(
                format!("No SeaweedFS message broker reachable at {}", m.addr),
                t.error(),
            )));
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(error.clone(), t.dim())));
            text.push(Line::from(""));
            text.push(Line::from("Try one of:"));
            text.push(Line::from(vec![
                Span::styled("  swmq demo", t.key()),
                Span::raw("                      an embedded broker with sample data"),
            ]));
            text.push(Line::from(vec![
                Span::styled("  swmq --broker HOST:PORT", t.key()),
                Span::raw("        your broker (default port 17777)"),
            ]));
            text.push(Line::from(""));
            text.push(Line::from(Span::styled(
                format!(
                    "attempt {attempt}; retrying in {:.1}s … {} quits",
                    *retry_in_ms as f64 / 1000.0,
                    keymap::hint_keys(Ctx::Global, Action::Quit)
                ),
                t.dim(),
            )));
        }
        _ => text.push(Line::from(format!("Connecting to {} …", m.addr))),
    }
    let r = centered(area, 76, text.len() as u16 + 2);
    f.render_widget(
        Paragraph::new(text)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.border()),
            )
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// The key help, generated from the keymap, grouped by pane; long texts wrap under
/// their column (nothing is cut at 80×24), and it scrolls.
pub(super) fn help(m: &Model, f: &mut Frame, area: Rect, scroll: u16) {
    let t = Theme::of(m);
    let r = help_area(area);
    let lines: Vec<Line> = help_rows(m.read_only, r.width)
        .into_iter()
        .map(|row| match row {
            HelpRow::Heading(s) => Line::from(Span::styled(s, t.title())),
            HelpRow::Entry(keys, text) => Line::from(vec![
                Span::styled(format!("  {keys} "), t.key()),
                Span::raw(text),
            ]),
            HelpRow::Note(s) => Line::from(Span::styled(s, t.dim())),
            HelpRow::Warn(s) => Line::from(Span::styled(s, t.warn())),
        })
        .collect();
    let max_scroll = help_max_scroll(m.read_only, (area.width, area.height));
    let scroll = scroll.min(max_scroll);
    let more = if scroll < max_scroll {
        "↓ more · "
    } else {
        ""
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus())
        .title(Span::styled(" Keys ", t.title()))
        .title_bottom(Span::styled(
            format!(
                " {more}{} ",
                keymap::hint_text(&[Ctx::Help], m.read_only, " ", " · ")
            ),
            t.dim(),
        ));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
}

/// A dialog, drawn from its field descriptors.
pub(super) fn dialog(m: &Model, f: &mut Frame, area: Rect, d: &Dialog) {
    let t = Theme::of(m);
    let width = 72.min(area.width.saturating_sub(4));
    let inner_w = width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    intro_lines(m, d, inner_w, &mut lines);
    for (i, field) in d.fields.iter().enumerate() {
        field_lines(field, i == d.focus, inner_w, t, &mut lines);
    }
    if let Some(note) = &d.note {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(note.clone(), t.warn())));
    }
    if let Some(e) = &d.error {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(e.clone(), t.error())));
    }
    if d.in_flight.is_some() {
        lines.push(Line::from(Span::styled(
            "sending… (waiting for the broker)",
            t.warn(),
        )));
    }
    // The yes / no question shows its keys in the text; the others in the frame.
    let footer = match d.kind {
        DialogKind::CloseChannel(_) => String::new(),
        _ => format!(
            " {} ",
            keymap::hint_text(&[d.key_ctx(), Ctx::Form], m.read_only, " ", " · ")
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus())
        .title(Span::styled(format!(" {} ", d.title()), t.title()))
        .title_bottom(Span::styled(footer, t.dim()));
    let text_w = (width.saturating_sub(2) as usize).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_w))
        .sum();
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = (rows as u16 + 2).min(area.height);
    let r = centered(area, width, height);
    f.render_widget(Clear, r);
    f.render_widget(para.block(block), r);
}

/// What the dialog asks, above its fields: the yes / no question with its keys, what a
/// delete deletes.
fn intro_lines(m: &Model, d: &Dialog, inner_w: usize, lines: &mut Vec<Line<'static>>) {
    let t = Theme::of(m);
    match &d.kind {
        DialogKind::CloseChannel(name) => {
            lines.push(Line::from(format!(
                "Seal channel {name} with a close message? Readers will see it end."
            )));
            lines.push(Line::from(""));
            let mut spans = Vec::new();
            for h in keymap::hints(&[Ctx::Confirm], m.read_only, |_| true, |_| false) {
                if !spans.is_empty() {
                    spans.push(Span::raw("   "));
                }
                spans.push(Span::styled(h.keys, t.key()));
                spans.push(Span::raw(format!(" {}", h.text)));
            }
            lines.push(Line::from(spans));
        }
        DialogKind::Delete(topic) => {
            lines.push(Line::from(vec![
                Span::raw("This deletes "),
                Span::styled(topic.to_string(), t.error()),
                Span::raw(" and all its messages."),
            ]));
            let enter = keymap::hint_keys(Ctx::Delete, Action::Submit);
            lines.push(Line::from(format!("Type {topic} and press {enter}.")));
            lines.push(Line::from(""));
        }
        DialogKind::DeleteMany(topics) => delete_many_lines(m, topics, inner_w, lines),
        _ => {}
    }
}

/// A field: its label, its text (a multi-line field's last 4 lines) with the cursor when
/// focused, and then its help.
fn field_lines(
    field: &Field,
    focused: bool,
    inner_w: usize,
    t: Theme,
    lines: &mut Vec<Line<'static>>,
) {
    let label_style = if focused { t.key() } else { t.dim() };
    lines.push(Line::from(Span::styled(field.spec.label, label_style)));
    let cursor = if focused { "▏" } else { "" };
    let text_lines: Vec<&str> = if field.text.is_empty() {
        vec![""]
    } else {
        field.text.split('\n').collect()
    };
    let max = if field.spec.kind == FieldKind::Multi {
        4
    } else {
        1
    };
    let skip = text_lines.len().saturating_sub(max);
    let n = text_lines.len();
    for (j, l) in text_lines.into_iter().enumerate().skip(skip) {
        let c = if j + 1 == n { cursor } else { "" };
        let shown = super::fit(&format!("{l}{c}"), inner_w.saturating_sub(2));
        lines.push(Line::from(vec![
            Span::styled("› ", label_style),
            Span::raw(shown),
        ]));
    }
    if focused {
        let help = field.help.clone().unwrap_or_else(|| field.spec.help_text());
        lines.push(Line::from(Span::styled(format!("  {help}"), t.dim())));
    }
}

/// The most topics a delete confirmation lists one per line.
const LISTED: usize = 12;

/// Every topic of a delete of several: name, count, size and (channels) open/closed and
/// consumed, open or unconsumed channels called out.
fn delete_many_lines(m: &Model, topics: &[TopicName], w: usize, lines: &mut Vec<Line<'static>>) {
    let t = Theme::of(m);
    lines.push(Line::from(vec![
        Span::raw("This deletes "),
        Span::styled(format!("{} topics", topics.len()), t.error()),
        Span::raw(" and all their messages:"),
    ]));
    for name in topics.iter().take(LISTED) {
        let info = m.browser.info(name);
        let count = info
            .and_then(|i| i.message_count())
            .map_or("?".into(), human_count);
        let size = info.and_then(|i| i.bytes()).map_or("?".into(), human_bytes);
        let (state, warn) = match info {
            Some(i) if name.is_channel() && !i.closed() => ("OPEN".to_string(), true),
            Some(i) if name.is_channel() => {
                let c = i.consumed();
                let who = i
                    .consumer()
                    .map(|s| format!(" {}", preview(s.id.as_bytes(), 16)));
                (
                    format!(
                        "closed {} {}{}",
                        c.mark(),
                        c.label(),
                        who.unwrap_or_default()
                    ),
                    c != Consumed::Yes,
                )
            }
            // 4.x: consumed by a consumer group at the end of every partition.
            Some(i) if m.protocol == Some(crate::client::Protocol::Mq) => {
                let c = i.consumed();
                let who = i
                    .consumer()
                    .map(|s| format!(" by {}", preview(s.id.as_bytes(), 16)));
                (
                    format!("{} {}{}", c.mark(), c.label(), who.unwrap_or_default()),
                    c != Consumed::Yes,
                )
            }
            Some(_) => (String::new(), false),
            None => ("gone?".into(), false),
        };
        let right = format!(" {count:>7} msgs {size:>9}");
        let name_w = w.saturating_sub(right.chars().count() + 2);
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::raw(super::pad(
                &preview(name.to_string().as_bytes(), 200),
                name_w,
            )),
            Span::styled(right, t.dim()),
        ]));
        if !state.is_empty() {
            let style = if warn { t.warn() } else { t.dim() };
            lines.push(Line::from(Span::styled(format!("      {state}"), style)));
        }
    }
    if topics.len() > LISTED {
        lines.push(Line::from(Span::styled(
            format!("  … and {} more", topics.len() - LISTED),
            t.dim(),
        )));
    }
    let enter = keymap::hint_keys(Ctx::DeleteMany, Action::Submit);
    lines.push(Line::from(format!(
        "Type {} and press {enter}.",
        topics.len()
    )));
    lines.push(Line::from(""));
}
