//! Real SeaweedFS 4.48 processes that a test stops and restarts: a whole `weed server`
//! on a fixed data directory ([`RestartableWeed`]), and a cluster of a `weed server -filer`
//! (master, volume server and filer in one process) with two `weed mq.broker`s
//! ([`Cluster`]).
//!
//! Every process binds loopback on free ports (the brokers have no bind flag:
//! `scripts/test` runs the suite in a private network namespace), runs in its own process
//! group, and is killed by a watchdog when the test process exits; the test stops what it
//! started (`Drop`). A missing `weed` fails the test (the tests are `#[ignore = "needs
//! weed"]`, see [`super::weed`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::free_port;
use super::weed::{weed_binary, when_gone};

/// The `weed` binary (never `None`: a missing one fails the test, see [`super::weed`]).
pub(crate) fn weed_or_skip() -> Option<PathBuf> {
    match weed_binary() {
        Ok(p) => Some(p),
        Err(e) => panic!("the real SeaweedFS is unavailable: {e}"),
    }
}

/// One `weed` process (its own process group) that can be signalled and started again
/// with the same arguments, directory and log (appended).
#[derive(Debug)]
pub(crate) struct Proc {
    /// What it is (for messages).
    pub name: String,
    bin: PathBuf,
    args: Vec<String>,
    cwd: PathBuf,
    /// Its log file (all runs).
    pub log: PathBuf,
    child: Mutex<Option<std::process::Child>>,
    /// The log's length when the current run started.
    log_start: Mutex<u64>,
}

impl Proc {
    /// Starts `bin args` in `cwd`, logging to `log`.
    pub(crate) fn start(name: &str, bin: &Path, args: Vec<String>, cwd: &Path, log: &Path) -> Proc {
        let p = Proc {
            name: name.to_string(),
            bin: bin.to_path_buf(),
            args,
            cwd: cwd.to_path_buf(),
            log: log.to_path_buf(),
            child: Mutex::new(None),
            log_start: Mutex::new(0),
        };
        p.spawn();
        p
    }

    fn spawn(&self) {
        std::fs::create_dir_all(&self.cwd).unwrap();
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        *self.log_start.lock().unwrap() = logf.metadata().map(|m| m.len()).unwrap_or(0);
        let mut cmd = Command::new(&self.bin);
        cmd.args(&self.args)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.bin.display()));
        watchdog(child.id());
        *self.child.lock().unwrap() = Some(child);
    }

    /// The process group (= the pid of the process started last).
    pub(crate) fn pgid(&self) -> u32 {
        self.child.lock().unwrap().as_ref().map_or(0, |c| c.id())
    }

    /// Whether the process is alive (reaps it when it has exited).
    pub(crate) fn is_alive(&self) -> bool {
        match self.child.lock().unwrap().as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends `sig` (`TERM`, `KILL`, …) to the process group.
    pub(crate) fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), "--", &format!("-{}", self.pgid())])
            .status();
    }

    /// Sends `sig`, waits until the process is gone (KILL after 5 s: `weed server` does
    /// not exit on TERM within 15 s, seen); returns how long.
    pub(crate) fn stop(&self, sig: &str) -> Duration {
        let kill_after = Duration::from_secs(5);
        let t = Instant::now();
        self.signal(sig);
        while self.is_alive() {
            if t.elapsed() > kill_after {
                self.signal("KILL");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        t.elapsed()
    }

    /// Starts it again (same arguments, directory and ports).
    pub(crate) fn restart(&self) {
        assert!(!self.is_alive(), "{} is still running", self.name);
        self.spawn();
    }

    /// The log of the current run.
    pub(crate) fn run_log(&self) -> String {
        let all = std::fs::read(&self.log).unwrap_or_default();
        let start = (*self.log_start.lock().unwrap() as usize).min(all.len());
        String::from_utf8_lossy(&all[start..]).into_owned()
    }

    /// The last lines of the current run's log (for failure messages).
    pub(crate) fn log_tail(&self, n: usize) -> String {
        let log = self.run_log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Waits until the current run's log contains `what`.
    pub(crate) fn wait_log(&self, what: &str, timeout: Duration) -> Result<(), String> {
        let t = Instant::now();
        while t.elapsed() < timeout {
            if self.run_log().contains(what) {
                return Ok(());
            }
            if !self.is_alive() {
                return Err(format!("{} exited:\n{}", self.name, self.log_tail(20)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "{}: no {what:?} in its log after {timeout:?}:\n{}",
            self.name,
            self.log_tail(20)
        ))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.signal("KILL");
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.wait();
        }
    }
}

/// Kills the process group once this test process is gone.
fn watchdog(pgid: u32) {
    when_gone(&format!(
        "kill -TERM -{pgid} 2>/dev/null; sleep 1; kill -KILL -{pgid} 2>/dev/null"
    ));
}

/// A fresh directory, removed when the test process exits.
fn temp_dir(prefix: &str) -> PathBuf {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap()
        .keep();
    when_gone(&format!("sleep 2; rm -rf '{}'", dir.display()));
    dir
}

/// Waits until a 4.x broker answers `FindBrokerLeader` with a balancer and the filer
/// answers `ListEntries` (nothing else is sent to a starting broker: 4.48 crashes on a
/// `ListTopics` that comes before it has found its balancer).
pub(crate) fn wait_broker_ready(
    broker: &str,
    filer: &str,
    timeout: Duration,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    let mut last = String::new();
    while t.elapsed() < timeout {
        let r = rt.block_on(async {
            let opts = swmq::client::ConnectOptions::new(broker);
            let ch = swmq::client::detect::open_channel(broker, Duration::from_secs(2))
                .await
                .map_err(|e| e.to_string())?;
            let c = swmq::client::mq::MqClient::new(&opts, ch);
            c.probe("").await.map_err(|e| e.to_string())?;
            let fch = swmq::client::detect::open_channel(filer, Duration::from_secs(2))
                .await
                .map_err(|e| e.to_string())?;
            super::weed::filer_answers(fch).await
        });
        match r {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("{broker} not ready after {timeout:?}: {last}"))
}

/// `weed server -filer` on loopback with the data under `dir/data`; ports: master HTTP and
/// gRPC, volume HTTP and gRPC, filer HTTP and gRPC (`p[0..6]`).
fn server_args(dir: &Path, p: &[u16]) -> Vec<String> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    vec![
        "server".into(),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        "-filer".into(),
        format!("-dir={}", data.display()),
        format!("-master.port={}", p[0]),
        format!("-master.port.grpc={}", p[1]),
        format!("-volume.port={}", p[2]),
        format!("-volume.port.grpc={}", p[3]),
        format!("-filer.port={}", p[4]),
        format!("-filer.port.grpc={}", p[5]),
        "-master.volumeSizeLimitMB=64".into(),
        "-volume.max=200".into(),
        format!("-filer.localSocket={}", dir.join("filer.sock").display()),
    ]
}

/// A whole `weed server -filer -mq.broker` on fixed ports and a fixed data directory,
/// stopped and restarted by the test.
pub(crate) struct RestartableWeed {
    /// Broker gRPC address.
    pub broker: String,
    /// Filer gRPC address.
    pub filer: String,
    /// The process.
    pub proc: Proc,
}

impl RestartableWeed {
    /// Starts one and waits until it is ready; `None` when `weed` is missing (outside CI).
    pub(crate) fn start() -> Option<RestartableWeed> {
        let bin = weed_or_skip()?;
        let dir = temp_dir("swmq-weedrs-");
        let p: Vec<u16> = (0..7).map(|_| free_port()).collect();
        let mut args = server_args(&dir, &p);
        args.insert(4, "-mq.broker".into());
        args.push(format!("-mq.broker.port={}", p[6]));
        let proc = Proc::start("weed server", &bin, args, &dir, &dir.join("weed.log"));
        let w = RestartableWeed {
            broker: format!("127.0.0.1:{}", p[6]),
            filer: format!("127.0.0.1:{}", p[5]),
            proc,
        };
        w.wait_ready().unwrap();
        Some(w)
    }

    /// Waits until the (re)started server is ready.
    pub(crate) fn wait_ready(&self) -> Result<(), String> {
        self.proc.wait_log("found balan", Duration::from_secs(90))?;
        wait_broker_ready(&self.broker, &self.filer, Duration::from_secs(60))
    }
}

/// A cluster: `weed server -filer` (master, volume, filer) and two `weed mq.broker`s.
pub(crate) struct Cluster {
    /// Master HTTP address (`host:port.grpcport` as the brokers are given it).
    pub master: String,
    /// Filer gRPC address.
    pub filer: String,
    /// Filer HTTP address.
    pub filer_http: String,
    /// The brokers' gRPC addresses.
    pub brokers: Vec<String>,
    /// The `weed server -filer` process.
    pub server: Proc,
    /// The broker processes, in `brokers` order.
    pub broker_procs: Vec<Proc>,
}

impl Cluster {
    /// Starts the cluster and waits until both brokers have found the balancer; `None`
    /// when `weed` is missing (outside CI).
    pub(crate) fn start() -> Option<Cluster> {
        let bin = weed_or_skip()?;
        let dir = temp_dir("swmq-cluster-");
        let p: Vec<u16> = (0..6).map(|_| free_port()).collect();
        let args = server_args(&dir, &p);
        let server = Proc::start(
            "weed server -filer",
            &bin,
            args,
            &dir,
            &dir.join("server.log"),
        );
        let master = format!("127.0.0.1:{}.{}", p[0], p[1]);
        let mut brokers = Vec::new();
        let mut broker_procs = Vec::new();
        for i in 0..2 {
            let port = free_port();
            let bdir = dir.join(format!("broker{i}"));
            let args = vec![
                "mq.broker".into(),
                "-ip=127.0.0.1".into(),
                format!("-port={port}"),
                format!("-master={master}"),
            ];
            let log = dir.join(format!("broker{i}.log"));
            broker_procs.push(Proc::start(&format!("broker {i}"), &bin, args, &bdir, &log));
            brokers.push(format!("127.0.0.1:{port}"));
        }
        let c = Cluster {
            master,
            filer: format!("127.0.0.1:{}", p[5]),
            filer_http: format!("127.0.0.1:{}", p[4]),
            brokers,
            server,
            broker_procs,
        };
        for i in 0..2 {
            c.wait_broker(i).unwrap();
        }
        c.wait_balancer_knows_both().unwrap();
        Some(c)
    }

    /// Waits until the balancer assigns partitions to both brokers (a broker registers
    /// with the balancer a while after it has found it): creates probe topics of 8
    /// partitions in namespace `swmqprobe` until one is spread over both.
    pub(crate) fn wait_balancer_knows_both(&self) -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t = Instant::now();
        let mut n = 0;
        while t.elapsed() < Duration::from_secs(60) {
            n += 1;
            let spread = rt.block_on(async {
                let c = self.client(0).await;
                let topic = swmq::client::TopicName::new("swmqprobe", &format!("p{n}")).unwrap();
                c.create_topic(&topic, 8).await.map_err(|e| e.to_string())?;
                let parts = c.partitions(&topic).await.map_err(|e| e.to_string())?;
                let leaders: std::collections::BTreeSet<String> =
                    parts.into_iter().map(|p| p.leader).collect();
                Ok::<bool, String>(self.brokers.iter().all(|b| leaders.contains(b)))
            });
            match spread {
                Ok(true) => return Ok(()),
                Ok(false) => std::thread::sleep(Duration::from_millis(500)),
                Err(e) => return Err(e),
            }
        }
        Err("the balancer never spread a topic over both brokers in 60 s".into())
    }

    /// Waits until broker `i` (started or restarted) is ready.
    pub(crate) fn wait_broker(&self, i: usize) -> Result<(), String> {
        self.broker_procs[i].wait_log("found balan", Duration::from_secs(90))?;
        wait_broker_ready(&self.brokers[i], &self.filer, Duration::from_secs(60))
    }

    /// The balancer's index (`FindBrokerLeader` through broker 0).
    pub(crate) async fn balancer(&self) -> usize {
        let c = self.client(0).await;
        let st = c.status().await.expect("status");
        let b = st.balancer.expect("a balancer");
        self.brokers
            .iter()
            .position(|a| *a == b)
            .unwrap_or_else(|| panic!("balancer {b} is none of {:?}", self.brokers))
    }

    /// A 4.x client connected to broker `i` (with the filer).
    pub(crate) async fn client(&self, i: usize) -> swmq::client::mq::MqClient {
        let mut o = swmq::client::ConnectOptions::new(&self.brokers[i]);
        o.filer = self.filer.clone();
        o.protocol = swmq::client::ProtocolChoice::Mq;
        match swmq::client::Client::connect(&o).await.expect("connect") {
            swmq::client::Client::Mq(c) => c,
            swmq::client::Client::Legacy(_) => unreachable!(),
        }
    }

    /// Fails the test if a broker died (swmq must never crash one).
    pub(crate) fn assert_brokers_alive(&self) {
        for p in &self.broker_procs {
            assert!(p.is_alive(), "{} died:\n{}", p.name, p.log_tail(30));
        }
    }
}
