//! rollcall: a presence server that speaks the deepstream protocol.

pub mod core;
pub mod protocol;
