//! The deepstream binary wire protocol, as spoken by `@deepstream/client` 4 and later.
//!
//! This module turns WebSocket binary frames into typed messages and back. It knows nothing of
//! sockets, sessions or who is online: it is the codec, and only the codec.
//!
//! # Framing
//!
//! Each WebSocket binary frame carries one message, as protobuf's *length-delimited*
//! encoding of an envelope:
//!
//! ```text
//! frame    = varint(len(envelope)) ++ envelope
//! envelope = Message { topic: TOPIC = 2, message: bytes = 3 }
//! ```
//!
//! The envelope's `message` holds another encoded protobuf message whose type depends on the
//! topic: [`ConnectionMessage`] for CONNECTION, [`AuthMessage`] for AUTH, [`ParserMessage`] for
//! PARSER and [`PresenceMessage`] for PRESENCE. A message is thus decoded in two steps, envelope
//! then body. Here is the server's answer to `getAll()` when only bob is online:
//!
//! ```text
//! 0b                 envelope length: 11 bytes
//! 10 07              field 2 (topic), varint 7: PRESENCE
//! 1a 07              field 3 (message), 7 bytes follow
//!    08 03           field 1 (action), varint 3: QUERY_ALL_RESPONSE
//!    4a 03 62 6f 62  field 9 (names), 3 bytes: "bob"
//! ```
//!
//! Every protobuf field starts with a key byte, `field_number << 3 | wire_type` (`0x10` is
//! field 2 as a varint, `0x1a` field 3 as a length-delimited value). Fields left at their
//! default value are not written at all, which is why most frames are tiny: the server's
//! CONNECTION/ACCEPT is just `06 10 02 1a 02 08 04`. Text payloads (`data`) are JSON strings.
//!
//! Only the first message of a frame is read; anything after it is ignored, as the real server
//! does. A frame that cannot be decoded is not fatal: the server answers it with
//! [`parser::unknown_topic`] and keeps the connection open.
//!
//! # Layout
//!
//! * [`Topic`] and the `*Action` enums: the protocol's numbers.
//! * [`Message`], [`ConnectionMessage`], [`AuthMessage`], [`ParserMessage`],
//!   [`PresenceMessage`]: the messages, as prost structs; their attributes are the schema.
//! * [`decode_frame`] and [`encode_frame`]: the framing, with [`Incoming`] for what a frame
//!   held and [`DecodeError`] for why it could not be read.
//! * [`connection`], [`auth`], [`parser`], [`presence`]: one function per frame the protocol
//!   sends, each returning ready-to-write [`Bytes`](bytes::Bytes) with exactly the bytes of the
//!   real server (or of the official client, for the requests).
//! * [`query_response_json`]: the JSON `data` of a presence QUERY_RESPONSE.
//!
//! # Cost
//!
//! Encoding sits on the hot path: a join event is encoded once and the same `Bytes` written to
//! every subscriber. Frames that never change are static (no allocation at all), and the others
//! are written in one pass into a single buffer allocated at their exact final size.

mod actions;
mod error;
mod frame;
mod json;
mod messages;
mod wire;

pub mod auth;
pub mod connection;
pub mod parser;
pub mod presence;

#[cfg(test)]
mod testutil;

pub use actions::{AuthAction, ConnectionAction, ParserAction, PresenceAction, Topic};
pub use error::DecodeError;
pub use frame::{decode_frame, encode_frame, DecodedMessage, Incoming};
pub use json::{push_json_string, query_response_json};
pub use messages::{AuthMessage, ConnectionMessage, Message, ParserMessage, PresenceMessage};
