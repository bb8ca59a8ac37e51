//! rollcall's own client: log in to a presence server, ask who is online, and follow joins
//! and leaves.
//!
//! It speaks the deepstream binary protocol (see [`crate::protocol`]) to rollcall or to a real
//! deepstream server, and is what the integration tests, the deterministic simulator and the
//! load generator use.
//!
//! # Using it
//!
//! ```no_run
//! use rollcall::client::{Client, ClientConfig, ClientEvent, TcpConnector};
//!
//! # async fn demo() -> Result<(), rollcall::client::ClientError> {
//! let config = ClientConfig::new(
//!     "ws://127.0.0.1:6020/deepstream",
//!     serde_json::json!({"username": "homer"}),
//! );
//! let (client, mut events) = Client::connect(TcpConnector::new("127.0.0.1:6020"), config).await?;
//!
//! let online = client.get_all().await?;           // everyone online but homer
//! client.subscribe("marge").await?;               // follow marge
//! while let Some(event) = events.recv().await {
//!     if let ClientEvent::Presence { user, online, .. } = event {
//!         println!("{user} is now {}", if online { "online" } else { "offline" });
//!     }
//! }
//! client.close().await;
//! # let _ = online; Ok(()) }
//! ```
//!
//! # How it is built
//!
//! A [`Client`] is a cheap, cloneable handle. The connection itself belongs to a background
//! task (`connection.rs`) that the handles talk to through a channel: a request travels to the
//! task with a one-shot channel for its answer, the task writes the frame and files the
//! request (`requests.rs`) until the server's answer (or error, or a disconnect, or the
//! timeout) resolves it. What nobody asked for (joins, leaves, connection state changes,
//! stray server errors) goes to the [`Events`] stream.
//!
//! ```text
//!  Client ──Command──> task ──frame──> server
//!     ^                 │ <──frame──
//!     └──one-shot answer┘──ClientEvent──> Events
//! ```
//!
//! The byte stream under the WebSocket comes from a [`Connector`] ([`TcpConnector`], or the
//! simulator's own), and every delay is measured with `tokio::time`, so a simulated run is
//! reproducible.
//!
//! # Wire mapping
//!
//! | call | request | answer |
//! |---|---|---|
//! | [`Client::connect`] | CHALLENGE, then AUTH/REQUEST | ACCEPT, then AUTH_SUCCESSFUL (else [`ClientError::AuthRejected`]) |
//! | [`Client::get_all`] | QUERY_ALL | QUERY_ALL_RESPONSE `names` |
//! | [`Client::get_all_of`] | QUERY `names` | QUERY_RESPONSE `data` (+ MESSAGE_DENIED per refused name) |
//! | [`Client::subscribe_all`] | SUBSCRIBE_ALL | ack |
//! | [`Client::subscribe`], [`Client::subscribe_many`] | SUBSCRIBE `names` | ack (+ MESSAGE_DENIED per refused name) |
//! | [`Client::unsubscribe`], [`Client::unsubscribe_many`] | UNSUBSCRIBE `names` | ack |
//! | [`Client::unsubscribe_all`] | UNSUBSCRIBE_ALL | ack |
//! | [`Client::close`] | (WebSocket close) | |
//!
//! Every request carries a fresh correlation id. Errors that refuse a whole request
//! (INVALID_PRESENCE_USERS, ERROR, MESSAGE_PERMISSION_ERROR) end it with
//! [`ClientError::Rejected`]; a MESSAGE_DENIED naming nobody ends it with
//! [`ClientError::Denied`] `{ name: None }`.

mod answers;
mod config;
mod connection;
mod connector;
mod error;
mod events;
mod handshake;
mod replies;
mod requests;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{self, Duration};

pub use answers::QueryAnswer;
pub use config::{ClientConfig, ReconnectPolicy};
pub use connector::{Connector, TcpConnector};
pub use error::ClientError;
pub use events::{ClientEvent, Events, Scope};

use config::SplitMix64;
use connection::{Command, Task};
use requests::{Reply, Request};

/// A handle on a connected client. Cloning it is cheap; every clone talks to the same
/// connection, which stays open until [`Client::close`] or until every handle is dropped.
#[derive(Clone, Debug)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    client_data: Option<Arc<serde_json::Value>>,
    request_timeout: Duration,
}

impl Client {
    /// Connects through `connector`, logs in with `config.auth`, and starts the background
    /// task. Returns the handle and the stream of [`ClientEvent`]s.
    ///
    /// Fails with [`ClientError::AuthRejected`] if the server refuses the login,
    /// [`ClientError::Timeout`] if the whole handshake takes longer than
    /// `config.request_timeout`, and a transport or [`ClientError::Handshake`] error
    /// otherwise. A failed first connection is not retried: the reconnection policy applies
    /// once connected.
    pub async fn connect<C: Connector>(
        connector: C,
        config: ClientConfig,
    ) -> Result<(Client, Events), ClientError> {
        let mut rng = SplitMix64::new(config.seed);
        let open = handshake::open(&connector, &config, &mut rng);
        let (ws, client_data) = time::timeout(config.request_timeout, open)
            .await
            .map_err(|_| ClientError::Timeout)??;
        let (commands, receiver) = mpsc::unbounded_channel();
        let (sender, events) = Events::channel();
        let request_timeout = config.request_timeout;
        let task = Task::new(connector, config, rng, receiver, sender);
        tokio::spawn(task.run(ws));
        let client = Client {
            commands,
            client_data: client_data.map(Arc::new),
            request_timeout,
        };
        Ok((client, events))
    }

    /// The client data the server returned with the first login (`AUTH_SUCCESSFUL`'s `data`),
    /// if any.
    pub fn client_data(&self) -> Option<&serde_json::Value> {
        self.client_data.as_deref()
    }

    /// `getAll()`: every online user the server lets this client see, except its own user.
    pub async fn get_all(&self) -> Result<Vec<String>, ClientError> {
        self.call(Request::GetAll).await
    }

    /// `getAll(names)`: whether each of `names` is online.
    ///
    /// Names the permission rules refuse are not an error: they are listed in
    /// [`QueryAnswer::denied`] and absent from [`QueryAnswer::results`]. A refusal of the
    /// whole request is [`ClientError::Denied`] `{ name: None }`; an invalid request (too many
    /// names, an invalid name) is [`ClientError::Rejected`].
    pub async fn get_all_of<S: AsRef<str>>(&self, names: &[S]) -> Result<QueryAnswer, ClientError> {
        let names = owned(names);
        self.call(|reply| Request::Query(names, reply)).await
    }

    /// `subscribe(callback)`: from now on, receive a [`ClientEvent::Presence`] with
    /// [`Scope::Everyone`] for every join and leave this client may see.
    pub async fn subscribe_all(&self) -> Result<(), ClientError> {
        self.call(Request::SubscribeAll).await
    }

    /// `subscribe(name, callback)`: from now on, receive a [`ClientEvent::Presence`] with
    /// [`Scope::User`] when `name` joins or leaves.
    ///
    /// Fails with [`ClientError::Denied`] `{ name: Some(name) }` if the permission rules
    /// refuse it. Subscribing twice is not an error (the server notes it and acknowledges).
    pub async fn subscribe(&self, name: &str) -> Result<(), ClientError> {
        let denied = self.subscribe_many(&[name]).await?;
        match denied.into_iter().next() {
            None => Ok(()),
            Some(name) => Err(ClientError::Denied { name: Some(name) }),
        }
    }

    /// Subscribes to several users in one SUBSCRIBE; returns the names the permission rules
    /// refused (the others are subscribed). An invalid request (too many names or
    /// subscriptions, an invalid name) is [`ClientError::Rejected`] and subscribes nothing.
    pub async fn subscribe_many<S: AsRef<str>>(
        &self,
        names: &[S],
    ) -> Result<Vec<String>, ClientError> {
        let names = owned(names);
        self.call(|reply| Request::Subscribe(names, reply)).await
    }

    /// Stops following `name`. Unsubscribing from a name never subscribed is not an error.
    pub async fn unsubscribe(&self, name: &str) -> Result<(), ClientError> {
        self.unsubscribe_many(&[name]).await
    }

    /// Stops following several users, in one UNSUBSCRIBE.
    pub async fn unsubscribe_many<S: AsRef<str>>(&self, names: &[S]) -> Result<(), ClientError> {
        let names = owned(names);
        self.call(|reply| Request::Unsubscribe(names, reply)).await
    }

    /// Ends the subscription to everyone. Per-user subscriptions stay: this is the wire's
    /// UNSUBSCRIBE_ALL (SPEC.md R13), not "unsubscribe from everything".
    pub async fn unsubscribe_all(&self) -> Result<(), ClientError> {
        self.call(Request::UnsubscribeAll).await
    }

    /// Closes the connection (a WebSocket close; deepstream's client sends nothing else) and
    /// stops the client: it will not reconnect, the [`Events`] stream ends without a
    /// [`ClientEvent::Disconnected`], and every other handle's requests fail with
    /// [`ClientError::Closed`].
    pub async fn close(self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Close(done)).is_ok() {
            // The task answers once the close frame is out (or could not be sent).
            let _ = closed.await;
        }
    }

    /// Sends a request to the task and waits for its answer, at most `request_timeout`.
    async fn call<T>(&self, request: impl FnOnce(Reply<T>) -> Request) -> Result<T, ClientError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Request(request(reply)))
            .map_err(|_| ClientError::Closed)?;
        match time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            // The task ended without answering: the client is closed.
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => Err(ClientError::Timeout),
        }
    }
}

/// Owned copies of borrowed names.
fn owned<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    names.iter().map(|name| name.as_ref().to_owned()).collect()
}
