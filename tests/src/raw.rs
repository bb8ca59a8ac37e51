//! A raw deepstream WebSocket client for tests that must send what no well-behaved client
//! would: arbitrary bytes, text frames, oversized messages, requests out of order.
//!
//! Frames are built with rollcall's own codec (`rollcall::protocol`) or given as raw bytes;
//! received frames are decoded into [`Incoming`] so tests assert on actions, not on hex.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rollcall::protocol::{self, decode_frame, Incoming};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame before deciding none is coming.
pub const PATIENCE: Duration = Duration::from_secs(3);
/// How long a test waits to be sure that nothing arrives.
pub const QUIET: Duration = Duration::from_millis(300);

/// What the next read produced.
#[derive(Debug)]
pub enum Received {
    /// A binary frame, decoded.
    Frame(Incoming),
    /// A binary frame the codec cannot read.
    Undecodable(Vec<u8>),
    /// The server closed the WebSocket with this code.
    Closed(Option<u16>),
    /// Nothing within the wait.
    Nothing,
}

/// One raw connection.
pub struct RawClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawClient {
    /// Opens a WebSocket to `/deepstream`, without any deepstream handshake.
    pub async fn connect(addr: SocketAddr) -> RawClient {
        let url = format!("ws://{addr}/deepstream");
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        RawClient { ws }
    }

    /// Connects, completes the challenge and logs in with `auth_json`; asserts success.
    pub async fn login(addr: SocketAddr, auth_json: &str) -> RawClient {
        let mut client = RawClient::connect(addr).await;
        client
            .send(protocol::connection::challenge(&format!(
                "ws://{addr}/deepstream"
            )))
            .await;
        client
            .expect_connection(protocol::ConnectionAction::Accept)
            .await;
        client.send(protocol::auth::request(auth_json)).await;
        match client.recv().await {
            Received::Frame(Incoming::Auth(m))
                if m.action() == protocol::AuthAction::AuthSuccessful => {}
            other => panic!("login with {auth_json} failed: {other:?}"),
        }
        client
    }

    /// Sends one binary frame.
    pub async fn send(&mut self, frame: Bytes) {
        self.ws.send(Message::Binary(frame)).await.expect("send");
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// Reads the next frame, waiting at most `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Received {
        loop {
            let next = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return Received::Nothing,
                Ok(next) => next,
            };
            return match next {
                Some(Ok(Message::Binary(data))) => match decode_frame(&data) {
                    Ok(incoming) => Received::Frame(incoming),
                    Err(_) => Received::Undecodable(data.to_vec()),
                },
                Some(Ok(Message::Close(frame))) => Received::Closed(frame.map(|f| f.code.into())),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Received::Closed(None),
            };
        }
    }

    /// Reads the next frame, waiting at most [`PATIENCE`].
    pub async fn recv(&mut self) -> Received {
        self.recv_within(PATIENCE).await
    }

    /// Asserts that nothing arrives for [`QUIET`].
    pub async fn expect_silence(&mut self) {
        match self.recv_within(QUIET).await {
            Received::Nothing => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }

    /// Asserts the next frame is a CONNECTION message with `action`.
    pub async fn expect_connection(&mut self, action: protocol::ConnectionAction) {
        match self.recv().await {
            Received::Frame(Incoming::Connection(m)) if m.action() == action => {}
            other => panic!("expected CONNECTION/{action:?}, got {other:?}"),
        }
    }

    /// Asserts the next frame is an AUTH message with `action`; returns its data.
    pub async fn expect_auth(&mut self, action: protocol::AuthAction) -> String {
        match self.recv().await {
            Received::Frame(Incoming::Auth(m)) if m.action() == action => m.data,
            other => panic!("expected AUTH/{action:?}, got {other:?}"),
        }
    }

    /// Asserts the next frame is a PARSER message with `action`; returns its data.
    pub async fn expect_parser(&mut self, action: protocol::ParserAction) -> String {
        match self.recv().await {
            Received::Frame(Incoming::Parser(m)) if m.action() == action => m.data,
            other => panic!("expected PARSER/{action:?}, got {other:?}"),
        }
    }

    /// Asserts the next frame is a PRESENCE message with `action`; returns it.
    pub async fn expect_presence(
        &mut self,
        action: protocol::PresenceAction,
    ) -> protocol::PresenceMessage {
        match self.recv().await {
            Received::Frame(Incoming::Presence(m)) if m.action() == action => m,
            other => panic!("expected PRESENCE/{action:?}, got {other:?}"),
        }
    }

    /// Asserts the server closes the connection, with `code`.
    pub async fn expect_close(&mut self, code: u16) {
        match self.recv().await {
            Received::Closed(Some(got)) if got == code => {}
            other => panic!("expected a close with code {code}, got {other:?}"),
        }
    }

    /// Asserts the connection is still served: a ping after login is answered with a pong.
    pub async fn expect_alive(&mut self) {
        self.send(protocol::connection::ping()).await;
        self.expect_connection(protocol::ConnectionAction::Pong)
            .await;
    }
}
