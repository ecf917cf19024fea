//! Find in history: the prompt, the search in the worker (ids, stale batches dropped,
//! a new search cancels the previous), Enter lands on a result, n/N across the history.

use super::*;
use crate::tui::find::FindState;

/// Types `s` into whatever has the keyboard.
fn type_in(m: &mut Model, s: &str) {
    for c in s.chars() {
        update(m, chr(c));
    }
}

/// `F`, a pattern, Enter: returns the search's id.
fn search(m: &mut Model, pattern: &str) -> (u64, Vec<Effect>) {
    update(m, shift(KeyCode::Char('F')));
    assert!(
        matches!(m.overlay, Some(Overlay::Dialog(_))),
        "F opens the prompt"
    );
    // Ctrl-U clears the previous pattern (prefilled).
    update(
        m,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    type_in(m, pattern);
    let cmds = update(m, key(KeyCode::Enter));
    let find = cmds
        .iter()
        .find_map(|c| match c {
            Effect::Worker(WorkerCmd::Find { id, topic, query }) => {
                Some((*id, topic.clone(), query.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("a find command: {cmds:?}"));
    assert_eq!(find.1, t("demo/orders"));
    assert_eq!(find.2.pattern, pattern);
    assert!(
        matches!(m.overlay, Some(Overlay::Find)),
        "the results list opens"
    );
    (find.0, cmds)
}

fn found(id: u64, is: &[i64]) -> Msg {
    ev(WorkerEvent::Found {
        id,
        matches: is
            .iter()
            .map(|i| rec(*i, &format!("order-{i} needle")))
            .collect(),
        progress: Some(crate::client::GrepProgress {
            records: 500,
            bytes: 50_000,
            matches: is.len() as u64,
            ..Default::default()
        }),
    })
}

#[test]
fn a_new_search_cancels_the_previous_and_its_batches_are_dropped() {
    let mut m = tailing();
    let (a, _) = search(&mut m, "needle");
    update(&mut m, found(a, &[3, 9]));
    assert_eq!(m.find.results.len(), 2);
    assert_eq!(m.find.progress.records, 500);
    let (b, cmds) = search(&mut m, "order-1");
    assert!(b != a);
    assert!(
        cmds.contains(&Effect::Worker(WorkerCmd::Cancel { id: a })),
        "the running search is cancelled: {cmds:?}"
    );
    assert!(m.find.results.is_empty(), "a new search starts empty");
    // Stale: the old search's batch and end are dropped.
    update(&mut m, found(a, &[20]));
    update(
        &mut m,
        ev(WorkerEvent::FindEnded {
            id: a,
            result: Ok(true),
        }),
    );
    assert!(m.find.results.is_empty());
    assert_eq!(m.find.state, FindState::Running);
    update(&mut m, found(b, &[10, 11]));
    update(
        &mut m,
        ev(WorkerEvent::FindEnded {
            id: b,
            result: Ok(true),
        }),
    );
    assert_eq!(m.find.results.len(), 2);
    assert_eq!(m.find.state, FindState::Done { complete: true });
    assert!(
        m.find.progress_line().ends_with("2 matches, done"),
        "{}",
        m.find.progress_line()
    );
    // A finished search is not cancelled again by the next one.
    let (_, cmds) = search(&mut m, "x");
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Effect::Worker(WorkerCmd::Cancel { .. })))
    );
}

#[test]
fn a_bad_pattern_is_said_in_the_prompt_and_nothing_starts() {
    let mut m = tailing();
    update(&mut m, shift(KeyCode::Char('F')));
    type_in(&mut m, "a(b");
    let cmds = update(&mut m, key(KeyCode::Enter));
    assert!(cmds.is_empty(), "{cmds:?}");
    let Some(Overlay::Dialog(d)) = &m.overlay else {
        panic!("the prompt stays")
    };
    assert!(
        d.error.as_deref().unwrap_or("").contains("a(b"),
        "{:?}",
        d.error
    );
}

#[test]
fn enter_on_a_result_lands_on_it_with_the_match_highlighted() {
    let mut m = tailing();
    let (id, _) = search(&mut m, "needle");
    update(&mut m, found(id, &[5, 12, 30]));
    update(&mut m, key(KeyCode::Down));
    assert_eq!(m.find.sel, 1);
    update(&mut m, key(KeyCode::Enter));
    assert!(m.overlay.is_none(), "the list closes");
    assert_eq!(
        m.scrub.cursor,
        Some(rec(12, "").ts_ns),
        "cursor at the match's ns"
    );
    let l = m.scrub.landing.clone().expect("a landing");
    assert_eq!((l.ts_ns, l.partition), (rec(12, "").ts_ns, 0));
    assert_eq!(m.find.current, Some(1));
    assert_eq!(
        m.tail.search, "needle",
        "the match is highlighted in the tail"
    );
    let cmds = update(&mut m, Msg::Tick(NOW + DEBOUNCE_NS));
    let Some(Effect::Worker(WorkerCmd::Subscribe { id: sub, start, .. })) = cmds
        .iter()
        .find(|c| matches!(c, Effect::Worker(WorkerCmd::Subscribe { .. })))
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(*start, Start::At(rec(12, "").ts_ns));
    let records = (12..20)
        .map(|i| rec(i, &format!("order-{i} needle")))
        .collect();
    let cmds = update(&mut m, ev(WorkerEvent::Records { id: *sub, records }));
    assert_eq!(sel_value(&m), "order-12 needle", "the match selected");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Effect::Worker(WorkerCmd::ReadBefore { .. }))),
        "the records before it are asked for: {cmds:?}"
    );
    assert!(m.tail.shown().is_match(m.tail.sel));
    // Esc closed the list, F shows the prompt; the results stay until a new search.
    assert_eq!(m.find.results.len(), 3);
}

#[test]
fn n_and_shift_n_go_from_match_to_match_across_the_history() {
    let mut m = tailing();
    let (id, _) = search(&mut m, "needle");
    // Matches far outside the loaded records (the buffer holds 0..50).
    update(&mut m, found(id, &[-500, 5, 12, 900]));
    update(&mut m, key(KeyCode::Enter)); // the first: -500
    assert_eq!(
        m.scrub.cursor.unwrap(),
        rec(-500, "").ts_ns.max(m.history_start())
    );
    assert_eq!(m.find.current, Some(0));
    update(&mut m, chr('n'));
    assert_eq!(m.find.current, Some(1), "n: the next result");
    update(&mut m, chr('n'));
    update(&mut m, chr('n'));
    assert_eq!(
        m.find.current,
        Some(3),
        "n reaches a match beyond the loaded records"
    );
    update(&mut m, chr('n'));
    assert_eq!(m.find.current, Some(3));
    assert!(
        m.status
            .as_ref()
            .unwrap()
            .text
            .contains("no later match yet")
    );
    update(&mut m, shift(KeyCode::Char('N')));
    assert_eq!(m.find.current, Some(2), "N: the previous result");
    // A `/` search takes n/N back.
    update(&mut m, chr('/'));
    type_in(&mut m, "v1");
    update(&mut m, key(KeyCode::Enter));
    update(&mut m, chr('n'));
    assert_eq!(m.find.current, Some(2), "n is the / search's again");
}

#[test]
fn esc_closes_the_list_and_the_results_show_on_the_timeline() {
    let mut m = tailing();
    let (id, _) = search(&mut m, "needle");
    update(&mut m, found(id, &[10, 40]));
    update(&mut m, key(KeyCode::Esc));
    assert!(m.overlay.is_none());
    assert_eq!(m.find.results.len(), 2);
    let (start, stop) = m.window();
    let ticks = crate::tui::view::find::tick_columns(&m, start, stop, 100);
    assert_eq!(ticks.iter().filter(|t| **t).count(), 2);
    // Another topic tailed: no ticks.
    let mut other = m.clone();
    other.tail.topic = Some(t("demo/payments"));
    let ticks = crate::tui::view::find::tick_columns(&other, start, stop, 100);
    assert!(ticks.iter().all(|t| !t));
}
