//! The same seed gives the same run, byte for byte: twice in this process and once in a child
//! process (a fresh address space, so no accidental dependence on process state).

use std::process::Command;
use std::sync::Arc;

use rollcall_sim::{run, Correct, Params, Schedule};

#[test]
fn seeds_replay_byte_for_byte() {
    let params = Params {
        duration_ms: 10_000,
        ..Params::default()
    };
    for seed in [0, 7, 1234] {
        let schedule = Schedule::generate(seed, &params);
        let first = run(&schedule, Arc::new(Correct));
        let second = run(&schedule, Arc::new(Correct));
        assert_eq!(
            first.trace.len(),
            second.trace.len(),
            "seed {seed}: different traces"
        );
        assert_eq!(
            first.digest, second.digest,
            "seed {seed}: different digests"
        );
        let child = Command::new(env!("CARGO_BIN_EXE_rollcall-sim"))
            .args(["digest", "--seed", &seed.to_string(), "--duration", "10"])
            .output()
            .expect("the simulator binary runs");
        assert!(
            child.status.success(),
            "{}",
            String::from_utf8_lossy(&child.stderr)
        );
        let child = String::from_utf8_lossy(&child.stdout).trim().to_string();
        assert_eq!(
            first.digest, child,
            "seed {seed}: the child process ran it differently"
        );
    }
}
