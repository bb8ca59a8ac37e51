//! Every case under `sim/regressions/` is replayed on every test run, forever. A case is a
//! shrunk schedule (JSON, as written by `rollcall-sim shrink`) that once broke an oracle.

use std::sync::Arc;

use rollcall_sim::{run, Correct, Schedule};

#[test]
fn every_regression_case_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("sim/regressions exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no regression case in {}", dir.display());
    for path in cases {
        let text = std::fs::read_to_string(&path).expect("readable case");
        let schedule: Schedule = serde_json::from_str(&text).expect("a valid case");
        let outcome = run(&schedule, Arc::new(Correct));
        if let Some(v) = outcome.violation {
            panic!(
                "{} fails {} at {} ms: {}",
                path.display(),
                v.oracle,
                v.t_ms,
                v.detail
            );
        }
    }
}
