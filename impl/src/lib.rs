//! rollcall: a presence server that speaks the deepstream protocol.

pub mod auth;
pub mod client;
pub mod config;
pub mod core;
pub mod protocol;
pub mod server;
