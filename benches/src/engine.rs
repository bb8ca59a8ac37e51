//! The presence engines the benchmarks compare, behind one small trait.
//!
//! Every workload of [`crate::workload`] is written once against [`Presence`] and run on each
//! engine, so the numbers side by side measure the same inputs:
//!
//! | engine | what it is | what one event costs per recipient |
//! |---|---|---|
//! | [`CoreEngine`] | rollcall's sans-IO core alone: `Core::handle` into a reused output buffer | one `ConnId` copied into the event's recipient list |
//! | [`HubEngine`] | the core plus what the server's hub does with each output: encode once (the server's own `rollcall::server::encode`), push the same `Bytes` into every recipient's [`Outbox`] (the server's own) | the above, a hash lookup of the outbox, a lock, a reference-count increment, a queue push, a wake-up |
//! | [`ModelEngine`] | the executable specification, `rollcall_model::Model`: recomputes the online set from every connection on each step | a scan of every connection, one `String` per delivery |
//! | [`NaiveEngine`](crate::naive::NaiveEngine) | what a straightforward server would do: one `Mutex<HashMap>` state, an event encoded per subscriber | a prost encoding, two allocations, a queue push |
//!
//! Each method returns how many messages it delivered (replies included), which the benchmarks
//! feed to `black_box` and use as their throughput count.

use std::sync::Arc;

use futures_util::FutureExt;
use rollcall::core::{ConnId, Core, Input, Output};
use rollcall::server::{encode, CloseReason, Outbox};
use rollcall_model::Model;
use rustc_hash::FxHashMap;

/// The byte limit of each benchmark outbox: the server's default `outbound_queue_bytes`.
pub const OUTBOX_LIMIT: usize = 4 * 1024 * 1024;

/// A presence server as the benchmarks drive it: connections are numbered by the caller and
/// never reused while open; every method returns the number of messages delivered.
pub trait Presence {
    /// Opens a connection (not logged in yet).
    fn open(&mut self, conn: u64);
    /// Logs the connection in as `user`.
    fn login(&mut self, conn: u64, user: &str) -> usize;
    /// Closes the connection (a logout when it held the user's last session).
    fn close(&mut self, conn: u64) -> usize;
    /// Subscribes the connection to everyone's log-ins and log-outs.
    fn subscribe_all(&mut self, conn: u64) -> usize;
    /// Subscribes the connection to the named users.
    fn subscribe(&mut self, conn: u64, names: Vec<String>) -> usize;
    /// getAll(): every online user but the caller.
    fn query_all(&mut self, conn: u64) -> usize;
    /// getAll(names): whether each named user is online.
    fn query(&mut self, conn: u64, names: Vec<String>) -> usize;
}

/// Counts the messages in a batch of core outputs: one per reply, one per event recipient.
fn deliveries(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .map(|output| match output {
            Output::Reply { .. } => 1,
            Output::Event { recipients, .. } => recipients.len(),
        })
        .sum()
}

/// rollcall's core alone, with a reused output buffer, as the hub holds it.
#[derive(Default)]
pub struct CoreEngine {
    core: Core,
    outputs: Vec<Output>,
}

impl CoreEngine {
    /// The core, to drive it directly.
    pub fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    /// Applies one input and counts its deliveries; the outputs are then dropped.
    pub fn apply(&mut self, input: Input) -> usize {
        self.core.handle(input, &mut self.outputs);
        let count = deliveries(&self.outputs);
        self.outputs.clear();
        count
    }
}

impl Presence for CoreEngine {
    fn open(&mut self, conn: u64) {
        self.apply(Input::Open(ConnId(conn)));
    }

    fn login(&mut self, conn: u64, user: &str) -> usize {
        let user = Some(user.to_string());
        self.apply(Input::Login {
            conn: ConnId(conn),
            user,
        })
    }

    fn close(&mut self, conn: u64) -> usize {
        self.apply(Input::Close(ConnId(conn)))
    }

    fn subscribe_all(&mut self, conn: u64) -> usize {
        self.apply(Input::SubscribeAll { conn: ConnId(conn) })
    }

    fn subscribe(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(Input::Subscribe {
            conn: ConnId(conn),
            correlation_id: "s".into(),
            names,
        })
    }

    fn query_all(&mut self, conn: u64) -> usize {
        self.apply(Input::QueryAll {
            conn: ConnId(conn),
            correlation_id: None,
        })
    }

    fn query(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(Input::Query {
            conn: ConnId(conn),
            correlation_id: "q".into(),
            names,
        })
    }
}

/// The core plus the hub's delivery: every output encoded (an event once for all its
/// recipients) and pushed into the recipients' outboxes, as `impl/src/server/hub.rs` does,
/// with the server's own encoder and outbox, without sockets. Someone must empty the outboxes:
/// [`HubEngine::drain_now`] or writer tasks on [`HubEngine::outbox`].
#[derive(Default)]
pub struct HubEngine {
    core: Core,
    outputs: Vec<Output>,
    outboxes: FxHashMap<ConnId, Arc<Outbox>>,
}

impl HubEngine {
    /// Applies one input and delivers its outputs; returns how many frames were queued.
    pub fn apply(&mut self, input: Input) -> usize {
        self.core.handle(input, &mut self.outputs);
        let mut queued = 0;
        for output in self.outputs.drain(..) {
            match output {
                Output::Reply { to, reply } => {
                    if let Some(outbox) = self.outboxes.get(&to) {
                        let frame = encode::reply(&reply, None);
                        queued += usize::from(outbox.push(frame).is_ok());
                    }
                }
                Output::Event { event, recipients } => {
                    let frame = encode::event(&event);
                    for to in recipients {
                        if let Some(outbox) = self.outboxes.get(&to) {
                            queued += usize::from(outbox.push(frame.clone()).is_ok());
                        }
                    }
                }
            }
        }
        queued
    }

    /// The outbox of an open connection.
    pub fn outbox(&self, conn: u64) -> Option<&Arc<Outbox>> {
        self.outboxes.get(&ConnId(conn))
    }

    /// Empties every outbox at once (no writer involved); returns how many frames there were.
    pub fn drain_now(&self) -> usize {
        let mut batch = Vec::new();
        for outbox in self.outboxes.values() {
            drain(outbox, &mut batch);
        }
        batch.len()
    }
}

impl Presence for HubEngine {
    fn open(&mut self, conn: u64) {
        let outbox = Arc::new(Outbox::new(OUTBOX_LIMIT));
        self.outboxes.insert(ConnId(conn), outbox);
        self.apply(Input::Open(ConnId(conn)));
    }

    fn login(&mut self, conn: u64, user: &str) -> usize {
        let user = Some(user.to_string());
        self.apply(Input::Login {
            conn: ConnId(conn),
            user,
        })
    }

    fn close(&mut self, conn: u64) -> usize {
        if let Some(outbox) = self.outboxes.remove(&ConnId(conn)) {
            outbox.close(CloseReason::ClientGone);
        }
        self.apply(Input::Close(ConnId(conn)))
    }

    fn subscribe_all(&mut self, conn: u64) -> usize {
        self.apply(Input::SubscribeAll { conn: ConnId(conn) })
    }

    fn subscribe(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(Input::Subscribe {
            conn: ConnId(conn),
            correlation_id: "s".into(),
            names,
        })
    }

    fn query_all(&mut self, conn: u64) -> usize {
        self.apply(Input::QueryAll {
            conn: ConnId(conn),
            correlation_id: None,
        })
    }

    fn query(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(Input::Query {
            conn: ConnId(conn),
            correlation_id: "q".into(),
            names,
        })
    }
}

/// Moves what `outbox` holds into `batch` without waiting: a batch is taken at once when
/// there is one, and an empty outbox is left as it is.
pub fn drain(outbox: &Outbox, batch: &mut Vec<bytes::Bytes>) {
    let _ = outbox.next_batch(batch).now_or_never();
}

/// The reference model, driven through the same trait.
#[derive(Default)]
pub struct ModelEngine {
    model: Model,
}

impl ModelEngine {
    fn apply(&mut self, input: rollcall_model::Input) -> usize {
        self.model.apply(input).len()
    }
}

impl Presence for ModelEngine {
    fn open(&mut self, conn: u64) {
        self.apply(rollcall_model::Input::Open(rollcall_model::ConnId(conn)));
    }

    fn login(&mut self, conn: u64, user: &str) -> usize {
        self.apply(rollcall_model::Input::Login {
            conn: rollcall_model::ConnId(conn),
            user: Some(user.to_string()),
        })
    }

    fn close(&mut self, conn: u64) -> usize {
        self.apply(rollcall_model::Input::Close(rollcall_model::ConnId(conn)))
    }

    fn subscribe_all(&mut self, conn: u64) -> usize {
        self.apply(rollcall_model::Input::SubscribeAll {
            conn: rollcall_model::ConnId(conn),
        })
    }

    fn subscribe(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(rollcall_model::Input::Subscribe {
            conn: rollcall_model::ConnId(conn),
            correlation_id: "s".into(),
            names,
        })
    }

    fn query_all(&mut self, conn: u64) -> usize {
        self.apply(rollcall_model::Input::QueryAll {
            conn: rollcall_model::ConnId(conn),
            correlation_id: None,
        })
    }

    fn query(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.apply(rollcall_model::Input::Query {
            conn: rollcall_model::ConnId(conn),
            correlation_id: "q".into(),
            names,
        })
    }
}
