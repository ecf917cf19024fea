//! Output plumbing: a buffered, locked stdout that ends quietly on a closed pipe, the
//! terminal checks, and the progress bar on stderr.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::error::{CliResult, output_error};

/// Stdout, locked once, written in batches from an in-memory buffer.
pub(crate) struct Out {
    lock: io::StdoutLock<'static>,
    /// The pending bytes; commands append to it and call [`Out::flush_if`] / [`Out::flush`].
    pub buf: Vec<u8>,
    tty: bool,
}

/// Bytes buffered before a write when not flushing per batch.
pub(crate) const FLUSH_AT: usize = 256 * 1024;

impl Out {
    /// Locks stdout.
    pub(crate) fn new() -> Self {
        let stdout = io::stdout();
        let tty = stdout.is_terminal();
        Out {
            lock: stdout.lock(),
            buf: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            tty,
        }
    }

    /// Whether stdout is a terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        self.tty
    }

    /// Appends a line.
    pub(crate) fn line(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'\n');
    }

    /// Writes the buffer out when it holds at least `threshold` bytes.
    pub(crate) fn flush_if(&mut self, threshold: usize) -> CliResult {
        if self.buf.len() >= threshold.max(1) {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffer out and flushes stdout. A closed pipe is [`super::CliError::PipeClosed`].
    pub(crate) fn flush(&mut self) -> CliResult {
        if !self.buf.is_empty() {
            self.lock.write_all(&self.buf).map_err(output_error)?;
            self.buf.clear();
        }
        self.lock.flush().map_err(output_error)
    }
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

/// Whether stdin is a terminal.
pub(crate) fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Whether stderr is a terminal (progress bars and prompts go there).
pub(crate) fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// A progress bar on stderr when stderr is a terminal; a hidden one otherwise.
/// `len` is the total (records or bytes, per `bytes`).
pub(crate) fn progress(len: Option<u64>, bytes: bool, what: &str) -> ProgressBar {
    if !stderr_is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    pb.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
    let template = match (len.is_some(), bytes) {
        (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        (true, false) => "{msg} [{bar:30}] {human_pos}/{human_len} eta {eta}",
        (false, true) => "{msg} {bytes} {bytes_per_sec}",
        (false, false) => "{msg} {human_pos}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Resolves once stdout is a pipe whose reader has gone away (`| head` after its last line),
/// even while nothing is being written; never resolves when that cannot be watched
/// (a file, `/dev/null`, a non-Unix system).
pub(crate) async fn stdout_closed() {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use tokio::io::Interest;
        use tokio::io::unix::AsyncFd;
        // Only a pipe (or socket) reports its reader's departure as an error condition.
        if !io::stdout().is_terminal()
            && let Ok(fd) = io::stdout().as_fd().try_clone_to_owned()
            // SAFETY: the AsyncFd owns this duplicate of stdout, which stays open and refers
            // to the same file description until the AsyncFd is dropped.
            && let Ok(afd) = unsafe { AsyncFd::register_with_interest(fd, Interest::ERROR) }
            && let Ok(mut guard) = afd.ready(Interest::ERROR).await
        {
            guard.retain_ready();
            return;
        }
    }
    std::future::pending::<()>().await
}
