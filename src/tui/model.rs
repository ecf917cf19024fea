//! The TUI's whole state. `update` changes it; `view` only reads it.

use std::collections::{BTreeSet, HashMap};

use super::buffer::Buffer;
use super::dialog::Dialog;
use super::msg::{ReqId, SubId};
pub use super::position::{Landing, LinkHints};
use crate::client::{CHANNEL_NAMESPACE, ChannelFilter, Histogram, Protocol, TopicInfo, TopicName};

/// Nanoseconds per millisecond.
pub const MS: i64 = 1_000_000;
/// Nanoseconds per second.
pub const SEC: i64 = crate::time::NS_PER_SEC;
/// How long the scrubber waits after the last cursor move before re-subscribing.
pub const DEBOUNCE_NS: i64 = 150 * MS;
/// How often the live timeline's histogram is refreshed.
pub const HISTOGRAM_REFRESH_NS: i64 = 5 * SEC;
/// How long an informational status message stays.
pub const STATUS_TTL_NS: i64 = 5 * SEC;
/// How long an error stays in the status line.
pub const ERROR_TTL_NS: i64 = 10 * SEC;
/// A status message is drawn dimmed this long before it goes.
pub const STATUS_FADE_NS: i64 = 1_500 * MS;
/// The smallest usable terminal.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The topic browser.
    Browser,
    /// The tail pane (with the timeline).
    Tail,
}

/// The connection to the broker as the user sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    /// Connecting for the first time.
    Connecting,
    /// Connected.
    Connected,
    /// Never reached at start: the no-broker screen.
    Unreachable {
        /// Why.
        error: String,
        /// Attempt number.
        attempt: u32,
        /// Next attempt in ms.
        retry_in_ms: u64,
    },
    /// Was connected, lost it; reconnecting.
    Disconnected {
        /// Why.
        error: String,
        /// Attempt number.
        attempt: u32,
    },
}

/// What the browser selects: a namespace line or a topic line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sel {
    /// A namespace header.
    Namespace(String),
    /// A topic.
    Topic(TopicName),
}

/// One line of the browser tree.
#[derive(Debug, Clone, Copy)]
pub enum TreeRow<'a> {
    /// A namespace header (name, collapsed, number of topics shown).
    Namespace(&'a str, bool, usize),
    /// A topic.
    Topic(&'a TopicInfo),
}

impl TreeRow<'_> {
    /// The selection this row stands for.
    pub fn sel(&self) -> Sel {
        match self {
            TreeRow::Namespace(n, ..) => Sel::Namespace(n.to_string()),
            TreeRow::Topic(t) => Sel::Topic(t.name.clone()),
        }
    }
}

/// The order of the topics within a namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// By name.
    #[default]
    Name,
    /// Busiest first (msgs/s between the last two listings).
    Rate,
    /// Largest first.
    Size,
    /// Most recent last message first.
    Last,
}

impl SortKey {
    /// The next key (`s` cycles).
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Name => SortKey::Rate,
            SortKey::Rate => SortKey::Size,
            SortKey::Size => SortKey::Last,
            SortKey::Last => SortKey::Name,
        }
    }

    /// How the status line names it.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Rate => "msgs/s",
            SortKey::Size => "size",
            SortKey::Last => "last message",
        }
    }
}

/// The topic browser.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    /// Every topic, sorted by name (the latest listing).
    pub topics: Vec<TopicInfo>,
    /// Whether a listing has arrived.
    pub loaded: bool,
    /// The name filter.
    pub filter: String,
    /// Typing into the filter.
    pub editing: bool,
    /// The selection (kept across refreshes).
    pub sel: Option<Sel>,
    /// Collapsed namespaces.
    pub collapsed: BTreeSet<String>,
    /// First visible row.
    pub scroll: usize,
    /// The topics' order within a namespace.
    pub sort: SortKey,
    /// Messages per second per topic, from the counts of the last two listings.
    pub rates: HashMap<TopicName, f64>,
    /// The message count of each topic at the previous listing, and when it came.
    pub counts_at: HashMap<TopicName, (i64, u64)>,
    /// Hidden: the tail takes the full width.
    pub hidden: bool,
    /// Topics marked (Space) to be deleted together.
    pub marked: BTreeSet<TopicName>,
    /// Show only closed channels a subscriber read through their close (and 4.x topics a
    /// consumer group read to the end).
    pub done_only: bool,
}

impl Browser {
    /// The tree as shown: namespaces (channels last) and their topics matching the filter.
    pub fn rows(&self) -> Vec<TreeRow<'_>> {
        let f = self.filter.to_lowercase();
        let shown: Vec<&TopicInfo> = self
            .topics
            .iter()
            .filter(|t| f.is_empty() || t.name.to_string().to_lowercase().contains(&f))
            .filter(|t| !self.done_only || ChannelFilter::done(None).matches_done(t, 0))
            .collect();
        let mut namespaces: Vec<&str> = shown.iter().map(|t| t.name.namespace.as_str()).collect();
        namespaces.dedup();
        namespaces.sort_by_key(|n| (*n == CHANNEL_NAMESPACE, *n));
        namespaces.dedup();
        let mut rows = Vec::with_capacity(shown.len() + namespaces.len());
        for ns in namespaces {
            let mut topics: Vec<&TopicInfo> = shown
                .iter()
                .copied()
                .filter(|t| t.name.namespace == ns)
                .collect();
            self.sort_topics(&mut topics);
            let collapsed = self.collapsed.contains(ns);
            rows.push(TreeRow::Namespace(ns, collapsed, topics.len()));
            if !collapsed {
                rows.extend(topics.into_iter().map(TreeRow::Topic));
            }
        }
        rows
    }

    /// Sorts topics by the sort key (ties, and unknown values last, by name).
    fn sort_topics(&self, topics: &mut [&TopicInfo]) {
        let rate = |t: &TopicInfo| self.rates.get(&t.name).copied().unwrap_or(-1.0);
        match self.sort {
            SortKey::Name => {}
            SortKey::Rate => topics.sort_by(|a, b| rate(b).total_cmp(&rate(a))),
            SortKey::Size => topics.sort_by_key(|t| std::cmp::Reverse(t.bytes())),
            SortKey::Last => topics.sort_by_key(|t| std::cmp::Reverse(t.last_ts_ns())),
        }
    }

    /// Takes a new listing at `now`: the rate of each topic is its count's growth since
    /// the previous listing (a count that shrank, by retention or a re-create, has none).
    pub fn take_listing(&mut self, list: Vec<TopicInfo>, now: i64) {
        let mut counts_at = HashMap::with_capacity(list.len());
        self.rates.retain(|t, _| list.iter().any(|i| &i.name == t));
        for info in &list {
            let Some(count) = info.message_count() else {
                continue;
            };
            if let Some((at, prev)) = self.counts_at.get(&info.name)
                && now > *at
            {
                if count >= *prev {
                    let rate = (count - prev) as f64 * SEC as f64 / (now - at) as f64;
                    self.rates.insert(info.name.clone(), rate);
                } else {
                    self.rates.remove(&info.name);
                }
            }
            counts_at.insert(info.name.clone(), (now, count));
        }
        self.counts_at = counts_at;
        self.topics = list;
        self.loaded = true;
    }

    /// The selected row's index in `rows`.
    pub fn sel_row(&self, rows: &[TreeRow<'_>]) -> Option<usize> {
        let sel = self.sel.as_ref()?;
        rows.iter().position(|r| &r.sel() == sel)
    }

    /// The selected topic, if a topic line is selected.
    pub fn selected_topic(&self) -> Option<&TopicName> {
        match &self.sel {
            Some(Sel::Topic(t)) => Some(t),
            _ => None,
        }
    }

    /// What the browser knows about `t`.
    pub fn info(&self, t: &TopicName) -> Option<&TopicInfo> {
        self.topics.iter().find(|i| &i.name == t)
    }
}

/// A partition of the tail that is not streaming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartFault {
    /// Retrying (why).
    Reconnecting(String),
    /// Gave up (why).
    Failed(String),
}

/// The tail pane.
#[derive(Debug, Clone)]
pub struct Tail {
    /// The topic being tailed.
    pub topic: Option<TopicName>,
    /// The current subscription.
    pub sub: Option<SubId>,
    /// The live ring (keeps receiving while paused).
    pub live: Buffer,
    /// The frozen snapshot shown while paused.
    pub frozen: Option<Buffer>,
    /// Keep the newest record in view.
    pub follow: bool,
    /// The selected record (sequence number) when not following.
    pub sel: u64,
    /// The first visible record (sequence number) when not following.
    pub top: u64,
    /// The search text.
    pub search: String,
    /// Typing into the search.
    pub searching: bool,
    /// The search is literal text, not a regex.
    pub literal: bool,
    /// Why the search text is not a valid regex.
    pub search_error: Option<String>,
    /// Show only matching records.
    pub filter: bool,
    /// The subscription has delivered its history.
    pub caught_up: bool,
    /// The subscription's stream is retrying.
    pub reconnecting: Option<String>,
    /// Partitions of the subscription that are retrying or gave up (the others go on).
    pub faults: std::collections::BTreeMap<i32, PartFault>,
    /// The subscription ended (closed channel or error).
    pub ended: Option<super::msg::TailEnd>,
    /// Records received by this subscription (including dropped ones).
    pub received: u64,
    /// Records received since the pause.
    pub since_pause: u64,
    /// Timestamp of the newest record received.
    pub last_ts: Option<i64>,
    /// The page-back request in flight: its id, the first loaded time it reads before,
    /// and the rows to move once it is in.
    pub paging: Option<(ReqId, i64, isize)>,
    /// Nothing earlier than the first loaded record: the topic's beginning.
    pub at_beginning: bool,
    /// JSON fields shown as columns (paths); empty: the whole value.
    pub columns: Vec<String>,
    /// Every topic of a tail of several topics merged by time (`topic` is the first);
    /// empty: `topic` alone.
    pub merged: Vec<TopicName>,
}

impl Tail {
    /// An idle tail with a ring of `cap` records.
    pub fn new(cap: usize) -> Self {
        Tail {
            topic: None,
            sub: None,
            live: Buffer::new(cap),
            frozen: None,
            follow: true,
            sel: 0,
            top: 0,
            search: String::new(),
            searching: false,
            literal: false,
            search_error: None,
            filter: false,
            caught_up: false,
            reconnecting: None,
            faults: Default::default(),
            ended: None,
            received: 0,
            since_pause: 0,
            last_ts: None,
            paging: None,
            at_beginning: false,
            columns: Vec::new(),
            merged: Vec::new(),
        }
    }

    /// The buffer shown: the frozen snapshot while paused, else the live ring.
    pub fn shown(&self) -> &Buffer {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// Whether paused.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }
}

/// The scrubber (timeline) state.
#[derive(Debug, Clone, Default)]
pub struct Scrub {
    /// The cursor, ns; `None`: live (at the newest record, following).
    pub cursor: Option<i64>,
    /// A zoomed window `(start, stop)`; `None`: from the topic's first message to now.
    pub window: Option<(i64, i64)>,
    /// The latest histogram.
    pub hist: Option<Histogram>,
    /// The id of the histogram request whose answer is awaited or shown.
    pub hist_id: ReqId,
    /// When the histogram was last requested (model time).
    pub hist_at: i64,
    /// The histogram request failed.
    pub hist_error: Option<String>,
    /// When the debounced re-subscribe is due (model time).
    pub resub_at: Option<i64>,
    /// The record the cursor went to, to select once it is delivered.
    pub landing: Option<Landing>,
}

/// A full-screen or floating layer over the panes.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// The key help.
    Help {
        /// First visible line.
        scroll: u16,
    },
    /// A record's detail.
    Detail {
        /// Its sequence number in the shown buffer.
        seq: u64,
        /// First visible line.
        scroll: u16,
    },
    /// A dialog.
    Dialog(Dialog),
    /// The topic inspector.
    Inspector(Box<super::inspector::Inspector>),
    /// The find-in-history results list.
    Find,
    /// The context picker.
    Contexts {
        /// The highlighted context (index into [`Model::contexts`]).
        selected: usize,
    },
}

/// Importance of a status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Information.
    Info,
    /// An error.
    Error,
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Info or error.
    pub level: Level,
    /// When it was set (model time).
    pub at: i64,
}

impl Status {
    /// How long it stays: errors longer than information.
    pub fn ttl(&self) -> i64 {
        match self.level {
            Level::Info => STATUS_TTL_NS,
            Level::Error => ERROR_TTL_NS,
        }
    }

    /// Whether it has outlived its time at `now`.
    pub fn expired(&self, now: i64) -> bool {
        now - self.at > self.ttl()
    }

    /// Whether it is about to go (drawn dimmed).
    pub fn fading(&self, now: i64) -> bool {
        now - self.at > self.ttl() - STATUS_FADE_NS
    }
}

/// The whole TUI state.
#[derive(Debug, Clone)]
pub struct Model {
    /// Broker address tried / used.
    pub addr: String,
    /// A label such as "embedded demo".
    pub label: Option<String>,
    /// The config file context in use (shown in the header).
    pub context: Option<String>,
    /// The config file's contexts (the picker's list).
    pub contexts: Vec<String>,
    /// The protocol, once connected.
    pub protocol: Option<Protocol>,
    /// Connection state.
    pub conn: ConnState,
    /// Whether publish, close and delete are removed.
    pub read_only: bool,
    /// Times in UTC (else local).
    pub utc: bool,
    /// No colours (`NO_COLOR`): only bold, reverse and underline.
    pub no_color: bool,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The current time (from the last tick).
    pub now: i64,
    /// The pane with the keyboard.
    pub focus: Pane,
    /// The topic browser.
    pub browser: Browser,
    /// The tail pane.
    pub tail: Tail,
    /// The timeline.
    pub scrub: Scrub,
    /// The overlay, if any.
    pub overlay: Option<Overlay>,
    /// The status-line message.
    pub status: Option<Status>,
    /// Records per second (over the last second).
    pub rate: f64,
    /// Rate accounting: window start and records counted since.
    pub rate_window: (i64, u64),
    /// The next subscription / request id.
    pub next_id: u64,
    /// The field columns picked per topic (this session).
    pub columns_by_topic: HashMap<TopicName, Vec<String>>,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// A link to open once the topic listing is in (`swmq open LINK`).
    pub opening: Option<Landing>,
    /// What links to records carry beside the address.
    pub link_hints: LinkHints,
    /// Find in history: the last search and its results.
    pub find: super::find::Find,
}

impl Model {
    /// A fresh model; `now` is the current time in ns.
    pub fn new(addr: &str, read_only: bool, utc: bool, capacity: usize, now: i64) -> Self {
        Model {
            addr: addr.to_string(),
            label: None,
            context: None,
            contexts: Vec::new(),
            protocol: None,
            conn: ConnState::Connecting,
            read_only,
            utc,
            no_color: false,
            size: (120, 40),
            now,
            focus: Pane::Browser,
            browser: Browser::default(),
            tail: Tail::new(capacity),
            scrub: Scrub::default(),
            overlay: None,
            status: None,
            rate: 0.0,
            rate_window: (now, 0),
            next_id: 1,
            columns_by_topic: HashMap::new(),
            dirty: true,
            opening: None,
            link_hints: LinkHints::default(),
            find: Default::default(),
        }
    }

    /// A fresh id for a subscription or request.
    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sets the status-line message.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            level,
            at: self.now,
        });
    }

    /// The timeline window `(start, stop)`: the zoomed window, or from the topic's first
    /// message (or the histogram's start) to now.
    pub fn window(&self) -> (i64, i64) {
        if let Some(w) = self.scrub.window {
            return w;
        }
        let first = self
            .tail_first_ts()
            .or(self.scrub.hist.as_ref().map(|h| h.start_ns))
            .unwrap_or(self.now - 3600 * SEC);
        let stop = self.now.max(first + SEC);
        (first.min(stop - SEC), stop)
    }

    /// Whether the timeline's window ends at now: the whole history, or a window zoomed
    /// while live (no cursor), which slides along with the clock.
    pub fn window_is_live(&self) -> bool {
        match self.scrub.window {
            None => true,
            Some((_, stop)) => self.scrub.cursor.is_none() && stop >= self.now,
        }
    }

    /// The earliest time the cursor may reach.
    pub fn history_start(&self) -> i64 {
        let (start, _) = self.window();
        self.tail_first_ts().map_or(start, |f| f.min(start))
    }

    /// The first message of the tailed topic (of a merged tail: the earliest of them).
    pub fn tail_first_ts(&self) -> Option<i64> {
        let topics = match (&self.tail.topic, self.tail.merged.is_empty()) {
            (_, false) => self.tail.merged.as_slice(),
            (Some(t), true) => std::slice::from_ref(t),
            (None, true) => &[],
        };
        topics
            .iter()
            .filter_map(|t| self.browser.info(t).and_then(|i| i.first_ts_ns()))
            .min()
    }

    /// Where each part of the screen goes now (without the browser when it is hidden).
    pub fn areas(&self) -> super::layout::Areas {
        super::layout::screen(self.size, !self.browser.hidden)
    }

    /// Whether the terminal is below the minimum size.
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }
}
