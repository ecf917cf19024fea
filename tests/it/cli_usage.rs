//! The CLI's contract that needs no broker: usage errors (exit 2), one-line runtime
//! errors naming the address (exit 1), read-only and confirmation refusals.
use crate::support;

use assert_cmd::Command;
use predicates::prelude::*;

fn swmq() -> Command {
    let mut c = Command::cargo_bin("swmq").unwrap();
    c.env_remove("SWMQ_BROKER")
        .env_remove("SWMQ_FILER")
        .env_remove("SWMQ_READ_ONLY");
    c
}

fn dead_addr() -> String {
    format!("127.0.0.1:{}", support::free_port())
}

/// stderr is exactly one line starting with `swmq: `.
fn one_line_error() -> impl Predicate<str> {
    predicate::function(|s: &str| s.starts_with("swmq: ") && s.trim_end().lines().count() == 1)
}

#[test]
fn help_documents_the_contract() {
    let out = swmq()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(out).unwrap();
    for word in [
        "status",
        "topics",
        "describe",
        "tail",
        "publish",
        "delete",
        "chan",
        "broker",
        "demo",
        "--broker",
        "--filer",
        "--protocol",
        "--read-only",
        "--connect-timeout",
        "--utc",
        "Exit codes",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
    let tail = swmq()
        .args(["tail", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let tail = String::from_utf8(tail).unwrap();
    for word in [
        "--from",
        "--until",
        "--partition",
        "--count",
        "--no-follow",
        "--format",
        "--grep",
    ] {
        assert!(tail.contains(word), "tail --help lacks {word}");
    }
}

#[test]
fn clap_errors_exit_2() {
    // One line each, naming what was wrong.
    for (args, names) in [
        (&["tail"][..], "<NS/TOPIC>"),
        (&["tail", "a/b", "--count", "-1"], "'-1'"),
        (&["publish", "a/b", "--file", "f", "v"], "--file"),
        (&["topics", "--format", "xml"], "xml"),
    ] {
        swmq()
            .args(args)
            .assert()
            .code(2)
            .stderr(one_line_error())
            .stderr(predicate::str::contains(names));
    }
    swmq().arg("tail").assert().code(2);
    swmq().args(["topics", "--format", "xml"]).assert().code(2);
    swmq()
        .args(["--protocol", "kafka", "status"])
        .assert()
        .code(2);
    swmq()
        .args(["--connect-timeout", "-1", "status"])
        .assert()
        .code(2);
    swmq().arg("frobnicate").assert().code(2);
}

#[test]
fn bad_spec_exits_2_listing_the_forms() {
    for (flag, spec) in [
        ("--from", "-15x"),
        ("--until", "2026-13-01"),
        ("--from", "yesterday"),
    ] {
        swmq()
            .args(["--broker", &dead_addr(), "tail", "a/b", flag, spec])
            .assert()
            .code(2)
            .stdout("")
            .stderr(one_line_error())
            .stderr(predicate::str::contains(spec))
            .stderr(predicate::str::contains("earliest, latest, now, RFC 3339"))
            .stderr(predicate::str::contains("-15m"));
    }
}

#[test]
fn bad_topic_names_and_headers_exit_2() {
    swmq()
        .args(["tail", "no-namespace"])
        .assert()
        .code(2)
        .stderr(one_line_error())
        .stderr(predicate::str::contains("no-namespace"));
    swmq()
        .args(["describe", "a/b/c"])
        .assert()
        .code(2)
        .stderr(one_line_error());
    swmq()
        .args(["publish", "a/b", "--header", "novalue", "v"])
        .assert()
        .code(2)
        .stderr(one_line_error())
        .stderr(predicate::str::contains("novalue"));
    swmq()
        .args(["tail", "a/b", "--grep", "(unclosed"])
        .assert()
        .code(2)
        .stderr(one_line_error());
}

#[test]
fn dead_port_is_one_line_naming_the_address() {
    let addr = dead_addr();
    for cmd in [
        &["status"][..],
        &["topics"],
        &["describe", "a/b"],
        &["tail", "a/b"],
    ] {
        swmq()
            .arg("--broker")
            .arg(&addr)
            .args(cmd)
            .assert()
            .code(1)
            .stdout("")
            .stderr(one_line_error())
            .stderr(predicate::str::contains(&addr));
    }
    // The environment variable works too.
    swmq()
        .env("SWMQ_BROKER", &addr)
        .args(["status", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(&addr));
}

#[test]
fn read_only_refuses_every_write_with_exit_1() {
    let addr = dead_addr();
    let writes: [&[&str]; 5] = [
        &["publish", "a/b", "v"],
        &["delete", "a/b", "--yes"],
        &["chan", "publish", "c", "v"],
        &["chan", "close", "c"],
        &["chan", "delete", "c", "--yes"],
    ];
    for w in writes {
        swmq()
            .args(["--broker", &addr, "--read-only"])
            .args(w)
            .assert()
            .code(1)
            .stderr(one_line_error())
            .stderr(predicate::str::contains("read-only"));
        swmq()
            .env("SWMQ_READ_ONLY", "1")
            .args(["--broker", &addr])
            .args(w)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("read-only"));
    }
    // Falsy values do not turn it on: the command gets as far as connecting.
    swmq()
        .env("SWMQ_READ_ONLY", "0")
        .args(["--broker", &addr, "publish", "a/b", "v"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(&addr));
}

#[test]
fn delete_without_yes_refuses_when_stdin_is_not_a_terminal() {
    for cmd in [&["delete", "a/b"][..], &["chan", "delete", "c"]] {
        swmq()
            .args(["--broker", &dead_addr()])
            .args(cmd)
            .write_stdin("a/b\n")
            .assert()
            .code(1)
            .stderr(one_line_error())
            .stderr(predicate::str::contains("--yes"));
    }
}

#[test]
fn publish_file_missing_is_a_runtime_error() {
    swmq()
        .args([
            "--broker",
            &dead_addr(),
            "publish",
            "a/b",
            "--file",
            "/nonexistent/x.jsonl",
        ])
        .assert()
        .code(1)
        .stderr(one_line_error())
        .stderr(predicate::str::contains("/nonexistent/x.jsonl"));
}

#[test]
fn a_silent_listener_times_out_after_connect_timeout() {
    // Accepts TCP connections (the kernel does) but never speaks HTTP/2.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    swmq()
        .args(["--broker", &addr, "--connect-timeout", "0.5", "status"])
        .assert()
        .code(1)
        .stderr(one_line_error())
        .stderr(predicate::str::contains(&addr))
        .stderr(predicate::str::contains("timed out"));
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    drop(listener);
}

/// A command's help lists its own options first and the global ones after, under their own
/// heading (they were interleaved, `--broker` before `--from`).
#[test]
fn command_help_puts_its_own_options_before_the_global_ones() {
    for (cmd, own) in [
        ("tail", "--from <SPEC>"),
        ("publish", "--key <K>"),
        ("describe", "--buckets <N>"),
    ] {
        let out = swmq().args([cmd, "--help"]).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        let at = |s: &str| {
            help.find(s)
                .unwrap_or_else(|| panic!("{cmd}: no {s}: {help}"))
        };
        assert!(at(own) < at("Global options:"), "{cmd}: {help}");
        assert!(
            at("Global options:") < at("--broker <ADDR>"),
            "{cmd}: {help}"
        );
    }
}

/// `--until` before `--from` is a usage error naming both times, before connecting (it
/// used to read nothing and exit 0).
#[test]
fn until_before_from_is_a_usage_error() {
    for args in [
        ["--from", "now", "--until", "-1h"],
        [
            "--from",
            "2026-11-27T01:00:00Z",
            "--until",
            "2026-11-27T00:59:59Z",
        ],
    ] {
        swmq()
            .args(["--broker", &dead_addr(), "tail", "a/b"])
            .args(args)
            .assert()
            .code(2)
            .stderr(one_line_error())
            .stderr(
                predicate::str::contains("--until 20")
                    .and(predicate::str::contains("is before --from 20")),
            );
    }
    swmq()
        .args(["--broker", &dead_addr(), "tail", "a/b", "--no-follow"])
        .args([
            "--from",
            "2026-11-27T01:00:00Z",
            "--until",
            "2026-11-27T01:00:00Z",
        ])
        .assert()
        .code(1);
}

/// An integer SPEC of epoch seconds (`date +%s`) or milliseconds is refused with a hint
/// (read as nanoseconds it silently meant 1970 and returned the whole topic).
#[test]
fn epoch_seconds_spec_is_refused_with_a_hint() {
    for v in ["1795743111", "1795743111000", "0"] {
        swmq()
            .args(["--broker", &dead_addr(), "tail", "a/b", "--from", v])
            .assert()
            .code(2)
            .stderr(one_line_error())
            .stderr(predicate::str::contains("nanoseconds"));
    }
    // Nanoseconds still pass the parser (and then fail to connect: exit 1).
    swmq()
        .args([
            "--broker",
            &dead_addr(),
            "tail",
            "a/b",
            "--from",
            "1795743111000000000",
        ])
        .assert()
        .code(1);
}

/// Item 7: `swmq man` renders roff pages; `swmq completions` prints the three scripts.
#[test]
fn man_pages_and_completion_scripts() {
    let page = |args: &[&str]| {
        let out = swmq()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let main = page(&["man"]);
    assert!(main.contains(".TH swmq 1"), "{main}");
    for word in ["tail", "publish", "completions", "\\-\\-broker", "jq 1.6"] {
        assert!(main.contains(word), "man lacks {word}");
    }
    let tail = page(&["man", "tail"]);
    assert!(tail.contains(".TH swmq-tail 1"), "{tail}");
    for word in ["\\-\\-last", "\\-o", "%{.a.b[0]}", ".time"] {
        assert!(tail.contains(word), "man tail lacks {word}");
    }
    swmq()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stderr(one_line_error().and(predicate::str::contains("commands: status")));
    for shell in ["bash", "zsh", "fish"] {
        let s = page(&["completions", shell]);
        assert!(s.contains("_SWMQ_COMPLETE"), "{shell}: {s}");
    }
    swmq().args(["completions", "tcsh"]).assert().code(2);
}

/// Items 3 and 5: the help shows the short flags, the format directives and the
/// partitioner's default rule.
#[test]
fn help_shows_short_flags_formats_and_partitioners() {
    let help = |cmd: &str| {
        let out = swmq()
            .args([cmd, "--help"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let tail = help("tail");
    for word in [
        "-o, --from",
        "-c, --count",
        "-p, --partition",
        "-e, --no-follow",
        "-f, --format",
        "--last",
        "%T",
        "%{.a.b[0]}",
    ] {
        assert!(tail.contains(word), "tail --help lacks {word}:\n{tail}");
    }
    let publish = help("publish");
    for word in [
        "-k, --key",
        "-H, --header",
        "-c, --count",
        "--partitioner",
        "round-robin",
        "random",
        "Go client",
    ] {
        assert!(
            publish.contains(word),
            "publish --help lacks {word}:\n{publish}"
        );
    }
}
