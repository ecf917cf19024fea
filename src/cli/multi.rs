//! `swmq tail` of several topics: `swmq tail shop/orders shop/refunds`, `swmq tail
//! 'shop/*'`. The topics are read at once and merged by time into one stream
//! ([`crate::client::merge_topics`]); each record's topic is shown (text: after the time;
//! JSON: its `namespace` and `topic` fields, as always).
//!
//! `*` (any characters) and `?` (one character) match within the namespace and within the
//! topic name; patterns are resolved against the broker's topic list once, when the tail
//! starts.

use super::error::{CliError, CliResult, client_error};
use super::tail::{TailPlan, pump};
use crate::client::{Client, TopicName};
use crate::config::Config;

/// Whether a topic argument is a pattern.
pub(super) fn is_pattern(t: &TopicName) -> bool {
    let wild = |s: &str| s.contains(['*', '?']);
    wild(&t.namespace) || wild(&t.name)
}

/// Whether `name` matches the glob `pat` (`*`: any characters, `?`: one).
pub(super) fn glob(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point (the last `*`): linear in practice.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The topics the arguments name, in the order given (each pattern's matches by name),
/// each once. A pattern that matches nothing is an error.
pub(super) fn resolve_in(args: &[TopicName], listed: &[TopicName]) -> CliResult<Vec<TopicName>> {
    let mut out: Vec<TopicName> = Vec::new();
    for a in args {
        if !is_pattern(a) {
            if !out.contains(a) {
                out.push(a.clone());
            }
            continue;
        }
        let mut hits: Vec<&TopicName> = listed
            .iter()
            .filter(|t| glob(&a.namespace, &t.namespace) && glob(&a.name, &t.name))
            .collect();
        if hits.is_empty() {
            return Err(CliError::runtime(format!(
                "no topic matches {} (of {} listed)",
                crate::names::quote(&a.to_string()),
                listed.len()
            )));
        }
        hits.sort();
        for t in hits {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    Ok(out)
}

/// Reads every topic of `plan` merged by time and prints until the read ends.
pub(super) async fn run(cfg: &Config, client: &Client, plan: TailPlan, what: String) -> CliResult {
    let names = if plan.topics.iter().any(is_pattern) {
        let listed = client
            .list_topics()
            .await
            .map_err(|e| client_error(&what, Some(client), e))?;
        let listed: Vec<TopicName> = listed.into_iter().map(|t| t.name).collect();
        resolve_in(&plan.topics, &listed)?
    } else {
        resolve_in(&plan.topics, &[])?
    };
    let stream = crate::client::merge_topics::read_topics(client, &names, plan.spec.clone())
        .await
        .map_err(|e| client_error(&what, Some(client), e))?;
    pump(cfg, client, &plan, stream, &[], &what).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TopicName {
        TopicName::parse(s).unwrap()
    }

    #[test]
    fn globs() {
        assert!(glob("*", "orders") && glob("*", ""));
        assert!(glob("ord*", "orders") && glob("*ers", "orders") && glob("o?ders", "orders"));
        assert!(glob("*r*s", "orders") && glob("a*b*c", "aXbYbc"));
        assert!(!glob("ord?", "orders") && !glob("x*", "orders") && !glob("", "a"));
        assert!(glob("日*", "日本"));
    }

    #[test]
    fn resolves_patterns_in_order_each_topic_once() {
        let listed = [
            t("shop/refunds"),
            t("shop/orders"),
            t("other/orders"),
            t("chan/x"),
        ];
        let got = resolve_in(&[t("shop/orders"), t("shop/*"), t("*/orders")], &listed)
            .ok()
            .unwrap();
        assert_eq!(
            got,
            [t("shop/orders"), t("shop/refunds"), t("other/orders")]
        );
        let e = resolve_in(&[t("nope/*")], &listed).err().unwrap();
        assert!(
            e.message()
                .unwrap()
                .contains("no topic matches \"nope/*\" (of 4 listed)")
        );
        assert!(is_pattern(&t("a/b?")) && !is_pattern(&t("a/b")));
    }
}
