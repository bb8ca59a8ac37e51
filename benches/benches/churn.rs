//! Churn: logins and logouts per second with `U` users online and `S` subscriptions.
//!
//! One iteration is one user of a pool logging in on a fresh connection and closing it: one
//! login and one logout, reported as 2 elements (see `rollcall_benches::workload::Churn`). The
//! `S` per-name subscriptions are held by the online users and spread evenly over them and the
//! pool, so each transition is told to about `S / (U + 1024)` followers: the cost measured is
//! that of the session count, the roster, the indexes and a small fan-out, in tables of
//! realistic size.
//!
//! Engines side by side: `core`, `core+queues` (the hub's encoding and queueing, queues
//! emptied outside the measured time), `naive` and `model`. The model is capped at
//! `U` = 10 000: it rebuilds the online set from every connection twice per step, and its
//! setup at `U` = 100 000 alone takes minutes.
//!
//! ```text
//! cargo bench -p rollcall-benches --bench churn
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rollcall_benches::engine::{CoreEngine, HubEngine, ModelEngine, Presence};
use rollcall_benches::naive::NaiveEngine;
use rollcall_benches::workload::Churn;

/// `(U users online, S subscriptions)`.
const CASES: [(usize, usize); 5] = [
    (1_000, 0),
    (1_000, 10_000),
    (10_000, 100_000),
    (100_000, 0),
    (100_000, 1_000_000),
];

/// The model is left out above this many users.
const MODEL_MAX: usize = 10_000;

/// Cycles between two untimed drains of the queues.
const CYCLES_BETWEEN_DRAINS: u64 = 4096;

/// Times `iters` churn cycles, emptying the queues outside the measured time.
fn time_with_drains<E: Presence>(
    iters: u64,
    engine: &mut E,
    churn: &mut Churn,
    drain: impl Fn(&E) -> usize,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let batch = left.min(CYCLES_BETWEEN_DRAINS);
        let start = Instant::now();
        for _ in 0..batch {
            black_box(churn.cycle(engine));
        }
        total += start.elapsed();
        drain(engine);
        left -= batch;
    }
    total
}

fn churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("churn");
    group.throughput(Throughput::Elements(2));
    for &(users, subscriptions) in &CASES {
        let id = format!("U={users}/S={subscriptions}");

        let mut engine = CoreEngine::default();
        let mut churn = Churn::new(&mut engine, users, subscriptions);
        group.bench_function(BenchmarkId::new("core", &id), |b| {
            b.iter(|| black_box(churn.cycle(&mut engine)))
        });
        drop(engine);

        let mut engine = HubEngine::default();
        let mut churn = Churn::new(&mut engine, users, subscriptions);
        engine.drain_now();
        group.bench_function(BenchmarkId::new("core+queues", &id), |b| {
            b.iter_custom(|iters| {
                time_with_drains(iters, &mut engine, &mut churn, HubEngine::drain_now)
            })
        });
        drop(engine);

        let mut engine = NaiveEngine::default();
        let mut churn = Churn::new(&mut engine, users, subscriptions);
        engine.drain_now();
        group.bench_function(BenchmarkId::new("naive", &id), |b| {
            b.iter_custom(|iters| {
                time_with_drains(iters, &mut engine, &mut churn, NaiveEngine::drain_now)
            })
        });
        drop(engine);

        if users <= MODEL_MAX {
            let mut engine = ModelEngine::default();
            let mut churn = Churn::new(&mut engine, users, subscriptions);
            group.bench_function(BenchmarkId::new("model", &id), |b| {
                b.iter(|| black_box(churn.cycle(&mut engine)))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = churn
}
criterion_main!(benches);
