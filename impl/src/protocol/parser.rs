//! Ready-to-send PARSER frames: the server's complaints about frames it cannot use.
//!
//! The real server answers every undecodable frame, and every frame of a topic it does not
//! know, with a bare `PARSER/UNKNOWN_TOPIC` (`06 10 01 1a 02 08 01`) and keeps the connection
//! open; it does not echo the offending topic or bytes. The fixed replies are compile-time
//! constants.

use bytes::Bytes;

use super::actions::{ParserAction, Topic};
use super::frame::encode_frame;
use super::messages::ParserMessage;
use super::wire::action_only_frame;

const UNKNOWN_TOPIC: [u8; 7] = action_only_frame(Topic::Parser, ParserAction::UnknownTopic as i32);
const MAXIMUM_MESSAGE_SIZE_EXCEEDED: [u8; 7] = action_only_frame(
    Topic::Parser,
    ParserAction::MaximumMessageSizeExceeded as i32,
);

/// Answer to a frame that cannot be decoded or names no known topic
/// (see [`DecodeError`](super::DecodeError)).
pub fn unknown_topic() -> Bytes {
    Bytes::from_static(&UNKNOWN_TOPIC)
}

/// Answer to a frame larger than the server accepts.
pub fn maximum_message_size_exceeded() -> Bytes {
    Bytes::from_static(&MAXIMUM_MESSAGE_SIZE_EXCEEDED)
}

/// Answer to a message whose action its topic does not know, naming that topic and action.
pub fn unknown_action(original_topic: Topic, original_action: i32) -> Bytes {
    let message = ParserMessage {
        action: ParserAction::UnknownAction as i32,
        original_topic: original_topic as i32,
        original_action,
        ..Default::default()
    };
    encode_frame(Topic::Parser, &message)
}

/// A PARSER/ERROR with free-form details in `data` (empty for none).
pub fn error(data: &str) -> Bytes {
    let message = ParserMessage {
        action: ParserAction::Error as i32,
        data: data.to_owned(),
        ..Default::default()
    };
    encode_frame(Topic::Parser, &message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testutil::hex;

    #[test]
    fn unknown_topic_matches_the_real_server() {
        assert_eq!(hex(&unknown_topic()), "0610011a020801");
    }

    #[test]
    fn fixed_frames_match_the_general_encoder() {
        let message = ParserMessage {
            action: ParserAction::MaximumMessageSizeExceeded as i32,
            ..Default::default()
        };
        assert_eq!(
            maximum_message_size_exceeded(),
            encode_frame(Topic::Parser, &message)
        );
        assert_eq!(hex(&maximum_message_size_exceeded()), "0610011a020805");
    }

    #[test]
    fn frames_with_fields() {
        // action 2, originalTOPIC (field 8) 7, originalAction (field 9) 55.
        assert_eq!(
            hex(&unknown_action(Topic::Presence, 55)),
            "0a10011a06080240074837"
        );
        // action 6, data (field 2) "x".
        assert_eq!(hex(&error("x")), "0910011a050806120178");
        assert_eq!(hex(&error("")), "0610011a020806");
    }
}
