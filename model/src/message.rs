//! The vocabulary of the specification: what goes into a presence server and what comes out.

use crate::limits::NameError;

/// A connection, named by whoever runs the server. Connection ids are never reused while open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// One thing that happens to a presence server: a connection's life, or a client's request.
///
/// Every input is total: applied to a connection that is not open it is ignored (R1), so any
/// sequence of inputs is a valid schedule, which is what lets generated schedules shrink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A connection was opened; it is not logged in yet.
    Open(ConnId),
    /// The connection authenticated, as `user`, or anonymously when `user` is `None`.
    Login {
        /// The connection that logged in.
        conn: ConnId,
        /// The user it logged in as; `None` for an anonymous login.
        user: Option<String>,
    },
    /// The connection closed, for whatever reason (client close, crash, heartbeat timeout).
    Close(ConnId),
    /// `subscribe(callback)`: follow the log-ins and log-outs of everyone.
    SubscribeAll {
        /// The requesting connection.
        conn: ConnId,
    },
    /// `unsubscribe()`: stop following everyone (per-name subscriptions stay, R13).
    UnsubscribeAll {
        /// The requesting connection.
        conn: ConnId,
    },
    /// `subscribe(name, callback)`, batched: follow the named users.
    Subscribe {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the acknowledgement and in per-name notices.
        correlation_id: String,
        /// The users to follow.
        names: Vec<String>,
    },
    /// `unsubscribe(name)`, batched: stop following the named users.
    Unsubscribe {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the acknowledgement.
        correlation_id: String,
        /// The users to stop following.
        names: Vec<String>,
    },
    /// `getAll()`: who is online?
    QueryAll {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the answer when present (the official client sends none).
        correlation_id: Option<String>,
    },
    /// `getAll(names)`: which of these users are online?
    Query {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the answer and in denials.
        correlation_id: String,
        /// The users asked about.
        names: Vec<String>,
    },
}

impl Input {
    /// The connection this input concerns.
    pub fn conn(&self) -> ConnId {
        match self {
            Input::Open(conn) | Input::Close(conn) => *conn,
            Input::Login { conn, .. }
            | Input::SubscribeAll { conn }
            | Input::UnsubscribeAll { conn }
            | Input::Subscribe { conn, .. }
            | Input::Unsubscribe { conn, .. }
            | Input::QueryAll { conn, .. }
            | Input::Query { conn, .. } => *conn,
        }
    }
}

/// Which request a rejection or denial answers (deepstream's `originalAction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// A login.
    Login,
    /// A subscribe-all.
    SubscribeAll,
    /// An unsubscribe-all.
    UnsubscribeAll,
    /// A subscribe to names.
    Subscribe,
    /// An unsubscribe from names.
    Unsubscribe,
    /// A getAll().
    QueryAll,
    /// A getAll(names).
    Query,
}

/// Why a request was refused as a whole (R3, R16, R17, R18). A rejected request changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A presence request on a connection that has not logged in (R16).
    NotLoggedIn,
    /// A second login on a connection that is already logged in (R3).
    AlreadyLoggedIn,
    /// A name (the user name of a login, or an entry of a request) is not valid (R2).
    InvalidName {
        /// The offending name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// The request lists more names than a request may (R17).
    TooManyNames {
        /// How many names the request listed.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Granting the subscribe would exceed the per-connection subscription limit (R18).
    TooManySubscriptions {
        /// The limit.
        max: usize,
    },
}

/// One message to one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// The login was accepted (R3).
    LoggedIn,
    /// The request was refused as a whole and changed nothing.
    Rejected {
        /// Which request.
        request: Request,
        /// The request's correlation id, if it had one.
        correlation_id: Option<String>,
        /// Why.
        reason: Rejection,
    },
    /// One name of a subscribe or query names a user the caller may not see (R9, R11).
    Denied {
        /// Which request.
        request: Request,
        /// The request's correlation id.
        correlation_id: String,
        /// The denied name.
        name: String,
    },
    /// Already subscribed: to everyone when `name` is `None`, else to that name (R10, R11).
    AlreadySubscribed {
        /// The name already subscribed to; `None` for subscribe-all.
        name: Option<String>,
    },
    /// Acknowledges a subscribe-all (R10).
    SubscribeAllAck,
    /// Acknowledges an unsubscribe-all (R13).
    UnsubscribeAllAck,
    /// Acknowledges a subscribe to names (R11).
    SubscribeAck {
        /// The request's correlation id.
        correlation_id: String,
    },
    /// Acknowledges an unsubscribe from names (R12).
    UnsubscribeAck {
        /// The request's correlation id.
        correlation_id: String,
    },
    /// The answer to getAll(): visible online users but the caller, ascending byte order (R8).
    QueryAllResult {
        /// The request's correlation id, if it had one.
        correlation_id: Option<String>,
        /// The users.
        users: Vec<String>,
    },
    /// The answer to getAll(names): each distinct visible name, in request order (R9).
    QueryResult {
        /// The request's correlation id.
        correlation_id: String,
        /// Name -> online.
        online: Vec<(String, bool)>,
    },
    /// The user came online; sent to subscribers of everyone (R7).
    JoinAll(String),
    /// The user came online; sent to subscribers of that user (R7).
    Join(String),
    /// The user went offline; sent to subscribers of everyone (R7).
    LeaveAll(String),
    /// The user went offline; sent to subscribers of that user (R7).
    Leave(String),
}

/// A message addressed to a connection. A schedule's outputs are a sequence of deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The receiving connection.
    pub to: ConnId,
    /// What it receives.
    pub message: Message,
}
