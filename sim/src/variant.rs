//! Which server runs in a simulation: rollcall as built, or (in the simulator's own tests) a
//! deliberately wrong one, to show that the oracles catch real bugs.

use std::net::SocketAddr;

use rollcall::core::{ConnId, Input, Output, SessionTracker, Sessions};
use rollcall::server::{CloseReason, Instrument};
use rollcall_conformance::adapter;

use crate::trace::{Entry, Recorder};

/// Rewrites what the hub is about to deliver: how a wrong server is made without touching the
/// production code. Only the simulator's tests define taps.
pub trait Tap: Send {
    /// Sees a connection end (before the core is told).
    fn closed(&mut self, conn: ConnId, reason: CloseReason) {
        let _ = (conn, reason);
    }

    /// May change the outputs of `input`.
    fn tap(&mut self, input: &Input, outputs: &mut Vec<Output>);
}

/// A server to simulate.
pub trait Variant: Send + Sync + 'static {
    /// A short name for reports.
    fn name(&self) -> &str;

    /// The session tracker the core decides transitions with.
    fn tracker(&self) -> Box<dyn SessionTracker + Send> {
        Box::new(Sessions::default())
    }

    /// A tap on the hub's outputs, if this variant rewrites them.
    fn tap(&self) -> Option<Box<dyn Tap>> {
        None
    }
}

/// rollcall as built.
pub struct Correct;

impl Variant for Correct {
    fn name(&self) -> &str {
        "rollcall"
    }
}

/// The commit log: records every connection, input and output of the hub.
pub struct CommitLog {
    /// Where entries go.
    pub recorder: Recorder,
    /// The variant's tap, applied before recording.
    pub tap: Option<Box<dyn Tap>>,
}

impl Instrument for CommitLog {
    fn opened(&mut self, conn: ConnId, peer: SocketAddr) {
        let host = turmoil::reverse_lookup(peer.ip()).unwrap_or_else(|| peer.to_string());
        self.recorder.record(Entry::Opened { conn: conn.0, host });
    }

    fn applied(&mut self, input: &Input, outputs: &mut Vec<Output>, core_is_empty: bool) {
        if let Some(tap) = &mut self.tap {
            tap.tap(input, outputs);
        }
        let deliveries = adapter::deliveries(outputs.clone());
        let input = adapter::model_input(input);
        self.recorder.record(Entry::Applied {
            input,
            deliveries,
            core_is_empty,
        });
    }

    fn closed(&mut self, conn: ConnId, reason: CloseReason) {
        if let Some(tap) = &mut self.tap {
            tap.closed(conn, reason);
        }
        self.recorder.record(Entry::Closed {
            conn: conn.0,
            reason: format!("{reason:?}"),
        });
    }
}
