//! `swmq publish` (and `chan publish`): VALUEs, or the lines of --file / stdin (text,
//! `tail --format json` lines, or one raw value), through the protocol's own partitioning.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::PathBuf;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::args::{InputFormat, PublishArgs};
use super::error::{CliError, CliResult, client_error};
use super::output::{Out, progress};
use crate::client::{
    Client, ClientError, OutMessage, Partitioner, PublishOutcome, Publisher, TopicName,
};
use crate::config::Config;
use crate::format::JsonRecord;

/// Parses `--header K=V` flags; a missing `=` or an empty name is a usage error.
pub(super) fn parse_headers(flags: &[String]) -> CliResult<Vec<(String, Bytes)>> {
    let mut map = BTreeMap::new();
    for h in flags {
        match h.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                map.insert(k.to_string(), Bytes::copy_from_slice(v.as_bytes()));
            }
            _ => {
                return Err(CliError::usage(format!(
                    "--header {h:?}: expected NAME=VALUE with a non-empty NAME"
                )));
            }
        }
    }
    Ok(map.into_iter().collect())
}

/// What every message gets from the flags.
#[derive(Clone)]
struct Overrides {
    key: Option<Bytes>,
    headers: Vec<(String, Bytes)>,
}

impl Overrides {
    fn apply(&self, mut m: OutMessage) -> OutMessage {
        if let Some(k) = &self.key {
            m.key = k.clone();
        }
        for (k, v) in &self.headers {
            match m.headers.binary_search_by(|(n, _)| n.as_str().cmp(k)) {
                Ok(i) => m.headers[i].1 = v.clone(),
                Err(i) => m.headers.insert(i, (k.clone(), v.clone())),
            }
        }
        m
    }

    fn message(&self, value: Bytes) -> OutMessage {
        self.apply(OutMessage {
            value,
            ..OutMessage::default()
        })
    }
}

/// Runs `swmq publish`.
pub(super) async fn run(cfg: &Config, a: PublishArgs) -> CliResult {
    let topic = super::parse_topic(&a.topic)?;
    let ov = Overrides {
        key: a.key.as_ref().map(|k| Bytes::copy_from_slice(k.as_bytes())),
        headers: parse_headers(&a.headers)?,
    };
    let what = format!("publish {topic}");
    super::refuse_if_read_only(cfg, &what)?;
    if a.values.is_empty() {
        let source = match &a.file {
            Some(p) if p.as_os_str() != "-" => Source::File(p.clone()),
            _ => Source::Stdin,
        };
        // Open the file before connecting so that a wrong path fails first; JSON lines are
        // all checked before anything is published.
        let input = source
            .open()
            .map_err(|e| CliError::runtime(format!("{what}: {e}")))?;
        let input = match a.input {
            InputFormat::Json => tokio::task::block_in_place(|| validate_json(input, &what))?,
            _ => input,
        };
        let client = super::connect(cfg).await?;
        precreate(&client, &topic, a.partitions, &what).await?;
        let raw = a.no_schema || a.input != InputFormat::Text;
        let target = Target {
            topic: &topic,
            partitions: a.partitions,
            rule: a.partitioner,
            schema: super::schema::for_publish(&client, &topic, raw, &what).await?,
        };
        let outcomes = publish_stream(&client, &target, input, a.input, ov, a.count).await?;
        return report(&topic, &outcomes);
    }
    let msgs: Vec<OutMessage> = a
        .values
        .iter()
        .flat_map(|v| std::iter::repeat_n(v, a.count as usize))
        .map(|v| ov.message(Bytes::copy_from_slice(v.as_bytes())))
        .collect();
    let client = super::connect(cfg).await?;
    precreate(&client, &topic, a.partitions, &what).await?;
    let schema = super::schema::for_publish(&client, &topic, a.no_schema, &what).await?;
    let msgs = super::schema::encode_all(schema.as_ref(), msgs, &what)?;
    let target = Target {
        topic: &topic,
        partitions: a.partitions,
        rule: a.partitioner,
        schema,
    };
    let publisher = open_publisher(&client, &target, &what).await?;
    for m in msgs {
        if publisher.send(m).await.is_err() {
            break; // the task failed: finish() says why
        }
    }
    let outcomes = publisher
        .finish()
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    report(&topic, &outcomes)
}

/// Where `publish` sends: the topic, the partitions to create it with when it does not
/// exist, and the partitioner.
struct Target<'a> {
    topic: &'a TopicName,
    partitions: Option<u32>,
    rule: Partitioner,
    /// The record type values are encoded with (see [`super::schema::for_publish`]).
    schema: Option<crate::client::Schema>,
}

/// A publisher on the target, creating the topic when the broker says it does not exist.
async fn open_publisher(client: &Client, t: &Target<'_>, what: &str) -> CliResult<Publisher> {
    match client.publisher_with(t.topic, t.rule).await {
        Err(ClientError::TopicNotFound(_)) => {
            create(client, t.topic, t.partitions, what).await?;
            client.publisher_with(t.topic, t.rule).await
        }
        r => r,
    }
    .map_err(|e| client_error(what, Some(client), e))
}

/// The partition count of a topic that `publish` creates when `--partitions` is not given
/// (what the 2.x Go `msgclient` assumes).
pub(super) const DEFAULT_PARTITIONS: u32 = 4;

/// With an explicit `--partitions N`, creates the topic first when it does not exist.
async fn precreate(
    client: &Client,
    topic: &TopicName,
    partitions: Option<u32>,
    what: &str,
) -> CliResult {
    let Some(n) = partitions else { return Ok(()) };
    match client.describe(topic, None).await {
        Ok(d) => {
            let have = d.info.partitions.len();
            if have != 0 && have != n as usize {
                eprintln!("swmq: {topic} exists with {have} partitions; --partitions {n} ignored");
            }
            Ok(())
        }
        Err(ClientError::TopicNotFound(_)) => create(client, topic, Some(n), what).await,
        Err(e) => Err(client_error(what, Some(client), e)),
    }
}

/// Creates the topic (after the broker said it does not exist) and says so on stderr.
async fn create(
    client: &Client,
    topic: &TopicName,
    partitions: Option<u32>,
    what: &str,
) -> CliResult {
    let n = partitions.unwrap_or(if topic.is_channel() {
        1
    } else {
        DEFAULT_PARTITIONS
    });
    client
        .create_topic(topic, n)
        .await
        .map_err(|e| client_error(&format!("{what}: creating it"), Some(client), e))?;
    let s = if n == 1 { "" } else { "s" };
    eprintln!("swmq: created topic {topic} with {n} partition{s}");
    Ok(())
}

/// Publishes a list of messages (VALUE arguments, `chan publish`).
pub(super) async fn publish_values(
    client: &Client,
    topic: &TopicName,
    msgs: Vec<OutMessage>,
    what: &str,
) -> CliResult<Vec<PublishOutcome>> {
    client
        .publish(topic, msgs)
        .await
        .map_err(|e| client_error(what, Some(client), e))
}

enum Source {
    File(PathBuf),
    Stdin,
}

struct Input {
    reader: Box<dyn BufRead + Send>,
    name: String,
    len: Option<u64>,
    /// The file behind `reader`, when it is one (stdin: `None`).
    file: Option<File>,
}

impl Source {
    fn open(&self) -> Result<Input, String> {
        match self {
            Source::Stdin => Ok(Input {
                reader: Box::new(BufReader::with_capacity(1 << 16, io::stdin())),
                name: "stdin".into(),
                len: None,
                file: None,
            }),
            Source::File(p) => {
                let f = File::open(p).map_err(|e| format!("cannot open {}: {e}", p.display()))?;
                let len = f.metadata().ok().map(|m| m.len());
                let reader = f
                    .try_clone()
                    .map_err(|e| format!("cannot open {}: {e}", p.display()))?;
                Ok(Input {
                    reader: Box::new(BufReader::with_capacity(1 << 16, reader)),
                    name: p.display().to_string(),
                    len,
                    file: Some(f),
                })
            }
        }
    }
}

/// One parsed input message and the input bytes it took.
type Parsed = Result<(OutMessage, u64), String>;

/// Reads the input on a blocking thread and feeds a publisher; a bad line stops the
/// publish after what came before it was delivered, and the error names the line.
async fn publish_stream(
    client: &Client,
    target: &Target<'_>,
    input: Input,
    format: InputFormat,
    ov: Overrides,
    count: u64,
) -> CliResult<Vec<PublishOutcome>> {
    let what = format!("publish {}", target.topic);
    let pb = match input.len {
        Some(n) if input.name != "stdin" => progress(Some(n), true, &what),
        _ => indicatif::ProgressBar::hidden(),
    };
    let (tx, mut rx) = mpsc::channel::<Parsed>(4096);
    let name = input.name.clone();
    let reader = std::thread::spawn(move || read_input(input, format, &ov, &tx));
    let publisher = open_publisher(client, target, &what).await?;
    let mut input_error = None;
    let mut n = 0u64;
    'outer: while let Some(item) = rx.recv().await {
        n += 1;
        let item = item.and_then(|(m, c)| {
            super::schema::encode(target.schema.as_ref(), m)
                .map(|m| (m, c))
                .map_err(|e| format!("message {n}: {e}"))
        });
        match item {
            Ok((m, consumed)) => {
                pb.inc(consumed);
                for _ in 1..count {
                    if publisher.send(m.clone()).await.is_err() {
                        break 'outer;
                    }
                }
                if publisher.send(m).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                input_error = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let _ = reader.join();
    let result = publisher.finish().await;
    pb.finish_and_clear();
    let outcomes = result.map_err(|e| client_error(&what, Some(client), e))?;
    if let Some(e) = input_error {
        let before = match outcomes.len() {
            0 => "nothing was published".to_string(),
            1 => "the 1 message before it was published".to_string(),
            n => format!("the {n} messages before it were published"),
        };
        return Err(CliError::runtime(format!("{what}: {name}: {e} ({before})")));
    }
    Ok(outcomes)
}

fn strip_eol(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

/// The blocking input reader.
fn read_input(mut input: Input, format: InputFormat, ov: &Overrides, tx: &mpsc::Sender<Parsed>) {
    let send = |p: Parsed| tx.blocking_send(p).is_ok();
    if format == InputFormat::Raw {
        let mut all = Vec::new();
        let r = input.reader.read_to_end(&mut all);
        let n = all.len() as u64;
        let _ = send(match r {
            Ok(_) => Ok((ov.message(Bytes::from(all)), n)),
            Err(e) => Err(format!("read error: {e}")),
        });
        return;
    }
    let mut line = Vec::with_capacity(256);
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = match input.reader.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(n) => n as u64,
            Err(e) => {
                let _ = send(Err(format!("read error after line {lineno}: {e}")));
                return;
            }
        };
        lineno += 1;
        strip_eol(&mut line);
        let parsed = match format {
            InputFormat::Json => {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                parse_envelope(&line)
                    .map_err(|e| format!("line {lineno}: {e}"))
                    .map(|m| (ov.apply(m), n))
            }
            _ => Ok((ov.message(Bytes::copy_from_slice(&line)), n)),
        };
        let stop = parsed.is_err();
        if !send(parsed) || stop {
            return;
        }
    }
}

/// The fields of a `tail --format json` line (the decoded `*_json` and `schema_note` of a
/// schematized topic are ignored: the raw `key`/`value` are published).
const ENVELOPE_FIELDS: [&str; 15] = [
    "namespace",
    "topic",
    "partition",
    "ts_ns",
    "time",
    "key",
    "key_encoding",
    "value",
    "value_encoding",
    "headers",
    "is_close",
    "offset",
    "key_json",
    "value_json",
    "schema_note",
];

/// Parses one `--input json` line: a `tail --format json` object with at least a `value`
/// and no other fields than a tail envelope's. Anything else (`{"user":"u-1"}`) is an
/// error, never an empty message.
pub(super) fn parse_envelope(line: &[u8]) -> Result<OutMessage, String> {
    const HINT: &str = "to publish JSON documents as values, use --input text (the default)";
    let v: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not JSON ({e}); {HINT}"))?;
    let Some(obj) = v.as_object() else {
        return Err(format!("not a swmq tail envelope (not an object); {HINT}"));
    };
    if let Some(k) = obj.keys().find(|k| !ENVELOPE_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "not a swmq tail envelope (unknown field {}); {HINT}",
            crate::names::quote(k)
        ));
    }
    if !obj.contains_key("value") {
        return Err(format!(
            "not a swmq tail envelope (no \"value\" field); {HINT}"
        ));
    }
    // serde's message quotes the offending value whole: a line is hostile input.
    let j: JsonRecord = serde_json::from_value(v).map_err(|e| {
        format!(
            "bad swmq tail envelope: {}",
            crate::format::escape::escape_short(&e.to_string(), 200)
        )
    })?;
    j.to_out_message()
}

/// Checks every line of a `--input json` input before anything is published; returns the
/// input rewound (stdin is first copied to a temporary file). A bad line is a usage error
/// naming its number.
fn validate_json(input: Input, what: &str) -> CliResult<Input> {
    let io_err = |e: io::Error| CliError::runtime(format!("{what}: {}: {e}", input.name));
    let mut file = match input.file {
        Some(f) => f,
        None => {
            let mut f = tempfile::tempfile().map_err(io_err)?;
            let mut r = input.reader;
            io::copy(&mut r, &mut f)
                .map_err(|e| CliError::runtime(format!("{what}: reading {}: {e}", input.name)))?;
            f
        }
    };
    file.rewind().map_err(io_err)?;
    let mut reader = BufReader::with_capacity(1 << 16, &file);
    let mut line = Vec::with_capacity(256);
    let mut lineno = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io_err)? == 0 {
            break;
        }
        lineno += 1;
        strip_eol(&mut line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = parse_envelope(&line) {
            return Err(CliError::usage(format!(
                "{what}: {}: line {lineno}: {e}; nothing was published",
                input.name
            )));
        }
    }
    drop(reader);
    file.rewind().map_err(io_err)?;
    let len = file.metadata().ok().map(|m| m.len());
    Ok(Input {
        reader: Box::new(BufReader::with_capacity(
            1 << 16,
            file.try_clone().map_err(io_err)?,
        )),
        name: input.name,
        len,
        file: Some(file),
    })
}

/// Prints where the messages landed: one line on stdout.
fn report(topic: &TopicName, outcomes: &[PublishOutcome]) -> CliResult {
    let mut out = Out::new();
    out.line(&summary(topic, outcomes));
    out.flush()
}

/// `published 1 message to a/b: partition 2, offset 17` or
/// `published 1000 messages to a/b (p0: 250, p1: 750)`.
pub(super) fn summary(topic: &TopicName, outcomes: &[PublishOutcome]) -> String {
    if let [o] = outcomes {
        let mut s = format!("published 1 message to {topic}: partition {}", o.partition);
        if let Some(off) = o.offset {
            s.push_str(&format!(", offset {off}"));
        }
        if let Some(ts) = o.ts_ns {
            s.push_str(&format!(", ts {ts}"));
        }
        return s;
    }
    if outcomes.is_empty() {
        return format!("published 0 messages to {topic}");
    }
    let mut per: BTreeMap<i32, u64> = BTreeMap::new();
    for o in outcomes {
        *per.entry(o.partition).or_default() += 1;
    }
    let parts: Vec<String> = per.iter().map(|(p, n)| format!("p{p}: {n}")).collect();
    format!(
        "published {} messages to {topic} ({})",
        outcomes.len(),
        parts.join(", ")
    )
}

#[cfg(test)]
#[path = "publish_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse() {
        let h = parse_headers(&["b=2".into(), "a=x=y".into(), "b=3".into()])
            .ok()
            .unwrap();
        assert_eq!(
            h,
            vec![
                ("a".to_string(), Bytes::from_static(b"x=y")),
                ("b".to_string(), Bytes::from_static(b"3"))
            ]
        );
        for bad in ["novalue", "=v"] {
            let e = parse_headers(&[bad.into()]).err().unwrap();
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn overrides_merge_sorted() {
        let ov = Overrides {
            key: Some(Bytes::from_static(b"k")),
            headers: vec![("b".into(), Bytes::from_static(b"B"))],
        };
        let m = ov.apply(OutMessage {
            headers: vec![
                ("a".into(), Bytes::from_static(b"1")),
                ("c".into(), Bytes::from_static(b"3")),
            ],
            ..OutMessage::default()
        });
        assert_eq!(m.key, Bytes::from_static(b"k"));
        let names: Vec<&str> = m.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn only_tail_envelopes_are_json_input() {
        let m = parse_envelope(br#"{"key":"k","value":"v","headers":{"a":"1"}}"#).unwrap();
        assert_eq!((&m.key[..], &m.value[..]), (&b"k"[..], &b"v"[..]));
        for (bad, want) in [
            (&br#"{"user":"u-1"}"#[..], "unknown field \"user\""),
            (br#"{"key":"k"}"#, "no \"value\""),
            (br#"[1]"#, "not an object"),
            (br#"{"value":"v""#, "not JSON"),
            (br#"{"value":"%%","value_encoding":"base64"}"#, "base64"),
            (br#"{"value":1}"#, "bad swmq tail envelope"),
        ] {
            let e = parse_envelope(bad).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn summaries() {
        let t = TopicName::parse("a/b").unwrap();
        let o = |p| PublishOutcome {
            partition: p,
            offset: None,
            ts_ns: None,
        };
        assert_eq!(
            summary(&t, &[o(2)]),
            "published 1 message to a/b: partition 2"
        );
        assert_eq!(
            summary(&t, &[o(0), o(1), o(1)]),
            "published 3 messages to a/b (p0: 1, p1: 2)"
        );
    }
}
