//! The protobuf messages of the protocol, as plain Rust structs.
//!
//! Each struct derives [`prost::Message`], and its `#[prost(...)]` attributes *are* the schema:
//! the `tag` is the protobuf field number and the type keyword (`string`, `bool`, `int32`,
//! `enumeration`, `bytes`) the wire type. There is no `.proto` file and no build script.
//!
//! A few protobuf (proto3) rules explain most of what you see on the wire:
//!
//! * A field holding its default value (`0`, `false`, `""`, an empty list) is not written at
//!   all. The ACCEPT frame `06 10 02 1a 02 08 04` therefore carries just `action = 4`: its
//!   `data`, `isError`, `url`... are simply absent. Decoding turns an absent field back into
//!   its default, so "absent" and "empty" are the same thing.
//! * Fields are written in field-number order. prost does the same, which is why encoding with
//!   these structs reproduces the real server's bytes exactly.
//! * Enums are open: an `enumeration` field is an `i32` here, so an unknown number survives
//!   decoding. prost generates a getter (`action()`) that returns the typed enum, or its
//!   `Unknown` variant when the number is not one it knows, and a setter (`set_action()`).
//!
//! The outer [`Message`] wraps one of the four per-topic messages as opaque bytes: decoding is
//! two steps, first the envelope, then the body according to the envelope's topic (see
//! [`super::decode_frame`]).

use super::actions::{AuthAction, ConnectionAction, ParserAction, PresenceAction, Topic};

/// The envelope of every frame: a topic and the encoded message of that topic.
///
/// Field 1 is unused by the protocol; a frame is `varint(len) ++ Message`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct Message {
    /// Which per-topic message `message` holds ([`Topic`] as a raw number).
    #[prost(enumeration = "Topic", tag = "2")]
    pub topic: i32,
    /// The encoded per-topic message ([`ConnectionMessage`], [`AuthMessage`], ...).
    #[prost(bytes = "vec", tag = "3")]
    pub message: Vec<u8>,
}

/// A message of topic CONNECTION: the handshake (challenge/accept) and the heartbeat.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct ConnectionMessage {
    /// What this message does ([`ConnectionAction`] as a raw number).
    #[prost(enumeration = "ConnectionAction", tag = "1")]
    pub action: i32,
    /// JSON payload, when the action has one.
    #[prost(string, tag = "2")]
    pub data: String,
    /// Marks an error reply.
    #[prost(bool, tag = "3")]
    pub is_error: bool,
    /// Marks an acknowledgement.
    #[prost(bool, tag = "4")]
    pub is_ack: bool,
    /// The URL the client connected to (sent with CHALLENGE).
    #[prost(string, tag = "5")]
    pub url: String,
    /// The protocol version the client speaks, `"0.1a"` for the v4+ clients.
    #[prost(string, tag = "6")]
    pub protocol_version: String,
    /// The client library version, e.g. `"7.0.5"`.
    #[prost(string, tag = "7")]
    pub sdk_version: String,
    /// The client library kind, e.g. `"javascript"`.
    #[prost(string, tag = "8")]
    pub sdk_type: String,
}

/// A message of topic AUTH: the login request and its outcome.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct AuthMessage {
    /// What this message does ([`AuthAction`] as a raw number).
    #[prost(enumeration = "AuthAction", tag = "1")]
    pub action: i32,
    /// JSON text: the auth parameters of a request, the client data of a success, the reason
    /// of a failure.
    #[prost(string, tag = "2")]
    pub data: String,
    /// Marks an error reply.
    #[prost(bool, tag = "3")]
    pub is_error: bool,
    /// Marks an acknowledgement.
    #[prost(bool, tag = "4")]
    pub is_ack: bool,
}

/// A message of topic PARSER: the server's complaint about a frame it could not use.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct ParserMessage {
    /// What went wrong ([`ParserAction`] as a raw number).
    #[prost(enumeration = "ParserAction", tag = "1")]
    pub action: i32,
    /// Free-form details, when any.
    #[prost(string, tag = "2")]
    pub data: String,
    /// The topic of the offending message, when known ([`Topic`] as a raw number).
    #[prost(enumeration = "Topic", tag = "8")]
    pub original_topic: i32,
    /// The action of the offending message, when known.
    #[prost(int32, tag = "9")]
    pub original_action: i32,
}

/// A message of topic PRESENCE: queries, subscriptions, their replies and join/leave events.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct PresenceMessage {
    /// What this message does ([`PresenceAction`] as a raw number).
    #[prost(enumeration = "PresenceAction", tag = "1")]
    pub action: i32,
    /// The topic of the message an error refers to ([`Topic`] as a raw number).
    #[prost(enumeration = "Topic", tag = "2")]
    pub original_topic: i32,
    /// The action of the request an error or notice refers to.
    #[prost(int32, tag = "3")]
    pub original_action: i32,
    /// JSON text: the name -> bool object of a QUERY_RESPONSE, or error details.
    #[prost(string, tag = "4")]
    pub data: String,
    /// Chosen by the client to match a reply to its request; echoed by the server.
    #[prost(string, tag = "5")]
    pub correlation_id: String,
    /// Marks an error reply (e.g. MESSAGE_DENIED).
    #[prost(bool, tag = "6")]
    pub is_error: bool,
    /// Marks the acknowledgement of a (un)subscription.
    #[prost(bool, tag = "7")]
    pub is_ack: bool,
    /// One user: the subject of a join/leave event or of a per-name notice.
    #[prost(string, tag = "8")]
    pub name: String,
    /// Several users: the names of a request, or the online users of a QUERY_ALL_RESPONSE.
    #[prost(string, repeated, tag = "9")]
    pub names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testutil::{hex, unhex};
    use prost::Message as _;

    #[test]
    fn presence_fields_are_written_in_field_number_order() {
        let denied = PresenceMessage {
            action: PresenceAction::MessageDenied as i32,
            original_action: PresenceAction::Subscribe as i32,
            correlation_id: "s1".to_owned(),
            is_error: true,
            name: "bob".to_owned(),
            ..Default::default()
        };
        assert_eq!(
            hex(&denied.encode_to_vec()),
            "0866180a2a02733130014203626f62"
        );
    }

    #[test]
    fn default_fields_are_omitted() {
        let empty_answer = PresenceMessage {
            action: PresenceAction::QueryAllResponse as i32,
            ..Default::default()
        };
        assert_eq!(hex(&empty_answer.encode_to_vec()), "0803");
    }

    #[test]
    fn every_field_number_decodes_where_the_protocol_puts_it() {
        let challenge = ConnectionMessage::decode(
            &unhex("08052a0375726c3204302e31613a0372617742087261772d6e6f6465")[..],
        );
        let challenge = challenge.ok();
        assert_eq!(
            challenge,
            Some(ConnectionMessage {
                action: ConnectionAction::Challenge as i32,
                url: "url".to_owned(),
                protocol_version: "0.1a".to_owned(),
                sdk_version: "raw".to_owned(),
                sdk_type: "raw-node".to_owned(),
                ..Default::default()
            })
        );

        let parser = ParserMessage {
            action: ParserAction::UnknownAction as i32,
            data: "d".to_owned(),
            original_topic: Topic::Presence as i32,
            original_action: 55,
        };
        assert_eq!(hex(&parser.encode_to_vec()), "080212016440074837");
    }

    #[test]
    fn auth_fields() {
        let auth = AuthMessage {
            action: AuthAction::AuthSuccessful as i32,
            data: "{}".to_owned(),
            is_error: true,
            is_ack: true,
        };
        assert_eq!(hex(&auth.encode_to_vec()), "080312027b7d18012001");
    }
}
