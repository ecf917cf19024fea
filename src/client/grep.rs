//! Searching a topic's history by content: [`crate::client::Client::grep`].
//!
//! One API over every protocol, with the scan where the bytes are:
//! - the embedded broker scans its segment files itself (admin RPC `Grep`, module
//!   [`legacy`]): only matches and progress cross the wire;
//! - SeaweedFS MQ 4.x: the filer's log files, partition by partition in parallel (module
//!   [`mq`]), merged by time ([`merge`]);
//! - anything else (an original 2.x broker, a 4.x filer that cannot list the files): a
//!   history read through the normal read path, matched here (module [`scan_read`]).
//!
//! Matches arrive in time order across partitions. Dropping the [`GrepStream`] cancels the
//! search, on the server too.

pub(crate) mod legacy;
pub(crate) mod merge;
pub(crate) mod mq;
pub(crate) mod scan_read;

use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{Client, ClientError, Record, TopicName};
use crate::matcher::{Case, Matcher, Syntax};

/// What to search for, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrepQuery {
    /// A regular expression (Rust `regex` syntax), or a literal string when `fixed`.
    pub pattern: String,
    /// `pattern` is a literal string.
    pub fixed: bool,
    /// Ignore case (default: exact case, like grep).
    pub ignore_case: bool,
    /// First timestamp to search, ns, inclusive (`None`: the first record).
    pub from: Option<i64>,
    /// Last timestamp to search, ns, inclusive (`None`: the last record stored when the
    /// search began).
    pub until: Option<i64>,
    /// Only these partitions (empty: all).
    pub partitions: Vec<i32>,
    /// Stop after this many matches (`None`: no limit).
    pub max: Option<usize>,
}

impl GrepQuery {
    /// A search for `pattern` over the whole topic.
    pub fn new(pattern: impl Into<String>) -> Self {
        GrepQuery {
            pattern: pattern.into(),
            ..Default::default()
        }
    }

    /// The compiled pattern; a bad one is [`ClientError::Invalid`] naming it and why.
    pub fn matcher(&self) -> Result<Matcher, ClientError> {
        let syntax = if self.fixed {
            Syntax::Literal
        } else {
            Syntax::Regex
        };
        let case = if self.ignore_case {
            Case::Insensitive
        } else {
            Case::Sensitive
        };
        Matcher::new(&self.pattern, syntax, case).map_err(|e| ClientError::Invalid {
            what: "pattern".into(),
            detail: e.to_string(),
        })
    }

    /// Checks everything but the topic: the pattern, the range and the partitions.
    pub fn validate(&self) -> Result<Matcher, ClientError> {
        if let Some(p) = self.partitions.iter().find(|p| **p < 0) {
            return Err(ClientError::invalid(
                "partition",
                format!("{p}: partitions are numbered from 0"),
            ));
        }
        if let (Some(f), Some(u)) = (self.from, self.until)
            && u < f
        {
            return Err(ClientError::invalid(
                "range",
                format!("until ({u}) is before from ({f}): the range is empty"),
            ));
        }
        if self.max == Some(0) {
            return Err(ClientError::invalid("max", "must be at least 1"));
        }
        self.matcher()
    }
}

/// How far a search has got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrepProgress {
    /// Records scanned.
    pub records: u64,
    /// Bytes scanned (as stored, or as read where the scan is client-side).
    pub bytes: u64,
    /// Matches found.
    pub matches: u64,
    /// Every record at or before this timestamp has been scanned.
    pub covered_until_ns: Option<i64>,
    /// The start of the range being searched, when known.
    pub start_ns: Option<i64>,
    /// The end of the range being searched, when known.
    pub end_ns: Option<i64>,
    /// Bytes to scan in all, when known.
    pub total_bytes: Option<u64>,
}

impl GrepProgress {
    /// The part done, 0..=1: by bytes when the total is known, else by time covered.
    pub fn fraction(&self) -> Option<f64> {
        if let Some(t) = self.total_bytes.filter(|&t| t > 0) {
            return Some((self.bytes as f64 / t as f64).clamp(0.0, 1.0));
        }
        let (s, e, c) = (self.start_ns?, self.end_ns?, self.covered_until_ns?);
        if e <= s {
            return None;
        }
        Some(((c as f64 - s as f64) / (e as f64 - s as f64)).clamp(0.0, 1.0))
    }
}

/// What a search delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum GrepEvent {
    /// A matching record; matches come in time order across partitions.
    Match(Record),
    /// Where the scan is.
    Progress(GrepProgress),
    /// Something the user should know that does not end the search (a partition that
    /// could not be read: the search is then incomplete).
    Notice(String),
    /// The search has ended; `complete`: the whole range was scanned (false: it stopped at
    /// `max`, or a partition could not be read). Nothing follows.
    Done {
        /// The whole range was scanned.
        complete: bool,
    },
}

/// A running search. Dropping it cancels the search (the server's scan too).
pub struct GrepStream {
    rx: mpsc::Receiver<Result<GrepEvent, ClientError>>,
    cancel: CancellationToken,
    _guard: DropGuard,
}

/// The feeding side of a [`GrepStream`].
#[derive(Clone)]
pub struct GrepSender {
    tx: mpsc::Sender<Result<GrepEvent, ClientError>>,
    /// Fires when the stream is dropped or cancelled.
    pub cancel: CancellationToken,
}

impl GrepSender {
    /// Sends an event; `false` when the stream is gone or cancelled (stop scanning).
    pub async fn send(&self, ev: Result<GrepEvent, ClientError>) -> bool {
        tokio::select! {
            r = self.tx.send(ev) => r.is_ok(),
            _ = self.cancel.cancelled() => false,
        }
    }
}

impl GrepStream {
    /// A stream and the sender a search task feeds.
    pub fn channel(capacity: usize) -> (GrepSender, GrepStream) {
        let (tx, rx) = mpsc::channel(capacity);
        let cancel = CancellationToken::new();
        (
            GrepSender {
                tx,
                cancel: cancel.clone(),
            },
            GrepStream {
                rx,
                cancel: cancel.clone(),
                _guard: cancel.drop_guard(),
            },
        )
    }

    /// The next event; `None` after [`GrepEvent::Done`], an error, or cancellation.
    pub async fn next(&mut self) -> Option<Result<GrepEvent, ClientError>> {
        self.rx.recv().await
    }

    /// Cancels the search.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// Events buffered between a search task and its stream.
const STREAM_CAPACITY: usize = 256;

/// Starts a search (see [`Client::grep`]).
pub(super) async fn start(
    client: &Client,
    topic: &TopicName,
    query: GrepQuery,
) -> Result<GrepStream, ClientError> {
    let matcher = query.validate()?;
    match client {
        Client::Legacy(c) => match legacy::start(c, topic, &query).await? {
            Some(s) => Ok(s),
            None => scan_read::start(client, topic, query, matcher).await,
        },
        Client::Mq(c) => match mq::start(client, c, topic, &query, &matcher).await? {
            Some(s) => Ok(s),
            None => scan_read::start(client, topic, query, matcher).await,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_problem() {
        let bad = |q: GrepQuery| q.validate().unwrap_err().to_string();
        let e = bad(GrepQuery::new("a(b"));
        assert!(e.contains("invalid pattern") && e.contains("a(b"), "{e}");
        let e = bad(GrepQuery {
            partitions: vec![-1],
            ..GrepQuery::new("x")
        });
        assert!(e.contains("partition") && e.contains("-1"), "{e}");
        let e = bad(GrepQuery {
            from: Some(10),
            until: Some(5),
            ..GrepQuery::new("x")
        });
        assert!(e.contains("empty"), "{e}");
        assert!(GrepQuery::new("a(b").fixed_ok());
    }

    impl GrepQuery {
        fn fixed_ok(mut self) -> bool {
            self.fixed = true;
            self.validate().is_ok()
        }
    }

    #[test]
    fn fraction_by_bytes_else_by_time() {
        let mut p = GrepProgress {
            bytes: 25,
            total_bytes: Some(100),
            ..Default::default()
        };
        assert_eq!(p.fraction(), Some(0.25));
        p.total_bytes = None;
        assert_eq!(p.fraction(), None);
        p.start_ns = Some(100);
        p.end_ns = Some(300);
        p.covered_until_ns = Some(250);
        assert_eq!(p.fraction(), Some(0.75));
    }
}
