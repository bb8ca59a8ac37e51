//! A lean deepstream client: raw WebSocket frames built and read with `rollcall::protocol`.
//!
//! No reconnection, no callbacks, no buffering of names: just the frames a scenario needs,
//! byte for byte what the official JavaScript client sends (its challenge announces
//! `@deepstream/client` 7.0.5), so both servers see an ordinary client.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rollcall::protocol::{
    self, decode_frame, AuthAction, ConnectionAction, Incoming, PresenceAction, PresenceMessage,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long a handshake step or an expected answer may take.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A connection to a server, logged in or not.
pub struct Client {
    ws: WebSocketStream<TcpStream>,
}

impl Client {
    /// Opens the WebSocket and completes the challenge (no login yet).
    pub async fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = TcpStream::connect(addr).await.context("TCP connect")?;
        stream.set_nodelay(true)?;
        let url = format!("ws://{addr}/deepstream");
        // Small buffers (they grow for a large answer): the library's defaults of 128 KiB each
        // would make every one of thousands of connections an mmap and its page faults.
        let mut config = WebSocketConfig::default();
        config.read_buffer_size = 8 * 1024;
        config.write_buffer_size = 0;
        config.max_message_size = Some(64 << 20);
        config.max_frame_size = Some(64 << 20);
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config))
                .await
                .context("WebSocket handshake")?;
        let mut client = Client { ws };
        client
            .send(protocol::connection::challenge_as(
                &url,
                "7.0.5",
                "javascript",
            ))
            .await?;
        match client.next_within(PATIENCE).await? {
            Incoming::Connection(m) if m.action() == ConnectionAction::Accept => Ok(client),
            other => bail!("expected CONNECTION/ACCEPT, got {other:?}"),
        }
    }

    /// Sends the login request for `user`, without waiting for the answer.
    pub async fn send_login(&mut self, user: &str) -> Result<()> {
        let auth = format!("{{\"username\":\"{user}\"}}");
        self.send(protocol::auth::request(&auth)).await
    }

    /// Waits for the answer to a login.
    pub async fn expect_logged_in(&mut self) -> Result<()> {
        match self.next_within(PATIENCE).await? {
            Incoming::Auth(m) if m.action() == AuthAction::AuthSuccessful => Ok(()),
            other => bail!("expected AUTH/AUTH_SUCCESSFUL, got {other:?}"),
        }
    }

    /// Connects and logs in as `user`.
    pub async fn login(addr: SocketAddr, user: &str) -> Result<Client> {
        let mut client = Client::connect(addr).await?;
        client.send_login(user).await?;
        client.expect_logged_in().await?;
        Ok(client)
    }

    /// Subscribes to everyone and waits for the acknowledgement.
    pub async fn subscribe_all(&mut self) -> Result<()> {
        let none: &[&str] = &[];
        self.send(protocol::presence::request(
            PresenceAction::SubscribeAll,
            "",
            none,
        ))
        .await?;
        loop {
            if let Incoming::Presence(m) = self.next_within(PATIENCE).await? {
                if m.action() == PresenceAction::SubscribeAll && m.is_ack {
                    return Ok(());
                }
            }
        }
    }

    /// Sends getAll(), as the official client does (no correlation id).
    pub async fn send_query_all(&mut self) -> Result<()> {
        let none: &[&str] = &[];
        self.send(protocol::presence::request(
            PresenceAction::QueryAll,
            "",
            none,
        ))
        .await
    }

    /// Sends the heartbeat.
    pub async fn ping(&mut self) -> Result<()> {
        self.send(protocol::connection::ping()).await
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: Bytes) -> Result<()> {
        self.ws.send(Message::Binary(frame)).await.context("send")
    }

    /// The next binary frame as it came; `None` when the connection is closed.
    pub async fn next_raw(&mut self) -> Option<Result<Bytes>> {
        loop {
            return match self.ws.next().await? {
                Ok(Message::Binary(data)) => Some(Ok(data)),
                Ok(Message::Close(_)) => None,
                Ok(_) => continue,
                Err(error) => Some(Err(error.into())),
            };
        }
    }

    /// The next decoded frame; `None` when the connection is closed.
    pub async fn next(&mut self) -> Option<Result<Incoming>> {
        loop {
            return match self.ws.next().await? {
                Ok(Message::Binary(data)) => {
                    Some(decode_frame(&data).context("an undecodable frame"))
                }
                Ok(Message::Close(_)) => None,
                Ok(_) => continue,
                Err(error) => Some(Err(error.into())),
            };
        }
    }

    /// The next decoded frame within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<Incoming> {
        match tokio::time::timeout(wait, self.next()).await {
            Err(_) => bail!("no answer within {wait:?}"),
            Ok(None) => bail!("the server closed the connection"),
            Ok(Some(frame)) => frame,
        }
    }

    /// Waits for the answer to a getAll(); returns how many names it held. The answer is
    /// scanned, not decoded: with thousands of names, decoding would cost the load generator
    /// more than the server spends answering.
    pub async fn expect_query_all_response(&mut self) -> Result<usize> {
        loop {
            let frame = match tokio::time::timeout(PATIENCE, self.next_raw()).await {
                Err(_) => bail!("no answer within {PATIENCE:?}"),
                Ok(None) => bail!("the server closed the connection"),
                Ok(Some(frame)) => frame?,
            };
            if let Some(scan) = scan_presence(&frame) {
                if scan.action == PresenceAction::QueryAllResponse as i32 {
                    return Ok(scan.names);
                }
            }
        }
    }

    /// Closes the WebSocket politely (a close frame), without waiting for the answer.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// What [`scan_presence`] reads from a PRESENCE frame without decoding it.
pub struct Scan<'a> {
    /// The action number.
    pub action: i32,
    /// The `name` field (empty when absent).
    pub name: &'a [u8],
    /// How many `names` entries.
    pub names: usize,
}

/// Reads a protobuf varint at the start of `bytes`; returns it and the bytes after it.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// Scans a frame: `varint(len) ++ Message { topic = 2, message = 3 }`, and when the topic is
/// PRESENCE, the inner message's action (1), name (8) and names (9), borrowing, allocating
/// nothing. `None` for anything else or anything malformed.
pub fn scan_presence(frame: &[u8]) -> Option<Scan<'_>> {
    let (len, rest) = varint(frame)?;
    let mut envelope = rest.get(..usize::try_from(len).ok()?)?;
    let mut topic = 0;
    let mut inner: &[u8] = &[];
    while !envelope.is_empty() {
        let (key, rest) = varint(envelope)?;
        match key {
            0x10 => {
                let (value, rest) = varint(rest)?;
                topic = value;
                envelope = rest;
            }
            0x1a => {
                let (len, rest) = varint(rest)?;
                let len = usize::try_from(len).ok()?;
                inner = rest.get(..len)?;
                envelope = rest.get(len..)?;
            }
            _ => return None,
        }
    }
    if topic != rollcall::protocol::Topic::Presence as u64 {
        return None;
    }
    let mut scan = Scan {
        action: 0,
        name: &[],
        names: 0,
    };
    while !inner.is_empty() {
        let (key, rest) = varint(inner)?;
        match key & 7 {
            0 => {
                let (value, rest) = varint(rest)?;
                if key >> 3 == 1 {
                    scan.action = i32::try_from(value).ok()?;
                }
                inner = rest;
            }
            2 => {
                let (len, rest) = varint(rest)?;
                let len = usize::try_from(len).ok()?;
                let value = rest.get(..len)?;
                match key >> 3 {
                    8 => scan.name = value,
                    9 => scan.names += 1,
                    _ => {}
                }
                inner = rest.get(len..)?;
            }
            _ => return None,
        }
    }
    Some(scan)
}

/// A presence event's action and user, if `incoming` is one.
pub fn event(incoming: &Incoming) -> Option<(PresenceAction, &str)> {
    match incoming {
        Incoming::Presence(PresenceMessage { action, name, .. }) => {
            let action = PresenceAction::try_from(*action).ok()?;
            matches!(
                action,
                PresenceAction::PresenceJoinAll
                    | PresenceAction::PresenceLeaveAll
                    | PresenceAction::PresenceJoin
                    | PresenceAction::PresenceLeave
            )
            .then_some((action, name.as_str()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_reads_what_decoding_reads() {
        let event = protocol::presence::event(PresenceAction::PresenceJoinAll, "u-17");
        let scan = scan_presence(&event).expect("a presence frame");
        assert_eq!(scan.action, PresenceAction::PresenceJoinAll as i32);
        assert_eq!(scan.name, b"u-17");
        let answer = protocol::presence::query_all_response(&["a", "b", "c"]);
        let scan = scan_presence(&answer).expect("a presence frame");
        assert_eq!(scan.action, PresenceAction::QueryAllResponse as i32);
        assert_eq!(scan.names, 3);
        assert!(scan_presence(&protocol::connection::ping()).is_none());
        assert!(scan_presence(b"\x05\x01").is_none());
    }
}
