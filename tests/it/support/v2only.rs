//! A gRPC proxy that serves only `messaging_pb.SeaweedMessaging` in front of a broker: the
//! embedded broker seen as an original 2.x broker (no admin extension; `swmq.admin.v1`
//! answers `UNIMPLEMENTED`).

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::transport::Channel;

/// Forwards every call of the 2.x service to the broker behind `channel`.
#[derive(Clone)]
struct V2Only(Channel);

impl tonic::server::NamedService for V2Only {
    const NAME: &'static str = "messaging_pb.SeaweedMessaging";
}

impl Service<http::Request<Body>> for V2Only {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        let mut ch = self.0.clone();
        Box::pin(async move {
            if let Err(e) = std::future::poll_fn(|cx| ch.poll_ready(cx)).await {
                return Ok(tonic::Status::unavailable(e.to_string()).into_http());
            }
            match ch.call(req).await {
                Ok(r) => Ok(r),
                Err(e) => Ok(tonic::Status::unavailable(e.to_string()).into_http()),
            }
        })
    }
}

/// Starts the proxy on a free loopback port; returns its address.
pub(crate) async fn v2_only_proxy(broker: &str) -> String {
    let ch = swmq::client::detect::open_channel(broker, Duration::from_secs(3))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(V2Only(ch))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    addr
}
