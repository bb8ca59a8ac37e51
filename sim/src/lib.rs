//! rollcall's deterministic simulator.
//!
//! The real server code, the real Rust client and the real wire protocol run over turmoil's
//! simulated network and clock, under a [`Schedule`] generated from one seed: devices connect,
//! subscribe, query, close, crash, die silently behind a partition, stop reading; latency
//! changes. Every run is recorded (the server core's commit log and each client's
//! observations) and judged by the [`oracles`] against the reference model. The same seed
//! gives the same run, byte for byte; a failing schedule shrinks to a short case that replays
//! without the generator. `sim/README.md` explains how to run a campaign and read a failure.
//!
//! ```no_run
//! use std::sync::Arc;
//! use rollcall_sim::{run, Correct, Params, Schedule};
//!
//! let schedule = Schedule::generate(42, &Params::default());
//! let outcome = run(&schedule, Arc::new(Correct));
//! assert!(outcome.violation.is_none());
//! ```

pub mod device;
pub mod network;
pub mod oracles;
pub mod run;
pub mod schedule;
pub mod shrink;
pub mod trace;
pub mod variant;

pub use oracles::{Coverage, Violation};
pub use run::{run, Outcome};
pub use schedule::{Action, Device, Faults, Params, Schedule, Step};
pub use variant::{Correct, Tap, Variant};
