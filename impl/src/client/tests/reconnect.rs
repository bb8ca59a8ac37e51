//! Losing the connection: detection, failing what was in flight, reconnecting, restoring the
//! subscriptions, and giving up.

use std::time::Duration;

use super::connected;
use super::fake::{self, config, connection_frame, next_event, next_event_within};
use crate::client::{ClientError, ClientEvent, ReconnectPolicy, Scope};
use crate::protocol::{auth, presence, ConnectionAction, PresenceAction};

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn a_dropped_connection_is_restored_with_its_subscriptions() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    // Subscribed to everyone and to bob and alice; carol subscribed then unsubscribed.
    let script = async {
        peer.recv_presence(PresenceAction::SubscribeAll).await;
        peer.send(presence::ack(PresenceAction::SubscribeAll, ""))
            .await;
        for _ in 0..2 {
            let request = peer.recv_presence(PresenceAction::Subscribe).await;
            peer.send(presence::ack(
                PresenceAction::Subscribe,
                &request.correlation_id,
            ))
            .await;
        }
        let request = peer.recv_presence(PresenceAction::Unsubscribe).await;
        peer.send(presence::ack(
            PresenceAction::Unsubscribe,
            &request.correlation_id,
        ))
        .await;
    };
    let calls = async {
        assert!(client.subscribe_all().await.is_ok());
        assert!(client.subscribe_many(&["bob", "carol"]).await.is_ok());
        assert!(client.subscribe("alice").await.is_ok());
        assert!(client.unsubscribe("carol").await.is_ok());
    };
    tokio::join!(calls, script);

    // A request in flight when the server drops the socket fails with Disconnected.
    let script = async {
        peer.recv_presence(PresenceAction::QueryAll).await;
        drop(peer);
    };
    let (in_flight, ()) = tokio::join!(client.get_all(), script);
    assert!(
        matches!(in_flight, Err(ClientError::Disconnected)),
        "{in_flight:?}"
    );
    assert_eq!(next_event(&mut events).await, ClientEvent::Disconnected);

    // The client comes back, logs in and subscribes again, in one batch.
    let mut peer = server.accept().await;
    peer.login().await;
    peer.recv_presence(PresenceAction::SubscribeAll).await;
    let request = peer.recv_presence(PresenceAction::Subscribe).await;
    assert_eq!(request.names, strings(&["alice", "bob"]));
    peer.send(presence::ack(PresenceAction::SubscribeAll, ""))
        .await;
    peer.send(presence::ack(
        PresenceAction::Subscribe,
        &request.correlation_id,
    ))
    .await;
    assert_eq!(next_event(&mut events).await, ClientEvent::Reconnected);

    // And works as before.
    peer.send(presence::event(PresenceAction::PresenceJoin, "alice"))
        .await;
    assert_eq!(
        next_event(&mut events).await,
        ClientEvent::Presence {
            user: "alice".into(),
            online: true,
            scope: Scope::User
        }
    );
    let script = async {
        peer.recv_presence(PresenceAction::QueryAll).await;
        peer.send(presence::query_all_response(&["alice"])).await;
    };
    let (online, ()) = tokio::join!(client.get_all(), script);
    assert_eq!(online.ok(), Some(strings(&["alice"])));
}

#[tokio::test]
async fn unsubscribe_all_keeps_the_names_and_a_refused_restore_is_reported() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    let script = async {
        peer.recv_presence(PresenceAction::SubscribeAll).await;
        peer.send(presence::ack(PresenceAction::SubscribeAll, ""))
            .await;
        let request = peer.recv_presence(PresenceAction::Subscribe).await;
        peer.send(presence::ack(
            PresenceAction::Subscribe,
            &request.correlation_id,
        ))
        .await;
        peer.recv_presence(PresenceAction::UnsubscribeAll).await;
        peer.send(presence::ack(PresenceAction::UnsubscribeAll, ""))
            .await;
    };
    let calls = async {
        assert!(client.subscribe_all().await.is_ok());
        assert!(client.subscribe_many(&["bob", "x"]).await.is_ok());
        assert!(client.unsubscribe_all().await.is_ok());
    };
    tokio::join!(calls, script);

    // The server goes away by redirecting the client.
    peer.send(connection_frame(ConnectionAction::Redirect))
        .await;
    assert_eq!(next_event(&mut events).await, ClientEvent::Disconnected);

    let mut peer = server.accept().await;
    peer.login().await;
    // No SUBSCRIBE_ALL: only the names are restored; x is now refused.
    let request = peer.recv_presence(PresenceAction::Subscribe).await;
    assert_eq!(request.names, strings(&["bob", "x"]));
    let id = &request.correlation_id;
    peer.send(presence::denied(PresenceAction::Subscribe, id, Some("x")))
        .await;
    peer.send(presence::ack(PresenceAction::Subscribe, id))
        .await;
    assert!(matches!(
        next_event(&mut events).await,
        ClientEvent::Error { action: 102, .. }
    ));
    assert_eq!(next_event(&mut events).await, ClientEvent::Reconnected);

    // Dropped again: x is no longer restored.
    drop(peer);
    assert_eq!(next_event(&mut events).await, ClientEvent::Disconnected);
    let mut peer = server.accept().await;
    peer.login().await;
    let request = peer.recv_presence(PresenceAction::Subscribe).await;
    assert_eq!(request.names, strings(&["bob"]));
    peer.send(presence::ack(
        PresenceAction::Subscribe,
        &request.correlation_id,
    ))
    .await;
    assert_eq!(next_event(&mut events).await, ClientEvent::Reconnected);
}

#[tokio::test(start_paused = true)]
async fn requests_fail_fast_while_disconnected_and_the_client_gives_up() {
    let (mut server, connector) = fake::duplex();
    let mut config = config("ws://rollcall/deepstream", "homer");
    config.reconnect = ReconnectPolicy {
        initial_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(4),
        multiplier: 2.0,
        max_attempts: Some(3),
        jitter: 0.0,
    };
    let (client, mut events, peer) = connected(&mut server, connector.clone(), config).await;

    connector.refuse();
    let dropped = tokio::time::Instant::now();
    drop(peer);
    assert_eq!(next_event(&mut events).await, ClientEvent::Disconnected);
    let during = client.get_all().await;
    assert!(
        matches!(during, Err(ClientError::Disconnected)),
        "{during:?}"
    );

    match next_event_within(&mut events, Duration::from_secs(60)).await {
        ClientEvent::GaveUp { attempts, reason } => {
            assert_eq!(attempts, 3);
            assert!(reason.contains("refused"), "{reason}");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    // Waited 1 + 2 + 4 seconds between the attempts.
    assert_eq!(dropped.elapsed(), Duration::from_secs(7));
    assert_eq!(events.recv().await, None);
    assert!(matches!(client.get_all().await, Err(ClientError::Closed)));
}

#[tokio::test(start_paused = true)]
async fn a_refused_login_on_reconnection_gives_up_at_once() {
    let (mut server, connector) = fake::duplex();
    let config = config("ws://rollcall/deepstream", "homer");
    let (_client, mut events, peer) = connected(&mut server, connector, config).await;
    drop(peer);
    assert_eq!(next_event(&mut events).await, ClientEvent::Disconnected);
    let mut peer = server.accept().await;
    peer.login_with(auth::unsuccessful(r#""expired""#)).await;
    match next_event(&mut events).await {
        ClientEvent::GaveUp { attempts, reason } => {
            assert_eq!(attempts, 1);
            assert!(reason.contains("expired"), "{reason}");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_the_connection_and_silence_ends_it() {
    let (mut server, connector) = fake::duplex();
    let mut config = config("ws://rollcall/deepstream", "homer");
    config.heartbeat_interval = Duration::from_secs(10);
    config.reconnect = ReconnectPolicy::never();
    let (_client, mut events, mut peer) = connected(&mut server, connector, config).await;

    // Answered pings: the connection lives on.
    let started = tokio::time::Instant::now();
    let listen = peer.next_within(Duration::from_secs(45)).await;
    assert!(listen.is_err(), "unexpected message {listen:?}");
    assert_eq!(peer.pings, 4);
    assert!(events.try_recv().is_none());

    // Unanswered pings: dead after twice the heartbeat interval of silence.
    peer.answer_pings = false;
    let silent_from = started + Duration::from_secs(40);
    let read_pings =
        async { while let Ok(Some(_)) = peer.next_within(Duration::from_secs(100)).await {} };
    tokio::select! {
        biased;
        event = next_event_within(&mut events, Duration::from_secs(100)) => {
            assert_eq!(event, ClientEvent::Disconnected);
            assert_eq!(tokio::time::Instant::now() - silent_from, Duration::from_secs(20));
        }
        () = read_pings => panic!("the client closed before reporting"),
    }
    assert!(matches!(
        next_event(&mut events).await,
        ClientEvent::GaveUp { attempts: 0, .. }
    ));
}
