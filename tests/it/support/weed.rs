//! A real SeaweedFS 4.48 (`weed server -filer -mq.broker`) for integration tests.
//!
//! One server per test binary, started on first use on free loopback ports with a fresh
//! data directory. Tests isolate themselves by namespace ([`super::unique_namespace`]).
//! The binary comes from `SWMQ_WEED`, else the project-local install
//! (`scripts/install-weed`, run here when missing). A missing or broken `weed` fails the
//! test: the tests that need it are `#[ignore = "needs weed"]`, so a plain `cargo test`
//! lists them as ignored and `scripts/test` (which installs `weed`) runs them.
//!
//! `weed`'s MQ broker listens on all interfaces (it has no bind flag); `scripts/test` runs
//! the suite in a private network namespace so that nothing is reachable from outside.
//! The server runs in its own process group; a watchdog kills that group and removes the
//! data directory as soon as the test process exits.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::free_port;

/// The pinned SeaweedFS version.
pub(crate) const WEED_VERSION: &str = "4.48";

/// A running `weed server`.
#[derive(Debug)]
pub(crate) struct Weed {
    /// Broker gRPC address, `127.0.0.1:PORT`.
    pub broker: String,
    /// Filer gRPC address.
    pub filer: String,
    /// Filer HTTP address.
    pub filer_http: String,
    /// Master HTTP address.
    pub master: String,
    /// The process group (= pid) of the server.
    pub pgid: u32,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its log file.
    pub log: PathBuf,
}

/// Finds (or installs) the `weed` binary.
pub(crate) fn weed_binary() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("SWMQ_WEED") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("SWMQ_WEED={} is not a file", p.display()))
        };
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let local = root
        .join(".tools")
        .join(format!("weed-{WEED_VERSION}"))
        .join("weed");
    if local.is_file() {
        return Ok(local);
    }
    let out = Command::new("bash")
        .arg(root.join("scripts/install-weed"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running scripts/install-weed: {e}"))?;
    if out.status.success() && local.is_file() {
        Ok(local)
    } else {
        Err(format!(
            "weed {WEED_VERSION} is not installed and scripts/install-weed failed ({})",
            out.status
        ))
    }
}

/// The shared server of this test binary, started on first use. Never `None`: a `weed`
/// that cannot be had fails the test (the `Option` stays for the callers' `let Some(w) =
/// weed() else { … }`).
pub(crate) fn weed() -> Option<&'static Weed> {
    static WEED: OnceLock<Result<Weed, String>> = OnceLock::new();
    // Started on a plain thread: callers may be inside a tokio runtime.
    let started = WEED.get_or_init(|| {
        std::thread::spawn(start)
            .join()
            .unwrap_or_else(|_| Err("starting weed panicked".into()))
    });
    match started {
        Ok(w) => Some(w),
        Err(e) => panic!("the real SeaweedFS {WEED_VERSION} is unavailable: {e}"),
    }
}

/// Like [`weed`], for tests that cannot do without it even outside CI.
pub(crate) fn require_weed() -> &'static Weed {
    weed().expect("the real SeaweedFS 4.48 is required by this test")
}

fn start() -> Result<Weed, String> {
    let w = spawn_server()?;
    wait_ready(&w).map_err(|e| {
        let tail = std::fs::read_to_string(&w.log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        format!(
            "{e}; weed log tail:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    })?;
    Ok(w)
}

impl Weed {
    /// Whether the server process is still alive.
    pub(crate) fn is_alive(&self) -> bool {
        Command::new("kill")
            .args(["-0", &self.pgid.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Kills the server's process group (for servers of one test, see [`spawn_server`]).
    pub(crate) fn kill(&self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pgid)])
            .status();
    }

    /// The server's log so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Spawns a `weed server` of its own (not the shared one) and returns at once, before it is
/// ready. The caller kills it ([`Weed::kill`]); the watchdog does if the test dies first.
pub(crate) fn spawn_server() -> Result<Weed, String> {
    spawn_server_with(|_| {})
}

/// [`spawn_server`], with `prepare` run first in the server's fresh directory (its working
/// directory: where it finds a `security.toml`).
pub(crate) fn spawn_server_with(prepare: impl FnOnce(&std::path::Path)) -> Result<Weed, String> {
    spawn_server_ports(prepare, false)
}

/// Two free ports `p` and `p + 10000`: the filer's HTTP and gRPC ports as SeaweedFS lays
/// them out by default (swmq finds the filer's HTTP port from its gRPC port that way).
fn conventional_filer_ports() -> (u16, u16) {
    loop {
        let http = free_port();
        let grpc = http + 10_000;
        let free = |ip: &str| std::net::TcpListener::bind((ip, grpc)).is_ok();
        if free("127.0.0.1") && free("0.0.0.0") {
            return (http, grpc);
        }
    }
}

/// [`spawn_server_with`]; with `conventional_filer`, the filer's gRPC port is its HTTP
/// port + 10000 (so that swmq reads log files from the filer's HTTP port; otherwise from
/// the volume servers).
pub(crate) fn spawn_server_ports(
    prepare: impl FnOnce(&std::path::Path),
    conventional_filer: bool,
) -> Result<Weed, String> {
    let bin = weed_binary()?;
    let dir = tempfile::Builder::new()
        .prefix("swmq-weed-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    prepare(&dir);
    let log = dir.join("weed.log");
    let (master, master_grpc) = (free_port(), free_port());
    let (volume, volume_grpc) = (free_port(), free_port());
    let (filer, filer_grpc) = if conventional_filer {
        conventional_filer_ports()
    } else {
        (free_port(), free_port())
    };
    let broker = free_port();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let logf = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&bin);
    cmd.args([
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-filer",
        "-mq.broker",
        &format!("-dir={}", data.display()),
        &format!("-master.port={master}"),
        &format!("-master.port.grpc={master_grpc}"),
        &format!("-volume.port={volume}"),
        &format!("-volume.port.grpc={volume_grpc}"),
        &format!("-filer.port={filer}"),
        &format!("-filer.port.grpc={filer_grpc}"),
        &format!("-mq.broker.port={broker}"),
        "-master.volumeSizeLimitMB=64",
        "-volume.max=200",
        &format!("-filer.localSocket={}", dir.join("filer.sock").display()),
    ])
    .current_dir(&dir)
    .stdin(Stdio::null())
    .stdout(logf.try_clone().map_err(|e| e.to_string())?)
    .stderr(logf);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", bin.display()))?;
    let pgid = child.id();
    spawn_watchdog(pgid, &dir);
    let w = Weed {
        broker: format!("127.0.0.1:{broker}"),
        filer: format!("127.0.0.1:{filer_grpc}"),
        filer_http: format!("127.0.0.1:{filer}"),
        master: format!("127.0.0.1:{master}"),
        pgid,
        dir,
        log,
    };
    Ok(w)
}

/// Kills the server's process group and removes its directory once this process is gone.
fn spawn_watchdog(pgid: u32, dir: &std::path::Path) {
    when_gone(&format!(
        "kill -TERM -{pgid} 2>/dev/null; sleep 1; kill -KILL -{pgid} 2>/dev/null; rm -rf '{}'",
        dir.display()
    ));
}

/// Runs the shell command `then` (in a process group of its own) once this test process
/// has exited, however it ends: how servers and directories started by tests are cleaned up.
pub(crate) fn when_gone(then: &str) {
    let me = std::process::id();
    let script = format!("while kill -0 {me} 2>/dev/null; do sleep 0.5; done; {then}");
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let _ = cmd.spawn();
}

/// Waits until the broker answers `ListTopics` and the filer answers `ListEntries`.
fn wait_ready(w: &Weed) -> Result<(), String> {
    wait_ready_with(w, &swmq::client::TlsOptions::default())
}

/// [`wait_ready`] over TLS (`tls` disabled: plaintext).
pub(crate) fn wait_ready_with(w: &Weed, tls: &swmq::client::TlsOptions) -> Result<(), String> {
    let transport = swmq::client::Transport {
        connect_timeout: Duration::from_secs(2),
        tls: tls.clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last = String::new();
    while Instant::now() < deadline {
        // 4.48 crashes (nil pointer in isLockOwner) on a ListTopics that arrives after the
        // broker listens but before it has found its balancer: wait for that first.
        let log = std::fs::read_to_string(&w.log).unwrap_or_default();
        if !log.contains("found balanacer") && !log.contains("found balancer") {
            last = "broker has not found its balancer yet".into();
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        let ok = rt.block_on(async {
            let opts = swmq::client::ConnectOptions::new(&w.broker);
            let ch = transport
                .channel(&w.broker)
                .await
                .map_err(|e| e.to_string())?;
            let p = swmq::client::detect::detect(&opts.broker, ch, Duration::from_secs(2))
                .await
                .map_err(|e| e.to_string())?;
            if p != swmq::client::Protocol::Mq {
                return Err(format!("detected {p}"));
            }
            let fch = transport
                .channel(&w.filer)
                .await
                .map_err(|e| e.to_string())?;
            filer_answers(fch).await
        });
        match ok {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!("weed did not become ready in 90 s: {last}"))
}

/// Whether the filer behind `ch` answers `ListEntries` on `/`.
pub(crate) async fn filer_answers(ch: tonic::transport::Channel) -> Result<(), String> {
    let mut filer = swmq::proto::filer::seaweed_filer_client::SeaweedFilerClient::new(ch);
    filer
        .list_entries(swmq::proto::filer::ListEntriesRequest {
            directory: "/".into(),
            limit: 1,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A 4.x client of `w` (broker and filer), failing the test if it is detected as 2.x.
pub(crate) async fn mq_client(w: &Weed) -> swmq::client::mq::MqClient {
    let mut o = swmq::client::ConnectOptions::new(&w.broker);
    o.filer = w.filer.clone();
    match swmq::client::Client::connect(&o)
        .await
        .expect("connect to weed")
    {
        swmq::client::Client::Mq(c) => c,
        swmq::client::Client::Legacy(_) => panic!("weed 4.48 detected as 2.x"),
    }
}
