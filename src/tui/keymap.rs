//! Keys are data: ONE table of bindings (keys, action, context, hint, help text). The
//! dispatcher ([`lookup`]), the hint bar ([`hints`]) and the help overlay ([`help_groups`])
//! all read it, so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::{Model, Overlay, Pane};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Back out: close the overlay, clear the filter or search, leave the tail pane.
    /// Never quits.
    Back,
    /// Quit at once.
    Quit,
    /// Show the key help.
    Help,
    /// Next pane.
    FocusNext,
    /// Previous pane.
    FocusPrev,
    /// Selection up one.
    Up,
    /// Selection down one.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first entry.
    Top,
    /// Browser: open (tail) the selected topic; tail: show the record's detail.
    Open,
    /// Browser: collapse the namespace.
    Collapse,
    /// Browser: expand the namespace.
    Expand,
    /// Browser: filter topics by name; tail: search records.
    Find,
    /// Next search match.
    NextMatch,
    /// Previous search match.
    PrevMatch,
    /// Hide records that do not match the search.
    ToggleFilter,
    /// Pause / resume the tail (a frozen snapshot).
    Pause,
    /// Back to the newest record, following (leaves the scrubber).
    Live,
    /// Local time / UTC.
    ToggleUtc,
    /// Timeline cursor one bucket back.
    ScrubBack,
    /// Timeline cursor one bucket forward.
    ScrubFwd,
    /// Timeline cursor ten buckets back.
    ScrubBack10,
    /// Timeline cursor ten buckets forward.
    ScrubFwd10,
    /// Timeline: zoom out around the cursor.
    ZoomOut,
    /// Timeline: zoom in around the cursor.
    ZoomIn,
    /// Timeline: go to a time.
    GoToTime,
    /// Publish a message.
    Publish,
    /// Close the selected channel.
    CloseChannel,
    /// Delete the selected topic (or the marked ones together).
    Delete,
    /// Browser: mark / unmark the selected topic for a delete together.
    Mark,
    /// Browser: only closed, consumed channels / all topics.
    DoneFilter,
    /// Propose deleting the closed, consumed channels (4.x: consumed topics) older than an
    /// age (1h first).
    Cleanup,
    /// Refresh the topic list now.
    Refresh,
    /// Browser: next sort key (name, msgs/s, size, last message).
    Sort,
    /// Hide / show the topic browser (the tail takes the full width).
    ToggleBrowser,
    /// Tail: pick JSON fields as columns.
    Columns,
    /// Detail: copy the value (OSC 52).
    Copy,
    /// Detail: next record.
    NextRecord,
    /// Detail: previous record.
    PrevRecord,
    /// Open the context picker.
    Contexts,
    /// Tail / detail: copy a link to the record (OSC 52).
    CopyLink,
    /// Browser: open the topic inspector (partitions, consumer groups, configuration).
    Inspect,
    /// Find in the topic's whole history (server-side search); in the results list: a
    /// new search.
    FindHistory,
}

/// Where a binding applies; also the help overlay's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ctx {
    /// Everywhere outside overlays.
    Global,
    /// The topic browser.
    Browser,
    /// The tail pane.
    Tail,
    /// The timeline (active with the tail pane).
    Timeline,
    /// The record detail view.
    Detail,
    /// The find-in-history results list.
    Find,
}

impl Ctx {
    /// The help overlay's heading.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Ctx::Global => "Global",
            Ctx::Browser => "Topics",
            Ctx::Tail => "Tail",
            Ctx::Timeline => "Timeline",
            Ctx::Detail => "Detail",
            Ctx::Find => "Find in history (results)",
        }
    }
}

/// A key: code and modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(pub KeyCode, pub KeyModifiers);

const fn k(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::NONE)
}
const fn code(c: KeyCode) -> Key {
    Key(c, KeyModifiers::NONE)
}
const fn shift(c: KeyCode) -> Key {
    Key(c, KeyModifiers::SHIFT)
}
const fn ctrl(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// One binding: every key that triggers `action` in `ctx`, and its texts.
#[derive(Debug)]
pub(crate) struct Binding {
    /// The keys.
    pub keys: &'static [Key],
    /// What they do.
    pub action: Action,
    /// Where.
    pub ctx: Ctx,
    /// The hint-bar text (empty: not shown in the hint bar).
    pub hint: &'static str,
    /// The help-overlay text.
    pub help: &'static str,
    /// Changes data on the broker: removed under `--read-only`.
    pub writes: bool,
    /// The keys the hint bar shows (`←→`); empty: the first key's label.
    pub hint_keys: &'static str,
    /// The hint while the action's toggle is on (`resume` for a paused tail); empty: `hint`.
    pub hint_on: &'static str,
}

impl Binding {
    /// The same binding with its own key glyphs in the hint bar.
    const fn hk(self, keys: &'static str) -> Binding {
        Binding {
            hint_keys: keys,
            ..self
        }
    }

    /// The same binding with another hint while its toggle is on.
    const fn on(self, hint: &'static str) -> Binding {
        Binding {
            hint_on: hint,
            ..self
        }
    }
}

const fn b(
    keys: &'static [Key],
    action: Action,
    ctx: Ctx,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        ctx,
        hint,
        help,
        writes: false,
        hint_keys: "",
        hint_on: "",
    }
}

const fn w(
    keys: &'static [Key],
    action: Action,
    ctx: Ctx,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        writes: true,
        ..b(keys, action, ctx, hint, help)
    }
}

use Action as A;
use KeyCode as C;

/// THE key table. Earlier entries win within a context.
#[rustfmt::skip]
pub(crate) static BINDINGS: &[Binding] = &[
    // Detail view (an overlay: only these and Global quit keys apply).
    b(&[k('j'), code(C::Down)], A::Down, Ctx::Detail, "", "scroll down"),
    b(&[k('k'), code(C::Up)], A::Up, Ctx::Detail, "", "scroll up"),
    b(&[code(C::PageDown), ctrl('d')], A::PageDown, Ctx::Detail, "", "page down"),
    b(&[code(C::PageUp), ctrl('u')], A::PageUp, Ctx::Detail, "", "page up"),
    b(&[code(C::Right), k('l')], A::NextRecord, Ctx::Detail, "record", "next record").hk("←→"),
    b(&[code(C::Left), k('h')], A::PrevRecord, Ctx::Detail, "", "previous record"),
    b(&[k('n')], A::NextMatch, Ctx::Detail, "match", "next record matching the search").hk("n/N"),
    b(&[shift(C::Char('N')), k('N')], A::PrevMatch, Ctx::Detail, "", "previous record matching the search"),
    b(&[k('c')], A::Copy, Ctx::Detail, "copy", "copy the value to the clipboard (OSC 52)"),
    b(&[k('y')], A::CopyLink, Ctx::Detail, "", "copy a link to this record (swmq open LINK lands on it)"),
    b(&[k('q'), code(C::Esc), code(C::Enter)], A::Back, Ctx::Detail, "close", "close the detail view"),
    // Find in history: the results list (an overlay).
    b(&[k('j'), code(C::Down)], A::Down, Ctx::Find, "", "next match"),
    b(&[k('k'), code(C::Up)], A::Up, Ctx::Find, "", "previous match"),
    b(&[code(C::PageDown), ctrl('d')], A::PageDown, Ctx::Find, "", "page down"),
    b(&[code(C::PageUp), ctrl('u')], A::PageUp, Ctx::Find, "", "page up"),
    b(&[k('g'), code(C::Home)], A::Top, Ctx::Find, "", "first match"),
    b(&[shift(C::Char('G')), k('G'), code(C::End)], A::Live, Ctx::Find, "", "last match"),
    b(&[code(C::Enter)], A::Open, Ctx::Find, "go there", "scrub there: the match selected, records before and after it"),
    b(&[shift(C::Char('F')), k('F')], A::FindHistory, Ctx::Find, "new search", "a new search (cancels this one)"),
    b(&[code(C::Esc), k('q')], A::Back, Ctx::Find, "close", "close the list (the results stay: n/N in the tail, F shows them)"),
    // Browser.
    b(&[k('j'), code(C::Down)], A::Down, Ctx::Browser, "", "next topic"),
    b(&[k('k'), code(C::Up)], A::Up, Ctx::Browser, "", "previous topic"),
    b(&[code(C::PageDown), ctrl('d')], A::PageDown, Ctx::Browser, "", "page down"),
    b(&[code(C::PageUp), ctrl('u')], A::PageUp, Ctx::Browser, "", "page up"),
    b(&[k('g'), code(C::Home)], A::Top, Ctx::Browser, "", "first topic"),
    b(&[code(C::Enter)], A::Open, Ctx::Browser, "tail", "tail the selected topic (with topics marked: those, merged by time)"),
    b(&[k('h'), code(C::Left)], A::Collapse, Ctx::Browser, "", "collapse the namespace"),
    b(&[k('l'), code(C::Right)], A::Expand, Ctx::Browser, "", "expand the namespace"),
    b(&[k('/')], A::Find, Ctx::Browser, "filter", "filter topics by name"),
    b(&[k('r')], A::Refresh, Ctx::Browser, "", "refresh the topic list now"),
    b(&[k('i')], A::Inspect, Ctx::Browser, "inspect", "inspect the topic: partitions, consumer groups, config"),
    b(&[k('s')], A::Sort, Ctx::Browser, "sort", "sort topics: name, msgs/s, size, last message"),
    b(&[k(' ')], A::Mark, Ctx::Browser, "mark", "mark / unmark the topic (Enter tails the marked ones merged, D deletes them together; Esc unmarks all)"),
    b(&[shift(C::Char('F')), k('F')], A::FindHistory, Ctx::Browser, "", "find in the selected topic's whole history"),
    b(&[k('c')], A::DoneFilter, Ctx::Browser, "", "show only closed channels a subscriber read through their close / all"),
    // Tail.
    b(&[k('j'), code(C::Down)], A::Down, Ctx::Tail, "", "next record (leaves follow mode)"),
    b(&[k('k'), code(C::Up)], A::Up, Ctx::Tail, "", "previous record (leaves follow mode)"),
    b(&[code(C::PageDown), ctrl('d')], A::PageDown, Ctx::Tail, "", "page down"),
    b(&[code(C::PageUp), ctrl('u')], A::PageUp, Ctx::Tail, "", "page up"),
    b(&[k('g'), code(C::Home)], A::Top, Ctx::Tail, "", "oldest buffered record"),
    b(&[code(C::Enter)], A::Open, Ctx::Tail, "detail", "show the record in full"),
    b(&[k(' ')], A::Pause, Ctx::Tail, "pause", "pause / resume (frozen snapshot; records keep counting)").on("resume"),
    b(&[k('/')], A::Find, Ctx::Tail, "search", "search key, value and headers: a regex (Tab in the prompt: literal); upper case makes it exact"),
    b(&[k('n')], A::NextMatch, Ctx::Tail, "", "next match"),
    b(&[shift(C::Char('N')), k('N')], A::PrevMatch, Ctx::Tail, "", "previous match"),
    b(&[k('f')], A::ToggleFilter, Ctx::Tail, "", "show only matching records / all"),
    b(&[k('u')], A::ToggleUtc, Ctx::Tail, "", "local time / UTC"),
    b(&[k('c')], A::Columns, Ctx::Tail, "columns", "JSON fields as columns (Tab completes; kept per topic)"),
    b(&[shift(C::Char('F')), k('F')], A::FindHistory, Ctx::Tail, "", "find in the topic's whole history (pattern, options, range); n/N then go from match to match"),
    b(&[k('y')], A::CopyLink, Ctx::Tail, "", "copy a link to the selected record (OSC 52): swmq open LINK, tail --from LINK"),
    // Timeline (with the tail pane).
    b(&[code(C::Left), k('h')], A::ScrubBack, Ctx::Timeline, "scrub", "cursor one bucket back (re-subscribes there)").hk("←→"),
    b(&[code(C::Right), k('l')], A::ScrubFwd, Ctx::Timeline, "", "cursor one bucket forward"),
    b(&[shift(C::Left), shift(C::Char('H')), k('H')], A::ScrubBack10, Ctx::Timeline, "", "cursor ten buckets back"),
    b(&[shift(C::Right), shift(C::Char('L')), k('L')], A::ScrubFwd10, Ctx::Timeline, "", "cursor ten buckets forward"),
    b(&[k('[')], A::ZoomOut, Ctx::Timeline, "zoom", "zoom out around the cursor").hk("[]"),
    b(&[k(']')], A::ZoomIn, Ctx::Timeline, "", "zoom in around the cursor"),
    b(&[k('t')], A::GoToTime, Ctx::Timeline, "go to time", "go to a time (16:40, 2026-12-01 16:40:00, -15m, RFC 3339, ns, earliest…)"),
    b(&[shift(C::Char('G')), k('G'), code(C::End)], A::Live, Ctx::Timeline, "live", "back to live: newest records, following"),
    // Global.
    w(&[k('p')], A::Publish, Ctx::Global, "publish", "publish a message to the selected topic"),
    w(&[shift(C::Char('C')), k('C')], A::CloseChannel, Ctx::Global, "close chan", "close the selected channel (asks first)"),
    w(&[shift(C::Char('D')), k('D')], A::Delete, Ctx::Global, "delete", "delete the selected topic (type its name), or the marked ones (type how many)"),
    w(&[shift(C::Char('X')), k('X')], A::Cleanup, Ctx::Global, "", "clean up: delete the closed, consumed channels older than 1h (asks first)"),
    b(&[code(C::Tab)], A::FocusNext, Ctx::Global, "pane", "next pane"),
    b(&[k('b')], A::ToggleBrowser, Ctx::Global, "", "hide / show the topic list (the tail takes the full width)"),
    b(&[code(C::BackTab), shift(C::BackTab)], A::FocusPrev, Ctx::Global, "", "previous pane"),
    b(&[k('?')], A::Help, Ctx::Global, "help", "this help"),
    b(&[k(':')], A::Contexts, Ctx::Global, "", "switch context (the config file's; reconnects)"),
    b(&[k('q'), ctrl('c')], A::Quit, Ctx::Global, "quit", "quit"),
    b(&[code(C::Esc)], A::Back, Ctx::Global, "", "back: close, clear the filter or search, leave the tail pane (never quits)"),
];

/// The bindings in effect (without the writing ones under `--read-only`).
pub(crate) fn bindings(read_only: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| !(read_only && b.writes))
}

/// Whether `key` is one of the binding's keys.
fn matches(key: &Key, ev: &KeyEvent) -> bool {
    if key.0 != ev.code {
        return false;
    }
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    match ev.code {
        // Terminals disagree on SHIFT for upper-case letters and symbols: ignore it there.
        KeyCode::Char(_) => key.1 - KeyModifiers::SHIFT == mods,
        _ => key.1 == ev.modifiers,
    }
}

/// The binding for a key in the given contexts (searched in order), ignoring key releases.
/// Writing bindings are found even under `--read-only`, so the caller can say "read-only".
pub(crate) fn lookup(ev: &KeyEvent, contexts: &[Ctx]) -> Option<&'static Binding> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    contexts.iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .find(|b| b.ctx == *ctx && b.keys.iter().any(|k| matches(k, ev)))
    })
}

/// A key's label: `q`, `Enter`, `←`, `S-←`, `C-c`, `Space`.
pub(crate) fn key_label(key: &Key) -> String {
    let base = match key.0 {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => format!("{other:?}"),
    };
    let ctrl = key.1.contains(KeyModifiers::CONTROL);
    let shift = key.1.contains(KeyModifiers::SHIFT)
        && !matches!(key.0, KeyCode::Char(_) | KeyCode::BackTab);
    match (ctrl, shift) {
        (true, _) => format!("C-{base}"),
        (_, true) => format!("S-{base}"),
        _ => base,
    }
}

/// All distinct key labels of a binding, `j/↓`.
pub(crate) fn keys_label(b: &Binding) -> String {
    let mut labels: Vec<String> = Vec::new();
    for k in b.keys {
        let l = key_label(k);
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    labels.join("/")
}

/// One hint of the hint bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hint {
    /// The key glyphs (`Space`, `←→`).
    pub keys: String,
    /// What they do here (`pause`, or `resume` while paused).
    pub text: &'static str,
    /// The action.
    pub action: Action,
}

/// The hint bar for the given contexts: the bindings that have a hint, without the ones
/// `shown` refuses; `on` says which toggles are on (their `hint_on` text is used).
pub(crate) fn hints(
    contexts: &[Ctx],
    read_only: bool,
    shown: impl Fn(Action) -> bool,
    on: impl Fn(Action) -> bool,
) -> Vec<Hint> {
    let mut out = Vec::new();
    for ctx in contexts {
        for b in bindings(read_only).filter(|b| b.ctx == *ctx && !b.hint.is_empty()) {
            if !shown(b.action) {
                continue;
            }
            let keys = if b.hint_keys.is_empty() {
                key_label(&b.keys[0])
            } else {
                b.hint_keys.to_string()
            };
            let text = if on(b.action) && !b.hint_on.is_empty() {
                b.hint_on
            } else {
                b.hint
            };
            out.push(Hint {
                keys,
                text,
                action: b.action,
            });
        }
    }
    out
}

/// The key contexts in effect for the model, most specific first.
pub(crate) fn contexts(m: &Model) -> &'static [Ctx] {
    match (&m.overlay, m.focus) {
        (Some(Overlay::Detail { .. }), _) => &[Ctx::Detail],
        (Some(Overlay::Find), _) => &[Ctx::Find],
        (Some(_), _) => &[],
        (None, Pane::Browser) => &[Ctx::Browser, Ctx::Global],
        (None, Pane::Tail) => &[Ctx::Tail, Ctx::Timeline, Ctx::Global],
    }
}

/// The help overlay's content: per context, `(keys, help)` lines.
pub(crate) fn help_groups(read_only: bool) -> Vec<(Ctx, Vec<(String, &'static str)>)> {
    [
        Ctx::Global,
        Ctx::Browser,
        Ctx::Tail,
        Ctx::Timeline,
        Ctx::Detail,
        Ctx::Find,
    ]
    .into_iter()
    .map(|ctx| {
        let lines = bindings(read_only)
            .filter(|b| b.ctx == ctx)
            .map(|b| (keys_label(b), b.help))
            .collect();
        (ctx, lines)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn lookup_respects_context_order() {
        let n = ev(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(lookup(&n, &[Ctx::Detail]).unwrap().action, A::NextMatch);
        assert_eq!(lookup(&n, &[Ctx::Tail]).unwrap().action, A::NextMatch);
        let right = ev(KeyCode::Right, KeyModifiers::NONE);
        assert_eq!(
            lookup(&right, &[Ctx::Detail]).unwrap().action,
            A::NextRecord
        );
        let p = ev(KeyCode::Char('p'), KeyModifiers::NONE);
        assert_eq!(
            lookup(&p, &[Ctx::Tail, Ctx::Global]).unwrap().action,
            A::Publish
        );
        let sl = ev(KeyCode::Left, KeyModifiers::SHIFT);
        assert_eq!(
            lookup(&sl, &[Ctx::Timeline]).unwrap().action,
            A::ScrubBack10
        );
        let l = ev(KeyCode::Left, KeyModifiers::NONE);
        assert_eq!(lookup(&l, &[Ctx::Timeline]).unwrap().action, A::ScrubBack);
        let big_g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&big_g, &[Ctx::Timeline]).unwrap().action, A::Live);
        let cc = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            lookup(&cc, &[Ctx::Tail, Ctx::Global]).unwrap().action,
            A::Quit
        );
        let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(
            lookup(&esc, &[Ctx::Browser, Ctx::Global]).unwrap().action,
            A::Back
        );
        let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(
            lookup(&q, &[Ctx::Tail, Ctx::Timeline, Ctx::Global])
                .unwrap()
                .action,
            A::Quit
        );
        assert!(lookup(&ev(KeyCode::F(5), KeyModifiers::NONE), &[Ctx::Global]).is_none());
    }

    #[test]
    fn read_only_removes_writing_bindings_from_hints_and_help() {
        let all: Vec<_> = hints(&[Ctx::Global], false, |_| true, |_| false)
            .into_iter()
            .map(|h| h.text)
            .collect();
        assert!(all.contains(&"publish") && all.contains(&"delete"));
        let ro: Vec<_> = hints(&[Ctx::Global], true, |_| true, |_| false)
            .into_iter()
            .map(|h| h.text)
            .collect();
        assert!(!ro.contains(&"publish") && !ro.contains(&"delete"));
        let help = help_groups(true);
        assert!(
            help.iter()
                .all(|(_, l)| l.iter().all(|(_, t)| !t.contains("publish")))
        );
    }

    #[test]
    fn hints_carry_their_own_glyphs_and_toggle_texts() {
        let h = hints(
            &[Ctx::Tail, Ctx::Timeline],
            false,
            |_| true,
            |a| a == A::Pause,
        );
        let pause = h.iter().find(|h| h.action == A::Pause).unwrap();
        assert_eq!((pause.keys.as_str(), pause.text), ("Space", "resume"));
        let scrub = h.iter().find(|h| h.action == A::ScrubBack).unwrap();
        assert_eq!((scrub.keys.as_str(), scrub.text), ("←→", "scrub"));
        let h = hints(&[Ctx::Tail], false, |a| a != A::Pause, |_| false);
        assert!(h.iter().all(|h| h.action != A::Pause));
    }

    #[test]
    fn esc_never_quits() {
        assert!(
            BINDINGS
                .iter()
                .filter(|b| b.action == A::Quit)
                .all(|b| !b.keys.iter().any(|k| k.0 == KeyCode::Esc))
        );
    }

    #[test]
    fn every_binding_has_keys_and_help() {
        assert!(
            BINDINGS
                .iter()
                .all(|b| !b.keys.is_empty() && !b.help.is_empty())
        );
    }

    #[test]
    fn labels() {
        assert_eq!(key_label(&shift(C::Left)), "S-←");
        assert_eq!(key_label(&ctrl('c')), "C-c");
        assert_eq!(key_label(&k(' ')), "Space");
        let down = BINDINGS
            .iter()
            .find(|b| b.ctx == Ctx::Tail && b.action == A::Down);
        assert_eq!(keys_label(down.unwrap()), "j/↓");
    }
}
