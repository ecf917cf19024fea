//! The real `swmq` binary in a pseudo-terminal: its screen parsed by vt100, every byte it
//! wrote kept, keys and mouse escape sequences sent as a terminal would. Serves the TUI
//! e2e tests (`start`, `start_with`) and the runs against secured brokers from a config
//! file (`start_with_config`).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use swmq::client::{Client, ConnectOptions, OutMessage, ReadEvent, ReadSpec, TopicName};
use swmq::time::TimeSpec;

/// Terminal rows.
pub(crate) const ROWS: u16 = 40;
/// Terminal columns.
pub(crate) const COLS: u16 = 140;

/// The binary in a pty, its screen parsed by vt100, and every byte it wrote.
pub(crate) struct Tui {
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    pub writer: Box<dyn Write + Send>,
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    _dir: tempfile::TempDir,
}

impl Tui {
    /// Starts `swmq ARGS --utc` (times in UTC, no colours).
    pub(crate) fn start(args: &[&str]) -> Tui {
        Tui::start_with(args, &["--utc"], &[])
    }

    /// Starts `swmq ARGS EXTRA` with extra environment variables.
    pub(crate) fn start_with(args: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Tui {
        Tui::spawn(args, extra, env, false)
    }

    /// Starts `swmq ARGS` with no SWMQ_* variable but `SWMQ_CONFIG=config` (settings,
    /// contexts and TLS come from the config file only).
    pub(crate) fn start_with_config(args: &[&str], config: &Path) -> Tui {
        let config = config.to_str().expect("a UTF-8 config path");
        Tui::spawn(args, &[], &[("SWMQ_CONFIG", config)], true)
    }

    /// Starts the binary; `clean_env` removes every SWMQ_* variable (else SWMQ_BROKER only).
    fn spawn(args: &[&str], extra: &[&str], env: &[(&str, &str)], clean_env: bool) -> Tui {
        let dir = tempfile::tempdir().unwrap();
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_swmq"));
        cmd.args(args);
        cmd.args(extra);
        cmd.arg("--log-file");
        cmd.arg(dir.path().join("tui.log"));
        cmd.env("NO_COLOR", "1");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("SWMQ_BROKER");
        if clean_env {
            for (k, _) in std::env::vars() {
                if k.starts_with("SWMQ_") {
                    cmd.env_remove(k);
                }
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn swmq");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let _master = pty.master; // keep the pty open while reading
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Tui {
            parser,
            raw,
            writer,
            child,
            _dir: dir,
        }
    }

    /// The screen as text.
    pub(crate) fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until `pred(screen)` holds; panics with the screen after `secs`.
    pub(crate) fn wait(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `pred(screen)` holds on a screen that stays the same for 300 ms (no frame
    /// half drawn, no layout change pending); returns that screen. Steps that act on a
    /// position (clicks, the wheel) find it in this snapshot with [`find_in`].
    pub(crate) fn wait_steady(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.wait(what, secs, &pred);
            std::thread::sleep(Duration::from_millis(300));
            if self.screen() == s {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for a steady screen with {what}; screen:\n{s}");
            }
        }
    }

    /// Types `s` (keys, or escape sequences).
    pub(crate) fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }

    /// Waits for the process to exit; returns its exit code.
    pub(crate) fn exit_code(&mut self, secs: u64) -> u32 {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.exit_code();
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("swmq did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The 0-based row and column where `text` first shows in `screen` (a [`Tui::screen`]
/// snapshot: one line a row).
pub(crate) fn find_in(screen: &str, text: &str) -> Option<(u16, u16)> {
    screen.lines().enumerate().find_map(|(row, line)| {
        let i = line.find(text)?;
        Some((row as u16, line[..i].chars().count() as u16))
    })
}

/// The first tail record row: the line after the column header.
pub(crate) fn first_record_line(screen: &str) -> String {
    let mut lines = screen.lines();
    lines.find(|l| l.contains("TIME") && l.contains("PART") && l.contains("VALUE"));
    lines.next().unwrap_or_default().to_string()
}

impl Tui {
    /// Whether the process still runs.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// A left click at the 0-based cell `(col, row)` (SGR mouse: press and release).
    pub(crate) fn click(&mut self, col: u16, row: u16) {
        self.keys(&format!(
            "\x1b[<0;{};{}M\x1b[<0;{};{}m",
            col + 1,
            row + 1,
            col + 1,
            row + 1
        ));
    }

    /// The mouse wheel at `(col, row)`: `down` or up, `n` notches.
    pub(crate) fn wheel(&mut self, col: u16, row: u16, down: bool, n: usize) {
        let b = if down { 65 } else { 64 };
        for _ in 0..n {
            self.keys(&format!("\x1b[<{b};{};{}M", col + 1, row + 1));
        }
    }
}

/// Publishes the values; returns `(ts_ns, value)` of every record in merged order.
pub(crate) async fn seed(addr: &str, topic: &TopicName, values: &[String]) -> Vec<(i64, String)> {
    let client = Client::connect(&ConnectOptions::new(addr)).await.unwrap();
    let msgs = values
        .iter()
        .map(|v| OutMessage {
            value: Bytes::from(v.clone()),
            ..Default::default()
        })
        .collect();
    client.publish(topic, msgs).await.unwrap();
    // Read back the stored timestamps, in merged order.
    read_history(&client, topic)
        .await
        .into_iter()
        .map(|r| (r.ts_ns, String::from_utf8_lossy(&r.value).into_owned()))
        .collect()
}

/// Every record of `topic` from the earliest, in merged order (a non-follow read).
pub(crate) async fn read_history(client: &Client, topic: &TopicName) -> Vec<swmq::client::Record> {
    let spec = ReadSpec {
        from: TimeSpec::Earliest,
        follow: false,
        ..Default::default()
    };
    let mut s = client.read(topic, spec).await.unwrap();
    let mut all = Vec::new();
    while let Some(ev) = s.next().await {
        if let ReadEvent::Records(rs) = ev.unwrap() {
            all.extend(rs);
        }
    }
    all
}

/// Seeds `e2e/orders` with 30 records in three batches 30 ms apart and `e2e/refunds` with
/// one; returns the orders' `(ts_ns, value)`.
pub(crate) async fn seed_orders(addr: &str) -> Vec<(i64, String)> {
    let orders = TopicName::parse("e2e/orders").unwrap();
    let mut ts = Vec::new();
    for batch in 0..3 {
        let values: Vec<String> = (0..10)
            .map(|i| format!("order-{:03}", batch * 10 + i))
            .collect();
        ts.extend(
            seed(addr, &orders, &values)
                .await
                .into_iter()
                .skip(batch * 10),
        );
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    seed(
        addr,
        &TopicName::parse("e2e/refunds").unwrap(),
        &["r1".to_string()],
    )
    .await;
    ts
}
