//! rollcall's deterministic simulator: seeded schedules of connects, crashes, subscribes and
//! queries run against the real server code over a simulated network, checked against the
//! reference model.
//!
//! This crate is empty until the server's listener abstraction exists; nothing here runs yet.
