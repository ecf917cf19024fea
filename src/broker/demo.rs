//! `swmq demo`: an embedded broker on a free loopback port, seeded with sample data from
//! `assets/demo/` (embedded in the binary) and fed by one live publisher.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use super::{BrokerConfig, BrokerError, RunningBroker};
use crate::proto::v2::seaweed_messaging_client::SeaweedMessagingClient;
use crate::proto::v2::{Message, PublishRequest, publish_request::InitMessage};

const CUSTOMERS: &str = include_str!("../../assets/demo/customers.txt");
const PRODUCTS: &str = include_str!("../../assets/demo/products.txt");
const APP_LOG: &str = include_str!("../../assets/demo/app.log");
const SENSORS: &str = include_str!("../../assets/demo/sensors.txt");
const DEPLOY: &str = include_str!("../../assets/demo/deploy.txt");

const HOUR: i64 = 3_600_000_000_000;
use crate::time::NS_PER_SEC as SEC;
/// Partitions of `shop/orders` (the 2.x `msgclient` publisher's default).
const ORDER_PARTITIONS: u64 = 4;

/// A running demo: the broker, its data directory and the live publisher.
#[derive(Debug)]
pub struct Demo {
    broker: RunningBroker,
    stop: CancellationToken,
    live: JoinHandle<()>,
    _temp: Option<tempfile::TempDir>,
    data_dir: PathBuf,
}

impl Demo {
    /// The broker's address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.broker.addr()
    }

    /// The data directory (a temporary one unless given).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Stops the live publisher, then the broker.
    pub async fn shutdown(self) -> Result<(), BrokerError> {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.live).await;
        self.broker.shutdown().await
    }
}

/// Starts the demo broker: free loopback port, a fresh temporary data directory unless
/// `data_dir` is given, sample data seeded (when the directory holds no topic yet), and a
/// live publisher writing a few messages per second.
pub async fn start_demo(data_dir: Option<PathBuf>) -> Result<Demo, BrokerError> {
    let (temp, dir) = match data_dir {
        Some(d) => (None, d),
        None => {
            let t = tempfile::Builder::new().prefix("swmq-demo-").tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let fresh = !super::names::topics_root(&dir).join("shop").exists();
    let broker = super::start(BrokerConfig::new(
        "127.0.0.1:0".parse().expect("literal address"),
        dir.clone(),
    ))
    .await?;
    let client = SeaweedMessagingClient::connect(format!("http://{}", broker.addr()))
        .await
        .map_err(|e| BrokerError::Server(format!("connecting to the demo broker: {e}")))?;
    if fresh {
        seed(&client, crate::time::now_ns()).await?;
    }
    let stop = CancellationToken::new();
    let live = tokio::spawn(live_publisher(client, stop.clone()));
    Ok(Demo {
        broker,
        stop,
        live,
        _temp: temp,
        data_dir: dir,
    })
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// Messages per minute at `t` hours ago: a baseline, two bursts and a quiet stretch.
fn rate_per_min(hours_ago: f64) -> f64 {
    let bump = |center: f64, width: f64, height: f64| {
        height * (-((hours_ago - center) / width).powi(2)).exp()
    };
    if (2.3..2.9).contains(&hours_ago) {
        return 0.0; // an outage: nothing for ~35 minutes
    }
    4.0 + bump(4.5, 0.25, 60.0) + bump(1.2, 0.15, 90.0) + bump(0.3, 0.4, 15.0)
}

/// Event times over the last six hours following [`rate_per_min`] (scaled by `scale`).
fn timeline(rng: &mut Rng, now: i64, scale: f64) -> Vec<i64> {
    let start = now - 6 * HOUR;
    let mut out = Vec::new();
    for minute in 0..(6 * 60) {
        let t0 = start + minute * 60 * SEC;
        let hours_ago = (now - t0) as f64 / HOUR as f64;
        let expected = rate_per_min(hours_ago) * scale;
        let n = expected.floor() as u64 + u64::from(rng.unit() < expected.fract());
        let mut ts: Vec<i64> = (0..n)
            .map(|_| t0 + rng.below(60 * SEC as u64) as i64)
            .collect();
        ts.sort_unstable();
        out.extend(ts);
    }
    out.retain(|&t| t < now - 60 * SEC);
    out
}

fn order(rng: &mut Rng, ts: i64, n: u64) -> Message {
    let customers = lines(CUSTOMERS);
    let products = lines(PRODUCTS);
    let c: Vec<&str> = rng.pick(&customers).split_whitespace().collect();
    let items: Vec<serde_json::Value> = (0..1 + rng.below(3))
        .map(|_| {
            let p: Vec<&str> = rng.pick(&products).split_whitespace().collect();
            serde_json::json!({"sku": p[0], "name": p[1], "qty": 1 + rng.below(3),
                "price": p[2].parse::<f64>().unwrap_or(1.0)})
        })
        .collect();
    let total: f64 = items
        .iter()
        .map(|i| i["qty"].as_f64().unwrap_or(1.0) * i["price"].as_f64().unwrap_or(0.0))
        .sum();
    let status = [
        "created",
        "created",
        "created",
        "paid",
        "shipped",
        "cancelled",
    ];
    let value = serde_json::json!({
        "order_id": format!("o-{n:06}"),
        "customer": {"id": c[0], "name": format!("{} {}", c[1], c[2]), "city": c[3], "country": c[4]},
        "items": items,
        "total": (total * 100.0).round() / 100.0,
        "currency": "EUR",
        "status": rng.pick(&status),
    });
    let source = if rng.below(3) == 0 { "mobile" } else { "web" };
    Message {
        event_time_ns: ts,
        key: c[0].to_string().into(),
        value: value.to_string().into(),
        headers: HashMap::from([
            ("content-type".to_string(), "application/json".into()),
            ("source".to_string(), source.into()),
        ]),
        is_close: false,
    }
}

fn log_line(rng: &mut Rng, ts: i64) -> Message {
    let t = rng.pick(&lines(APP_LOG));
    let line = t
        .replace("{ms}", &(1 + rng.below(900)).to_string())
        .replace("{n}", &(10_000 + rng.below(90_000)).to_string())
        .replace("{d}", &rng.below(10).to_string());
    Message {
        event_time_ns: ts,
        value: line.into(),
        ..Default::default()
    }
}

/// A 24-byte frame: magic "SW", version 1, kind, sensor id (u32), sequence (u32), value
/// (f64), battery percent (u8), flags (u8), all big-endian.
fn sensor_frame(rng: &mut Rng, ts: i64, sensor: &str, seq: u32) -> (u64, Message) {
    let f: Vec<&str> = sensor.split_whitespace().collect();
    let id: u32 = f[0].parse().unwrap_or(0);
    let base: f64 = f.get(2).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let kind = f.get(1).map_or(0, |k| k.len() as u8);
    let value = base + (rng.unit() - 0.5) * base.abs().max(1.0) * 0.1;
    let mut b = Vec::with_capacity(24);
    b.extend_from_slice(b"SW");
    b.push(1);
    b.push(kind);
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&value.to_be_bytes());
    b.push(100 - (seq % 100) as u8);
    b.push(u8::from(rng.below(50) == 0));
    b.extend_from_slice(&[0, 0]);
    let msg = Message {
        event_time_ns: ts,
        key: format!("sensor-{id}").into(),
        value: b.into(),
        headers: HashMap::from([(
            "unit".to_string(),
            bytes::Bytes::from(f.get(3).copied().unwrap_or("").to_string()),
        )]),
        is_close: false,
    };
    (u64::from(id) % 2, msg)
}

fn order_partition(key: &[u8]) -> i32 {
    (xxhash_rust::xxh64::xxh64(key, 0) % ORDER_PARTITIONS) as i32
}

type Batch = ((&'static str, &'static str, i32), Vec<Message>);

fn demo_data(now: i64) -> Vec<Batch> {
    let mut rng = Rng(1842);
    let mut by: HashMap<(&'static str, &'static str, i32), Vec<Message>> = HashMap::new();
    for (n, ts) in timeline(&mut rng, now, 1.0).into_iter().enumerate() {
        let m = order(&mut rng, ts, n as u64);
        by.entry(("shop", "orders", order_partition(&m.key)))
            .or_default()
            .push(m);
    }
    for ts in timeline(&mut rng, now, 0.8) {
        by.entry(("logs", "app", 0))
            .or_default()
            .push(log_line(&mut rng, ts));
    }
    let sensors = lines(SENSORS);
    let mut ts = now - 6 * HOUR;
    let mut seq = 0u32;
    while ts < now - 60 * SEC {
        for s in &sensors {
            let jitter = rng.below(SEC as u64) as i64;
            let (p, m) = sensor_frame(&mut rng, ts + jitter, s, seq);
            by.entry(("iot", "sensors", p as i32)).or_default().push(m);
        }
        seq += 1;
        ts += 30 * SEC;
    }
    let mut deploy: Vec<Message> = lines(DEPLOY)
        .into_iter()
        .enumerate()
        .map(|(i, l)| Message {
            event_time_ns: now - 3 * HOUR + i as i64 * 97 * SEC,
            value: l.to_string().into(),
            ..Default::default()
        })
        .collect();
    deploy.push(Message {
        event_time_ns: now - 3 * HOUR + 20 * 60 * SEC,
        is_close: true,
        ..Default::default()
    });
    by.insert(("chan", "deploy-1842", 0), deploy);
    let jobs = (0..12)
        .map(|i| Message {
            event_time_ns: now - 5 * HOUR + i * 20 * 60 * SEC,
            value: format!("{{\"job\":\"report-{i}\",\"state\":\"queued\"}}").into(),
            ..Default::default()
        })
        .collect();
    by.insert(("chan", "jobs", 0), jobs);
    for v in by.values_mut() {
        v.sort_by_key(|m| m.event_time_ns);
    }
    let mut out: Vec<Batch> = by.into_iter().collect();
    out.sort_by_key(|(k, _)| *k);
    out
}

async fn publish_batch(
    mut client: SeaweedMessagingClient<Channel>,
    (ns, topic, partition): (&str, &str, i32),
    msgs: Vec<Message>,
) -> Result<(), BrokerError> {
    let init = PublishRequest {
        init: Some(InitMessage {
            namespace: ns.into(),
            topic: topic.into(),
            partition,
        }),
        data: None,
    };
    let reqs = std::iter::once(init).chain(msgs.into_iter().map(|m| PublishRequest {
        init: None,
        data: Some(m),
    }));
    let fail = |e: tonic::Status| BrokerError::Server(format!("seeding {ns}/{topic}: {e}"));
    let mut resp = client
        .publish(tokio_stream::iter(reqs))
        .await
        .map_err(fail)?
        .into_inner();
    while resp.message().await.map_err(fail)?.is_some() {}
    Ok(())
}

async fn seed(client: &SeaweedMessagingClient<Channel>, now: i64) -> Result<(), BrokerError> {
    let tasks: Vec<_> = demo_data(now)
        .into_iter()
        .map(|(k, v)| tokio::spawn(publish_batch(client.clone(), k, v)))
        .collect();
    for t in tasks {
        t.await.map_err(|e| BrokerError::Server(e.to_string()))??;
    }
    Ok(())
}

/// `(namespace, topic, partition)` of a demo publish stream.
type Target = (&'static str, &'static str, i32);

/// Writes a few messages per second (orders, log lines, sensor frames, jobs) until stopped.
async fn live_publisher(client: SeaweedMessagingClient<Channel>, stop: CancellationToken) {
    let mut streams: HashMap<Target, mpsc::Sender<PublishRequest>> = HashMap::new();
    let mut calls = Vec::new();
    let mut rng = Rng(crate::time::now_ns() as u64);
    let sensors = lines(SENSORS);
    let mut tick = tokio::time::interval(Duration::from_millis(350));
    let mut n = 100_000u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => break,
        }
        n += 1;
        let (target, msg) = live_message(&mut rng, &sensors, n);
        if let std::collections::hash_map::Entry::Vacant(slot) = streams.entry(target) {
            let (tx, call) = open_stream(&client, target).await;
            calls.push(call);
            slot.insert(tx);
        }
        let tx = &streams[&target];
        if tx
            .send(PublishRequest {
                init: None,
                data: Some(msg),
            })
            .await
            .is_err()
        {
            streams.remove(&target);
        }
    }
    drop(streams); // ends every stream cleanly: the broker syncs them
    for c in calls {
        let _ = c.await;
    }
}

/// Where one message of the live demo goes `(namespace, topic, partition)`, and the
/// message: mostly orders and log lines, some sensor frames and jobs.
fn live_message(rng: &mut Rng, sensors: &[&'static str], n: u64) -> (Target, Message) {
    match rng.below(10) {
        0..=3 => {
            let m = order(rng, 0, n);
            (("shop", "orders", order_partition(&m.key)), m)
        }
        4..=7 => (("logs", "app", 0), log_line(rng, 0)),
        8 => {
            let s = rng.pick(sensors);
            let (p, m) = sensor_frame(rng, 0, s, n as u32);
            (
                ("iot", "sensors", p as i32),
                Message {
                    event_time_ns: 0,
                    ..m
                },
            )
        }
        _ => {
            let v = format!("{{\"job\":\"live-{n}\",\"state\":\"queued\"}}");
            (
                ("chan", "jobs", 0),
                Message {
                    value: v.into(),
                    ..Default::default()
                },
            )
        }
    }
}

/// Opens a publish stream to `target` (sending its `init`); the task drains the answers.
async fn open_stream(
    client: &SeaweedMessagingClient<Channel>,
    target: Target,
) -> (mpsc::Sender<PublishRequest>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16);
    let (ns, topic, partition) = target;
    let _ = tx
        .send(PublishRequest {
            init: Some(InitMessage {
                namespace: ns.into(),
                topic: topic.into(),
                partition,
            }),
            data: None,
        })
        .await;
    let mut c = client.clone();
    let call = tokio::spawn(async move {
        if let Ok(r) = c.publish(ReceiverStream::new(rx)).await {
            let mut r = r.into_inner();
            while let Ok(Some(_)) = r.message().await {}
        }
    });
    (tx, call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_has_shape() {
        let now = 1_800_000_000 * SEC;
        let data = demo_data(now);
        let total: usize = data.iter().map(|(_, v)| v.len()).sum();
        assert!((5_000..60_000).contains(&total), "{total}");
        let orders: Vec<&Message> = data
            .iter()
            .filter(|((ns, t, _), _)| *ns == "shop" && *t == "orders")
            .flat_map(|(_, v)| v)
            .collect();
        // A quiet stretch 2.3..2.9 hours ago, and everything in the past.
        assert!(orders.iter().all(|m| {
            let h = (now - m.event_time_ns) as f64 / HOUR as f64;
            !(2.33..2.87).contains(&h) && m.event_time_ns < now
        }));
        let v: serde_json::Value = serde_json::from_slice(&orders[0].value).unwrap();
        assert!(v["order_id"].is_string());
        assert_eq!(
            data.iter().filter(|((ns, _, _), _)| *ns == "chan").count(),
            2
        );
    }
}
