//! `RESULTS.md`: the side-by-side table, the targets, the machine, the criterion figures.
//!
//! The criterion figures are read from criterion's own records (`target/criterion/**/new/`),
//! so the file shows the last `cargo bench` run; the load figures are this run's. The section
//! between `<!-- analysis:begin -->` and `<!-- analysis:end -->` is written by hand (profiles,
//! bottlenecks) and carried over unchanged when the file is regenerated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::scenarios::{FanoutStep, Results};

/// Marks the start of the hand-written section.
pub const ANALYSIS_BEGIN: &str = "<!-- analysis:begin -->";
/// Marks its end.
pub const ANALYSIS_END: &str = "<!-- analysis:end -->";

/// What the machine is.
pub struct Machine {
    cpu: String,
    cores: usize,
    memory: String,
    kernel: String,
    date: String,
    node: String,
    commit: String,
    load_before: String,
    load_after: String,
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

impl Machine {
    /// Reads `/proc` and asks `date`, `node` and `git`.
    pub fn probe(workspace: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map_or("unknown".into(), |m| m.trim().to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or("unknown".into(), |kib| {
                format!("{:.1} GiB", kib / 1024.0 / 1024.0)
            });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or("unknown".into(), |k| k.trim().to_string());
        let workspace = workspace.to_string_lossy();
        let commit = run("git", &["-C", &workspace, "rev-parse", "--short", "HEAD"]).map_or(
            "unknown".into(),
            |commit| {
                let dirty = run("git", &["-C", &workspace, "status", "--porcelain"])
                    .is_some_and(|s| !s.is_empty());
                if dirty {
                    format!("{commit} with uncommitted changes")
                } else {
                    commit
                }
            },
        );
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory,
            kernel,
            date: run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default(),
            node: run("node", &["--version"]).unwrap_or_else(|| "absent".into()),
            commit,
            load_before: load_average(),
            load_after: String::new(),
        }
    }

    /// Notes the load average once the run is over.
    pub fn finish(&mut self) {
        self.load_after = load_average();
    }
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// One criterion benchmark's last result.
#[derive(Clone, Debug)]
pub struct Bench {
    group: String,
    function: String,
    value: String,
    elements: Option<u64>,
    mean_ns: f64,
}

impl Bench {
    /// Elements per second, when the benchmark declared a throughput.
    fn per_sec(&self) -> Option<f64> {
        self.elements.map(|n| n as f64 / (self.mean_ns / 1e9))
    }
}

/// Reads every `new/benchmark.json` + `new/estimates.json` pair under `dir`.
pub fn load_criterion(dir: &Path) -> Vec<Bench> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if let Some(bench) = read_bench(&path) {
                        found.push(bench);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
    }
    found
}

fn read_bench(dir: &Path) -> Option<Bench> {
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    Some(Bench {
        group: benchmark["group_id"].as_str()?.to_string(),
        function: benchmark["function_id"].as_str()?.to_string(),
        value: benchmark["value_str"].as_str().unwrap_or("").to_string(),
        elements: benchmark["throughput"]["Elements"].as_u64(),
        mean_ns: estimates["mean"]["point_estimate"].as_f64()?,
    })
}

fn find<'a>(benches: &'a [Bench], group: &str, function: &str, value: &str) -> Option<&'a Bench> {
    benches
        .iter()
        .find(|b| b.group == group && b.function == function && b.value == value)
}

/// `1.23 M/s`.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1e9 {
        format!("{:.2} G/s", per_sec / 1e9)
    } else if per_sec >= 1e6 {
        format!("{:.2} M/s", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k/s", per_sec / 1e3)
    } else {
        format!("{per_sec:.1} /s")
    }
}

/// `1.2 ms`.
pub fn duration(d: Duration) -> String {
    nanos(d.as_nanos() as f64)
}

fn nanos(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// CPU time as a share of one core over `wall`.
fn percent(cpu: Duration, wall: Duration) -> String {
    if wall.is_zero() {
        return "—".into();
    }
    format!("{:.0} %", cpu.as_secs_f64() / wall.as_secs_f64() * 100.0)
}

fn bytes(b: f64) -> String {
    if b.abs() >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b.abs() >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// rollcall's figure `a` against deepstream's `b`, in words: "3.0x more", "1.5x lower"...
fn compare(a: f64, b: f64, higher_is_better: bool) -> String {
    if a <= 0.0 || b <= 0.0 {
        return "n/a".into();
    }
    match (higher_is_better, a >= b) {
        (true, true) => format!("{:.1}x more", a / b),
        (true, false) => format!("{:.1}x less", b / a),
        (false, true) => format!("{:.1}x higher", a / b),
        (false, false) => format!("{:.1}x lower", b / a),
    }
}

/// The best fan-out step: the highest sustained one, else the first.
fn capacity(steps: &[FanoutStep]) -> Option<&FanoutStep> {
    steps
        .iter()
        .filter(|s| s.sustained)
        .max_by(|a, b| a.achieved_per_sec.total_cmp(&b.achieved_per_sec))
        .or(steps.first())
}

/// Everything one invocation produced.
pub struct Report<'a> {
    /// The command line that produced it.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// Per server, in run order.
    pub results: Vec<(String, Results)>,
    /// criterion's last figures.
    pub criterion: Vec<Bench>,
    /// The hand-written analysis carried over.
    pub analysis: Option<String>,
    /// Settings worth printing.
    pub settings: Vec<(&'a str, String)>,
}

impl Report<'_> {
    fn server(&self, name: &str) -> Option<&Results> {
        self.results.iter().find(|(n, _)| n == name).map(|(_, r)| r)
    }

    /// Renders the whole Markdown file.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "# rollcall: benchmark results\n");
        let _ = writeln!(
            out,
            "Produced by the load generator (`benches/src/bin/loadgen/`) and criterion \
             (`benches/benches/`); `benches/README.md` tells how to regenerate it. The \
             load figures come from this command:\n\n```sh\n{}\n```\n",
            self.command
        );
        let _ = writeln!(out, "## Machine\n");
        let _ = writeln!(out, "| | |\n|---|---|");
        let _ = writeln!(out, "| date | {} |", m.date);
        let _ = writeln!(out, "| CPU | {} |", m.cpu);
        let _ = writeln!(
            out,
            "| cores | {} (shared by the server under test and the load generator) |",
            m.cores
        );
        let _ = writeln!(out, "| memory | {} |", m.memory);
        let _ = writeln!(out, "| kernel | {} |", m.kernel);
        let _ = writeln!(
            out,
            "| load average (1, 5, 15 min) | {} at the start of the load run, {} at its end |",
            m.load_before, m.load_after
        );
        let _ = writeln!(out, "| rollcall | commit {}, release build |", m.commit);
        let _ = writeln!(out, "| deepstream | 7.0.2 (`@deepstream/server`, open auth, log level WARN) on Node.js {} |", m.node);
        let _ = writeln!(out);
        self.render_targets(&mut out);
        self.render_load(&mut out);
        self.render_criterion(&mut out);
        let _ = writeln!(out, "{ANALYSIS_BEGIN}");
        match &self.analysis {
            Some(text) => out.push_str(text),
            None => out.push_str("\n## Analysis\n\nNot written yet.\n\n"),
        }
        let _ = writeln!(out, "{ANALYSIS_END}");
        out
    }

    fn render_targets(&self, out: &mut String) {
        let _ = writeln!(out, "## Targets\n");
        let _ = writeln!(out, "| target | measured | met |\n|---|---|---|");
        let verdict = |met: bool, miss: String| {
            if met {
                "**met**".to_string()
            } else {
                format!("**missed**: {miss}")
            }
        };
        match find(&self.criterion, "fanout", "core", "10000")
            .and_then(|b| b.per_sec().map(|r| (b, r)))
        {
            Some((_, per_sec)) => {
                let _ = writeln!(
                    out,
                    "| core fan-out ≥ 10 M deliveries/s on one core at N = 10 000 (criterion `fanout/core/10000`) | {} | {} |",
                    rate(per_sec),
                    verdict(per_sec >= 10e6, format!("{:.0} % of the target", per_sec / 10e6 * 100.0))
                );
            }
            None => {
                let _ = writeln!(out, "| core fan-out ≥ 10 M deliveries/s at N = 10 000 | not run (`cargo bench -p rollcall-benches --bench fanout`) | ? |");
            }
        }
        let ladder = |name: &str| self.server(name).and_then(|r| r.fanout.as_deref());
        match (ladder("rollcall"), ladder("deepstream").and_then(capacity)) {
            (Some(steps), Some(ds)) => {
                // rollcall's best sustained step whose p99 is no worse than deepstream's at
                // deepstream's best; failing that, rollcall's best step.
                let within = steps
                    .iter()
                    .filter(|s| s.sustained && s.latency.p99 <= ds.latency.p99)
                    .max_by(|a, b| a.achieved_per_sec.total_cmp(&b.achieved_per_sec));
                let rc = within.or_else(|| capacity(steps));
                if let Some(rc) = rc {
                    let times = rc.achieved_per_sec / ds.achieved_per_sec.max(1e-9);
                    let miss = if within.is_none() {
                        format!(
                            "no sustained step with p99 at or under {}; best p99 {}",
                            duration(ds.latency.p99),
                            duration(rc.latency.p99)
                        )
                    } else {
                        format!(
                            "{times:.1}x of 5x ({:.0} % of the target)",
                            times / 5.0 * 100.0
                        )
                    };
                    let _ = writeln!(
                        out,
                        "| end-to-end fan-out ≥ 5x deepstream's deliveries/s at equal or better p99 | rollcall {} at p99 {} vs deepstream {} at p99 {} (its best): {:.1}x | {} |",
                        rate(rc.achieved_per_sec),
                        duration(rc.latency.p99),
                        rate(ds.achieved_per_sec),
                        duration(ds.latency.p99),
                        times,
                        verdict(within.is_some() && times >= 5.0, miss)
                    );
                }
            }
            _ => {
                let _ = writeln!(
                    out,
                    "| end-to-end fan-out ≥ 5x deepstream at equal or better p99 | not run | ? |"
                );
            }
        }
        let storm = |name: &str| self.server(name).and_then(|r| r.storm.as_ref());
        match (storm("rollcall"), storm("deepstream")) {
            (Some(rc), Some(ds)) => {
                let times = rc.logins_per_sec / ds.logins_per_sec.max(1e-9);
                let _ = writeln!(
                    out,
                    "| ≥ 5x deepstream's logins/s (connect storm) | {} vs {}: {:.1}x | {} |",
                    rate(rc.logins_per_sec),
                    rate(ds.logins_per_sec),
                    times,
                    verdict(
                        times >= 5.0,
                        format!(
                            "{times:.1}x of 5x ({:.0} % of the target)",
                            times / 5.0 * 100.0
                        )
                    )
                );
            }
            _ => {
                let _ = writeln!(out, "| ≥ 5x deepstream's logins/s | not run | ? |");
            }
        }
        match self.server("rollcall").and_then(|r| r.idle.as_ref()) {
            Some(idle) => {
                let per = idle.per_connection();
                let _ = writeln!(
                    out,
                    "| ≤ 8 KiB server memory per idle authenticated connection | {} ({} connections) | {} |",
                    bytes(per),
                    idle.connections,
                    verdict(per <= 8192.0, format!("{} over", bytes(per - 8192.0)))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "| ≤ 8 KiB per idle authenticated connection | not run | ? |"
                );
            }
        }
        match find(&self.criterion, "queries", "getAll/core+encode", "100000") {
            Some(bench) => {
                let _ = writeln!(
                    out,
                    "| getAll with 100 000 online under 10 ms (criterion `queries/getAll/core+encode/100000`: the hub's time for one answer) | {} | {} |",
                    nanos(bench.mean_ns),
                    verdict(bench.mean_ns < 10e6, format!("{} over", nanos(bench.mean_ns - 10e6)))
                );
            }
            None => {
                let _ = writeln!(out, "| getAll with 100 000 online under 10 ms | not run (`cargo bench -p rollcall-benches --bench queries`) | ? |");
            }
        }
        let _ = writeln!(out);
    }

    fn render_load(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## End to end: rollcall and deepstream 7.0.2 side by side\n"
        );
        let _ = writeln!(
            out,
            "Each scenario runs against a freshly started server, rollcall then deepstream, over \
             loopback WebSockets speaking the binary protocol (the load generator builds and \
             reads frames with `rollcall::protocol`). Settings: {}.\n",
            self.settings
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let names: Vec<&str> = self.results.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(
            out,
            "| scenario | metric | {} | rollcall vs deepstream |\n|---|---|{}---|",
            names.join(" | "),
            "---|".repeat(names.len())
        );
        let both = names.len() == 2;
        let rows = summary_rows();
        for (scenario, metric, higher_is_better, get) in &rows {
            let values: Vec<Option<(f64, String)>> =
                self.results.iter().map(|(_, r)| get(r)).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let cells: Vec<String> = values
                .iter()
                .map(|v| v.as_ref().map_or("—".into(), |(_, s)| s.clone()))
                .collect();
            let ratio_cell = match (both, &values[..]) {
                (true, [Some((a, _)), Some((b, _))]) => compare(*a, *b, *higher_is_better),
                _ => "—".into(),
            };
            let _ = writeln!(
                out,
                "| {scenario} | {metric} | {} | {ratio_cell} |",
                cells.join(" | ")
            );
        }
        self.render_equal_load(out);
        let _ = writeln!(out);
        for (name, results) in &self.results {
            if let Some(steps) = &results.fanout {
                let _ = writeln!(out, "### Fan-out ladder: {name}\n");
                let _ = writeln!(out, "| target logins/s | logins | offered deliveries/s | delivered | achieved deliveries/s | p50 | p99 | max | failed logins | sustained | server CPU | server CPU per delivery | load generator CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|");
                for s in steps {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        s.rate,
                        s.logins,
                        rate(s.offered_per_sec),
                        s.delivered,
                        s.expected,
                        rate(s.achieved_per_sec),
                        duration(s.latency.p50),
                        duration(s.latency.p99),
                        duration(s.latency.max),
                        s.failed,
                        if s.sustained { "yes" } else { "no" },
                        percent(s.server_cpu, s.wall),
                        nanos(s.server_cpu.as_nanos() as f64 / s.delivered.max(1) as f64),
                        percent(s.loadgen_cpu, s.wall),
                    );
                }
                let _ = writeln!(out);
            }
        }
        for (name, results) in &self.results {
            if let Some(idle) = &results.idle {
                let _ = writeln!(
                    out,
                    "Idle memory, {name}: VmRSS {} before, {} with {} idle authenticated connections.\n",
                    bytes(idle.rss_before as f64),
                    bytes(idle.rss_after as f64),
                    idle.connections
                );
            }
            if !results.storm_levels.is_empty() {
                let levels: Vec<String> = results
                    .storm_levels
                    .iter()
                    .map(|storm| {
                        format!(
                            "{} in flight: {} ({} clients in {}, server CPU {}, load generator CPU {} of one core)",
                            storm.in_flight,
                            rate(storm.logins_per_sec),
                            storm.clients,
                            duration(storm.wall),
                            percent(storm.server_cpu, storm.wall),
                            percent(storm.loadgen_cpu, storm.wall)
                        )
                    })
                    .collect();
                let _ = writeln!(out, "Connect storm, {name}: {}.\n", levels.join("; "));
            }
            if let Some(g) = &results.get_all {
                let _ = writeln!(
                    out,
                    "getAll under load, {name}: {} names per answer, {} answers.\n",
                    g.names, g.latency.count
                );
            }
            for (scenario, error) in &results.errors {
                let _ = writeln!(out, "**{name}, {scenario} failed:** {error}\n");
            }
        }
    }

    /// The fan-out latency of both servers at the highest rate both sustained.
    fn render_equal_load(&self, out: &mut String) {
        let (Some(rc), Some(ds)) = (
            self.server("rollcall").and_then(|r| r.fanout.as_deref()),
            self.server("deepstream").and_then(|r| r.fanout.as_deref()),
        ) else {
            return;
        };
        let mut both = ds.iter().rev().filter(|d| d.sustained).filter_map(|d| {
            rc.iter()
                .find(|r| r.sustained && r.rate == d.rate)
                .map(|r| (r, d))
        });
        if let Some((r, d)) = both.next() {
            for (metric, a, b) in [
                ("p50", r.latency.p50, d.latency.p50),
                ("p99", r.latency.p99, d.latency.p99),
            ] {
                let _ = writeln!(
                    out,
                    "| fan-out | join-to-delivery {metric} at equal load ({} logins/s, {}) | {} | {} | {} |",
                    r.rate,
                    rate(r.offered_per_sec),
                    duration(a),
                    duration(b),
                    compare(a.as_secs_f64(), b.as_secs_f64(), false)
                );
            }
        }
    }

    fn render_criterion(&self, out: &mut String) {
        if self.criterion.is_empty() {
            return;
        }
        let _ = writeln!(out, "## Micro-benchmarks (criterion, one core)\n");
        let _ = writeln!(
            out,
            "Means of the last `cargo bench` run of each benchmark. `core` is rollcall's core \
             alone; `core+queues` adds the hub's encoding and per-connection queueing, \
             `core+queues+writers` a woken writer task per connection; `naive` is one lock \
             around `HashMap`s with one encoding per subscriber; `model` is the reference \
             model. Fan-out and churn cells are elements per second (deliveries; logins + \
             logouts) and the time of one iteration.\n"
        );
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        for bench in &self.criterion {
            let (prefix, column) = match bench.function.rsplit_once('/') {
                Some((prefix, column)) => (format!("{}/{prefix}", bench.group), column.to_string()),
                None => (bench.group.clone(), bench.function.clone()),
            };
            let table = tables.entry(prefix).or_default();
            if !table.columns.contains(&column) {
                table.columns.push(column.clone());
            }
            if !table.rows.contains(&bench.value) {
                table.rows.push(bench.value.clone());
            }
            let cell = match bench.per_sec() {
                Some(per_sec) => format!("{} ({})", rate(per_sec), nanos(bench.mean_ns)),
                None => nanos(bench.mean_ns),
            };
            table.cells.insert((bench.value.clone(), column), cell);
        }
        const ORDER: [&str; 9] = [
            "core",
            "core+encode",
            "core+queues",
            "core+queues+writers",
            "rollcall",
            "naive",
            "prost",
            "prost-body",
            "model",
        ];
        let rank = |c: &String| ORDER.iter().position(|o| o == c).unwrap_or(ORDER.len());
        // Rows such as `10000` or `U=1000/S=10000` sort by their numbers, others by name.
        let numeric = |v: &String| -> (bool, Vec<u64>, String) {
            let numbers: Vec<u64> = v
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect();
            (numbers.is_empty(), numbers, v.clone())
        };
        for (key, table) in tables {
            let Table {
                mut columns,
                mut rows,
                cells,
            } = table;
            columns.sort_by_key(rank);
            if rows.iter().all(|row| !numeric(row).0) {
                rows.sort_by_key(numeric);
            } else {
                rows.sort();
            }
            let _ = writeln!(out, "### {key}\n");
            let _ = writeln!(
                out,
                "| | {} |\n|---|{}",
                columns.join(" | "),
                "---|".repeat(columns.len())
            );
            for row in &rows {
                let line: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        cells
                            .get(&(row.clone(), c.clone()))
                            .cloned()
                            .unwrap_or("—".into())
                    })
                    .collect();
                let _ = writeln!(out, "| {row} | {} |", line.join(" | "));
            }
            let _ = writeln!(out);
        }
    }
}

/// Reads one figure of a server's results: the value to compare and its text.
type Getter = Box<dyn Fn(&Results) -> Option<(f64, String)>>;

/// A row of the side-by-side table: scenario, metric, whether higher is better, the figure.
type Row = (&'static str, &'static str, bool, Getter);

/// A figure of the best fan-out step.
fn fanout_row(metric: &'static str, higher: bool, get: fn(&FanoutStep) -> (f64, String)) -> Row {
    (
        "fan-out",
        metric,
        higher,
        Box::new(move |r: &Results| Some(get(capacity(r.fanout.as_deref()?)?))),
    )
}

/// CPU time per unit of work.
fn per(cpu: Duration, count: u64) -> (f64, String) {
    let ns = cpu.as_nanos() as f64 / count.max(1) as f64;
    (ns, nanos(ns))
}

fn latency_cell(d: Duration) -> (f64, String) {
    (d.as_secs_f64(), duration(d))
}

/// The rows of the side-by-side table.
fn summary_rows() -> Vec<Row> {
    vec![
        fanout_row("deliveries/s (best sustained step)", true, |s| {
            let note = if s.sustained { "" } else { " (not sustained)" };
            (
                s.achieved_per_sec,
                format!("{}{note}", rate(s.achieved_per_sec)),
            )
        }),
        fanout_row("server CPU per delivery at that step", false, |s| {
            per(s.server_cpu, s.delivered)
        }),
        fanout_row("join-to-delivery p50 at that step", false, |s| {
            latency_cell(s.latency.p50)
        }),
        fanout_row("join-to-delivery p99 at that step", false, |s| {
            latency_cell(s.latency.p99)
        }),
        fanout_row("join-to-delivery max at that step", false, |s| {
            latency_cell(s.latency.max)
        }),
        (
            "connect storm",
            "logins/s",
            true,
            Box::new(|r: &Results| {
                let s = r.storm.as_ref()?;
                let text = format!("{} ({} clients)", rate(s.logins_per_sec), s.clients);
                Some((s.logins_per_sec, text))
            }),
        ),
        (
            "connect storm",
            "server CPU per login",
            false,
            Box::new(|r: &Results| {
                let s = r.storm.as_ref()?;
                Some(per(s.server_cpu, s.clients as u64))
            }),
        ),
        (
            "connect storm",
            "until a watcher saw every join",
            false,
            Box::new(|r: &Results| Some(latency_cell(r.storm.as_ref()?.all_seen_after?))),
        ),
        (
            "idle",
            "server RSS per connection",
            false,
            Box::new(|r: &Results| {
                let i = r.idle.as_ref()?;
                Some((i.per_connection(), bytes(i.per_connection())))
            }),
        ),
        (
            "getAll under load",
            "answers/s",
            true,
            Box::new(|r: &Results| {
                let g = r.get_all.as_ref()?;
                Some((g.answers_per_sec, rate(g.answers_per_sec)))
            }),
        ),
        (
            "getAll under load",
            "server CPU per answer (churn included)",
            false,
            Box::new(|r: &Results| {
                let g = r.get_all.as_ref()?;
                Some(per(g.server_cpu, g.latency.count))
            }),
        ),
        (
            "getAll under load",
            "latency p50",
            false,
            Box::new(|r: &Results| Some(latency_cell(r.get_all.as_ref()?.latency.p50))),
        ),
        (
            "getAll under load",
            "latency p99",
            false,
            Box::new(|r: &Results| Some(latency_cell(r.get_all.as_ref()?.latency.p99))),
        ),
    ]
}

/// One Markdown table of criterion figures: engines as columns, sizes or messages as rows.
#[derive(Default)]
struct Table {
    columns: Vec<String>,
    rows: Vec<String>,
    /// (row, column) -> cell text.
    cells: BTreeMap<(String, String), String>,
}

/// The hand-written section of an existing file, if any.
pub fn existing_analysis(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let start = text.find(ANALYSIS_BEGIN)? + ANALYSIS_BEGIN.len();
    let end = text[start..].find(ANALYSIS_END)? + start;
    Some(text[start..end].trim_start_matches('\n').to_string())
}
