//! The rollcall server: WebSocket connections speaking deepstream's binary protocol, around the
//! sans-IO presence core.
//!
//! ```text
//!  listener --accept--> connection task (HTTP front door, handshake, login, heartbeat)
//!                            |  Command (open, login, request, close)
//!                            v
//!                          hub: the one task owning the core (single writer)
//!                            |  encoded frames (an event is encoded once for all recipients)
//!                            v
//!                  per-connection outbox (bounded in bytes) --> writer task --> socket
//! ```
//!
//! [`serve`] runs a server on any [`Listener`] until a shutdown future completes, then closes
//! every socket with a close frame and returns. [`start`] binds TCP and runs it in the
//! background, which is what the binary and the tests use.

mod connection;
pub mod encode;
mod http;
mod hub;
mod instrument;
mod listener;
pub mod outbox;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::{error, info, warn};

pub use encode::json_text;
pub use http::{HEALTH_PATH, WEBSOCKET_PATH};
pub use instrument::Instrument;
pub use listener::Listener;
pub use outbox::{CloseReason, Outbox};

use crate::auth::{self, Authenticator};
use crate::config::Config;
use crate::core::{ConnId, SessionTracker, Sessions};

/// How long shutdown waits for connections to say goodbye before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is inconsistent.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The authentication method could not be set up (e.g. an unreadable users file).
    #[error("authentication setup failed: {0}")]
    Auth(#[from] auth::AuthSetupError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What every connection task shares.
struct Shared {
    config: Config,
    authenticator: Arc<dyn Authenticator>,
    hub: hub::HubSender,
    shutdown: watch::Receiver<bool>,
    ws_config: WebSocketConfig,
}

/// WebSocket settings: messages bounded by the configured limit, and small buffers so an idle
/// connection costs little memory.
fn websocket_config(config: &Config) -> WebSocketConfig {
    let max = config.limits.max_message_bytes;
    let mut ws = WebSocketConfig::default();
    ws.read_buffer_size = 1024;
    ws.write_buffer_size = 16 * 1024;
    ws.max_write_buffer_size = config
        .limits
        .outbound_queue_bytes
        .saturating_mul(2)
        .max(64 * 1024);
    ws.max_message_size = Some(max);
    ws.max_frame_size = Some(max);
    ws
}

/// Runs a server on `listener` until `shutdown` completes, then closes every connection with a
/// close frame and returns.
pub async fn serve<L: Listener>(
    listener: L,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    serve_with(listener, config, shutdown, Sessions::default(), ()).await
}

/// [`serve`], deciding transitions with `tracker` and reporting the hub's work to
/// `instrument`. The simulator uses this to record a commit log, and to run deliberately wrong
/// servers in its own tests.
pub async fn serve_with<L, S, I>(
    mut listener: L,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
    tracker: S,
    instrument: I,
) -> Result<(), ServerError>
where
    L: Listener,
    S: SessionTracker + Send + 'static,
    I: Instrument,
{
    config.check()?;
    let authenticator = auth::from_config(&config.auth)?;
    let limits = config.limits.core();
    let (hub, hub_task) = hub::spawn(limits, config.visibility.core(), tracker, instrument);
    let (stop, stopped) = watch::channel(false);
    let ws_config = websocket_config(&config);
    let shared = Arc::new(Shared {
        config,
        authenticator,
        hub,
        shutdown: stopped,
        ws_config,
    });
    let mut connections = JoinSet::new();
    let mut next_conn = 0u64;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    next_conn += 1;
                    let conn = ConnId(next_conn);
                    connections.spawn(connection::run(stream, peer, conn, shared.clone()));
                }
                Err(error) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                if let Err(error) = finished {
                    if error.is_panic() {
                        error!(%error, "a connection task panicked");
                    }
                }
            }
        }
    }
    info!(
        connections = connections.len(),
        "shutting down: closing every connection"
    );
    let _ = stop.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        warn!(
            left = connections.len(),
            "connections did not close in time: cutting them off"
        );
        connections.shutdown().await;
    }
    drop(shared);
    let _ = hub_task.await;
    info!("stopped");
    Ok(())
}

/// A server running in the background on TCP.
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl ServerHandle {
    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Closes every connection, stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds `config.server.host:port` over TCP and runs the server in the background.
pub async fn start(config: Config) -> Result<ServerHandle, ServerError> {
    config.check()?;
    // Set up authentication before binding, so a bad users file fails here, not later.
    auth::from_config(&config.auth)?;
    let address = format!("{}:{}", config.server.host, config.server.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|source| ServerError::Bind {
            address: address.clone(),
            source,
        })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { address, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, async move {
        let _ = stopped.await;
    }));
    info!(%local_addr, "listening");
    Ok(ServerHandle {
        local_addr,
        stop: Some(stop),
        task,
    })
}
