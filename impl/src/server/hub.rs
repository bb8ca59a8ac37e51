//! The hub: the one task that owns the presence core.
//!
//! Connection tasks send [`Command`]s; the hub applies each to the core, in arrival order, and
//! carries out the outputs at once by pushing encoded frames into the recipients' outboxes. It
//! never waits on a socket, so a single writer keeps the core simple (no locks) and fast, and
//! every query answer is the state at one instant (SPEC.md R20).

use std::sync::Arc;

use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use std::net::SocketAddr;

use super::encode;
use super::instrument::Instrument;
use super::outbox::{CloseReason, Outbox};
use crate::core::{
    ConnId, Core, Input, Limits, Output, Rejection, Reply, SessionTracker, Visibility,
};

/// How many commands may wait for the hub before connection tasks are made to wait in turn.
const QUEUE: usize = 4096;

/// The result of a login, sent back to the connection that asked.
pub type LoginResult = Result<(), Rejection>;

/// Something a connection task asks of the hub.
pub enum Command {
    /// A WebSocket connection is established; its frames go to `outbox`.
    Open {
        /// The connection.
        conn: ConnId,
        /// The client's address.
        peer: SocketAddr,
        /// Where its frames go.
        outbox: Arc<Outbox>,
    },
    /// The connection authenticated; the core decides whether the login stands.
    Login {
        /// The connection.
        conn: ConnId,
        /// The user name, `None` for anonymous.
        user: Option<String>,
        /// JSON text for AUTH_SUCCESSFUL's data.
        client_data: Option<String>,
        /// Told whether the core accepted the login.
        done: oneshot::Sender<LoginResult>,
    },
    /// A presence request.
    Request(Input),
    /// The connection is gone, for this reason.
    Close(ConnId, CloseReason),
}

/// A handle for sending commands to the hub.
pub type HubSender = mpsc::Sender<Command>;

/// Starts the hub task, deciding transitions with `tracker` and reporting to `instrument`.
/// It ends when every sender is dropped.
pub fn spawn<S, I>(
    limits: Limits,
    visibility: Visibility,
    tracker: S,
    instrument: I,
) -> (HubSender, tokio::task::JoinHandle<()>)
where
    S: SessionTracker + Send + 'static,
    I: Instrument,
{
    let (sender, receiver) = mpsc::channel(QUEUE);
    let hub = Hub {
        core: Core::with_tracker(limits, visibility, tracker),
        instrument,
        outboxes: FxHashMap::default(),
        outputs: Vec::new(),
        slow: Vec::new(),
    };
    (sender, tokio::spawn(hub.run(receiver)))
}

struct Hub<S: SessionTracker, I> {
    core: Core<S>,
    instrument: I,
    outboxes: FxHashMap<ConnId, Arc<Outbox>>,
    /// Reused output buffer.
    outputs: Vec<Output>,
    /// Connections whose outbox overflowed while carrying out outputs.
    slow: Vec<ConnId>,
}

impl<S: SessionTracker, I: Instrument> Hub<S, I> {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        while let Some(command) = commands.recv().await {
            self.handle(command);
        }
        debug!("hub stopped");
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Open { conn, peer, outbox } => {
                self.instrument.opened(conn, peer);
                self.outboxes.insert(conn, outbox);
                self.apply(Input::Open(conn), None);
            }
            Command::Login {
                conn,
                user,
                client_data,
                done,
            } => {
                self.run_core(Input::Login { conn, user });
                let result = self.outputs.iter().find_map(|output| match output {
                    Output::Reply {
                        to,
                        reply: Reply::LoggedIn,
                    } if *to == conn => Some(Ok(())),
                    Output::Reply {
                        to,
                        reply: Reply::Rejected { reason, .. },
                    } if *to == conn => Some(Err(reason.clone())),
                    _ => None,
                });
                self.deliver(client_data.as_deref());
                // The connection may have gone meanwhile; then nobody is waiting.
                let _ = done.send(result.unwrap_or(Err(Rejection::NotLoggedIn)));
            }
            Command::Request(input) => self.apply(input, None),
            Command::Close(conn, reason) => {
                // A slow consumer was already closed by `deliver`; report each close once.
                if self.outboxes.remove(&conn).is_some() {
                    self.instrument.closed(conn, reason);
                }
                self.apply(Input::Close(conn), None);
            }
        }
    }

    /// Applies one input to the core, leaving its outputs in `self.outputs`.
    fn run_core(&mut self, input: Input) {
        if I::OBSERVES_INPUTS {
            let seen = input.clone();
            self.core.handle(input, &mut self.outputs);
            let empty = self.core.is_empty();
            self.instrument.applied(&seen, &mut self.outputs, empty);
        } else {
            self.core.handle(input, &mut self.outputs);
        }
    }

    fn apply(&mut self, input: Input, client_data: Option<&str>) {
        self.run_core(input);
        self.deliver(client_data);
    }

    /// Carries out the pending outputs, then disconnects every connection that could not keep
    /// up (which may produce leaves, and so more outputs).
    fn deliver(&mut self, client_data: Option<&str>) {
        loop {
            for output in self.outputs.drain(..) {
                match output {
                    Output::Reply { to, reply } => {
                        if let Some(outbox) = self.outboxes.get(&to) {
                            if outbox.push(encode::reply(&reply, client_data)).is_err() {
                                self.slow.push(to);
                            }
                        }
                    }
                    Output::Event { event, recipients } => {
                        let frame = encode::event(&event);
                        for to in recipients {
                            if let Some(outbox) = self.outboxes.get(&to) {
                                if outbox.push(frame.clone()).is_err() {
                                    self.slow.push(to);
                                }
                            }
                        }
                    }
                }
            }
            let Some(conn) = self.slow.pop() else { return };
            warn!(
                conn = conn.0,
                "disconnecting a slow consumer: its outbound queue overflowed"
            );
            self.outboxes.remove(&conn);
            self.instrument.closed(conn, CloseReason::SlowConsumer);
            self.run_core(Input::Close(conn));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Sessions;
    use crate::protocol::{decode_frame, Incoming, PresenceAction};

    async fn open(hub: &HubSender, conn: u64, limit: usize) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox::new(limit));
        let peer = SocketAddr::from(([127, 0, 0, 1], 1000 + conn as u16));
        hub.send(Command::Open {
            conn: ConnId(conn),
            peer,
            outbox: outbox.clone(),
        })
        .await
        .expect("hub");
        outbox
    }

    async fn login(hub: &HubSender, conn: u64, user: &str) -> LoginResult {
        let (done, result) = oneshot::channel();
        let user = Some(user.to_string());
        hub.send(Command::Login {
            conn: ConnId(conn),
            user,
            client_data: None,
            done,
        })
        .await
        .expect("hub");
        result.await.expect("answered")
    }

    async fn actions(outbox: &Outbox) -> Vec<i32> {
        let mut batch = Vec::new();
        outbox.next_batch(&mut batch).await;
        batch
            .iter()
            .map(|frame| match decode_frame(frame).expect("decodes") {
                Incoming::Presence(m) => m.action,
                Incoming::Auth(m) => -m.action,
                _ => 0,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_login_is_answered_and_fanned_out() {
        let (hub, _task) = spawn(
            Limits::default(),
            Visibility::everyone(),
            Sessions::default(),
            (),
        );
        let watcher = open(&hub, 1, 1 << 16).await;
        assert_eq!(login(&hub, 1, "homer").await, Ok(()));
        hub.send(Command::Request(Input::SubscribeAll { conn: ConnId(1) }))
            .await
            .expect("hub");
        let marge = open(&hub, 2, 1 << 16).await;
        assert_eq!(login(&hub, 2, "marge").await, Ok(()));
        assert_eq!(
            login(&hub, 2, "marge").await,
            Err(Rejection::AlreadyLoggedIn)
        );
        assert_eq!(
            actions(&watcher).await,
            vec![
                -3,
                PresenceAction::SubscribeAll as i32,
                PresenceAction::PresenceJoinAll as i32
            ]
        );
        assert_eq!(actions(&marge).await, vec![-3, -1]);
    }

    #[tokio::test]
    async fn a_slow_consumer_is_disconnected_and_its_user_leaves() {
        let (hub, _task) = spawn(
            Limits::default(),
            Visibility::everyone(),
            Sessions::default(),
            (),
        );
        let slow = open(&hub, 1, 40).await;
        login(&hub, 1, "slow").await.expect("logged in");
        hub.send(Command::Request(Input::SubscribeAll { conn: ConnId(1) }))
            .await
            .expect("hub");
        let watcher = open(&hub, 2, 1 << 16).await;
        login(&hub, 2, "watcher").await.expect("logged in");
        hub.send(Command::Request(Input::SubscribeAll { conn: ConnId(2) }))
            .await
            .expect("hub");
        for n in 0..10 {
            let conn = 10 + n;
            open(&hub, conn, 1 << 16).await;
            login(&hub, conn, &format!("user-{n}"))
                .await
                .expect("logged in");
        }
        slow.closed().await;
        assert_eq!(
            slow.closing_reason(),
            Some(super::super::outbox::CloseReason::SlowConsumer)
        );
        let seen = actions(&watcher).await;
        assert!(
            seen.contains(&(PresenceAction::PresenceLeaveAll as i32)),
            "{seen:?}"
        );
    }
}
