//! The help overlay's content, generated from the key table: pure, so `update` (scroll
//! limits) and `view` (drawing) share it.

use ratatui::layout::Rect;
use unicode_width::UnicodeWidthStr;

use super::keymap;
use super::view::{centered, fit, pad};

/// The help box on a screen of `area`.
pub(crate) fn help_area(area: Rect) -> Rect {
    centered(area, 84, area.height.saturating_sub(2))
}

/// How far the help scrolls on a screen of `size` (pure: `update` clamps with it).
pub(crate) fn help_max_scroll(read_only: bool, size: (u16, u16)) -> u16 {
    let r = help_area(Rect::new(0, 0, size.0, size.1));
    let n = help_rows(read_only, r.width).len();
    u16::try_from(n.saturating_sub(usize::from(r.height.saturating_sub(2)))).unwrap_or(u16::MAX)
}

/// One line of the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HelpRow {
    /// A pane's heading.
    Heading(&'static str),
    /// Keys (padded; empty on continuation lines) and a piece of their text.
    Entry(String, String),
    /// A note.
    Note(String),
    /// A warning note.
    Warn(String),
}

/// The help's lines for a box `width` columns wide (with its border).
pub(crate) fn help_rows(read_only: bool, width: u16) -> Vec<HelpRow> {
    let inner_w = usize::from(width.saturating_sub(2)).max(20);
    let key_w = 14.min(inner_w / 3);
    let text_w = inner_w.saturating_sub(key_w + 3).max(8);
    let mut rows = Vec::new();
    for (ctx, entries) in keymap::help_groups(read_only) {
        if entries.is_empty() {
            continue;
        }
        rows.push(HelpRow::Heading(ctx.title()));
        for (keys, help) in entries {
            for (i, piece) in wrap_words(help, text_w).into_iter().enumerate() {
                let k = if i == 0 { keys.as_str() } else { "" };
                rows.push(HelpRow::Entry(pad(k, key_w), piece));
            }
        }
        rows.push(HelpRow::Note(String::new()));
    }
    for text in [
        "Mouse: click selects a topic, a record or a time on the timeline; the wheel scrolls.",
        "Timeline: bars are the broker's counts per bucket; ▲ is the cursor; the underlined \
         span is what the tail holds.",
    ] {
        rows.extend(wrap_words(text, inner_w).into_iter().map(HelpRow::Note));
    }
    if read_only {
        let text = "Read-only: publish, close and delete are disabled.";
        rows.extend(wrap_words(text, inner_w).into_iter().map(HelpRow::Warn));
    }
    rows
}

/// Splits `s` at spaces into lines of at most `width` columns (a longer word is cut).
pub(crate) fn wrap_words(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let need = if cur.is_empty() {
            word.width()
        } else {
            cur.width() + 1 + word.width()
        };
        if need > width && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while cur.width() > width {
            let head = fit(&cur, width);
            let cut = head.trim_end_matches('…').len();
            out.push(cur[..cut].to_string());
            cur = cur[cut..].to_string();
            if cut == 0 {
                break;
            }
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::wrap_words;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn help_texts_wrap_at_spaces_within_the_width() {
        assert_eq!(
            wrap_words("pause / resume (frozen snapshot)", 14),
            vec!["pause / resume", "(frozen", "snapshot)"]
        );
        assert_eq!(wrap_words("", 5), vec![""]);
        for piece in wrap_words("averyveryverylongword and more", 6) {
            assert!(piece.width() <= 6, "{piece}");
        }
    }
}
