//! Positions you can share: `swmq://HOST:PORT/NS/TOPIC?ts=RFC3339&partition=P[&offset=O]`.
//!
//! A link names one record: the broker that holds it, its topic, its timestamp (RFC 3339
//! in UTC, exact to the nanosecond), its partition and, where the protocol knows it, its
//! offset. Hints the broker needs go along: `protocol=mq|legacy`, `tls=1` (the broker
//! speaks TLS only; the certificates stay the reader's own) and `filer=HOST:PORT` (4.x
//! listings go through the filer). `swmq open LINK` lands the TUI on the record;
//! `swmq tail --from LINK` reads from it.
//!
//! Namespace and topic are percent-encoded (every byte outside `A-Z a-z 0-9 - . _ ~`), so
//! any valid name survives the round trip. Parsing refuses, with a message naming the
//! part: another scheme, a missing or bad port, a path that is not `NS/TOPIC`, invalid
//! names (the same check as everywhere: [`crate::names`]), a missing or unparsable `ts`
//! or `partition`, duplicate or unknown parameters, a fragment, and links over
//! [`MAX_LINK_BYTES`].

use std::fmt;

use crate::client::{Protocol, Record, TopicInfo, TopicName};
use crate::names::quote;

/// The scheme.
pub const SCHEME: &str = "swmq://";

/// The longest link accepted, in bytes (two 255-byte names percent-encoded fit).
pub const MAX_LINK_BYTES: usize = 4096;

/// A shared position: one record of one topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The broker, `HOST:PORT` (`[v6]:PORT` for IPv6).
    pub broker: String,
    /// The topic.
    pub topic: TopicName,
    /// The record's timestamp, ns since the epoch.
    pub ts_ns: i64,
    /// The record's partition.
    pub partition: i32,
    /// The record's offset, where the protocol knows it.
    pub offset: Option<i64>,
    /// The broker's protocol, when known.
    pub protocol: Option<Protocol>,
    /// The broker speaks TLS only.
    pub tls: bool,
    /// The filer, when the broker needs one (4.x).
    pub filer: Option<String>,
}

/// Why a link could not be read; the message names the part and quotes it escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid link: {0}")]
pub struct LinkError(pub String);

fn bad(s: impl Into<String>) -> LinkError {
    LinkError(s.into())
}

impl Link {
    /// The link to `r` on `broker`.
    pub fn to_record(broker: &str, r: &Record) -> Link {
        Link {
            broker: broker.to_string(),
            topic: (*r.topic).clone(),
            ts_ns: r.ts_ns,
            partition: r.partition,
            offset: r.offset,
            protocol: None,
            tls: false,
            filer: None,
        }
    }

    /// Parses a link (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Link, LinkError> {
        let s = input.trim();
        if s.len() > MAX_LINK_BYTES {
            return Err(bad(format!(
                "longer than {MAX_LINK_BYTES} bytes ({} bytes)",
                s.len()
            )));
        }
        let rest = match s.get(..SCHEME.len()) {
            Some(p) if p.eq_ignore_ascii_case(SCHEME) => &s[SCHEME.len()..],
            _ => {
                return Err(bad(format!(
                    "{} does not start with {SCHEME} (expected \
                     swmq://HOST:PORT/NS/TOPIC?ts=…&partition=…)",
                    quote(s)
                )));
            }
        };
        if rest.contains('#') {
            return Err(bad("a link has no #fragment"));
        }
        let (authority, rest) = rest
            .split_once('/')
            .ok_or_else(|| bad("no NS/TOPIC after the broker address"))?;
        let broker = parse_addr("broker", authority)?;
        let (path, query) = rest
            .split_once('?')
            .ok_or_else(|| bad("no ?ts=…&partition=… after NS/TOPIC"))?;
        let topic = parse_path(path)?;
        let mut link = Link {
            broker,
            topic,
            ts_ns: 0,
            partition: 0,
            offset: None,
            protocol: None,
            tls: false,
            filer: None,
        };
        link.parse_query(query)?;
        Ok(link)
    }

    /// Reads the query parameters into `self`.
    fn parse_query(&mut self, query: &str) -> Result<(), LinkError> {
        let mut seen: Vec<String> = Vec::new();
        let (mut ts, mut partition) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k)?;
            let v = decode(v)?;
            if seen.contains(&k) {
                return Err(bad(format!("{} is given twice", quote(&k))));
            }
            seen.push(k.clone());
            match k.as_str() {
                "ts" => ts = Some(parse_ts(&v)?),
                "partition" => partition = Some(parse_int::<i32>("partition", &v)?),
                "offset" => self.offset = Some(parse_int::<i64>("offset", &v)?),
                "protocol" => {
                    self.protocol = Some(match v.as_str() {
                        "mq" => Protocol::Mq,
                        "legacy" => Protocol::Legacy,
                        _ => {
                            return Err(bad(format!("protocol {} is not mq or legacy", quote(&v))));
                        }
                    })
                }
                "tls" => {
                    self.tls = match v.as_str() {
                        "1" | "true" => true,
                        "0" | "false" => false,
                        _ => return Err(bad(format!("tls {} is not 1 or 0", quote(&v)))),
                    }
                }
                "filer" => self.filer = Some(parse_addr("filer", &v)?),
                _ => {
                    return Err(bad(format!(
                        "unknown parameter {} (known: ts, partition, offset, protocol, tls, \
                         filer)",
                        quote(&k)
                    )));
                }
            }
        }
        self.ts_ns = ts.ok_or_else(|| bad("no ts= (the record's time, RFC 3339)"))?;
        self.partition = partition.ok_or_else(|| bad("no partition="))?;
        Ok(())
    }
}

/// What is wrong with landing on `link` in the topic as `info` describes it: its time
/// before the topic's first record or after its last one, or a partition the topic does
/// not have. `None`: the position is inside the topic (or the broker does not say).
pub fn position_problem(link: &Link, info: &TopicInfo, utc: bool) -> Option<String> {
    position_problem_at(&link.topic, link.ts_ns, link.partition, info, utc)
}

/// [`position_problem`] for a record of `topic` at `ts_ns` in `partition`.
pub fn position_problem_at(
    topic: &TopicName,
    ts_ns: i64,
    partition: i32,
    info: &TopicInfo,
    utc: bool,
) -> Option<String> {
    let at = crate::time::format_datetime_exact(ts_ns, utc);
    if let Some(first) = info.first_ts_ns()
        && ts_ns < first
    {
        return Some(format!(
            "the link's time {at} is before {}'s first record ({}): that record is gone \
             (retention, or the topic was re-created)",
            topic,
            crate::time::format_datetime_exact(first, utc)
        ));
    }
    if let Some(last) = info.last_ts_ns()
        && ts_ns > last
    {
        return Some(format!(
            "the link's time {at} is after {}'s last record ({}): nothing is there yet",
            topic,
            crate::time::format_datetime_exact(last, utc)
        ));
    }
    if !info.partitions.is_empty() && !info.partitions.iter().any(|p| p.id == partition) {
        return Some(format!(
            "{} has no partition {} now ({} partitions)",
            topic,
            partition,
            info.partitions.len()
        ));
    }
    None
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{SCHEME}{}/{}/{}?ts={}&partition={}",
            self.broker,
            encode(&self.topic.namespace),
            encode(&self.topic.name),
            crate::time::format_rfc3339(self.ts_ns),
            self.partition
        )?;
        if let Some(o) = self.offset {
            write!(f, "&offset={o}")?;
        }
        if let Some(p) = self.protocol {
            write!(f, "&protocol={p}")?;
        }
        if self.tls {
            f.write_str("&tls=1")?;
        }
        if let Some(filer) = &self.filer {
            write!(f, "&filer={filer}")?;
        }
        Ok(())
    }
}

/// `HOST:PORT` (`[v6]:PORT`): a non-empty host of plain characters and a port 1..=65535.
fn parse_addr(what: &str, s: &str) -> Result<String, LinkError> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| bad(format!("{what} {} has no :PORT", quote(s))))?;
    let plain = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        None => plain(host),
    };
    if !host_ok {
        return Err(bad(format!(
            "{what} host {} is not a host name or address",
            quote(host)
        )));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(s.to_string()),
        _ => Err(bad(format!("{what} port {} is not 1..65535", quote(port)))),
    }
}

/// `NS/TOPIC`, percent-decoded and checked as names.
fn parse_path(path: &str) -> Result<TopicName, LinkError> {
    let mut parts = path.split('/');
    let (Some(ns), Some(t), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad(format!(
            "the path {} is not NS/TOPIC",
            quote(&decode(path).unwrap_or_else(|_| path.to_string()))
        )));
    };
    TopicName::new(&decode(ns)?, &decode(t)?).map_err(|e| bad(e.to_string()))
}

/// The timestamp: RFC 3339 (any offset; swmq writes UTC with nanoseconds) or integer ns.
fn parse_ts(v: &str) -> Result<i64, LinkError> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse()
            .map_err(|_| bad(format!("ts {} is out of range", quote(v))));
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .ok()
        .and_then(|d| d.timestamp_nanos_opt())
        .ok_or_else(|| {
            bad(format!(
                "ts {} is not an RFC 3339 time (2026-12-01T22:17:04.123456789Z)",
                quote(v)
            ))
        })
}

fn parse_int<T: std::str::FromStr + PartialOrd + Default>(
    what: &str,
    v: &str,
) -> Result<T, LinkError> {
    let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    match v.parse::<T>() {
        Ok(n) if digits && n >= T::default() => Ok(n),
        _ => Err(bad(format!(
            "{what} {} is not a whole number from 0",
            quote(v)
        ))),
    }
}

/// Percent-encodes every byte outside the URI's unreserved set.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes; a bad escape or bytes that are not UTF-8 are an error.
pub fn decode(s: &str) -> Result<String, LinkError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "bad %-escape in {} (want %XX with hex digits)",
                        quote(s)
                    ))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| bad(format!("{} decodes to bytes that are not UTF-8", quote(s))))
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
