//! JSON fields of record values: the paths a set of values has (for completion) and one
//! field's value as text (for the TUI's field columns; the CLI's `%{.a.b}` can use it).
//!
//! A path is dot-separated object keys and array indices: `customer.city`, `lines.0.qty`.
//! A leading dot is allowed (`.customer.city`, jq style).

use serde_json::Value;

/// How deep [`paths`] looks into nested objects.
pub(crate) const MAX_DEPTH: usize = 3;
/// At most this many paths are collected.
pub(crate) const MAX_PATHS: usize = 500;

/// Parses a value as a JSON object or array (other values have no fields).
pub(crate) fn parse(b: &[u8]) -> Option<Value> {
    let first = b.iter().find(|c| !c.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    serde_json::from_slice(b).ok()
}

/// The value at `path`, if there is one.
pub(crate) fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.is_empty() {
        return Some(v);
    }
    path.split('.').try_fold(v, |cur, key| match cur {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// The field as one line of text: strings as they are, everything else as compact JSON.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The object-key paths of the values (objects only, down to [`MAX_DEPTH`]), sorted.
pub(crate) fn paths<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    for b in values {
        if let Some(v) = parse(b) {
            walk(&v, "", 1, &mut out);
        }
        if out.len() >= MAX_PATHS {
            break;
        }
    }
    out.into_iter().collect()
}

fn walk(v: &Value, prefix: &str, depth: usize, out: &mut std::collections::BTreeSet<String>) {
    let Value::Object(m) = v else {
        return;
    };
    for (k, child) in m {
        if k.is_empty() || k.contains('.') || out.len() >= MAX_PATHS {
            continue; // not addressable with a dotted path
        }
        let p = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if depth < MAX_DEPTH {
            walk(child, &p, depth + 1, out);
        }
        out.insert(p);
    }
}

/// Completes the last comma-separated item of `text` from `candidates`: the one match,
/// or the longest common prefix of several. Returns the new text and the matches.
pub(crate) fn complete(text: &str, candidates: &[String]) -> (String, Vec<String>) {
    let (head, last) = match text.rfind(',') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    };
    let lead = &last[..last.len() - last.trim_start().len()];
    let token = last.trim_start();
    let hits: Vec<String> = candidates
        .iter()
        .filter(|c| c.starts_with(token))
        .cloned()
        .collect();
    let done = match hits.as_slice() {
        [] => token.to_string(),
        [one] => one.clone(),
        many => {
            let first = &many[0];
            let n = many.iter().skip(1).fold(first.len(), |n, c| {
                first
                    .char_indices()
                    .zip(c.chars())
                    .take_while(|((_, a), b)| a == b)
                    .last()
                    .map_or(0, |((i, a), _)| i + a.len_utf8())
                    .min(n)
            });
            first[..n].to_string()
        }
    };
    (format!("{head}{lead}{done}"), hits)
}

/// Parses `a, b.c , d` into paths (empty items dropped).
pub(crate) fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().trim_start_matches('.').to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &[u8] =
        br#"{"currency":"EUR","customer":{"city":"Lyon","id":7},"lines":[{"qty":2}],"a.b":1}"#;

    /// The field at `path` of the JSON value `b` as text (how the CLI and TUI project a
    /// column: parse, get, text).
    fn project(b: &[u8], path: &str) -> Option<String> {
        parse(b).as_ref().and_then(|v| get(v, path)).map(text)
    }

    #[test]
    fn projects_nested_fields_and_array_items() {
        assert_eq!(project(ORDER, "customer.city").as_deref(), Some("Lyon"));
        assert_eq!(project(ORDER, ".customer.id").as_deref(), Some("7"));
        assert_eq!(project(ORDER, "lines.0.qty").as_deref(), Some("2"));
        assert_eq!(project(ORDER, "lines.0").as_deref(), Some(r#"{"qty":2}"#));
        assert_eq!(project(ORDER, "nope"), None);
        assert_eq!(project(b"plain text", "a"), None);
        assert_eq!(project(b"{broken", "a"), None);
    }

    #[test]
    fn paths_are_collected_from_objects_and_completed() {
        let p = paths([ORDER, br#"{"currency":"USD","total":3}"#.as_slice(), b"x"]);
        assert_eq!(
            p,
            [
                "currency",
                "customer",
                "customer.city",
                "customer.id",
                "lines",
                "total"
            ]
        );
        assert_eq!(complete("cu", &p).0, "cu"); // currency / customer
        assert_eq!(complete("custo", &p).0, "customer");
        assert_eq!(
            complete("currency, customer.c", &p).0,
            "currency, customer.city"
        );
        assert_eq!(
            complete("t", &p),
            ("total".to_string(), vec!["total".to_string()])
        );
        assert_eq!(complete("zz", &p).1.len(), 0);
        assert_eq!(
            parse_list(" currency, .customer.city ,,"),
            ["currency", "customer.city"]
        );
    }
}
