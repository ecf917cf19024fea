//! Keys are data: ONE table of bindings (keys, action, context, hint, help text), in
//! [`table`]. The dispatchers ([`lookup`], [`action_of`]), the hint bar ([`hints`]), the
//! footers of the overlays and prompts ([`hint_text`], [`hint_keys`]) and the help overlay
//! ([`help_groups`]) all read it, so they cannot disagree. Overlays and prompts have their
//! own contexts ([`Ctx::Help`], [`Ctx::Filter`], [`Ctx::Search`], the dialogs', the
//! picker's, the inspector's); only typing text into a field ([`typed`]) is not in the
//! table.

mod table;
#[cfg(test)]
mod tests;

pub(crate) use table::BINDINGS;

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
    /// A prompt or dialog: do it (keep the filter, find, send, delete, go, connect).
    Submit,
    /// A prompt or dialog: cancel (clear the filter or search; close without acting).
    Cancel,
    /// Dialog: next field.
    NextField,
    /// Dialog: previous field.
    PrevField,
    /// Dialog: complete the field's last item (the next field when nothing completes).
    Complete,
    /// Dialog: a new line in a multi-line field.
    Newline,
    /// A field or prompt: delete the last character.
    DeleteBack,
    /// Dialog: keep the prefilled text and edit it (typing no longer replaces it).
    KeepText,
    /// Dialog: clear the field.
    ClearField,
    /// A choice field: the next option.
    NextChoice,
    /// A choice field: the previous option.
    PrevChoice,
    /// Search prompt: regex / literal.
    SwitchSyntax,
    /// Inspector: next tab.
    NextTab,
    /// Inspector: previous tab.
    PrevTab,
    /// Inspector: the partitions tab.
    TabPartitions,
    /// Inspector: the consumer groups tab.
    TabConsumers,
    /// Inspector: the configuration tab.
    TabConfig,
    /// Inspector: the cluster tab.
    TabCluster,
    /// To the last entry.
    Bottom,
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
    /// Everywhere, overlays and prompts included (checked first).
    Always,
    /// The help overlay (any key not bound here closes it).
    Help,
    /// Typing the browser's topic filter.
    Filter,
    /// Typing the tail's search.
    Search,
    /// The publish dialog.
    Publish,
    /// The delete dialog (type the topic's name).
    Delete,
    /// The delete-many dialog (type how many).
    DeleteMany,
    /// The go-to-time dialog.
    GoTo,
    /// The columns dialog.
    Columns,
    /// The find-in-history prompt.
    FindPrompt,
    /// A yes / no question (close a channel).
    Confirm,
    /// A dialog whose focused field has several lines.
    Multi,
    /// A dialog whose focused field is a choice.
    Choice,
    /// Every dialog with fields (after its own context).
    Form,
    /// The context picker.
    Picker,
    /// The topic inspector, every tab.
    Inspector,
    /// The inspector's consumer groups tab (a list).
    InspectorGroups,
    /// The inspector's other tabs (text that scrolls).
    InspectorText,
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
            Ctx::Always => "Everywhere",
            Ctx::Help => "Help",
            Ctx::Filter => "Filter",
            Ctx::Search => "Search",
            Ctx::Publish => "Publish",
            Ctx::Delete => "Delete",
            Ctx::DeleteMany => "Delete topics",
            Ctx::GoTo => "Go to time",
            Ctx::Columns => "Columns",
            Ctx::FindPrompt => "Find in history",
            Ctx::Confirm => "Confirm",
            Ctx::Multi => "Multi-line fields",
            Ctx::Choice => "Choice fields",
            Ctx::Form => "Dialogs",
            Ctx::Picker => "Contexts",
            Ctx::Inspector => "Inspector",
            Ctx::InspectorGroups => "Inspector: consumer groups",
            Ctx::InspectorText => "Inspector: other tabs",
        }
    }
}

/// A key: code and modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(pub KeyCode, pub KeyModifiers);

// The table's vocabulary ([`table`] writes `k('q')`, `code(C::Esc)`, `b(…)`).

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
const fn alt(c: KeyCode) -> Key {
    Key(c, KeyModifiers::ALT)
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
    /// The keys its hints show (`←→`, `Alt+Enter / Ctrl+J`); empty: the first key's label.
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

/// The keys a binding's hint shows: its own glyphs (`←→`), else its first key's label.
fn shown_keys(b: &Binding) -> String {
    if b.hint_keys.is_empty() {
        key_label(&b.keys[0])
    } else {
        b.hint_keys.to_string()
    }
}

/// The hint bar for the given contexts: the bindings that have a hint, in table order,
/// without the ones `shown` refuses; `on` says which toggles are on (their `hint_on` text
/// is used).
pub(crate) fn hints(
    contexts: &[Ctx],
    read_only: bool,
    shown: impl Fn(Action) -> bool,
    on: impl Fn(Action) -> bool,
) -> Vec<Hint> {
    bindings(read_only)
        .filter(|b| contexts.contains(&b.ctx) && !b.hint.is_empty() && shown(b.action))
        .map(|b| Hint {
            keys: shown_keys(b),
            text: if on(b.action) && !b.hint_on.is_empty() {
                b.hint_on
            } else {
                b.hint
            },
            action: b.action,
        })
        .collect()
}

/// A footer from the table: each hint of `contexts` as `keys{key_sep}text`, joined by
/// `sep` (the overlays' and prompts' own styles: `Enter send · Esc cancel`,
/// `Enter: connect  Esc: cancel`).
pub(crate) fn hint_text(contexts: &[Ctx], read_only: bool, key_sep: &str, sep: &str) -> String {
    hints(contexts, read_only, |_| true, |_| false)
        .into_iter()
        .map(|h| format!("{}{key_sep}{}", h.keys, h.text))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The keys of `action` in `ctx` as its hint shows them (`Tab`, `j/k`), for texts that
/// name a key (`Tab switches`); empty when nothing is bound.
pub(crate) fn hint_keys(ctx: Ctx, action: Action) -> String {
    binding(ctx, action).map(shown_keys).unwrap_or_default()
}

/// The label of the first key of `action` in `ctx` (`←`); empty when nothing is bound.
pub(crate) fn first_key(ctx: Ctx, action: Action) -> String {
    binding(ctx, action)
        .map(|b| key_label(&b.keys[0]))
        .unwrap_or_default()
}

/// The binding of `action` in `ctx`.
pub(crate) fn binding(ctx: Ctx, action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.ctx == ctx && b.action == action)
}

/// The action bound to a key in the given contexts (searched in order), if any.
pub(crate) fn action_of(ev: &KeyEvent, contexts: &[Ctx]) -> Option<Action> {
    lookup(ev, contexts).map(|b| b.action)
}

/// Plain text typing, the one thing not in the table: the character of a key pressed
/// without Ctrl (call it when no binding took the key).
pub(crate) fn typed(ev: &KeyEvent) -> Option<char> {
    match ev.code {
        KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => Some(c),
        _ => None,
    }
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
