//! Connecting, and telling a 4.x broker from a 2.x one.
//!
//! Both generations live under `/messaging_pb.SeaweedMessaging/`. A 4.x broker answers the
//! 4.x-only calls (`ListTopics`, `FindBrokerLeader`); a 2.x broker answers `FindBroker` and
//! says `UNIMPLEMENTED` to them. Detection asks `FindBrokerLeader` rather than
//! `ListTopics`: a 4.48 broker that is still looking for its balancer (its first seconds)
//! crashes on `ListTopics` (nil pointer in `isLockOwner`), while `FindBrokerLeader` is
//! answered safely from the first moment. An inspector must never take a broker down.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use tonic::transport::{Channel, Endpoint};

use super::{Client, ClientError, legacy, mq};
use crate::proto;

/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A protocol generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// SeaweedFS MQ 4.x.
    Mq,
    /// SeaweedFS messaging 2.x.
    Legacy,
}

impl Protocol {
    /// A human description: `SeaweedFS MQ 4.x` / `SeaweedFS messaging 2.x`.
    pub fn describe(self) -> &'static str {
        match self {
            Protocol::Mq => "SeaweedFS MQ 4.x",
            Protocol::Legacy => "SeaweedFS messaging 2.x",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Mq => "mq",
            Protocol::Legacy => "legacy",
        })
    }
}

/// `--protocol auto|mq|legacy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProtocolChoice {
    /// Ask the broker.
    #[default]
    Auto,
    /// SeaweedFS MQ 4.x.
    Mq,
    /// SeaweedFS messaging 2.x.
    Legacy,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Broker `HOST:PORT`.
    pub broker: String,
    /// Filer gRPC `HOST:PORT`.
    pub filer: String,
    /// Forced protocol, or auto-detection.
    pub protocol: ProtocolChoice,
    /// Connect (and detection) timeout.
    pub connect_timeout: Duration,
}

impl ConnectOptions {
    /// Options for `broker` with the defaults for the rest.
    pub fn new(broker: impl Into<String>) -> Self {
        ConnectOptions {
            broker: broker.into(),
            filer: "localhost:18888".into(),
            protocol: ProtocolChoice::Auto,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// Strips a scheme and builds an `http://` endpoint URI for `addr`.
pub fn endpoint_uri(addr: &str) -> String {
    let a = addr
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("grpc://");
    format!("http://{a}")
}

/// A channel to `addr`, connected now (so that a dead address fails here with a clear
/// error) with the given connect timeout. Reconnects by itself afterwards.
pub async fn open_channel(addr: &str, timeout: Duration) -> Result<Channel, ClientError> {
    let ep = Endpoint::from_shared(endpoint_uri(addr))
        .map_err(|e| ClientError::invalid("address", format!("{addr:?}: {e}")))?
        .connect_timeout(timeout)
        .tcp_nodelay(true)
        // No adaptive window: its BDP pings make grpc-go servers (weed 4.48) answer
        // GOAWAY ENHANCE_YOUR_CALM "too_many_pings" during a fast publish (seen).
        // Large fixed windows: h2 (0.4.19+) closes a connection with GOAWAY
        // ENHANCE_YOUR_CALM "too_many_data_frames" when unread small DATA frames exceed a
        // budget of half the connection window, and weed 4.48 sends one small frame per
        // message (and per ack). 32 MiB gives a 16 MiB budget: no trip while a slower
        // consumer (a debug build, a paused terminal) falls behind.
        .initial_stream_window_size(Some(8 << 20))
        .initial_connection_window_size(Some(32 << 20));
    match tokio::time::timeout(timeout, ep.connect()).await {
        Err(_) => Err(ClientError::Timeout {
            addr: addr.to_string(),
            secs: timeout.as_secs_f64(),
        }),
        Ok(Err(e)) => Err(connect_error(addr, timeout, &e)),
        Ok(Ok(ch)) => Ok(ch),
    }
}

fn connect_error(addr: &str, timeout: Duration, e: &tonic::transport::Error) -> ClientError {
    let cause = error_chain(e);
    if cause.contains("timed out") {
        ClientError::Timeout {
            addr: addr.to_string(),
            secs: timeout.as_secs_f64(),
        }
    } else {
        ClientError::Connect {
            addr: addr.to_string(),
            cause,
        }
    }
}

/// The innermost meaningful message of an error chain (`connection refused`, …).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msgs = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        msgs.push(s.to_string());
        cur = s.source();
    }
    msgs.dedup();
    msgs.last().cloned().unwrap_or_default()
}

/// Connects and detects (or takes) the protocol.
pub async fn connect(opts: &ConnectOptions) -> Result<Client, ClientError> {
    let channel = open_channel(&opts.broker, opts.connect_timeout).await?;
    let protocol = match opts.protocol {
        ProtocolChoice::Mq => Protocol::Mq,
        ProtocolChoice::Legacy => Protocol::Legacy,
        ProtocolChoice::Auto => detect(&opts.broker, channel.clone(), opts.connect_timeout).await?,
    };
    Ok(match protocol {
        Protocol::Mq => Client::Mq(mq::MqClient::new(opts, channel)),
        Protocol::Legacy => Client::Legacy(legacy::LegacyClient::new(opts, channel)),
    })
}

/// Asks the broker which generation it is.
pub async fn detect(
    addr: &str,
    channel: Channel,
    timeout: Duration,
) -> Result<Protocol, ClientError> {
    let timed_out = || ClientError::Timeout {
        addr: addr.to_string(),
        secs: timeout.as_secs_f64(),
    };
    let mut mq_client =
        proto::mq::messaging_pb::seaweed_messaging_client::SeaweedMessagingClient::new(
            channel.clone(),
        );
    let req = tonic::Request::new(proto::mq::messaging_pb::FindBrokerLeaderRequest {
        filer_group: String::new(),
    });
    let mq_status = match tokio::time::timeout(timeout, mq_client.find_broker_leader(req)).await {
        Err(_) => return Err(timed_out()),
        Ok(Ok(_)) => return Ok(Protocol::Mq),
        Ok(Err(status)) => status,
    };
    if mq_status.code() != tonic::Code::Unimplemented {
        return Err(status_error(addr, "FindBrokerLeader", &mq_status));
    }
    let mut v2_client = proto::v2::seaweed_messaging_client::SeaweedMessagingClient::new(channel);
    let req = tonic::Request::new(proto::v2::FindBrokerRequest {
        namespace: "chan".into(),
        topic: "swmq-probe".into(),
        parition: 0,
    });
    match tokio::time::timeout(timeout, v2_client.find_broker(req)).await {
        Err(_) => Err(timed_out()),
        Ok(Ok(_)) => Ok(Protocol::Legacy),
        Ok(Err(status)) => Err(status_error(addr, "FindBroker", &status)),
    }
}

fn status_error(addr: &str, call: &str, status: &tonic::Status) -> ClientError {
    match status.code() {
        tonic::Code::Unavailable => ClientError::Connect {
            addr: addr.to_string(),
            cause: status.message().to_string(),
        },
        tonic::Code::DeadlineExceeded => ClientError::Timeout {
            addr: addr.to_string(),
            secs: DEFAULT_CONNECT_TIMEOUT.as_secs_f64(),
        },
        code => ClientError::NotABroker {
            addr: addr.to_string(),
            detail: format!(
                "{call} answered {code:?}: {}",
                status.message().lines().next().unwrap_or("")
            ),
        },
    }
}
