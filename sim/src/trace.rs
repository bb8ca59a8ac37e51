//! The record of a run: the server's commit log and every device's observations, each entry
//! stamped with simulated milliseconds. Oracles read it; `replay` prints it.

use std::fmt;
use std::sync::{Arc, Mutex};

use rollcall_model::{Delivery, Input};

/// One thing that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// The server accepted a WebSocket connection from a host.
    Opened {
        /// Server-side connection id.
        conn: u64,
        /// The client's host name.
        host: String,
    },
    /// The server's core applied an input (the commit log).
    Applied {
        /// The input.
        input: Input,
        /// What the hub then delivered, per recipient.
        deliveries: Vec<Delivery>,
        /// Whether the core held no state afterwards.
        core_is_empty: bool,
    },
    /// The server ended a connection.
    Closed {
        /// Server-side connection id.
        conn: u64,
        /// Why.
        reason: String,
    },
    /// A device did or saw something.
    Device {
        /// The device's host name.
        host: String,
        /// What.
        note: Note,
    },
    /// The network or a host was changed by the schedule.
    Fault(String),
}

/// What a device did or saw.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// Connected and logged in.
    Connected,
    /// Could not connect or log in.
    ConnectFailed(String),
    /// Closed its connection.
    Closed,
    /// Sent a request (described).
    Request(String),
    /// A request failed.
    Failed(String),
    /// The answer to getAll(), with the time the request was made.
    AllOnline {
        /// When the request was made.
        sent_ms: u64,
        /// The users the server named.
        users: Vec<String>,
    },
    /// A presence event.
    Event {
        /// The user.
        user: String,
        /// Joined (true) or left.
        online: bool,
        /// Delivered for a subscription to everyone.
        everyone: bool,
    },
    /// The client lost its connection.
    Disconnected,
    /// The client reconnected and restored its subscriptions.
    Reconnected,
    /// The client stopped trying to reconnect.
    GaveUp,
    /// An unsolicited error from the server.
    ServerError(String),
    /// The view at the end of the run: a getAll() while the network is quiet.
    FinalView {
        /// When the request was made.
        sent_ms: u64,
        /// The users the server named.
        users: Vec<String>,
    },
    /// The device's subscriptions were changed in a way that resets the join/leave alternation.
    SubscriptionReset,
}

/// A stamped entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamped {
    /// Simulated milliseconds since the start.
    pub t_ms: u64,
    /// What happened.
    pub entry: Entry,
}

impl fmt::Display for Stamped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:>7} ms] ", self.t_ms)?;
        match &self.entry {
            Entry::Opened { conn, host } => write!(f, "server   open  conn {conn} from {host}"),
            Entry::Applied {
                input, deliveries, ..
            } => {
                write!(f, "server   apply {input:?}")?;
                for d in deliveries {
                    write!(f, "\n              -> conn {}: {:?}", d.to.0, d.message)?;
                }
                Ok(())
            }
            Entry::Closed { conn, reason } => write!(f, "server   close conn {conn}: {reason}"),
            Entry::Device { host, note } => write!(f, "{host:<8} {note:?}"),
            Entry::Fault(what) => write!(f, "network  {what}"),
        }
    }
}

/// The shared, append-only record of one run.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Stamped>>>);

impl Recorder {
    /// Appends an entry stamped with the current simulated time.
    pub fn record(&self, entry: Entry) {
        let t_ms = crate::network::now_ms();
        self.lock().push(Stamped { t_ms, entry });
    }

    /// Appends an entry stamped `t_ms` (for the driver of the simulation, outside any host).
    pub fn record_at(&self, t_ms: u64, entry: Entry) {
        self.lock().push(Stamped { t_ms, entry });
    }

    /// Appends a device's note.
    pub fn note(&self, host: &str, note: Note) {
        self.record(Entry::Device {
            host: host.to_string(),
            note,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Stamped>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Everything recorded so far.
    pub fn entries(&self) -> Vec<Stamped> {
        self.lock().clone()
    }
}
