//! `swmq chan publish|close|read|delete`: SeaweedFS 2.x channels (topic `chan/NAME`,
//! partition 0, sealed by a close message). On 4.x every one fails with a clear error.

use bytes::Bytes;

use super::args::{ChanCommand, RecordFormat};
use super::delete::{confirm, delete_topic, require_terminal};
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use super::tail::{TailPlan, stream_records};
use crate::client::{Client, OutMessage, ReadSpec};
use crate::config::Config;
use crate::time::TimeSpec;

/// Runs a `swmq chan` command.
pub(super) async fn run(cfg: &Config, cmd: ChanCommand) -> CliResult {
    match cmd {
        ChanCommand::Publish { name, values } => publish(cfg, &name, &values).await,
        ChanCommand::Close { name, create } => close(cfg, &name, create).await,
        ChanCommand::Read {
            name,
            format,
            no_follow,
        } => read(cfg, &name, format, no_follow).await,
        ChanCommand::List { filter, format } => super::chan_bulk::list(cfg, &filter, format).await,
        ChanCommand::Delete {
            name: None,
            yes,
            closed,
            consumed,
            older_than,
            format,
        } => {
            let bulk = super::chan_bulk::BulkDelete {
                closed,
                consumed,
                older_than,
                yes,
                format,
            };
            super::chan_bulk::delete(cfg, bulk).await
        }
        ChanCommand::Delete {
            name: Some(name),
            yes,
            ..
        } => delete(cfg, &name, yes).await,
    }
}

/// `swmq chan publish NAME VALUE…`.
async fn publish(cfg: &Config, name: &str, values: &[String]) -> CliResult {
    let topic = super::parse_channel(name)?;
    let what = format!("chan publish {name}");
    super::refuse_if_read_only(cfg, &what)?;
    let client = channels(cfg, &what).await?;
    let msgs = values
        .iter()
        .map(|v| OutMessage {
            value: Bytes::copy_from_slice(v.as_bytes()),
            ..OutMessage::default()
        })
        .collect();
    let outcomes = super::publish::publish_values(&client, &topic, msgs, &what).await?;
    let mut out = Out::new();
    out.line(&super::publish::summary(&topic, &outcomes));
    out.flush()
}

/// `swmq chan close NAME [--create]`.
async fn close(cfg: &Config, name: &str, create: bool) -> CliResult {
    super::parse_channel(name)?;
    let what = format!("chan close {name}");
    super::refuse_if_read_only(cfg, &what)?;
    let client = channels(cfg, &what).await?;
    if !create {
        require_existing(&client, name, &what).await?;
    }
    client
        .chan_close(name)
        .await
        .map_err(|e| client_error(&what, Some(&client), e))?;
    let mut out = Out::new();
    out.line(&format!("closed channel {name}"));
    out.flush()
}

/// `swmq chan read NAME`: partition 0 from the earliest.
async fn read(cfg: &Config, name: &str, format: RecordFormat, no_follow: bool) -> CliResult {
    let topic = super::parse_channel(name)?;
    let what = format!("chan read {name}");
    let client = channels(cfg, &what).await?;
    let plan = TailPlan {
        topics: vec![topic.clone()],
        topic,
        link: None,
        spec: ReadSpec {
            from: TimeSpec::Earliest,
            until: None,
            partitions: Some(vec![0]),
            follow: !no_follow,
        },
        count: None,
        format,
        grep: None,
    };
    stream_records(cfg, &client, plan, what).await
}

/// `swmq chan delete NAME`.
async fn delete(cfg: &Config, name: &str, yes: bool) -> CliResult {
    let topic = super::parse_channel(name)?;
    let what = format!("chan delete {name}");
    super::refuse_if_read_only(cfg, &what)?;
    if !yes {
        require_terminal(&what)?;
    }
    let client = channels(cfg, &what).await?;
    if !yes {
        confirm(
            &what,
            &format!("channel {name}"),
            &[name.to_string(), topic.to_string()],
        )?;
    }
    delete_topic(&client, &topic, &what).await
}

/// Refuses to close a channel that does not exist (closing creates it sealed), or whose
/// existence the broker cannot tell, unless `--create` is given.
async fn require_existing(client: &Client, name: &str, what: &str) -> CliResult {
    let exists = client
        .channel_exists(name)
        .await
        .map_err(|e| client_error(what, Some(client), e))?;
    let why = match exists {
        Some(true) => return Ok(()),
        Some(false) => "there is no such channel",
        None => "cannot tell whether the channel exists (no admin service and no filer)",
    };
    Err(CliError::runtime(format!(
        "{what} on {}: {why}; closing would create it sealed (use --create to do that)",
        client.broker_addr()
    )))
}

/// Connects and insists on a 2.x broker.
pub(super) async fn channels(cfg: &Config, what: &str) -> CliResult<Client> {
    let client = super::connect(cfg).await?;
    client
        .require_channels()
        .map_err(|e| client_error(what, Some(&client), e))?;
    Ok(client)
}
