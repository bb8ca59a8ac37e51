//! Schedules as proptest values: random shapes (users, devices, faults, length) and seeds.
//! Each case's seed is fixed by proptest and not shrunk: a failure names its schedule, which
//! `rollcall-sim shrink` reduces far better than proptest could.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::Config;
use rollcall_sim::{run, Correct, Faults, Params, Schedule};

fn schedule() -> impl Strategy<Value = Schedule> {
    let faults = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(crash, silent_death, slow_consumer, latency, partition)| Faults {
                crash,
                silent_death,
                slow_consumer,
                latency,
                partition,
            },
        );
    (any::<u64>(), 1u32..6, 1u32..4, 3u64..12, faults)
        .prop_map(|(seed, users, devices, seconds, faults)| {
            Schedule::generate(
                seed,
                &Params {
                    users,
                    devices,
                    duration_ms: seconds * 1_000,
                    faults,
                },
            )
        })
        .no_shrink()
}

proptest! {
    #![proptest_config(Config { cases: 8, failure_persistence: None, ..Config::default() })]

    #[test]
    fn any_schedule_passes_every_oracle(schedule in schedule()) {
        let outcome = run(&schedule, Arc::new(Correct));
        if let Some(v) = outcome.violation {
            let case = serde_json::to_string(&schedule).unwrap_or_default();
            prop_assert!(false, "{} at {} ms: {}\ncase: {}", v.oracle, v.t_ms, v.detail, case);
        }
    }
}
