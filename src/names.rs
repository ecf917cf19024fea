//! The one pure check of namespace, topic and channel names, shared by the client (names
//! typed by the user and names read from listings) and usable by the broker.
//!
//! A name is refused when it could not be told apart from another on a terminal, or could
//! not be shown or stored safely: empty or whitespace-only, longer than 255 bytes, `.` or
//! `..`, containing `/`, a control character, an invisible character (U+200B, U+202E,
//! U+2066, U+FEFF, …) or U+2028/U+2029. Reasons never echo a long name whole.

use crate::format::escape::{escape_short, is_format};

/// The longest name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// The most characters of a name quoted in an error message.
pub(crate) const QUOTE_CHARS: usize = 64;

/// Why `s` is not a valid name, or `None` when it is one.
pub(crate) fn name_problem(s: &str) -> Option<&'static str> {
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
        return Some("contains '/' (a path separator)");
    }
    if s.contains('\0') {
        return Some("contains NUL");
    }
    if s.chars().any(char::is_control) {
        return Some("contains a control character");
    }
    if s.contains(['\u{2028}', '\u{2029}']) {
        return Some("contains a Unicode line or paragraph separator");
    }
    if s.chars().any(is_invisible) {
        return Some("contains an invisible Unicode character (U+200B, U+202E, U+FEFF, U+3164…)");
    }
    None
}

/// Characters that make two different names look the same: Unicode format characters
/// (general category Cf: zero-width spaces and joiners, bidirectional controls, the BOM,
/// …, see [`is_format`]), the line and paragraph separators (U+2028, U+2029), and the
/// combining grapheme joiner and Hangul fillers that render as nothing.
pub(crate) fn is_invisible(c: char) -> bool {
    is_format(c)
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2065}'
                | '\u{3164}'
                | '\u{FFA0}'
        )
}

/// Names every check must accept (shared by the client's and the broker's tests).
#[cfg(test)]
pub(crate) fn ordinary_names() -> Vec<String> {
    [
        "chan",
        "orders",
        "a.b",
        "x-y_z",
        "日本",
        "a b",
        "é",
        "👍🏽",
        "❤\u{fe0f}",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(["a".repeat(255)])
    .collect()
}

/// Checks a name; the error is `"<quoted name>: <reason>"`, the name escaped and cut to
/// [`QUOTE_CHARS`] characters.
pub(crate) fn check_name(s: &str) -> Result<(), String> {
    match name_problem(s) {
        None => Ok(()),
        Some(why) => Err(format!("{}: {why}", quote(s))),
    }
}

/// A name quoted for a message: escaped, cut to [`QUOTE_CHARS`] characters.
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", escape_short(s, QUOTE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in ordinary_names() {
            assert_eq!(name_problem(&n), None, "{n:?}");
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
            "\u{3164}",
            "a\u{115f}b",
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
