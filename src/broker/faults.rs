//! Every write, fsync and truncation of the broker's segment and index files goes through
//! this module, so tests can make any of them fail at a chosen call (`ENOSPC`, `EIO`, a
//! short write that leaves part of the bytes in the file), the way a full or failing disk
//! does.
//!
//! Faults are scoped to a directory (a test's data directory), so tests running in parallel
//! in one process do not see each other's faults. With no plan installed the cost is one
//! atomic load per call.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A storage operation that can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `write_all` of bytes to a segment or index file.
    Write,
    /// `fsync` (`sync_data` / `sync_all`) of a segment, index or directory.
    Sync,
    /// Creating or truncating a file.
    Create,
}

/// How an operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `ENOSPC`: no space left on device (nothing written).
    NoSpace,
    /// `EIO`: an input/output error (nothing written).
    Eio,
    /// A write stores only this many bytes, then fails with `ENOSPC` (only for writes; for
    /// other operations it is `ENOSPC`).
    Short(usize),
}

/// Which calls fail.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Only paths under this directory are affected.
    pub root: PathBuf,
    /// The operations counted (an empty list: all of them).
    pub ops: Vec<Op>,
    /// The first failing call: 0 is the next counted call.
    pub at: u64,
    /// How many calls fail from `at` on (`u64::MAX`: until [`clear`], like a full disk).
    pub times: u64,
    /// How they fail.
    pub fault: Fault,
}

#[derive(Debug)]
struct Active {
    plan: Plan,
    calls: u64,
    fired: u64,
}

static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static PLANS: Mutex<Vec<Active>> = Mutex::new(Vec::new());

fn plans() -> MutexGuard<'static, Vec<Active>> {
    PLANS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs a plan (beside the plans already installed; each counts its own calls).
pub fn install(plan: Plan) {
    let mut p = plans();
    p.push(Active {
        plan,
        calls: 0,
        fired: 0,
    });
    ACTIVE.store(p.len(), Ordering::Release);
}

/// Removes the plans for `root` (the disk has room again); returns how many faults fired.
pub fn clear(root: &Path) -> u64 {
    let mut p = plans();
    let fired = p
        .iter()
        .filter(|a| a.plan.root == root)
        .map(|a| a.fired)
        .sum();
    p.retain(|a| a.plan.root != root);
    ACTIVE.store(p.len(), Ordering::Release);
    fired
}

/// How many counted calls were made under `root`'s plan so far.
pub fn calls(root: &Path) -> u64 {
    plans()
        .iter()
        .filter(|a| a.plan.root == root)
        .map(|a| a.calls)
        .sum()
}

/// The fault for this call, if one is planned.
fn check(op: Op, path: &Path) -> Option<Fault> {
    if ACTIVE.load(Ordering::Acquire) == 0 {
        return None;
    }
    let mut fault = None;
    for a in plans().iter_mut().filter(|a| {
        path.starts_with(&a.plan.root) && (a.plan.ops.is_empty() || a.plan.ops.contains(&op))
    }) {
        let n = a.calls;
        a.calls += 1;
        if fault.is_none() && n >= a.plan.at && n - a.plan.at < a.plan.times {
            a.fired += 1;
            fault = Some(a.plan.fault);
        }
    }
    fault
}

fn error(fault: Fault) -> io::Error {
    match fault {
        Fault::Eio => io::Error::from_raw_os_error(5),
        Fault::NoSpace | Fault::Short(_) => io::Error::from_raw_os_error(28),
    }
}

/// `write_all` to the file at `path`.
pub fn write_all(file: &mut File, path: &Path, buf: &[u8]) -> io::Result<()> {
    match check(Op::Write, path) {
        None => file.write_all(buf),
        Some(Fault::Short(n)) => {
            file.write_all(&buf[..n.min(buf.len().saturating_sub(1))])?;
            Err(error(Fault::Short(n)))
        }
        Some(f) => Err(error(f)),
    }
}

/// `sync_data` of the file at `path`.
pub fn sync_data(file: &File, path: &Path) -> io::Result<()> {
    match check(Op::Sync, path) {
        None => file.sync_data(),
        Some(f) => Err(error(f)),
    }
}

/// fsyncs a directory (makes a creation or rename in it durable).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    match check(Op::Sync, dir) {
        None => File::open(dir)?.sync_all(),
        Some(f) => Err(error(f)),
    }
}

/// Sets the length of the file at `path`.
pub fn set_len(file: &File, path: &Path, len: u64) -> io::Result<()> {
    match check(Op::Create, path) {
        None => file.set_len(len),
        Some(f) => Err(error(f)),
    }
}

/// Creates (or truncates) the file at `path` for writing.
pub fn create(path: &Path) -> io::Result<File> {
    match check(Op::Create, path) {
        None => File::create(path),
        Some(f) => Err(error(f)),
    }
}

/// Opens the file at `path` for appending, creating it when missing.
pub fn open_append(path: &Path) -> io::Result<File> {
    match check(Op::Create, path) {
        None => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path),
        Some(f) => Err(error(f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_at_the_chosen_call_under_their_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        install(Plan {
            root: dir.path().into(),
            ops: vec![Op::Write],
            at: 1,
            times: 1,
            fault: Fault::Short(3),
        });
        write_all(&mut f, &path, b"abc").unwrap();
        let err = write_all(&mut f, &path, b"defgh").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
        write_all(&mut f, &path, b"ij").unwrap();
        // Short: 3 bytes of the failed write reached the file.
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefij");
        let op = other.path().join("g");
        let mut g = File::create(&op).unwrap();
        write_all(&mut g, &op, b"x").unwrap();
        assert_eq!(clear(dir.path()), 1);
        assert_eq!(calls(dir.path()), 0);
    }
}
