//! What goes into the core and what comes out of it.

use std::sync::Arc;

use super::limits::NameError;

/// A connection, named by the shell. The shell never reuses an id while the connection is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// A user name as the core stores it: shared, so one login, one roster entry and every event
/// about the user point at the same bytes.
pub type UserName = Arc<str>;

/// One thing that happened: a connection's life, or a decoded client request.
///
/// Every input is total (SPEC.md R1): one naming a connection that is not open is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A connection was accepted; it is not logged in yet.
    Open(ConnId),
    /// The connection authenticated as `user`, or anonymously when `user` is `None`.
    Login {
        /// The connection that logged in.
        conn: ConnId,
        /// The user it logged in as; `None` for an anonymous login.
        user: Option<String>,
    },
    /// The connection is gone, however it ended.
    Close(ConnId),
    /// Follow everyone's log-ins and log-outs.
    SubscribeAll {
        /// The requesting connection.
        conn: ConnId,
    },
    /// Stop following everyone; per-name subscriptions stay (R13).
    UnsubscribeAll {
        /// The requesting connection.
        conn: ConnId,
    },
    /// Follow the named users.
    Subscribe {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the acknowledgement and notices.
        correlation_id: String,
        /// The users to follow.
        names: Vec<String>,
    },
    /// Stop following the named users.
    Unsubscribe {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the acknowledgement.
        correlation_id: String,
        /// The users to stop following.
        names: Vec<String>,
    },
    /// Who is online?
    QueryAll {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the answer when present.
        correlation_id: Option<String>,
    },
    /// Which of these users are online?
    Query {
        /// The requesting connection.
        conn: ConnId,
        /// Echoed in the answer and in denials.
        correlation_id: String,
        /// The users asked about.
        names: Vec<String>,
    },
}

/// The users of a getAll() answer: a shared, sorted list, possibly minus one entry (the
/// caller's own user).
///
/// When everyone sees everyone, every caller's answer is the same sorted snapshot of the
/// roster but for the caller itself; sharing the snapshot (one reference count) and naming the
/// entry to skip means a getAll() of 100 000 users neither copies nor counts 100 000 names,
/// and the snapshot is rebuilt only after the roster changes.
#[derive(Clone)]
pub struct UserList {
    names: Arc<[UserName]>,
    skip: Option<usize>,
}

impl UserList {
    /// `names` without the entry at `skip`, if any.
    pub fn new(names: Arc<[UserName]>, skip: Option<usize>) -> Self {
        let skip = skip.filter(|&i| i < names.len());
        UserList { names, skip }
    }

    /// The names in order, as the two runs around the skipped entry.
    pub fn runs(&self) -> (&[UserName], &[UserName]) {
        match self.skip {
            Some(i) => (&self.names[..i], &self.names[i + 1..]),
            None => (&self.names[..], &[]),
        }
    }

    /// The names in order.
    pub fn iter(&self) -> impl Iterator<Item = &UserName> {
        let (first, second) = self.runs();
        first.iter().chain(second)
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.names.len() - usize::from(self.skip.is_some())
    }

    /// True when there are no names.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both lists are views of the same shared names.
    #[cfg(test)]
    pub(crate) fn shares_names_with(&self, other: &UserList) -> bool {
        Arc::ptr_eq(&self.names, &other.names)
    }
}

impl std::fmt::Debug for UserList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for UserList {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UserList {}

/// Which request a rejection or denial answers; the shell turns it into `originalAction`.
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
    /// A query of everyone.
    QueryAll,
    /// A query of names.
    Query,
}

/// Why a request was refused as a whole; a refused request changes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A presence request before login (R16).
    NotLoggedIn,
    /// A second login on one connection (R3).
    AlreadyLoggedIn,
    /// An invalid name (R2), in a login or in a request's list.
    InvalidName {
        /// The offending name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// Too many names in one request (R17).
    TooManyNames {
        /// How many the request listed.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The subscribe would exceed the per-connection limit (R18).
    TooManySubscriptions {
        /// The limit.
        max: usize,
    },
}

/// An answer to one connection's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The login was accepted (R3).
    LoggedIn,
    /// The request was refused as a whole.
    Rejected {
        /// Which request.
        request: Request,
        /// Its correlation id, if it had one.
        correlation_id: Option<String>,
        /// Why.
        reason: Rejection,
    },
    /// One name the caller may not see (R9, R11).
    Denied {
        /// Which request.
        request: Request,
        /// Its correlation id.
        correlation_id: String,
        /// The denied name.
        name: String,
    },
    /// Already subscribed: to everyone when `name` is `None`, else to that name.
    AlreadySubscribed {
        /// The name already followed; `None` for everyone.
        name: Option<String>,
    },
    /// Acknowledges a subscribe-all.
    SubscribeAllAck,
    /// Acknowledges an unsubscribe-all.
    UnsubscribeAllAck,
    /// Acknowledges a subscribe to names.
    SubscribeAck {
        /// The request's correlation id.
        correlation_id: String,
    },
    /// Acknowledges an unsubscribe from names.
    UnsubscribeAck {
        /// The request's correlation id.
        correlation_id: String,
    },
    /// Online users the caller may see, the caller's own user excepted, ascending (R8).
    QueryAllResult {
        /// The request's correlation id, if it had one.
        correlation_id: Option<String>,
        /// The users.
        users: UserList,
    },
    /// Name -> online for each distinct visible name, in request order (R9).
    QueryResult {
        /// The request's correlation id.
        correlation_id: String,
        /// The answers.
        online: Vec<(String, bool)>,
    },
}

/// Which of the four presence events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Came online; for subscribers of everyone.
    JoinAll,
    /// Came online; for subscribers of the user.
    Join,
    /// Went offline; for subscribers of everyone.
    LeaveAll,
    /// Went offline; for subscribers of the user.
    Leave,
}

/// A presence event about one user. It is the same for every recipient, so the shell encodes
/// it once and hands the same bytes to every socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Which event.
    pub kind: EventKind,
    /// About whom.
    pub user: UserName,
}

/// An effect for the shell to carry out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send `reply` to one connection.
    Reply {
        /// The receiving connection.
        to: ConnId,
        /// What it receives.
        reply: Reply,
    },
    /// Send one event to many connections; each receives it once.
    Event {
        /// The event.
        event: Event,
        /// Who receives it.
        recipients: Vec<ConnId>,
    },
}
