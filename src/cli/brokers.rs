//! `swmq brokers`: every 4.x broker of the cluster, the balancer, partitions led and
//! followed, publishers and subscribers per broker; leaderless partitions and partitions
//! whose leader does not answer are flagged.

use clap::Args;

use super::args::TableOrJson;
use super::error::{CliError, CliResult, client_error};
use super::output::Out;
use super::tables::{Col, WIDTH, render};
use crate::client::Client;
use crate::client::mq::brokers::ClusterView;
use crate::config::Config;
use crate::format::escape::{escape, to_json_string};

/// `swmq brokers`.
#[derive(Debug, Args)]
pub struct BrokersArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
}

/// Runs `swmq brokers`.
pub(super) async fn run(cfg: &Config, a: BrokersArgs) -> CliResult {
    let client = super::connect(cfg).await?;
    let Client::Mq(c) = &client else {
        return Err(CliError::runtime(format!(
            "brokers on {}: a 2.x broker is a single server; `swmq status` describes it",
            client.broker_addr()
        )));
    };
    let view = c
        .brokers()
        .await
        .map_err(|e| client_error("brokers", Some(&client), e))?;
    let mut out = Out::new();
    match a.format {
        TableOrJson::Json => out.line(&to_json_string(&view).map_err(CliError::runtime)?),
        TableOrJson::Table => {
            for l in brokers_table(&view) {
                out.line(&l);
            }
        }
    }
    out.flush()
}

const fn col(header: &'static str, right: bool) -> Col {
    Col { header, right }
}

/// The table: one row per broker, then the flagged partitions and notes.
/// A stream count, `?` when unknown.
fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "?".into(), |n| n.to_string())
}

pub(super) fn brokers_table(v: &ClusterView) -> Vec<String> {
    let cols = [
        col("BROKER", false),
        col("ROLE", false),
        col("STATE", false),
        col("LEADS", true),
        col("FOLLOWS", true),
        col("PUBS", true),
        col("SUBS", true),
    ];
    let rows: Vec<Vec<String>> = v
        .brokers
        .iter()
        .map(|b| {
            let state = b.state();
            vec![
                escape(&b.address).into_owned(),
                if b.balancer { "balancer" } else { "broker" }.into(),
                state,
                b.leads.to_string(),
                b.follows.to_string(),
                count(b.publishers),
                count(b.subscribers),
            ]
        })
        .collect();
    let mut out = vec![format!(
        "{} brokers, balancer {}, {} topics",
        v.brokers.len(),
        v.balancer
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "unknown".into()),
        v.topics
    )];
    out.push(String::new());
    out.extend(render(&cols, &rows, 2, WIDTH));
    if !v.problems.is_empty() {
        out.push(String::new());
        out.push(format!("{} partitions flagged:", v.problems.len()));
        for p in &v.problems {
            let leader = if p.leader.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&p.leader))
            };
            out.push(format!(
                "  ! {} p{}: {}{leader}",
                escape(&p.topic),
                p.partition,
                p.problem
            ));
        }
    }
    for n in &v.notes {
        out.push(format!("note: {}", escape(n)));
    }
    out
}
