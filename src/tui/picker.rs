//! The context picker (`:`): the config file's contexts in a list; choosing one asks the
//! terminal task to reconnect there (a fresh worker and a fresh model: no subscription,
//! buffer or pending request of the old cluster survives). Pure update and view, like
//! the rest of the TUI.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::keymap::{self, Action, Ctx};
use super::model::{Level, Model, Overlay};
use super::msg::Effect;
use super::theme::Theme;
use super::view::centered;

/// Opens the picker on the current context (or says there is none to pick).
pub(crate) fn open(m: &mut Model) {
    if m.contexts.is_empty() {
        m.say(
            Level::Info,
            "no contexts in the config file: add one with `swmq context add NAME --broker …`",
        );
        return;
    }
    let selected = m
        .context
        .as_ref()
        .and_then(|c| m.contexts.iter().position(|n| n == c))
        .unwrap_or(0);
    m.overlay = Some(Overlay::Contexts { selected });
}

/// A key while the picker is open.
pub(crate) fn key(m: &mut Model, k: &KeyEvent, cmds: &mut Vec<Effect>) {
    let Some(Overlay::Contexts { selected }) = &mut m.overlay else {
        return;
    };
    let last = m.contexts.len().saturating_sub(1);
    match keymap::action_of(k, &[Ctx::Picker]) {
        Some(Action::Down) => *selected = (*selected + 1).min(last),
        Some(Action::Up) => *selected = selected.saturating_sub(1),
        Some(Action::Top) => *selected = 0,
        Some(Action::Bottom) => *selected = last,
        Some(Action::Submit) => {
            let name = m.contexts.get(*selected).cloned();
            m.overlay = None;
            match name {
                Some(n) if m.context.as_ref() == Some(&n) => {
                    m.say(Level::Info, format!("already on context {n}"));
                }
                Some(n) => cmds.push(Effect::SwitchContext(n)),
                None => {}
            }
        }
        Some(Action::Cancel) => m.overlay = None,
        _ => {}
    }
}

/// Draws the picker.
pub(crate) fn view(m: &Model, f: &mut Frame, area: Rect, selected: usize) {
    let t = Theme::of(m);
    let widest = m.contexts.iter().map(|n| n.len()).max().unwrap_or(0);
    let w = (widest as u16).saturating_add(8).max(36).min(area.width);
    let h = (m.contexts.len() as u16 + 4).min(area.height);
    let r = centered(area, w, h);
    let visible = h.saturating_sub(4) as usize;
    let first = selected.saturating_sub(visible.saturating_sub(1));
    let mut lines: Vec<Line> = m
        .contexts
        .iter()
        .enumerate()
        .skip(first)
        .take(visible.max(1))
        .map(|(i, name)| {
            let mark = if m.context.as_ref() == Some(name) {
                "● "
            } else {
                "  "
            };
            let text = format!(
                "{mark}{}",
                super::view::fit(name, (w as usize).saturating_sub(6))
            );
            if i == selected {
                Line::from(Span::styled(text, t.selected(true)))
            } else {
                Line::from(text)
            }
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        keymap::hint_text(&[Ctx::Picker], m.read_only, ": ", "  "),
        t.dim(),
    )));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" Contexts ", t.title())),
        ),
        r,
    );
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyModifiers};

    use super::*;

    fn key_ev(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn model() -> Model {
        let mut m = Model::new("127.0.0.1:17777", false, true, 10, 0);
        m.contexts = vec!["dev".into(), "prod".into(), "stage".into()];
        m.context = Some("dev".into());
        m
    }

    #[test]
    fn choosing_another_context_asks_for_a_switch() {
        let mut m = model();
        open(&mut m);
        assert!(matches!(m.overlay, Some(Overlay::Contexts { selected: 0 })));
        let mut cmds = Vec::new();
        key(&mut m, &key_ev(KeyCode::Down), &mut cmds);
        key(&mut m, &key_ev(KeyCode::Down), &mut cmds);
        key(&mut m, &key_ev(KeyCode::Down), &mut cmds);
        assert!(matches!(m.overlay, Some(Overlay::Contexts { selected: 2 })));
        key(&mut m, &key_ev(KeyCode::Up), &mut cmds);
        key(&mut m, &key_ev(KeyCode::Enter), &mut cmds);
        assert_eq!(cmds, vec![Effect::SwitchContext("prod".into())]);
        assert!(m.overlay.is_none());
    }

    #[test]
    fn the_current_context_or_escape_does_nothing() {
        let mut m = model();
        open(&mut m);
        let mut cmds = Vec::new();
        key(&mut m, &key_ev(KeyCode::Enter), &mut cmds);
        assert!(cmds.is_empty());
        assert!(
            m.status
                .as_ref()
                .unwrap()
                .text
                .contains("already on context dev")
        );
        open(&mut m);
        key(&mut m, &key_ev(KeyCode::Esc), &mut cmds);
        assert!(cmds.is_empty());
        assert!(m.overlay.is_none());
    }

    /// The screen as text (TestBackend).
    fn render(m: &Model) -> String {
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(m.size.0, m.size.1)).unwrap();
        t.draw(|f| super::super::view::view(m, f)).unwrap();
        let buf = t.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn header_names_the_context_and_the_picker_lists_them() {
        use super::super::msg::{Msg, WorkerEvent};
        use super::super::update::update;
        let mut m = model();
        m.no_color = true;
        update(&mut m, Msg::Resize(100, 20));
        update(
            &mut m,
            Msg::Worker(WorkerEvent::Connected {
                protocol: crate::client::Protocol::Legacy,
                addr: "127.0.0.1:17777".into(),
            }),
        );
        update(&mut m, Msg::Worker(WorkerEvent::Topics(Vec::new())));
        let cmds = update(&mut m, Msg::Key(key_ev(KeyCode::Char(':'))));
        assert!(cmds.is_empty());
        update(&mut m, Msg::Key(key_ev(KeyCode::Down)));
        let screen = render(&m);
        assert!(
            screen.lines().next().unwrap().contains("ctx dev"),
            "{screen}"
        );
        insta::assert_snapshot!(screen);
        let cmds = update(&mut m, Msg::Key(key_ev(KeyCode::Enter)));
        assert_eq!(cmds, vec![Effect::SwitchContext("prod".into())]);
    }

    #[test]
    fn the_picker_opens_where_the_broker_is_unreachable() {
        use super::super::msg::{Msg, WorkerEvent};
        use super::super::update::update;
        let mut m = model();
        update(&mut m, Msg::Resize(100, 20));
        update(
            &mut m,
            Msg::Worker(WorkerEvent::Unreachable {
                addr: "127.0.0.1:17777".into(),
                error: crate::client::ClientError::Connect {
                    addr: "127.0.0.1:17777".into(),
                    cause: "connection refused".into(),
                },
                attempt: 1,
                retry_in_ms: 250,
            }),
        );
        update(&mut m, Msg::Key(key_ev(KeyCode::Char(':'))));
        assert!(matches!(m.overlay, Some(Overlay::Contexts { .. })));
        assert!(render(&m).contains("Contexts"));
    }

    #[test]
    fn without_contexts_it_says_how_to_add_one() {
        let mut m = Model::new("h:1", false, true, 10, 0);
        open(&mut m);
        assert!(m.overlay.is_none());
        assert!(m.status.unwrap().text.contains("swmq context add"));
    }
}
