//! rollcall's benchmarks: the fan-out hot path and the side-by-side load comparison with the
//! real deepstream server.
//!
//! This crate is empty until the benchmarks are written; nothing here runs yet.
