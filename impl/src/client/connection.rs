//! The background task that owns the socket.
//!
//! [`Client`](super::Client) handles never touch the WebSocket. They send [`Command`]s over a
//! channel to one task per client, which runs two loops in turn:
//!
//! * **A session** ([`Task::session`]) while connected: it waits at once for the next server
//!   frame, the next command, the heartbeat tick, the silence deadline and the earliest
//!   request deadline, whichever comes first (`tokio::select!`). Frames go to
//!   [`Requests`] (answers, events) or are handled here (connection-level messages); commands
//!   become request frames; the tick sends CONNECTION/PING.
//! * **Reconnection** ([`Task::reconnect`]) after the connection dropped: it waits out the
//!   backoff delay and opens a new connection, again and again, as the
//!   [`ReconnectPolicy`](super::ReconnectPolicy) allows. Requests arriving meanwhile fail at
//!   once with [`ClientError::Disconnected`]. On success the next session starts by sending
//!   the subscriptions again.
//!
//! ```text
//!  connect ──> session ──(drop)──> Disconnected ──> reconnect ──(ok)──> session (restore) ...
//!                 │                                     │
//!               close / all handles dropped          gave up
//!                 ▼                                     ▼
//!               end (Closed)                          GaveUp, end (Closed)
//! ```
//!
//! A connection is dead when the server closes it, when it sends CONNECTION/REDIRECT,
//! CLOSING, CLOSED, REJECT or AUTHENTICATION_TIMEOUT, when nothing at all arrived for twice
//! the heartbeat interval (the server answers every PING with a PONG, so a live connection
//! is never that quiet), or when a write does not complete within that time.
//!
//! All waiting is on `tokio::time`, so under a paused or simulated clock the task runs
//! deterministically.

use std::future::Future;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{self, Duration, Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::config::{ClientConfig, SplitMix64};
use super::connector::Connector;
use super::error::ClientError;
use super::events::{ClientEvent, EventSender};
use super::handshake;
use super::requests::{Request, Requests};
use crate::protocol::{connection, decode_frame, ConnectionAction, Incoming, Topic};

/// Stands for "never" when the heartbeat is disabled: about 30 years.
const NO_HEARTBEAT: Duration = Duration::from_secs(30 * 365 * 86_400);

/// What a [`Client`](super::Client) handle asks of the task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send a request and route its answer.
    Request(Request),
    /// Close the connection for good; the sender is told when that is done.
    Close(oneshot::Sender<()>),
}

/// Why the task stops.
enum Stop {
    /// `close()` was called (with whom to tell), or every handle was dropped.
    Closed(Option<oneshot::Sender<()>>),
    /// Reconnection gave up.
    GaveUp,
}

/// The client's background task.
pub(crate) struct Task<C: Connector> {
    connector: C,
    config: ClientConfig,
    rng: SplitMix64,
    commands: mpsc::UnboundedReceiver<Command>,
    events: EventSender,
    requests: Requests,
}

impl<C: Connector> Task<C> {
    /// A task for a client that just connected.
    pub(crate) fn new(
        connector: C,
        config: ClientConfig,
        rng: SplitMix64,
        commands: mpsc::UnboundedReceiver<Command>,
        events: EventSender,
    ) -> Self {
        let requests = Requests::new(config.request_timeout);
        Task {
            connector,
            config,
            rng,
            commands,
            events,
            requests,
        }
    }

    /// Runs the client over `ws`, a logged-in connection, until it is closed or gives up.
    pub(crate) async fn run(mut self, mut ws: WebSocketStream<C::Stream>) {
        let mut restore = false;
        let stop = loop {
            let reason = match self.session(&mut ws, restore).await {
                Ok(reason) => reason,
                Err(stop) => {
                    let deadline = self.config.request_timeout;
                    // A polite close; the peer may be gone already, so do not wait long.
                    let _ = time::timeout(deadline, ws.close(None)).await;
                    break stop;
                }
            };
            drop(ws);
            tracing::debug!(%reason, "connection lost");
            self.requests.fail_all(|| ClientError::Disconnected);
            self.events.emit(ClientEvent::Disconnected);
            match self.reconnect(reason).await {
                Ok(new_ws) => ws = new_ws,
                Err(stop) => break stop,
            }
            restore = true;
        };
        self.requests.fail_all(|| ClientError::Closed);
        if let Stop::Closed(Some(done)) = stop {
            let _ = done.send(());
        }
    }

    /// Serves one connection. Returns why it dropped, or `Err` if the client must stop.
    async fn session(
        &mut self,
        ws: &mut WebSocketStream<C::Stream>,
        restore: bool,
    ) -> Result<String, Stop> {
        if restore {
            for frame in self.requests.restore(Instant::now(), &self.events) {
                if let Err(reason) = self.write(ws, frame).await {
                    return Ok(reason);
                }
            }
        }
        let heartbeat = self.heartbeat();
        let mut ping = time::interval_at(Instant::now() + heartbeat, heartbeat);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let silence = time::sleep(heartbeat * 2);
        tokio::pin!(silence);
        loop {
            let deadline = self.requests.next_deadline();
            // `biased`: a fixed polling order keeps runs reproducible (the default picks a
            // random branch first). Timers and commands come before the socket, so a server
            // flooding the client cannot starve the heartbeat or the caller's requests.
            tokio::select! {
                biased;
                _ = ping.tick() => {
                    if let Err(reason) = self.write(ws, connection::ping()).await {
                        return Ok(reason);
                    }
                }
                () = &mut silence => {
                    return Ok(format!("nothing received for {:?}", heartbeat * 2));
                }
                () = sleep_until(deadline) => {
                    self.requests.expire(Instant::now(), &self.events);
                }
                command = self.commands.recv() => match command {
                    Some(Command::Request(request)) => {
                        let frame = self.requests.start(request, Instant::now());
                        if let Err(reason) = self.write(ws, frame).await {
                            return Ok(reason);
                        }
                    }
                    Some(Command::Close(done)) => return Err(Stop::Closed(Some(done))),
                    None => return Err(Stop::Closed(None)),
                },
                message = ws.next() => {
                    silence.as_mut().reset(Instant::now() + heartbeat * 2);
                    match message {
                        Some(Ok(Message::Binary(bytes))) => {
                            if let Err(reason) = self.on_frame(&bytes) {
                                return Ok(reason);
                            }
                        }
                        Some(Ok(Message::Close(_))) | None => {
                            return Ok("the server closed the connection".into())
                        }
                        Some(Ok(_)) => {}
                        Some(Err(error)) => return Ok(format!("websocket error: {error}")),
                    }
                }
            }
        }
    }

    /// The heartbeat interval; zero disables the heartbeat (and silence detection).
    fn heartbeat(&self) -> Duration {
        match self.config.heartbeat_interval {
            Duration::ZERO => NO_HEARTBEAT,
            interval => interval,
        }
    }

    /// Handles one frame from the server; `Err` with a reason if the connection must end.
    fn on_frame(&mut self, bytes: &[u8]) -> Result<(), String> {
        let error = |topic: Topic, action: i32, detail: String| ClientEvent::Error {
            topic,
            action,
            detail,
        };
        match decode_frame(bytes) {
            Ok(Incoming::Presence(message)) => self.requests.on_presence(message, &self.events),
            Ok(Incoming::Connection(message)) => match message.action() {
                ConnectionAction::Ping | ConnectionAction::Pong => {}
                action @ (ConnectionAction::Redirect
                | ConnectionAction::Closing
                | ConnectionAction::Closed
                | ConnectionAction::Reject
                | ConnectionAction::AuthenticationTimeout) => {
                    return Err(format!("the server sent CONNECTION/{action:?}"));
                }
                action => self.events.emit(error(
                    Topic::Connection,
                    message.action,
                    format!("CONNECTION/{action:?} {}", message.data),
                )),
            },
            Ok(Incoming::Auth(message)) => self.events.emit(error(
                Topic::Auth,
                message.action,
                format!("AUTH/{:?} {}", message.action(), message.data),
            )),
            Ok(Incoming::Parser(message)) => self.events.emit(error(
                Topic::Parser,
                message.action,
                format!(
                    "PARSER/{:?} {} (original topic {}, action {})",
                    message.action(),
                    message.data,
                    message.original_topic,
                    message.original_action
                ),
            )),
            Ok(Incoming::Other { topic }) => {
                tracing::debug!(
                    topic,
                    "ignored a message of a topic rollcall does not serve"
                );
            }
            Err(decode) => self.events.emit(error(
                Topic::Unknown,
                0,
                format!("unreadable frame from the server: {decode}"),
            )),
        }
        Ok(())
    }

    /// Writes one frame; `Err` with a reason if the connection is broken or stuck.
    async fn write(
        &mut self,
        ws: &mut WebSocketStream<C::Stream>,
        frame: Bytes,
    ) -> Result<(), String> {
        let limit = self.heartbeat() * 2;
        match time::timeout(limit, ws.send(Message::Binary(frame))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("websocket error: {error}")),
            Err(_) => Err(format!("a write did not complete within {limit:?}")),
        }
    }

    /// Reconnects after a drop (for `reason`), as the policy allows.
    async fn reconnect(&mut self, reason: String) -> Result<WebSocketStream<C::Stream>, Stop> {
        let policy = self.config.reconnect.clone();
        let mut last_error = reason;
        let mut attempt = 0;
        while policy.allows(attempt) {
            let delay = policy.delay(attempt, &mut self.rng);
            attempt += 1;
            serve_while(&mut self.commands, time::sleep(delay)).await?;
            let open = handshake::open(&self.connector, &self.config, &mut self.rng);
            let opened = time::timeout(self.config.request_timeout, open);
            match serve_while(&mut self.commands, opened).await? {
                Ok(Ok((ws, _client_data))) => {
                    tracing::debug!(attempt, "reconnected");
                    return Ok(ws);
                }
                Ok(Err(ClientError::AuthRejected(data))) => {
                    // The same credentials will be refused again.
                    last_error = format!("login rejected: {data}");
                    break;
                }
                Ok(Err(error)) => last_error = error.to_string(),
                Err(_) => last_error = "connection attempt timed out".into(),
            }
            tracing::debug!(attempt, %last_error, "reconnection attempt failed");
        }
        self.events.emit(ClientEvent::GaveUp {
            attempts: attempt,
            reason: last_error,
        });
        Err(Stop::GaveUp)
    }
}

/// Runs `work` while failing the requests that arrive meanwhile (there is no connection to
/// send them on); `Err` if the client is closed in the meantime.
async fn serve_while<F: Future>(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    work: F,
) -> Result<F::Output, Stop> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            output = &mut work => return Ok(output),
            command = commands.recv() => match command {
                Some(Command::Request(request)) => request.fail(ClientError::Disconnected),
                Some(Command::Close(done)) => return Err(Stop::Closed(Some(done))),
                None => return Err(Stop::Closed(None)),
            },
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
