//! Start-up benchmark (harness = false): `swmq demo` in a pseudo-terminal; time to the
//! first frame and to the topic list, against the time the same binary takes to print
//! `--version` (process start-up alone) in the same run.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn run_demo_once() -> (Duration, Duration) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("openpty");
    let log = std::env::temp_dir().join(format!("swmq-bench-{}.log", std::process::id()));
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_swmq"));
    cmd.args(["demo", "--log-file"]);
    cmd.arg(&log);
    cmd.env("TERM", "xterm-256color");
    let start = Instant::now();
    let mut child = pty.slave.spawn_command(cmd).expect("spawn");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(50, 200, 0)));
    let p = parser.clone();
    std::thread::spawn(move || {
        let _m = pty.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
        }
    });
    let wait = |pred: &dyn Fn(&str) -> bool| -> Duration {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let s = parser.lock().unwrap().screen().contents();
            if pred(&s) {
                return start.elapsed();
            }
            assert!(Instant::now() < end, "timed out; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let first = wait(&|s| s.contains("swmq"));
    let topics = wait(&|s| s.contains("orders") && s.contains("channels"));
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_file(&log);
    (first, topics)
}

fn main() {
    let runs = 5;
    let mut version = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_swmq"))
            .arg("--version")
            .output()
            .unwrap();
        assert!(out.status.success());
        version.push(t.elapsed());
    }
    let mut firsts = Vec::new();
    let mut lists = Vec::new();
    for _ in 0..runs {
        let (f, l) = run_demo_once();
        firsts.push(f);
        lists.push(l);
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (v, f, l) = (med(&mut version), med(&mut firsts), med(&mut lists));
    println!("swmq demo start-up in a 200x50 pty, median of {runs}:");
    println!(
        "  process start (--version)   {:7.1} ms",
        v.as_secs_f64() * 1e3
    );
    println!(
        "  first frame                 {:7.1} ms  ({:.1}x process start)",
        f.as_secs_f64() * 1e3,
        f.as_secs_f64() / v.as_secs_f64()
    );
    println!(
        "  topics listed               {:7.1} ms  (embedded broker started and seeded)",
        l.as_secs_f64() * 1e3
    );
    println!(
        "  target: first frame < 150 ms -> {}",
        if f < Duration::from_millis(150) {
            "MET"
        } else {
            "NOT MET"
        }
    );
}
