//! Find in history on screen: the results list (time, partition, key, a snippet with the
//! match highlighted by the search's own matcher, the progress line) and the matches'
//! ticks on the timeline. Highlighted cells (bold + underlined without colours) are shown
//! between ⟦ and ⟧.
use crate::support;

use ratatui::style::Modifier;
use support::screens::*;
use swmq::client::GrepProgress;

/// The screen as text, the search hits marked.
fn render_marked(m: &Model) -> String {
    let mut t = Terminal::new(TestBackend::new(m.size.0, m.size.1)).unwrap();
    t.draw(|f| view(m, f)).unwrap();
    let buf = t.backend().buffer();
    let hit = Modifier::BOLD | Modifier::UNDERLINED;
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut inside = false;
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            let is_hit = c.modifier.contains(hit);
            if is_hit != inside {
                line.push(if is_hit { '⟦' } else { '⟧' });
                inside = is_hit;
            }
            line.push_str(c.symbol());
        }
        if inside {
            line.push('⟧');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Tailing demo/orders, a search for `qty":3` running with matches in and far before the
/// loaded records.
fn searching() -> (Model, u64) {
    let mut m = tailing();
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('F'), KeyModifiers::SHIFT)),
    );
    typed(&mut m, "qty\":3");
    let cmds = update(&mut m, key(KeyCode::Enter));
    let Some(Effect::Worker(WorkerCmd::Find { id, .. })) = cmds
        .iter()
        .find(|c| matches!(c, Effect::Worker(WorkerCmd::Find { .. })))
    else {
        panic!("{cmds:?}")
    };
    let id = *id;
    // qty 3: i % 5 == 2; the first ones moved back, far before the loaded records.
    let matches = [(2, 5000), (7, 2400), (12, 0), (17, 0), (22, 0), (57, 0)]
        .into_iter()
        .map(|(i, back_s)| {
            let mut r = order(i);
            r.ts_ns -= back_s * SEC;
            r
        })
        .collect();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::Found {
            id,
            matches,
            progress: Some(GrepProgress {
                records: 31_000,
                bytes: 3_720_000,
                matches: 6,
                covered_until_ns: Some(NOW - 30 * SEC),
                start_ns: Some(NOW - 7200 * SEC),
                end_ns: Some(NOW),
                total_bytes: Some(5_784_000),
            }),
        }),
    );
    (m, id)
}

#[test]
fn the_results_list_shows_matches_highlighted_and_the_progress() {
    let (m, _) = searching();
    let screen = render_marked(&m);
    assert!(screen.contains("⟦qty\":3⟧"), "{screen}");
    assert!(
        screen.contains("(64%)") && screen.contains("searching"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn the_timeline_ticks_the_matches() {
    let (mut m, id) = searching();
    update(
        &mut m,
        Msg::Worker(WorkerEvent::FindEnded {
            id,
            result: Ok(true),
        }),
    );
    update(&mut m, key(KeyCode::Esc)); // closes the list; the results stay
    let screen = render_marked(&m);
    let timeline: String = screen.lines().rev().take(6).collect::<Vec<_>>().join("\n");
    assert!(timeline.contains('⟦'), "{screen}");
    insta::assert_snapshot!(screen);
}
