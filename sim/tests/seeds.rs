//! A fixed range of seeds, every oracle checked, every coverage counter above zero.

use std::sync::Arc;

use rollcall_sim::{run, Correct, Coverage, Params, Schedule};

/// Seeds run by `cargo test`; `rollcall-sim run --seeds 0..1000` is the big sweep.
const SEEDS: std::ops::Range<u64> = 0..24;

#[test]
fn a_fixed_seed_range_passes_with_full_coverage() {
    let params = Params::default();
    let mut coverage = Coverage::default();
    let seeds: Vec<u64> = SEEDS.collect();
    let results: Vec<_> = std::thread::scope(|scope| {
        let halves = seeds.chunks(seeds.len().div_ceil(2)).map(|chunk| {
            let params = &params;
            scope.spawn(move || {
                chunk
                    .iter()
                    .map(|&seed| {
                        (
                            seed,
                            run(&Schedule::generate(seed, params), Arc::new(Correct)),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        });
        halves
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    for (seed, outcome) in &results {
        if let Some(v) = &outcome.violation {
            panic!(
                "seed {seed} fails {} at {} ms: {}\nreplay: cargo run -p rollcall-sim --release -- replay --seed {seed}",
                v.oracle, v.t_ms, v.detail
            );
        }
        coverage.add(&outcome.coverage);
    }
    assert!(
        coverage.missing().is_empty(),
        "never happened: {:?} ({coverage:?})",
        coverage.missing()
    );
}
