//! The four scenarios, each against a freshly started server.
//!
//! * [`fanout`]: `W` watchers subscribed to everyone; churners log in and out at a ladder of
//!   target rates. Every login and logout is an event for every watcher. Measured per step:
//!   deliveries per second and the latency from a churner's login request to each watcher's
//!   `PRESENCE_JOIN_ALL` (the churner's user name `u-<seq>` indexes its send time).
//! * [`storm`]: `C` clients connect and log in as fast as the server lets them (a bounded
//!   number in flight); logins per second, and how long until a watcher has seen every join.
//! * [`idle`]: `N` authenticated connections that do nothing; the server's resident memory
//!   (`VmRSS`) before and after, per connection.
//! * [`get_all`]: `U` users online, a background churn, and clients asking getAll() in a
//!   closed loop; answers per second and their latency.
//!
//! Every loop is bounded in count and in time, and all traffic goes to loopback.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use hdrhistogram::Histogram;
use rollcall::protocol::PresenceAction;
use tokio::task::JoinSet;

use crate::client::{event, scan_presence, Client};
use crate::server::{own_cpu_time, Server};

/// Connection attempts in flight at once while building a population of clients, unless
/// [`set_in_flight`] says otherwise.
const IN_FLIGHT: usize = 256;

static IN_FLIGHT_NOW: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(IN_FLIGHT);

/// Sets how many connection attempts may be in flight at once.
pub fn set_in_flight(count: usize) {
    IN_FLIGHT_NOW.store(count.max(1), Ordering::Relaxed);
}

fn in_flight() -> usize {
    IN_FLIGHT_NOW.load(Ordering::Relaxed)
}

/// How often held connections send the heartbeat (both servers close a connection silent for
/// twice their 30 s interval).
const HEARTBEAT: Duration = Duration::from_secs(20);

/// A latency distribution, in microseconds.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest.
    pub max: Duration,
    /// How many samples.
    pub count: u64,
}

impl Latency {
    fn from_micros(samples: impl IntoIterator<Item = u64>) -> Result<Latency> {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
        for sample in samples {
            histogram.saturating_record(sample.max(1));
        }
        let at = |q: f64| Duration::from_micros(histogram.value_at_quantile(q));
        Ok(Latency {
            p50: at(0.50),
            p99: at(0.99),
            max: Duration::from_micros(histogram.max()),
            count: histogram.len(),
        })
    }
}

/// Connects `names.len()` clients logged in under those names, a bounded number at a time.
async fn log_in_all(addr: SocketAddr, names: Vec<String>) -> Result<Vec<Client>> {
    stream::iter(names)
        .map(|name| async move { Client::login(addr, &name).await.with_context(|| name) })
        .buffer_unordered(in_flight())
        .try_collect()
        .await
}

/// Keeps connections alive in the background: reads and ignores what arrives, sends the
/// heartbeat. Dropping the set aborts the tasks, which closes the sockets.
fn hold(clients: Vec<Client>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for mut client in clients {
        set.spawn(async move {
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            heartbeat.tick().await;
            loop {
                tokio::select! {
                    frame = client.next() => if frame.is_none() { return },
                    _ = heartbeat.tick() => if client.ping().await.is_err() { return },
                }
            }
        });
    }
    set
}

/// One churner: connect, ask to log in as `user` (noting when in `sent_at`, in nanoseconds
/// since `origin`), wait until logged in, close: one join and one leave.
async fn churn_once(
    addr: SocketAddr,
    user: String,
    origin: Instant,
    sent_at: Option<&AtomicU64>,
) -> Result<()> {
    let mut client = Client::connect(addr).await?;
    if let Some(slot) = sent_at {
        slot.store(origin.elapsed().as_nanos() as u64, Ordering::Release);
    }
    client.send_login(&user).await?;
    client.expect_logged_in().await?;
    client.close().await;
    Ok(())
}

/// The fan-out settings.
#[derive(Clone, Debug)]
pub struct FanoutConfig {
    /// Watchers subscribed to everyone.
    pub watchers: usize,
    /// Target logins per second, one step each, in order; the ladder stops at the first step
    /// the server does not sustain.
    pub rates: Vec<f64>,
    /// How long each step sends logins.
    pub step: Duration,
    /// How long to wait for the last deliveries after the last login.
    pub grace: Duration,
}

/// One step of the fan-out ladder.
#[derive(Clone, Debug)]
pub struct FanoutStep {
    /// Target logins per second.
    pub rate: f64,
    /// Logins sent (each also a logout).
    pub logins: u64,
    /// Churners that failed (connect, login).
    pub failed: u64,
    /// Deliveries the step should produce: 2 per login per watcher.
    pub expected: u64,
    /// Deliveries that arrived.
    pub delivered: u64,
    /// Offered deliveries per second: 2 x watchers x rate.
    pub offered_per_sec: f64,
    /// Deliveries per second, first login to last delivery.
    pub achieved_per_sec: f64,
    /// Login request to PRESENCE_JOIN_ALL, over every watcher.
    pub latency: Latency,
    /// Every delivery arrived, in time, at 90 % of the offered rate or better.
    pub sustained: bool,
    /// CPU time the server used during the step.
    pub server_cpu: Duration,
    /// CPU time the load generator used during the step.
    pub loadgen_cpu: Duration,
    /// The step's wall time, first login to last delivery.
    pub wall: Duration,
}

/// What one watcher saw of the current step.
#[derive(Default)]
struct Seen {
    deliveries: u64,
    last_arrival_ns: u64,
    latencies_us: Vec<u64>,
}

/// What the watchers share with the controller.
struct Board {
    origin: Instant,
    /// Send time of login `u-<seq>`, nanoseconds since `origin` (0: not sent).
    sent_at: Vec<AtomicU64>,
    /// The sequence numbers of the current step: `[first, end)`.
    first: AtomicU64,
    end: AtomicU64,
    /// One slot per watcher, each locked only by its watcher and the controller.
    seen: Vec<Mutex<Seen>>,
}

impl Board {
    fn record(&self, watcher: usize, action: i32, name: &[u8]) {
        let join_all = PresenceAction::PresenceJoinAll as i32;
        if action != join_all && action != PresenceAction::PresenceLeaveAll as i32 {
            return;
        }
        let Some(seq) = name
            .strip_prefix(b"u-")
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| digits.parse::<u64>().ok())
        else {
            return;
        };
        let first = self.first.load(Ordering::Acquire);
        let end = self.end.load(Ordering::Acquire);
        if seq < first || seq >= end {
            return; // a late delivery of an earlier step
        }
        let now = self.origin.elapsed().as_nanos() as u64;
        let mut seen = self.seen[watcher].lock().unwrap_or_else(|e| e.into_inner());
        seen.deliveries += 1;
        seen.last_arrival_ns = seen.last_arrival_ns.max(now);
        if action == join_all {
            let sent = self
                .sent_at
                .get(seq as usize)
                .map_or(0, |slot| slot.load(Ordering::Acquire));
            if sent > 0 && now >= sent {
                seen.latencies_us.push((now - sent) / 1000);
            }
        }
    }

    fn delivered(&self) -> u64 {
        self.seen
            .iter()
            .map(|seen| seen.lock().unwrap_or_else(|e| e.into_inner()).deliveries)
            .sum()
    }

    /// Takes what the watchers saw and resets their slots.
    fn take(&self) -> (u64, u64, Vec<u64>) {
        let mut deliveries = 0;
        let mut last = 0;
        let mut latencies = Vec::new();
        for seen in &self.seen {
            let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
            deliveries += seen.deliveries;
            last = last.max(seen.last_arrival_ns);
            latencies.extend(seen.latencies_us);
        }
        (deliveries, last, latencies)
    }
}

/// The fan-out ladder against `server`.
pub async fn fanout(server: &Server, config: &FanoutConfig) -> Result<Vec<FanoutStep>> {
    let addr = server.addr();
    let watchers = config.watchers;
    let names = (0..watchers).map(|i| format!("w-{i}")).collect();
    let mut clients = log_in_all(addr, names).await.context("watchers")?;
    stream::iter(clients.iter_mut())
        .map(Client::subscribe_all)
        .buffer_unordered(in_flight())
        .try_collect::<Vec<()>>()
        .await
        .context("subscribing the watchers")?;
    let total_logins: usize = config
        .rates
        .iter()
        .map(|rate| (rate * config.step.as_secs_f64()).ceil() as usize)
        .sum();
    let board = Arc::new(Board {
        origin: Instant::now(),
        sent_at: (0..total_logins).map(|_| AtomicU64::new(0)).collect(),
        first: AtomicU64::new(0),
        end: AtomicU64::new(0),
        seen: (0..watchers).map(|_| Mutex::new(Seen::default())).collect(),
    });
    let mut readers = JoinSet::new();
    for (index, mut client) in clients.into_iter().enumerate() {
        let board = board.clone();
        readers.spawn(async move {
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            heartbeat.tick().await;
            loop {
                tokio::select! {
                    frame = client.next_raw() => match frame {
                        Some(Ok(frame)) => {
                            if let Some(scan) = scan_presence(&frame) {
                                board.record(index, scan.action, scan.name);
                            }
                        }
                        _ => return,
                    },
                    _ = heartbeat.tick() => if client.ping().await.is_err() { return },
                }
            }
        });
    }

    let mut steps = Vec::new();
    let mut next_seq = 0u64;
    for &rate in &config.rates {
        let logins = (rate * config.step.as_secs_f64()).ceil() as u64;
        let first = next_seq;
        next_seq += logins;
        board.first.store(first, Ordering::Release);
        board.end.store(next_seq, Ordering::Release);
        let started_ns = board.origin.elapsed().as_nanos() as u64;
        let server_cpu_before = server.cpu_time()?;
        let own_cpu_before = own_cpu_time()?;
        let start = tokio::time::Instant::now();
        let mut churners = JoinSet::new();
        for i in 0..logins {
            tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
            let board = board.clone();
            churners.spawn(async move {
                let seq = first + i;
                let slot = board.sent_at.get(seq as usize);
                churn_once(addr, format!("u-{seq}"), board.origin, slot).await
            });
        }
        let mut failed = 0;
        while let Some(result) = churners.join_next().await {
            if !matches!(result, Ok(Ok(()))) {
                failed += 1;
            }
        }
        let expected = 2 * logins * watchers as u64;
        let deadline = tokio::time::Instant::now() + config.grace;
        while board.delivered() < expected && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (delivered, last_ns, latencies) = board.take();
        let server_cpu = server.cpu_time()?.saturating_sub(server_cpu_before);
        let loadgen_cpu = own_cpu_time()?.saturating_sub(own_cpu_before);
        let span = Duration::from_nanos(last_ns.saturating_sub(started_ns));
        let offered_per_sec = 2.0 * watchers as f64 * rate;
        let achieved_per_sec = if span.is_zero() {
            0.0
        } else {
            delivered as f64 / span.as_secs_f64()
        };
        let sustained =
            failed == 0 && delivered == expected && achieved_per_sec >= 0.9 * offered_per_sec;
        let step = FanoutStep {
            rate,
            logins,
            failed,
            expected,
            delivered,
            offered_per_sec,
            achieved_per_sec,
            latency: Latency::from_micros(latencies)?,
            sustained,
            server_cpu,
            loadgen_cpu,
            wall: span,
        };
        eprintln!(
            "  fan-out {rate} logins/s: {delivered}/{expected} delivered, {:.0}/s, p99 {:?}{}",
            step.achieved_per_sec,
            step.latency.p99,
            if sustained { "" } else { " (not sustained)" }
        );
        steps.push(step);
        if !sustained {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    readers.abort_all();
    Ok(steps)
}

/// The outcome of a connect storm.
#[derive(Clone, Debug)]
pub struct Storm {
    /// Clients that logged in.
    pub clients: usize,
    /// Connection attempts in flight at once.
    pub in_flight: usize,
    /// Logins per second, from the first connect to the last AUTH_SUCCESSFUL.
    pub logins_per_sec: f64,
    /// From the first connect until the watcher had seen every join (`None`: it never did).
    pub all_seen_after: Option<Duration>,
    /// CPU time the server used from the first connect to the last login.
    pub server_cpu: Duration,
    /// CPU time the load generator used meanwhile.
    pub loadgen_cpu: Duration,
    /// From the first connect to the last login.
    pub wall: Duration,
}

/// `clients` clients connect and log in, a bounded number at a time (256 unless set with
/// [`set_in_flight`]), while a watcher counts the joins.
pub async fn storm(server: &Server, clients: usize) -> Result<Storm> {
    let addr = server.addr();
    let mut watcher = Client::login(addr, "storm-watcher").await?;
    watcher.subscribe_all().await?;
    let cpu_before = server.cpu_time()?;
    let own_before = own_cpu_time()?;
    let start = Instant::now();
    let counter = tokio::spawn(async move {
        let mut seen = 0;
        while seen < clients {
            match tokio::time::timeout(Duration::from_secs(60), watcher.next()).await {
                Ok(Some(Ok(incoming))) => {
                    if let Some((PresenceAction::PresenceJoinAll, name)) = event(&incoming) {
                        seen += usize::from(name.starts_with("s-"));
                    }
                }
                _ => return None,
            }
        }
        Some(start.elapsed())
    });
    let names = (0..clients).map(|i| format!("s-{i}")).collect();
    let logged_in = log_in_all(addr, names).await.context("storm clients")?;
    let login_time = start.elapsed();
    let server_cpu = server.cpu_time()?.saturating_sub(cpu_before);
    let loadgen_cpu = own_cpu_time()?.saturating_sub(own_before);
    let all_seen_after = counter.await.unwrap_or(None);
    drop(logged_in);
    Ok(Storm {
        clients,
        in_flight: in_flight(),
        logins_per_sec: clients as f64 / login_time.as_secs_f64(),
        all_seen_after,
        server_cpu,
        loadgen_cpu,
        wall: login_time,
    })
}

/// The server's memory with idle authenticated connections.
#[derive(Clone, Debug)]
pub struct Idle {
    /// Connections held.
    pub connections: usize,
    /// Server RSS before, bytes.
    pub rss_before: u64,
    /// Server RSS with the connections open, bytes.
    pub rss_after: u64,
}

impl Idle {
    /// The growth per connection, bytes.
    pub fn per_connection(&self) -> f64 {
        (self.rss_after as f64 - self.rss_before as f64) / self.connections as f64
    }
}

/// Opens `connections` authenticated connections that stay silent, and reads the server's
/// RSS before and after.
pub async fn idle(server: &Server, connections: usize) -> Result<Idle> {
    let addr = server.addr();
    // One login first, so lazily built state is in the baseline.
    let warm = log_in_all(addr, vec!["idle-warmup".into()]).await?;
    drop(warm);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = server.rss_bytes()?;
    let names = (0..connections).map(|i| format!("i-{i}")).collect();
    let clients = log_in_all(addr, names).await.context("idle clients")?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = server.rss_bytes()?;
    drop(clients);
    Ok(Idle {
        connections,
        rss_before,
        rss_after,
    })
}

/// The getAll-under-load settings.
#[derive(Clone, Debug)]
pub struct GetAllConfig {
    /// Users online (idle connections).
    pub users: usize,
    /// Clients asking getAll() in a closed loop.
    pub askers: usize,
    /// Background logins (and logouts) per second.
    pub churn_rate: f64,
    /// How long the askers ask.
    pub duration: Duration,
}

/// getAll() answers under load.
#[derive(Clone, Debug)]
pub struct GetAll {
    /// Answers per second, all askers together.
    pub answers_per_sec: f64,
    /// Request to answer.
    pub latency: Latency,
    /// Names in the last answer.
    pub names: usize,
    /// CPU time the server used while the askers asked.
    pub server_cpu: Duration,
}

/// `askers` clients ask getAll() back to back for `duration`, with `users` online and a
/// background churn.
pub async fn get_all(server: &Server, config: &GetAllConfig) -> Result<GetAll> {
    let addr = server.addr();
    let names = (0..config.users).map(|i| format!("g-{i}")).collect();
    let online = hold(log_in_all(addr, names).await.context("online users")?);
    let askers_names = (0..config.askers).map(|i| format!("q-{i}")).collect();
    let askers = log_in_all(addr, askers_names).await?;
    let cpu_before = server.cpu_time()?;
    let origin = Instant::now();
    let stop_at = tokio::time::Instant::now() + config.duration;

    let churn_rate = config.churn_rate;
    let churn = tokio::spawn(async move {
        let mut failed = 0u64;
        if churn_rate <= 0.0 {
            return failed;
        }
        let start = tokio::time::Instant::now();
        let mut churners = JoinSet::new();
        for seq in 0u64.. {
            let at = start + Duration::from_secs_f64(seq as f64 / churn_rate);
            if at >= stop_at {
                break;
            }
            tokio::time::sleep_until(at).await;
            churners.spawn(churn_once(addr, format!("b-{seq}"), origin, None));
        }
        while let Some(result) = churners.join_next().await {
            failed += u64::from(!matches!(result, Ok(Ok(()))));
        }
        failed
    });

    let mut ask = JoinSet::new();
    for mut client in askers {
        ask.spawn(async move {
            let mut latencies = Vec::new();
            let mut names = 0;
            while tokio::time::Instant::now() < stop_at {
                let sent = Instant::now();
                client.send_query_all().await?;
                names = client.expect_query_all_response().await?;
                latencies.push(sent.elapsed().as_micros() as u64);
            }
            anyhow::Ok((latencies, names))
        });
    }
    let mut latencies = Vec::new();
    let mut names = 0;
    while let Some(result) = ask.join_next().await {
        let (mine, seen) = result??;
        latencies.extend(mine);
        names = seen;
    }
    let elapsed = origin.elapsed();
    let server_cpu = server.cpu_time()?.saturating_sub(cpu_before);
    let failed = churn.await.unwrap_or(0);
    drop(online);
    if failed > 0 {
        eprintln!("  getAll: {failed} background churners failed");
    }
    if latencies.is_empty() {
        bail!("no getAll() was answered");
    }
    Ok(GetAll {
        answers_per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        latency: Latency::from_micros(latencies)?,
        names,
        server_cpu,
    })
}

/// Results of every scenario for one server.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// The fan-out ladder.
    pub fanout: Option<Vec<FanoutStep>>,
    /// The connect storm at the number of connections in flight that gave the most logins/s.
    pub storm: Option<Storm>,
    /// The connect storm at every number of connections in flight tried.
    pub storm_levels: Vec<Storm>,
    /// Idle memory.
    pub idle: Option<Idle>,
    /// getAll under load.
    pub get_all: Option<GetAll>,
    /// Scenarios that failed, with why.
    pub errors: HashMap<String, String>,
}
