//! Queries: getAll() with 1 000 and 100 000 users online, and getAll(names) of 100 names.
//!
//! Engines side by side (see `rollcall_benches::engine`):
//!
//! * `core`: the core's answer (`Reply::QueryAllResult`, the sorted list of shared names).
//! * `encode only`: the frame of the core's getAll() answer alone (`rollcall::server::encode`).
//! * `core then encode`: the core's answer and its frame, on a core built alone. Beside
//!   `core+encode`, whose fixture allocates each user's connection state (outbox, frames)
//!   between the users' names as the server does, it shows how much of getAll's cost is where
//!   the names lie in memory: the same code reads the same names in both.
//! * `core+encode`: what the hub does for the asker: the answer plus its frame, pushed into the
//!   asker's outbox. This is the figure the "getAll with 100 000 online under 10 ms" target is
//!   about: the time the single hub task is busy with one request.
//! * `naive`: collect, sort and prost-encode under the lock.
//! * `model`: rebuild the online set from every connection and filter it (at 1 000 users
//!   only: its setup is quadratic).
//!
//! getAll(names) asks about 100 names, half of them online; the request's name list is built
//! outside the measured time.
//!
//! ```text
//! cargo bench -p rollcall-benches --bench queries
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rollcall::core::{ConnId, Input, Output};
use rollcall::server::encode;
use rollcall_benches::engine::{drain, CoreEngine, HubEngine, ModelEngine, Presence};
use rollcall_benches::naive::NaiveEngine;
use rollcall_benches::workload::Queries;

/// Users online.
const SIZES: [usize; 2] = [1_000, 100_000];

/// The model is left out above this many users: building its state alone is quadratic (each
/// login rebuilds the online set), minutes at 100 000.
const MODEL_MAX: usize = 10_000;

/// Times each of `iters` calls of `query` alone: `prepare` runs before each call and `clean`
/// after it, outside the measured time.
fn time_each<E, T>(
    iters: u64,
    engine: &mut E,
    prepare: impl Fn() -> T,
    query: impl Fn(&mut E, T) -> usize,
    clean: impl Fn(&E),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let input = prepare();
        let start = Instant::now();
        black_box(query(engine, input));
        total += start.elapsed();
        clean(engine);
    }
    total
}

/// Both queries on one engine; `clean` empties the asker's queue after each answer.
fn bench_engine<E: Presence + Default>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    users: usize,
    clean: impl Fn(&E, u64) + Copy,
) {
    let mut engine = E::default();
    let queries = Queries::new(&mut engine, users);
    let asker = queries.asker();
    group.bench_function(BenchmarkId::new(format!("getAll/{name}"), users), |b| {
        b.iter_custom(|iters| {
            time_each(
                iters,
                &mut engine,
                || (),
                |e, ()| e.query_all(asker),
                |e| clean(e, asker),
            )
        })
    });
    group.bench_function(
        BenchmarkId::new(format!("getAll(100 names)/{name}"), users),
        |b| {
            b.iter_custom(|iters| {
                time_each(
                    iters,
                    &mut engine,
                    || queries.names().to_vec(),
                    |e, names| e.query(asker, names),
                    |e| clean(e, asker),
                )
            })
        },
    );
}

/// The getAll() answer's frame alone, from the core's real answer (interned names): the
/// encoding half of `core+encode`.
fn bench_encode_only(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    users: usize,
) {
    let mut engine = CoreEngine::default();
    let queries = Queries::new(&mut engine, users);
    let mut outputs = Vec::new();
    engine.core_mut().handle(
        Input::QueryAll {
            conn: ConnId(queries.asker()),
            correlation_id: None,
        },
        &mut outputs,
    );
    let Some(Output::Reply { reply, .. }) = outputs.pop() else {
        panic!("getAll() is answered");
    };
    group.bench_function(BenchmarkId::new("getAll/encode only", users), |b| {
        b.iter(|| black_box(encode::reply(black_box(&reply), None)))
    });
    let asker = ConnId(queries.asker());
    group.bench_function(BenchmarkId::new("getAll/core then encode", users), |b| {
        b.iter(|| {
            engine.core_mut().handle(
                Input::QueryAll {
                    conn: asker,
                    correlation_id: None,
                },
                &mut outputs,
            );
            let frames: Vec<_> = outputs
                .drain(..)
                .map(|output| match output {
                    Output::Reply { reply, .. } => encode::reply(&reply, None),
                    Output::Event { .. } => unreachable!("a query has no event"),
                })
                .collect();
            black_box(frames)
        })
    });
}

fn queries(c: &mut Criterion) {
    let mut group = c.benchmark_group("queries");
    for &users in &SIZES {
        if users > 10_000 {
            group.sample_size(20);
        } else {
            group.sample_size(50);
        }
        bench_engine::<CoreEngine>(&mut group, "core", users, |_, _| {});
        bench_encode_only(&mut group, users);
        bench_engine::<HubEngine>(&mut group, "core+encode", users, |e, asker| {
            if let Some(outbox) = e.outbox(asker) {
                drain(outbox, &mut Vec::new());
            }
        });
        bench_engine::<NaiveEngine>(&mut group, "naive", users, |e, asker| {
            e.drain_conn(asker);
        });
        if users <= MODEL_MAX {
            bench_engine::<ModelEngine>(&mut group, "model", users, |_, _| {});
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = queries
}
criterion_main!(benches);
