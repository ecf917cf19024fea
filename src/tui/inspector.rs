//! The topic inspector (`i` in the browser): tabs Partitions, Consumers (groups sorted by
//! lag, refreshed live) and Config, over one request to the worker per refresh. Each
//! request carries an id; a result whose id is not the open inspector's latest is dropped.
//! The Cluster tab (4.x) lists every broker: the balancer, partitions led and followed,
//! publishers and subscribers, brokers that do not answer, and flagged partitions; it is
//! asked for only while shown (it probes every broker).
//! On the Consumers tab, Enter closes the inspector and opens the tail scrubbed at the
//! selected group's committed position (what that consumer reads next).
//!
//! 2.x has no consumer groups or topic configuration: the inspector shows its partitions
//! and, per partition, the subscribers the broker recorded and whether one read a channel
//! through its close.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::keymap::{self, Action, Ctx};
use super::model::{Level, Model, Overlay};
use super::msg::{Effect, ReqId, WorkerCmd};
use super::theme::Theme;
use super::view::centered;
use crate::client::mq::brokers::ClusterView;
use crate::client::mq::config::TopicConfig;
use crate::client::mq::groups::TopicGroups;
use crate::client::{Client, ClientError, Schema, TopicInfo, TopicName, schema_table};
use crate::format::escape::escape;
use crate::time::TimeSpec;

/// How often an open inspector asks again (live lag).
pub const REFRESH_NS: i64 = 5_000_000_000;

/// The inspector's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Partitions: ranges, leaders, counts, consumed state.
    Partitions,
    /// Consumer groups, largest lag first.
    Consumers,
    /// Retention, generations, schema format.
    Config,
    /// Every broker of the cluster (4.x).
    Cluster,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Partitions, Tab::Consumers, Tab::Config, Tab::Cluster];

    fn title(self) -> &'static str {
        match self {
            Tab::Partitions => "Partitions",
            Tab::Consumers => "Consumers",
            Tab::Config => "Config/Schema",
            Tab::Cluster => "Cluster",
        }
    }

    /// The key contexts on this tab: a list of groups or text that scrolls, then every
    /// tab's keys.
    fn contexts(self) -> [Ctx; 2] {
        match self {
            Tab::Consumers => [Ctx::InspectorGroups, Ctx::Inspector],
            _ => [Ctx::InspectorText, Ctx::Inspector],
        }
    }

    fn step(self, by: isize) -> Tab {
        let i = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        Tab::ALL[(i + by).rem_euclid(Tab::ALL.len() as isize) as usize]
    }
}

/// What the worker found about a topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// Partitions and counts.
    pub info: TopicInfo,
    /// Consumer groups (4.x; `None` on 2.x).
    pub groups: Option<TopicGroups>,
    /// Configuration (4.x; `None` on 2.x).
    pub config: Option<TopicConfig>,
    /// The record type (4.x topics that have one; the Config tab shows it as a table).
    pub schema: Option<Schema>,
    /// The brokers (4.x, when asked; `None` otherwise).
    pub cluster: Option<ClusterView>,
}

/// The open inspector.
#[derive(Debug, Clone)]
pub struct Inspector {
    /// The topic.
    pub topic: TopicName,
    /// The tab shown.
    pub tab: Tab,
    /// The latest request's id (results of older ones are dropped).
    pub id: ReqId,
    /// When it was sent (model time).
    pub asked_at: i64,
    /// The latest answer.
    pub data: Option<Box<Inspection>>,
    /// The latest failure.
    pub error: Option<String>,
    /// The selected group (Consumers tab).
    pub selected: usize,
    /// The first line shown on the other tabs (j/k scroll a long schema or partition list).
    pub scroll: usize,
}

/// Gathers an inspection (run by the worker).
/// `cluster`: also the brokers (4.x; a failure there is a note in the view, not an error).
pub async fn inspect(
    c: &Client,
    topic: &TopicName,
    cluster: bool,
) -> Result<Inspection, ClientError> {
    let d = c.describe(topic, None).await?;
    let (groups, config, schema, cluster) = match c {
        Client::Mq(mq) => {
            let brokers = async {
                match cluster {
                    true => Some(mq.brokers().await.unwrap_or_else(|e| ClusterView {
                        notes: vec![format!("the brokers could not be asked: {e}")],
                        ..ClusterView::default()
                    })),
                    false => None,
                }
            };
            let (g, conf, s, b) = tokio::join!(
                mq.groups(topic),
                mq.topic_config(topic),
                mq.schema(topic),
                brokers
            );
            (Some(g?), conf.ok(), s.ok().flatten(), b)
        }
        Client::Legacy(_) => (None, None, None, None),
    };
    Ok(Inspection {
        info: d.info,
        groups,
        config,
        schema,
        cluster,
    })
}

/// Opens the inspector on the browser's selected topic.
pub fn open(m: &mut Model, cmds: &mut Vec<Effect>) {
    let Some(topic) = m.browser.selected_topic().cloned() else {
        m.say(Level::Info, "select a topic to inspect");
        return;
    };
    let id = m.fresh_id();
    cmds.push(Effect::Worker(WorkerCmd::Inspect {
        id,
        topic: topic.clone(),
        cluster: false,
    }));
    m.overlay = Some(Overlay::Inspector(Box::new(Inspector {
        topic,
        tab: Tab::Partitions,
        id,
        asked_at: m.now,
        data: None,
        error: None,
        selected: 0,
        scroll: 0,
    })));
}

fn ask_again(m: &mut Model, cmds: &mut Vec<Effect>) {
    let id = m.fresh_id();
    let now = m.now;
    if let Some(Overlay::Inspector(i)) = &mut m.overlay {
        i.id = id;
        i.asked_at = now;
        cmds.push(Effect::Worker(WorkerCmd::Inspect {
            id,
            topic: i.topic.clone(),
            cluster: i.tab == Tab::Cluster,
        }));
    }
}

/// Refreshes an open inspector every [`REFRESH_NS`] (live lag).
pub fn on_tick(m: &mut Model, cmds: &mut Vec<Effect>) {
    if let Some(Overlay::Inspector(i)) = &m.overlay
        && m.now - i.asked_at >= REFRESH_NS
    {
        ask_again(m, cmds);
    }
}

/// A worker answer: kept only when it answers the open inspector's latest request.
pub fn on_result(m: &mut Model, id: ReqId, result: Result<Box<Inspection>, String>) {
    let Some(Overlay::Inspector(i)) = &mut m.overlay else {
        return;
    };
    if i.id != id {
        return;
    }
    match result {
        Ok(d) => {
            let n = d.groups.as_ref().map_or(0, |g| g.groups.len());
            i.selected = i.selected.min(n.saturating_sub(1));
            i.data = Some(d);
            i.error = None;
        }
        Err(e) => i.error = Some(e),
    }
}

/// Keys while the inspector is open.
pub fn key(m: &mut Model, k: &KeyEvent, cmds: &mut Vec<Effect>) {
    let Some(Overlay::Inspector(i)) = &mut m.overlay else {
        return;
    };
    let groups = i
        .data
        .as_ref()
        .and_then(|d| d.groups.as_ref())
        .map_or(0, |g| g.groups.len());
    let tab = i.tab;
    match keymap::action_of(k, &tab.contexts()) {
        Some(Action::NextTab) => i.tab = i.tab.step(1),
        Some(Action::PrevTab) => i.tab = i.tab.step(-1),
        Some(Action::TabPartitions) => i.tab = Tab::Partitions,
        Some(Action::TabConsumers) => i.tab = Tab::Consumers,
        Some(Action::TabConfig) => i.tab = Tab::Config,
        Some(Action::TabCluster) => i.tab = Tab::Cluster,
        Some(Action::Down) if tab == Tab::Consumers => {
            i.selected = (i.selected + 1).min(groups.saturating_sub(1))
        }
        Some(Action::Up) if tab == Tab::Consumers => i.selected = i.selected.saturating_sub(1),
        // Clamped to the text when drawn.
        Some(Action::Down) => i.scroll = i.scroll.saturating_add(1),
        Some(Action::Up) => i.scroll = i.scroll.saturating_sub(1),
        Some(Action::Refresh) => ask_again(m, cmds),
        Some(Action::Open) => jump(m, cmds),
        Some(Action::Back) => m.overlay = None,
        _ => {}
    }
    if let Some(Overlay::Inspector(i)) = &mut m.overlay
        && i.tab != tab
    {
        i.scroll = 0;
    }
    if let Some(Overlay::Inspector(i)) = &m.overlay
        && i.tab == Tab::Cluster
        && i.data.as_ref().is_some_and(|d| d.cluster.is_none())
        && matches!(i.data.as_ref().map(|d| &d.groups), Some(Some(_)))
    {
        ask_again(m, cmds);
    }
}

/// The selected group's oldest committed position over its partitions (ns).
fn selected_position(i: &Inspector) -> Option<(String, i64)> {
    let g = i.data.as_ref()?.groups.as_ref()?.groups.get(i.selected)?;
    let ts = g
        .partitions
        .iter()
        .filter_map(|p| p.committed_ts_ns)
        .min()?;
    Some((g.name.clone(), ts))
}

/// Closes the inspector and tails the topic scrubbed just after the selected group's
/// committed position.
fn jump(m: &mut Model, cmds: &mut Vec<Effect>) {
    let Some(Overlay::Inspector(i)) = &m.overlay else {
        return;
    };
    let topic = i.topic.clone();
    let Some((name, ts)) = selected_position(i) else {
        m.say(
            Level::Info,
            "this group has no committed timestamp to jump to (Kafka offsets or none yet)",
        );
        return;
    };
    m.overlay = None;
    super::update::start_tail(m, topic, cmds);
    super::update::scrub::go_to(m, TimeSpec::At(ts.saturating_add(1)), cmds);
    // No debounce: the position was chosen, not scrubbed to.
    if m.scrub.resub_at.is_some() {
        m.scrub.resub_at = Some(m.now);
        super::update::scrub::fire_resubscribe(m, cmds);
    }
    m.say(
        Level::Info,
        format!(
            "at {}'s committed position: what it reads next",
            escape(&name)
        ),
    );
}

/// Draws the inspector.
pub fn view(m: &Model, f: &mut Frame, area: Rect, i: &Inspector) {
    let t = Theme::of(m);
    let w = area.width.saturating_sub(4).clamp(20, 100);
    let h = area.height.saturating_sub(2).max(6);
    let r = centered(area, w, h);
    let mut tabs: Vec<Span> = Vec::new();
    for tab in Tab::ALL {
        let s = format!(" {} ", tab.title());
        tabs.push(if tab == i.tab {
            Span::styled(s, t.selected(true))
        } else {
            Span::raw(s)
        });
    }
    let mut lines = vec![Line::from(tabs), Line::from("")];
    let body = match (&i.data, &i.error) {
        (_, Some(e)) => vec![format!("error: {}", escape(e))],
        (None, None) => vec!["loading…".to_string()],
        (Some(d), None) => match i.tab {
            Tab::Partitions => partitions_lines(d),
            Tab::Consumers => consumers_lines(d, i.selected, m.utc),
            Tab::Config => config_lines(d, m.utc),
            Tab::Cluster => cluster_lines(d),
        },
    };
    let room = h.saturating_sub(5) as usize;
    let total = body.len();
    let skip = if i.tab == Tab::Consumers {
        (i.selected * 2).saturating_sub(room.saturating_sub(4))
    } else {
        i.scroll.min(total.saturating_sub(room))
    };
    // A tab longer than the room ends with how much more there is.
    let more = total.saturating_sub(skip + room);
    let shown = if more > 0 && i.tab != Tab::Consumers {
        room.saturating_sub(1)
    } else {
        room
    };
    for l in body.into_iter().skip(skip).take(shown) {
        let text = super::view::fit(&l, w.saturating_sub(2) as usize);
        let chosen = i.tab == Tab::Consumers && l.starts_with('▶');
        lines.push(if chosen {
            Line::from(Span::styled(text, t.selected(true)))
        } else {
            Line::from(text)
        });
    }
    if shown < room {
        let more = total - skip - shown;
        lines.push(Line::from(Span::styled(
            format!(
                "… {more} more lines ({} scroll)",
                keymap::hint_keys(Ctx::InspectorText, Action::Down)
            ),
            t.dim(),
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        keymap::hint_text(&i.tab.contexts(), m.read_only, ": ", "  "),
        t.dim(),
    )));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" Inspect {} ", escape(&i.topic.to_string())),
            t.title(),
        ))),
        r,
    );
}

fn partitions_lines(d: &Inspection) -> Vec<String> {
    let mut out = vec![format!(
        "{:>4}  {:<11}  {:<21}  {:>10}  {}",
        "PART", "RANGE", "LEADER", "MESSAGES", "STATE"
    )];
    for p in &d.info.partitions {
        let range = p
            .ring
            .map(|r| format!("{}-{}", r.range_start, r.range_stop))
            .unwrap_or_else(|| "-".into());
        let leader = p
            .leader
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "-".into());
        let count = p
            .message_count
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into());
        let state = if d.info.name.is_channel() {
            let open = if p.closed { "closed" } else { "open" };
            format!("{open}, {} {}", p.consumed.mark(), p.consumed.label())
        } else {
            String::new()
        };
        out.push(format!(
            "{:>4}  {range:<11}  {leader:<21}  {count:>10}  {state}",
            p.id
        ));
    }
    out
}

fn consumers_lines(d: &Inspection, selected: usize, utc: bool) -> Vec<String> {
    let Some(g) = &d.groups else {
        // 2.x: the subscribers the broker recorded.
        let mut out = vec!["2.x has no consumer groups; recorded subscribers:".to_string()];
        for p in &d.info.partitions {
            for s in &p.subscribers {
                let close = if s.received_close() {
                    ", read the close"
                } else {
                    ""
                };
                out.push(format!(
                    "p{}  {}  {} delivered{close}",
                    p.id,
                    escape(&s.id),
                    s.delivered
                ));
            }
        }
        if out.len() == 1 {
            out.push("(none recorded)".into());
        }
        return out;
    };
    let notes = g.notes.iter().map(|n| format!("note: {}", escape(n)));
    if g.groups.is_empty() {
        return std::iter::once("no consumer groups".to_string())
            .chain(notes)
            .collect();
    }
    let mut out = Vec::new();
    for (n, grp) in g.groups.iter().enumerate() {
        let mark = if n == selected { '▶' } else { ' ' };
        let lag = grp
            .lag()
            .map(|l| l.to_string())
            .unwrap_or_else(|| "-".into());
        let last = grp
            .last_commit_ns()
            .map(|ns| crate::time::format_datetime(ns, utc))
            .unwrap_or_else(|| "-".into());
        let done = if grp.caught_up(g.partitions) {
            "  ✓ consumed"
        } else {
            ""
        };
        out.push(format!(
            "{mark} {} ({})  lag {lag}  members {}  last commit {last}{done}",
            escape(&grp.name),
            grp.kind.label(),
            grp.members.len()
        ));
        let parts: Vec<String> = grp
            .partitions
            .iter()
            .map(|p| {
                let lag = match (p.lag, p.lag_at_least) {
                    (Some(l), false) => l.to_string(),
                    (Some(l), true) => format!("≥{l}"),
                    (None, _) => "?".into(),
                };
                // The committed offset over the high-water mark (`@91/100`).
                let at = match (p.committed_offset, p.high_water_mark) {
                    (Some(o), Some(h)) => format!(" @{o}/{h}"),
                    (Some(o), None) => format!(" @{o}"),
                    (None, Some(h)) => format!(" @?/{h}"),
                    (None, None) => String::new(),
                };
                format!("p{}{at} lag {lag}", p.partition)
            })
            .collect();
        out.push(format!("    {}", parts.join("  ")));
    }
    out.extend(notes);
    out
}

/// A stream count, `?` when unknown (a broker other than the balancer, on 4.48).
fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "?".into(), |n| n.to_string())
}

fn cluster_lines(d: &Inspection) -> Vec<String> {
    let Some(v) = &d.cluster else {
        return vec![match d.groups {
            Some(_) => "asking every broker…".to_string(),
            None => "a 2.x broker is a single server: the status bar names it".to_string(),
        }];
    };
    let mut out = vec![
        format!(
            "{} brokers, balancer {}, {} topics",
            v.brokers.len(),
            v.balancer.as_deref().map_or("unknown".into(), escape),
            v.topics
        ),
        String::new(),
        format!(
            "{:<21}  {:<8}  {:>5}  {:>7}  {:>4}  {:>4}  {}",
            "BROKER", "ROLE", "LEADS", "FOLLOWS", "PUBS", "SUBS", "STATE"
        ),
    ];
    for b in &v.brokers {
        let state = b.state();
        out.push(format!(
            "{:<21}  {:<8}  {:>5}  {:>7}  {:>4}  {:>4}  {state}",
            escape(&b.address),
            if b.balancer { "balancer" } else { "broker" },
            b.leads,
            b.follows,
            count(b.publishers),
            count(b.subscribers)
        ));
    }
    if !v.problems.is_empty() {
        out.push(String::new());
        out.push(format!("{} partitions flagged:", v.problems.len()));
        for p in &v.problems {
            let leader = match p.leader.as_str() {
                "" => String::new(),
                l => format!(" ({})", escape(l)),
            };
            out.push(format!(
                "! {} p{}: {}{leader}",
                escape(&p.topic),
                p.partition,
                escape(&p.problem)
            ));
        }
    }
    out.extend(v.notes.iter().map(|n| format!("note: {}", escape(n))));
    out
}

/// The configuration, then the record type as a table (as `describe` shows it).
fn config_lines(d: &Inspection, utc: bool) -> Vec<String> {
    let mut out = match &d.config {
        Some(c) => c.summary(utc),
        None if d.groups.is_some() => vec!["the configuration could not be read".to_string()],
        None => vec![format!(
            "{} partitions; 2.x topics have no retention, generations or schema",
            d.info.partitions.len()
        )],
    };
    if let Some(s) = &d.schema {
        out.push(String::new());
        out.extend(schema_table(s));
    }
    out
}
