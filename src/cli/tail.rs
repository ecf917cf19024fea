//! `swmq tail` (and `chan read`): records of all partitions merged in time order, as text
//! or JSON lines, following new records until Ctrl-C, `--count`, `--until` or the end.

use crate::matcher::{Case, Matcher, Syntax};

use super::args::{RecordFormat, TailArgs};
use super::error::{CliError, CliResult, client_error};
use super::output::{FLUSH_AT, Out, progress, stdout_closed};
use crate::client::{Client, ReadEvent, ReadSpec, ReadStream, Record, TopicName};
use crate::config::Config;
use crate::format::{JsonLineWriter, text_line_in};
use crate::time::{self, TimeSpec};

/// A parsed `tail` invocation.
pub(super) struct TailPlan {
    /// The topic (of several: the first one given).
    pub topic: TopicName,
    /// Every topic given, patterns (`shop/*`) included; more than one, or a pattern: a
    /// tail of several topics merged by time.
    pub topics: Vec<TopicName>,
    /// `--from LINK`: the shared position the read starts at.
    pub link: Option<crate::link::Link>,
    /// What to read.
    pub spec: ReadSpec,
    /// Stop after this many (matching) records.
    pub count: Option<u64>,
    /// Output format.
    pub format: RecordFormat,
    /// Only records whose key, value or a header matches.
    pub grep: Option<Matcher>,
}

/// Parses a time SPEC flag; a bad one is a usage error listing the accepted forms.
pub(super) fn parse_spec_flag(flag: &str, s: &str, now: i64, utc: bool) -> CliResult<TimeSpec> {
    // Epoch seconds (`date +%s`, 10 digits) or milliseconds (13) read as nanoseconds would
    // silently mean the first minutes of 1970: say what the integer form is instead.
    let digits = s.trim();
    if !digits.is_empty() && digits.len() <= 13 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::usage(format!(
            "{flag}: {digits} looks like seconds or milliseconds since the epoch; integer SPECs \
             are nanoseconds (seconds {digits} = {digits}000000000), or use RFC 3339 or -15m"
        )));
    }
    time::parse_spec_in(s, now, utc).map_err(|e| CliError::usage(format!("{flag}: {e}")))
}

impl TailPlan {
    /// Whether `r` passes `--grep` (its key, value or a header matches).
    pub(super) fn matches(&self, r: &Record) -> bool {
        self.grep.as_ref().is_none_or(|m| m.matches(r))
    }

    /// Whether this tail reads several topics (more than one given, or a pattern).
    pub(super) fn is_multi(&self) -> bool {
        self.topics.len() > 1 || self.topics.iter().any(super::multi::is_pattern)
    }

    /// Validates the arguments (SPECs, topic, regex) before anything connects. Times
    /// without a zone are UTC when `utc`, else local time (as swmq shows them).
    pub(super) fn from_args(a: &TailArgs, utc: bool) -> CliResult<TailPlan> {
        let link = match &a.from {
            Some(s) if super::open::is_link(s) => Some(super::open::parse_link("--from", s)?),
            _ => None,
        };
        let topics = plan_topics(a, &link)?;
        let topic = topics[0].clone();
        let (from, until) = plan_window(a, &link, utc)?;
        let grep = plan_grep(a)?;
        if a.partitions.iter().any(|&p| p < 0) {
            return Err(CliError::usage(
                "--partition: partitions are numbered from 0",
            ));
        }
        if a.count == Some(0) {
            return Err(CliError::usage("--count: must be at least 1"));
        }
        let plan = TailPlan {
            topic,
            topics,
            link,
            spec: ReadSpec {
                from,
                until,
                partitions: (!a.partitions.is_empty()).then(|| a.partitions.clone()),
                follow: !a.no_follow,
            },
            count: a.count,
            format: a.format.clone(),
            grep,
        };
        if plan.is_multi() && a.last.is_some() {
            return Err(CliError::usage(
                "--last reads one topic; for several use --from (a SPEC or a link)",
            ));
        }
        Ok(plan)
    }
}

/// The topics of `swmq tail`: those given, or the link's.
fn plan_topics(a: &TailArgs, link: &Option<crate::link::Link>) -> CliResult<Vec<TopicName>> {
    match (link, a.topics.is_empty()) {
        (Some(l), true) => Ok(vec![l.topic.clone()]),
        (None, true) => Err(CliError::usage(
            "tail: <NS/TOPIC> is missing: give a topic (several, a pattern 'shop/*', or --from LINK)",
        )),
        _ => a
            .topics
            .iter()
            .map(|t| super::parse_topic(t))
            .collect::<CliResult<Vec<_>>>(),
    }
}

/// Where `swmq tail` starts and ends (`--from`, `--until`, a link); an empty window is
/// refused.
fn plan_window(
    a: &TailArgs,
    link: &Option<crate::link::Link>,
    utc: bool,
) -> CliResult<(TimeSpec, Option<i64>)> {
    let now = time::now_ns();
    let from = match (&a.from, link) {
        (_, Some(l)) => TimeSpec::At(l.ts_ns),
        (Some(s), None) => parse_spec_flag("--from", s, now, utc)?,
        // Following starts with new records; a one-shot read shows the history, and
        // --last finds its own start.
        (None, None) if a.no_follow || a.last.is_some() => TimeSpec::Earliest,
        (None, None) => TimeSpec::Latest,
    };
    let until = match &a.until {
        Some(s) => Some(parse_spec_flag("--until", s, now, utc)?.resolve(now)),
        None => None,
    };
    // An empty window is a mistake in the script, not a read of nothing.
    let from_ns = match from {
        TimeSpec::At(f) => Some(f),
        TimeSpec::Latest => Some(now),
        TimeSpec::Earliest => None,
    };
    if let (Some(f), Some(u)) = (from_ns, until)
        && u < f
    {
        return Err(CliError::usage(format!(
            "--until {} is before --from {}: the window is empty",
            time::format_rfc3339(u),
            time::format_rfc3339(f)
        )));
    }
    Ok((from, until))
}

/// The `--grep` matcher of `swmq tail`.
fn plan_grep(a: &TailArgs) -> CliResult<Option<Matcher>> {
    match &a.grep {
        Some(re) => {
            let syntax = match a.fixed_strings {
                true => Syntax::Literal,
                false => Syntax::Regex,
            };
            let case = match a.ignore_case {
                true => Case::Insensitive,
                false => Case::Sensitive,
            };
            let m = Matcher::new(re, syntax, case)
                .map_err(|e| CliError::usage(format!("--grep: {e}")))?;
            Ok(Some(m))
        }
        None => Ok(None),
    }
}

/// Runs `swmq tail`.
pub(super) async fn run(cfg: &Config, args: TailArgs) -> CliResult {
    let plan = TailPlan::from_args(&args, cfg.utc)?;
    let linked;
    let cfg = match &plan.link {
        Some(l) => {
            linked = super::open::config_for(cfg, l)?;
            &linked
        }
        None => cfg,
    };
    let client = super::connect(cfg).await?;
    if let Some(l) = &plan.link
        && let Some(problem) = super::open::check(&client, l, cfg.utc).await?
    {
        eprintln!("swmq: warning: {problem}");
    }
    if plan.is_multi() {
        let what = format!("tail {}", args.topics.join(" "));
        return super::multi::run(cfg, &client, plan, what).await;
    }
    let what = format!("tail {}", plan.topic);
    match args.last {
        Some(n) => super::last::run(cfg, &client, plan, n, what).await,
        None => stream_records(cfg, &client, plan, what).await,
    }
}

/// Reads per `plan` and prints until the read ends, `count` is reached, Ctrl-C, or the
/// reader of stdout goes away.
pub(super) async fn stream_records(
    cfg: &Config,
    client: &Client,
    plan: TailPlan,
    what: String,
) -> CliResult {
    // `--count N` without `--grep`: the first N records are all that is printed.
    let read = match plan.count {
        Some(n) if plan.grep.is_none() => {
            client.read_first(&plan.topic, plan.spec.clone(), n).await
        }
        _ => client.read(&plan.topic, plan.spec.clone()).await,
    };
    let stream = read.map_err(|e| client_error(&what, Some(client), e))?;
    tracing::debug!("{what}: read started");
    pump(cfg, client, &plan, stream, &[], &what).await
}

/// Prints `first`, then what `stream` delivers, until the read ends, `count` is reached,
/// Ctrl-C, or the reader of stdout goes away.
pub(super) async fn pump(
    cfg: &Config,
    client: &Client,
    plan: &TailPlan,
    mut stream: ReadStream,
    first: &[Record],
    what: &str,
) -> CliResult {
    let mut out = Out::new();
    let mut printer = Printer::new(plan, cfg.utc, &out);
    if !first.is_empty() {
        let done = printer.print(&mut out.buf, first);
        out.flush()?;
        if done {
            stream.cancel();
            return Ok(());
        }
    }
    let pb = match plan.count {
        Some(n) if !out.is_terminal() => progress(Some(n), false, what),
        _ => indicatif::ProgressBar::hidden(),
    };
    let follow = plan.spec.follow;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let closed = stdout_closed();
    tokio::pin!(closed);
    let mut faults = Faults::default();
    let result = loop {
        let ev = tokio::select! {
            biased;
            _ = &mut ctrl_c => break Ok(()),
            // The reader of stdout left while nothing was written: end quietly.
            _ = &mut closed => {
                stream.cancel();
                return Ok(());
            }
            ev = stream.next() => ev,
        };
        match ev {
            None => break Ok(()),
            Some(Err(e)) => break Err(client_error(what, Some(client), e)),
            Some(Ok(ReadEvent::Records(batch))) => {
                if printer.printed == 0 {
                    tracing::debug!("{what}: first records ({}) to print", batch.len());
                }
                let done = printer.print(&mut out.buf, &batch);
                pb.set_position(printer.printed);
                if done {
                    break Ok(());
                }
                if follow {
                    out.flush()?;
                } else {
                    out.flush_if(FLUSH_AT)?;
                }
            }
            Some(Ok(ReadEvent::CaughtUp)) => out.flush()?,
            Some(Ok(ev)) => {
                if let Some(line) = faults.line(ev) {
                    pb.suspend(|| eprintln!("swmq: {what}: {line}"));
                }
            }
        }
    };
    pb.finish_and_clear();
    stream.cancel();
    // Print what was read even when the read failed, then report the failure.
    let flushed = out.flush();
    result.and(flushed)?;
    match faults.failed.is_empty() {
        true => Ok(()),
        // What the other partitions had was printed; the read is incomplete.
        false => Err(CliError::runtime(format!(
            "{what}: incomplete: partition(s) {:?} failed (see above)",
            faults.failed
        ))),
    }
}

/// What the CLI says on stderr about failing partitions: each attempt number once (not
/// once per partition; the error names the partition), "reconnected" once every partition
/// is back, and each partition that gave up.
#[derive(Default)]
pub(super) struct Faults {
    /// Partitions (or the whole read, `None`) reconnecting.
    down: std::collections::HashSet<Option<i32>>,
    /// The highest attempt number said since the last "reconnected".
    said: u32,
    /// Partitions that gave up.
    pub(super) failed: Vec<i32>,
}

impl Faults {
    /// The stderr line for a fault event, if it deserves one.
    pub(super) fn line(&mut self, ev: ReadEvent) -> Option<String> {
        match ev {
            ReadEvent::Reconnecting {
                partition,
                error,
                attempt,
            } => {
                self.down.insert(partition);
                (attempt > self.said).then(|| {
                    self.said = attempt;
                    format!("reconnecting (attempt {attempt}): {error}")
                })
            }
            ReadEvent::Reconnected { partition } => {
                self.down.remove(&partition);
                (self.down.is_empty() && self.said > 0).then(|| {
                    self.said = 0;
                    "reconnected".to_string()
                })
            }
            ReadEvent::PartitionFailed { partition, error } => {
                self.down.remove(&Some(partition));
                self.failed.push(partition);
                Some(format!(
                    "partition {partition} failed, the others go on: {error}"
                ))
            }
            ReadEvent::Notice(text) => Some(text),
            ReadEvent::Records(_) | ReadEvent::CaughtUp => None,
        }
    }
}

#[cfg(test)]
mod fault_tests {
    use super::*;
    use crate::client::ClientError;

    #[test]
    fn each_attempt_once_then_reconnected_once_all_are_back() {
        let mut f = Faults::default();
        let e = |p: i32| {
            ClientError::rpc(
                format!("read partition {p}"),
                tonic::Status::unavailable("x"),
            )
        };
        let down = |p: i32, a: u32| ReadEvent::Reconnecting {
            partition: Some(p),
            error: e(p),
            attempt: a,
        };
        let up = |p: i32| ReadEvent::Reconnected { partition: Some(p) };
        assert!(
            f.line(down(0, 1))
                .unwrap()
                .starts_with("reconnecting (attempt 1): read partition 0")
        );
        assert_eq!(f.line(down(1, 1)), None);
        assert!(
            f.line(down(1, 2))
                .unwrap()
                .starts_with("reconnecting (attempt 2)")
        );
        assert_eq!(f.line(up(0)), None);
        assert_eq!(f.line(up(1)).as_deref(), Some("reconnected"));
        let failed = ReadEvent::PartitionFailed {
            partition: 3,
            error: e(3),
        };
        assert!(
            f.line(failed)
                .unwrap()
                .starts_with("partition 3 failed, the others go on")
        );
        assert_eq!(f.failed, vec![3]);
    }
}

/// Formats records, applying `--grep` and `--count` (also `swmq grep`'s output).
pub(super) struct Printer<'a> {
    plan: &'a TailPlan,
    json: JsonLineWriter,
    line: String,
    utc: bool,
    /// Terminal width to cut text lines to (`None`: not a terminal).
    cut: Option<usize>,
    printed: u64,
}

impl<'a> Printer<'a> {
    pub(super) fn new(plan: &'a TailPlan, utc: bool, out: &Out) -> Self {
        let cut = out.is_terminal().then(|| {
            // A terminal that reports no size (0 columns) is cut at 100, not to nothing.
            crossterm::terminal::size()
                .ok()
                .map(|(w, _)| w as usize)
                .filter(|&w| w > 0)
                .unwrap_or(100)
        });
        Printer {
            plan,
            json: JsonLineWriter::new(),
            line: String::new(),
            utc,
            cut,
            printed: 0,
        }
    }

    fn matches(&self, r: &Record) -> bool {
        self.plan.matches(r)
    }

    /// Appends the batch; `true` once `--count` records are printed.
    pub(super) fn print(&mut self, buf: &mut Vec<u8>, batch: &[Record]) -> bool {
        for r in batch {
            if !self.matches(r) {
                continue;
            }
            match &self.plan.format {
                RecordFormat::Json => self.json.write(buf, r),
                RecordFormat::Template(t) => {
                    self.line.clear();
                    t.render(&mut self.line, r, self.utc);
                    buf.extend_from_slice(self.line.as_bytes());
                }
                RecordFormat::Text => {
                    let multi = self.plan.is_multi();
                    let line = match self.cut {
                        Some(w) => {
                            super::tables::truncate(&text_line_in(r, self.utc, w, multi), w.max(20))
                        }
                        None => text_line_in(r, self.utc, 10_000, multi),
                    };
                    buf.extend_from_slice(line.as_bytes());
                    buf.push(b'\n');
                }
            }
            self.printed += 1;
            if self.plan.count.is_some_and(|n| self.printed >= n) {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Cli, Command};
    use clap::Parser;

    fn plan(args: &[&str]) -> CliResult<TailPlan> {
        let mut v = vec!["swmq", "tail"];
        v.extend_from_slice(args);
        let Some(Command::Tail(t)) = Cli::try_parse_from(v).unwrap().command else {
            panic!()
        };
        TailPlan::from_args(&t, false)
    }

    #[test]
    fn defaults_follow_from_latest() {
        let p = plan(&["a/b"]).ok().unwrap();
        assert_eq!(p.spec.from, TimeSpec::Latest);
        assert!(p.spec.follow);
        let p = plan(&["a/b", "--no-follow"]).ok().unwrap();
        assert_eq!(p.spec.from, TimeSpec::Earliest);
        assert!(!p.spec.follow);
        let (f, u) = ("1795743111000000123", "1795743111000000456");
        let p = plan(&["a/b", "--from", f, "--until", u, "--partition", "2"])
            .ok()
            .unwrap();
        assert_eq!(p.spec.from, TimeSpec::At(1_795_743_111_000_000_123));
        assert_eq!(p.spec.until, Some(1_795_743_111_000_000_456));
        assert_eq!(p.spec.partitions, Some(vec![2]));
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &["a/b", "--from", "-15x"][..],
            &["a/b", "--until", "2026-13-01"],
            &["nonamespace"],
            &["a/b", "--grep", "("],
            &["a/b", "--count", "0"],
        ] {
            let e = plan(bad).err().expect("must fail");
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let e = plan(&["a/b", "--from", "-15x"]).err().unwrap();
        let m = e.message().unwrap();
        assert!(
            m.contains("--from") && m.contains("accepted:") && m.contains("RFC 3339"),
            "{m}"
        );
    }
}
