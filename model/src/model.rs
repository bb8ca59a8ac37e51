//! The reference model: SPEC.md as a state machine that keeps only raw facts.

use std::collections::{BTreeMap, BTreeSet};

use crate::limits::{validate_name, Limits};
use crate::message::{ConnId, Delivery, Input, Message, Rejection, Request};
use crate::visibility::Visibility;

/// Who a connection is logged in as.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Session {
    /// Open, not logged in yet.
    Pending,
    /// Logged in without a user name: never counted, never reported (R4).
    Anonymous,
    /// Logged in as this user.
    User(String),
}

/// Everything the model knows about one open connection.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Conn {
    session: Session,
    subscribed_to_all: bool,
    subscribed_names: BTreeSet<String>,
}

/// Whether a transition is a user coming online or going offline.
#[derive(Clone, Copy)]
enum Transition {
    Join,
    Leave,
}

/// The executable specification. Apply inputs one by one; each returns the deliveries it causes,
/// in the order each connection receives them.
#[derive(Clone, Debug, Default)]
pub struct Model {
    limits: Limits,
    visibility: Visibility,
    conns: BTreeMap<ConnId, Conn>,
}

impl Model {
    /// A model with the given limits and visibility rules.
    pub fn new(limits: Limits, visibility: Visibility) -> Self {
        Model {
            limits,
            visibility,
            conns: BTreeMap::new(),
        }
    }

    /// Applies one input and returns what it delivers, in order.
    pub fn apply(&mut self, input: Input) -> Vec<Delivery> {
        let mut out = Vec::new();
        match input {
            Input::Open(conn) => self.open(conn),
            Input::Close(conn) => self.close(conn, &mut out),
            Input::Login { conn, user } => self.login(conn, user, &mut out),
            Input::SubscribeAll { conn } => self.subscribe_all(conn, &mut out),
            Input::UnsubscribeAll { conn } => self.unsubscribe_all(conn, &mut out),
            Input::Subscribe {
                conn,
                correlation_id,
                names,
            } => self.subscribe(conn, correlation_id, names, &mut out),
            Input::Unsubscribe {
                conn,
                correlation_id,
                names,
            } => self.unsubscribe(conn, correlation_id, names, &mut out),
            Input::QueryAll {
                conn,
                correlation_id,
            } => self.query_all(conn, correlation_id, &mut out),
            Input::Query {
                conn,
                correlation_id,
                names,
            } => self.query(conn, correlation_id, names, &mut out),
        }
        out
    }

    /// R4: the online users, derived from the open connections every time it is asked.
    pub fn online(&self) -> BTreeSet<String> {
        self.conns
            .values()
            .filter_map(|c| match &c.session {
                Session::User(u) => Some(u.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether any connection would hear of a transition of `user` (R7): a subscriber of
    /// everyone that may see the user, or a subscriber of the user.
    pub fn is_watched(&self, user: &str) -> bool {
        self.conns.values().any(|c| {
            (c.subscribed_to_all && self.visibility.may_see(viewer(&c.session), user))
                || c.subscribed_names.contains(user)
        })
    }

    /// R21: true when the model holds nothing at all (no connection, so no user, no subscription).
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// R1: opening a connection that is already open changes nothing.
    fn open(&mut self, conn: ConnId) {
        self.conns.entry(conn).or_insert(Conn {
            session: Session::Pending,
            subscribed_to_all: false,
            subscribed_names: BTreeSet::new(),
        });
    }

    /// R6: a close that removes a user's last session is a leave. The connection, and with it
    /// every subscription it held, is gone before the leave is delivered.
    fn close(&mut self, conn: ConnId, out: &mut Vec<Delivery>) {
        let before = self.online();
        if self.conns.remove(&conn).is_none() {
            return; // R1
        }
        for user in before.difference(&self.online()) {
            self.announce(Transition::Leave, user, out);
        }
    }

    /// R3, R5: a login is accepted once per connection, with a valid name or anonymously; the
    /// login that brings a user's first session is a join.
    fn login(&mut self, conn: ConnId, user: Option<String>, out: &mut Vec<Delivery>) {
        let before = self.online();
        let Some(state) = self.conns.get(&conn) else {
            return; // R1
        };
        let rejection = if state.session != Session::Pending {
            Some(Rejection::AlreadyLoggedIn)
        } else {
            user.as_ref().and_then(|name| {
                validate_name(name, &self.limits)
                    .err()
                    .map(|error| Rejection::InvalidName {
                        name: name.clone(),
                        error,
                    })
            })
        };
        if let Some(reason) = rejection {
            out.push(reject(conn, Request::Login, None, reason));
            return;
        }
        let session = match user {
            Some(name) => Session::User(name),
            None => Session::Anonymous,
        };
        if let Some(state) = self.conns.get_mut(&conn) {
            state.session = session;
        }
        out.push(Delivery {
            to: conn,
            message: Message::LoggedIn,
        });
        for user in self.online().difference(&before) {
            self.announce(Transition::Join, user, out);
        }
    }

    /// R7: a transition of `user` goes first to every subscriber of everyone that may see the
    /// user (R14), then to every subscriber of that user.
    fn announce(&self, transition: Transition, user: &str, out: &mut Vec<Delivery>) {
        for (&to, state) in &self.conns {
            if state.subscribed_to_all && self.visibility.may_see(viewer(&state.session), user) {
                let message = match transition {
                    Transition::Join => Message::JoinAll(user.to_string()),
                    Transition::Leave => Message::LeaveAll(user.to_string()),
                };
                out.push(Delivery { to, message });
            }
        }
        for (&to, state) in &self.conns {
            if state.subscribed_names.contains(user) {
                let message = match transition {
                    Transition::Join => Message::Join(user.to_string()),
                    Transition::Leave => Message::Leave(user.to_string()),
                };
                out.push(Delivery { to, message });
            }
        }
    }

    /// R1, R16: the session of a connection that may make presence requests. An unknown
    /// connection gets nothing; one that has not logged in gets a rejection.
    fn logged_in(
        &self,
        conn: ConnId,
        request: Request,
        correlation_id: Option<&String>,
        out: &mut Vec<Delivery>,
    ) -> Option<Session> {
        let state = self.conns.get(&conn)?;
        if state.session == Session::Pending {
            out.push(reject(
                conn,
                request,
                correlation_id.cloned(),
                Rejection::NotLoggedIn,
            ));
            return None;
        }
        Some(state.session.clone())
    }

    /// R17: a name list is refused whole when it is too long or holds an invalid name;
    /// otherwise its distinct names, in first-occurrence order.
    fn distinct_valid_names(&self, names: Vec<String>) -> Result<Vec<String>, Rejection> {
        if names.len() > self.limits.max_names_per_request {
            return Err(Rejection::TooManyNames {
                count: names.len(),
                max: self.limits.max_names_per_request,
            });
        }
        let mut distinct: Vec<String> = Vec::new();
        for name in names {
            if let Err(error) = validate_name(&name, &self.limits) {
                return Err(Rejection::InvalidName { name, error });
            }
            if !distinct.contains(&name) {
                distinct.push(name);
            }
        }
        Ok(distinct)
    }

    /// R10: subscribe-all sets a flag; a repeated one is noted, and both are acknowledged.
    fn subscribe_all(&mut self, conn: ConnId, out: &mut Vec<Delivery>) {
        if self
            .logged_in(conn, Request::SubscribeAll, None, out)
            .is_none()
        {
            return;
        }
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if state.subscribed_to_all {
            out.push(Delivery {
                to: conn,
                message: Message::AlreadySubscribed { name: None },
            });
        }
        state.subscribed_to_all = true;
        out.push(Delivery {
            to: conn,
            message: Message::SubscribeAllAck,
        });
    }

    /// R13: unsubscribe-all clears the flag only, and is always acknowledged.
    fn unsubscribe_all(&mut self, conn: ConnId, out: &mut Vec<Delivery>) {
        if self
            .logged_in(conn, Request::UnsubscribeAll, None, out)
            .is_none()
        {
            return;
        }
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        state.subscribed_to_all = false;
        out.push(Delivery {
            to: conn,
            message: Message::UnsubscribeAllAck,
        });
    }

    /// R11, R18: subscribe to each distinct name the caller may see; invisible names are
    /// denied, names already subscribed are noted; one acknowledgement ends the answer.
    fn subscribe(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Delivery>,
    ) {
        let Some(session) = self.logged_in(conn, Request::Subscribe, Some(&correlation_id), out)
        else {
            return;
        };
        let names = match self.distinct_valid_names(names) {
            Ok(names) => names,
            Err(reason) => {
                out.push(reject(
                    conn,
                    Request::Subscribe,
                    Some(correlation_id),
                    reason,
                ));
                return;
            }
        };
        let Some(state) = self.conns.get(&conn) else {
            return;
        };
        let mut notices = Vec::new();
        let mut additions = Vec::new();
        for name in names {
            if !self.visibility.may_see(viewer(&session), &name) {
                let message = Message::Denied {
                    request: Request::Subscribe,
                    correlation_id: correlation_id.clone(),
                    name,
                };
                notices.push(Delivery { to: conn, message });
            } else if state.subscribed_names.contains(&name) {
                let message = Message::AlreadySubscribed { name: Some(name) };
                notices.push(Delivery { to: conn, message });
            } else {
                additions.push(name);
            }
        }
        let max = self.limits.max_subscriptions_per_connection;
        if state.subscribed_names.len() + additions.len() > max {
            let reason = Rejection::TooManySubscriptions { max };
            out.push(reject(
                conn,
                Request::Subscribe,
                Some(correlation_id),
                reason,
            ));
            return;
        }
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        state.subscribed_names.extend(additions);
        out.extend(notices);
        out.push(Delivery {
            to: conn,
            message: Message::SubscribeAck { correlation_id },
        });
    }

    /// R12: unsubscribe removes each listed name; names never subscribed are ignored silently;
    /// visibility is never checked; always acknowledged.
    fn unsubscribe(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Delivery>,
    ) {
        if self
            .logged_in(conn, Request::Unsubscribe, Some(&correlation_id), out)
            .is_none()
        {
            return;
        }
        let names = match self.distinct_valid_names(names) {
            Ok(names) => names,
            Err(reason) => {
                out.push(reject(
                    conn,
                    Request::Unsubscribe,
                    Some(correlation_id),
                    reason,
                ));
                return;
            }
        };
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        for name in &names {
            state.subscribed_names.remove(name);
        }
        out.push(Delivery {
            to: conn,
            message: Message::UnsubscribeAck { correlation_id },
        });
    }

    /// R8: every online user the caller may see, except the caller's own user, ascending.
    fn query_all(&mut self, conn: ConnId, correlation_id: Option<String>, out: &mut Vec<Delivery>) {
        let Some(session) = self.logged_in(conn, Request::QueryAll, correlation_id.as_ref(), out)
        else {
            return;
        };
        let users = self
            .online()
            .into_iter()
            .filter(|u| viewer(&session) != Some(u.as_str()))
            .filter(|u| self.visibility.may_see(viewer(&session), u))
            .collect();
        out.push(Delivery {
            to: conn,
            message: Message::QueryAllResult {
                correlation_id,
                users,
            },
        });
    }

    /// R9: for each distinct name, in request order, whether that user is online; the caller's
    /// own name included; invisible names are denied first, the answer follows.
    fn query(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Delivery>,
    ) {
        let Some(session) = self.logged_in(conn, Request::Query, Some(&correlation_id), out) else {
            return;
        };
        let names = match self.distinct_valid_names(names) {
            Ok(names) => names,
            Err(reason) => {
                out.push(reject(conn, Request::Query, Some(correlation_id), reason));
                return;
            }
        };
        let online_now = self.online();
        let mut online = Vec::new();
        for name in names {
            if self.visibility.may_see(viewer(&session), &name) {
                let is_online = online_now.contains(&name);
                online.push((name, is_online));
            } else {
                let message = Message::Denied {
                    request: Request::Query,
                    correlation_id: correlation_id.clone(),
                    name,
                };
                out.push(Delivery { to: conn, message });
            }
        }
        out.push(Delivery {
            to: conn,
            message: Message::QueryResult {
                correlation_id,
                online,
            },
        });
    }
}

/// The viewer identity a session presents to the visibility predicate.
fn viewer(session: &Session) -> Option<&str> {
    match session {
        Session::User(u) => Some(u),
        Session::Anonymous | Session::Pending => None,
    }
}

/// A rejection delivered to the requesting connection.
fn reject(
    to: ConnId,
    request: Request,
    correlation_id: Option<String>,
    reason: Rejection,
) -> Delivery {
    Delivery {
        to,
        message: Message::Rejected {
            request,
            correlation_id,
            reason,
        },
    }
}
