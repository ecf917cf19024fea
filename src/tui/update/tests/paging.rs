//! Paging back before the first loaded record (issue 13.3).

use super::*;

fn earlier(m: &mut Model, req: u64, from: i64, to: i64, done: bool) -> Vec<Effect> {
    let records = (from..to).map(|i| rec(i, &format!("e{}", -i))).collect();
    update(
        m,
        ev(WorkerEvent::Earlier {
            req,
            result: Ok((records, done)),
        }),
    )
}

fn read_before(cmds: &[Effect]) -> (u64, i64, i64) {
    match cmds {
        [
            Effect::Worker(WorkerCmd::ReadBefore {
                req,
                before_ns,
                floor_ns,
                ..
            }),
        ] => (*req, *before_ns, *floor_ns),
        other => panic!("{other:?}"),
    }
}

#[test]
fn moving_up_past_the_first_record_pages_earlier_ones_in_without_losing_the_position() {
    let mut m = tailing();
    update(&mut m, chr('g')); // the first loaded record (v0 is "needle 0")
    assert_eq!(sel_value(&m), "needle 0");
    let (req, before, floor) = read_before(&update(&mut m, chr('k')));
    assert_eq!(before, rec(0, "").ts_ns);
    assert_eq!(floor, NOW - 3600 * SEC);
    // A second k while the page is in flight asks nothing more.
    assert!(update(&mut m, chr('k')).is_empty());
    earlier(&mut m, req, -10, 0, false);
    assert_eq!(m.tail.live.len(), 60);
    // The key moved on up by one past the old first record.
    assert_eq!(sel_value(&m), "e1");
    // Stale answers are dropped.
    earlier(&mut m, req, -20, -10, false);
    assert_eq!(m.tail.live.len(), 60);
    // Paging again; then the topic's beginning: no more requests.
    update(&mut m, chr('g'));
    let (req, before, _) = read_before(&update(&mut m, key(KeyCode::PageUp)));
    assert_eq!(before, rec(-10, "").ts_ns);
    earlier(&mut m, req, -12, -10, true);
    assert!(m.tail.at_beginning);
    assert_eq!(sel_value(&m), "e12", "PageUp went as far as it could");
    assert!(update(&mut m, chr('k')).is_empty());
    assert!(m.status.as_ref().unwrap().text.contains("first message"));
}

#[test]
fn paging_back_in_scrub_mode_keeps_reading_forward_and_a_new_subscription_forgets_it() {
    let mut m = tailing();
    update(&mut m, key(KeyCode::Left)); // scrub: cancels, re-subscribes after the debounce
    update(&mut m, Msg::Tick(NOW + DEBOUNCE_NS + 1));
    let id = m.tail.sub.unwrap();
    let records = (40..45).map(|i| rec(i, &format!("v{i}"))).collect();
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    assert_eq!(sel_value(&m), "v40");
    let (req, ..) = read_before(&update(&mut m, chr('k')));
    earlier(&mut m, req, 30, 40, false);
    assert_eq!(sel_value(&m), "e-39");
    // The subscription from the cursor still delivers after the page.
    let records = (45..47).map(|i| rec(i, &format!("v{i}"))).collect();
    update(&mut m, ev(WorkerEvent::Records { id, records }));
    assert_eq!(m.tail.live.len(), 17);
    // A failed page says why.
    update(&mut m, chr('g'));
    let (req, ..) = read_before(&update(&mut m, chr('k')));
    update(
        &mut m,
        ev(WorkerEvent::Earlier {
            req,
            result: Err("broker unavailable".into()),
        }),
    );
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("broker unavailable")
    );
    // Going live again: a new subscription, nothing paged, nothing in flight.
    update(&mut m, chr('G'));
    assert!(m.tail.paging.is_none() && !m.tail.at_beginning);
}
