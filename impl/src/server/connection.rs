//! One client connection: the deepstream handshake, login, heartbeat, and the translation of
//! presence requests into core inputs.
//!
//! Each connection is two tasks. The reader (this module's [`run`]) owns the protocol state
//! (challenge, login, logged in), sends presence requests to the hub and answers what needs no
//! presence state itself (PONG, handshake and parser errors). The writer drains the
//! connection's [`Outbox`] in batches: every frame queued since the last write leaves in one
//! flush, and so usually in one system call.
//!
//! ```text
//!   socket --> reader --(Command)--> hub (core) --(frames)--> outbox --> writer --> socket
//!                 \------------------(PONG, errors)-----------/
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, info, warn};

use super::encode::json_text;
use super::http::{self, Front};
use super::hub::{Command, LoginResult};
use super::outbox::{CloseReason, Outbox};
use super::Shared;
use crate::auth::AuthFailure;
use crate::core::{ConnId, Input, Rejection};
use crate::protocol::{
    auth, connection, decode_frame, parser, AuthAction, AuthMessage, ConnectionAction,
    ConnectionMessage, Incoming, PresenceAction, PresenceMessage, Topic,
};

/// How long the writer may take to send what is queued and the close frame once the
/// connection ends; a client that does not read in that time is cut off.
const WRITER_GRACE: Duration = Duration::from_secs(5);

/// Where a connection is in the deepstream handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for CONNECTION/CHALLENGE.
    Challenge,
    /// Challenge accepted, waiting for a successful AUTH/REQUEST.
    Login,
    /// Logged in: presence requests are served.
    Ready,
}

/// Serves one client from its first HTTP byte to its close.
pub async fn run<S>(stream: S, peer: SocketAddr, conn: ConnId, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws = match http::accept(stream, shared.ws_config).await {
        Ok(Front::WebSocket(ws)) => *ws,
        Ok(Front::Answered(status)) => return debug!(%peer, status, "answered an HTTP request"),
        Err(error) => return debug!(%peer, %error, "no HTTP request"),
    };
    let outbox = Arc::new(Outbox::new(shared.config.limits.outbound_queue_bytes));
    let open = Command::Open {
        conn,
        peer,
        outbox: outbox.clone(),
    };
    if shared.hub.send(open).await.is_err() {
        return; // the server is stopping
    }
    debug!(conn = conn.0, %peer, "connection opened");
    let (sink, source) = ws.split();
    let mut writer = tokio::spawn(write_loop(sink, outbox.clone()));
    let mut session = Session {
        conn,
        peer,
        shared: &shared,
        outbox: &outbox,
        stage: Stage::Challenge,
        failed_logins: 0,
        user: None,
    };
    let reason = session.read_loop(source).await;
    outbox.close(reason);
    let reason = outbox.closing_reason().unwrap_or(reason);
    // The core forgets the connection (and may announce a leave) before the socket is gone.
    let _ = shared.hub.send(Command::Close(conn, reason)).await;
    let user = session.user.take();
    match reason {
        CloseReason::SlowConsumer => {
            warn!(conn = conn.0, %peer, ?user, "disconnected a slow consumer")
        }
        CloseReason::ClientGone | CloseReason::Shutdown => {
            info!(conn = conn.0, %peer, ?user, ?reason, "connection closed")
        }
        _ => info!(conn = conn.0, %peer, ?user, ?reason, "connection closed by the server"),
    }
    if tokio::time::timeout(WRITER_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Writes every queued frame, batch by batch, then the close frame.
async fn write_loop<S>(mut sink: SplitSink<WebSocketStream<S>, Message>, outbox: Arc<Outbox>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut batch = Vec::new();
    loop {
        let closing = outbox.next_batch(&mut batch).await;
        for frame in batch.drain(..) {
            if sink.feed(Message::Binary(frame)).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
        if let Some(reason) = closing {
            let (code, text) = reason.close_frame();
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: text.into(),
            };
            // The client may already be gone; there is nobody left to tell then.
            let _ = sink.send(Message::Close(Some(frame))).await;
            return;
        }
    }
}

/// The reader's state for one connection.
struct Session<'a> {
    conn: ConnId,
    peer: SocketAddr,
    shared: &'a Shared,
    outbox: &'a Outbox,
    stage: Stage,
    failed_logins: u32,
    user: Option<String>,
}

impl Session<'_> {
    /// Queues a frame the reader answers by itself. If that overflows the queue, the outbox
    /// starts closing and the read loop notices.
    fn send(&self, frame: bytes::Bytes) {
        let _ = self.outbox.push(frame);
    }

    /// Reads until the connection must end, and says why.
    async fn read_loop<S>(&mut self, mut source: SplitStream<WebSocketStream<S>>) -> CloseReason
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let timing = &self.shared.config.connection;
        let opened = Instant::now();
        let login_deadline = opened + timing.unauthenticated_timeout();
        let mut last_heard = opened;
        let mut shutdown = self.shared.shutdown.clone();
        if *shutdown.borrow_and_update() {
            return CloseReason::Shutdown;
        }
        loop {
            let idle_deadline = last_heard + timing.idle_timeout();
            let waiting_for_login = self.stage != Stage::Ready;
            let deadline = if waiting_for_login {
                idle_deadline.min(login_deadline)
            } else {
                idle_deadline
            };
            let message = tokio::select! {
                biased;
                _ = shutdown.changed() => return CloseReason::Shutdown,
                _ = self.outbox.closed() => {
                    return self.outbox.closing_reason().unwrap_or(CloseReason::ClientGone)
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if waiting_for_login && deadline == login_deadline {
                        self.send(connection::authentication_timeout());
                        return CloseReason::AuthenticationTimeout;
                    }
                    return CloseReason::HeartbeatTimeout;
                }
                message = source.next() => message,
            };
            last_heard = Instant::now();
            let outcome = match message {
                None => Err(CloseReason::ClientGone),
                Some(Ok(Message::Binary(data))) => self.on_frame(&data).await,
                Some(Ok(Message::Text(_))) => {
                    let reason = "text frames are not supported on /deepstream: send binary frames";
                    self.send(parser::error(&json_text(reason)));
                    Err(CloseReason::TextFrame)
                }
                Some(Ok(Message::Close(_))) => Err(CloseReason::ClientGone),
                Some(Ok(_)) => Ok(()), // WebSocket ping and pong: answered by the library
                Some(Err(WsError::Capacity(error))) => {
                    debug!(conn = self.conn.0, %error, "message above the size limit");
                    self.send(parser::maximum_message_size_exceeded());
                    Err(CloseReason::MessageTooBig)
                }
                Some(Err(error)) => {
                    debug!(conn = self.conn.0, %error, "socket error");
                    Err(CloseReason::ClientGone)
                }
            };
            if let Err(reason) = outcome {
                return reason;
            }
        }
    }

    /// One binary frame from the client.
    async fn on_frame(&mut self, data: &[u8]) -> Result<(), CloseReason> {
        let incoming = match decode_frame(data) {
            Ok(incoming) => incoming,
            Err(error) => {
                debug!(conn = self.conn.0, %error, "undecodable frame");
                self.send(parser::unknown_topic());
                return Ok(());
            }
        };
        match incoming {
            Incoming::Connection(message) => self.on_connection(message),
            _ if self.stage == Stage::Challenge => self.send(connection::invalid_message()),
            Incoming::Auth(message) => return self.on_auth(message).await,
            Incoming::Presence(message) => self.on_presence(message).await,
            Incoming::Parser(_) => self.not_served(Topic::Parser as i32),
            Incoming::Other { topic } => self.not_served(topic),
        }
        Ok(())
    }

    fn on_connection(&mut self, message: ConnectionMessage) {
        match ConnectionAction::try_from(message.action) {
            // As deepstream: pings count as activity always, and are answered once logged in.
            Ok(ConnectionAction::Ping) if self.stage == Stage::Ready => {
                self.send(connection::pong())
            }
            Ok(ConnectionAction::Ping | ConnectionAction::Pong) => {}
            Ok(ConnectionAction::Challenge) if self.stage == Stage::Challenge => {
                self.stage = Stage::Login;
                self.send(connection::accept());
            }
            _ => self.send(connection::invalid_message()),
        }
    }

    fn not_served(&self, topic: i32) {
        if self.stage != Stage::Ready {
            self.send(auth::invalid_message());
        } else {
            let reason =
                format!("topic {topic} is not served: rollcall serves presence (topic 7) only");
            self.send(parser::error(&json_text(&reason)));
        }
    }

    async fn on_presence(&mut self, message: PresenceMessage) {
        let conn = self.conn;
        let PresenceMessage {
            action,
            correlation_id,
            names,
            ..
        } = message;
        let input = match PresenceAction::try_from(action) {
            Ok(PresenceAction::QueryAll) => {
                let correlation_id = (!correlation_id.is_empty()).then_some(correlation_id);
                Input::QueryAll {
                    conn,
                    correlation_id,
                }
            }
            Ok(PresenceAction::Query) => Input::Query {
                conn,
                correlation_id,
                names,
            },
            Ok(PresenceAction::Subscribe) => Input::Subscribe {
                conn,
                correlation_id,
                names,
            },
            Ok(PresenceAction::Unsubscribe) => Input::Unsubscribe {
                conn,
                correlation_id,
                names,
            },
            Ok(PresenceAction::SubscribeAll) => Input::SubscribeAll { conn },
            Ok(PresenceAction::UnsubscribeAll) => Input::UnsubscribeAll { conn },
            // Unknown actions, and actions only a server sends (responses, events, errors).
            _ => return self.send(parser::unknown_action(Topic::Presence, action)),
        };
        let _ = self.shared.hub.send(Command::Request(input)).await;
    }

    async fn on_auth(&mut self, message: AuthMessage) -> Result<(), CloseReason> {
        if message.action != AuthAction::Request as i32 {
            self.send(auth::invalid_message());
            return Ok(());
        }
        if self.stage == Stage::Ready {
            // The core refuses a second login; the hub sends the answer.
            let _ = self.login(None, None).await;
            return Ok(());
        }
        let auth_data = match serde_json::from_str::<Value>(&message.data) {
            Ok(Value::Object(map)) => map,
            _ => {
                warn!(conn = self.conn.0, peer = %self.peer, "login data is not a JSON object: closing");
                self.send(auth::invalid_message_data());
                return Err(CloseReason::InvalidAuthData);
            }
        };
        let authenticator = self.shared.authenticator.clone();
        let verdict = if authenticator.is_slow() {
            tokio::task::spawn_blocking(move || authenticator.authenticate(&auth_data))
                .await
                .unwrap_or_else(|_| Err(AuthFailure::Denied("authentication failed".into())))
        } else {
            authenticator.authenticate(&auth_data)
        };
        match verdict {
            Ok(identity) => {
                let user = identity.user.clone();
                let client_data = identity.client_data.map(|data| data.to_string());
                match self.login(identity.user, client_data).await {
                    Ok(()) => {
                        self.stage = Stage::Ready;
                        info!(conn = self.conn.0, peer = %self.peer, ?user, "logged in");
                        self.user = user;
                        return Ok(());
                    }
                    // The hub has sent the refusal.
                    Err(rejection) => info!(conn = self.conn.0, ?user, ?rejection, "login refused"),
                }
            }
            Err(failure) => {
                info!(conn = self.conn.0, peer = %self.peer, reason = %failure, "login failed");
                self.send(auth::unsuccessful(&json_text(&failure.to_string())));
            }
        }
        self.failed_logins += 1;
        if self.failed_logins >= self.shared.config.connection.max_auth_attempts {
            self.send(auth::too_many_attempts());
            return Err(CloseReason::TooManyAuthAttempts);
        }
        Ok(())
    }

    /// Asks the core to accept a login.
    async fn login(&self, user: Option<String>, client_data: Option<String>) -> LoginResult {
        let (done, result) = oneshot::channel();
        let command = Command::Login {
            conn: self.conn,
            user,
            client_data,
            done,
        };
        if self.shared.hub.send(command).await.is_err() {
            return Err(Rejection::NotLoggedIn);
        }
        result.await.unwrap_or(Err(Rejection::NotLoggedIn))
    }
}
