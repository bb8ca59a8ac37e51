//! Ready-to-send AUTH frames: the login request and its outcomes.
//!
//! After the handshake the client sends one AUTH/REQUEST whose `data` is the JSON text of its
//! auth parameters (e.g. `{"username":"alice"}`). The server answers AUTH_SUCCESSFUL (with
//! the client's JSON client data, if any) or AUTH_UNSUCCESSFUL, and closes the socket after
//! too many failures or on data that is not a JSON object. The replies without data are
//! compile-time constants.

use bytes::Bytes;

use super::actions::{AuthAction, Topic};
use super::frame::encode_frame;
use super::messages::AuthMessage;
use super::wire::action_only_frame;

const SUCCESSFUL: [u8; 7] = action_only_frame(Topic::Auth, AuthAction::AuthSuccessful as i32);
const TOO_MANY_ATTEMPTS: [u8; 7] =
    action_only_frame(Topic::Auth, AuthAction::TooManyAuthAttempts as i32);
const INVALID_MESSAGE: [u8; 7] = action_only_frame(Topic::Auth, AuthAction::InvalidMessage as i32);
const INVALID_MESSAGE_DATA: [u8; 7] =
    action_only_frame(Topic::Auth, AuthAction::InvalidMessageData as i32);

/// An AUTH message with an action and JSON `data` (left out when empty).
fn with_data(action: AuthAction, data: &str) -> Bytes {
    let message = AuthMessage {
        action: action as i32,
        data: data.to_owned(),
        ..Default::default()
    };
    encode_frame(Topic::Auth, &message)
}

/// The login succeeded; `client_data` is JSON text handed to the client's login callback.
pub fn successful(client_data: Option<&str>) -> Bytes {
    match client_data {
        None | Some("") => Bytes::from_static(&SUCCESSFUL),
        Some(data) => with_data(AuthAction::AuthSuccessful, data),
    }
}

/// The login failed; `data` is JSON text handed to the client's login callback (empty for
/// none). The client may try again.
pub fn unsuccessful(data: &str) -> Bytes {
    with_data(AuthAction::AuthUnsuccessful, data)
}

/// Too many failed logins; sent just before the server closes the socket.
pub fn too_many_attempts() -> Bytes {
    Bytes::from_static(&TOO_MANY_ATTEMPTS)
}

/// Answer to a message other than AUTH/REQUEST before login; the socket stays open.
pub fn invalid_message() -> Bytes {
    Bytes::from_static(&INVALID_MESSAGE)
}

/// The login data is not a JSON object; sent just before the server closes the socket.
pub fn invalid_message_data() -> Bytes {
    Bytes::from_static(&INVALID_MESSAGE_DATA)
}

/// AUTH/ERROR with JSON `data`: an AUTH message the server cannot honour in the connection's
/// state, such as a second login on a logged-in connection. The socket stays open.
pub fn error(data: &str) -> Bytes {
    with_data(AuthAction::Error, data)
}

/// The client's login request; `auth_json` is the JSON text of its auth parameters.
pub fn request(auth_json: &str) -> Bytes {
    with_data(AuthAction::Request, auth_json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::testutil::hex;

    #[test]
    fn fixed_frames_match_the_real_server() {
        assert_eq!(hex(&successful(None)), "0610031a020803");
        assert_eq!(hex(&invalid_message()), "0610031a020865");
        assert_eq!(hex(&invalid_message_data()), "0610031a020866");
        assert_eq!(hex(&too_many_attempts()), "0610031a020864");
    }

    #[test]
    fn fixed_frames_match_the_general_encoder() {
        for (frame, action) in [
            (successful(Some("")), AuthAction::AuthSuccessful),
            (too_many_attempts(), AuthAction::TooManyAuthAttempts),
            (invalid_message(), AuthAction::InvalidMessage),
            (invalid_message_data(), AuthAction::InvalidMessageData),
            (unsuccessful(""), AuthAction::AuthUnsuccessful),
        ] {
            let message = AuthMessage {
                action: action as i32,
                ..Default::default()
            };
            assert_eq!(frame, encode_frame(Topic::Auth, &message), "{action:?}");
        }
    }

    #[test]
    fn replies_with_data() {
        // action 3, data (field 2) `{"a":1}`.
        assert_eq!(
            hex(&successful(Some(r#"{"a":1}"#))),
            "0f10031a0b080312077b2261223a317d"
        );
        // action 4, data (field 2) `"no"`.
        assert_eq!(hex(&unsuccessful(r#""no""#)), "0c10031a0808041204226e6f22");
    }

    #[test]
    fn requests_match_the_official_client() {
        assert_eq!(
            hex(&request(r#"{"username":"alice"}"#)),
            "1c10031a18080212147b22757365726e616d65223a22616c696365227d"
        );
        assert_eq!(hex(&request("{}")), "0a10031a06080212027b7d");
    }
}
