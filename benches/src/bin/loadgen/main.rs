//! The load generator: rollcall and the real deepstream 7.0.2, side by side, over loopback.
//!
//! For each server (`--servers rollcall,deepstream`) and each scenario (`--scenarios
//! fanout,storm,idle,getall`) it starts a fresh server as a child process on a free
//! 127.0.0.1 port, waits until the port answers, runs the scenario with raw deepstream clients
//! (`client`), and kills the server. Then it prints the side-by-side report and, with `--out`,
//! writes it (`report`), along with the last criterion figures and the hand-written analysis
//! already in the file.
//!
//! ```sh
//! cargo build --release -p rollcall
//! cargo run --release -p rollcall-benches --bin loadgen -- --out benches/RESULTS.md
//! ```
//!
//! Every server process is killed when the load generator ends, whether it succeeds, fails,
//! panics or is interrupted (Ctrl-C): the children are spawned with `kill_on_drop`.

mod client;
mod report;
mod scenarios;
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};

use crate::scenarios::{FanoutConfig, GetAllConfig, Results};
use crate::server::{Kind, Server};

/// The workspace root, where `target/` and `benches/` are.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A server to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ServerName {
    /// rollcall (`target/release/rollcall`).
    Rollcall,
    /// The real deepstream 7.0.2 (its reference start script).
    Deepstream,
}

/// A scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Watchers subscribed to everyone, churners at a ladder of rates.
    Fanout,
    /// Many clients connecting and logging in at once.
    Storm,
    /// Server memory per idle authenticated connection.
    Idle,
    /// getAll() answers while users come and go.
    Getall,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Fanout => "fan-out",
            Scenario::Storm => "connect storm",
            Scenario::Idle => "idle memory",
            Scenario::Getall => "getAll under load",
        }
    }
}

/// rollcall and deepstream 7.0.2 under the same load, side by side.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Servers to measure, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "rollcall,deepstream"
    )]
    servers: Vec<ServerName>,
    /// Scenarios to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "fanout,storm,idle,getall"
    )]
    scenarios: Vec<Scenario>,
    /// Fan-out: watchers subscribed to everyone.
    #[arg(long, default_value_t = 5_000)]
    watchers: usize,
    /// Fan-out: the ladder of target logins per second (each login is also a logout).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,3,5,7,10,15,20,30,50,70,100,150,200"
    )]
    rates: Vec<f64>,
    /// Fan-out: seconds per step of the ladder.
    #[arg(long, default_value_t = 4.0)]
    step_secs: f64,
    /// Fan-out: seconds to wait for late deliveries after a step's last login.
    #[arg(long, default_value_t = 5.0)]
    grace_secs: f64,
    /// Connect storm: clients.
    #[arg(long, default_value_t = 5_000)]
    storm_clients: usize,
    /// Idle memory: connections.
    #[arg(long, default_value_t = 5_000)]
    idle_connections: usize,
    /// getAll under load: users online.
    #[arg(long, default_value_t = 10_000)]
    getall_users: usize,
    /// getAll under load: clients asking back to back.
    #[arg(long, default_value_t = 4)]
    getall_askers: usize,
    /// getAll under load: background logins per second.
    #[arg(long, default_value_t = 20.0)]
    getall_churn: f64,
    /// getAll under load: seconds of asking.
    #[arg(long, default_value_t = 10.0)]
    getall_secs: f64,
    /// Connection attempts in flight at once while building populations of clients.
    #[arg(long, default_value_t = 128)]
    in_flight: usize,
    /// Connect storm: the numbers of connection attempts in flight to try, one storm each
    /// against a fresh server; the best is reported.
    #[arg(long, value_delimiter = ',', default_value = "16,64,128,256")]
    storm_in_flight: Vec<usize>,
    /// Longest any one scenario may take, in seconds.
    #[arg(long, default_value_t = 240.0)]
    scenario_timeout_secs: f64,
    /// The rollcall binary [default: target/release/rollcall].
    #[arg(long)]
    rollcall_bin: Option<PathBuf>,
    /// deepstream's start script [default: ../shared/deepstream/reference-server/start.sh].
    #[arg(long)]
    deepstream_script: Option<PathBuf>,
    /// criterion's records [default: target/criterion].
    #[arg(long)]
    criterion: Option<PathBuf>,
    /// Write the report here (Markdown) as well as to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Raises the soft limit on open files to the hard limit; returns the limit now in force.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

async fn run_scenario(
    kind: &Kind,
    scenario: Scenario,
    args: &Args,
    results: &mut Results,
) -> Result<()> {
    let server = Server::start(kind).await?;
    eprintln!("{}: {} on {}", kind.name(), scenario.name(), server.addr());
    let timeout = Duration::from_secs_f64(args.scenario_timeout_secs);
    let outcome = tokio::time::timeout(timeout, async {
        match scenario {
            Scenario::Fanout => {
                let config = FanoutConfig {
                    watchers: args.watchers,
                    rates: args.rates.clone(),
                    step: Duration::from_secs_f64(args.step_secs),
                    grace: Duration::from_secs_f64(args.grace_secs),
                };
                results.fanout = Some(scenarios::fanout(&server, &config).await?);
            }
            Scenario::Storm => {
                let storm = scenarios::storm(&server, args.storm_clients).await?;
                eprintln!(
                    "  {} in flight: {:.0} logins/s, server CPU {:?}, load generator CPU {:?} in {:?}",
                    storm.in_flight,
                    storm.logins_per_sec,
                    storm.server_cpu,
                    storm.loadgen_cpu,
                    storm.wall
                );
                results.storm = Some(storm);
            }
            Scenario::Idle => {
                let idle = scenarios::idle(&server, args.idle_connections).await?;
                eprintln!("  {:.0} bytes per connection", idle.per_connection());
                results.idle = Some(idle);
            }
            Scenario::Getall => {
                let config = GetAllConfig {
                    users: args.getall_users,
                    askers: args.getall_askers,
                    churn_rate: args.getall_churn,
                    duration: Duration::from_secs_f64(args.getall_secs),
                };
                let get_all = scenarios::get_all(&server, &config).await?;
                eprintln!(
                    "  {:.0} answers/s, p99 {:?}",
                    get_all.answers_per_sec, get_all.latency.p99
                );
                results.get_all = Some(get_all);
            }
        }
        anyhow::Ok(())
    })
    .await;
    server.stop().await?;
    // Let the kernel finish closing the sockets of the scenario before the next one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    match outcome {
        Ok(result) => result,
        Err(_) => bail!("did not finish within {timeout:?}"),
    }
}

/// The connect storm at each number of connections in flight, each against a fresh server.
async fn run_storms(kind: &Kind, args: &Args, results: &mut Results) -> Result<()> {
    for &level in &args.storm_in_flight {
        scenarios::set_in_flight(level);
        let mut one = Results::default();
        let outcome = run_scenario(kind, Scenario::Storm, args, &mut one).await;
        scenarios::set_in_flight(args.in_flight);
        outcome?;
        results.storm_levels.extend(one.storm);
    }
    results.storm = results
        .storm_levels
        .iter()
        .max_by(|a, b| a.logins_per_sec.total_cmp(&b.logins_per_sec))
        .cloned();
    Ok(())
}

async fn run(args: Args) -> Result<()> {
    let root = workspace();
    scenarios::set_in_flight(args.in_flight);
    let mut machine = report::Machine::probe(&root);
    let fd_limit = raise_fd_limit();
    let most = args
        .watchers
        .max(args.storm_clients)
        .max(args.idle_connections)
        .max(args.getall_users + args.getall_askers) as u64;
    if most + 512 > fd_limit {
        bail!(
            "{most} connections need more than the {fd_limit} open files allowed (ulimit -n): \
             use fewer, or raise the limit"
        );
    }
    let rollcall_bin = args
        .rollcall_bin
        .clone()
        .unwrap_or_else(|| root.join("target/release/rollcall"));
    let deepstream_script = args
        .deepstream_script
        .clone()
        .unwrap_or_else(|| root.join("../shared/deepstream/reference-server/start.sh"));
    let mut kinds = Vec::new();
    for server in &args.servers {
        kinds.push(match server {
            ServerName::Rollcall => {
                if !rollcall_bin.is_file() {
                    bail!(
                        "{} not found: build it first with `cargo build --release -p rollcall`",
                        rollcall_bin.display()
                    );
                }
                Kind::Rollcall {
                    binary: rollcall_bin.clone(),
                }
            }
            ServerName::Deepstream => {
                if !deepstream_script.is_file() {
                    bail!("{} not found", deepstream_script.display());
                }
                Kind::Deepstream {
                    script: deepstream_script.clone(),
                }
            }
        });
    }

    let mut all = Vec::new();
    for kind in &kinds {
        let mut results = Results::default();
        for &scenario in &args.scenarios {
            let outcome = if scenario == Scenario::Storm {
                run_storms(kind, &args, &mut results).await
            } else {
                run_scenario(kind, scenario, &args, &mut results).await
            };
            if let Err(error) = outcome {
                eprintln!("{}: {} failed: {error:#}", kind.name(), scenario.name());
                results
                    .errors
                    .insert(scenario.name().to_string(), format!("{error:#}"));
            }
        }
        all.push((kind.name().to_string(), results));
    }

    let criterion_dir = args
        .criterion
        .clone()
        .unwrap_or_else(|| root.join("target/criterion"));
    let command = format!(
        "cargo run --release -p rollcall-benches --bin loadgen --{}",
        std::env::args()
            .skip(1)
            .map(|a| format!(" {a}"))
            .collect::<String>()
    );
    let settings = vec![
        ("watchers", args.watchers.to_string()),
        ("ladder (logins/s)", format!("{:?}", args.rates)),
        ("step", format!("{} s", args.step_secs)),
        (
            "storm clients",
            format!(
                "{} (the best of {:?} in flight)",
                args.storm_clients, args.storm_in_flight
            ),
        ),
        ("idle connections", args.idle_connections.to_string()),
        (
            "getAll",
            format!(
                "{} users online, {} askers, {} background logins/s for {} s",
                args.getall_users, args.getall_askers, args.getall_churn, args.getall_secs
            ),
        ),
    ];
    machine.finish();
    let report = report::Report {
        command,
        machine,
        results: all,
        criterion: report::load_criterion(&criterion_dir),
        analysis: args.out.as_deref().and_then(report::existing_analysis),
        settings,
    };
    let text = report.render();
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    tokio::select! {
        result = run(args) => result,
        _ = tokio::signal::ctrl_c() => bail!("interrupted: every server started has been killed"),
    }
}
