//! Text measured in terminal columns, and grouped numbers: shared by the CLI's tables and
//! the TUI, so that a CJK or emoji cell is cut and padded the same everywhere.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How many terminal columns `s` takes (wide characters count two, combining marks none).
pub(crate) fn width(s: &str) -> usize {
    s.width()
}

/// Cuts `s` to at most `width` terminal columns, ending with `…` when cut (empty for a
/// width of 0). A wide character that would straddle the limit is left out whole.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// Pads (or cuts) `s` to exactly `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let n = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// `48213` → `48,213`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_pad_count_terminal_columns_not_chars() {
        assert_eq!(pad("鍵🔑", 8), "鍵🔑    ");
        assert_eq!(pad("鍵🔑", 8).width(), 8);
        assert_eq!(fit("日本語のメッセージ", 7), "日本語…");
        assert_eq!(fit("日本語のメッセージ", 6), "日本…"); // 語 would straddle column 6
        assert_eq!(pad("日本語のメッセージ", 8).width(), 8); // "日本語…" + one space
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(width("e\u{301}"), 1);
    }

    #[test]
    fn thousands_groups_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(48_213), "48,213");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }
}
