//! The one pure check of namespace, topic and channel names, shared by the client (names
//! typed by the user and names read from listings) and usable by the broker.
//!
//! A name is refused when it could not be told apart from another on a terminal, or could
//! not be shown or stored safely: empty or whitespace-only, longer than 255 bytes, `.` or
//! `..`, containing `/`, a control character, a Unicode format character (U+200B, U+202E,
//! U+2066, U+FEFF, …) or U+2028/U+2029. Reasons never echo a long name whole.

use crate::format::escape::{escape_short, is_format};

/// The longest name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// The most characters of a name quoted in an error message.
pub const QUOTE_CHARS: usize = 64;

/// Why `s` is not a valid name, or `None` when it is one.
pub fn name_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("empty");
    }
    if s.len() > MAX_NAME_BYTES {
        return Some("longer than 255 bytes");
    }
    if s.chars().all(char::is_whitespace) {
        return Some("only whitespace");
    }
    if s == "." || s == ".." {
        return Some("not a name");
    }
    if s.contains('/') {
        return Some("contains '/'");
    }
    if s.chars().any(char::is_control) {
        return Some("contains a control character");
    }
    if s.chars().any(is_format) {
        return Some("contains an invisible Unicode format character (U+200B, U+202E, U+FEFF…)");
    }
    if s.contains(['\u{2028}', '\u{2029}']) {
        return Some("contains a Unicode line or paragraph separator");
    }
    None
}

/// Checks a name; the error is `"<quoted name>: <reason>"`, the name escaped and cut to
/// [`QUOTE_CHARS`] characters.
pub fn check_name(s: &str) -> Result<(), String> {
    match name_problem(s) {
        None => Ok(()),
        Some(why) => Err(format!("{}: {why}", quote(s))),
    }
}

/// A name quoted for a message: escaped, cut to [`QUOTE_CHARS`] characters.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape_short(s, QUOTE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in [
            "chan",
            "orders",
            "a.b",
            "x-y_z",
            "日本",
            "a b",
            &"a".repeat(255),
        ] {
            assert_eq!(name_problem(n), None, "{n:?}");
        }
    }

    #[test]
    fn refuses_invisible_and_ambiguous_names() {
        for n in [
            "",
            " ",
            "\u{3000}\t",
            ".",
            "..",
            "a/b",
            "a\nb",
            "a\u{1b}]0;x\u{7}",
            "a\u{9b}",
            "orders\u{200b}",
            "evil\u{202e}",
            "\u{2066}x",
            "\u{feff}x",
            "a\u{2028}b",
            "a\u{2029}b",
        ] {
            assert!(name_problem(n).is_some(), "{n:?}");
        }
    }

    #[test]
    fn errors_quote_a_short_escaped_name() {
        let e = check_name("orders\u{200b}").unwrap_err();
        assert!(e.starts_with("\"orders\\u{200b}\": "), "{e}");
        let long = "é".repeat(50_000);
        let e = check_name(&long).unwrap_err();
        assert!(e.len() < 200, "{} bytes: {e}", e.len());
        assert!(
            e.contains("(100000 bytes)") && e.contains("longer than 255"),
            "{e}"
        );
    }
}
