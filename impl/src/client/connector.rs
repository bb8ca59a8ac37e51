//! Where the client's bytes travel: the [`Connector`] trait.
//!
//! The client never opens a socket itself. It asks a [`Connector`] for a fresh byte stream,
//! once at [`Client::connect`](super::Client::connect) and again on every reconnection, and
//! runs the WebSocket upgrade and the deepstream protocol over whatever it gets. In
//! production that is [`TcpConnector`]; the deterministic simulator supplies streams of its
//! simulated network, and tests may hand over in-memory pipes (`tokio::io::duplex`).
//!
//! A connector only has to produce streams: timeouts, retries and backoff are the client's
//! business.

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Opens byte streams to the server.
pub trait Connector: Send + Sync + 'static {
    /// The stream type, e.g. [`TcpStream`].
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a new stream to the server. Called again for every reconnection attempt.
    fn connect(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Connects over TCP to `addr`, with `TCP_NODELAY` set: presence frames are tiny and
/// latency-sensitive, so they must not wait for Nagle's algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConnector {
    /// `host:port` of the server, e.g. `"127.0.0.1:6020"`.
    pub addr: String,
}

impl TcpConnector {
    /// A connector to `addr` (`host:port`).
    pub fn new(addr: impl Into<String>) -> Self {
        TcpConnector { addr: addr.into() }
    }
}

impl Connector for TcpConnector {
    type Stream = TcpStream;

    async fn connect(&self) -> io::Result<TcpStream> {
        let stream = TcpStream::connect(self.addr.as_str()).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}
