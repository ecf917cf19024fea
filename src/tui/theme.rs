//! Styles, with a monochrome variant for `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::matcher::Matcher;
use ratatui::widgets::{Block, Borders};

use super::model::Model;

/// The styles the views use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Theme {
    /// Whether colours are allowed.
    pub color: bool,
}

impl Theme {
    /// The theme for a model.
    pub(crate) fn of(m: &Model) -> Self {
        Theme { color: !m.no_color }
    }

    fn c(self, fg: Color) -> Style {
        if self.color {
            Style::new().fg(fg)
        } else {
            Style::new()
        }
    }

    /// Ordinary text.
    pub(crate) fn text(self) -> Style {
        Style::new()
    }
    /// Secondary text.
    pub(crate) fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    /// Titles and headings.
    pub(crate) fn title(self) -> Style {
        self.c(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// The focused pane's border.
    pub(crate) fn border_focus(self) -> Style {
        self.c(Color::Cyan)
    }
    /// Other borders.
    pub(crate) fn border(self) -> Style {
        self.dim()
    }
    /// A pane's bordered block with its title, highlighted when the pane has focus.
    pub(crate) fn pane(self, title: String, focused: bool) -> Block<'static> {
        Block::default()
            .borders(Borders::ALL)
            .border_style(if focused {
                self.border_focus()
            } else {
                self.border()
            })
            .title(Span::styled(title, self.title()))
    }
    /// The selected row.
    pub(crate) fn selected(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }
    /// A search hit.
    pub(crate) fn hit(self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }
    /// Good news.
    pub(crate) fn ok(self) -> Style {
        self.c(Color::Green)
    }
    /// Bad news.
    pub(crate) fn error(self) -> Style {
        self.c(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Warnings.
    pub(crate) fn warn(self) -> Style {
        self.c(Color::Yellow)
    }
    /// Keys in hints.
    pub(crate) fn key(self) -> Style {
        self.c(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// Timestamps.
    pub(crate) fn time(self) -> Style {
        self.c(Color::Blue)
    }
    /// Histogram bars.
    pub(crate) fn bars(self) -> Style {
        self.c(Color::Green)
    }
    /// The timeline cursor.
    pub(crate) fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }
}

/// Splits `s` into spans, styling the search's matches in it with `hit`.
pub(crate) fn highlight(
    s: &str,
    q: Option<&Matcher>,
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let Some(q) = q else {
        return vec![Span::styled(s.to_string(), base)];
    };
    let mut out = Vec::new();
    let mut i = 0;
    for (start, end) in q.ranges(s) {
        if start > i {
            out.push(Span::styled(s[i..start].to_string(), base));
        }
        out.push(Span::styled(s[start..end].to_string(), hit));
        i = end;
    }
    if i < s.len() || out.is_empty() {
        out.push(Span::styled(s[i..].to_string(), base));
    }
    out
}
