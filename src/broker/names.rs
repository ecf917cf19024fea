//! Validation of namespace and topic names, and the on-disk layout derived from them.
//!
//! A validated name is a single path component, so joining it under the data directory can
//! never reach outside of it.

use std::path::{Path, PathBuf};

use super::BrokerError;

/// The longest namespace or topic name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks a namespace or topic name: non-empty, at most 255 bytes, no `/`, `\`, NUL or
/// `..`, not `.`, no control characters. `what` names the field in the error.
pub fn validate_name(what: &str, name: &str) -> Result<(), BrokerError> {
    let bad = |why: &str| {
        Err(BrokerError::InvalidArgument(format!(
            "invalid {what} {name:?}: {why}"
        )))
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return bad(&format!("longer than {MAX_NAME_BYTES} bytes"));
    }
    if name.contains('/') || name.contains('\\') {
        return bad("it contains a path separator");
    }
    if name.contains('\0') {
        return bad("it contains NUL");
    }
    if name.contains("..") {
        return bad("it contains '..'");
    }
    if name == "." {
        return bad("'.' is not a name");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains a control character");
    }
    Ok(())
}

/// Checks a partition number (non-negative).
pub fn validate_partition(partition: i32) -> Result<u32, BrokerError> {
    u32::try_from(partition).map_err(|_| {
        BrokerError::InvalidArgument(format!(
            "invalid partition {partition}: partitions are numbered from 0"
        ))
    })
}

/// Validates both names of a topic.
pub fn validate_topic(namespace: &str, topic: &str) -> Result<(), BrokerError> {
    validate_name("namespace", namespace)?;
    validate_name("topic", topic)
}

/// `<data>/topics`: where every namespace lives.
pub fn topics_root(data_dir: &Path) -> PathBuf {
    data_dir.join("topics")
}

/// `<data>/topics/<ns>/<topic>` (names must be validated).
pub fn topic_dir(data_dir: &Path, namespace: &str, topic: &str) -> PathBuf {
    topics_root(data_dir).join(namespace).join(topic)
}

/// The directory of one partition's segments: `<topic dir>/p<NN>`.
pub fn partition_dir(topic_dir: &Path, partition: u32) -> PathBuf {
    topic_dir.join(format!("p{partition:02}"))
}

/// The close marker of a partition, as in SeaweedFS 2.x: `<topic dir>/p<NN>.md5`.
pub fn close_marker(topic_dir: &Path, partition: u32) -> PathBuf {
    topic_dir.join(format!("p{partition:02}.md5"))
}

/// Parses a partition directory name `p<NN>`.
pub fn parse_partition_dir(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('p')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (n <= i32::MAX as u32).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in ["chan", "orders", "a.b", "x-y_z", "日本", &"a".repeat(255)] {
            validate_name("topic", n).unwrap();
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
    }
}
