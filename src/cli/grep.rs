//! `swmq grep NS/TOPIC REGEX`: search a topic's history by content (key, value, headers),
//! printing the matching records in time order in `tail`'s formats. The scan runs where
//! the bytes are (see [`crate::client::grep`]); a progress line goes to stderr when it is
//! a terminal. Exit 0 with matches (or on Ctrl-C), 1 when nothing matched, 2 on a bad
//! pattern or other usage error.

use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::RecordFormat;
use super::complete::topic_completer;
use super::error::{CliError, CliResult, client_error};
use super::output::{FLUSH_AT, Out, stderr_is_terminal, stdout_closed};
use super::tail::{Printer, TailPlan, parse_spec_flag};
use crate::client::{GrepEvent, GrepProgress, GrepQuery, ReadSpec, TopicName};
use crate::config::Config;
use crate::format::{human_bytes, human_count};
use crate::time::{self, TimeSpec};

/// `swmq grep`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// The topic, NAMESPACE/TOPIC.
    #[arg(value_name = "NS/TOPIC", add = topic_completer())]
    pub topic: String,
    /// A regular expression (Rust regex syntax, exact case) matched against each record's
    /// key, value and headers (names and values); binary values are searched byte-wise.
    #[arg(value_name = "REGEX", allow_hyphen_values = true)]
    pub pattern: String,
    /// Search from this time SPEC (inclusive). Default: the first record.
    #[arg(long, short = 'o', value_name = "SPEC", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Search up to this time SPEC (inclusive). Default: the last record stored now.
    #[arg(long, value_name = "SPEC", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Only this partition (repeatable).
    #[arg(
        long = "partition",
        short = 'p',
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub partitions: Vec<i32>,
    /// Stop after N matches.
    #[arg(long, short = 'm', value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,
    /// Output: text, json (lossless, one object per line) or a format string ('%T %k %s'),
    /// as for tail.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text",
          value_parser = RecordFormat::parse)]
    pub format: RecordFormat,
    /// REGEX is a literal string, not a regular expression.
    #[arg(long, short = 'F', visible_alias = "fixed-strings")]
    pub fixed: bool,
    /// Ignore case.
    #[arg(long, short = 'i')]
    pub ignore_case: bool,
}

/// A parsed `grep` invocation.
pub(crate) struct GrepPlan {
    /// The topic.
    pub topic: TopicName,
    /// The search.
    pub query: GrepQuery,
}

impl GrepPlan {
    /// Validates the arguments (pattern, SPECs, partitions) before anything connects.
    pub(crate) fn from_args(a: &GrepArgs, utc: bool) -> CliResult<GrepPlan> {
        let topic = super::parse_topic(&a.topic)?;
        let now = time::now_ns();
        let from = match &a.from {
            Some(s) => match parse_spec_flag("--from", s, now, utc)? {
                TimeSpec::Earliest => None,
                spec => Some(spec.resolve(now)),
            },
            None => None,
        };
        let until = match &a.until {
            Some(s) => match parse_spec_flag("--until", s, now, utc)? {
                TimeSpec::Latest => None,
                spec => Some(spec.resolve(now)),
            },
            None => None,
        };
        let query = GrepQuery {
            pattern: a.pattern.clone(),
            fixed: a.fixed,
            ignore_case: a.ignore_case,
            from,
            until,
            partitions: a.partitions.clone(),
            max: a.max.map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
        };
        query.validate().map_err(|e| match (from, until) {
            (Some(f), Some(u)) if u < f => CliError::usage(format!(
                "--until {} is before --from {}: the window is empty",
                time::format_rfc3339(u),
                time::format_rfc3339(f)
            )),
            _ => CliError::usage(e),
        })?;
        Ok(GrepPlan { topic, query })
    }
}

/// Runs `swmq grep`.
pub(crate) async fn run(cfg: &Config, args: GrepArgs) -> CliResult {
    let plan = GrepPlan::from_args(&args, cfg.utc)?;
    let client = super::connect(cfg).await?;
    let what = format!("grep {}", plan.topic);
    let mut stream = client
        .grep(&plan.topic, plan.query.clone())
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    // The output side of `tail`: same formats, same cut to the terminal's width.
    let tail_plan = TailPlan {
        topic: plan.topic.clone(),
        topics: vec![plan.topic.clone()],
        link: None,
        spec: ReadSpec::default(),
        count: None,
        format: args.format.clone(),
        grep: None,
    };
    let mut out = Out::new();
    let mut printer = Printer::new(&tail_plan, cfg.utc, &out);
    let mut line = ProgressLine::new(&what, cfg.utc);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let closed = stdout_closed();
    tokio::pin!(closed);
    let (mut found, mut notices) = (0u64, 0usize);
    let result: CliResult<bool> = loop {
        let ev = tokio::select! {
            biased;
            _ = &mut ctrl_c => break Ok(true),
            _ = &mut closed => {
                stream.cancel();
                return Ok(());
            }
            ev = stream.next() => ev,
        };
        match ev {
            None => break Err(CliError::runtime(format!("{what}: the search ended early"))),
            Some(Err(e)) => break Err(client_error(&what, Some(&client), e)),
            Some(Ok(GrepEvent::Match(r))) => {
                printer.print(&mut out.buf, std::slice::from_ref(&r));
                found += 1;
                line.matched(found);
                // The first match at once; then in batches (and at each progress).
                if found == 1 {
                    line.suspend(|| out.flush())?;
                } else {
                    out.flush_if(FLUSH_AT)?;
                }
            }
            Some(Ok(GrepEvent::Progress(p))) => {
                line.suspend(|| out.flush())?;
                line.update(&p);
            }
            Some(Ok(GrepEvent::Notice(n))) => {
                notices += 1;
                line.suspend(|| {
                    eprintln!("swmq: {what}: {n}");
                    Ok(())
                })?;
            }
            Some(Ok(GrepEvent::Done { .. })) => break Ok(false),
        }
    };
    line.finish();
    stream.cancel();
    let flushed = out.flush();
    let interrupted = result?;
    flushed?;
    if notices > 0 && !interrupted {
        return Err(CliError::runtime(format!(
            "{what}: incomplete: {notices} partition(s) could not be searched (see above)"
        )));
    }
    match found == 0 && !interrupted {
        true => Err(CliError::NoMatch),
        false => Ok(()),
    }
}

/// The progress line on stderr (only when stderr is a terminal): records and bytes
/// scanned, the time covered, matches, rate and ETA.
struct ProgressLine {
    pb: Option<ProgressBar>,
    what: String,
    utc: bool,
    started: Instant,
    last: GrepProgress,
}

impl ProgressLine {
    fn new(what: &str, utc: bool) -> Self {
        let pb = stderr_is_terminal().then(|| {
            let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            if let Ok(style) = ProgressStyle::with_template("{msg}") {
                pb.set_style(style);
            }
            pb.enable_steady_tick(Duration::from_millis(250));
            pb.set_message(format!("{what}: starting"));
            pb
        });
        ProgressLine {
            pb,
            what: what.to_string(),
            utc,
            started: Instant::now(),
            last: GrepProgress::default(),
        }
    }

    fn suspend(&self, f: impl FnOnce() -> CliResult) -> CliResult {
        match &self.pb {
            Some(pb) => pb.suspend(f),
            None => f(),
        }
    }

    fn matched(&mut self, found: u64) {
        self.last.matches = self.last.matches.max(found);
    }

    fn update(&mut self, p: &GrepProgress) {
        self.last = p.clone();
        if let Some(pb) = &self.pb {
            pb.set_message(describe(&self.what, p, self.started.elapsed(), self.utc));
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.pb {
            pb.finish_and_clear();
        }
    }
}

/// `grep ns/t: 1.2M records, 240.0 MiB, up to 2026-12-01 22:10:05.123 (63%), 3 matches,
/// 812.0k rec/s, ETA 4s`.
pub(crate) fn describe(what: &str, p: &GrepProgress, elapsed: Duration, utc: bool) -> String {
    let mut s = format!(
        "{what}: {} records, {}",
        human_count(p.records),
        human_bytes(p.bytes)
    );
    if let Some(c) = p.covered_until_ns {
        s.push_str(&format!(", up to {}", time::format_datetime(c, utc)));
    }
    let fraction = p.fraction();
    if let Some(f) = fraction {
        s.push_str(&format!(" ({:.0}%)", f * 100.0));
    }
    s.push_str(&format!(", {} matches", human_count(p.matches)));
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        s.push_str(&format!(
            ", {} rec/s",
            human_count((p.records as f64 / secs) as u64)
        ));
    }
    if let Some(f) = fraction.filter(|&f| f > 0.0 && f < 1.0) {
        let left = secs * (1.0 - f) / f;
        s.push_str(&format!(
            ", ETA {}",
            time::format_duration((left * 1e9) as i64)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use clap::Parser;

    fn plan(args: &[&str]) -> CliResult<GrepPlan> {
        let mut v = vec!["swmq", "grep"];
        v.extend_from_slice(args);
        let Some(Command::Grep(g)) = Cli::try_parse_from(v).unwrap().command else {
            panic!()
        };
        GrepPlan::from_args(&g, false)
    }

    #[test]
    fn arguments_become_a_query() {
        let p = plan(&["a/b", "ord-88", "--from", "1795743111000000123", "-p", "1"])
            .ok()
            .unwrap();
        assert_eq!(p.query.pattern, "ord-88");
        assert_eq!(p.query.from, Some(1_795_743_111_000_000_123));
        assert_eq!((p.query.until, p.query.partitions.clone()), (None, vec![1]));
        let p = plan(&[
            "a/b", "x-y", "--fixed", "-i", "--max", "3", "--from", "earliest",
        ])
        .ok()
        .unwrap();
        assert!(p.query.fixed && p.query.ignore_case);
        assert_eq!((p.query.max, p.query.from), (Some(3), None));
    }

    #[test]
    fn usage_errors_exit_2_and_name_the_problem() {
        for (bad, needle) in [
            (&["a/b", "a(b"][..], "a(b"),
            (&["a/b", "x", "--from", "-15x"], "--from"),
            (&["a/b", "x", "-p", "-1"], "partition"),
            (&["nonamespace", "x"], "NAMESPACE/TOPIC"),
            (
                &["a/b", "x", "--from", "-1m", "--until", "-2m"],
                "window is empty",
            ),
        ] {
            let e = plan(bad).err().expect("must fail");
            assert_eq!(e.exit_code(), 2, "{bad:?}");
            let m = e.message().unwrap();
            assert!(m.contains(needle), "{bad:?}: {m}");
        }
    }

    #[test]
    fn the_progress_line_says_everything() {
        let p = GrepProgress {
            records: 1_200_000,
            bytes: 240 << 20,
            matches: 3,
            covered_until_ns: Some(1_795_743_111_000_000_000),
            start_ns: None,
            end_ns: None,
            total_bytes: Some(480 << 20),
        };
        let s = describe("grep a/b", &p, Duration::from_secs(2), true);
        assert_eq!(
            s,
            "grep a/b: 1.2M records, 240.0 MiB, up to 2026-11-27 01:31:51.000Z (50%), \
             3 matches, 600.0k rec/s, ETA 2s"
        );
    }
}
