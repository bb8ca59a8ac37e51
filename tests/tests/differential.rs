//! The core against the model on random schedules (SPEC.md, every rule).
//!
//! Each case is a random configuration and up to 60 random steps over 6 connections and 4
//! users; after every step each connection must have received exactly what the model says.
//! The default size finishes in seconds; a big campaign:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p rollcall-conformance --test differential
//! ```
//!
//! Failures shrink to a minimal schedule and are recorded in `differential.proptest-regressions`
//! beside this file, which is committed and replayed first on every run.

use proptest::test_runner::Config;
use proptest_state_machine::prop_state_machine;
use rollcall::core::Sessions;
use rollcall_conformance::schedule::CoreAgainstModel;

/// Cases per run: `PROPTEST_CASES` if set, else enough to cover the rules in a few seconds.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn core_agrees_with_model(sequential 1..60 => CoreAgainstModel<Sessions>);
}
