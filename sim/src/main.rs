//! `rollcall-sim`: run seeded simulations of rollcall, replay them, shrink failures.

use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use rollcall_sim::shrink::shrink;
use rollcall_sim::{run, Correct, Coverage, Faults, Outcome, Params, Schedule, Violation};

/// Deterministic simulation of rollcall: seed in, verdict out.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a range of seeds and check every oracle; print a summary, or the first failure with
    /// the command that replays it.
    Run {
        /// Seeds to run, as A..B (B excluded).
        #[arg(long, value_parser = parse_range, default_value = "0..100")]
        seeds: Range<u64>,
        /// Parallel simulations (each is single-threaded and deterministic).
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Also run every seed a second time, and once in a child process, and compare trace
        /// digests.
        #[arg(long)]
        check_determinism: bool,
        #[command(flatten)]
        shape: Shape,
    },
    /// Run one seed (or a case file) and print its trace as a transcript.
    Replay {
        /// The seed.
        #[arg(long, required_unless_present = "case")]
        seed: Option<u64>,
        /// A case written by `shrink`, replayed without the generator.
        #[arg(long)]
        case: Option<PathBuf>,
        /// Write the transcript to this file instead of standard output.
        #[arg(long)]
        trace: Option<PathBuf>,
        #[command(flatten)]
        shape: Shape,
    },
    /// Shrink a failing seed to a small case file, replayable with `replay --case`.
    Shrink {
        /// The failing seed.
        #[arg(long)]
        seed: u64,
        /// Where to write the case.
        #[arg(short, long)]
        output: PathBuf,
        /// Most simulations to spend.
        #[arg(long, default_value_t = 300)]
        budget: usize,
        #[command(flatten)]
        shape: Shape,
    },
    /// Run seeds twice in this process and once in a child process; compare trace digests.
    CheckDeterminism {
        /// Seeds, as A..B.
        #[arg(long, value_parser = parse_range, default_value = "0..5")]
        seeds: Range<u64>,
        #[command(flatten)]
        shape: Shape,
    },
    /// Print the trace digest of one seed (used by `check-determinism`).
    Digest {
        /// The seed.
        #[arg(long)]
        seed: u64,
        #[command(flatten)]
        shape: Shape,
    },
}

/// The shape of generated workloads.
#[derive(Args, Clone)]
struct Shape {
    /// Users.
    #[arg(long, default_value_t = 4)]
    users: u32,
    /// Devices per user.
    #[arg(long, default_value_t = 2)]
    devices: u32,
    /// Workload length in simulated seconds (a settle phase follows).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Faults: "all", "none", or a comma list of crash, silent, slow, latency, partition.
    #[arg(long, default_value = "all")]
    faults: String,
}

impl Shape {
    fn params(&self) -> Result<Params> {
        let faults = match self.faults.as_str() {
            "all" => Faults::all(),
            "none" => Faults::none(),
            list => {
                let mut faults = Faults::none();
                for name in list.split(',') {
                    match name.trim() {
                        "crash" => faults.crash = true,
                        "silent" => faults.silent_death = true,
                        "slow" => faults.slow_consumer = true,
                        "latency" => faults.latency = true,
                        "partition" => faults.partition = true,
                        other => bail!(
                            "unknown fault {other:?}: use crash, silent, slow, latency, partition"
                        ),
                    }
                }
                faults
            }
        };
        Ok(Params {
            users: self.users,
            devices: self.devices,
            duration_ms: self.duration * 1_000,
            faults,
        })
    }

    fn flags(&self) -> String {
        format!(
            "--users {} --devices {} --duration {} --faults {}",
            self.users, self.devices, self.duration, self.faults
        )
    }
}

fn parse_range(text: &str) -> Result<Range<u64>, String> {
    let (a, b) = text.split_once("..").ok_or("expected A..B")?;
    let a = a.parse().map_err(|e| format!("{e}"))?;
    let b = b.parse().map_err(|e| format!("{e}"))?;
    if b <= a {
        return Err("the range is empty".into());
    }
    Ok(a..b)
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run {
            seeds,
            jobs,
            check_determinism,
            shape,
        } => campaign(seeds, jobs, check_determinism, &shape),
        Command::Replay {
            seed,
            case,
            trace,
            shape,
        } => {
            let schedule = match (case, seed) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("parsing {}", path.display()))?
                }
                (None, Some(seed)) => Schedule::generate(seed, &shape.params()?),
                (None, None) => bail!("give --seed or --case"),
            };
            let outcome = run(&schedule, Arc::new(Correct));
            let mut text = String::new();
            for step in &schedule.steps {
                text.push_str(&format!(
                    "plan {:>7} ms {:<6} {:?}\n",
                    step.at_ms,
                    step.device.host(),
                    step.action
                ));
            }
            for entry in &outcome.trace {
                text.push_str(&format!("{entry}\n"));
            }
            text.push_str(&verdict(&outcome));
            match trace {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
        Command::Shrink {
            seed,
            output,
            budget,
            shape,
        } => {
            let schedule = Schedule::generate(seed, &shape.params()?);
            let outcome = run(&schedule, Arc::new(Correct));
            let Some(violation) = outcome.violation else {
                bail!("seed {seed} passes: nothing to shrink")
            };
            eprintln!(
                "seed {seed} fails {}; shrinking {} steps",
                violation.oracle,
                schedule.steps.len()
            );
            let small = shrink(&schedule, Arc::new(Correct), violation.oracle, budget);
            std::fs::write(&output, serde_json::to_string_pretty(&small)?)?;
            println!(
                "{} steps -> {} steps, written to {}; replay: cargo run -p rollcall-sim --release -- replay --case {}",
                schedule.steps.len(),
                small.steps.len(),
                output.display(),
                output.display()
            );
            Ok(())
        }
        Command::CheckDeterminism { seeds, shape } => {
            let params = shape.params()?;
            for seed in seeds {
                let schedule = Schedule::generate(seed, &params);
                let first = run(&schedule, Arc::new(Correct)).digest;
                let second = run(&schedule, Arc::new(Correct)).digest;
                let child = child_digest(seed, &shape)?;
                if first != second || first != child {
                    bail!("seed {seed} is not deterministic: {first} / {second} / child {child}");
                }
                println!("seed {seed}: {first} (three runs agree)");
            }
            Ok(())
        }
        Command::Digest { seed, shape } => {
            println!(
                "{}",
                run(
                    &Schedule::generate(seed, &shape.params()?),
                    Arc::new(Correct)
                )
                .digest
            );
            Ok(())
        }
    }
}

fn child_digest(seed: u64, shape: &Shape) -> Result<String> {
    let exe = std::env::current_exe()?;
    let output = std::process::Command::new(exe)
        .args(["digest", "--seed", &seed.to_string()])
        .args(shape.flags().split(' '))
        .output()?;
    if !output.status.success() {
        bail!(
            "the child process failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

fn verdict(outcome: &Outcome) -> String {
    match &outcome.violation {
        None => format!(
            "PASS ({} simulated ms, digest {})\n",
            outcome.simulated_ms, outcome.digest
        ),
        Some(v) => format!("FAIL {} at {} ms: {}\n", v.oracle, v.t_ms, v.detail),
    }
}

struct Failure {
    seed: u64,
    violation: Violation,
    slice: Vec<String>,
}

fn campaign(seeds: Range<u64>, jobs: usize, check_determinism: bool, shape: &Shape) -> Result<()> {
    let params = shape.params()?;
    let total = seeds.end - seeds.start;
    let next = AtomicU64::new(seeds.start);
    let done = AtomicUsize::new(0);
    let simulated_ms = AtomicU64::new(0);
    let coverage = Mutex::new(Coverage::default());
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= seeds.end {
                    return;
                }
                let schedule = Schedule::generate(seed, &params);
                let outcome = run(&schedule, Arc::new(Correct));
                let mut violation = outcome.violation.clone();
                if check_determinism && violation.is_none() {
                    let again = run(&schedule, Arc::new(Correct));
                    if again.digest != outcome.digest {
                        let detail =
                            format!("digests differ: {} then {}", outcome.digest, again.digest);
                        violation = Some(Violation::new("determinism", 0, detail));
                    }
                }
                simulated_ms.fetch_add(outcome.simulated_ms, Ordering::Relaxed);
                lock(&coverage).add(&outcome.coverage);
                if let Some(violation) = violation {
                    let slice = outcome
                        .trace
                        .iter()
                        .filter(|e| {
                            e.t_ms + 2_000 >= violation.t_ms && e.t_ms <= violation.t_ms + 200
                        })
                        .map(|e| e.to_string())
                        .collect();
                    lock(&failures).push(Failure {
                        seed,
                        violation,
                        slice,
                    });
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                let failed = lock(&failures).len();
                let filled = (finished as u64 * 30 / total) as usize;
                let bar = format!("{}{}", "#".repeat(filled), ".".repeat(30 - filled));
                eprint!("\r[{bar}] {finished}/{total} seeds, {failed} failed ");
                let _ = std::io::stderr().flush();
            });
        }
    });
    eprintln!();
    let wall = started.elapsed().as_secs_f64();
    let simulated = simulated_ms.load(Ordering::Relaxed) as f64 / 1_000.0;
    let coverage = lock(&coverage).clone();
    println!("| seeds | simulated s | wall s | sim s / wall s | seeds / min | events checked | getAll checked |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {}..{} | {simulated:.0} | {wall:.1} | {:.1} | {:.1} | {} | {} |",
        seeds.start,
        seeds.end,
        simulated / wall,
        total as f64 / wall * 60.0,
        coverage.events_checked,
        coverage.queries_checked
    );
    println!(
        "coverage: second device while watched {}, silent death timed out {}, slow consumer cut off {}, \
         reconnect restored subscriptions {}",
        coverage.second_device_while_watched,
        coverage.silent_death_timed_out,
        coverage.slow_consumer_cut_off,
        coverage.reconnect_restored
    );
    let mut failures = lock(&failures).drain(..).collect::<Vec<_>>();
    failures.sort_by_key(|f| f.seed);
    if let Some(failure) = failures.first() {
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        println!(
            "\nFAILED: {} of {total} seeds; first: seed {} at commit {commit}",
            failures.len(),
            failure.seed
        );
        println!(
            "oracle {} at {} ms: {}",
            failure.violation.oracle, failure.violation.t_ms, failure.violation.detail
        );
        println!(
            "replay: cargo run -p rollcall-sim --release -- replay --seed {} {}",
            failure.seed,
            shape.flags()
        );
        println!("trace around the failure:");
        for line in &failure.slice {
            println!("  {line}");
        }
        bail!("{} seeds failed", failures.len());
    }
    let missing = coverage.missing();
    if !missing.is_empty() && total >= 50 && params.faults == Faults::all() {
        bail!("coverage: never happened: {}", missing.join(", "));
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
