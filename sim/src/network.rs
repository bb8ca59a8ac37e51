//! rollcall's transport traits implemented over turmoil's simulated TCP.

use std::io;
use std::net::SocketAddr;

use rollcall::client::Connector;
use rollcall::server::Listener;

/// The server's listener on the simulated network.
pub struct SimListener(pub turmoil::net::TcpListener);

impl Listener for SimListener {
    type Stream = turmoil::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(Self::Stream, SocketAddr)> {
        self.0.accept().await
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The port the simulated server listens on.
pub const PORT: u16 = 6020;
/// The simulated server's host name.
pub const SERVER: &str = "server";

/// Opens simulated TCP streams to the server.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimConnector;

impl Connector for SimConnector {
    type Stream = turmoil::net::TcpStream;

    async fn connect(&self) -> io::Result<Self::Stream> {
        turmoil::net::TcpStream::connect((SERVER, PORT)).await
    }
}

/// Simulated milliseconds since the start of the run, the same clock on every host.
pub fn now_ms() -> u64 {
    turmoil::sim_elapsed().map_or(0, |d| d.as_millis() as u64)
}
