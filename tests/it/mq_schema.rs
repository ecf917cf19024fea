//! Schematized topics on the real SeaweedFS 4.48: a topic configured with a record type
//! (`ConfigureTopic.message_record_type`) whose values are `RecordValue`s written the way
//! the Go client's `PublishRecord` writes them (`proto.Marshal`), read back as JSON by the
//! CLI (tail text and JSON, --grep, describe) and the TUI (snapshot); `publish` encodes a
//! JSON object and refuses a misfit naming the field.
#[allow(unused_imports)] // the shared checks this binary does not run
use crate::cli_common;
use crate::support;

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use prost::Message as _;
use serde_json::{Value, json};
use swmq::client::mq::schema::record_type_of;
use swmq::client::{
    FieldType, OutMessage, ReadEvent, ReadSpec, Record, ScalarType, SchemaField, TopicName,
};
use swmq::proto::mq::schema_pb::{self, value::Kind};

use cli_common::*;

fn target() -> Option<Target> {
    let w = support::weed::weed()?;
    Some(Target {
        broker: w.broker.clone(),
        filer: w.filer.clone(),
        protocol: "mq",
    })
}

#[path = "../../src/client/mq/schema_sample.rs"]
mod sample;
use sample::*;

/// A one-partition topic with the record type (key column `id`), holding: a Go record
/// with a plain key, one whose key is a serialized `RecordValue`, and a raw text value.
async fn schematized(ns: &str) -> (TopicName, Vec<Bytes>) {
    let w = support::weed::weed().expect("weed");
    let c = support::weed::mq_client(w).await;
    let t = TopicName::new(ns, "orders").unwrap();
    c.configure_schema(&t, 1, record_type_of(&fields()), vec!["id".into()], "")
        .await
        .expect("configure the record type");
    let mut key = schema_pb::RecordValue::default();
    key.fields.insert("id".into(), v(Kind::Int64Value(2)));
    let values = vec![
        Bytes::from(go_record(1, "Lyon").encode_to_vec()),
        Bytes::from(go_record(2, "Paris").encode_to_vec()),
        Bytes::from_static(b"not a record"),
    ];
    let keys = [
        Bytes::from_static(b"order-1"),
        Bytes::from(key.encode_to_vec()),
        Bytes::from_static(b"raw"),
    ];
    let msgs = keys
        .into_iter()
        .zip(values.clone())
        .map(|(key, value)| OutMessage {
            key,
            value,
            ..Default::default()
        })
        .collect();
    c.publish(&t, msgs).await.expect("publish");
    (t, values)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn tail_shows_decoded_values_as_json_and_keeps_raw_bytes() {
    let Some(tg) = target() else { return };
    let (t, raw) = schematized(&support::unique_namespace("schtail")).await;
    let name = t.to_string();
    let recs = read_n(&tg, &name, 3).await;
    assert_eq!(recs[0]["value_json"], expected(1, "Lyon"));
    assert_eq!(recs[1]["value_json"], expected(2, "Paris"));
    assert_eq!(recs[1]["key_json"], json!({"id": 2}));
    assert_eq!(recs[0]["key"], "order-1");
    assert!(recs[0].get("key_json").is_none(), "{}", recs[0]);
    // The raw value stays lossless beside the decoded one.
    for (r, bytes) in recs.iter().zip(&raw) {
        let back = match r["value_encoding"].as_str().unwrap() {
            "base64" => base64::engine::general_purpose::STANDARD
                .decode(r["value"].as_str().unwrap())
                .unwrap(),
            _ => r["value"].as_str().unwrap().as_bytes().to_vec(),
        };
        assert_eq!(back, &bytes[..]);
    }
    // A value that is not a record: raw, with a one-line note, never dropped.
    assert_eq!(recs[2]["value"], "not a record");
    assert!(recs[2].get("value_json").is_none());
    let note = recs[2]["schema_note"].as_str().unwrap();
    assert!(
        note.starts_with("not decoded with the topic's record type"),
        "{note}"
    );

    let text = ok(
        &swmq(&tg, &["tail", &name, "--no-follow", "--from", "earliest"]).await,
        "tail text",
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains(r#""customer":{"city":"Lyon"}"#), "{text}");
    assert!(lines[1].contains(r#"{"id":2}"#), "decoded key: {text}");
    assert!(lines[2].contains("not a record  [not decoded"), "{text}");

    // --grep matches the decoded text (the protobuf bytes hold no `"city":"Paris"`).
    let hits = read_all(&tg, &name, &["--grep", r#""city":"Paris""#, "-F"]).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["value_json"]["id"], 2);
    let hits = read_all(&tg, &name, &["--grep", r#""amount":"-123\.45""#]).await;
    assert_eq!(hits.len(), 2);

    // `tail --format json | publish --input json` copies it byte for byte (raw values).
    let copy = format!("{}/copy", t.namespace);
    let lines = ok(
        &swmq(
            &tg,
            &[
                "tail",
                &name,
                "--no-follow",
                "--from",
                "earliest",
                "--format",
                "json",
            ],
        )
        .await,
        "tail json",
    );
    ok(
        &swmq_in(
            &tg,
            &["publish", &copy, "--input", "json", "--partitions", "1"],
            Some(lines.into_bytes()),
        )
        .await,
        "publish --input json",
    );
    let copied = read_n(&tg, &copy, 3).await;
    for (a, b) in copied.iter().zip(&recs) {
        assert_eq!((&a["key"], &a["value"]), (&b["key"], &b["value"]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn tui_publish_encodes_json_and_refuses_a_misfit() {
    let Some(w) = support::weed::weed() else {
        return;
    };
    let (t, _) = schematized(&support::unique_namespace("schtuipub")).await;
    let c = swmq::client::Client::Mq(support::weed::mq_client(w).await);
    let msg = |v: &str| OutMessage {
        value: Bytes::from(v.to_string()),
        ..Default::default()
    };
    let e = c
        .publish_schematized(&t, vec![msg(r#"{"id":1}"#), msg(r#"{"id":1.5}"#)])
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value 2: field id: expected INT64 (an integer of 64 bits), got 1.5"
    );
    c.publish_schematized(&t, vec![msg(&expected(9, "Lille").to_string())])
        .await
        .unwrap();
    let recs = read_records(&t, 4).await;
    assert_eq!(recs[3].value_json(), Some(&expected(9, "Lille")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn describe_shows_the_schema_table_and_json() {
    let Some(tg) = target() else { return };
    let (t, _) = schematized(&support::unique_namespace("schdesc")).await;
    let name = t.to_string();
    let out = ok(&swmq(&tg, &["describe", &name]).await, "describe");
    for want in [
        "schema      13 fields, format (not set)",
        "key         id",
        "FIELD     TYPE          REQUIRED  REPEATED  KEY",
        "id        INT64         yes       -         key",
        "amount    DECIMAL       -         -         -",
        "customer  RECORD        -         -         -",
        "  city    STRING        -         -         -",
        "tags      LIST<STRING>  -         -         -",
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} missing in\n{out}");
    }
    let j = json_lines(&ok(
        &swmq(&tg, &["describe", &name, "--format", "json"]).await,
        "describe json",
    ));
    let s = &j[0]["schema"];
    assert_eq!(s["key_columns"], json!(["id"]));
    assert_eq!(s["fields"][0]["name"], "id");
    assert_eq!(s["fields"][0]["type"], json!({"scalar": "INT64"}));
    assert_eq!(s["rows"][12]["field"], "  city");
    // A topic without a record type has none.
    let plain = TopicName::new(&support::unique_namespace("schplain"), "t").unwrap();
    let pn = plain.to_string();
    ok(
        &swmq(&tg, &["publish", &pn, "--partitions", "1", "x"]).await,
        "publish plain",
    );
    let j = json_lines(&ok(
        &swmq(&tg, &["describe", &pn, "--format", "json"]).await,
        "describe plain",
    ));
    assert_eq!(j[0]["schema"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn publish_encodes_json_objects_and_refuses_misfits() {
    let Some(tg) = target() else { return };
    let (t, _) = schematized(&support::unique_namespace("schpub")).await;
    let name = t.to_string();
    let obj = expected(7, "Nantes").to_string();
    ok(
        &swmq(&tg, &["publish", &name, "-k", "k7", &obj]).await,
        "publish json",
    );
    let recs = read_n(&tg, &name, 4).await;
    assert_eq!(recs[3]["value_json"], expected(7, "Nantes"));
    // The bytes are the RecordValue the Go client would have written (map order aside).
    let raw = base64::engine::general_purpose::STANDARD
        .decode(recs[3]["value"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        schema_pb::RecordValue::decode(&raw[..]).unwrap(),
        go_record(7, "Nantes")
    );
    // Misfits are refused naming the field and the expected type; nothing is published.
    for (bad, want) in [
        (r#"{"id":"seven"}"#, "field id: expected INT64"),
        (
            r#"{"id":8,"customer":{"city":5}}"#,
            "field customer.city: expected STRING",
        ),
        (
            r#"{"id":8,"tags":"vip"}"#,
            "field tags: expected a JSON array of STRING",
        ),
        (
            r#"{"ok":true}"#,
            "field id: expected INT64 (required), got nothing",
        ),
        ("plain text", "expected a JSON object"),
    ] {
        let err = fails(&swmq(&tg, &["publish", &name, bad]).await, 1, bad);
        assert!(err.contains(want), "{bad}: {err}");
        assert!(err.contains("--no-schema"), "{err}");
    }
    // Text lines are encoded one by one; the bad line is named.
    let err = fails(
        &swmq_in(
            &tg,
            &["publish", &name],
            Some(b"{\"id\":9}\n{\"id\":true}\n".to_vec()),
        )
        .await,
        1,
        "stdin",
    );
    assert!(err.contains("message 2: field id: expected INT64"), "{err}");
    // --no-schema publishes the bytes as given.
    ok(
        &swmq(&tg, &["publish", &name, "--no-schema", "as is"]).await,
        "publish raw",
    );
    let recs = read_n(&tg, &name, 6).await;
    assert_eq!(recs[4]["value_json"], json!({"id": 9}));
    assert_eq!(recs[5]["value"], "as is");
    assert!(recs[5]["schema_note"].is_string());
}

/// Reads the topic's records through the client (decoded once, as the TUI's worker gets
/// them).
async fn read_records(t: &TopicName, n: usize) -> Vec<Record> {
    let w = support::weed::weed().expect("weed");
    let c = support::weed::mq_client(w).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let spec = ReadSpec {
            follow: false,
            ..Default::default()
        };
        let mut s = c.read(t, spec).await.expect("read");
        let mut out = Vec::new();
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, s.next()).await {
            if let ReadEvent::Records(r) = ev.expect("read event") {
                out.extend(r);
            }
        }
        if out.len() >= n || tokio::time::Instant::now() > deadline {
            assert_eq!(out.len(), n);
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn tui_shows_decoded_values_in_columns_and_detail() {
    use support::screens::*;
    if target().is_none() {
        return;
    }
    // A fixed name (one server per test binary, fresh data): the snapshot shows it.
    let (t, _) = schematized("schemaui").await;
    let mut records = read_records(&t, 3).await;
    assert!(records.iter().all(|r| r.decoded.is_some()));
    for (i, r) in records.iter_mut().enumerate() {
        r.ts_ns = NOW - (3 - i as i64) * SEC; // stable clock column
    }
    let mut m = connected(false);
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: "127.0.0.1:17777".into(),
        }),
    );
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Topics(vec![info(
            "schemaui/orders",
            1,
            3,
            false,
            3 * SEC,
            SEC,
        )])),
    );
    update(&mut m, key(KeyCode::Enter));
    let id = m.tail.sub.expect("tailing");
    m.tail.columns = vec!["customer.city".into(), "amount".into()];
    update(&mut m, Msg::Worker(WorkerEvent::Records { id, records }));
    update(&mut m, Msg::Worker(WorkerEvent::CaughtUp { id }));
    let screen = render(&m);
    assert!(screen.contains("Paris"), "{screen}");
    assert!(screen.contains("[raw] not a rec"), "{screen}");
    insta::assert_snapshot!("tail", screen);
    // Search matches the decoded text.
    update(&mut m, chr('/'));
    typed(&mut m, "\"city\":\"Paris\"");
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, key(KeyCode::Enter)); // the detail of the match
    let screen = render(&m);
    assert!(
        screen.contains("record decoded with the schema"),
        "{screen}"
    );
    insta::assert_snapshot!("detail", screen);
}

/// The topic inspector's Config/Schema tab (`i`, then `3`) shows the record type as the
/// same table as `describe`, from what the worker's `inspect` finds on the real broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs weed"]
async fn the_inspector_shows_the_schema_table() {
    use support::screens::*;
    use swmq::tui::inspector::Inspection;
    let Some(w) = support::weed::weed() else {
        return;
    };
    let ns = support::unique_namespace("schinsp");
    let (t, _) = schematized(&ns).await;
    let c = swmq::client::Client::Mq(support::weed::mq_client(w).await);
    let found: Inspection = swmq::tui::inspector::inspect(&c, &t, false).await.unwrap();
    let mut m = connected(false);
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Connected {
            protocol: Protocol::Mq,
            addr: w.broker.clone(),
        }),
    );
    let name = t.to_string();
    let listed = vec![info(&name, 1, 3, false, 3 * SEC, SEC)];
    update(&mut m, Msg::Worker(WorkerEvent::Topics(listed)));
    let id = update(&mut m, chr('i'))
        .iter()
        .find_map(|e| match e {
            Effect::Worker(WorkerCmd::Inspect { id, topic, .. }) if *topic == t => Some(*id),
            _ => None,
        })
        .expect("an Inspect request for the topic");
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Inspected {
            id,
            result: Ok(Box::new(found)),
        }),
    );
    update(&mut m, chr('3'));
    let screen = render(&m);
    for want in [
        "Config/Schema",
        "schema      13 fields (-), key id",
        "FIELD     TYPE          REQUIRED  REPEATED  KEY",
        "id        INT64         yes       -         key",
        "  city    STRING        -         -         -",
    ] {
        assert!(screen.contains(want), "{want:?} missing in\n{screen}");
    }
}
