//! Shared positions on the command line: `swmq open LINK` (the TUI landed on the record)
//! and `swmq tail --from LINK` (reading from it). See [`crate::link`].

use super::error::{CliError, CliResult, client_error};
use crate::client::{Client, ProtocolChoice};
use crate::config::{Config, Source};
use crate::link::Link;

/// `swmq open`.
#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// swmq://HOST:PORT/NS/TOPIC?ts=RFC3339&partition=P[&offset=O] (the TUI's `y` copies
    /// one); the broker it names is used unless --broker is given.
    #[arg(value_name = "LINK")]
    pub link: String,
}

/// Whether a `--from` value is a link rather than a time SPEC.
pub(crate) fn is_link(s: &str) -> bool {
    s.trim_start()
        .get(..crate::link::SCHEME.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(crate::link::SCHEME))
}

/// Parses a link given as `what` (`--from`, `LINK`); a bad one is a usage error.
pub(crate) fn parse_link(what: &str, s: &str) -> CliResult<Link> {
    Link::parse(s).map_err(|e| CliError::usage(format!("{what}: {e}")))
}

/// The configuration that reaches the link's broker: its address, filer and protocol
/// hints replace the ones from the environment, the context and the defaults; flags given
/// on the command line win (`--broker` for a tunnel to the same broker). A link to a TLS
/// broker needs TLS settings of the reader's own.
pub(crate) fn config_for(cfg: &Config, link: &Link) -> CliResult<Config> {
    let mut out = cfg.clone();
    let flag = |key: &str| {
        cfg.settings
            .iter()
            .any(|s| s.key == key && s.source == Source::Flag)
    };
    if !flag("broker") {
        out.connect.broker = link.broker.clone();
    }
    if let Some(f) = &link.filer
        && !flag("filer")
    {
        out.connect.filer = f.clone();
    }
    if out.connect.protocol == ProtocolChoice::Auto
        && let Some(p) = link.protocol
    {
        out.connect.protocol = match p {
            crate::client::Protocol::Mq => ProtocolChoice::Mq,
            crate::client::Protocol::Legacy => ProtocolChoice::Legacy,
        };
    }
    if link.tls && !out.connect.tls.is_enabled() {
        return Err(CliError::usage(format!(
            "the link's broker {} speaks TLS only: give --tls-ca (and --tls-cert/--tls-key \
             where it wants a client certificate), or use a context with TLS",
            out.connect.broker
        )));
    }
    Ok(out)
}

/// Checks the link against the broker: a topic that does not exist (deleted) is an
/// error; a position outside the topic is returned as a warning to show.
pub(crate) async fn check(client: &Client, link: &Link, utc: bool) -> CliResult<Option<String>> {
    match client.describe(&link.topic, None).await {
        Ok(d) => Ok(crate::link::position_problem(link, &d.info, utc)),
        Err(e) if e.is_topic_gone() => Err(CliError::runtime(format!(
            "the link's topic {} does not exist on {} (deleted?)",
            link.topic,
            client.broker_addr()
        ))),
        Err(e) => Err(client_error(
            &format!("open {}", link.topic),
            Some(client),
            e,
        )),
    }
}

/// `swmq open LINK`: checks the position, then opens the TUI scrubbed there with the
/// record selected.
pub(crate) async fn run(cfg: &Config, args: OpenArgs) -> CliResult {
    let link = parse_link("LINK", &args.link)?;
    let cfg = config_for(cfg, &link)?;
    let client = super::connect(&cfg).await?;
    // The position problem is told again by the TUI (with the listing it shows).
    check(&client, &link, cfg.utc).await?;
    drop(client);
    super::run_tui_opened(&cfg, link).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Setting;

    fn link(s: &str) -> Link {
        Link::parse(s).unwrap()
    }

    #[test]
    fn the_link_names_the_broker_unless_a_flag_does() {
        let l = link("swmq://b.example:1777/n/t?ts=1&partition=0&protocol=mq&filer=f.example:2");
        let cfg = Config::new("localhost:17777");
        let c = config_for(&cfg, &l).ok().unwrap();
        assert_eq!(c.connect.broker, "b.example:1777");
        assert_eq!(c.connect.filer, "f.example:2");
        assert_eq!(c.connect.protocol, ProtocolChoice::Mq);
        let mut cfg = Config::new("127.0.0.1:9");
        cfg.settings.push(Setting {
            key: "broker",
            value: "127.0.0.1:9".into(),
            source: Source::Flag,
        });
        let c = config_for(&cfg, &l).ok().unwrap();
        assert_eq!(c.connect.broker, "127.0.0.1:9");
        assert!(is_link(" SWMQ://x") && !is_link("-15m"));
    }

    #[test]
    fn a_tls_link_without_tls_settings_says_what_to_give() {
        let l = link("swmq://b:1/n/t?ts=1&partition=0&tls=1");
        let e = config_for(&Config::new("x:1"), &l).err().unwrap();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message().unwrap().contains("--tls-ca"),
            "{:?}",
            e.message()
        );
    }
}
