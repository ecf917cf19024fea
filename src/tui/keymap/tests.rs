//! The key table's own tests: lookups, hints, labels, and the table's consistency.

use super::*;
use Action as A;
use KeyCode as C;

fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, m)
}

#[test]
fn lookup_respects_context_order() {
    let n = ev(KeyCode::Char('n'), KeyModifiers::NONE);
    assert_eq!(lookup(&n, &[Ctx::Detail]).unwrap().action, A::NextMatch);
    assert_eq!(lookup(&n, &[Ctx::Tail]).unwrap().action, A::NextMatch);
    let right = ev(KeyCode::Right, KeyModifiers::NONE);
    assert_eq!(
        lookup(&right, &[Ctx::Detail]).unwrap().action,
        A::NextRecord
    );
    let p = ev(KeyCode::Char('p'), KeyModifiers::NONE);
    assert_eq!(
        lookup(&p, &[Ctx::Tail, Ctx::Global]).unwrap().action,
        A::Publish
    );
    let sl = ev(KeyCode::Left, KeyModifiers::SHIFT);
    assert_eq!(
        lookup(&sl, &[Ctx::Timeline]).unwrap().action,
        A::ScrubBack10
    );
    let l = ev(KeyCode::Left, KeyModifiers::NONE);
    assert_eq!(lookup(&l, &[Ctx::Timeline]).unwrap().action, A::ScrubBack);
    let big_g = ev(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(lookup(&big_g, &[Ctx::Timeline]).unwrap().action, A::Live);
    let cc = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        lookup(&cc, &[Ctx::Tail, Ctx::Global]).unwrap().action,
        A::Quit
    );
    let esc = ev(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(
        lookup(&esc, &[Ctx::Browser, Ctx::Global]).unwrap().action,
        A::Back
    );
    let q = ev(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(
        lookup(&q, &[Ctx::Tail, Ctx::Timeline, Ctx::Global])
            .unwrap()
            .action,
        A::Quit
    );
    assert!(lookup(&ev(KeyCode::F(5), KeyModifiers::NONE), &[Ctx::Global]).is_none());
}

#[test]
fn read_only_removes_writing_bindings_from_hints_and_help() {
    let all: Vec<_> = hints(&[Ctx::Global], false, |_| true, |_| false)
        .into_iter()
        .map(|h| h.text)
        .collect();
    assert!(all.contains(&"publish") && all.contains(&"delete"));
    let ro: Vec<_> = hints(&[Ctx::Global], true, |_| true, |_| false)
        .into_iter()
        .map(|h| h.text)
        .collect();
    assert!(!ro.contains(&"publish") && !ro.contains(&"delete"));
    let help = help_groups(true);
    assert!(
        help.iter()
            .all(|(_, l)| l.iter().all(|(_, t)| !t.contains("publish")))
    );
}

#[test]
fn hints_carry_their_own_glyphs_and_toggle_texts() {
    let h = hints(
        &[Ctx::Tail, Ctx::Timeline],
        false,
        |_| true,
        |a| a == A::Pause,
    );
    let pause = h.iter().find(|h| h.action == A::Pause).unwrap();
    assert_eq!((pause.keys.as_str(), pause.text), ("Space", "resume"));
    let scrub = h.iter().find(|h| h.action == A::ScrubBack).unwrap();
    assert_eq!((scrub.keys.as_str(), scrub.text), ("←→", "scrub"));
    let h = hints(&[Ctx::Tail], false, |a| a != A::Pause, |_| false);
    assert!(h.iter().all(|h| h.action != A::Pause));
}

#[test]
fn esc_never_quits() {
    assert!(
        BINDINGS
            .iter()
            .filter(|b| b.action == A::Quit)
            .all(|b| !b.keys.iter().any(|k| k.0 == KeyCode::Esc))
    );
}

#[test]
fn every_binding_has_keys_and_help() {
    assert!(
        BINDINGS
            .iter()
            .all(|b| !b.keys.is_empty() && !b.help.is_empty())
    );
}

#[test]
fn labels() {
    assert_eq!(key_label(&shift(C::Left)), "S-←");
    assert_eq!(key_label(&ctrl('c')), "C-c");
    assert_eq!(key_label(&k(' ')), "Space");
    let down = BINDINGS
        .iter()
        .find(|b| b.ctx == Ctx::Tail && b.action == A::Down);
    assert_eq!(keys_label(down.unwrap()), "j/↓");
}

/// The keys a hint's glyphs stand for in `ctx`: each `/`-separated label of a key of the
/// context (`Enter`, `Tab`), else each character (`←→`, `[]`, `jk`).
fn glyph_keys(ctx: Ctx, glyphs: &str) -> Vec<Key> {
    let ctx_keys: Vec<Key> = BINDINGS
        .iter()
        .filter(|b| b.ctx == ctx)
        .flat_map(|b| b.keys.iter().copied())
        .collect();
    let mut out = Vec::new();
    for part in glyphs.split('/') {
        if let Some(key) = ctx_keys.iter().find(|k| key_label(k) == part) {
            out.push(*key);
            continue;
        }
        out.extend(part.chars().map(|c| match c {
            '←' => code(C::Left),
            '→' => code(C::Right),
            '↑' => code(C::Up),
            '↓' => code(C::Down),
            c => k(c),
        }));
    }
    out
}

#[test]
fn every_hint_shows_keys_that_reach_its_row() {
    for hb in BINDINGS.iter().filter(|b| !b.hint.is_empty()) {
        let keys = if hb.hint_keys.is_empty() {
            vec![hb.keys[0]]
        } else {
            glyph_keys(hb.ctx, hb.hint_keys)
        };
        let rows: Vec<&Binding> = keys
            .iter()
            .map(|key| {
                lookup(&ev(key.0, key.1), &[hb.ctx]).unwrap_or_else(|| {
                    panic!(
                        "{:?} {:?}: {} dispatches nothing",
                        hb.ctx,
                        hb.action,
                        key_label(key)
                    )
                })
            })
            .collect();
        assert!(
            rows.iter().any(|r| std::ptr::eq(*r, hb)),
            "{:?} {:?}: its hint keys {:?} never reach it",
            hb.ctx,
            hb.action,
            shown_keys(hb)
        );
    }
}

#[test]
fn no_two_rows_of_a_context_share_a_key() {
    for (i, a) in BINDINGS.iter().enumerate() {
        for b in BINDINGS[i + 1..].iter().filter(|b| b.ctx == a.ctx) {
            for key in b.keys {
                assert!(
                    !a.keys.iter().any(|k| matches(k, &ev(key.0, key.1))),
                    "{:?}: {} is bound to {:?} and {:?}",
                    a.ctx,
                    key_label(key),
                    a.action,
                    b.action
                );
            }
        }
    }
}

#[test]
fn footers_and_prompts_are_read_from_the_table() {
    let dots = |c: &[Ctx]| hint_text(c, false, " ", " · ");
    assert_eq!(
        dots(&[Ctx::Publish, Ctx::Form]),
        "Enter send · Tab next field · Esc cancel"
    );
    assert_eq!(
        dots(&[Ctx::Columns, Ctx::Form]),
        "Enter show · Tab complete · Esc cancel"
    );
    assert_eq!(dots(&[Ctx::GoTo, Ctx::Form]), "Enter go · Esc cancel");
    assert_eq!(dots(&[Ctx::Confirm]), "y/Enter close · n/Esc cancel");
    assert_eq!(dots(&[Ctx::Help]), "j/k scroll · Esc closes");
    assert_eq!(dots(&[Ctx::Filter]), "Enter keep · Esc clear");
    assert_eq!(dots(&[Ctx::Search]), "Enter find · Esc clear");
    assert_eq!(
        hint_text(&[Ctx::Picker], false, ": ", "  "),
        "Enter: connect  Esc: cancel"
    );
    assert_eq!(
        hint_text(&[Ctx::InspectorGroups, Ctx::Inspector], false, ": ", "  "),
        "Tab/←→: tab  j/k: group  Enter: tail at the group's position  r: refresh  Esc: close"
    );
    assert_eq!(
        hint_text(&[Ctx::InspectorText, Ctx::Inspector], false, ": ", "  "),
        "Tab/←→: tab  j/k: scroll  r: refresh  Esc: close"
    );
    assert_eq!(hint_keys(Ctx::Search, A::SwitchSyntax), "Tab");
    assert_eq!(hint_keys(Ctx::Global, A::Quit), "q");
    assert_eq!(first_key(Ctx::Timeline, A::ScrubBack), "←");
}

#[test]
fn typing_is_what_no_binding_takes() {
    assert_eq!(typed(&ev(C::Char('x'), KeyModifiers::NONE)), Some('x'));
    assert_eq!(typed(&ev(C::Char('X'), KeyModifiers::SHIFT)), Some('X'));
    assert_eq!(typed(&ev(C::Char('u'), KeyModifiers::CONTROL)), None);
    assert_eq!(typed(&ev(C::Enter, KeyModifiers::NONE)), None);
    let bs = ev(C::Backspace, KeyModifiers::NONE);
    for ctx in [Ctx::Filter, Ctx::Search, Ctx::Form] {
        assert_eq!(action_of(&bs, &[ctx]), Some(A::DeleteBack), "{ctx:?}");
    }
}
