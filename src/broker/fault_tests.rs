//! Fault injection into the partition's storage: random schedules of publishes, failing
//! writes / fsyncs / truncations / file creations (ENOSPC, EIO, short writes) and restarts.
//!
//! A publish here is what a `Publish` stream does: one batch, then the fsync at its end.
//! It is acknowledged when both succeed (the stream ends OK). The properties, checked after
//! every restart and at the end:
//! - every acknowledged message reads back, exactly once, in publish order;
//! - everything that reads back is a whole message that some publish sent (nothing torn,
//!   nothing invented), and no message reads back twice;
//! - recovery sets nothing acknowledged aside (quarantine files hold no acknowledged
//!   message).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;

use super::faults::{self, Fault, Op, Plan};
use super::partition::{Limits, Partition};
use super::reader::Chunk;
use crate::proto::v2::Message;

const LIMITS: Limits = Limits {
    segment_bytes: 2048,
    max_message: 64 * 1024,
};

#[derive(Debug, Clone)]
enum Step {
    /// Publish this many messages of about this many bytes each.
    Publish(usize, usize),
    /// The next matching call (after `at` more) fails `times` times.
    Fail {
        op: Option<Op>,
        at: u64,
        times: u64,
        fault: Fault,
    },
    /// The disk has room again.
    Heal,
    /// The broker stops (no graceful shutdown) and starts again.
    Restart,
}

fn op() -> impl Strategy<Value = Option<Op>> {
    prop_oneof![
        Just(None),
        Just(Some(Op::Write)),
        Just(Some(Op::Sync)),
        Just(Some(Op::Create)),
    ]
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        Just(Fault::NoSpace),
        Just(Fault::Eio),
        (1usize..600).prop_map(Fault::Short),
        Just(Fault::Delay(1)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1usize..12, 1usize..700).prop_map(|(n, size)| Step::Publish(n, size)),
        3 => (op(), 0u64..4, prop_oneof![1u64..3, Just(u64::MAX)], fault())
            .prop_map(|(op, at, times, fault)| Step::Fail { op, at, times, fault }),
        1 => Just(Step::Heal),
        1 => Just(Step::Restart),
    ]
}

/// A message whose value names it and whose size varies.
fn message(id: usize, size: usize) -> Message {
    let mut value = format!("m{id:06}-").into_bytes();
    value.resize(8 + size, b'a' + (id % 26) as u8);
    Message {
        key: format!("k{}", id % 5).into(),
        value: value.into(),
        ..Default::default()
    }
}

/// Every record of the partition, as message ids; fails on anything not sent whole.
async fn read_ids(p: &Partition, sent: &HashMap<usize, Message>) -> Result<Vec<usize>, String> {
    let mut cur = p.cursor_start();
    let mut ids = Vec::new();
    loop {
        match p.read(&mut cur, 4096).await {
            Ok(Chunk::Records(recs)) => {
                for r in recs {
                    let v = &r.message.value;
                    let id: usize = std::str::from_utf8(&v[1..7])
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| format!("a record that was never sent: {v:?}"))?;
                    if sent.get(&id).is_none_or(|m| m.value != *v) {
                        return Err(format!("record {id} is not what was sent"));
                    }
                    ids.push(id);
                }
            }
            Ok(Chunk::AtEnd { .. }) => return Ok(ids),
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}

fn check(ids: &[usize], acked: &[usize]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    if let Some(d) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(format!("message {d} reads back twice"));
    }
    let acked_read: Vec<usize> = ids.iter().copied().filter(|i| acked.contains(i)).collect();
    if acked_read != acked {
        return Err(format!(
            "acknowledged {acked:?} but read back {acked_read:?} of them"
        ));
    }
    Ok(())
}

/// Quarantined bytes must not hold an acknowledged message.
fn check_quarantine(dir: &Path, acked: &[usize]) -> Result<(), String> {
    for e in walk(dir) {
        if e.to_string_lossy().ends_with(".quarantine")
            || e.extension().is_some_and(|x| x == "damaged")
        {
            let bytes = std::fs::read(&e).unwrap_or_default();
            for id in acked {
                let needle = format!("m{id:06}-");
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    return Err(format!(
                        "acknowledged {id} was set aside in {}",
                        e.display()
                    ));
                }
            }
        }
    }
    Ok(())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn run(steps: Vec<Step>) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().to_path_buf();
    let open = || -> Result<Arc<Partition>, String> {
        Partition::open(&root, 0, LIMITS)
            .map(Arc::new)
            .map_err(|e| format!("recovery failed: {e}"))
    };
    let mut p = open()?;
    let mut sent = HashMap::new();
    let mut acked = Vec::new();
    let mut next = 0;
    for step in steps {
        match step {
            Step::Publish(n, size) => {
                let msgs: Vec<Message> = (next..next + n).map(|i| message(i, size)).collect();
                for (i, m) in (next..).zip(&msgs) {
                    sent.insert(i, m.clone());
                }
                let batch = p.append_batch(msgs).await;
                let ok = batch.error.is_none() && p.sync().await.is_ok();
                if ok {
                    acked.extend(next..next + n);
                }
                next += n;
            }
            Step::Fail {
                op,
                at,
                times,
                fault,
            } => faults::install(Plan {
                root: root.clone(),
                ops: op.into_iter().collect(),
                at,
                times,
                fault,
            }),
            Step::Heal => {
                faults::clear(&root);
            }
            Step::Restart => {
                drop(p);
                // Recovery on the failing disk may refuse to start (it cuts nothing it
                // could not set aside first); then it runs again once the disk is healed.
                p = match open() {
                    Ok(p) => p,
                    Err(_) => {
                        faults::clear(&root);
                        open()?
                    }
                };
                check(&read_ids(&p, &sent).await?, &acked)?;
            }
        }
    }
    faults::clear(&root);
    // Still readable, and still writable once the disk is healthy.
    let ids = read_ids(&p, &sent).await?;
    check(&ids, &acked)?;
    let last = message(next, 10);
    sent.insert(next, last.clone());
    let batch = p.append_batch(vec![last]).await;
    if let Some(e) = batch.error {
        return Err(format!("a healthy disk refuses writes: {e}"));
    }
    p.sync().await.map_err(|e| e.to_string())?;
    acked.push(next);
    drop(p);
    let p = open()?;
    check(&read_ids(&p, &sent).await?, &acked)?;
    check_quarantine(&root, &acked)
}

proptest! {
    #![proptest_config(super::fuzz_tests::config(64))]

    #[test]
    fn acknowledged_messages_survive_any_fault_schedule(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run(steps)).map_err(TestCaseError::fail)?;
    }
}

#[tokio::test]
async fn a_failed_cut_back_is_retried_before_the_next_write() {
    // A short write, then the truncation meant to undo it fails too: the torn bytes must
    // not be followed by later records.
    let steps = vec![
        Step::Publish(3, 50),
        Step::Fail {
            op: Some(Op::Write),
            at: 0,
            times: 1,
            fault: Fault::Short(30),
        },
        Step::Publish(2, 50),
        Step::Fail {
            op: Some(Op::Create),
            at: 0,
            times: 1,
            fault: Fault::Eio,
        },
        Step::Fail {
            op: Some(Op::Write),
            at: 0,
            times: 1,
            fault: Fault::Short(30),
        },
        Step::Publish(2, 50),
        Step::Heal,
        Step::Publish(2, 50),
        Step::Restart,
        Step::Publish(1, 5),
    ];
    run(steps).await.unwrap();
}
