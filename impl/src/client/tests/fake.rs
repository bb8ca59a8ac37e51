//! A scripted fake server: each test plays the server's side frame by frame.
//!
//! [`tcp`] listens on 127.0.0.1 (real sockets, real time); [`duplex`] hands the client
//! in-memory pipes, so that a test can run under a paused clock and jump over heartbeats,
//! timeouts and backoff delays instantly and deterministically. Either way the test receives
//! each accepted connection as a [`Peer`], already upgraded to a WebSocket.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{accept_async, WebSocketStream};

use crate::client::{ClientConfig, ClientEvent, Connector, Events, ReconnectPolicy, TcpConnector};
use crate::protocol::{
    auth, connection, decode_frame, encode_frame, AuthAction, ConnectionAction, ConnectionMessage,
    Incoming, PresenceAction, PresenceMessage, Topic,
};

/// How long a test waits for anything before failing (virtual time under a paused clock).
pub(super) const LIMIT: Duration = Duration::from_secs(5);

/// A client configuration for tests: short backoff, no jitter, 3 attempts.
pub(super) fn config(url: &str, user: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url, serde_json::json!({ "username": user }));
    config.request_timeout = Duration::from_secs(2);
    config.reconnect = ReconnectPolicy {
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        multiplier: 2.0,
        max_attempts: Some(3),
        jitter: 0.0,
    };
    config
}

/// The next client event, failing the test if none comes in time.
pub(super) async fn next_event(events: &mut Events) -> ClientEvent {
    next_event_within(events, LIMIT).await
}

/// The next client event, failing the test if none comes within `limit`.
pub(super) async fn next_event_within(events: &mut Events, limit: Duration) -> ClientEvent {
    match time::timeout(limit, events.recv()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the event stream ended"),
        Err(_) => panic!("no event in time"),
    }
}

/// The accepted connections of a fake server.
pub(super) struct FakeServer<S> {
    peers: mpsc::UnboundedReceiver<Peer<S>>,
}

impl<S> FakeServer<S> {
    /// The next connection, upgraded; fails the test if none comes in time.
    pub(super) async fn accept(&mut self) -> Peer<S> {
        match time::timeout(LIMIT, self.peers.recv()).await {
            Ok(Some(peer)) => peer,
            Ok(None) => panic!("the fake server stopped"),
            Err(_) => panic!("no connection in time"),
        }
    }
}

/// Upgrades each stream of `streams` and hands it over as a [`Peer`].
fn upgrade_all<S>(mut streams: mpsc::UnboundedReceiver<S>) -> FakeServer<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (peers, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(stream) = streams.recv().await {
            let peers = peers.clone();
            tokio::spawn(async move {
                if let Ok(ws) = accept_async(stream).await {
                    let _ = peers.send(Peer::new(ws));
                }
            });
        }
    });
    FakeServer { peers: receiver }
}

/// A fake server on 127.0.0.1, a connector to it and its URL.
pub(super) async fn tcp() -> (FakeServer<TcpStream>, TcpConnector, String) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(error) => panic!("bind: {error}"),
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => panic!("local_addr: {error}"),
    };
    let (streams, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if streams.send(stream).is_err() {
                break;
            }
        }
    });
    (
        upgrade_all(receiver),
        TcpConnector::new(addr.to_string()),
        ClientConfig::url_for(addr),
    )
}

/// A fake server reached through in-memory pipes, and a connector to it.
pub(super) fn duplex() -> (FakeServer<DuplexStream>, DuplexConnector) {
    let (streams, receiver) = mpsc::unbounded_channel();
    let connector = DuplexConnector {
        streams,
        refusing: Arc::new(AtomicBool::new(false)),
    };
    (upgrade_all(receiver), connector)
}

/// Opens in-memory pipes to a [`duplex`] fake server; can be told to refuse connections.
#[derive(Clone)]
pub(super) struct DuplexConnector {
    streams: mpsc::UnboundedSender<DuplexStream>,
    refusing: Arc<AtomicBool>,
}

impl DuplexConnector {
    /// Every later connection attempt fails with `ConnectionRefused`.
    pub(super) fn refuse(&self) {
        self.refusing.store(true, Ordering::SeqCst);
    }
}

impl Connector for DuplexConnector {
    type Stream = DuplexStream;

    async fn connect(&self) -> io::Result<DuplexStream> {
        if self.refusing.load(Ordering::SeqCst) {
            return Err(io::ErrorKind::ConnectionRefused.into());
        }
        let (client, server) = tokio::io::duplex(64 * 1024);
        self.streams
            .send(server)
            .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
        Ok(client)
    }
}

/// The server's side of one client connection.
pub(super) struct Peer<S> {
    ws: WebSocketStream<S>,
    /// Answer each CONNECTION/PING with a PONG (on by default).
    pub(super) answer_pings: bool,
    /// PINGs received so far.
    pub(super) pings: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    fn new(ws: WebSocketStream<S>) -> Self {
        Peer {
            ws,
            answer_pings: true,
            pings: 0,
        }
    }

    /// The next message of the client other than a PING; `None` once the client closed.
    /// Fails the test if nothing comes within [`LIMIT`].
    pub(super) async fn next(&mut self) -> Option<Incoming> {
        match self.next_within(LIMIT).await {
            Ok(next) => next,
            Err(_) => panic!("the client sent nothing in time"),
        }
    }

    /// [`Peer::next`], waiting at most `limit` (PINGs answered meanwhile included).
    pub(super) async fn next_within(
        &mut self,
        limit: Duration,
    ) -> Result<Option<Incoming>, time::error::Elapsed> {
        time::timeout(limit, self.next_message()).await
    }

    /// The next message other than a PING, without a time limit.
    async fn next_message(&mut self) -> Option<Incoming> {
        loop {
            let bytes = match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => bytes,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            };
            let incoming = match decode_frame(&bytes) {
                Ok(incoming) => incoming,
                Err(error) => panic!("the client sent an unreadable frame: {error}"),
            };
            if let Incoming::Connection(message) = &incoming {
                if message.action() == ConnectionAction::Ping {
                    self.pings += 1;
                    if self.answer_pings {
                        self.send(connection::pong()).await;
                    }
                    continue;
                }
            }
            return Some(incoming);
        }
    }

    /// The next message of the client, which must be there.
    pub(super) async fn recv(&mut self) -> Incoming {
        match self.next().await {
            Some(incoming) => incoming,
            None => panic!("the client closed the connection"),
        }
    }

    /// The next message, which must be a presence request with `action`.
    pub(super) async fn recv_presence(&mut self, action: PresenceAction) -> PresenceMessage {
        match self.recv().await {
            Incoming::Presence(message) if message.action() == action => message,
            other => panic!("expected PRESENCE/{action:?}, got {other:?}"),
        }
    }

    /// Sends one frame to the client.
    pub(super) async fn send(&mut self, frame: Bytes) {
        if let Err(error) = self.ws.send(Message::Binary(frame)).await {
            panic!("send to the client: {error}");
        }
    }

    /// Plays the handshake: CHALLENGE -> ACCEPT, AUTH/REQUEST -> `answer`. Returns the
    /// challenge and the auth data the client sent.
    pub(super) async fn login_with(&mut self, answer: Bytes) -> (ConnectionMessage, String) {
        let challenge = match self.recv().await {
            Incoming::Connection(message) if message.action() == ConnectionAction::Challenge => {
                message
            }
            other => panic!("expected CONNECTION/CHALLENGE, got {other:?}"),
        };
        self.send(connection::accept()).await;
        let auth_data = match self.recv().await {
            Incoming::Auth(message) if message.action() == AuthAction::Request => message.data,
            other => panic!("expected AUTH/REQUEST, got {other:?}"),
        };
        self.send(answer).await;
        (challenge, auth_data)
    }

    /// Plays a successful handshake without client data.
    pub(super) async fn login(&mut self) {
        self.login_with(auth::successful(None)).await;
    }

    /// Waits until the client closes the connection; fails on any other message.
    pub(super) async fn closed(&mut self) {
        if let Some(incoming) = self.next().await {
            panic!("expected the close, got {incoming:?}");
        }
    }
}

/// A CONNECTION frame with just an action (the codec has constructors only for the frames
/// rollcall's server sends).
pub(super) fn connection_frame(action: ConnectionAction) -> Bytes {
    let message = ConnectionMessage {
        action: action as i32,
        ..Default::default()
    };
    encode_frame(Topic::Connection, &message)
}
