//! Validation of namespace and topic names, and the on-disk layout derived from them.
//!
//! A validated name is a single path component, so joining it under the data directory can
//! never reach outside of it.

use std::path::{Path, PathBuf};

use super::BrokerError;

/// The longest namespace or topic name accepted, in bytes.
pub use crate::names::MAX_NAME_BYTES;

/// The highest partition number accepted (partitions are numbered `0..=MAX_PARTITION`,
/// as many as a topic may be configured with).
pub(super) const MAX_PARTITION: u32 = 4095;

/// A name as quoted in an error: escaped and cut short (see [`crate::names::quote`]).
pub(super) use crate::names::quote as shown;

/// Checks a namespace or topic name with [`crate::names::name_problem`] (the rules the
/// client applies to every name, see there), and what storing it as a directory needs
/// beyond them: no `\` and no `..` anywhere. `what` names the field in the error, which
/// quotes the name escaped and shortened.
pub fn validate_name(what: &str, name: &str) -> Result<(), BrokerError> {
    let why = crate::names::name_problem(name).or_else(|| {
        if name.contains('\\') {
            Some("contains a path separator ('\\')")
        } else if name.contains("..") {
            Some("contains '..'")
        } else {
            None
        }
    });
    match why {
        None => Ok(()),
        Some(why) => Err(BrokerError::InvalidArgument(format!(
            "invalid {what} {}: {why}",
            shown(name)
        ))),
    }
}

/// Checks a partition number: `0..=MAX_PARTITION`.
pub(super) fn validate_partition(partition: i32) -> Result<u32, BrokerError> {
    u32::try_from(partition)
        .ok()
        .filter(|&n| n <= MAX_PARTITION)
        .ok_or_else(|| {
            BrokerError::InvalidArgument(format!(
                "invalid partition {partition}: partitions are numbered 0 to {MAX_PARTITION}"
            ))
        })
}

/// Validates both names of a topic.
pub(super) fn validate_topic(namespace: &str, topic: &str) -> Result<(), BrokerError> {
    validate_name("namespace", namespace)?;
    validate_name("topic", topic)
}

/// `<data>/topics`: where every namespace lives.
pub(super) fn topics_root(data_dir: &Path) -> PathBuf {
    data_dir.join("topics")
}

/// `<data>/topics/<ns>/<topic>` (names must be validated).
pub(super) fn topic_dir(data_dir: &Path, namespace: &str, topic: &str) -> PathBuf {
    topics_root(data_dir).join(namespace).join(topic)
}

/// The directory of one partition's segments: `<topic dir>/p<NN>`.
pub(super) fn partition_dir(topic_dir: &Path, partition: u32) -> PathBuf {
    topic_dir.join(format!("p{partition:02}"))
}

/// The close marker of a partition, as in SeaweedFS 2.x: `<topic dir>/p<NN>.md5`.
pub(super) fn close_marker(topic_dir: &Path, partition: u32) -> PathBuf {
    topic_dir.join(format!("p{partition:02}.md5"))
}

/// Parses a partition directory name `p<NN>`.
pub(super) fn parse_partition_dir(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('p')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (n <= MAX_PARTITION).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in crate::names::ordinary_names() {
            validate_name("topic", &n).unwrap();
        }
    }

    #[test]
    fn rejects_bad_names() {
        let long = "a".repeat(256);
        for n in [
            "",
            "a/b",
            "..",
            "a..b",
            ".",
            "a\0b",
            "a\\b",
            "a\nb",
            long.as_str(),
            "orders\u{200b}",
            "\u{202e}sredro",
            "a\u{2066}b",
            "\u{feff}orders",
            "a\u{2028}b",
            "a\u{2029}",
            " ",
            "\t\u{3000} ",
            "x\u{e0041}",
            "\u{3164}",
            "a\u{115f}b",
        ] {
            let err = validate_name("topic", n).unwrap_err().to_string();
            assert!(err.contains("invalid topic"), "{n:?}: {err}");
        }
    }

    #[test]
    fn partitions() {
        assert_eq!(validate_partition(3).unwrap(), 3);
        assert!(
            validate_partition(-1)
                .unwrap_err()
                .to_string()
                .contains("-1")
        );
        assert_eq!(parse_partition_dir("p07"), Some(7));
        assert_eq!(parse_partition_dir("p123"), Some(123));
        assert_eq!(parse_partition_dir("p"), None);
        assert_eq!(parse_partition_dir("p1x"), None);
        assert_eq!(parse_partition_dir("p01.md5"), None);
        assert_eq!(validate_partition(4095).unwrap(), 4095);
        for p in [4096, 100_000, i32::MAX, i32::MIN] {
            let err = validate_partition(p).unwrap_err().to_string();
            assert!(
                err.contains(&p.to_string()) && err.contains("0 to 4095"),
                "{err}"
            );
        }
        assert_eq!(parse_partition_dir("p4095"), Some(4095));
        assert_eq!(parse_partition_dir("p100000"), None);
    }

    #[test]
    fn a_huge_name_gives_a_short_error() {
        let name = "x\u{200b}".repeat(30_000);
        let err = validate_name("topic", &name).unwrap_err().to_string();
        assert!(err.len() < 300, "{} bytes: {err}", err.len());
        assert!(err.contains("(120000 bytes)"), "{err}");
        assert!(err.contains("\\u{200b}"), "escaped: {err}");
    }
}
