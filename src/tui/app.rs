//! The terminal task: owns the terminal, `select!`s over terminal events, worker events
//! and a frame deadline, drains a capped batch, and draws once when something changed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::time::Instant;

use super::TuiOptions;
use super::model::Model;
use super::msg::{Effect, Msg};
use super::update::update;
use super::view::view;
use super::worker::{self, WorkerHandle};
use crate::time::now_ns;

/// The shortest time between two frames.
pub(crate) const FRAME: Duration = Duration::from_millis(16);
/// How often time ticks (debounce, rates, ages).
pub(crate) const TICK: Duration = Duration::from_millis(50);
/// Events handled per wake-up before drawing.
pub(crate) const BATCH: usize = 512;

/// Runs the TUI until the user quits.
pub(crate) async fn run(opts: TuiOptions) -> anyhow::Result<()> {
    init_logging(opts.log_file.as_deref());
    let mut model = Model::new(
        &opts.connect.broker,
        opts.read_only,
        opts.utc,
        opts.buffer.max(1),
        now_ns(),
    );
    model.label = opts.label.clone();
    model.context = opts.context.clone();
    model.contexts = opts.contexts.iter().map(|c| c.name.clone()).collect();
    model.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    model.link_hints = super::model::LinkHints {
        tls: opts.connect.tls.is_enabled(),
        filer: Some(opts.connect.filer.clone()),
    };
    if let Some(link) = &opts.open {
        super::update::landing::open_link(&mut model, link);
    }
    let worker = worker::spawn(opts.connect.clone());
    let mut terminal = setup().context("setting up the terminal")?;
    let result = event_loop(&mut terminal, &mut model, worker, &opts).await;
    restore();
    result
}

type Term = Terminal<CrosstermBackend<io::Stdout>>;

fn setup() -> io::Result<Term> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
    enable_raw_mode()?;
    if let Err(e) = execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Puts the terminal back: raw mode off, mouse capture off, main screen, cursor shown.
pub(crate) fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// The default log file: `$XDG_STATE_HOME/swmq/tui.log` (or the platform equivalent).
pub(crate) fn default_log_file() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("swmq")
        .join("tui.log")
}

fn init_logging(path: Option<&Path>) {
    let path = path.map_or_else(default_log_file, Path::to_path_buf);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return; // no log rather than log lines on the screen
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("swmq=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    tracing::info!(log = %path.display(), "swmq TUI starting");
}

/// Writes an OSC 52 clipboard sequence.
fn copy_osc52(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

/// What the terminal task must do after a batch of effects: the effects it carries out
/// itself that change the loop.
#[derive(Default)]
struct Pending {
    /// Reconnect to this context.
    switch: Option<String>,
    /// Leave the TUI.
    quit: bool,
}

/// Runs `update` and routes its effects: worker requests to the worker, the clipboard
/// here, a context switch and quitting to the loop.
async fn apply(model: &mut Model, msg: Msg, worker: &WorkerHandle, pending: &mut Pending) {
    for effect in update(model, msg) {
        match effect {
            Effect::Worker(cmd) => {
                if worker.commands.send(cmd).await.is_err() {
                    tracing::warn!("worker gone");
                }
            }
            Effect::Copy(text) => copy_osc52(&text),
            Effect::SwitchContext(name) => pending.switch = Some(name),
            Effect::Quit => pending.quit = true,
        }
    }
}

fn terminal_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// SIGTERM / SIGHUP end the TUI like `q` does (restoring the terminal).
#[cfg(unix)]
fn terminate_signal() -> tokio::sync::mpsc::Receiver<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    for kind in [SignalKind::terminate(), SignalKind::hangup()] {
        if let Ok(mut sig) = signal(kind) {
            let tx = tx.clone();
            tokio::spawn(async move {
                if sig.recv().await.is_some() {
                    let _ = tx.send(()).await;
                }
            });
        }
    }
    rx
}

#[cfg(not(unix))]
fn terminate_signal() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    std::mem::forget(tx);
    rx
}

/// Reconnects to context `name`: the old worker (its client, subscriptions and requests)
/// is stopped and a fresh model starts on a fresh worker, keeping only the terminal's
/// size and colours and the context list.
fn switch_context(model: &mut Model, worker: &mut WorkerHandle, opts: &TuiOptions, name: &str) {
    let Some(choice) = opts.contexts.iter().find(|c| c.name == name) else {
        model.say(super::model::Level::Error, format!("no context {name}"));
        return;
    };
    tracing::info!(context = %name, broker = %choice.connect.broker, "switching context");
    worker.shutdown.cancel();
    *worker = worker::spawn(choice.connect.clone());
    let mut fresh = Model::new(
        &choice.connect.broker,
        choice.read_only,
        choice.utc,
        opts.buffer.max(1),
        now_ns(),
    );
    fresh.size = model.size;
    fresh.no_color = model.no_color;
    fresh.contexts = std::mem::take(&mut model.contexts);
    fresh.context = Some(name.to_string());
    fresh.say(super::model::Level::Info, format!("context {name}"));
    *model = fresh;
}

async fn event_loop(
    terminal: &mut Term,
    model: &mut Model,
    mut worker: WorkerHandle,
    opts: &TuiOptions,
) -> anyhow::Result<()> {
    let mut pending = Pending::default();
    let size = terminal.size()?;
    apply(
        model,
        Msg::Resize(size.width, size.height),
        &worker,
        &mut pending,
    )
    .await;
    terminal.draw(|f| view(model, f))?;
    model.dirty = false;
    let mut last_draw = Instant::now();
    let mut events = EventStream::new();
    let mut terminate = terminate_signal();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let result = loop {
        let deadline = last_draw + FRAME;
        tokio::select! {
            biased;
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(msg) = terminal_msg(ev) {
                        apply(model, msg, &worker, &mut pending).await;
                    }
                }
                Some(Err(e)) => break Err(anyhow::Error::from(e).context("reading the terminal")),
                None => break Ok(()),
            },
            ev = worker.events.recv() => match ev {
                Some(ev) => apply(model, Msg::Worker(ev), &worker, &mut pending).await,
                None => break Err(anyhow::anyhow!("the worker stopped")),
            },
            _ = tick.tick() => apply(model, Msg::Tick(now_ns()), &worker, &mut pending).await,
            _ = tokio::time::sleep_until(deadline), if model.dirty => {}
            Some(()) = terminate.recv() => break Ok(()),
        }
        // Drain the worker events already there (capped). Terminal input needs no drain:
        // the biased select takes it first on every turn.
        for _ in 0..BATCH {
            match worker.events.try_recv() {
                Ok(ev) => apply(model, Msg::Worker(ev), &worker, &mut pending).await,
                Err(_) => break,
            }
        }
        if pending.quit {
            break Ok(());
        }
        if let Some(name) = pending.switch.take() {
            switch_context(model, &mut worker, opts, &name);
            let (w, h) = model.size;
            apply(model, Msg::Resize(w, h), &worker, &mut pending).await;
        }
        if model.dirty && Instant::now() >= last_draw + FRAME {
            terminal.draw(|f| view(model, f))?;
            model.dirty = false;
            last_draw = Instant::now();
        }
    };
    worker.shutdown.cancel();
    result
}
