//! Escaping of untrusted text (anything a server sends) before it reaches a terminal.
//!
//! A hazard is a character that must never be written raw: C0 and C1 control characters
//! and DEL (ESC starts the OSC 0 window-title and OSC 52 clipboard sequences; U+009B is a
//! one-character CSI), Unicode format characters (bidi overrides and isolates, zero-width
//! characters, the BOM: `orders` and `orders\u{200b}` look identical), and the line and
//! paragraph separators U+2028/U+2029.
//!
//! - text output escapes them visibly: `\x1b`, `\x9b`, `\u{202e}` ([`escape`]);
//! - JSON output keeps the exact strings but writes hazards as `\uXXXX` escapes
//!   ([`to_json_string`]), so the output is valid JSON and still holds no raw hazard.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use serde::Serialize;

/// Whether `c` is a Unicode format character (general category Cf).
pub(crate) fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD
        | 0x0600..=0x0605
        | 0x061C
        | 0x06DD
        | 0x070F
        | 0x0890..=0x0891
        | 0x08E2
        | 0x180E
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x206F
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0001
        | 0xE0020..=0xE007F)
}

/// Whether `c` must never reach a terminal raw (see the module documentation).
pub(crate) fn is_hazard(c: char) -> bool {
    c.is_control() || is_format(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` with every hazard written visibly: `\xNN` for control characters (C0, DEL, C1),
/// `\u{NNNN}` for the others. Borrowed when there is nothing to escape.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hazard) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c`, escaped when it is a hazard.
pub(crate) fn push_escaped(out: &mut String, c: char) {
    if c.is_control() {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else if is_hazard(c) {
        let _ = write!(out, "\\u{{{:04x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// [`escape`]d and cut to at most `max_chars` characters: a cut ends with
/// `…(N bytes)` naming the full length, so that a 100 kB name never fills an error.
pub(crate) fn escape_short(s: &str, max_chars: usize) -> String {
    let e = escape(s);
    if e.chars().count() <= max_chars {
        return e.into_owned();
    }
    let mut out: String = e.chars().take(max_chars).collect();
    let _ = write!(out, "…({} bytes)", s.len());
    out
}

/// A JSON formatter that writes hazards inside strings as `\uXXXX` (serde_json already
/// escapes C0 controls; this adds DEL, C1, format characters and U+2028/U+2029).
struct SafeFormatter;

impl serde_json::ser::Formatter for SafeFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if !is_hazard(c) {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(w, "\\u{u:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serializes `v` as compact JSON with every hazard escaped (see [`SafeFormatter`]).
pub(crate) fn to_json_writer<W: io::Write, T: ?Sized + Serialize>(
    w: W,
    v: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, SafeFormatter);
    v.serialize(&mut ser)
}

/// Serializes `v` as one line of compact JSON with every hazard escaped.
pub(crate) fn to_json_string<T: ?Sized + Serialize>(v: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(128);
    to_json_writer(&mut out, v)?;
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// Strings a hostile server sends: OSC 0 (window title), OSC 52 (clipboard), CSI,
/// the one-character C1 CSI, bidi override and isolate, zero-width space, BOM,
/// line separator, DEL, a tag character.
#[cfg(test)]
pub(crate) const HOSTILE: [&str; 10] = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b[2J\x1b[31mred",
    "\u{9b}31m",
    "evil\u{202e}txt.exe",
    "\u{2066}iso\u{2069}",
    "orders\u{200b}",
    "\u{feff}bom",
    "a\u{2028}b\u{2029}c\x7f",
    "tag\u{e0041}",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_hazard_visibly() {
        for s in HOSTILE {
            let e = escape(s);
            assert!(!e.chars().any(is_hazard), "{s:?} → {e:?}");
            assert!(e.contains('\\'), "{e}");
        }
        assert_eq!(escape("\x1b]0;t\x07"), "\\x1b]0;t\\x07");
        assert_eq!(escape("\u{9b}"), "\\x9b");
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("orders\u{200b}"), "orders\\u{200b}");
        assert!(matches!(escape("plain 日本 ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_escape_names_the_full_length() {
        let long = "x".repeat(100_000);
        let s = escape_short(&long, 64);
        assert!(s.len() < 100, "{}", s.len());
        assert!(s.ends_with("…(100000 bytes)"), "{s}");
        assert_eq!(escape_short("ok", 64), "ok");
    }

    #[test]
    fn json_keeps_exact_strings_without_raw_hazards() {
        for s in HOSTILE {
            let j = to_json_string(&serde_json::json!({ "name": s })).unwrap();
            assert!(!j.chars().any(is_hazard), "{s:?} → {j}");
            let back: serde_json::Value = serde_json::from_str(&j).unwrap();
            assert_eq!(back["name"], *s, "{j}");
        }
        // Plain text is written as serde_json writes it.
        let v = serde_json::json!({ "a": "q\"b\\ 日本", "n": [1, 2] });
        assert_eq!(to_json_string(&v).unwrap(), v.to_string());
        assert_eq!(to_json_string("\u{e0041}").unwrap(), "\"\\udb40\\udc41\"");
    }
}
