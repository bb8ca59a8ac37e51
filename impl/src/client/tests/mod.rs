//! Tests of the client against a scripted fake server (`fake.rs`), and one against the real
//! rollcall server.
//!
//! Each test plays the server's side frame by frame with the codec's constructors, so it
//! checks both what the client sends and how it reacts to every answer. Tests that need time
//! to pass (timeouts, heartbeats, backoff) run over in-memory pipes under a paused clock.

mod bookkeeping;
mod fake;
mod real_server;
mod reconnect;
mod requests;
mod session;

use tokio::io::{AsyncRead, AsyncWrite};

use super::{Client, ClientConfig, Connector, Events};
use fake::{FakeServer, Peer};

/// Connects a client through `connector` while the fake server plays a successful login.
async fn connected<S, C>(
    server: &mut FakeServer<S>,
    connector: C,
    config: ClientConfig,
) -> (Client, Events, Peer<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
    C: Connector,
{
    let accept = async {
        let mut peer = server.accept().await;
        peer.login().await;
        peer
    };
    let (connected, peer) = tokio::join!(Client::connect(connector, config), accept);
    match connected {
        Ok((client, events)) => (client, events, peer),
        Err(error) => panic!("connect: {error}"),
    }
}
