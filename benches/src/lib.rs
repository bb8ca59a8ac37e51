//! rollcall's benchmarks: how fast the presence core fans an event out, what queueing and
//! waking add, how churn and queries scale, what the codec costs, and, end to end over real
//! sockets, how rollcall compares with the real deepstream server.
//!
//! # What is measured, and against what
//!
//! The hot path of a presence server is the fan-out: one user logs in and every watcher must
//! hear it. rollcall's core answers a transition with *one* event naming all its recipients
//! (`Output::Event { event, recipients }`); the hub encodes it once and pushes the same bytes
//! into every recipient's outbox. The criterion benchmarks (`benches/benches/*.rs`) measure
//! that path in layers, each beside baselines driven by the same workload:
//!
//! * [`engine::CoreEngine`]: the core alone.
//! * [`engine::HubEngine`]: the core plus the hub's encoding and queueing, with the server's
//!   own encoder and outbox (`rollcall::server::encode`, `rollcall::server::Outbox`), and in
//!   the fan-out benchmark with a parked writer task per connection that must be woken.
//! * [`engine::ModelEngine`]: the executable specification (`rollcall_model::Model`), which
//!   recomputes everything from raw facts on every step: the naive algorithm.
//! * [`naive::NaiveEngine`]: a straightforward server, one lock around `HashMap`s and one
//!   encoding per subscriber: the naive implementation.
//!
//! The workloads ([`workload`]) are written once against the [`engine::Presence`] trait, so a
//! row of numbers compares engines on identical inputs. Instruction counts of the core's
//! fan-out and churn (`benches/benches/instructions.rs`) come from gungraun under valgrind and
//! do not depend on a noisy machine.
//!
//! The load generator (`src/bin/loadgen`) drives real servers, rollcall and deepstream 7.0.2,
//! over loopback WebSockets with the raw protocol, and writes `benches/RESULTS.md`.
//! `benches/README.md` tells how to run each part.

pub mod engine;
pub mod naive;
pub mod workload;
