//! One simulation: a schedule in, a trace and a verdict out.
//!
//! The server host runs the real rollcall server (`rollcall::server::serve_with`) on the
//! simulated network; every device is a host running the real Rust client; the outer loop
//! steps simulated time and carries out the network faults of the schedule. Everything that
//! can vary is derived from the schedule's seed, so the same schedule gives the same trace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rollcall::config::Config;
use sha2::{Digest, Sha256};

use crate::device::{run_device, run_slow_consumer, Timing};
use crate::network::{SimListener, PORT, SERVER};
use crate::oracles::{self, Coverage, Violation};
use crate::schedule::{derive_seed, Action, Schedule, NETWORK};
use crate::trace::{Entry, Recorder, Stamped};
use crate::variant::{CommitLog, Variant};

/// The heartbeat interval of simulated servers and clients.
pub const HEARTBEAT_MS: u64 = 1_000;
/// Time after the workload for faults to heal, timeouts to expire and reconnects to settle.
pub const SETTLE_MS: u64 = 8_000;
/// Queries a slow consumer sends without reading the answers.
pub const SLOW_CONSUMER_REQUESTS: usize = 400;

/// The server configuration of every simulation: small limits, so the simulation reaches them.
pub fn server_config() -> Config {
    let mut config = Config::default();
    config.server.port = PORT;
    config.connection.heartbeat_interval_ms = HEARTBEAT_MS;
    config.connection.unauthenticated_timeout_ms = 4 * HEARTBEAT_MS;
    config.limits.max_message_bytes = 2 * 1024;
    config.limits.outbound_queue_bytes = 4 * 1024;
    config
}

/// What a run produced.
pub struct Outcome {
    /// Everything recorded, in order.
    pub trace: Vec<Stamped>,
    /// The first broken oracle, if any.
    pub violation: Option<Violation>,
    /// How often interesting situations occurred.
    pub coverage: Coverage,
    /// Simulated milliseconds run.
    pub simulated_ms: u64,
    /// Wall-clock time taken.
    pub wall: Duration,
    /// A digest of the trace: equal digests mean identical runs.
    pub digest: String,
}

/// Runs `schedule` against `variant` and checks every oracle.
pub fn run(schedule: &Schedule, variant: Arc<dyn Variant>) -> Outcome {
    let started = Instant::now();
    let recorder = Recorder::default();
    let end_ms = schedule.duration_ms();
    let timing = Timing {
        heartbeat_ms: HEARTBEAT_MS,
        end_ms,
        view_ms: end_ms + SETTLE_MS / 2,
        close_ms: end_ms + SETTLE_MS,
    };
    let finish_ms = timing.close_ms + 2 * HEARTBEAT_MS;
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(finish_ms + 10_000))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(10))
        .rng_seed(derive_seed(schedule.seed, NETWORK))
        .build();

    {
        let recorder = recorder.clone();
        let variant = variant.clone();
        sim.host(SERVER, move || {
            let recorder = recorder.clone();
            let variant = variant.clone();
            async move {
                let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
                let log = CommitLog {
                    recorder,
                    tap: variant.tap(),
                };
                let never = std::future::pending::<()>();
                rollcall::server::serve_with(
                    SimListener(listener),
                    server_config(),
                    never,
                    variant.tracker(),
                    log,
                )
                .await?;
                Ok(())
            }
        });
    }
    for device in schedule.devices() {
        let steps: Vec<_> = schedule
            .steps
            .iter()
            .filter(|s| s.device == device)
            .cloned()
            .collect();
        let (recorder, seed) = (recorder.clone(), schedule.seed);
        sim.host(device.host(), move || {
            run_device(device, steps.clone(), seed, timing, recorder.clone())
        });
    }
    let mut slow_hosts = Vec::new();
    let mut violation = None;
    let mut steps = schedule.steps.iter().peekable();
    let mut healed = false;
    let mut repairs: Vec<(u64, String)> = Vec::new();
    loop {
        let now = sim.elapsed().as_millis() as u64;
        while let Some(step) = steps.next_if(|s| s.at_ms <= now) {
            let host = step.device.host();
            let running = sim.is_host_running(host.as_str());
            match &step.action {
                Action::Crash => {
                    recorder.record_at(now, Entry::Fault(format!("crash {host}")));
                    sim.crash(host.as_str());
                }
                Action::SilentDeath => {
                    recorder.record_at(now, Entry::Fault(format!("silent death of {host}")));
                    sim.partition(SERVER, host.as_str());
                    sim.crash(host.as_str());
                }
                Action::Restart if !running => {
                    recorder.record_at(now, Entry::Fault(format!("restart {host}")));
                    sim.repair(SERVER, host.as_str());
                    sim.bounce(host.as_str());
                }
                Action::Partition { ms } if running => {
                    recorder.record_at(now, Entry::Fault(format!("partition {host} for {ms} ms")));
                    sim.partition(SERVER, host.as_str());
                    repairs.push((now + ms, host.clone()));
                }
                Action::Latency { max_ms } => {
                    recorder.record_at(now, Entry::Fault(format!("latency up to {max_ms} ms")));
                    sim.set_max_message_latency(Duration::from_millis(*max_ms));
                }
                Action::SlowConsumer => {
                    let name = format!("slow-{}", slow_hosts.len());
                    recorder.record_at(
                        now,
                        Entry::Fault(format!(
                            "{name} reads nothing, as {}",
                            step.device.user_name()
                        )),
                    );
                    let user = step.device.user_name();
                    let until = timing.close_ms;
                    sim.client(name.as_str(), async move {
                        run_slow_consumer(user, SLOW_CONSUMER_REQUESTS, until).await
                    });
                    slow_hosts.push(name);
                }
                _ => {}
            }
        }
        repairs.retain(|(at, host)| {
            if *at > now {
                return true;
            }
            recorder.record_at(now, Entry::Fault(format!("repair {host}")));
            sim.repair(SERVER, host.as_str());
            false
        });
        if now >= end_ms && !healed {
            // The workload is over: heal the network so the liveness oracles can judge.
            sim.set_max_message_latency(Duration::from_millis(10));
            for device in schedule.devices() {
                sim.repair(SERVER, device.host().as_str());
            }
            recorder.record_at(now, Entry::Fault("network healed".into()));
            healed = true;
        }
        if now >= finish_ms {
            break;
        }
        if let Err(error) = sim.step() {
            violation = Some(Violation::new(
                "no-panic",
                now,
                format!("a host failed: {error}"),
            ));
            break;
        }
    }
    let simulated_ms = sim.elapsed().as_millis() as u64;
    drop(sim);
    let trace = recorder.entries();
    let (found, coverage) = oracles::check(schedule, &trace, &timing);
    let violation = violation.or(found);
    let mut hasher = Sha256::new();
    for entry in &trace {
        hasher.update(format!("{entry:?}\n").as_bytes());
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Outcome {
        trace,
        violation,
        coverage,
        simulated_ms,
        wall: started.elapsed(),
        digest,
    }
}
