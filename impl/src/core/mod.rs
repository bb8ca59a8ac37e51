//! The sans-IO presence core: inputs in, outputs out; no clock, no randomness, no I/O.
//!
//! The shell decodes wire messages into [`Input`]s, feeds them to one [`Core`] (a single
//! writer), and carries out the [`Output`]s in order: replies to one connection, events to many.
//! Every rule of `SPEC.md` that the core implements names its number beside the code.
//!
//! Inside, presence is two halves. [`sessions`] counts sessions and decides [`Transition`]s;
//! [`roster`] and [`subscriptions`] hold this node's view (who is online, who follows whom)
//! and fan each transition out. On a single node the first feeds the second directly; in a
//! cluster the transitions come from the cluster's log instead.
//!
//! ```
//! use rollcall::core::{ConnId, Core, Input, Output};
//!
//! let mut core = Core::default();
//! core.apply(Input::Open(ConnId(1)));
//! core.apply(Input::Login { conn: ConnId(1), user: Some("homer".into()) });
//! core.apply(Input::SubscribeAll { conn: ConnId(1) });
//! core.apply(Input::Open(ConnId(2)));
//! let out = core.apply(Input::Login { conn: ConnId(2), user: Some("marge".into()) });
//! assert!(matches!(&out[1], Output::Event { recipients, .. } if recipients == &[ConnId(1)]));
//! ```

pub mod limits;
pub mod roster;
pub mod sessions;
pub mod subscriptions;
pub mod types;
pub mod visibility;

use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};

pub use limits::{Limits, NameError};
pub use roster::Roster;
pub use sessions::{SessionTracker, Sessions, Transition};
pub use subscriptions::Subscriptions;
pub use types::{
    ConnId, Event, EventKind, Input, Output, Rejection, Reply, Request, UserList, UserName,
};
pub use visibility::Visibility;

/// Who a connection is logged in as.
#[derive(Clone, Debug)]
enum Identity {
    /// Open, not logged in yet.
    Pending,
    /// Logged in without a user name: never counted (R4).
    Anonymous,
    /// Logged in as this user.
    User(UserName),
}

impl Identity {
    /// The identity the visibility predicate sees.
    fn viewer(&self) -> Option<&UserName> {
        match self {
            Identity::User(user) => Some(user),
            Identity::Anonymous | Identity::Pending => None,
        }
    }
}

/// The presence state machine of one node.
///
/// `S` decides transitions; it is [`Sessions`] except in tests that check the checks.
#[derive(Clone, Debug)]
pub struct Core<S: SessionTracker = Sessions> {
    limits: Limits,
    visibility: Visibility,
    connections: FxHashMap<ConnId, Identity>,
    sessions: S,
    roster: Roster,
    subscriptions: Subscriptions,
}

impl Default for Core {
    fn default() -> Self {
        Core::new(Limits::default(), Visibility::everyone())
    }
}

impl Core {
    /// A core with these limits and visibility rules, deciding transitions with [`Sessions`].
    pub fn new(limits: Limits, visibility: Visibility) -> Self {
        Core::with_tracker(limits, visibility, Sessions::default())
    }
}

impl<S: SessionTracker> Core<S> {
    /// A core that decides transitions with `sessions`.
    pub fn with_tracker(limits: Limits, visibility: Visibility, sessions: S) -> Self {
        Core {
            limits,
            visibility,
            connections: FxHashMap::default(),
            sessions,
            roster: Roster::default(),
            subscriptions: Subscriptions::default(),
        }
    }

    /// Applies one input and returns its outputs; see [`Core::handle`] to reuse a buffer.
    pub fn apply(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.handle(input, &mut out);
        out
    }

    /// Applies one input, appending its outputs to `out` in the order they must be carried out.
    pub fn handle(&mut self, input: Input, out: &mut Vec<Output>) {
        match input {
            Input::Open(conn) => {
                self.connections.entry(conn).or_insert(Identity::Pending); // R1
            }
            Input::Close(conn) => self.close(conn, out),
            Input::Login { conn, user } => self.login(conn, user, out),
            Input::SubscribeAll { conn } => self.subscribe_all(conn, out),
            Input::UnsubscribeAll { conn } => self.unsubscribe_all(conn, out),
            Input::Subscribe {
                conn,
                correlation_id,
                names,
            } => self.subscribe(conn, correlation_id, names, out),
            Input::Unsubscribe {
                conn,
                correlation_id,
                names,
            } => self.unsubscribe(conn, correlation_id, names, out),
            Input::QueryAll {
                conn,
                correlation_id,
            } => self.query_all(conn, correlation_id, out),
            Input::Query {
                conn,
                correlation_id,
                names,
            } => self.query(conn, correlation_id, names, out),
        }
    }

    /// The users online, as this node's view has them.
    pub fn roster(&self) -> &Roster {
        &self.roster
    }

    /// How many connections are open (logged in or not).
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// R21: true when the core holds nothing: no connection, session, user or subscription.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
            && self.sessions.is_empty()
            && self.roster.is_empty()
            && self.subscriptions.is_empty()
    }

    /// Records a transition in this node's view and fans it out (R7).
    fn publish(&mut self, transition: Transition, out: &mut Vec<Output>) {
        self.roster.apply(&transition);
        self.subscriptions
            .fan_out(&transition, &self.visibility, out);
    }

    /// R6: the closing connection's subscriptions go first, then its session, which may be the
    /// user's last (a leave).
    fn close(&mut self, conn: ConnId, out: &mut Vec<Output>) {
        let Some(identity) = self.connections.remove(&conn) else {
            return; // R1
        };
        self.subscriptions.remove_connection(conn);
        if let Identity::User(user) = identity {
            if let Some(transition) = self.sessions.session_ended(&user) {
                self.publish(transition, out);
            }
        }
    }

    /// R3, R4, R5: one login per connection, with a valid name or anonymous; the user's first
    /// session is a join.
    fn login(&mut self, conn: ConnId, user: Option<String>, out: &mut Vec<Output>) {
        let Some(identity) = self.connections.get(&conn) else {
            return; // R1
        };
        let rejection = if !matches!(identity, Identity::Pending) {
            Some(Rejection::AlreadyLoggedIn)
        } else {
            user.as_deref().and_then(|name| {
                let error = self.limits.check_name(name).err()?;
                Some(Rejection::InvalidName {
                    name: name.to_string(),
                    error,
                })
            })
        };
        if let Some(reason) = rejection {
            let reply = Reply::Rejected {
                request: Request::Login,
                correlation_id: None,
                reason,
            };
            out.push(Output::Reply { to: conn, reply });
            return;
        }
        let (identity, transition) = match user {
            None => (Identity::Anonymous, None),
            Some(name) => {
                let (user, transition) = self.sessions.session_started(&name);
                (Identity::User(user), transition)
            }
        };
        self.connections.insert(conn, identity);
        out.push(Output::Reply {
            to: conn,
            reply: Reply::LoggedIn,
        });
        if let Some(transition) = transition {
            self.publish(transition, out);
        }
    }

    /// R1, R16: the identity of a connection allowed to make presence requests. Unknown
    /// connections get nothing; those not logged in are rejected.
    fn requester(
        &self,
        conn: ConnId,
        request: Request,
        correlation_id: Option<&str>,
        out: &mut Vec<Output>,
    ) -> Option<&Identity> {
        let identity = self.connections.get(&conn)?;
        if matches!(identity, Identity::Pending) {
            let correlation_id = correlation_id.map(str::to_string);
            let reason = Rejection::NotLoggedIn;
            out.push(Output::Reply {
                to: conn,
                reply: Reply::Rejected {
                    request,
                    correlation_id,
                    reason,
                },
            });
            return None;
        }
        Some(identity)
    }

    /// R17: the distinct names of a list, in first-occurrence order, or why the list is refused.
    fn distinct_names(&self, names: Vec<String>) -> Result<Vec<String>, Rejection> {
        let max = self.limits.max_names_per_request;
        if names.len() > max {
            return Err(Rejection::TooManyNames {
                count: names.len(),
                max,
            });
        }
        if let Some((name, error)) = names
            .iter()
            .find_map(|n| self.limits.check_name(n).err().map(|e| (n, e)))
        {
            return Err(Rejection::InvalidName {
                name: name.clone(),
                error,
            });
        }
        let distinct: IndexSet<String, FxBuildHasher> = names.into_iter().collect();
        Ok(distinct.into_iter().collect())
    }

    /// R16, R17: the viewer and the distinct names of a request that lists names, or `None`
    /// once the request has been answered with a rejection (or ignored, R1).
    fn named_request(
        &self,
        conn: ConnId,
        request: Request,
        correlation_id: &str,
        names: Vec<String>,
        out: &mut Vec<Output>,
    ) -> Option<(Option<UserName>, Vec<String>)> {
        let viewer = self
            .requester(conn, request, Some(correlation_id), out)?
            .viewer()
            .cloned();
        match self.distinct_names(names) {
            Ok(names) => Some((viewer, names)),
            Err(reason) => {
                self.reject(conn, request, correlation_id.to_string(), reason, out);
                None
            }
        }
    }

    /// R10, R15: subscribe to everyone; a repeat is noted; both acked; no state is sent.
    fn subscribe_all(&mut self, conn: ConnId, out: &mut Vec<Output>) {
        let Some(identity) = self.requester(conn, Request::SubscribeAll, None, out) else {
            return;
        };
        let viewer = identity.viewer().cloned();
        if !self.subscriptions.subscribe_all(conn, viewer) {
            out.push(Output::Reply {
                to: conn,
                reply: Reply::AlreadySubscribed { name: None },
            });
        }
        out.push(Output::Reply {
            to: conn,
            reply: Reply::SubscribeAllAck,
        });
    }

    /// R13: unsubscribe from everyone only; always acked.
    fn unsubscribe_all(&mut self, conn: ConnId, out: &mut Vec<Output>) {
        if self
            .requester(conn, Request::UnsubscribeAll, None, out)
            .is_none()
        {
            return;
        }
        self.subscriptions.unsubscribe_all(conn);
        out.push(Output::Reply {
            to: conn,
            reply: Reply::UnsubscribeAllAck,
        });
    }

    /// R11, R14, R15, R18: follow each distinct visible name; deny the invisible, note the
    /// repeated; refuse the whole request if it would exceed the subscription limit; one ack.
    fn subscribe(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Output>,
    ) {
        let Some((viewer, names)) =
            self.named_request(conn, Request::Subscribe, &correlation_id, names, out)
        else {
            return;
        };
        let mut notices = Vec::new();
        let mut additions = Vec::new();
        for name in names {
            if !self.visibility.may_see(viewer.as_deref(), &name) {
                let correlation_id = correlation_id.clone();
                notices.push(Reply::Denied {
                    request: Request::Subscribe,
                    correlation_id,
                    name,
                });
            } else if self.subscriptions.follows(conn, &name) {
                notices.push(Reply::AlreadySubscribed { name: Some(name) });
            } else {
                additions.push(name);
            }
        }
        let max = self.limits.max_subscriptions_per_connection;
        if self.subscriptions.follow_count(conn) + additions.len() > max {
            let reason = Rejection::TooManySubscriptions { max };
            return self.reject(conn, Request::Subscribe, correlation_id, reason, out);
        }
        for name in &additions {
            self.subscriptions.follow(conn, name);
        }
        out.extend(
            notices
                .into_iter()
                .map(|reply| Output::Reply { to: conn, reply }),
        );
        out.push(Output::Reply {
            to: conn,
            reply: Reply::SubscribeAck { correlation_id },
        });
    }

    /// R12: stop following the listed names; silent for names not followed; always acked.
    fn unsubscribe(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Output>,
    ) {
        let Some((_, names)) =
            self.named_request(conn, Request::Unsubscribe, &correlation_id, names, out)
        else {
            return;
        };
        for name in &names {
            self.subscriptions.unfollow(conn, name);
        }
        out.push(Output::Reply {
            to: conn,
            reply: Reply::UnsubscribeAck { correlation_id },
        });
    }

    /// R8: the visible online users but the caller, ascending.
    fn query_all(&mut self, conn: ConnId, correlation_id: Option<String>, out: &mut Vec<Output>) {
        let Some(identity) =
            self.requester(conn, Request::QueryAll, correlation_id.as_deref(), out)
        else {
            return;
        };
        let viewer = identity.viewer().cloned();
        let users = self.roster.visible_to(viewer.as_deref(), &self.visibility);
        out.push(Output::Reply {
            to: conn,
            reply: Reply::QueryAllResult {
                correlation_id,
                users,
            },
        });
    }

    /// R9: name -> online for each distinct visible name in request order, the caller
    /// included; invisible names are denied before the answer.
    fn query(
        &mut self,
        conn: ConnId,
        correlation_id: String,
        names: Vec<String>,
        out: &mut Vec<Output>,
    ) {
        let Some((viewer, names)) =
            self.named_request(conn, Request::Query, &correlation_id, names, out)
        else {
            return;
        };
        let mut online = Vec::with_capacity(names.len());
        for name in names {
            if self.visibility.may_see(viewer.as_deref(), &name) {
                let is_online = self.roster.contains(&name);
                online.push((name, is_online));
            } else {
                let correlation_id = correlation_id.clone();
                let reply = Reply::Denied {
                    request: Request::Query,
                    correlation_id,
                    name,
                };
                out.push(Output::Reply { to: conn, reply });
            }
        }
        out.push(Output::Reply {
            to: conn,
            reply: Reply::QueryResult {
                correlation_id,
                online,
            },
        });
    }

    /// Refuses a whole request with a correlation id.
    fn reject(
        &self,
        conn: ConnId,
        request: Request,
        correlation_id: String,
        reason: Rejection,
        out: &mut Vec<Output>,
    ) {
        let correlation_id = Some(correlation_id);
        out.push(Output::Reply {
            to: conn,
            reply: Reply::Rejected {
                request,
                correlation_id,
                reason,
            },
        });
    }
}

#[cfg(test)]
mod tests;
