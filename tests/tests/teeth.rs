//! The differential test has teeth: a core with a deliberately wrong session tracker, one that
//! reports a leave whenever any device of a user closes (against R6), is caught, and the failure
//! shrinks to a schedule a person can read at a glance.

use std::panic;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use rollcall_conformance::schedule::{show, CoreAgainstModel, PresenceMachine};
use rollcall_conformance::wrong::LeaveOnAnyClose;

#[test]
fn a_leave_on_any_close_is_caught_and_shrunk_to_at_most_six_steps() {
    let config = Config {
        cases: 1_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config.clone(),
        proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm),
    );
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {})); // the expected failures would flood the output
    let result = runner.run(
        &PresenceMachine::sequential_strategy(1..60),
        |(state, steps, seen)| {
            let config = config.clone();
            panic::catch_unwind(panic::AssertUnwindSafe(|| {
                CoreAgainstModel::<LeaveOnAnyClose>::test_sequential(config, state, steps, seen)
            }))
            .map_err(|_| TestCaseError::fail("the core diverged from the model"))
        },
    );
    panic::set_hook(hook);
    match result {
        Err(TestError::Fail(_, (_, steps, _))) => {
            eprintln!("shrunk to:\n{}", show(&steps));
            assert!(
                steps.len() <= 6,
                "shrunk to {} steps:\n{}",
                steps.len(),
                show(&steps)
            );
        }
        other => panic!("the wrong core was not caught: {other:?}"),
    }
}
