//! The messages of the Elm loop: what `update` consumes ([`Msg`]), what it asks the
//! outside world to do ([`Effect`]: a [`WorkerCmd`] for the worker, or something the
//! terminal task does itself), and what the worker reports ([`WorkerEvent`]).

use crossterm::event::{KeyEvent, MouseEvent};

use crate::client::{
    ClientError, DeleteOutcome, GrepProgress, GrepQuery, Histogram, OutMessage, Protocol,
    PublishOutcome, Record, TopicInfo, TopicName,
};

/// Identifies one tail subscription; events of a replaced subscription are dropped.
pub type SubId = u64;

/// Identifies one request (histogram, publish, close, delete).
pub type ReqId = u64;

/// An input to [`update`](super::update::update).
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// A mouse event.
    Mouse(MouseEvent),
    /// The terminal has a new size (columns, rows).
    Resize(u16, u16),
    /// Time passes: the current time in ns since the epoch (the only clock `update` sees).
    Tick(i64),
    /// Something the worker reports.
    Worker(WorkerEvent),
}

/// Where a tail subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// About the newest `n` records (the worker finds the time from the histogram).
    Newest(usize),
    /// The first record with `ts_ns >= t`.
    At(i64),
}

/// A side effect `update` asks for. The terminal task routes each: [`Effect::Worker`] to
/// the worker, the others it carries out itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A request for the worker (which owns the client).
    Worker(WorkerCmd),
    /// Copy text to the clipboard (OSC 52).
    Copy(String),
    /// Reconnect to another context of the config file.
    SwitchContext(String),
    /// Leave the TUI.
    Quit,
}

impl From<WorkerCmd> for Effect {
    fn from(cmd: WorkerCmd) -> Self {
        Effect::Worker(cmd)
    }
}

/// A request to the worker actor: reads, writes and admin calls through the client.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerCmd {
    /// Start a tail subscription (following) of `topic`.
    Subscribe {
        /// The new subscription's id.
        id: SubId,
        /// What to read.
        topic: TopicName,
        /// Where to start.
        start: Start,
    },
    /// Start a tail subscription of several topics merged by time (marked in the browser).
    SubscribeMany {
        /// The new subscription's id.
        id: SubId,
        /// What to read (two or more).
        topics: Vec<TopicName>,
        /// Where to start.
        start: Start,
    },
    /// The union's density histogram of several topics (the sum per bucket).
    HistogramMany {
        /// Request id (stale answers are dropped).
        id: ReqId,
        /// Which topics.
        topics: Vec<TopicName>,
        /// Window start.
        start_ns: i64,
        /// Window stop.
        stop_ns: i64,
        /// Buckets (the timeline's width).
        buckets: u32,
    },
    /// Cancel a subscription.
    Cancel {
        /// Which one.
        id: SubId,
    },
    /// Inspect a topic: partitions, consumer groups, configuration (the inspector).
    Inspect {
        /// The request (stale answers are dropped).
        id: ReqId,
        /// Which topic.
        topic: TopicName,
        /// Also the cluster's brokers (4.x; asked only while the Cluster tab shows).
        cluster: bool,
    },
    /// Ask for a density histogram of `topic` between two times.
    Histogram {
        /// Request id (stale answers are dropped).
        id: ReqId,
        /// Which topic.
        topic: TopicName,
        /// Window start.
        start_ns: i64,
        /// Window stop.
        stop_ns: i64,
        /// Buckets (the timeline's width).
        buckets: u32,
    },
    /// List the topics now.
    RefreshTopics,
    /// Publish messages.
    Publish {
        /// Request id.
        req: ReqId,
        /// Target topic.
        topic: TopicName,
        /// The messages, in order.
        messages: Vec<OutMessage>,
    },
    /// Seal a 2.x channel.
    CloseChannel {
        /// Request id.
        req: ReqId,
        /// The channel name (without `chan/`).
        name: String,
    },
    /// Delete a topic.
    Delete {
        /// Request id.
        req: ReqId,
        /// Which topic.
        topic: TopicName,
    },
    /// Delete several topics, one after the other.
    DeleteMany {
        /// Request id.
        req: ReqId,
        /// Which topics.
        topics: Vec<TopicName>,
    },
    /// Read the newest `limit` records before `before_ns` (paging back before the first
    /// loaded record), down to `floor_ns` (the topic's first message).
    ReadBefore {
        /// Request id (stale answers are dropped).
        req: ReqId,
        /// Which topic.
        topic: TopicName,
        /// Records strictly before this time.
        before_ns: i64,
        /// Not before this time.
        floor_ns: i64,
        /// How many.
        limit: usize,
    },
    /// Search `topic`'s history (find in history); cancelled with [`Command::Cancel`].
    Find {
        /// The search's id (stale results are dropped).
        id: ReqId,
        /// Which topic.
        topic: TopicName,
        /// What to search for, and where.
        query: GrepQuery,
    },
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    /// Connected (again) to the broker.
    Connected {
        /// The detected protocol.
        protocol: Protocol,
        /// The broker address.
        addr: String,
    },
    /// The broker could not be reached (at start, or while disconnected).
    Unreachable {
        /// The address tried.
        addr: String,
        /// Why.
        error: ClientError,
        /// Attempt number, from 1.
        attempt: u32,
        /// When the next attempt is due, in ms.
        retry_in_ms: u64,
    },
    /// The topic list.
    Topics(Vec<TopicInfo>),
    /// Records of subscription `id`, in time order.
    Records {
        /// The subscription.
        id: SubId,
        /// The records.
        records: Vec<Record>,
    },
    /// Subscription `id` has delivered the history; what follows is live.
    CaughtUp {
        /// The subscription.
        id: SubId,
    },
    /// Subscription `id` lost its stream (`partition`: one partition's) and is retrying.
    TailReconnecting {
        /// The subscription.
        id: SubId,
        /// The partition, when one partition is retrying (the others go on).
        partition: Option<i32>,
        /// What failed.
        error: ClientError,
        /// Attempt number.
        attempt: u32,
    },
    /// Subscription `id` has something the user must know (a range skipped, a slower path).
    TailNotice {
        /// The subscription.
        id: SubId,
        /// What to say.
        text: String,
    },
    /// Subscription `id` (`partition`: that partition) is streaming again.
    TailReconnected {
        /// The subscription.
        id: SubId,
        /// The partition that is back, when one was reported.
        partition: Option<i32>,
    },
    /// One partition of subscription `id` gave up; the others go on.
    TailPartitionFailed {
        /// The subscription.
        id: SubId,
        /// The partition.
        partition: i32,
        /// Why.
        error: ClientError,
    },
    /// Subscription `id` ended.
    TailEnded {
        /// The subscription.
        id: SubId,
        /// How.
        end: TailEnd,
    },
    /// An inspector answer.
    Inspected {
        /// The request.
        id: ReqId,
        /// What was found, or the error.
        result: Result<Box<super::inspector::Inspection>, ClientError>,
    },
    /// A histogram answer.
    Histogram {
        /// The request.
        id: ReqId,
        /// The histogram or the error.
        result: Result<Histogram, ClientError>,
    },
    /// A publish answer.
    Published {
        /// The request.
        req: ReqId,
        /// Where each message landed, or the error.
        result: Result<Vec<PublishOutcome>, ClientError>,
    },
    /// A channel close answer.
    ChannelClosed {
        /// The request.
        req: ReqId,
        /// The close message's outcome, or the error.
        result: Result<PublishOutcome, ClientError>,
    },
    /// Records before the first loaded one (a page back), oldest first.
    Earlier {
        /// The request.
        req: ReqId,
        /// The records and whether the topic has nothing earlier, or the error.
        result: Result<(Vec<Record>, bool), String>,
    },
    /// A delete answer.
    Deleted {
        /// The request.
        req: ReqId,
        /// The outcome, or the error.
        result: Result<DeleteOutcome, ClientError>,
    },
    /// Matches of search `id` (a batch, in time order) and where its scan is.
    Found {
        /// The search.
        id: ReqId,
        /// The new matches.
        matches: Vec<Record>,
        /// The latest progress, when it moved.
        progress: Option<GrepProgress>,
    },
    /// Search `id` says something that does not end it (a partition it could not read).
    FindNotice {
        /// The search.
        id: ReqId,
        /// What.
        text: String,
    },
    /// Search `id` ended: complete (`true`), stopped at its limit (`false`), or failed.
    FindEnded {
        /// The search.
        id: ReqId,
        /// How.
        result: Result<bool, ClientError>,
    },
    /// The answer to deleting several topics.
    DeletedMany {
        /// The request.
        req: ReqId,
        /// Those deleted.
        deleted: Vec<TopicName>,
        /// Those that could not be, and why.
        failed: Vec<(TopicName, String)>,
    },
}

/// How a tail subscription ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TailEnd {
    /// The read is over: a sealed 2.x channel, or a deleted topic's last record.
    Closed,
    /// A fatal error.
    Failed(ClientError),
}
