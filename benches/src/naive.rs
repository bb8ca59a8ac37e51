//! The naive baseline: the presence server most people would write first.
//!
//! One `Mutex` around plain `std` hash maps keyed by `String` (SipHash), shared by every
//! connection task; a per-connection queue of frames; and every event encoded separately for
//! each subscriber, by filling a prost [`PresenceMessage`] (which copies the user's name) and
//! encoding it. The subscription indexes are sensible (a transition only visits its
//! subscribers), so the difference with rollcall's hub is what rollcall does about the
//! per-recipient cost: one encoding shared by every recipient, interned names, fast hashes, a
//! single writer without a lock around presence state.
//!
//! It implements the same semantics for what the benchmarks exercise (sessions counted per user,
//! `*_ALL` then per-user events, getAll sorted without the caller), not the whole of SPEC.md:
//! no visibility lists, no limits, no rejections.
//!
//! ```
//! use rollcall_benches::engine::Presence;
//! use rollcall_benches::naive::NaiveEngine;
//!
//! let mut server = NaiveEngine::default();
//! server.open(1);
//! server.login(1, "homer");
//! server.subscribe_all(1);
//! server.open(2);
//! assert_eq!(server.login(2, "marge"), 2, "marge's ack and homer's JOIN_ALL");
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rollcall::protocol::{auth, encode_frame, PresenceAction, PresenceMessage, Topic};

use crate::engine::Presence;

/// One connection's queue of frames to write.
pub type Queue = Arc<Mutex<VecDeque<Bytes>>>;

#[derive(Default)]
struct Connection {
    user: Option<String>,
    subscribed_to_all: bool,
    names: HashSet<String>,
    queue: Queue,
}

#[derive(Default)]
struct State {
    connections: HashMap<u64, Connection>,
    sessions: HashMap<String, usize>,
    all_subscribers: HashSet<u64>,
    user_subscribers: HashMap<String, HashSet<u64>>,
}

/// A presence server behind one lock, encoding per subscriber.
#[derive(Default)]
pub struct NaiveServer {
    state: Mutex<State>,
}

/// A presence message with only `action` and the given fields, encoded as a frame.
fn frame(message: PresenceMessage) -> Bytes {
    encode_frame(Topic::Presence, &message)
}

fn reply(action: PresenceAction) -> PresenceMessage {
    PresenceMessage {
        action: action as i32,
        ..Default::default()
    }
}

fn ack(action: PresenceAction) -> PresenceMessage {
    PresenceMessage {
        is_ack: true,
        ..reply(action)
    }
}

fn push(queue: &Queue, frame: Bytes) {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push_back(frame);
}

impl State {
    /// Sends `frame` to `conn`; returns 1 if the connection exists.
    fn send(&self, conn: u64, frame: Bytes) -> usize {
        match self.connections.get(&conn) {
            Some(connection) => {
                push(&connection.queue, frame);
                1
            }
            None => 0,
        }
    }

    /// Announces a transition: each subscriber gets its own freshly encoded frame.
    fn announce(&self, user: &str, all: PresenceAction, one: PresenceAction) -> usize {
        let mut sent = 0;
        for conn in &self.all_subscribers {
            let event = PresenceMessage {
                name: user.to_string(),
                ..reply(all)
            };
            sent += self.send(*conn, frame(event));
        }
        if let Some(conns) = self.user_subscribers.get(user) {
            for conn in conns {
                let event = PresenceMessage {
                    name: user.to_string(),
                    ..reply(one)
                };
                sent += self.send(*conn, frame(event));
            }
        }
        sent
    }
}

impl NaiveServer {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a connection and returns its queue.
    pub fn open(&self, conn: u64) -> Queue {
        let connection = Connection::default();
        let queue = connection.queue.clone();
        self.lock().connections.insert(conn, connection);
        queue
    }

    /// Logs a connection in; the user's first session is announced.
    pub fn login(&self, conn: u64, user: &str) -> usize {
        let mut state = self.lock();
        let Some(connection) = state.connections.get_mut(&conn) else {
            return 0;
        };
        connection.user = Some(user.to_string());
        let mut sent = state.send(conn, auth::successful(None));
        let sessions = state.sessions.entry(user.to_string()).or_insert(0);
        *sessions += 1;
        if *sessions == 1 {
            sent += state.announce(
                user,
                PresenceAction::PresenceJoinAll,
                PresenceAction::PresenceJoin,
            );
        }
        sent
    }

    /// Closes a connection; the user's last session is announced.
    pub fn close(&self, conn: u64) -> usize {
        let mut state = self.lock();
        let Some(connection) = state.connections.remove(&conn) else {
            return 0;
        };
        state.all_subscribers.remove(&conn);
        for name in &connection.names {
            if let Some(conns) = state.user_subscribers.get_mut(name) {
                conns.remove(&conn);
                if conns.is_empty() {
                    state.user_subscribers.remove(name);
                }
            }
        }
        let Some(user) = connection.user else {
            return 0;
        };
        let last = match state.sessions.get_mut(&user) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                state.sessions.remove(&user);
                true
            }
            None => false,
        };
        if last {
            state.announce(
                &user,
                PresenceAction::PresenceLeaveAll,
                PresenceAction::PresenceLeave,
            )
        } else {
            0
        }
    }

    /// Subscribes a connection to everyone.
    pub fn subscribe_all(&self, conn: u64) -> usize {
        let mut state = self.lock();
        if let Some(connection) = state.connections.get_mut(&conn) {
            connection.subscribed_to_all = true;
        }
        state.all_subscribers.insert(conn);
        state.send(conn, frame(ack(PresenceAction::SubscribeAll)))
    }

    /// Subscribes a connection to the named users.
    pub fn subscribe(&self, conn: u64, names: Vec<String>) -> usize {
        let mut state = self.lock();
        for name in names {
            state
                .user_subscribers
                .entry(name.clone())
                .or_default()
                .insert(conn);
            if let Some(connection) = state.connections.get_mut(&conn) {
                connection.names.insert(name);
            }
        }
        state.send(conn, frame(ack(PresenceAction::Subscribe)))
    }

    /// getAll(): the online users but the caller's, sorted.
    pub fn query_all(&self, conn: u64) -> usize {
        let state = self.lock();
        let me = state.connections.get(&conn).and_then(|c| c.user.as_deref());
        let mut names: Vec<String> = state
            .sessions
            .keys()
            .filter(|user| Some(user.as_str()) != me)
            .cloned()
            .collect();
        names.sort();
        let answer = PresenceMessage {
            names,
            ..reply(PresenceAction::QueryAllResponse)
        };
        state.send(conn, frame(answer))
    }

    /// getAll(names): a JSON object of name -> online.
    pub fn query(&self, conn: u64, names: Vec<String>) -> usize {
        let state = self.lock();
        let mut seen = HashSet::new();
        let mut data = String::from("{");
        for name in names {
            if !seen.insert(name.clone()) {
                continue;
            }
            if data.len() > 1 {
                data.push(',');
            }
            let online = state.sessions.contains_key(&name);
            data.push_str(&format!("{name:?}:{online}"));
        }
        data.push('}');
        let answer = PresenceMessage {
            data,
            correlation_id: "q".into(),
            ..reply(PresenceAction::QueryResponse)
        };
        state.send(conn, frame(answer))
    }
}

/// [`NaiveServer`] as a [`Presence`] engine, keeping each connection's queue so that the
/// benchmarks can empty them.
#[derive(Default)]
pub struct NaiveEngine {
    server: NaiveServer,
    queues: HashMap<u64, Queue>,
}

impl NaiveEngine {
    /// Empties one connection's queue; returns how many frames there were.
    pub fn drain_conn(&self, conn: u64) -> usize {
        self.queues.get(&conn).map_or(0, |queue| {
            let mut queue = queue
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let count = queue.len();
            queue.clear();
            count
        })
    }

    /// Empties every queue at once; returns how many frames there were.
    pub fn drain_now(&self) -> usize {
        self.queues
            .values()
            .map(|queue| {
                let mut queue = queue
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let count = queue.len();
                queue.clear();
                count
            })
            .sum()
    }
}

impl Presence for NaiveEngine {
    fn open(&mut self, conn: u64) {
        let queue = self.server.open(conn);
        self.queues.insert(conn, queue);
    }

    fn login(&mut self, conn: u64, user: &str) -> usize {
        self.server.login(conn, user)
    }

    fn close(&mut self, conn: u64) -> usize {
        self.queues.remove(&conn);
        self.server.close(conn)
    }

    fn subscribe_all(&mut self, conn: u64) -> usize {
        self.server.subscribe_all(conn)
    }

    fn subscribe(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.server.subscribe(conn, names)
    }

    fn query_all(&mut self, conn: u64) -> usize {
        self.server.query_all(conn)
    }

    fn query(&mut self, conn: u64, names: Vec<String>) -> usize {
        self.server.query(conn, names)
    }
}
