//! Where connections come from: a trait, so the simulator can run the real server over a
//! simulated network while production uses TCP.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

/// A source of incoming byte streams, one per client.
///
/// The server is generic over this trait rather than a cargo feature, so a test-only transport
/// can never leak into the production build.
pub trait Listener: Send + 'static {
    /// One client's byte stream.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Waits for the next client.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;

    /// The address clients reach this listener at.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(Self::Stream, SocketAddr)> {
        let (stream, peer) = tokio::net::TcpListener::accept(self).await?;
        // Presence frames are tiny and latency matters more than packet count; batching
        // happens in the writer, which hands many frames to the socket in one write.
        stream.set_nodelay(true)?;
        Ok((stream, peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        tokio::net::TcpListener::local_addr(self)
    }
}
