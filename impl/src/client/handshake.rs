//! Opening a connection: transport, WebSocket upgrade, CHALLENGE and login.
//!
//! ```text
//! connector.connect()                          a byte stream (TCP, simulated, in-memory)
//! GET /deepstream  Upgrade: websocket    ->    WebSocket upgrade
//!                  101 Switching Protocols <-
//! CONNECTION/CHALLENGE {url, "0.1a", ...} ->
//!                  CONNECTION/ACCEPT      <-
//! AUTH/REQUEST {data: auth JSON}          ->
//!                  AUTH/AUTH_SUCCESSFUL   <-   {data: client data JSON, if any}
//! ```
//!
//! The same sequence runs at [`Client::connect`](super::Client::connect) and on every
//! reconnection. It has no timeout of its own: the caller bounds it.
//!
//! The WebSocket key of the upgrade request is drawn from the client's seeded generator
//! rather than from the operating system, so a simulated run is reproducible. (The masks of
//! the frames a client sends are still chosen by the WebSocket library; they never change
//! what the server receives.)

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::http::{Request, Uri};
use tokio_tungstenite::tungstenite::{self, error::ProtocolError, Message};
use tokio_tungstenite::{client_async, WebSocketStream};

use super::config::{ClientConfig, SplitMix64};
use super::connector::Connector;
use super::error::ClientError;
use crate::protocol::{auth, connection, decode_frame, AuthAction, ConnectionAction, Incoming};

/// Opens a logged-in connection; returns it with the client data of the login, if any.
pub(crate) async fn open<C: Connector>(
    connector: &C,
    config: &ClientConfig,
    rng: &mut SplitMix64,
) -> Result<(WebSocketStream<C::Stream>, Option<serde_json::Value>), ClientError> {
    let request = upgrade_request(&config.url, rng)?;
    let stream = connector.connect().await?;
    let (mut ws, _response) = client_async(request, stream).await?;

    ws.send(Message::Binary(connection::challenge(&config.url)))
        .await?;
    loop {
        match next_message(&mut ws).await? {
            Incoming::Connection(message) => match message.action() {
                ConnectionAction::Accept => break,
                ConnectionAction::Ping | ConnectionAction::Pong => {}
                other => return Err(unexpected("CONNECTION/ACCEPT", &format!("{other:?}"))),
            },
            other => return Err(unexpected("CONNECTION/ACCEPT", &format!("{other:?}"))),
        }
    }

    let auth_json = serde_json::to_string(&config.auth)
        .map_err(|error| ClientError::Handshake(format!("auth parameters: {error}")))?;
    ws.send(Message::Binary(auth::request(&auth_json))).await?;
    loop {
        match next_message(&mut ws).await? {
            Incoming::Auth(message) => {
                return match message.action() {
                    AuthAction::AuthSuccessful => Ok((ws, client_data(message.data))),
                    AuthAction::AuthUnsuccessful => Err(ClientError::AuthRejected(message.data)),
                    AuthAction::TooManyAuthAttempts => {
                        Err(ClientError::AuthRejected("TOO_MANY_AUTH_ATTEMPTS".into()))
                    }
                    AuthAction::InvalidMessageData => {
                        Err(ClientError::AuthRejected("INVALID_MESSAGE_DATA".into()))
                    }
                    other => Err(unexpected("an AUTH answer", &format!("AUTH/{other:?}"))),
                }
            }
            Incoming::Connection(message)
                if matches!(
                    message.action(),
                    ConnectionAction::Ping | ConnectionAction::Pong
                ) => {}
            other => return Err(unexpected("an AUTH answer", &format!("{other:?}"))),
        }
    }
}

/// The WebSocket upgrade request for `url`, with a key drawn from `rng`.
fn upgrade_request(url: &str, rng: &mut SplitMix64) -> Result<Request<()>, ClientError> {
    let invalid = |why: String| ClientError::Handshake(format!("invalid url {url:?}: {why}"));
    let uri: Uri = url.parse().map_err(|error| invalid(format!("{error}")))?;
    let host = uri
        .authority()
        .map(|authority| authority.as_str().to_owned())
        .ok_or_else(|| invalid("no host".into()))?;
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    key[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    Request::builder()
        .method("GET")
        .uri(uri)
        .header("Host", host)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", base64(&key))
        .body(())
        .map_err(|error| invalid(format!("{error}")))
}

/// The next deepstream message on `ws`, skipping WebSocket control frames.
async fn next_message<S>(ws: &mut WebSocketStream<S>) -> Result<Incoming, ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(bytes))) => {
                return decode_frame(&bytes).map_err(|error| {
                    ClientError::Handshake(format!("unreadable frame from the server: {error}"))
                })
            }
            Some(Ok(Message::Close(_)))
            | None
            | Some(Err(
                tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            )) => {
                return Err(ClientError::Handshake(
                    "the server closed the connection during the handshake".into(),
                ))
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(error.into()),
        }
    }
}

/// The JSON client data of AUTH_SUCCESSFUL: `None` when absent; kept as a JSON string if it
/// is not valid JSON.
fn client_data(data: String) -> Option<serde_json::Value> {
    if data.is_empty() {
        return None;
    }
    Some(serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)))
}

/// A handshake error: `expected`, but `got` arrived.
fn unexpected(expected: &str, got: &str) -> ClientError {
    ClientError::Handshake(format!("expected {expected}, got {got}"))
}

/// Standard base64 with padding, for the 16-byte WebSocket key.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(&[0xff; 16]).len(), 24);
    }

    #[test]
    fn upgrade_request_is_seeded() {
        let key = |seed| {
            upgrade_request("ws://h:1/deepstream", &mut SplitMix64::new(seed))
                .ok()
                .and_then(|request| request.headers().get("Sec-WebSocket-Key").cloned())
        };
        assert_eq!(key(3), key(3));
        assert_ne!(key(3), key(4));
        let request = upgrade_request("ws://h:1/deepstream", &mut SplitMix64::new(0)).ok();
        let request = request.as_ref();
        assert_eq!(
            request
                .and_then(|r| r.uri().path_and_query())
                .map(|p| p.as_str()),
            Some("/deepstream")
        );
        assert_eq!(
            request
                .and_then(|r| r.headers().get("Host"))
                .map(|h| h.as_bytes()),
            Some(&b"h:1"[..])
        );
        assert!(upgrade_request("not a url", &mut SplitMix64::new(0)).is_err());
    }
}
