//! Pending-request bookkeeping: which answer belongs to which request.
//!
//! This is the client's protocol brain, and it does no I/O: the background task
//! ([`super::connection`]) hands it the requests of the [`Client`](super::Client) handles and
//! the PRESENCE messages of the server, and writes out the frames it returns.
//!
//! # Matching answers to requests
//!
//! Every request gets a fresh correlation id (`"1"`, `"2"`, ...). QUERY, SUBSCRIBE and
//! UNSUBSCRIBE answers echo it, so they are found by id. QUERY_ALL, SUBSCRIBE_ALL and
//! UNSUBSCRIBE_ALL are sent with an id too, but deepstream answers them *without* one (rollcall
//! echoes it). The server answers each connection's requests in order, so those requests also
//! wait in a FIFO per action: an answer with an id is matched by id, one without takes the
//! oldest request of its action.
//!
//! ```text
//! client -> QUERY_ALL {correlationId:"4"}        pending: 4 (getAll)   FIFO QUERY_ALL: [4]
//! client -> QUERY_ALL {correlationId:"5"}        pending: 4, 5         FIFO QUERY_ALL: [4, 5]
//! server -> QUERY_ALL_RESPONSE {names:[bob]}     no id: resolves 4     FIFO QUERY_ALL: [5]
//! ```
//!
//! A request that times out is answered [`ClientError::Timeout`] at once. If it waits in a
//! FIFO its entry stays there, *abandoned*, until its answer arrives, so that the answers
//! after it still go to the right requests.
//!
//! # Errors the server sends instead of an answer
//!
//! * `MESSAGE_DENIED {originalAction, correlationId, name}`: the permission rules refused one
//!   name of a QUERY or SUBSCRIBE. The name is left out and the request goes on (rollcall still
//!   answers the other names); once *every* name of the request is refused it is resolved
//!   right away, since deepstream sends no answer then. A denial naming nobody refuses the
//!   whole request.
//! * `INVALID_PRESENCE_USERS`, `ERROR`, `MESSAGE_PERMISSION_ERROR`: the whole request was
//!   refused and nothing follows: [`ClientError::Rejected`].
//! * `MULTIPLE_SUBSCRIPTIONS` and `NOT_SUBSCRIBED` are notices: the acknowledgement follows.
//!
//! # Subscriptions to restore
//!
//! [`Subscriptions`] mirrors what the server holds for this connection, so that a new
//! connection can ask for it again: a SUBSCRIBE adds its names on its ack (minus the refused
//! ones), an UNSUBSCRIBE removes them as soon as it is sent (the caller no longer wants them,
//! whatever happens to the request).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use super::answers::QueryAnswer;
use super::error::ClientError;
use super::events::{ClientEvent, EventSender};
use super::replies::{self, error_event, Classified, Outcome};
use crate::protocol::{presence, PresenceAction, PresenceMessage, Topic};

/// Where the answer of a request goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// A request of a [`Client`](super::Client) handle, with the channel for its answer.
#[derive(Debug)]
pub(crate) enum Request {
    /// `getAll()`.
    GetAll(Reply<Vec<String>>),
    /// `getAll(names)`.
    Query(Vec<String>, Reply<QueryAnswer>),
    /// `subscribe()`.
    SubscribeAll(Reply<()>),
    /// `subscribe(names)`; answered with the refused names.
    Subscribe(Vec<String>, Reply<Vec<String>>),
    /// `unsubscribe(names)`.
    Unsubscribe(Vec<String>, Reply<()>),
    /// `unsubscribe()` of everyone.
    UnsubscribeAll(Reply<()>),
}

impl Request {
    /// Answers the request with `error` without sending it.
    pub(crate) fn fail(self, error: ClientError) {
        // A caller that stopped waiting does not need the answer.
        let _ = match self {
            Request::GetAll(reply) => reply.send(Err(error)).map_err(drop),
            Request::Query(_, reply) => reply.send(Err(error)).map_err(drop),
            Request::Subscribe(_, reply) => reply.send(Err(error)).map_err(drop),
            Request::SubscribeAll(reply)
            | Request::Unsubscribe(_, reply)
            | Request::UnsubscribeAll(reply) => reply.send(Err(error)).map_err(drop),
        };
    }
}

/// What the server holds for this connection, as far as the client knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Subscriptions {
    /// Subscribed to everyone.
    pub(crate) all: bool,
    /// Subscribed users, sorted so that a restore is always the same frame.
    pub(crate) names: BTreeSet<String>,
}

/// Who waits for a pending request's answer.
#[derive(Debug)]
enum Waiter {
    GetAll(Reply<Vec<String>>),
    Query(Reply<QueryAnswer>),
    Subscribe(Reply<Vec<String>>),
    Done(Reply<()>),
    /// The client itself, restoring subscriptions after a reconnection.
    Restore,
    /// Timed out, but kept in its FIFO until the answer it is owed arrives.
    Abandoned,
}

/// A request sent and not answered yet.
#[derive(Debug)]
struct Pending {
    action: PresenceAction,
    /// The distinct names of a QUERY, SUBSCRIBE or UNSUBSCRIBE.
    names: Vec<String>,
    /// The names refused so far.
    denied: Vec<String>,
    waiter: Waiter,
    /// Sent to restore a subscription; counts towards `Reconnected` until answered.
    restore: bool,
}

/// The pending requests of one client, across its connections.
#[derive(Debug)]
pub(crate) struct Requests {
    timeout: Duration,
    next_id: u64,
    /// By id: a `BTreeMap`, so that failing them all happens in a reproducible order.
    pending: BTreeMap<u64, Pending>,
    query_all: VecDeque<u64>,
    subscribe_all: VecDeque<u64>,
    unsubscribe_all: VecDeque<u64>,
    /// `(deadline, id)` in sending order; with one timeout for all, also in deadline order.
    deadlines: VecDeque<(Instant, u64)>,
    subscriptions: Subscriptions,
    /// Restore requests still unanswered; `Reconnected` is emitted when this drops to 0.
    restoring: usize,
}

impl Requests {
    /// No pending request; each will wait at most `timeout` for its answer.
    pub(crate) fn new(timeout: Duration) -> Self {
        Requests {
            timeout,
            next_id: 0,
            pending: BTreeMap::new(),
            query_all: VecDeque::new(),
            subscribe_all: VecDeque::new(),
            unsubscribe_all: VecDeque::new(),
            deadlines: VecDeque::new(),
            subscriptions: Subscriptions::default(),
            restoring: 0,
        }
    }

    /// What the client is subscribed to.
    #[cfg(test)]
    pub(crate) fn subscriptions(&self) -> &Subscriptions {
        &self.subscriptions
    }

    /// Registers `request` as sent at `now` and returns its frame.
    pub(crate) fn start(&mut self, request: Request, now: Instant) -> Bytes {
        let (action, names, waiter) = match request {
            Request::GetAll(reply) => (PresenceAction::QueryAll, Vec::new(), Waiter::GetAll(reply)),
            Request::Query(names, reply) => (PresenceAction::Query, names, Waiter::Query(reply)),
            Request::SubscribeAll(reply) => (
                PresenceAction::SubscribeAll,
                Vec::new(),
                Waiter::Done(reply),
            ),
            Request::Subscribe(names, reply) => {
                (PresenceAction::Subscribe, names, Waiter::Subscribe(reply))
            }
            Request::Unsubscribe(names, reply) => {
                for name in &names {
                    self.subscriptions.names.remove(name);
                }
                (PresenceAction::Unsubscribe, names, Waiter::Done(reply))
            }
            Request::UnsubscribeAll(reply) => {
                self.subscriptions.all = false;
                (
                    PresenceAction::UnsubscribeAll,
                    Vec::new(),
                    Waiter::Done(reply),
                )
            }
        };
        self.send(action, names, waiter, now)
    }

    /// Registers the requests that restore the subscriptions on a new connection and returns
    /// their frames; emits [`ClientEvent::Reconnected`] once they are all answered (at once
    /// if there is nothing to restore).
    pub(crate) fn restore(&mut self, now: Instant, events: &EventSender) -> Vec<Bytes> {
        let mut frames = Vec::new();
        if self.subscriptions.all {
            frames.push(self.send(
                PresenceAction::SubscribeAll,
                Vec::new(),
                Waiter::Restore,
                now,
            ));
        }
        if !self.subscriptions.names.is_empty() {
            let names = self.subscriptions.names.iter().cloned().collect();
            frames.push(self.send(PresenceAction::Subscribe, names, Waiter::Restore, now));
        }
        self.restoring = frames.len();
        if frames.is_empty() {
            events.emit(ClientEvent::Reconnected);
        }
        frames
    }

    /// Sends one presence request: assigns its id and deadline, files it, encodes it.
    fn send(
        &mut self,
        action: PresenceAction,
        names: Vec<String>,
        waiter: Waiter,
        now: Instant,
    ) -> Bytes {
        self.next_id += 1;
        let id = self.next_id;
        let names = distinct(names);
        let frame = presence::request(action, &id.to_string(), &names);
        if let Some(fifo) = self.fifo(action) {
            fifo.push_back(id);
        }
        self.deadlines.push_back((now + self.timeout, id));
        let pending = Pending {
            action,
            names,
            denied: Vec::new(),
            restore: matches!(waiter, Waiter::Restore),
            waiter,
        };
        self.pending.insert(id, pending);
        frame
    }

    /// The FIFO of an action whose answers may come without a correlation id.
    fn fifo(&mut self, action: PresenceAction) -> Option<&mut VecDeque<u64>> {
        match action {
            PresenceAction::QueryAll => Some(&mut self.query_all),
            PresenceAction::SubscribeAll => Some(&mut self.subscribe_all),
            PresenceAction::UnsubscribeAll => Some(&mut self.unsubscribe_all),
            _ => None,
        }
    }

    /// Routes a PRESENCE message from the server: an event, an answer, or an error.
    pub(crate) fn on_presence(&mut self, mut message: PresenceMessage, events: &EventSender) {
        let (request_action, outcome) = match replies::classify(&mut message) {
            Classified::Event(event) => return events.emit(event),
            Classified::Notice => return,
            Classified::Answer(request_action, outcome) => (request_action, outcome),
        };
        let Some(id) = self.find(request_action, &message.correlation_id) else {
            if matches!(outcome, Outcome::Denied(_) | Outcome::Rejected(_)) {
                events.emit(error_event(&message));
            }
            // Otherwise a late answer to a request that timed out.
            return;
        };
        self.apply(id, outcome, &message, events);
    }

    /// The pending request an answer of `action` with `correlation_id` belongs to.
    fn find(&mut self, action: PresenceAction, correlation_id: &str) -> Option<u64> {
        if correlation_id.is_empty() {
            return self.fifo(action)?.front().copied();
        }
        let id = correlation_id.parse::<u64>().ok()?;
        let pending = self.pending.get(&id)?;
        (pending.action == action).then_some(id)
    }

    /// Applies what the server said about pending request `id`.
    fn apply(
        &mut self,
        id: u64,
        outcome: Outcome,
        message: &PresenceMessage,
        events: &EventSender,
    ) {
        let Some(pending) = self.pending.get_mut(&id) else {
            return;
        };
        let action = pending.action;
        let finished = match outcome {
            Outcome::Denied(Some(name))
                if matches!(action, PresenceAction::Query | PresenceAction::Subscribe) =>
            {
                if action == PresenceAction::Subscribe {
                    self.subscriptions.names.remove(&name);
                }
                if pending.names.contains(&name) && !pending.denied.contains(&name) {
                    pending.denied.push(name);
                }
                if pending.restore {
                    events.emit(error_event(message));
                }
                // deepstream answers nothing more once every name is refused.
                pending.denied.len() == pending.names.len() && resolve_all_denied(pending)
            }
            Outcome::Ack => {
                match action {
                    PresenceAction::SubscribeAll => self.subscriptions.all = true,
                    PresenceAction::Subscribe => {
                        let kept = pending.names.iter().filter(|n| !pending.denied.contains(n));
                        self.subscriptions.names.extend(kept.cloned());
                    }
                    _ => {}
                }
                let denied = std::mem::take(&mut pending.denied);
                match std::mem::replace(&mut pending.waiter, Waiter::Abandoned) {
                    Waiter::Subscribe(reply) => drop(reply.send(Ok(denied))),
                    Waiter::Done(reply) => drop(reply.send(Ok(()))),
                    _ => {}
                }
                true
            }
            Outcome::Names(names) => {
                if let Waiter::GetAll(reply) =
                    std::mem::replace(&mut pending.waiter, Waiter::Abandoned)
                {
                    drop(reply.send(Ok(names)));
                }
                true
            }
            Outcome::Answer(results) => {
                let denied = std::mem::take(&mut pending.denied);
                if let Waiter::Query(reply) =
                    std::mem::replace(&mut pending.waiter, Waiter::Abandoned)
                {
                    drop(reply.send(Ok(QueryAnswer { results, denied })));
                }
                true
            }
            Outcome::Denied(name) => {
                match action {
                    PresenceAction::SubscribeAll => self.subscriptions.all = false,
                    PresenceAction::Subscribe => {
                        for name in &pending.names {
                            self.subscriptions.names.remove(name);
                        }
                    }
                    _ => {}
                }
                if pending.restore {
                    events.emit(error_event(message));
                }
                fail(&mut pending.waiter, ClientError::Denied { name });
                true
            }
            Outcome::Rejected(reason) => {
                if pending.restore {
                    events.emit(error_event(message));
                }
                fail(&mut pending.waiter, ClientError::Rejected { reason });
                true
            }
        };
        if finished {
            self.finish(id, events);
        }
    }

    /// Forgets request `id`, which has been answered.
    fn finish(&mut self, id: u64, events: &EventSender) {
        let Some(pending) = self.pending.remove(&id) else {
            return;
        };
        if let Some(fifo) = self.fifo(pending.action) {
            if let Some(at) = fifo.iter().position(|&queued| queued == id) {
                fifo.remove(at);
            }
        }
        if pending.restore {
            self.restore_answered(events);
        }
    }

    /// One restore request got its answer (or gave up waiting).
    fn restore_answered(&mut self, events: &EventSender) {
        if self.restoring > 0 {
            self.restoring -= 1;
            if self.restoring == 0 {
                events.emit(ClientEvent::Reconnected);
            }
        }
    }

    /// The earliest deadline of a request still waiting, if any.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&(deadline, id)) = self.deadlines.front() {
            match self.pending.get(&id) {
                Some(pending) if !matches!(pending.waiter, Waiter::Abandoned) => {
                    return Some(deadline)
                }
                _ => {
                    self.deadlines.pop_front();
                }
            }
        }
        None
    }

    /// Fails every request whose deadline is at or before `now` with
    /// [`ClientError::Timeout`].
    pub(crate) fn expire(&mut self, now: Instant, events: &EventSender) {
        while let Some(&(deadline, id)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            let Some(pending) = self.pending.get_mut(&id) else {
                continue;
            };
            let restore = std::mem::take(&mut pending.restore);
            fail(&mut pending.waiter, ClientError::Timeout);
            let action = pending.action;
            if restore {
                events.emit(ClientEvent::Error {
                    topic: Topic::Presence,
                    action: action as i32,
                    detail: format!("no answer to the restored {action:?}"),
                });
                self.restore_answered(events);
            }
            if self.fifo(action).is_none() {
                self.pending.remove(&id);
            }
        }
    }

    /// Fails every pending request with the error `make` builds (the connection is gone);
    /// subscriptions are kept, to be restored.
    pub(crate) fn fail_all(&mut self, make: impl Fn() -> ClientError) {
        for (_, mut pending) in std::mem::take(&mut self.pending) {
            fail(&mut pending.waiter, make());
        }
        self.query_all.clear();
        self.subscribe_all.clear();
        self.unsubscribe_all.clear();
        self.deadlines.clear();
        self.restoring = 0;
    }
}

/// Resolves a QUERY or SUBSCRIBE all of whose names were refused; always `true`.
fn resolve_all_denied(pending: &mut Pending) -> bool {
    let denied = std::mem::take(&mut pending.denied);
    match std::mem::replace(&mut pending.waiter, Waiter::Abandoned) {
        Waiter::Query(reply) => drop(reply.send(Ok(QueryAnswer {
            results: Vec::new(),
            denied,
        }))),
        Waiter::Subscribe(reply) => drop(reply.send(Ok(denied))),
        other => pending.waiter = other,
    }
    true
}

/// Answers a waiter with `error` and marks it abandoned.
fn fail(waiter: &mut Waiter, error: ClientError) {
    // A caller that stopped waiting does not need the answer.
    let _ = match std::mem::replace(waiter, Waiter::Abandoned) {
        Waiter::GetAll(reply) => reply.send(Err(error)).map_err(drop),
        Waiter::Query(reply) => reply.send(Err(error)).map_err(drop),
        Waiter::Subscribe(reply) => reply.send(Err(error)).map_err(drop),
        Waiter::Done(reply) => reply.send(Err(error)).map_err(drop),
        Waiter::Restore | Waiter::Abandoned => Ok(()),
    };
}

/// The names in order of first occurrence, duplicates removed.
fn distinct(names: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names
        .into_iter()
        .filter(|name| seen.insert(name.clone()))
        .collect()
}
