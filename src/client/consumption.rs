//! Whether channels were consumed: the subscribers a partition has served and whether one
//! of them read it through its close message (the embedded broker records this; other
//! brokers cannot tell, and then it is [`Consumed::Unknown`], never "not consumed").

use serde::Serialize;

use super::{PartitionInfo, TopicInfo};

/// Whether a partition (or a channel) was read through its close message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Consumed {
    /// The broker cannot tell (no subscriber records: a foreign 2.x broker, the filer
    /// layout, 4.x, or a channel closed before the broker began recording).
    #[default]
    Unknown,
    /// Open, or closed and no recorded subscriber received the close.
    No,
    /// A subscriber (not swmq's own inspecting readers) received the close.
    Yes,
}

impl Consumed {
    /// `✓`, `✗` or `?`.
    pub fn mark(self) -> &'static str {
        match self {
            Consumed::Yes => "✓",
            Consumed::No => "✗",
            Consumed::Unknown => "?",
        }
    }

    /// `consumed`, `not consumed`, `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            Consumed::Yes => "consumed",
            Consumed::No => "not consumed",
            Consumed::Unknown => "unknown",
        }
    }
}

/// A subscriber a partition has served (2.x `subscriber_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubscriberInfo {
    /// The id its subscribe init carried (as sent: escape it before display).
    pub id: String,
    /// First subscription seen.
    pub first_seen_ns: i64,
    /// Last activity (now while connected).
    pub last_seen_ns: i64,
    /// Event time of the last message handed to it.
    pub last_delivered_ts_ns: Option<i64>,
    /// When it confirmed receiving the close message (`None`: it did not).
    pub close_received_at_ns: Option<i64>,
    /// Sessions open now.
    pub connected: u32,
    /// Messages handed to it, over all its sessions.
    pub delivered: u64,
    /// One of swmq's own readers (browsing, never consuming).
    pub inspector: bool,
}

impl SubscriberInfo {
    /// Whether it received the close message.
    pub fn received_close(&self) -> bool {
        self.close_received_at_ns.is_some()
    }
}

impl From<crate::proto::admin::SubscriberInfo> for SubscriberInfo {
    fn from(s: crate::proto::admin::SubscriberInfo) -> Self {
        let ts = |v: i64| (v != 0).then_some(v);
        SubscriberInfo {
            id: s.subscriber_id,
            first_seen_ns: s.first_seen_ns,
            last_seen_ns: s.last_seen_ns,
            last_delivered_ts_ns: ts(s.last_delivered_ts_ns),
            close_received_at_ns: s.received_close.then(|| s.close_received_at_ns.max(1)),
            connected: s.connected,
            delivered: s.delivered,
            inspector: s.inspector,
        }
    }
}

/// The wire enum, an unknown number (a newer broker) included, as [`Consumed`].
pub fn consumed_from_wire(v: i32) -> Consumed {
    use crate::proto::admin::ConsumedState;
    match ConsumedState::try_from(v) {
        Ok(ConsumedState::Consumed) => Consumed::Yes,
        Ok(ConsumedState::NotConsumed) => Consumed::No,
        _ => Consumed::Unknown,
    }
}

impl PartitionInfo {
    /// The subscriber that most recently confirmed receiving the close (not an inspector).
    pub fn consumer(&self) -> Option<&SubscriberInfo> {
        self.subscribers
            .iter()
            .filter(|s| s.received_close() && !s.inspector)
            .max_by_key(|s| s.close_received_at_ns)
    }
}

impl TopicInfo {
    /// Consumed when every partition is; not consumed when any partition is not (the safe
    /// answer); else unknown. A topic without partition information is unknown.
    pub fn consumed(&self) -> Consumed {
        if self.partitions.is_empty() {
            return Consumed::Unknown;
        }
        if self.partitions.iter().all(|p| p.consumed == Consumed::Yes) {
            Consumed::Yes
        } else if self.partitions.iter().any(|p| p.consumed == Consumed::No) {
            Consumed::No
        } else {
            Consumed::Unknown
        }
    }

    /// Who consumed it most recently (when it is consumed).
    pub fn consumer(&self) -> Option<&SubscriberInfo> {
        self.partitions
            .iter()
            .filter_map(PartitionInfo::consumer)
            .max_by_key(|s| s.close_received_at_ns)
    }

    /// Everyone who consumed it (2.x: subscribers that received the close; 4.x: the
    /// consumer groups at the end of every partition), most recent first, each once.
    pub fn consumers(&self) -> Vec<&SubscriberInfo> {
        let mut all: Vec<&SubscriberInfo> = self
            .partitions
            .iter()
            .flat_map(|p| p.subscribers.iter())
            .filter(|s| s.received_close() && !s.inspector)
            .collect();
        all.sort_by_key(|a| std::cmp::Reverse(a.close_received_at_ns));
        let mut seen = std::collections::HashSet::new();
        all.retain(|s| seen.insert(s.id.as_str()));
        all
    }
}

/// Which channels to show or delete: `chan list` filters, the bulk delete, the TUI's
/// filter and its quick action all use this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelFilter {
    /// Only closed ones.
    pub closed: bool,
    /// `Some(true)`: only consumed ones; `Some(false)`: only those not known to be consumed.
    pub consumed: Option<bool>,
    /// Only those whose last message is at least this old (ns); one without messages is
    /// never "old".
    pub older_than_ns: Option<i64>,
}

impl ChannelFilter {
    /// What a bulk delete may remove: closed, consumed (and old enough).
    pub fn done(older_than_ns: Option<i64>) -> Self {
        ChannelFilter {
            closed: true,
            consumed: Some(true),
            older_than_ns,
        }
    }

    /// Whether `t` is a channel this filter selects (at time `now_ns`).
    pub fn matches(&self, t: &TopicInfo, now_ns: i64) -> bool {
        t.name.is_channel() && self.matches_topic(t, now_ns)
    }

    /// Whether this filter selects topic `t`, a channel or not (`swmq topics`, `swmq
    /// delete --consumed`: 4.x topics are consumed by their consumer groups); `closed`
    /// selects closed channels only.
    pub fn matches_topic(&self, t: &TopicInfo, now_ns: i64) -> bool {
        if self.closed && !(t.name.is_channel() && t.closed()) {
            return false;
        }
        if let Some(want) = self.consumed
            && (t.consumed() == Consumed::Yes) != want
        {
            return false;
        }
        match self.older_than_ns {
            Some(age) => t
                .last_ts_ns()
                .is_some_and(|last| now_ns.saturating_sub(last) >= age),
            None => true,
        }
    }

    /// What the TUI's `c` filter and quick clean-up select: channels as [`Self::matches`],
    /// other topics by their consumed state alone (4.x: a consumer group committed the end
    /// of every partition; a 2.x topic that is not a channel is never consumed).
    pub fn matches_done(&self, t: &TopicInfo, now_ns: i64) -> bool {
        if t.name.is_channel() {
            self.matches(t, now_ns)
        } else {
            ChannelFilter {
                closed: false,
                ..*self
            }
            .matches_topic(t, now_ns)
        }
    }

    /// Whether deleting what it selects can only remove closed, consumed channels.
    pub fn is_safe_for_bulk_delete(&self) -> bool {
        self.closed && self.consumed == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TopicName;
    use crate::proto::admin::ConsumedState;

    fn part(consumed: Consumed) -> PartitionInfo {
        PartitionInfo {
            consumed,
            ..Default::default()
        }
    }

    #[test]
    fn a_topic_is_consumed_only_when_every_partition_is() {
        let mut t = TopicInfo::bare(TopicName::channel("c").unwrap());
        assert_eq!(t.consumed(), Consumed::Unknown);
        t.partitions = vec![part(Consumed::Yes)];
        assert_eq!(t.consumed(), Consumed::Yes);
        t.partitions.push(part(Consumed::Unknown));
        assert_eq!(t.consumed(), Consumed::Unknown);
        t.partitions.push(part(Consumed::No));
        assert_eq!(t.consumed(), Consumed::No);
    }

    #[test]
    fn the_filter_selects_closed_consumed_old_channels_only() {
        let now = 1_000_000_000_000;
        let chan = |name: &str, closed: bool, consumed: Consumed, last: Option<i64>| {
            let mut t = TopicInfo::bare(TopicName::channel(name).unwrap());
            t.partitions = vec![PartitionInfo {
                closed,
                consumed,
                last_ts_ns: last,
                ..Default::default()
            }];
            t
        };
        let day = 86_400_000_000_000 / 1000; // scaled: "now" is small
        let done = ChannelFilter::done(Some(day));
        assert!(done.is_safe_for_bulk_delete());
        assert!(done.matches(&chan("a", true, Consumed::Yes, Some(now - 2 * day)), now));
        assert!(!done.matches(&chan("b", true, Consumed::Yes, Some(now - 10)), now));
        assert!(!done.matches(&chan("c", false, Consumed::Yes, Some(now - 2 * day)), now));
        assert!(!done.matches(&chan("d", true, Consumed::Unknown, Some(0)), now));
        assert!(!done.matches(&chan("e", true, Consumed::No, Some(0)), now));
        assert!(!done.matches(&chan("f", true, Consumed::Yes, None), now));
        let mut t = chan("g", true, Consumed::Yes, Some(0));
        t.name = TopicName::parse("ns/g").unwrap();
        assert!(!done.matches(&t, now), "only channels");
        let unconsumed = ChannelFilter {
            consumed: Some(false),
            ..Default::default()
        };
        assert!(!unconsumed.is_safe_for_bulk_delete());
        assert!(unconsumed.matches(&chan("h", false, Consumed::Unknown, None), now));
        assert!(!unconsumed.matches(&chan("i", true, Consumed::Yes, None), now));
    }

    #[test]
    fn wire_values_map_and_unknown_numbers_are_unknown() {
        assert_eq!(
            consumed_from_wire(ConsumedState::Consumed as i32),
            Consumed::Yes
        );
        assert_eq!(
            consumed_from_wire(ConsumedState::NotConsumed as i32),
            Consumed::No
        );
        assert_eq!(consumed_from_wire(0), Consumed::Unknown);
        assert_eq!(consumed_from_wire(99), Consumed::Unknown);
        let s: SubscriberInfo = crate::proto::admin::SubscriberInfo {
            subscriber_id: "w".into(),
            received_close: true,
            close_received_at_ns: 7,
            inspector: false,
            ..Default::default()
        }
        .into();
        assert_eq!(s.close_received_at_ns, Some(7));
        let mut p = part(Consumed::Yes);
        p.subscribers = vec![
            s,
            SubscriberInfo {
                id: "swmq-1".into(),
                close_received_at_ns: Some(9),
                inspector: true,
                ..Default::default()
            },
        ];
        assert_eq!(p.consumer().unwrap().id, "w");
    }
}
