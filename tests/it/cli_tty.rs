//! What the CLI does on a terminal: `delete` asks for the topic name and deletes only when
//! it is typed; `tail` cuts text lines to the terminal width.
use crate::support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Runs `swmq ARGS` in a 100x30 pseudo-terminal, typing `answer` once `prompt` shows;
/// returns the final screen and the exit code.
fn in_pty(args: &[&str], typed: Option<(&str, &str)>) -> (String, i32) {
    in_pty_cols(args, typed, 100)
}

/// `in_pty` on a terminal that reports `cols` columns (0: a terminal that reports no size,
/// like a serial console; the screen is then read 200 columns wide).
fn in_pty_cols(args: &[&str], typed: Option<(&str, &str)>, cols: u16) -> (String, i32) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_swmq"));
    cmd.args(args);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("SWMQ_READ_ONLY");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(
        30,
        if cols == 0 { 200 } else { cols },
        0,
    )));
    let p = parser.clone();
    std::thread::spawn(move || {
        let _master = pty.master;
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
        }
    });
    let screen = || parser.lock().unwrap().screen().contents();
    if let Some((prompt, answer)) = typed {
        let end = Instant::now() + Duration::from_secs(20);
        while !screen().contains(prompt) {
            assert!(Instant::now() < end, "no prompt {prompt:?}: {}", screen());
            std::thread::sleep(Duration::from_millis(50));
        }
        writer.write_all(answer.as_bytes()).unwrap();
        writer.write_all(b"\r").unwrap();
        writer.flush().unwrap();
    }
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < end,
            "swmq {args:?} did not end: {}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(200));
    (screen(), status.exit_code() as i32)
}

fn swmq(addr: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_swmq"))
        .arg("--broker")
        .arg(addr)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_asks_for_the_name_on_a_terminal() {
    let e = support::embedded::start_embedded().await;
    let addr = e.addr.clone();
    tokio::task::spawn_blocking(move || {
        assert!(swmq(&addr, &["publish", "tty/keep", "v"]).status.success());
        // A wrong answer deletes nothing.
        let (screen, code) = in_pty(
            &["--broker", &addr, "delete", "tty/keep"],
            Some(("Type tty/keep to confirm", "tty/other")),
        );
        assert_eq!(code, 1, "{screen}");
        assert!(screen.contains("nothing was deleted"), "{screen}");
        let out = swmq(&addr, &["tail", "tty/keep", "--no-follow"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
        // The right one deletes.
        let (screen, code) = in_pty(
            &["--broker", &addr, "delete", "tty/keep"],
            Some(("Type tty/keep to confirm", "tty/keep")),
        );
        assert_eq!(code, 0, "{screen}");
        assert!(screen.contains("deleted tty/keep"), "{screen}");
        let out = swmq(&addr, &["tail", "tty/keep", "--no-follow"]);
        assert_eq!(out.status.code(), Some(1));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_cuts_text_lines_to_the_terminal_width() {
    let e = support::embedded::start_embedded().await;
    let addr = e.addr.clone();
    tokio::task::spawn_blocking(move || {
        let long = "x".repeat(500);
        assert!(
            swmq(&addr, &["publish", "tty/wide", &long])
                .status
                .success()
        );
        let (screen, code) = in_pty(
            &["--broker", &addr, "tail", "tty/wide", "--no-follow"],
            None,
        );
        assert_eq!(code, 0, "{screen}");
        let line = screen
            .lines()
            .find(|l| l.contains("xxx"))
            .expect(&screen)
            .to_string();
        assert!(line.ends_with('…'), "{line}");
        assert!(line.chars().count() <= 100, "{line}");
        assert_eq!(
            screen.lines().filter(|l| l.contains("xxx")).count(),
            1,
            "{screen}"
        );
    })
    .await
    .unwrap();
}

/// A terminal that reports 0 columns (serial consoles, some CI ptys) does not cut every
/// line to nothing: tail falls back to 100 columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_on_a_terminal_without_a_size_still_shows_the_values() {
    let e = support::embedded::start_embedded().await;
    let addr = e.addr.clone();
    tokio::task::spawn_blocking(move || {
        assert!(
            swmq(&addr, &["publish", "tty/nosize", "hello-value"])
                .status
                .success()
        );
        let (screen, code) = in_pty_cols(
            &["--broker", &addr, "tail", "tty/nosize", "--no-follow"],
            None,
            0,
        );
        assert_eq!(code, 0, "{screen}");
        assert!(screen.contains("hello-value"), "{screen}");
    })
    .await
    .unwrap();
}

/// `topic truncate` on a terminal (4.x, the shared weed): asks for the topic's name, a
/// wrong one keeps the records, the right one deletes them; the topic stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn truncate_asks_for_the_name_on_a_terminal() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let c = support::weed::mq_client(w).await;
    let t = swmq::client::TopicName::new(&support::unique_namespace("ttytrunc"), "t").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    c.publish(&t, vec![support::out_msg("k", "v")])
        .await
        .unwrap();
    let name = t.to_string();
    let (broker, filer) = (w.broker.clone(), w.filer.clone());
    tokio::task::spawn_blocking(move || {
        let args = [
            "--broker", &broker, "--filer", &filer, "topic", "truncate", &name,
        ];
        let prompt = format!("Type {name} to confirm");
        let (screen, code) = in_pty(&args, Some((&prompt, "other/t")));
        assert_eq!(code, 1, "{screen}");
        assert!(
            screen.contains("Delete the records of every partition of")
                && screen.contains("configuration stay.")
                && !screen.contains("and all its data"),
            "{screen}"
        );
        assert!(screen.contains("nothing was deleted"), "{screen}");
        let (screen, code) = in_pty(&args, Some((&prompt, &name)));
        assert_eq!(code, 0, "{screen}");
        assert!(screen.contains(&format!("truncated {name}")), "{screen}");
    })
    .await
    .unwrap();
    assert_eq!(c.partitions(&t).await.unwrap().len(), 1, "the topic stays");
}
