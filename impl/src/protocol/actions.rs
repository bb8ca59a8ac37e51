//! The numeric vocabularies of the protocol: topics and the actions of each topic.
//!
//! Every deepstream message names a *topic* (which subsystem it belongs to) and, inside the
//! topic's own message, an *action* (what is being asked or told). On the wire both are plain
//! protobuf `enum` values, that is varints.
//!
//! The messages in [`super::messages`] store these values as raw `i32` rather than as the Rust
//! enums. That is how protobuf's open enums work: a peer may send a number this code has never
//! heard of (the real client does, for example, send a presence action `55` in one of the
//! recorded edge cases), and decoding must keep that number so the server can decide what to do
//! with it instead of failing the whole frame. Convert with `TryFrom<i32>` when you need the
//! typed value, or use the generated getters (`message.action()`), which fall back to the
//! `Unknown` variant.
//!
//! The numbers below are fixed by the protocol; changing one breaks every client.

/// Which subsystem a message belongs to: field 2 of the outer frame message.
///
/// rollcall serves [`Topic::Connection`], [`Topic::Auth`] and [`Topic::Presence`], and sends
/// [`Topic::Parser`] replies. The other topics exist so that a message for them (a record, an
/// event, an RPC...) can be recognised and answered with an error rather than mistaken for noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Topic {
    /// No topic set; never valid in a real message.
    Unknown = 0,
    /// Replies about messages the server could not parse.
    Parser = 1,
    /// The connection handshake and heartbeat.
    Connection = 2,
    /// Logging in.
    Auth = 3,
    /// Publish/subscribe events (not served by rollcall).
    Event = 4,
    /// Records (not served by rollcall).
    Record = 5,
    /// Remote procedure calls (not served by rollcall).
    Rpc = 6,
    /// Who is online: queries, subscriptions and join/leave notifications.
    Presence = 7,
    /// Server monitoring (not served by rollcall).
    Monitoring = 8,
    /// Server-to-server clustering (not served by rollcall).
    Cluster = 9,
    /// Distributed locks (not served by rollcall).
    Lock = 10,
    /// Cluster state registries (not served by rollcall).
    StateRegistry = 11,
    /// Generic errors.
    Error = 100,
}

/// Actions of [`super::ConnectionMessage`]: the handshake and the heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ConnectionAction {
    /// No action set.
    Unknown = 0,
    /// A connection-level error.
    Error = 1,
    /// Heartbeat sent by the client.
    Ping = 2,
    /// The server's answer to [`ConnectionAction::Ping`].
    Pong = 3,
    /// The server accepts the client's challenge; the client may now log in.
    Accept = 4,
    /// First message of a client: its URL, protocol version and SDK.
    Challenge = 5,
    /// The server refuses the challenge.
    Reject = 6,
    /// The server asks the client to connect elsewhere.
    Redirect = 7,
    /// The connection is about to close.
    Closing = 8,
    /// The connection is closed.
    Closed = 9,
    /// The client did not log in in time; the server closes the socket.
    AuthenticationTimeout = 100,
    /// A message arrived that is not allowed before the challenge.
    InvalidMessage = 101,
}

/// Actions of [`super::AuthMessage`]: logging in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AuthAction {
    /// No action set.
    Unknown = 0,
    /// An authentication-level error.
    Error = 1,
    /// The client's login request, with JSON auth parameters in `data`.
    Request = 2,
    /// Login accepted, optionally with JSON client data in `data`.
    AuthSuccessful = 3,
    /// Login refused, with a JSON reason in `data`.
    AuthUnsuccessful = 4,
    /// Too many refused logins; the server closes the socket.
    TooManyAuthAttempts = 100,
    /// A non-auth message arrived before login.
    InvalidMessage = 101,
    /// The login data is not a JSON object; the server closes the socket.
    InvalidMessageData = 102,
}

/// Actions of [`super::ParserMessage`]: complaints about unreadable input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ParserAction {
    /// No action set.
    Unknown = 0,
    /// The frame could not be decoded or names a topic the server does not know.
    UnknownTopic = 1,
    /// The action is not known for its topic.
    UnknownAction = 2,
    /// The message is not valid for its topic.
    InvalidMessage = 3,
    /// The message body could not be parsed.
    MessageParseError = 4,
    /// The frame exceeds the server's maximum message size.
    MaximumMessageSizeExceeded = 5,
    /// Another parsing error, described in `data`.
    Error = 6,
    /// The message carries invalid meta parameters.
    InvalidMetaParams = 7,
}

/// Actions of [`super::PresenceMessage`]: who is online.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PresenceAction {
    /// No action set.
    Unknown = 0,
    /// A presence-level error.
    Error = 1,
    /// `getAll()`: ask for every online user except the caller's own.
    QueryAll = 2,
    /// Answer to [`PresenceAction::QueryAll`], the users in `names`.
    QueryAllResponse = 3,
    /// `getAll(names)`: ask which of `names` are online.
    Query = 4,
    /// Answer to [`PresenceAction::Query`]: a JSON object name -> bool in `data`.
    QueryResponse = 5,
    /// A user came online; sent to subscribers of that user.
    PresenceJoin = 6,
    /// A user came online; sent to subscribers of everyone.
    PresenceJoinAll = 7,
    /// A user went offline; sent to subscribers of that user.
    PresenceLeave = 8,
    /// A user went offline; sent to subscribers of everyone.
    PresenceLeaveAll = 9,
    /// Subscribe to the users in `names`.
    Subscribe = 10,
    /// Unsubscribe from the users in `names`.
    Unsubscribe = 11,
    /// Subscribe to everyone.
    SubscribeAll = 12,
    /// Unsubscribe from everyone.
    UnsubscribeAll = 13,
    /// The `names` of a request are not valid.
    InvalidPresenceUsers = 100,
    /// The permission check itself failed.
    MessagePermissionError = 101,
    /// The permission rules refused the request (for one name, or for the whole request).
    MessageDenied = 102,
    /// The connection was already subscribed to that name (or to everyone).
    MultipleSubscriptions = 103,
    /// The connection was not subscribed to that name.
    NotSubscribed = 104,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_protocol() {
        assert_eq!(Topic::Presence as i32, 7);
        assert_eq!(Topic::StateRegistry as i32, 11);
        assert_eq!(Topic::Error as i32, 100);
        assert_eq!(ConnectionAction::AuthenticationTimeout as i32, 100);
        assert_eq!(ConnectionAction::InvalidMessage as i32, 101);
        assert_eq!(AuthAction::InvalidMessageData as i32, 102);
        assert_eq!(ParserAction::InvalidMetaParams as i32, 7);
        assert_eq!(PresenceAction::UnsubscribeAll as i32, 13);
        assert_eq!(PresenceAction::NotSubscribed as i32, 104);
    }

    #[test]
    fn unknown_numbers_are_rejected_by_try_from() {
        assert_eq!(Topic::try_from(42).ok(), None);
        assert_eq!(Topic::try_from(7).ok(), Some(Topic::Presence));
        assert_eq!(PresenceAction::try_from(55).ok(), None);
        assert_eq!(Topic::default(), Topic::Unknown);
    }
}
