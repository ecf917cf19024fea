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
use tonic::transport::Channel;

use super::tls::TlsOptions;
use super::transport::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_FILER, Transport};
use super::{Client, ClientError, legacy, mq};
use crate::proto;

// Connection building moved to `transport`; these stay importable from here.
pub use super::transport::{endpoint_uri, error_chain, open_channel};

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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
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
    /// TLS for every gRPC connection (brokers, filer); disabled: plaintext.
    pub tls: TlsOptions,
    /// HTTPS for HTTP reads (the filer's HTTP port, volume servers); `None`: plain HTTP
    /// (security.toml `[https.client] enabled = false` or absent).
    pub https: Option<TlsOptions>,
}

impl ConnectOptions {
    /// Options for `broker` with the defaults for the rest.
    pub fn new(broker: impl Into<String>) -> Self {
        ConnectOptions {
            broker: broker.into(),
            filer: DEFAULT_FILER.into(),
            protocol: ProtocolChoice::Auto,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            tls: TlsOptions::default(),
            https: None,
        }
    }

    /// How HTTP connections are made: HTTPS with the `[https.client]` settings when
    /// enabled, else plain HTTP. [`Transport::connect_io`] and
    /// [`Transport::tls_client_config`] of the result serve HTTP clients.
    pub fn http_transport(&self) -> Transport {
        Transport {
            connect_timeout: self.connect_timeout,
            tls: self.https.clone().unwrap_or_default(),
        }
    }

    /// How connections are made (timeout, TLS).
    pub fn transport(&self) -> Transport {
        Transport {
            connect_timeout: self.connect_timeout,
            tls: self.tls.clone(),
        }
    }
}

/// Connects and detects (or takes) the protocol.
pub async fn connect(opts: &ConnectOptions) -> Result<Client, ClientError> {
    let at = std::time::Instant::now();
    let transport = opts.transport();
    let channel = transport.channel(&opts.broker).await?;
    tracing::debug!("{}: channel in {:?}", opts.broker, at.elapsed());
    let protocol = match opts.protocol {
        ProtocolChoice::Mq => Protocol::Mq,
        ProtocolChoice::Legacy => Protocol::Legacy,
        ProtocolChoice::Auto => {
            match detect(&opts.broker, channel.clone(), opts.connect_timeout).await {
                Ok(p) => p,
                Err(e) => return Err(explain_failure(&transport, &opts.broker, e).await),
            }
        }
    };
    tracing::debug!("{}: {protocol} after {:?}", opts.broker, at.elapsed());
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
        return Err(status_error(addr, "FindBrokerLeader", &mq_status, timeout));
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
        Ok(Err(status)) => Err(status_error(addr, "FindBroker", &status, timeout)),
    }
}

/// A connection that a server dropped at once may have been plaintext to a TLS port, or TLS
/// with a client certificate the server refuses: ask that port, and say so instead of a
/// transport error.
async fn explain_failure(transport: &Transport, addr: &str, e: ClientError) -> ClientError {
    let dropped = matches!(
        e,
        ClientError::Connect { .. } | ClientError::NotABroker { .. }
    );
    if !dropped {
        return e;
    }
    let problem = if transport.is_tls() {
        transport.tls_refusal(addr).await
    } else if transport.speaks_tls(addr).await {
        Some(super::tls::NEEDS_TLS.to_string())
    } else {
        None
    };
    match problem {
        Some(problem) => ClientError::Tls {
            context: format!("cannot connect to {addr}"),
            problem,
        },
        None => e,
    }
}

fn status_error(addr: &str, call: &str, status: &tonic::Status, timeout: Duration) -> ClientError {
    if let Some(problem) = super::tls::status_tls_problem(status) {
        return ClientError::Tls {
            context: format!("cannot connect to {addr}"),
            problem,
        };
    }
    match status.code() {
        tonic::Code::Unavailable => ClientError::Connect {
            addr: addr.to_string(),
            cause: status.message().to_string(),
        },
        tonic::Code::DeadlineExceeded => ClientError::Timeout {
            addr: addr.to_string(),
            secs: timeout.as_secs_f64(),
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
