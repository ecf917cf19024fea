mod support;
use std::time::Duration;
use swmq::client::*;
use swmq::client::mq::{MqClient, PartitionReadConfig};

async fn mq(w: &support::weed::Weed) -> MqClient {
    let mut o = ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    match Client::connect(&o).await.unwrap() { Client::Mq(c) => c, _ => panic!() }
}

async fn dump(c: &MqClient, t: &TopicName, spec: ReadSpec, cfg: PartitionReadConfig) {
    let t0 = std::time::Instant::now();
    let mut s = c.read_with(t, spec, cfg).await.unwrap();
    while let Some(ev) = s.next().await { println!("{:?} {:?}", t0.elapsed(), ev.map(|e| match e { ReadEvent::Records(r) => format!("{:?}", r.iter().map(|r| (r.partition, r.ts_ns % 100_000_000_000, r.key.clone())).collect::<Vec<_>>()), o => format!("{o:?}") })); }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explore() {
    let Some(w) = support::weed::weed() else { return };
    let c = mq(w).await;
    let ns = support::unique_namespace("ex");
    let t = TopicName::new(&ns, "t1").unwrap();
    c.create_topic(&t, 1).await.unwrap();
    let r = c.publish(&t, vec![OutMessage{key:"a".into(), value:"v".into(), ..Default::default()}; 10]).await;
    println!("publish2: {r:?}");
    let mut cfg = PartitionReadConfig::default();
    cfg.quiet = Duration::from_millis(2000);
    dump(&c, &t, ReadSpec{follow: false, ..Default::default()}, cfg).await;
    println!("---- default cfg");
    dump(&c, &t, ReadSpec{follow: false, ..Default::default()}, PartitionReadConfig::default()).await;
    let t2 = TopicName::new(&ns, "t2").unwrap();
    c.create_topic(&t2, 1).await.unwrap();
    let r = c.publish(&t2, (0..10).map(|i| OutMessage{key: if i%2==0 {"".into()} else {format!("k{i}").into()}, value:"v".into(), ..Default::default()}).collect()).await;
    println!("publish t2: {r:?}");
    println!("---- t2 slow quiet");
    dump(&c, &t2, ReadSpec{follow: false, ..Default::default()}, cfg).await;
}
