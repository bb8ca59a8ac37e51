//! Fan-out: one login reaching `N` watchers, in deliveries per second.
//!
//! Each watcher is subscribed to everyone and to the joining user, and one iteration is a
//! login and a logout of that user (see `rollcall_benches::workload::Fanout`): `4 N`
//! deliveries, which criterion reports as elements per second. Side by side, for each `N`:
//!
//! * `core`: rollcall's core alone, `Core::handle` building one event with its recipient list.
//! * `core+queues`: plus the hub's work, with the server's own encoder and outbox: each event
//!   encoded once and the same `Bytes` pushed into every recipient's outbox (lock, reference
//!   count, queue push, wake-up of an idle writer). The queues are emptied outside the
//!   measured time.
//! * `core+queues+writers`: the same with a writer task parked on every outbox, on a
//!   single-threaded tokio runtime: each push wakes a real task, which drains its batch; the
//!   time runs until every writer has taken every frame. This is the whole server path but
//!   the sockets.
//! * `naive`: one lock around `HashMap`s, one prost encoding per subscriber, queues emptied
//!   outside the measured time (`rollcall_benches::naive`).
//! * `model`: the reference model, which scans every connection on each step; capped at
//!   `N` = 10 000 because past that one sample takes seconds.
//!
//! ```text
//! cargo bench -p rollcall-benches --bench fanout
//! cargo bench -p rollcall-benches --bench fanout -- --quick 'fanout/core/10000'
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rollcall::server::Outbox;
use rollcall_benches::engine::{CoreEngine, HubEngine, ModelEngine, Presence};
use rollcall_benches::naive::NaiveEngine;
use rollcall_benches::workload::Fanout;

/// Watcher counts.
const SIZES: [usize; 4] = [1, 100, 10_000, 100_000];

/// The model is left out above this many watchers.
const MODEL_MAX: usize = 10_000;

/// Frames allowed to pile up in the queues between two untimed drains.
const FRAMES_BETWEEN_DRAINS: usize = 1 << 16;

/// Times `iters` fan-out cycles, emptying the queues outside the measured time every few
/// cycles so they stay small (and far below their byte limit).
fn time_with_drains<E: Presence>(
    iters: u64,
    engine: &mut E,
    fanout: &mut Fanout,
    drain: impl Fn(&E) -> usize,
) -> Duration {
    let per_drain = (FRAMES_BETWEEN_DRAINS / fanout.deliveries_per_cycle().max(1)).max(1) as u64;
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let batch = left.min(per_drain);
        let start = Instant::now();
        for _ in 0..batch {
            black_box(fanout.cycle(engine));
        }
        total += start.elapsed();
        drain(engine);
        left -= batch;
    }
    total
}

/// A connection's writer, minus the socket: takes every batch and counts it.
async fn writer(outbox: Arc<Outbox>, delivered: Arc<AtomicUsize>) {
    let mut batch = Vec::new();
    loop {
        let closing = outbox.next_batch(&mut batch).await;
        delivered.fetch_add(batch.len(), Ordering::Relaxed);
        black_box(&batch);
        batch.clear();
        if closing.is_some() {
            return;
        }
    }
}

/// `core+queues+writers`: fan-out cycles on a current-thread runtime with a parked writer per
/// watcher; each iteration ends when every writer has drained its frames.
fn bench_with_writers(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut engine = HubEngine::default();
    let mut fanout = Fanout::new(&mut engine, n);
    engine.drain_now();
    let delivered = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        for conn in 1..=n as u64 {
            let outbox = engine.outbox(conn).expect("a watcher's outbox").clone();
            tokio::spawn(writer(outbox, delivered.clone()));
        }
        tokio::task::yield_now().await; // every writer parks on its empty outbox
    });
    let per_cycle = fanout.deliveries_per_cycle();
    c.bench_with_input(BenchmarkId::new("core+queues+writers", n), &n, |b, _| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let target = delivered.load(Ordering::Relaxed) + per_cycle;
                    black_box(fanout.cycle(&mut engine));
                    while delivered.load(Ordering::Relaxed) < target {
                        tokio::task::yield_now().await;
                    }
                }
                start.elapsed()
            })
        })
    });
    // Dropping the runtime cancels the parked writers.
    drop(runtime);
}

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    for &n in &SIZES {
        group.throughput(Throughput::Elements(4 * n as u64));
        if n >= 10_000 {
            group.sample_size(10);
        } else {
            group.sample_size(50);
        }

        let mut engine = CoreEngine::default();
        let mut fanout = Fanout::new(&mut engine, n);
        group.bench_with_input(BenchmarkId::new("core", n), &n, |b, _| {
            b.iter(|| black_box(fanout.cycle(&mut engine)))
        });
        drop(engine);

        let mut engine = HubEngine::default();
        let mut fanout = Fanout::new(&mut engine, n);
        engine.drain_now();
        group.bench_with_input(BenchmarkId::new("core+queues", n), &n, |b, _| {
            b.iter_custom(|iters| {
                time_with_drains(iters, &mut engine, &mut fanout, HubEngine::drain_now)
            })
        });
        drop(engine);

        bench_with_writers(&mut group, n);

        let mut engine = NaiveEngine::default();
        let mut fanout = Fanout::new(&mut engine, n);
        engine.drain_now();
        group.bench_with_input(BenchmarkId::new("naive", n), &n, |b, _| {
            b.iter_custom(|iters| {
                time_with_drains(iters, &mut engine, &mut fanout, NaiveEngine::drain_now)
            })
        });
        drop(engine);

        if n <= MODEL_MAX {
            let mut engine = ModelEngine::default();
            let mut fanout = Fanout::new(&mut engine, n);
            group.bench_with_input(BenchmarkId::new("model", n), &n, |b, _| {
                b.iter(|| black_box(fanout.cycle(&mut engine)))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = fanout
}
criterion_main!(benches);
