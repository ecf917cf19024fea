//! `swmq demo` on a terminal opens the TUI on a freshly seeded embedded broker and stops
//! the broker when the TUI quits; off a terminal it runs the headless demo broker.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[test]
fn demo_opens_the_tui_on_the_seeded_broker_and_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_swmq"));
    cmd.args(["demo", "--utc", "--log-file"]);
    cmd.arg(dir.path().join("tui.log"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("NO_COLOR", "1");
    let mut child = pty.slave.spawn_command(cmd).expect("spawn swmq demo");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 140, 0)));
    let p = parser.clone();
    std::thread::spawn(move || {
        let _master = pty.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let screen = loop {
        let s = parser.lock().unwrap().screen().contents();
        if (s.contains("embedded demo") && s.contains("orders")) || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(screen.contains("embedded demo"), "{screen}");
    assert!(screen.contains("orders"), "the seeded topics: {screen}");
    writer.write_all(b"\x03").unwrap(); // Ctrl-C quits
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "swmq demo did not quit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn demo_off_a_terminal_runs_the_headless_broker() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_swmq"))
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).unwrap_or(0) == 1 && b[0] != b'\n' {
        first.push(b[0]);
    }
    let line = String::from_utf8_lossy(&first).to_string();
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let status = assert_cmd::Command::cargo_bin("swmq")
        .unwrap()
        .args(["--broker", &addr, "status", "--format", "json"])
        .output()
        .unwrap();
    // SIGTERM: the demo broker shuts down and removes its temporary data.
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let ended = child.wait().unwrap();
    assert!(ended.success(), "{ended:?}");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("\"protocol\":\"legacy\""), "{text}");
}
