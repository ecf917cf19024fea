//! The client's one error model: [`ClientError`], and the one place that decides whether a
//! failure is worth retrying ([`classify`]).
//!
//! Every status text a broker was seen to send lives here, not in the callers: the
//! readers, publishers and the TUI's worker ask [`ClientError::is_transient`] (or
//! [`classify`] for a raw `tonic::Status`) and never match message text themselves. The
//! observations behind each rule are in `docs/mq-4x-faults.md`.

/// Errors of the client library. Messages name the address or topic and the cause.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered at the address (refused, unresolvable, reset).
    #[error("cannot connect to broker at {addr}: {cause}")]
    Connect {
        /// The address dialled.
        addr: String,
        /// Why it failed (the error chain).
        cause: String,
    },
    /// The address did not answer in time.
    #[error("timed out after {secs:.1}s waiting for {addr}")]
    Timeout {
        /// The address dialled.
        addr: String,
        /// The timeout that passed.
        secs: f64,
    },
    /// Something answers, but it is not a SeaweedFS message broker.
    #[error("{addr} is not a SeaweedFS message broker: {detail}")]
    NotABroker {
        /// The address dialled.
        addr: String,
        /// What it answered.
        detail: String,
    },
    /// The topic does not exist.
    #[error("topic {0} not found")]
    TopicNotFound(String),
    /// The operation does not exist in this protocol generation.
    #[error("{0}")]
    Unsupported(String),
    /// A publish to a sealed 2.x channel or partition.
    #[error("channel {0} is closed")]
    ChannelClosed(String),
    /// Bad input from the caller (topic name, partition, size).
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// What was wrong.
        what: String,
        /// How.
        detail: String,
    },
    /// A broker or filer call failed.
    #[error("{context}: {message}")]
    Rpc {
        /// What was being done (`"publish to ns/t at host:port"`).
        context: String,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// A task of the client died (a panic or an abort): a bug, never retried.
    #[error("{what} failed: {cause}")]
    Task {
        /// Which task.
        what: String,
        /// The join error.
        cause: String,
    },
    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// TLS failed (unknown CA, no client certificate, expired, name mismatch, TLS against
    /// plaintext or the reverse): `problem` says what to fix. Never transient.
    #[error("{context}: {problem}")]
    Tls {
        /// What was being done.
        context: String,
        /// What is wrong and what to fix.
        problem: String,
    },
}

/// Whether retrying a failure (after a backoff) may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The broker went away, restarted, reset the connection or is moving the partition:
    /// retry, and resume where the operation stopped.
    Transient,
    /// Retrying cannot help (bad input, a missing topic, a bug, a refusal).
    Fatal,
}

/// Words of a status message that say the connection (not the request) failed. tonic
/// reports a dropped connection as UNKNOWN or INTERNAL with hyper's or h2's text:
/// "transport error", "connection reset", "h2 protocol error: error reading a body from
/// connection" (a killed leader, seen on 4.48), "broken pipe", "unexpected EOF".
const CONNECTION_WORDS: &[&str] = &[
    "transport",
    "reset",
    "connection",
    "h2 protocol error",
    "error reading a body",
    "broken pipe",
    "eof",
    "stream no longer needed",
    "stream closed",
];

/// Broker refusals that stored nothing and clear by themselves: 4.48 answers "log buffer
/// is stopping" to a publish that arrives while the partition unloads (a retry a second
/// later succeeds).
/// A publish sent to a broker that is no longer the partition's leader is refused at
/// `init` ("not the leader for this partition, leader is: …", error code 6): look the
/// leader up again and retry.
/// A (re)started 4.48 broker refuses a publish with "failed to find leader for topic
/// partition: no broker assignment found for partition" (error code 2) until its balancer
/// has registered the brokers and reassigned the partitions (seen after a restart).
const PASSING_REFUSALS: &[&str] = &[
    "log buffer is stopping",
    "not the leader",
    "no broker assignment",
];

/// Classifies a gRPC status, from either protocol's brokers or the filer. The only place
/// where status codes and texts decide transience.
pub fn classify(code: tonic::Code, message: &str) -> ErrorClass {
    use tonic::Code;
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    let transient = match code {
        // Refused connections, a server shutting down (the embedded broker: "the broker is
        // shutting down"), GOAWAY.
        Code::Unavailable => true,
        // The embedded broker says ABORTED when the topic was deleted under the reader.
        Code::Aborted => !m.contains("deleted"),
        // A server shutting down ("grpc: the client connection is closing", weed 4.48's
        // filer) or a reset stream; a server-side "context canceled" is a refusal.
        Code::Cancelled => m.contains("closing") || has(CONNECTION_WORDS),
        // h2 GOAWAY ENHANCE_YOUR_CALM ("too_many_pings", "too_many_data_frames") closes
        // the connection only; a message over the size limit is final.
        Code::ResourceExhausted => m.contains("too_many") || m.contains("h2 protocol error"),
        Code::Unknown | Code::Internal => has(CONNECTION_WORDS) || has(PASSING_REFUSALS),
        _ => false,
    };
    if transient {
        ErrorClass::Transient
    } else {
        ErrorClass::Fatal
    }
}

/// Whether a broker status says the topic does not exist (4.48 answers UNKNOWN with a
/// text: "topic … not found", "… does not exist").
pub fn is_missing_topic(s: &tonic::Status) -> bool {
    let m = s.message().to_ascii_lowercase();
    s.code() == tonic::Code::NotFound
        || (m.contains("not found") && !m.contains("partition not found"))
        || m.contains("not exist")
        || m.contains("no such")
}

/// Whether a reader retries a failure (after a backoff, reporting it): transient failures
/// always, and, while following, every failure but a TLS problem (a setting to fix). A
/// restarting weed 4.48 refuses for a while what it serves again later: "volume id 3 not
/// found" for a chunk until its volume server has registered again, partitions until it
/// has reassigned them; a following read that gave up never got the later records.
pub(crate) fn retried_by_reader(e: &ClientError, following: bool) -> bool {
    e.is_transient() || following && !matches!(e, ClientError::Tls { .. })
}

impl ClientError {
    /// Wraps a gRPC status with what was being done (`"publish to ns/t at host:port"`).
    pub fn rpc(context: impl Into<String>, status: tonic::Status) -> Self {
        if let Some(problem) = super::tls::status_tls_problem(&status) {
            return ClientError::Tls {
                context: context.into(),
                problem,
            };
        }
        ClientError::Rpc {
            context: context.into(),
            code: status.code(),
            message: status.message().to_string(),
        }
    }

    /// An invalid-input error.
    pub fn invalid(what: impl Into<String>, detail: impl Into<String>) -> Self {
        ClientError::Invalid {
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// A task that died (`JoinError`): a bug or an abort, never "unsupported".
    pub fn task(what: impl Into<String>, e: &tokio::task::JoinError) -> Self {
        ClientError::Task {
            what: what.into(),
            cause: e.to_string(),
        }
    }

    /// Whether retrying may succeed or not.
    pub fn class(&self) -> ErrorClass {
        match self {
            ClientError::Connect { .. } | ClientError::Timeout { .. } => ErrorClass::Transient,
            ClientError::Rpc { code, message, .. } => classify(*code, message),
            // A certificate or a TLS/plaintext mismatch does not fix itself.
            ClientError::Tls { .. } => ErrorClass::Fatal,
            _ => ErrorClass::Fatal,
        }
    }

    /// Whether retrying (after a backoff) may succeed: the broker went away or reset.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// Whether the topic is gone (missing, or deleted under a reader): every partition of
    /// a read fails alike, so the whole read ends.
    pub fn is_topic_gone(&self) -> bool {
        match self {
            ClientError::TopicNotFound(_) => true,
            ClientError::Rpc { code, message, .. } => {
                *code == tonic::Code::Aborted && message.contains("deleted")
            }
            _ => false,
        }
    }

    /// A broker refusal that stored none of the unacknowledged messages (a publish may be
    /// sent again without duplicating anything).
    pub fn stored_nothing(&self) -> bool {
        match self {
            ClientError::Rpc { message, .. } => {
                let m = message.to_ascii_lowercase();
                PASSING_REFUSALS.iter().any(|w| m.contains(w))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    /// Every status the brokers (weed 4.48, the embedded broker) and the transport were
    /// seen to produce, with its class.
    const SEEN: &[(Code, &str, ErrorClass)] = &[
        // weed killed or restarting.
        (
            Code::Unavailable,
            "tcp connect error: Connection refused (os error 111)",
            ErrorClass::Transient,
        ),
        (
            Code::Unknown,
            "h2 protocol error: error reading a body from connection",
            ErrorClass::Transient,
        ),
        (
            Code::Internal,
            "h2 protocol error: error reading a body from connection",
            ErrorClass::Transient,
        ),
        (Code::Unknown, "transport error", ErrorClass::Transient),
        (
            Code::Unknown,
            "connection reset by peer",
            ErrorClass::Transient,
        ),
        (
            Code::Unknown,
            "error trying to connect: broken pipe",
            ErrorClass::Transient,
        ),
        (
            Code::Cancelled,
            "grpc: the client connection is closing",
            ErrorClass::Transient,
        ),
        (
            Code::Cancelled,
            "h2 protocol error: stream no longer needed",
            ErrorClass::Transient,
        ),
        (
            Code::Unavailable,
            "error reading server preface: EOF",
            ErrorClass::Transient,
        ),
        // An unloading 4.48 partition refusing a publish.
        (
            Code::Unknown,
            "log buffer is stopping",
            ErrorClass::Transient,
        ),
        (
            Code::Unknown,
            "not the leader for this partition, leader is: 127.0.0.1:17001 (error_code 6)",
            ErrorClass::Transient,
        ),
        (
            Code::Unknown,
            "failed to find leader for topic partition: no broker assignment found for partition (error_code 2)",
            ErrorClass::Transient,
        ),
        // GOAWAY ENHANCE_YOUR_CALM.
        (
            Code::ResourceExhausted,
            "h2 protocol error: too_many_pings",
            ErrorClass::Transient,
        ),
        (
            Code::ResourceExhausted,
            "message length too large: found 99 bytes, the limit is: 4",
            ErrorClass::Fatal,
        ),
        // The embedded broker.
        (
            Code::Unavailable,
            "the broker is shutting down",
            ErrorClass::Transient,
        ),
        (Code::Aborted, "topic ns/t was deleted", ErrorClass::Fatal),
        (Code::Aborted, "subscriber replaced", ErrorClass::Transient),
        (
            Code::NotFound,
            "topic ns/t does not exist",
            ErrorClass::Fatal,
        ),
        (
            Code::FailedPrecondition,
            "channel chan/x is closed",
            ErrorClass::Fatal,
        ),
        (
            Code::Internal,
            "reading the log: checksum mismatch at 4096",
            ErrorClass::Fatal,
        ),
        // weed 4.48 refusals.
        (Code::Unknown, "topic ns/t not found", ErrorClass::Fatal),
        (
            Code::Unknown,
            "failed to get or generate local partition 0000-0315",
            ErrorClass::Fatal,
        ),
        (Code::Unknown, "partition not found", ErrorClass::Fatal),
        (Code::Cancelled, "context canceled", ErrorClass::Fatal),
        (Code::InvalidArgument, "bad", ErrorClass::Fatal),
    ];

    #[test]
    fn every_seen_status_is_classified() {
        for &(code, text, want) in SEEN {
            assert_eq!(classify(code, text), want, "{code:?} {text:?}");
            let e = ClientError::rpc("x", tonic::Status::new(code, text));
            assert_eq!(e.class(), want, "{e}");
        }
    }

    #[test]
    fn non_rpc_errors() {
        let c = ClientError::Connect {
            addr: "a:1".into(),
            cause: "refused".into(),
        };
        assert!(c.is_transient());
        assert!(
            ClientError::Timeout {
                addr: "a:1".into(),
                secs: 1.0
            }
            .is_transient()
        );
        assert!(!ClientError::Cancelled.is_transient());
        assert!(!ClientError::TopicNotFound("a/b".into()).is_transient());
        let t = ClientError::Task {
            what: "publisher".into(),
            cause: "panicked".into(),
        };
        assert!(!t.is_transient());
        assert_eq!(t.clone(), t);
    }

    #[test]
    fn only_refusals_that_stored_nothing_may_be_resent() {
        let e = |m: &str| ClientError::rpc("p", tonic::Status::unknown(m));
        assert!(e("log buffer is stopping").stored_nothing());
        assert!(!e("h2 protocol error: error reading a body from connection").stored_nothing());
        assert!(!ClientError::Cancelled.stored_nothing());
    }

    #[test]
    fn gone_topics() {
        assert!(ClientError::TopicNotFound("a/b".into()).is_topic_gone());
        let deleted = tonic::Status::aborted("topic ns/t was deleted");
        assert!(ClientError::rpc("read", deleted).is_topic_gone());
        let down = tonic::Status::unavailable("down");
        assert!(!ClientError::rpc("read", down).is_topic_gone());
    }

    #[test]
    fn missing_topics() {
        assert!(is_missing_topic(&tonic::Status::unknown(
            "topic a/b not found"
        )));
        assert!(is_missing_topic(&tonic::Status::not_found("x")));
        assert!(!is_missing_topic(&tonic::Status::unavailable("down")));
        assert!(!is_missing_topic(&tonic::Status::unknown(
            "partition not found"
        )));
    }

    #[test]
    fn readers_retry_all_but_tls_while_following() {
        let transient = ClientError::rpc("read", tonic::Status::unavailable("down"));
        let fatal = ClientError::rpc("read", tonic::Status::unknown("volume id 3 not found"));
        let tls = ClientError::Tls {
            context: "read".into(),
            problem: "certificate signed by an unknown authority".into(),
        };
        assert!(retried_by_reader(&transient, false));
        assert!(retried_by_reader(&transient, true));
        assert!(!retried_by_reader(&fatal, false));
        assert!(retried_by_reader(&fatal, true));
        assert!(retried_by_reader(
            &ClientError::TopicNotFound("a/b".into()),
            true
        ));
        assert!(!retried_by_reader(&tls, false));
        assert!(!retried_by_reader(&tls, true));
    }

    #[test]
    fn tls_failures_are_fatal() {
        // A status carrying a TLS/plaintext mismatch becomes `Tls`, never retried, even
        // with a code that is transient otherwise.
        let s = tonic::Status::unavailable(super::super::tls::NEEDS_TLS);
        let e = ClientError::rpc("list topics at h:1", s);
        assert!(matches!(e, ClientError::Tls { .. }), "{e:?}");
        assert_eq!(e.class(), ErrorClass::Fatal);
        assert!(
            e.to_string()
                .starts_with("list topics at h:1: the server requires TLS")
        );
        let e = ClientError::Tls {
            context: "connect".into(),
            problem: "certificate signed by an unknown authority".into(),
        };
        assert!(!e.is_transient());
    }
}
