//! `swmq status`: the address, the detected protocol and, for 4.x, the balancer and the
//! number of topics.

use super::args::{StatusArgs, TextOrJson};
use super::error::{CliResult, client_error};
use super::output::Out;
use crate::client::BrokerStatus;
use crate::config::Config;
use crate::format::escape::{escape, to_json_string};

/// Runs `swmq status`.
pub(super) async fn run(cfg: &Config, args: StatusArgs) -> CliResult {
    let client = super::connect(cfg).await?;
    let st = client
        .status()
        .await
        .map_err(|e| client_error("status", Some(&client), e))?;
    let mut out = Out::new();
    match args.format {
        TextOrJson::Json => {
            let line = to_json_string(&st).map_err(super::CliError::runtime)?;
            out.line(&line);
        }
        TextOrJson::Text => {
            for l in text_lines(&st) {
                out.line(&l);
            }
        }
    }
    out.flush()
}

/// The text form: one `label  value` line per known fact (server strings escaped).
pub(super) fn text_lines(st: &BrokerStatus) -> Vec<String> {
    let mut v = vec![
        format!("address   {}", escape(&st.address)),
        format!("protocol  {} ({})", st.protocol, st.protocol.describe()),
    ];
    if let Some(b) = &st.balancer {
        v.push(format!("balancer  {}", escape(b)));
    }
    if let Some(n) = st.topic_count {
        v.push(format!("topics    {n}"));
    }
    if let Some(ver) = &st.embedded_version {
        v.push(format!("embedded  swmq {}", escape(ver)));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Protocol;

    #[test]
    fn text_form() {
        let st = BrokerStatus {
            address: "127.0.0.1:17777".into(),
            protocol: Protocol::Mq,
            balancer: Some("127.0.0.1:17777".into()),
            topic_count: Some(3),
            embedded_version: None,
        };
        assert_eq!(
            text_lines(&st),
            vec![
                "address   127.0.0.1:17777",
                "protocol  mq (SeaweedFS MQ 4.x)",
                "balancer  127.0.0.1:17777",
                "topics    3",
            ]
        );
        let json = serde_json::to_string(&st).unwrap();
        assert!(json.contains("\"protocol\":\"mq\""), "{json}");
        let hostile = BrokerStatus {
            balancer: Some("\x1b]0;pwned\x07".into()),
            embedded_version: Some("1\u{202e}2".into()),
            ..st
        };
        let text = text_lines(&hostile).join("\n");
        assert!(text.contains("balancer  \\x1b]0;pwned\\x07"), "{text}");
        assert!(text.contains("swmq 1\\u{202e}2"), "{text}");
    }
}
