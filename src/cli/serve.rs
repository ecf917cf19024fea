//! `swmq broker` and `swmq demo`: the embedded SeaweedFS messaging 2.x broker.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::broker::{self, BrokerConfig};

/// `swmq broker` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BrokerArgs {
    /// Address to listen on (loopback by default; give another address explicitly).
    #[arg(long, default_value = broker::DEFAULT_LISTEN, env = "SWMQ_BROKER_LISTEN")]
    pub listen: SocketAddr,
    /// Data directory [default: the XDG data dir, ~/.local/share/swmq/broker].
    #[arg(long = "data", value_name = "DIR", env = "SWMQ_BROKER_DATA")]
    pub data: Option<PathBuf>,
    /// Segment files roll at this many bytes.
    #[arg(long, default_value_t = broker::DEFAULT_SEGMENT_BYTES, value_name = "BYTES")]
    pub segment_bytes: u64,
    /// Largest message accepted, in bytes.
    #[arg(long, default_value_t = broker::DEFAULT_MAX_MESSAGE_BYTES, value_name = "BYTES")]
    pub max_message_bytes: usize,
    /// Address that FindBroker returns [default: the bound address].
    #[arg(long, value_name = "HOST:PORT")]
    pub advertise: Option<String>,
    /// Require client certificates signed by this CA (mutual TLS). The broker serves TLS
    /// with the global --tls-cert and --tls-key.
    #[arg(long = "tls-client-ca", value_name = "PEM")]
    pub tls_client_ca: Option<PathBuf>,
}

impl BrokerArgs {
    /// The TLS settings from `--tls-cert`/`--tls-key` (given on the command line: a
    /// context's client certificate is not the broker's) and `--tls-client-ca`.
    pub fn tls(
        &self,
        cert: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> anyhow::Result<Option<broker::BrokerTls>> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(broker::BrokerTls {
                cert,
                key,
                client_ca: self.tls_client_ca.clone(),
            })),
            (None, None) if self.tls_client_ca.is_none() => Ok(None),
            (None, None) => anyhow::bail!("--tls-client-ca needs --tls-cert and --tls-key"),
            (Some(_), None) => anyhow::bail!("--tls-cert needs --tls-key"),
            (None, Some(_)) => anyhow::bail!("--tls-key needs --tls-cert"),
        }
    }
}

/// `swmq demo` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Keep the demo data in this directory [default: a fresh temporary directory].
    #[arg(long = "data", value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Waits for Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the embedded broker until Ctrl-C / SIGTERM, then shuts down gracefully.
pub(crate) async fn run_broker(
    args: BrokerArgs,
    tls: Option<broker::BrokerTls>,
) -> anyhow::Result<()> {
    // What recovery set aside, failed writes and the like are warnings the operator must
    // see: on stderr by default (`SWMQ_LOG` chooses otherwise; then this does nothing).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("swmq=warn"))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let data = args.data.unwrap_or_else(broker::default_data_dir);
    if data.exists() && !data.is_dir() {
        anyhow::bail!("the data directory {} is not a directory", data.display());
    }
    std::fs::create_dir_all(&data)
        .with_context(|| format!("creating the data directory {}", data.display()))?;
    let mut config = BrokerConfig::new(args.listen, data.clone());
    config.segment_bytes = args.segment_bytes;
    config.max_message_bytes = args.max_message_bytes;
    config.tls = tls;
    config.advertised = args.advertise;
    let security = match &config.tls {
        None => "plaintext",
        Some(t) if t.client_ca.is_some() => "TLS, client certificates required",
        Some(_) => "TLS",
    };
    let running = broker::start(config).await?;
    println!(
        "swmq broker (SeaweedFS messaging 2.x) listening on {} ({security}; data: {})",
        running.addr(),
        data.display()
    );
    shutdown_signal().await;
    eprintln!("shutting down…");
    running.shutdown().await?;
    Ok(())
}

/// Runs the demo: a seeded broker with a live publisher, until Ctrl-C / SIGTERM.
pub(crate) async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    let demo = broker::demo::start_demo(args.data).await?;
    let addr = demo.addr();
    println!(
        "swmq demo broker on {addr} (data: {})",
        demo.data_dir().display()
    );
    println!("try, in another terminal:");
    for cmd in [
        "topics",
        "describe shop/orders",
        "tail logs/app",
        "tail shop/orders --from earliest --no-follow",
        "chan read deploy-1842",
        "chan publish jobs '{\"job\":\"mine\"}'",
        "",
    ] {
        println!("  swmq --broker {addr} {cmd}");
    }
    println!("(the last one opens the TUI) Ctrl-C stops the demo.");
    shutdown_signal().await;
    demo.shutdown().await?;
    Ok(())
}
