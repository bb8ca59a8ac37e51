//! A window into the hub for the simulator: what the core was asked, and what it answered.
//!
//! The hub calls an [`Instrument`] for every connection it learns of, every input it applies
//! (with the outputs, before they are carried out) and every connection that ends, with why.
//! The production server uses `()`, whose empty methods compile to nothing; the simulator
//! records a commit log with its own instrument, and its catalogue of deliberately wrong
//! servers rewrites outputs here, in test code only.

use std::net::SocketAddr;

use super::outbox::CloseReason;
use crate::core::{ConnId, Input, Output};

/// Observes (and, in tests, may rewrite) what the hub does. Called on the hub task, in order.
pub trait Instrument: Send + 'static {
    /// Whether [`Instrument::applied`] is wanted. Handing it the input costs a copy of the
    /// input, so an instrument that does not look (like `()`) says no, and the hub's hot path
    /// stays exactly what it is without instrumentation.
    const OBSERVES_INPUTS: bool = true;

    /// A WebSocket connection from `peer` became `conn`.
    fn opened(&mut self, conn: ConnId, peer: SocketAddr) {
        let _ = (conn, peer);
    }

    /// The core applied `input` and produced `outputs`, which are carried out right after
    /// this returns. `core_is_empty` says whether the core now holds no state at all.
    fn applied(&mut self, input: &Input, outputs: &mut Vec<Output>, core_is_empty: bool) {
        let _ = (input, outputs, core_is_empty);
    }

    /// The connection ended, for `reason`.
    fn closed(&mut self, conn: ConnId, reason: CloseReason) {
        let _ = (conn, reason);
    }
}

/// No instrument: what the production server runs with.
impl Instrument for () {
    const OBSERVES_INPUTS: bool = false;
}
