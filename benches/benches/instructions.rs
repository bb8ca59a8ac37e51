//! Instruction counts of the core's fan-out and churn, with gungraun (callgrind under valgrind).
//!
//! Wall-clock figures move with the machine's load; instruction counts do not, so these are
//! the numbers to compare before and after a change to the core. Each benchmark runs one cycle
//! once, in a fresh process, after an untimed setup:
//!
//! * `fanout_core` and `fanout_queued`: `N` watchers subscribed to everyone and to the joiner;
//!   one login and one logout of the joiner, `4 N` deliveries
//!   (`rollcall_benches::workload::Fanout`), by the core alone, then with the hub's encoding
//!   and queueing.
//! * `churn_core`: one login and one logout with `U` users online and `S` subscriptions
//!   (`rollcall_benches::workload::Churn`).
//!
//! It needs valgrind and the `gungraun-runner` binary of the same version as the `gungraun`
//! library (0.20.0):
//!
//! ```text
//! cargo install gungraun-runner --version 0.20.0
//! cargo bench -p rollcall-benches --bench instructions
//! ```
//!
//! Without them this benchmark prints why and exits successfully, so `cargo bench` works on
//! any machine. `GUNGRAUN_RUNNER=/path/to/gungraun-runner` at build time names a runner that is
//! not on `PATH`.

// gungraun's macros generate public modules and functions without documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use gungraun::{library_benchmark, library_benchmark_group};
use rollcall_benches::engine::{CoreEngine, HubEngine, Presence};
use rollcall_benches::workload::{Churn, Fanout};

/// The version of the `gungraun` library this benchmark is built with; the runner must match.
const GUNGRAUN_VERSION: &str = "0.20.0";

/// A fan-out fixture after one cycle, so that buffers have their steady-state capacity.
fn fanout_setup<E: Presence + Default>(watchers: usize) -> (E, Fanout) {
    let mut engine = E::default();
    let mut fanout = Fanout::new(&mut engine, watchers);
    fanout.cycle(&mut engine);
    (engine, fanout)
}

fn core_fanout(watchers: usize) -> (CoreEngine, Fanout) {
    fanout_setup(watchers)
}

fn queued_fanout(watchers: usize) -> (HubEngine, Fanout) {
    let (engine, fanout) = fanout_setup::<HubEngine>(watchers);
    engine.drain_now();
    (engine, fanout)
}

/// A churn fixture after one full round of the pool.
fn churn_setup(users: usize, subscriptions: usize) -> (CoreEngine, Churn) {
    let mut engine = CoreEngine::default();
    let mut churn = Churn::new(&mut engine, users, subscriptions);
    for _ in 0..rollcall_benches::workload::CHURN_NAMES {
        churn.cycle(&mut engine);
    }
    (engine, churn)
}

// The core alone. The fixture is handed back so that dropping it is not counted.
#[library_benchmark]
#[benches::watchers(args = [1, 100, 10_000], setup = core_fanout)]
fn fanout_core((mut engine, mut fanout): (CoreEngine, Fanout)) -> (CoreEngine, Fanout, usize) {
    let delivered = black_box(fanout.cycle(&mut engine));
    (engine, fanout, delivered)
}

// The same, with every delivery encoded and queued as the hub does.
#[library_benchmark]
#[benches::watchers(args = [1, 100, 10_000], setup = queued_fanout)]
fn fanout_queued((mut engine, mut fanout): (HubEngine, Fanout)) -> (HubEngine, Fanout, usize) {
    let delivered = black_box(fanout.cycle(&mut engine));
    (engine, fanout, delivered)
}

// One login and one logout with `U` users online and `S` subscriptions.
#[library_benchmark]
#[benches::online(
    args = [(1_000, 0), (1_000, 10_000), (10_000, 100_000), (100_000, 0)],
    setup = churn_setup
)]
fn churn_core((mut engine, mut churn): (CoreEngine, Churn)) -> (CoreEngine, Churn, usize) {
    let delivered = black_box(churn.cycle(&mut engine));
    (engine, churn, delivered)
}

library_benchmark_group!(name = fanout; benchmarks = fanout_core, fanout_queued);
library_benchmark_group!(name = churn; benchmarks = churn_core);

/// The runner gungraun will start: `GUNGRAUN_RUNNER` at build time, else `gungraun-runner`
/// on `PATH`.
fn runner() -> Option<PathBuf> {
    if let Some(path) = option_env!("GUNGRAUN_RUNNER") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    on_path("gungraun-runner")
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Why the instruction counts cannot be taken here, if they cannot.
fn missing_requirement() -> Option<String> {
    let Some(runner) = runner() else {
        return Some(format!(
            "gungraun-runner not found: install it with \
             `cargo install gungraun-runner --version {GUNGRAUN_VERSION}`"
        ));
    };
    let version = Command::new(&runner).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&version.stdout);
    if !version.contains(GUNGRAUN_VERSION) {
        return Some(format!(
            "{} is {}, this benchmark needs version {GUNGRAUN_VERSION}",
            runner.display(),
            version.trim()
        ));
    }
    if on_path("valgrind").is_none() && !Path::new("/usr/bin/valgrind").is_file() {
        return Some("valgrind not found: install it (e.g. `apt-get install valgrind`)".into());
    }
    None
}

fn main() {
    gungraun::main!(library_benchmark_groups = fanout, churn);

    // gungraun's runner starts this binary again under valgrind with `--gungraun-run`.
    let under_runner = std::env::args().nth(1).as_deref() == Some("--gungraun-run");
    if !under_runner {
        if let Some(why) = missing_requirement() {
            println!("instructions: skipped: {why}");
            return;
        }
    }
    main();
}
