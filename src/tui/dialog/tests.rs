//! Dialogs: editing fields with keys, and what a submit makes of them.

use crossterm::event::{KeyCode, KeyModifiers};

use super::*;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn type_in(d: &mut Dialog, s: &str) {
    for c in s.chars() {
        d.key(&key(KeyCode::Char(c)));
    }
}

#[test]
fn publish_builds_messages_from_fields() {
    let t = TopicName::parse("demo/orders").unwrap();
    let mut d = Dialog::publish(Some(&t), true);
    assert_eq!(d.fields[d.focus].spec.id, FieldId::Key);
    type_in(&mut d, "k1");
    d.key(&key(KeyCode::Tab));
    type_in(&mut d, "b=2");
    d.key(&KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
    type_in(&mut d, "a=1");
    d.key(&key(KeyCode::Tab));
    type_in(&mut d, "line1");
    d.key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
    type_in(&mut d, "line2");
    d.key(&key(KeyCode::Tab));
    d.key(&key(KeyCode::Backspace));
    type_in(&mut d, "x3");
    assert_eq!(d.get(FieldId::Count), "3");
    assert_eq!(d.key(&key(KeyCode::Enter)), DialogKey::Submit);
    let Ok(Submit::Publish(topic, msgs)) = d.submit(0) else {
        panic!("not a publish")
    };
    assert_eq!(topic, t);
    assert_eq!(msgs.len(), 3);
    assert_eq!(&msgs[0].key[..], b"k1");
    assert_eq!(&msgs[0].value[..], b"line1\nline2");
    assert_eq!(msgs[0].headers[0].0, "a");
    assert_eq!(&msgs[0].headers[1].1[..], b"2");
}

#[test]
fn publish_errors_name_the_field() {
    let mut d = Dialog::publish(None, true);
    type_in(&mut d, "nope");
    assert!(d.submit(0).unwrap_err().contains("NAMESPACE/TOPIC"));
    d.set(FieldId::Topic, "a/b");
    d.set(FieldId::Headers, "novalue");
    assert!(d.submit(0).unwrap_err().contains("not k=v"));
    d.set(FieldId::Headers, "");
    d.set(FieldId::Count, "0");
    assert!(d.submit(0).unwrap_err().contains("count"));
}

#[test]
fn deleting_several_requires_their_number() {
    let ts = vec![
        TopicName::channel("a").unwrap(),
        TopicName::channel("b").unwrap(),
    ];
    let mut d = Dialog::delete_many(ts.clone(), None);
    assert_eq!(d.title(), "Delete 2 topics");
    type_in(&mut d, "1");
    assert_eq!(d.submit(0), Ok(Submit::Nothing));
    d.key(&key(KeyCode::Backspace));
    type_in(&mut d, "x2");
    assert_eq!(d.get(FieldId::Confirm), "2", "digits only");
    assert_eq!(d.submit(0), Ok(Submit::DeleteMany(ts)));
}

#[test]
fn delete_requires_the_exact_name() {
    let t = TopicName::parse("chan/x").unwrap();
    let mut d = Dialog::delete(&t, None);
    type_in(&mut d, "chan/");
    assert_eq!(d.submit(0), Ok(Submit::Nothing));
    type_in(&mut d, "x");
    assert_eq!(d.submit(0), Ok(Submit::Delete(t)));
}

#[test]
fn go_to_time_is_prefilled_and_typing_replaces_the_prefill() {
    let at = 1_764_198_652_123_456_789; // 2025-11-26T23:10:52.123456789Z
    let mut d = Dialog::go_to_time(at, at, true);
    assert_eq!(d.get(FieldId::Time), "2025-11-26 23:10:52.123456789Z");
    assert!(
        d.fields[0]
            .help
            .as_ref()
            .unwrap()
            .contains("2025-11-26 16:40")
    );
    // Enter on the prefill goes exactly where the cursor is.
    assert_eq!(d.submit(at), Ok(Submit::GoTo(TimeSpec::At(at))));
    // Backspace edits the prefill; a typed character replaces an untouched one.
    d.key(&key(KeyCode::Backspace));
    assert_eq!(d.get(FieldId::Time), "2025-11-26 23:10:52.123456789");
    let mut d = Dialog::go_to_time(at, at, true);
    type_in(&mut d, "23:10");
    assert_eq!(d.get(FieldId::Time), "23:10");
    assert_eq!(
        d.submit(at),
        Ok(Submit::GoTo(TimeSpec::At(at - 52_123_456_789)))
    );
}

#[test]
fn go_to_time_parses_every_spec() {
    let mut d = Dialog::go_to_time(0, 0, true);
    type_in(&mut d, "-15m");
    assert_eq!(
        d.submit(1_000 * 60_000_000_000),
        Ok(Submit::GoTo(TimeSpec::At(985 * 60_000_000_000)))
    );
    d.set(FieldId::Time, "yesterday");
    assert!(d.submit(0).unwrap_err().contains("yesterday"));
    d.set(FieldId::Time, "earliest");
    assert_eq!(d.submit(0), Ok(Submit::GoTo(TimeSpec::Earliest)));
}

#[test]
fn editing_keys_come_from_the_table() {
    let at = 1_764_198_652_123_456_789;
    let mut d = Dialog::go_to_time(at, at, true);
    // End keeps the prefill: typing appends instead of replacing it.
    d.key(&key(KeyCode::End));
    type_in(&mut d, "x");
    assert_eq!(d.get(FieldId::Time), "2025-11-26 23:10:52.123456789Zx");
    d.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(d.get(FieldId::Time), "");
    // A multi-line field takes Alt+Enter as a new line; a one-line field ignores it.
    assert_eq!(
        d.key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT)),
        DialogKey::Ignored
    );
    assert_eq!(d.key(&key(KeyCode::Esc)), DialogKey::Cancel);
    // The yes / no question: y and n, no typing.
    let mut d = Dialog::close_channel("c1");
    assert_eq!(d.key(&key(KeyCode::Char('y'))), DialogKey::Submit);
    assert_eq!(d.key(&key(KeyCode::Char('n'))), DialogKey::Cancel);
    assert_eq!(d.key(&key(KeyCode::Tab)), DialogKey::Ignored);
    assert_eq!(d.contexts(), vec![Ctx::Confirm]);
    let p = Dialog::publish(None, true);
    assert_eq!(p.contexts(), vec![Ctx::Publish, Ctx::Form]);
}

#[test]
fn field_helps_name_their_keys_from_the_table() {
    let t = TopicName::parse("demo/orders").unwrap();
    let dialogs = [
        Dialog::publish(Some(&t), true),
        Dialog::delete(&t, None),
        Dialog::cleanup(vec![t.clone()], "1h", None),
        Dialog::go_to_time(0, 0, true),
        Dialog::columns(&[], vec!["a".into()]),
        crate::tui::find::dialog(&t, (0, 1), &Default::default(), true),
    ];
    for f in dialogs.iter().flat_map(|d| &d.fields) {
        let help = f.spec.help_text();
        assert!(!help.contains("{keys}") && !help.starts_with(':'), "{help}");
        assert_eq!(
            f.spec.help.contains("{keys}"),
            f.spec.keys.is_some(),
            "{help}"
        );
    }
    let help = |d: &Dialog, id| {
        d.fields
            .iter()
            .find(|f| f.spec.id == id)
            .unwrap()
            .spec
            .help_text()
    };
    assert_eq!(
        help(&dialogs[0], FieldId::Value),
        "Alt+Enter / Ctrl+J: new line"
    );
    assert_eq!(
        help(&dialogs[1], FieldId::Confirm),
        "Enter deletes only when it matches exactly"
    );
    assert!(help(&dialogs[5], FieldId::Case).starts_with("Space / ← →: "));
}
