//! `swmq broker` and `swmq demo`. PLACEHOLDER: being written by the broker developer.

/// `swmq broker` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BrokerArgs {}

/// `swmq demo` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {}

/// Runs the embedded broker until Ctrl-C / SIGTERM.
pub async fn run_broker(_args: BrokerArgs) -> anyhow::Result<()> {
    anyhow::bail!("the embedded broker is not built yet")
}
