//! Format strings for records (`tail --format '%T %p %k %s'`, kcat style) and JSON field
//! projection (`%{.customer.city}`), shared by the CLI and the TUI.
//!
//! Directives: see [`DIRECTIVES`]. A newline ends every record. Keys, values and headers
//! are printed as text with control characters and invalid UTF-8 escaped (`\n`, `\t`,
//! `\xNN`), so one record is always one line; `--format json` is the lossless form.

use std::fmt::Write as _;

use serde_json::Value;

use crate::client::Record;
use crate::time;

/// The directives, for `--help`, the README and error messages.
pub(crate) const DIRECTIVES: &str = "\
%T time, RFC 3339 UTC with ns (as .time in JSON; exact input for --from)
%d time as text lines show it (local, UTC with --utc; ms)
%n time, ns since the epoch (as .ts_ns in JSON)
%t topic NS/TOPIC     %N namespace     %p partition
%o offset (- where the protocol has none)
%k key       %K key size in bytes
%s value     %S value size in bytes
%h headers name=value,…     %{h:NAME} the value of header NAME
%{.a.b[0]} a JSON field of the value (strings bare, other JSON compact; null when
           missing, empty when the value is not JSON)
%% a percent sign     \\n newline     \\t tab     \\\\ backslash";

/// A path into a JSON document: `.customer.city`, `.items[0].sku`, `.["odd key"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonPath(Vec<Step>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
}

impl JsonPath {
    /// Parses `.a.b[0]` (the leading dot is required; `.` alone is the whole document).
    pub(crate) fn parse(s: &str) -> Result<JsonPath, String> {
        let Some(mut rest) = s.strip_prefix('.') else {
            return Err(format!(
                "JSON path {s:?} must start with '.' (like .customer.city)"
            ));
        };
        let mut steps = Vec::new();
        let bad = |why: &str| format!("JSON path {s:?}: {why}");
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| bad("missing ']'"))?;
                let inner = &r[..end];
                if let Some(q) = inner.strip_prefix('"') {
                    let name = q.strip_suffix('"').ok_or_else(|| bad("missing '\"'"))?;
                    steps.push(Step::Field(name.to_string()));
                } else {
                    let i = inner
                        .parse()
                        .map_err(|_| bad(&format!("[{inner}] is not an index or a \"name\"")))?;
                    steps.push(Step::Index(i));
                }
                rest = &r[end + 1..];
            } else {
                let r = rest.strip_prefix('.').unwrap_or(rest);
                if steps.is_empty() || rest.starts_with('.') {
                    let end = r.find(['.', '[']).unwrap_or(r.len());
                    if end == 0 {
                        return Err(bad("empty field name"));
                    }
                    steps.push(Step::Field(r[..end].to_string()));
                    rest = &r[end..];
                } else {
                    return Err(bad(&format!("unexpected {rest:?}")));
                }
            }
        }
        Ok(JsonPath(steps))
    }

    /// The value at this path, if there is one.
    pub(crate) fn get<'a>(&self, mut v: &'a Value) -> Option<&'a Value> {
        for s in &self.0 {
            v = match s {
                Step::Field(f) => v.as_object()?.get(f)?,
                Step::Index(i) => v.as_array()?.get(*i)?,
            };
        }
        Some(v)
    }
}

/// A JSON value as one text field: strings bare (escaped), everything else compact JSON.
pub(crate) fn json_field_text(v: &Value) -> String {
    match v {
        Value::String(s) => escape_line(s.as_bytes()),
        other => escape_line(other.to_string().as_bytes()),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Lit(String),
    Rfc3339,
    Display,
    TsNs,
    Topic,
    Namespace,
    Partition,
    Offset,
    Key,
    KeySize,
    Value,
    ValueSize,
    Headers,
    Header(String),
    Field(JsonPath),
}

/// A parsed format string.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
    /// Whether any piece projects a JSON field (the value is parsed once per record).
    needs_json: bool,
}

impl Template {
    /// Parses a format string; an unknown directive is an error naming it.
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => lit.push('\n'),
                    Some('t') => lit.push('\t'),
                    Some('\\') => lit.push('\\'),
                    Some(o) => {
                        lit.push('\\');
                        lit.push(o);
                    }
                    None => lit.push('\\'),
                },
                '%' => {
                    let Some((_, d)) = chars.next() else {
                        return Err(
                            "format ends with a lone '%' (write %% for a percent sign)".to_string()
                        );
                    };
                    let piece = match d {
                        '%' => {
                            lit.push('%');
                            continue;
                        }
                        'T' => Piece::Rfc3339,
                        'd' => Piece::Display,
                        'n' => Piece::TsNs,
                        't' => Piece::Topic,
                        'N' => Piece::Namespace,
                        'p' => Piece::Partition,
                        'o' => Piece::Offset,
                        'k' => Piece::Key,
                        'K' => Piece::KeySize,
                        's' => Piece::Value,
                        'S' => Piece::ValueSize,
                        'h' => Piece::Headers,
                        '{' => {
                            let body_start = i + 2;
                            let end = s[body_start..]
                                .find('}')
                                .ok_or_else(|| format!("format: %{{ at {i} has no closing '}}'"))?;
                            let body = &s[body_start..body_start + end];
                            while chars.peek().is_some_and(|&(j, _)| j <= body_start + end) {
                                chars.next();
                            }
                            match body.strip_prefix("h:") {
                                Some(name) if !name.is_empty() => Piece::Header(name.to_string()),
                                _ => Piece::Field(JsonPath::parse(body)?),
                            }
                        }
                        other => {
                            return Err(format!(
                                "format: unknown directive %{other}; known: %T %d %n %t %N %p \
                                 %o %k %K %s %S %h %{{h:NAME}} %{{.json.path}} %%"
                            ));
                        }
                    };
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(piece);
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        let needs_json = pieces.iter().any(|p| matches!(p, Piece::Field(_)));
        Ok(Template { pieces, needs_json })
    }

    /// Appends `r` formatted, with its trailing newline.
    pub fn render(&self, out: &mut String, r: &Record, utc: bool) {
        let doc: Option<Value> = if self.needs_json {
            // A decoded value (schematized topic) is used as decoded.
            r.value_json()
                .cloned()
                .or_else(|| serde_json::from_slice(&r.value).ok())
        } else {
            None
        };
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Rfc3339 => out.push_str(&time::format_rfc3339(r.ts_ns)),
                Piece::Display => out.push_str(&time::format_datetime(r.ts_ns, utc)),
                Piece::TsNs => {
                    let _ = write!(out, "{}", r.ts_ns);
                }
                Piece::Topic => out.push_str(&escape_line(r.topic.to_string().as_bytes())),
                Piece::Namespace => out.push_str(&escape_line(r.topic.namespace.as_bytes())),
                Piece::Partition => {
                    let _ = write!(out, "{}", r.partition);
                }
                Piece::Offset => match r.offset {
                    Some(o) => {
                        let _ = write!(out, "{o}");
                    }
                    None => out.push('-'),
                },
                Piece::Key => out.push_str(&escape_line(r.shown_key())),
                Piece::KeySize => {
                    let _ = write!(out, "{}", r.key.len());
                }
                Piece::Value => out.push_str(&escape_line(r.shown_value())),
                Piece::ValueSize => {
                    let _ = write!(out, "{}", r.value.len());
                }
                Piece::Headers => {
                    for (i, (k, v)) in r.headers.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&escape_line(k.as_bytes()));
                        out.push('=');
                        out.push_str(&escape_line(v));
                    }
                }
                Piece::Header(name) => {
                    // The last of repeated headers wins, as in the JSON form.
                    if let Some((_, v)) = r.headers.iter().rev().find(|(k, _)| k == name) {
                        out.push_str(&escape_line(v));
                    }
                }
                Piece::Field(path) => {
                    if let Some(doc) = &doc {
                        match path.get(doc) {
                            Some(v) => out.push_str(&json_field_text(v)),
                            None => out.push_str("null"),
                        }
                    }
                }
            }
        }
        out.push('\n');
    }
}

/// Bytes as one line of text: UTF-8 as is, except control characters (`\n`, `\r`, `\t`,
/// others `\xNN` / `\u{NNNN}`) and invalid bytes (`\xNN`), which are escaped.
pub(crate) fn escape_line(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x80 && c.is_control() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                // C1 controls, bidi overrides and isolates: invisible, and able to reorder
                // what a terminal shows.
                c if c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
                {
                    let _ = write!(out, "\\u{{{:04x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;
    use bytes::Bytes;
    use std::sync::Arc;

    fn rec(value: &[u8]) -> Record {
        Record {
            topic: Arc::new(TopicName::parse("demo/orders").unwrap()),
            partition: 2,
            ts_ns: 1_764_198_652_123_456_789,
            key: Bytes::from_static(b"ord-1"),
            value: Bytes::copy_from_slice(value),
            headers: vec![
                ("ct".into(), Bytes::from_static(b"json")),
                ("t\nx".into(), Bytes::from_static(&[0xff, b'a'])),
            ],
            is_close: false,
            offset: Some(17),
            decoded: None,
        }
    }

    fn render(t: &str, r: &Record) -> String {
        let mut s = String::new();
        Template::parse(t).unwrap().render(&mut s, r, true);
        s
    }

    #[test]
    fn every_directive() {
        let r = rec(br#"{"customer":{"city":"Lyon","zip":69001},"items":[{"sku":"A-1"}]}"#);
        assert_eq!(
            render("%T|%n|%d|%t|%N|%p|%o|%k|%K|%S", &r),
            "2025-11-26T23:10:52.123456789Z|1764198652123456789|2025-11-26 23:10:52.123Z|\
             demo/orders|demo|2|17|ord-1|5|64\n"
        );
        assert_eq!(render("%h", &r), "ct=json,t\\nx=\\xffa\n");
        assert_eq!(render("%{h:ct} %{h:none}.", &r), "json .\n");
        assert_eq!(
            render(
                "%{.customer.city} %{.customer.zip} %{.items[0].sku} %{.items[1]}",
                &r
            ),
            "Lyon 69001 A-1 null\n"
        );
        assert_eq!(
            render(r#"%{.customer} %{.["items"][0]}"#, &r)
                .lines()
                .count(),
            1
        );
        assert_eq!(render("100%% \\t%k\\n", &r), "100% \tord-1\n\n");
        let mut none = rec(b"not json\x1b[2J");
        none.offset = None;
        assert_eq!(render("[%{.a}] %o %s", &none), "[] - not json\\x1b[2J\n");
    }

    #[test]
    fn bad_formats_name_the_problem() {
        for (bad, want) in [
            ("%q", "unknown directive %q"),
            ("50%", "lone '%'"),
            ("%{.a", "no closing"),
            ("%{a}", "must start with '.'"),
            ("%{.a[x]}", "not an index"),
            ("%{.a..b}", "empty field name"),
        ] {
            let e = Template::parse(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn escaping_keeps_one_line() {
        assert_eq!(escape_line(b"a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(escape_line("é ✓ \u{202e}x".as_bytes()), "é ✓ \\u{202e}x");
        assert_eq!(escape_line(&[b'a', 0xc3, b'b']), "a\\xc3b");
        assert_eq!(escape_line("\u{85}".as_bytes()), "\\u{0085}");
    }
}
