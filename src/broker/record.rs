//! The SeaweedFS log record: a 4-byte big-endian length followed by a serialized
//! `filer_pb.LogEntry` whose `data` is a serialized 2.x `messaging_pb.Message`.
//!
//! The format has no checksum, so a record is only accepted when everything about it is
//! consistent: a sane length, a `LogEntry` that decodes, the expected ordinal in `offset`, a
//! timestamp above the previous one, and `data` that decodes as a `Message`. Anything else
//! ends the readable log (a torn or damaged tail is never served).

use std::io::{self, Read};

use bytes::Bytes;
use prost::Message as _;

use crate::proto::filer::LogEntry;
use crate::proto::v2::Message;

/// Extra room allowed in a gRPC frame beyond the record size limit (request framing), so a
/// message slightly above the limit is decoded and refused with a clear status.
pub(super) const RECORD_OVERHEAD: usize = 64 * 1024;

/// Room for a record's framing beyond its message: the length prefix and the `LogEntry`
/// fields other than `data` and `key` (a message's key is stored twice: in the message and
/// in `LogEntry.key`, and that copy counts against the limit).
pub(super) const RECORD_FRAMING: usize = 64;

/// The largest record any broker writes (`--max-message-bytes` is capped here), and so the
/// largest the reader accepts, whatever the current publish limit: a broker restarted with a
/// smaller `--max-message-bytes` still reads the larger records it stored before.
pub(super) const MAX_RECORD_BYTES: usize = 1 << 30;

/// One stored record, decoded.
#[derive(Debug, Clone)]
pub(super) struct StoredRecord {
    /// The log timestamp (strictly increasing within a partition).
    pub ts_ns: i64,
    /// The stored message.
    pub message: Message,
    /// The size of the record on disk, length prefix included.
    pub disk_len: u64,
}

/// A stable 32-bit hash of a key, stored in `LogEntry.partition_key_hash`.
pub(super) fn key_hash(key: &[u8]) -> i32 {
    xxhash_rust::xxh64::xxh64(key, 0) as i32
}

/// Appends one encoded record to `out`; returns its size on disk.
pub(super) fn encode(out: &mut Vec<u8>, ts_ns: i64, ord: u64, message: &Message) -> u64 {
    let data = Bytes::from(message.encode_to_vec());
    let entry = LogEntry {
        ts_ns,
        partition_key_hash: key_hash(&message.key),
        data,
        key: message.key.clone(),
        offset: ord as i64,
    };
    let len = entry.encoded_len();
    out.reserve(4 + len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    entry.encode(out).expect("a Vec grows as needed");
    4 + len as u64
}

/// Why a log stopped being readable at some point.
#[derive(Debug)]
pub(super) enum ReadStop {
    /// The clean end of the data.
    End,
    /// A record cut short (the tail of a write interrupted by a crash).
    Torn,
    /// A record that is not a valid continuation of the log.
    Invalid(String),
    /// An I/O error.
    Io(io::Error),
}

/// Reads the next record from `r`, checking it continues a log whose previous record had
/// `prev_ts` and whose next ordinal is `expect_ord`. `remaining` is how many bytes the input
/// still holds: a length above it is a torn record (and is never allocated).
pub(super) fn read_next<R: Read>(
    r: &mut R,
    prev_ts: i64,
    expect_ord: u64,
    remaining: u64,
) -> Result<StoredRecord, ReadStop> {
    let mut len_buf = [0u8; 4];
    match read_full(r, &mut len_buf) {
        Ok(0) => return Err(ReadStop::End),
        Ok(4) => {}
        Ok(_) => return Err(ReadStop::Torn),
        Err(e) => return Err(ReadStop::Io(e)),
    }
    let len = u32::from_be_bytes(len_buf) as usize;
    if len == 0 || len > MAX_RECORD_BYTES - 4 {
        return Err(ReadStop::Invalid(format!("record length {len}")));
    }
    if len as u64 > remaining.saturating_sub(4) {
        return Err(ReadStop::Torn);
    }
    let mut body = vec![0u8; len];
    match read_full(r, &mut body) {
        Ok(n) if n == len => {}
        Ok(_) => return Err(ReadStop::Torn),
        Err(e) => return Err(ReadStop::Io(e)),
    }
    let entry = LogEntry::decode(body.as_slice())
        .map_err(|e| ReadStop::Invalid(format!("log entry does not decode: {e}")))?;
    if entry.ts_ns <= prev_ts {
        return Err(ReadStop::Invalid(format!(
            "timestamp {} not above the previous {prev_ts}",
            entry.ts_ns
        )));
    }
    if entry.offset != expect_ord as i64 {
        return Err(ReadStop::Invalid(format!(
            "ordinal {} where {expect_ord} was expected",
            entry.offset
        )));
    }
    let message = Message::decode(entry.data)
        .map_err(|e| ReadStop::Invalid(format!("message does not decode: {e}")))?;
    Ok(StoredRecord {
        ts_ns: entry.ts_ns,
        message,
        disk_len: 4 + len as u64,
    })
}

/// Like `read_exact`, but returns how many bytes were read before the end of the input.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(v: &str) -> Message {
        Message {
            value: Bytes::from(v.to_string()),
            key: Bytes::from_static(b"k"),
            ..Default::default()
        }
    }

    #[test]
    fn roundtrip_and_seaweed_framing() {
        let mut buf = Vec::new();
        let n1 = encode(&mut buf, 10, 0, &msg("a"));
        let n2 = encode(&mut buf, 20, 1, &msg("bb"));
        assert_eq!(buf.len() as u64, n1 + n2);
        // The framing is SeaweedFS's: big-endian length, then a LogEntry.
        let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        let e = LogEntry::decode(&buf[4..4 + len]).unwrap();
        assert_eq!(e.ts_ns, 10);
        assert_eq!(Message::decode(e.data).unwrap().value, "a");
        let mut r = buf.as_slice();
        let a = read_next(&mut r, 0, 0, 1 << 20).unwrap();
        let b = read_next(&mut r, a.ts_ns, 1, 1 << 20).unwrap();
        assert_eq!((a.ts_ns, b.ts_ns), (10, 20));
        assert_eq!(b.message.value, "bb");
        assert!(matches!(
            read_next(&mut r, 20, 2, 1 << 20),
            Err(ReadStop::End)
        ));
    }

    #[test]
    fn torn_and_garbage_tails_are_refused() {
        let mut buf = Vec::new();
        encode(&mut buf, 10, 0, &msg("hello"));
        for cut in 1..buf.len() {
            let mut r = &buf[..cut];
            assert!(matches!(
                read_next(&mut r, 0, 0, 1 << 20),
                Err(ReadStop::Torn)
            ));
        }
        let zeros = [0u8; 16];
        assert!(matches!(
            read_next(&mut &zeros[..], 0, 0, 1 << 20),
            Err(ReadStop::Invalid(_))
        ));
        // Wrong ordinal / non-increasing timestamp.
        assert!(matches!(
            read_next(&mut buf.as_slice(), 0, 5, 1 << 20),
            Err(ReadStop::Invalid(_))
        ));
        assert!(matches!(
            read_next(&mut buf.as_slice(), 10, 0, 1 << 20),
            Err(ReadStop::Invalid(_))
        ));
    }
}
