//! Logging in, events, and closing.

use std::time::Duration;

use super::connected;
use super::fake::{self, config, next_event};
use crate::client::{Client, ClientError, ClientEvent, Scope};
use crate::protocol::{auth, connection, parser, presence, PresenceAction, Topic};

#[tokio::test]
async fn handshake_announces_the_url_and_logs_in_with_the_auth_data() {
    let (mut server, connector, url) = fake::tcp().await;
    let accept = async {
        let mut peer = server.accept().await;
        let login = peer
            .login_with(auth::successful(Some(r#"{"role":"admin"}"#)))
            .await;
        (peer, login)
    };
    let (connected, (_peer, (challenge, auth_data))) =
        tokio::join!(Client::connect(connector, config(&url, "homer")), accept);
    let Ok((client, _events)) = connected else {
        panic!("connect failed: {connected:?}");
    };
    assert_eq!(challenge.url, url);
    assert_eq!(challenge.protocol_version, "0.1a");
    assert_eq!(challenge.sdk_type, connection::SDK_TYPE);
    let auth_data: serde_json::Value = serde_json::from_str(&auth_data).unwrap_or_default();
    assert_eq!(auth_data, serde_json::json!({"username": "homer"}));
    assert_eq!(
        client.client_data(),
        Some(&serde_json::json!({"role": "admin"}))
    );
}

#[tokio::test]
async fn refused_logins_are_auth_rejected() {
    let (mut server, connector, url) = fake::tcp().await;
    let answers = [
        (auth::unsuccessful(r#""bad password""#), r#""bad password""#),
        (auth::too_many_attempts(), "TOO_MANY_AUTH_ATTEMPTS"),
        (auth::invalid_message_data(), "INVALID_MESSAGE_DATA"),
    ];
    for (answer, expected) in answers {
        let accept = async {
            let mut peer = server.accept().await;
            peer.login_with(answer).await;
            peer
        };
        let (connected, _peer) = tokio::join!(
            Client::connect(connector.clone(), config(&url, "homer")),
            accept
        );
        match connected {
            Err(ClientError::AuthRejected(data)) => assert_eq!(data, expected),
            other => panic!("expected AuthRejected({expected}), got {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_accepts_times_out() {
    let (mut server, connector) = fake::duplex();
    let mut config = config("ws://rollcall/deepstream", "homer");
    config.request_timeout = Duration::from_secs(3);
    let started = tokio::time::Instant::now();
    let accept = async {
        let mut peer = server.accept().await;
        // Read the challenge, never answer it.
        peer.recv().await;
        peer
    };
    let (connected, _peer) = tokio::join!(Client::connect(connector, config), accept);
    assert!(
        matches!(connected, Err(ClientError::Timeout)),
        "{connected:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn a_server_closing_during_the_handshake_is_a_handshake_error() {
    let (mut server, connector, url) = fake::tcp().await;
    let accept = async {
        let mut peer = server.accept().await;
        peer.recv().await;
        drop(peer);
    };
    let (connected, ()) = tokio::join!(Client::connect(connector, config(&url, "homer")), accept);
    assert!(
        matches!(connected, Err(ClientError::Handshake(_))),
        "{connected:?}"
    );
}

#[tokio::test]
async fn events_are_routed_by_scope_and_server_errors_reported() {
    let (mut server, connector, url) = fake::tcp().await;
    let (_client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    peer.send(presence::event(PresenceAction::PresenceJoinAll, "carol"))
        .await;
    peer.send(presence::event(PresenceAction::PresenceJoin, "carol"))
        .await;
    peer.send(presence::event(PresenceAction::PresenceLeaveAll, "x"))
        .await;
    peer.send(presence::event(PresenceAction::PresenceLeave, "x"))
        .await;
    peer.send(parser::unknown_topic()).await;
    peer.send(auth::invalid_message()).await;
    // Notices and unknown actions are not events.
    peer.send(presence::multiple_subscriptions(
        PresenceAction::Subscribe,
        "erin",
    ))
    .await;
    peer.send(presence::event(PresenceAction::PresenceJoin, "dave"))
        .await;

    let presence = |user: &str, online, scope| ClientEvent::Presence {
        user: user.into(),
        online,
        scope,
    };
    assert_eq!(
        next_event(&mut events).await,
        presence("carol", true, Scope::Everyone)
    );
    assert_eq!(
        next_event(&mut events).await,
        presence("carol", true, Scope::User)
    );
    assert_eq!(
        next_event(&mut events).await,
        presence("x", false, Scope::Everyone)
    );
    assert_eq!(
        next_event(&mut events).await,
        presence("x", false, Scope::User)
    );
    assert!(matches!(
        next_event(&mut events).await,
        ClientEvent::Error {
            topic: Topic::Parser,
            action: 1,
            ..
        }
    ));
    assert!(matches!(
        next_event(&mut events).await,
        ClientEvent::Error {
            topic: Topic::Auth,
            action: 101,
            ..
        }
    ));
    assert_eq!(
        next_event(&mut events).await,
        presence("dave", true, Scope::User)
    );
}

#[tokio::test]
async fn close_ends_the_connection_the_events_and_every_handle() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;
    let other = client.clone();
    tokio::join!(client.close(), peer.closed());
    assert_eq!(events.recv().await, None);
    assert!(matches!(other.get_all().await, Err(ClientError::Closed)));
    assert!(matches!(
        other.subscribe("x").await,
        Err(ClientError::Closed)
    ));
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;
    drop(client);
    peer.closed().await;
    assert_eq!(events.recv().await, None);
}
