//! `swmq delete` (and `chan delete`): deletes a topic with all its data, after the user
//! typed its name on a terminal (or with `--yes`); `--consumed` deletes in bulk
//! ([`super::topics_bulk`]).

use std::io::{self, BufRead, Write};

use super::args::DeleteArgs;
use super::error::{CliError, CliResult, client_error};
use super::output::{Out, stdin_is_terminal};
use crate::client::{Client, TopicName};
use crate::config::Config;

/// Runs `swmq delete`.
pub(super) async fn run(cfg: &Config, a: DeleteArgs) -> CliResult {
    let Some(name) = &a.topic else {
        return super::topics_bulk::delete_consumed(cfg, &a).await;
    };
    let topic = super::parse_topic(name)?;
    let what = format!("delete {topic}");
    super::refuse_if_read_only(cfg, &what)?;
    if !a.yes {
        require_terminal(&what)?;
    }
    let client = super::connect(cfg).await?;
    if !a.yes {
        confirm(&what, &format!("topic {topic}"), &[topic.to_string()])?;
    }
    delete_topic(&client, &topic, &what).await
}

/// Refuses to go on without `--yes` when nobody can answer the question.
pub(super) fn require_terminal(what: &str) -> CliResult {
    if stdin_is_terminal() {
        return Ok(());
    }
    Err(CliError::runtime(format!(
        "{what}: refused: stdin is not a terminal, so the deletion cannot be confirmed; \
         pass --yes to delete without confirmation"
    )))
}

/// Asks on the terminal for one of `accepted` names; anything else aborts (exit 1).
pub(super) fn confirm(what: &str, label: &str, accepted: &[String]) -> CliResult {
    confirm_question(what, &format!("Delete {label} and all its data?"), accepted)
}

/// [`confirm`] with the question as given.
pub(super) fn confirm_question(what: &str, question: &str, accepted: &[String]) -> CliResult {
    eprint!(
        "{question} This cannot be undone.\nType {} to confirm: ",
        accepted[0]
    );
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::runtime(format!("{what}: reading the confirmation: {e}")))?;
    if accepted.iter().any(|a| a == answer.trim()) {
        Ok(())
    } else {
        Err(CliError::runtime(format!(
            "{what}: not confirmed (typed {:?}); nothing was deleted",
            answer.trim()
        )))
    }
}

/// Deletes and reports the outcome on stdout.
pub(super) async fn delete_topic(client: &Client, topic: &TopicName, what: &str) -> CliResult {
    let outcome = client
        .delete(topic)
        .await
        .map_err(|e| client_error(what, Some(client), e))?;
    let mut out = Out::new();
    match outcome.existed {
        Some(false) => out.line(&format!("{topic} did not exist; nothing to delete")),
        _ => out.line(&format!("deleted {topic}")),
    }
    if let Some(note) = &outcome.note {
        out.line(&format!("note: {note}"));
    }
    out.flush()
}
