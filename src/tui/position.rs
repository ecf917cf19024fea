//! Positions in the TUI's model: a record to land on and what links to records carry.

use super::msg::ReqId;
use crate::client::TopicName;

/// A record to land on (a link opened, a search match): found among the records read
/// from its time, selected, and shown with the records before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// Its topic.
    pub topic: TopicName,
    /// Its timestamp.
    pub ts_ns: i64,
    /// Its partition.
    pub partition: i32,
    /// Its offset, where known.
    pub offset: Option<i64>,
    /// It (or the first record after its time) is selected.
    pub found: bool,
    /// The request for the records before it.
    pub context_req: Option<ReqId>,
}

impl Landing {
    /// A landing not yet found.
    pub fn new(topic: TopicName, ts_ns: i64, partition: i32, offset: Option<i64>) -> Self {
        Landing {
            topic,
            ts_ns,
            partition,
            offset,
            found: false,
            context_req: None,
        }
    }
}

/// What a link to a record says beside the broker address (see [`crate::link`]).
#[derive(Debug, Clone, Default)]
pub struct LinkHints {
    /// The broker speaks TLS.
    pub tls: bool,
    /// The filer (4.x).
    pub filer: Option<String>,
}
