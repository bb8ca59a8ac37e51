//! Conformance machinery shared by rollcall's cross-crate tests.
//!
//! The reference model (`rollcall-model`) and the production core (`rollcall::core`) have
//! separate vocabularies on purpose: neither knows the other. [`adapter`] translates between
//! them, [`schedule`] generates schedules and drives both side by side, and [`transcript`]
//! renders a scenario as text a person can read.

pub mod adapter;
pub mod interop;
pub mod raw;
pub mod schedule;
pub mod transcript;
pub mod wrong;
