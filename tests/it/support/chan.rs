//! 2.x channels as their users work them, for the consumed-channel tests: fill one, read
//! one like the Go `msgclient.SubChannel` does (a foreign subscriber, not swmq's reader).

use swmq::proto::v2::subscriber_message::InitMessage as SubInit;
use swmq::proto::v2::subscriber_message::init_message::StartPosition;
use swmq::proto::v2::{Message, SubscriberMessage};

use super::embedded::{msg, publish, subscribe_raw};

/// A close message.
pub(crate) fn close() -> Message {
    Message {
        is_close: true,
        ..Default::default()
    }
}

/// Publishes `n` values and (when `sealed`) the close to channel `name`.
pub(crate) async fn fill(addr: &str, name: &str, n: usize, sealed: bool) {
    let mut msgs: Vec<Message> = (0..n).map(|i| msg(&format!("{name}-{i}"))).collect();
    if sealed {
        msgs.push(close());
    }
    publish(addr, "chan", name, 0, msgs).await.unwrap();
}

/// A 2.x `SubChannel`: subscribes as `id` from the start and reads `limit` values (all when
/// `None`); on the close message it answers `is_close`, as the Go client does. Returns how
/// many values it read and whether it saw the close.
pub(crate) async fn sub_channel(
    addr: &str,
    id: &str,
    name: &str,
    limit: Option<usize>,
) -> (usize, bool) {
    let mut sub = subscribe_raw(
        addr,
        SubInit {
            namespace: "chan".into(),
            topic: name.into(),
            partition: 0,
            start_position: StartPosition::Timestamp as i32,
            timestamp_ns: 0,
            subscriber_id: id.into(),
        },
    )
    .await
    .unwrap();
    let mut read = 0;
    while limit.is_none_or(|l| read < l) {
        let m = sub
            .next()
            .await
            .unwrap()
            .expect("the stream ended before the close");
        if m.is_close {
            sub.requests
                .send(SubscriberMessage {
                    is_close: true,
                    ..Default::default()
                })
                .await
                .unwrap();
            // The broker ends the stream once it has the receipt.
            assert_eq!(sub.next().await.unwrap(), None);
            return (read, true);
        }
        read += 1;
    }
    // Stops half way: drops the call, as a killed worker would.
    (read, false)
}
