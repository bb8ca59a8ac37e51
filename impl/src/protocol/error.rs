//! What can go wrong when reading a frame.
//!
//! Decoding never panics: every malformed input ends up as one of the [`DecodeError`] variants
//! below. The variants follow the order in which a frame is read (length prefix, envelope,
//! topic, body), so the first thing that fails names the problem.
//!
//! The real server answers all of them the same way, with `PARSER/UNKNOWN_TOPIC`, and keeps
//! the connection open; the distinction is there for logs and metrics.

use super::actions::Topic;

/// Why [`super::decode_frame`] could not turn a WebSocket frame into a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame holds no bytes at all.
    #[error("empty frame")]
    Empty,
    /// The frame does not start with a valid varint length (e.g. `ff ff ff`: every byte says
    /// "more follows" and the input ends).
    #[error("frame does not start with a valid length prefix")]
    BadLength(#[source] prost::DecodeError),
    /// The length prefix promises more bytes than the frame holds.
    #[error("frame announces a {declared}-byte message but only {available} bytes follow")]
    Truncated {
        /// The length the prefix announced.
        declared: usize,
        /// The bytes actually present after the prefix.
        available: usize,
    },
    /// The announced bytes are not a valid protobuf envelope (`Message`).
    #[error("frame is not a valid protobuf message")]
    NotProtobuf(#[source] prost::DecodeError),
    /// The envelope names no topic or a topic number outside the protocol (e.g. 42).
    #[error("unknown topic {0}")]
    UnknownTopic(i32),
    /// The inner message is not a valid protobuf message of its topic's type (bad wire types,
    /// invalid UTF-8 in a string, truncated fields...).
    #[error("body of a {topic:?} message is not valid")]
    InvalidBody {
        /// The topic whose message type was expected.
        topic: Topic,
        /// What prost reported.
        #[source]
        source: prost::DecodeError,
    },
}
