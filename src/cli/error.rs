//! How the CLI fails: one line on stderr and an exit code (0 ok, 1 runtime, 2 usage).

use std::fmt;
use std::io;

use crate::client::{Client, ClientError};

/// Exit code: success (also a closed stdout and Ctrl-C during `tail`).
pub const EXIT_OK: i32 = 0;
/// Exit code: a runtime error (broker, network, refusal).
pub const EXIT_RUNTIME: i32 = 1;
/// Exit code: a usage error (bad flags, SPEC, topic name, header syntax).
pub const EXIT_USAGE: i32 = 2;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The invocation was wrong (exit 2).
    Usage(String),
    /// Something failed while running (exit 1).
    Runtime(anyhow::Error),
    /// The reader of stdout went away (`| head`): end quietly with exit 0.
    PipeClosed,
    /// `swmq grep` found nothing: exit 1 without a message (like grep).
    NoMatch,
}

/// The CLI's result type.
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// A usage error.
    pub fn usage(msg: impl fmt::Display) -> Self {
        CliError::Usage(msg.to_string())
    }

    /// A runtime error.
    pub fn runtime(msg: impl fmt::Display) -> Self {
        CliError::Runtime(anyhow::anyhow!("{msg}"))
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Runtime(_) | CliError::NoMatch => EXIT_RUNTIME,
            CliError::PipeClosed => EXIT_OK,
        }
    }

    /// The one line to print on stderr (`None`: print nothing).
    pub fn message(&self) -> Option<String> {
        let raw = match self {
            CliError::Usage(m) => m.clone(),
            CliError::Runtime(e) => format!("{e:#}"),
            CliError::PipeClosed | CliError::NoMatch => return None,
        };
        Some(one_line(&raw))
    }
}

/// The most characters of an error line (a broker may answer with a huge text).
const MAX_ERROR_CHARS: usize = 2000;

/// Squeezes a message onto one line (a broker may answer with a multi-line text) with
/// every terminal hazard escaped (server text is untrusted) and at most
/// [`MAX_ERROR_CHARS`] characters.
pub(crate) fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::format::escape::escape_short(&joined, MAX_ERROR_CHARS)
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Runtime(e)
    }
}

/// An I/O error on output: a closed pipe ends quietly, anything else is a runtime error.
pub(crate) fn output_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::PipeClosed
    } else {
        CliError::runtime(format!("writing output: {e}"))
    }
}

/// A client error with what was being done (`"tail demo/orders"`), the broker address and
/// protocol. Caller mistakes the broker reports (bad partition, bad name) are usage errors.
pub(crate) fn client_error(what: &str, client: Option<&Client>, e: ClientError) -> CliError {
    let at = match client {
        Some(c) => format!(" on {} ({})", c.broker_addr(), c.protocol().describe()),
        None => String::new(),
    };
    let cause = match &e {
        // A bare status (UNIMPLEMENTED from the wrong protocol) has no text: name the code.
        ClientError::Rpc {
            context,
            code,
            message,
        } if message.trim().is_empty() => {
            format!("{context}: {code:?} ({})", code.description())
        }
        e => e.to_string(),
    };
    let msg = format!("{what}{at}: {cause}");
    match e {
        ClientError::Invalid { .. } => CliError::Usage(msg),
        _ => CliError::Runtime(anyhow::anyhow!(msg)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_lines() {
        assert_eq!(CliError::usage("x").exit_code(), 2);
        assert_eq!(CliError::runtime("x").exit_code(), 1);
        assert_eq!(CliError::PipeClosed.exit_code(), 0);
        assert_eq!(CliError::PipeClosed.message(), None);
        let e = CliError::runtime("a\nb  c");
        assert_eq!(e.message().unwrap(), "a b c");
        let e = CliError::runtime("x\x1b]0;title\x07 \u{9b}2J \u{202e}y");
        assert_eq!(
            e.message().unwrap(),
            "x\\x1b]0;title\\x07 \\x9b2J \\u{202e}y"
        );
        let e = CliError::runtime("z".repeat(100_000));
        assert!(e.message().unwrap().len() < 2100);
        let e = output_error(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(matches!(e, CliError::PipeClosed));
        let e = client_error(
            "tail a/b",
            None,
            ClientError::invalid("partition", "7 of 4"),
        );
        assert_eq!(e.exit_code(), 2);
        let e = client_error("tail a/b", None, ClientError::TopicNotFound("a/b".into()));
        assert_eq!(e.exit_code(), 1);
        assert_eq!(e.message().unwrap(), "tail a/b: topic a/b not found");
        let e = client_error(
            "tail a/b",
            None,
            ClientError::rpc("look up a/b", tonic::Status::unimplemented("")),
        );
        assert_eq!(
            e.message().unwrap(),
            "tail a/b: look up a/b: Unimplemented (Operation is not implemented or not supported)"
        );
    }
}
