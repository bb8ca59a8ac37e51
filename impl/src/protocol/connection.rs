//! Ready-to-send CONNECTION frames: the handshake and the heartbeat.
//!
//! A connection starts with the client's CHALLENGE, which the server answers with ACCEPT; from
//! then on the client sends a PING every heartbeat interval and, once logged in, gets a PONG
//! back. Most of these frames never vary, so they are compile-time constants: sending one costs
//! no allocation and no encoding.

use bytes::Bytes;

use super::actions::{ConnectionAction, Topic};
use super::frame::encode_frame;
use super::messages::ConnectionMessage;
use super::wire::action_only_frame;

/// The protocol version the v4 and later clients announce in their CHALLENGE.
pub const PROTOCOL_VERSION: &str = "0.1a";

/// The `sdkType` that [`challenge`] announces for rollcall's own client.
pub const SDK_TYPE: &str = "rust";

/// The `sdkVersion` that [`challenge`] announces: the version of this crate.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

const ACCEPT: [u8; 7] = action_only_frame(Topic::Connection, ConnectionAction::Accept as i32);
const PING: [u8; 7] = action_only_frame(Topic::Connection, ConnectionAction::Ping as i32);
const PONG: [u8; 7] = action_only_frame(Topic::Connection, ConnectionAction::Pong as i32);
const INVALID_MESSAGE: [u8; 7] =
    action_only_frame(Topic::Connection, ConnectionAction::InvalidMessage as i32);
const AUTHENTICATION_TIMEOUT: [u8; 7] = action_only_frame(
    Topic::Connection,
    ConnectionAction::AuthenticationTimeout as i32,
);

/// The server accepts the client's CHALLENGE; the client may now send its AUTH/REQUEST.
pub fn accept() -> Bytes {
    Bytes::from_static(&ACCEPT)
}

/// The server's answer to a PING from a logged-in client.
pub fn pong() -> Bytes {
    Bytes::from_static(&PONG)
}

/// Answer to a message (other than PING) that arrived before the CHALLENGE.
pub fn invalid_message() -> Bytes {
    Bytes::from_static(&INVALID_MESSAGE)
}

/// Sent when a client did not log in in time, just before the server closes the socket.
pub fn authentication_timeout() -> Bytes {
    Bytes::from_static(&AUTHENTICATION_TIMEOUT)
}

/// The client's heartbeat.
pub fn ping() -> Bytes {
    Bytes::from_static(&PING)
}

/// The client's first message, announcing the URL it connected to, as rollcall's client.
pub fn challenge(url: &str) -> Bytes {
    challenge_as(url, SDK_VERSION, SDK_TYPE)
}

/// The client's first message, announcing any SDK; with `"7.0.5"` and `"javascript"` it is
/// byte for byte what the official JavaScript client sends.
pub fn challenge_as(url: &str, sdk_version: &str, sdk_type: &str) -> Bytes {
    let message = ConnectionMessage {
        action: ConnectionAction::Challenge as i32,
        url: url.to_owned(),
        protocol_version: PROTOCOL_VERSION.to_owned(),
        sdk_version: sdk_version.to_owned(),
        sdk_type: sdk_type.to_owned(),
        ..Default::default()
    };
    encode_frame(Topic::Connection, &message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::{decode_frame, Incoming};
    use crate::protocol::testutil::hex;

    #[test]
    fn fixed_frames_match_the_real_server() {
        assert_eq!(hex(&accept()), "0610021a020804");
        assert_eq!(hex(&pong()), "0610021a020803");
        assert_eq!(hex(&invalid_message()), "0610021a020865");
        assert_eq!(hex(&authentication_timeout()), "0610021a020864");
        assert_eq!(hex(&ping()), "0610021a020802");
    }

    #[test]
    fn fixed_frames_match_the_general_encoder() {
        for (frame, action) in [
            (accept(), ConnectionAction::Accept),
            (pong(), ConnectionAction::Pong),
            (ping(), ConnectionAction::Ping),
            (invalid_message(), ConnectionAction::InvalidMessage),
            (
                authentication_timeout(),
                ConnectionAction::AuthenticationTimeout,
            ),
        ] {
            let message = ConnectionMessage {
                action: action as i32,
                ..Default::default()
            };
            assert_eq!(
                frame,
                encode_frame(Topic::Connection, &message),
                "{action:?}"
            );
        }
    }

    #[test]
    fn challenge_of_the_official_client() {
        assert_eq!(
            hex(&challenge_as(
                "ws://127.0.0.1:7001/deepstream",
                "7.0.5",
                "javascript"
            )),
            "3f10021a3b08052a1e77733a2f2f3132372e302e302e313a373030312f6465657073747265616d3204\
             302e31613a05372e302e35420a6a617661736372697074"
        );
    }

    #[test]
    fn challenge_of_rollcall() {
        let Ok(Incoming::Connection(message)) = decode_frame(&challenge("ws://h/deepstream"))
        else {
            panic!("not a connection message");
        };
        assert_eq!(message.action(), ConnectionAction::Challenge);
        assert_eq!(message.url, "ws://h/deepstream");
        assert_eq!(message.protocol_version, "0.1a");
        assert_eq!(message.sdk_type, SDK_TYPE);
        assert_eq!(message.sdk_version, SDK_VERSION);
    }
}
