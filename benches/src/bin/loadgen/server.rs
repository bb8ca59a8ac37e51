//! The servers under test, each run as a child process on loopback.
//!
//! A [`Server`] is started fresh for every scenario, so that one scenario's leftovers (open
//! sockets, garbage, grown tables) never weigh on the next and the memory baseline is clean.
//! The child is spawned with `kill_on_drop`, so it dies with the [`Server`] on every path,
//! errors and panics included; [`Server::stop`] asks it to exit (SIGTERM, so that a server
//! run under a profiler can write its profile), kills it if it does not, and waits for it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Which server, and how to start it.
#[derive(Clone, Debug)]
pub enum Kind {
    /// `rollcall serve` from this workspace's release build.
    Rollcall {
        /// The `rollcall` binary.
        binary: PathBuf,
    },
    /// The real deepstream 7.0.2, through its reference start script.
    Deepstream {
        /// `start.sh PORT` installs (first time) and runs it in the foreground.
        script: PathBuf,
    },
}

impl Kind {
    /// The name used in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Rollcall { .. } => "rollcall",
            Kind::Deepstream { .. } => "deepstream",
        }
    }
}

/// A running server.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    pid: u32,
}

/// How long a server may take to answer on its port (deepstream's first start installs it).
const STARTUP: Duration = Duration::from_secs(300);

/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A free loopback port, found by binding port 0 and letting it go.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts a server of `kind` on a free loopback port and waits until it accepts
    /// connections.
    pub async fn start(kind: &Kind) -> Result<Server> {
        let port = free_port()?;
        let mut command = match kind {
            Kind::Rollcall { binary } => {
                let mut command = Command::new(binary);
                command.args(["serve", "--host", "127.0.0.1", "--port"]);
                command.arg(port.to_string());
                command.args(["--log-level", "warn"]);
                command
            }
            Kind::Deepstream { script } => {
                let mut command = Command::new("bash");
                command.arg(script).arg(port.to_string());
                command
            }
        };
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", kind.name()))?;
        let pid = child.id().context("the server exited at once")?;
        // Keep reading its output so that the server never blocks on a full pipe; show it
        // with LOADGEN_VERBOSE (deepstream logs every message it fails to deliver to a client
        // that has just left, which is most of what it says during a scenario).
        let name = kind.name();
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(echo(name, stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(echo(name, stderr));
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut server = Server { child, addr, pid };
        server.wait_until_ready(kind.name()).await?;
        Ok(server)
    }

    async fn wait_until_ready(&mut self, name: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("{name} exited during startup: {status}");
            }
            if TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP {
                bail!("{name} did not open {} within {STARTUP:?}", self.addr);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its resident memory (VmRSS) in bytes, from `/proc/PID/status`.
    pub fn rss_bytes(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .context("cannot read the server's /proc status")?;
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .context("no VmRSS line")?;
        let kib: u64 = line
            .split_whitespace()
            .nth(1)
            .context("no VmRSS value")?
            .parse()?;
        Ok(kib * 1024)
    }

    /// The CPU time (user and system) the server has used so far.
    pub fn cpu_time(&self) -> Result<Duration> {
        cpu_time_of(&format!("/proc/{}/stat", self.pid))
    }

    /// Stops the server: SIGTERM, and SIGKILL if it is still there after a grace period.
    pub async fn stop(mut self) -> Result<()> {
        if let Ok(pid) = libc::pid_t::try_from(self.pid) {
            // SAFETY: kill only sends a signal, to the child this value owns and has not
            // reaped yet (so the pid cannot have been reused).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        if tokio::time::timeout(STOP_GRACE, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            self.child.wait().await?;
        }
        Ok(())
    }
}

/// Reads a server's output line by line, echoing it with `LOADGEN_VERBOSE`.
async fn echo(name: &'static str, output: impl tokio::io::AsyncRead + Unpin) {
    let verbose = std::env::var_os("LOADGEN_VERBOSE").is_some();
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if verbose {
            eprintln!("[{name}] {line}");
        }
    }
}

/// The CPU time the load generator itself has used so far.
pub fn own_cpu_time() -> Result<Duration> {
    cpu_time_of("/proc/self/stat")
}

/// `utime + stime` of a `/proc/.../stat` file.
fn cpu_time_of(path: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let after_name = stat.rsplit_once(')').context("unexpected stat format")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) are the 12th and 13th after the name.
    let ticks: u64 = fields
        .get(11..13)
        .context("unexpected stat format")?
        .iter()
        .map(|f| f.parse::<u64>())
        .sum::<Result<u64, _>>()?;
    // SAFETY: sysconf only reads a system constant.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_nanos(ticks * 1_000_000_000 / per_sec))
}
