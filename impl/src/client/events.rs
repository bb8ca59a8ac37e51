//! What the server tells a client without being asked: the [`Events`] stream.
//!
//! Answers to requests come back as the return values of the [`Client`](super::Client)
//! methods. Everything else arrives here, in the order it happened:
//!
//! * [`ClientEvent::Presence`]: a user joined or left. The server sends a join or leave once
//!   per way the connection is subscribed: `PRESENCE_JOIN_ALL`/`PRESENCE_LEAVE_ALL` to
//!   subscribers of everyone ([`Scope::Everyone`]), `PRESENCE_JOIN`/`PRESENCE_LEAVE` to
//!   subscribers of that user ([`Scope::User`]). A connection subscribed both ways gets two
//!   events for one transition, the `Everyone` one first.
//! * [`ClientEvent::Disconnected`], [`ClientEvent::Reconnected`] and [`ClientEvent::GaveUp`]:
//!   the connection's lifecycle. Subscriptions are restored before `Reconnected` is emitted.
//! * [`ClientEvent::Error`]: a server error no request was waiting for.
//!
//! The stream ends after [`Client::close`](super::Client::close), after `GaveUp`, or when
//! every `Client` handle has been dropped. Events are buffered without bound until read: a
//! program that does not want them should drop its `Events`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;

use crate::protocol::Topic;

/// Which subscription a presence event was delivered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Delivered to a subscriber of everyone (`subscribe_all`): `PRESENCE_JOIN_ALL` /
    /// `PRESENCE_LEAVE_ALL` on the wire.
    Everyone,
    /// Delivered to a subscriber of that user (`subscribe(name)`): `PRESENCE_JOIN` /
    /// `PRESENCE_LEAVE` on the wire.
    User,
}

/// Something the server told the client, or a change of the connection's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// `user` came online (`online: true`) or went offline (`online: false`).
    Presence {
        /// The user whose presence changed.
        user: String,
        /// Whether the user is now online.
        online: bool,
        /// Which subscription this event was delivered for.
        scope: Scope,
    },
    /// The connection dropped. Requests in flight failed with
    /// [`ClientError::Disconnected`](super::ClientError::Disconnected); the client now tries
    /// to reconnect, as its [`ReconnectPolicy`](super::ReconnectPolicy) allows.
    Disconnected,
    /// The client is connected and logged in again, and its subscriptions have been sent
    /// again (any refused during that are reported as [`ClientEvent::Error`] first). Events
    /// of the time it was away are lost: query to learn the current state.
    Reconnected,
    /// The client stopped trying to reconnect; this is the last event. Every later request
    /// fails with [`ClientError::Closed`](super::ClientError::Closed).
    GaveUp {
        /// How many reconnection attempts were made.
        attempts: u32,
        /// Why the last one failed.
        reason: String,
    },
    /// An error from the server that answers no pending request: a `PARSER/*` complaint, an
    /// `AUTH/INVALID_MESSAGE`, a `PRESENCE` error without a known correlation id, or a
    /// subscription refused while it was being restored after a reconnection.
    Error {
        /// The topic of the error message.
        topic: Topic,
        /// The action of the error message, as its raw number in the topic's action enum.
        action: i32,
        /// A readable summary: the action's name and its details (`data`, `name`).
        detail: String,
    },
}

/// The receiving end of a client's [`ClientEvent`]s.
///
/// Read it with [`Events::recv`], or as a [`Stream`].
#[derive(Debug)]
pub struct Events {
    receiver: mpsc::UnboundedReceiver<ClientEvent>,
}

impl Events {
    /// A connected sender/receiver pair.
    pub(crate) fn channel() -> (EventSender, Events) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (EventSender { sender }, Events { receiver })
    }

    /// The next event; `None` once the client has stopped for good and every event was read.
    pub async fn recv(&mut self) -> Option<ClientEvent> {
        self.receiver.recv().await
    }

    /// The next event if one is already waiting.
    pub fn try_recv(&mut self) -> Option<ClientEvent> {
        self.receiver.try_recv().ok()
    }
}

impl Stream for Events {
    type Item = ClientEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientEvent>> {
        self.receiver.poll_recv(cx)
    }
}

/// The sending end, owned by the background task.
#[derive(Debug)]
pub(crate) struct EventSender {
    sender: mpsc::UnboundedSender<ClientEvent>,
}

impl EventSender {
    /// Emits an event; a dropped [`Events`] simply discards it.
    pub(crate) fn emit(&self, event: ClientEvent) {
        // Nobody listening is not an error: the caller chose to ignore events.
        let _ = self.sender.send(event);
    }
}
