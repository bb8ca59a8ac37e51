//! Everything a client call can fail with.
//!
//! The variants fall in three groups:
//!
//! * **Transport**: [`ClientError::Io`] and [`ClientError::WebSocket`] come from the socket or
//!   the WebSocket layer, [`ClientError::Handshake`] from a server that did not follow the
//!   CHALLENGE -> ACCEPT -> AUTH dance.
//! * **The server said no**: [`ClientError::AuthRejected`] (login refused),
//!   [`ClientError::Denied`] (the permission rules refused a name, or a whole request) and
//!   [`ClientError::Rejected`] (the request itself was invalid: too many names, an invalid
//!   name, too many subscriptions...).
//! * **Lifecycle**: [`ClientError::Disconnected`] (the connection dropped while the request was
//!   in flight, or had not come back yet), [`ClientError::Timeout`] (no answer within
//!   `request_timeout`) and [`ClientError::Closed`] (the client was closed, or gave up
//!   reconnecting).
//!
//! Every request ends in exactly one answer or one of these errors: none can hang.

use std::io;

use tokio_tungstenite::tungstenite;

/// Why a [`Client`](super::Client) call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The transport could not be opened or failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The WebSocket layer failed (upgrade refused, protocol violation, ...).
    #[error("websocket error: {0}")]
    WebSocket(#[from] Box<tungstenite::Error>),
    /// The server did not follow the deepstream handshake (no ACCEPT, an unexpected message,
    /// the socket closed during login...).
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// The server refused the login. Holds the JSON `data` text of `AUTH_UNSUCCESSFUL` (empty
    /// when the server sent none), or `TOO_MANY_AUTH_ATTEMPTS` / `INVALID_MESSAGE_DATA` for
    /// those answers.
    #[error("login rejected: {0}")]
    AuthRejected(String),
    /// The permission rules refused a request (`PRESENCE/MESSAGE_DENIED`).
    ///
    /// `name` is the refused user for a per-name refusal (`subscribe("bob")`); `None` when
    /// the whole request was refused (`get_all()`, `subscribe_all()`, or a denial that named
    /// nobody).
    #[error("denied by the server's permissions{}", name.as_deref().map(|n| format!(": {n}")).unwrap_or_default())]
    Denied {
        /// The refused user, if the denial named one.
        name: Option<String>,
    },
    /// The server refused the whole request as invalid, and nothing of it was applied:
    /// `PRESENCE/INVALID_PRESENCE_USERS` (too many names, an invalid name),
    /// `PRESENCE/ERROR` (too many subscriptions), `PRESENCE/MESSAGE_PERMISSION_ERROR`.
    ///
    /// `reason` is `"<ACTION>: <data>"`, e.g. `INVALID_PRESENCE_USERS: "too many names"`.
    #[error("request rejected: {reason}")]
    Rejected {
        /// The server's error action and its data.
        reason: String,
    },
    /// The connection dropped before the answer arrived, or is currently down (the client is
    /// reconnecting). Whether the server applied the request is unknown.
    #[error("disconnected")]
    Disconnected,
    /// No answer within the configured `request_timeout`.
    #[error("timed out")]
    Timeout,
    /// The client was closed, or gave up reconnecting; it will not connect again.
    #[error("client closed")]
    Closed,
}

impl From<tungstenite::Error> for ClientError {
    fn from(error: tungstenite::Error) -> Self {
        ClientError::WebSocket(Box::new(error))
    }
}
