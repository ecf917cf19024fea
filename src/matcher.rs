//! ONE matcher for the TUI's search and the CLI's `--grep`: a regular expression (or a
//! literal string) over a record's key, value and headers (names and values).
//!
//! Case: `Smart` (the TUI default) ignores case unless the pattern has an upper-case
//! letter; `Sensitive` and `Insensitive` force it. Values that are not UTF-8 are matched
//! byte-wise (the regex runs on bytes), so a pattern can find text inside binary data.

use regex::bytes::{Regex, RegexBuilder};

use crate::client::Record;

mod prefilter;

pub use prefilter::Prefilter;

/// How the pattern is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    /// A regular expression (Rust `regex` syntax).
    #[default]
    Regex,
    /// The text itself (no metacharacters).
    Literal,
}

/// Case sensitivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Case {
    /// Insensitive unless the pattern has an upper-case letter.
    #[default]
    Smart,
    /// Exact case.
    Sensitive,
    /// Any case.
    Insensitive,
}

/// A pattern that did not compile; names the pattern and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regex {pattern:?}: {reason}")]
pub struct MatcherError {
    /// The pattern as typed.
    pub pattern: String,
    /// The regex engine's reason (one line).
    pub reason: String,
}

/// A compiled search.
#[derive(Debug, Clone)]
pub struct Matcher {
    re: Regex,
    pattern: String,
    syntax: Syntax,
    insensitive: bool,
}

impl PartialEq for Matcher {
    fn eq(&self, o: &Self) -> bool {
        self.re.as_str() == o.re.as_str()
    }
}

impl Matcher {
    /// Compiles `pattern`.
    pub fn new(pattern: &str, syntax: Syntax, case: Case) -> Result<Matcher, MatcherError> {
        let src = match syntax {
            Syntax::Regex => pattern.to_string(),
            Syntax::Literal => regex::escape(pattern),
        };
        let insensitive = match case {
            Case::Smart => !pattern.chars().any(char::is_uppercase),
            Case::Sensitive => false,
            Case::Insensitive => true,
        };
        let re = RegexBuilder::new(&src)
            .case_insensitive(insensitive)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| MatcherError {
                pattern: pattern.to_string(),
                reason: first_line(&e.to_string()),
            })?;
        Ok(Matcher {
            re,
            pattern: pattern.to_string(),
            syntax,
            insensitive,
        })
    }

    /// The pattern as typed.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Regex or literal.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// Whether the record's key, value or a header (name or value) matches; a decoded
    /// key or value is matched as its JSON text ([`Record::shown_value`]).
    pub fn matches(&self, r: &Record) -> bool {
        let headers = r.headers.iter().map(|(k, v)| (k.as_str(), &v[..]));
        self.matches_fields(r.shown_key(), r.shown_value(), headers)
    }

    /// [`Matcher::matches`] over a record's parts (a stored message not yet made a
    /// [`Record`]).
    pub fn matches_fields<'a>(
        &self,
        key: &[u8],
        value: &[u8],
        mut headers: impl Iterator<Item = (&'a str, &'a [u8])>,
    ) -> bool {
        self.re.is_match(key)
            || self.re.is_match(value)
            || headers.any(|(k, v)| self.re.is_match(k.as_bytes()) || self.re.is_match(v))
    }

    /// A cheap test to run on a record's raw stored bytes before decoding it (see
    /// [`Prefilter`]).
    pub fn prefilter(&self) -> Prefilter {
        Prefilter::new(self.re.as_str(), self.insensitive, &self.re)
    }

    /// Whether `b` matches.
    pub fn is_match(&self, b: &[u8]) -> bool {
        self.re.is_match(b)
    }

    /// The byte ranges of the (non-empty) matches in `s`, for highlighting text as shown.
    pub fn ranges(&self, s: &str) -> Vec<(usize, usize)> {
        self.re
            .find_iter(s.as_bytes())
            .filter(|m| m.start() < m.end())
            .map(|m| (m.start(), m.end()))
            .filter(|(a, b)| s.is_char_boundary(*a) && s.is_char_boundary(*b))
            .collect()
    }
}

/// The regex crate's errors span several lines (a caret diagram); keep the reason.
fn first_line(e: &str) -> String {
    e.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map(|l| l.trim_start_matches("error:").trim().to_string())
        .unwrap_or_else(|| e.lines().next().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;
    use bytes::Bytes;
    use std::sync::Arc;

    fn rec(key: &str, value: &[u8], headers: &[(&str, &str)]) -> Record {
        Record {
            topic: Arc::new(TopicName::parse("a/b").unwrap()),
            partition: 0,
            ts_ns: 0,
            key: Bytes::copy_from_slice(key.as_bytes()),
            value: Bytes::copy_from_slice(value),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), Bytes::copy_from_slice(v.as_bytes())))
                .collect(),
            is_close: false,
            offset: None,
            decoded: None,
        }
    }

    #[test]
    fn regex_over_key_value_and_headers() {
        let m = Matcher::new(r"sku.:.A-1\d", Syntax::Regex, Case::Smart).unwrap();
        assert!(m.matches(&rec("", br#"{"sku":"A-17"}"#, &[])));
        assert!(!m.matches(&rec("", br#"{"sku":"B-17"}"#, &[])));
        let h = Matcher::new("trace", Syntax::Regex, Case::Smart).unwrap();
        assert!(h.matches(&rec("", b"x", &[("traceparent", "00-abc")])));
        let hv = Matcher::new("00-ab", Syntax::Regex, Case::Smart).unwrap();
        assert!(hv.matches(&rec("", b"x", &[("tp", "00-abc")])));
        let k = Matcher::new("^ord-9$", Syntax::Regex, Case::Smart).unwrap();
        assert!(k.matches(&rec("ord-9", b"x", &[])));
        // Binary values are searched byte-wise.
        let b = Matcher::new("needle", Syntax::Regex, Case::Smart).unwrap();
        assert!(b.matches(&rec("", b"\xff\x00needle\xfe", &[])));
    }

    #[test]
    fn literal_mode_and_smart_case() {
        let lit = Matcher::new("a.b(", Syntax::Literal, Case::Smart).unwrap();
        assert!(lit.matches(&rec("", b"xa.b(y", &[])));
        assert!(!lit.matches(&rec("", b"xaxb(y", &[])));
        let smart = Matcher::new("hello", Syntax::Regex, Case::Smart).unwrap();
        assert!(smart.matches(&rec("", b"Say HELLO", &[])));
        let upper = Matcher::new("Hello", Syntax::Regex, Case::Smart).unwrap();
        assert!(!upper.matches(&rec("", b"say hello", &[])));
        let exact = Matcher::new("hello", Syntax::Regex, Case::Sensitive).unwrap();
        assert!(!exact.matches(&rec("", b"HELLO", &[])));
    }

    #[test]
    fn bad_patterns_name_the_pattern_and_ranges_are_char_safe() {
        let e = Matcher::new("a(b", Syntax::Regex, Case::Smart).unwrap_err();
        assert_eq!(e.pattern, "a(b");
        assert!(e.to_string().contains("invalid regex \"a(b\""), "{e}");
        assert!(!e.reason.contains('\n'), "{}", e.reason);
        let m = Matcher::new("語|b", Syntax::Regex, Case::Smart).unwrap();
        assert_eq!(m.ranges("a日本語b"), vec![(7, 10), (10, 11)]);
        let empty = Matcher::new("x*", Syntax::Regex, Case::Smart).unwrap();
        assert_eq!(empty.ranges("abc"), vec![]);
    }
}
