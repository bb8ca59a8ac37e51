//! Bad input over real sockets: everything a client can send gets a defined answer, never takes
//! the server down, and leaves every other client served. One test per row of the table in
//! README.md ("Bad input").

use std::net::SocketAddr;

use rollcall::config::{AuthConfig, Config};
use rollcall::protocol::{self, AuthAction, ConnectionAction, ParserAction, PresenceAction, Topic};
use rollcall::server::{start, ServerHandle};
use rollcall_conformance::raw::{RawClient, Received};

async fn server_with(configure: impl FnOnce(&mut Config)) -> ServerHandle {
    let mut config = Config::default();
    config.server.port = 0;
    configure(&mut config);
    start(config).await.expect("server starts")
}

async fn server() -> ServerHandle {
    server_with(|_| {}).await
}

/// A bystander, logged in and subscribed to everyone, proves the server still serves others.
async fn bystander(addr: SocketAddr) -> RawClient {
    let mut client = RawClient::login(addr, r#"{"username":"bystander"}"#).await;
    client
        .send(protocol::presence::request(
            PresenceAction::SubscribeAll,
            "",
            &[] as &[&str],
        ))
        .await;
    client.expect_presence(PresenceAction::SubscribeAll).await;
    client
}

async fn still_serving(addr: SocketAddr, bystander: &mut RawClient) {
    let name = "newcomer";
    let newcomer = RawClient::login(addr, &format!(r#"{{"username":"{name}"}}"#)).await;
    let event = bystander
        .expect_presence(PresenceAction::PresenceJoinAll)
        .await;
    assert_eq!(event.name, name);
    drop(newcomer);
    let event = bystander
        .expect_presence(PresenceAction::PresenceLeaveAll)
        .await;
    assert_eq!(event.name, name);
}

fn frame_with_topic(topic: i32, body: &[u8]) -> bytes::Bytes {
    let message = protocol::Message {
        topic,
        message: body.to_vec(),
    };
    let mut out = Vec::new();
    prost::Message::encode_length_delimited(&message, &mut out).expect("encodes");
    out.into()
}

#[tokio::test]
async fn bytes_that_are_not_protobuf_get_unknown_topic_and_the_socket_stays() {
    let server = server().await;
    let mut watcher = bystander(server.local_addr()).await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"i"}"#).await;
    watcher
        .expect_presence(PresenceAction::PresenceJoinAll)
        .await;
    for garbage in [&b"\xff\xff\xff"[..], b"", b"\x05\x10", b"\x00"] {
        client.send(bytes::Bytes::copy_from_slice(garbage)).await;
        client.expect_parser(ParserAction::UnknownTopic).await;
    }
    client.expect_alive().await;
    still_serving(server.local_addr(), &mut watcher).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn unknown_topics_and_actions_are_answered() {
    let server = server().await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"h"}"#).await;
    client.send(frame_with_topic(42, b"")).await;
    client.expect_parser(ParserAction::UnknownTopic).await;
    client
        .send(protocol::presence::request(
            PresenceAction::PresenceJoin,
            "",
            &["x"],
        ))
        .await;
    client.expect_parser(ParserAction::UnknownAction).await;
    client
        .send(frame_with_topic(Topic::Presence as i32, b"\x08\x37"))
        .await; // action 55
    match client.recv().await {
        Received::Frame(protocol::Incoming::Parser(m)) => {
            assert_eq!(m.action(), ParserAction::UnknownAction);
            assert_eq!(
                (m.original_topic, m.original_action),
                (Topic::Presence as i32, 55)
            );
        }
        other => panic!("expected PARSER/UNKNOWN_ACTION, got {other:?}"),
    }
    client.expect_alive().await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn topics_rollcall_does_not_serve_get_a_clear_error_and_the_socket_stays() {
    let server = server().await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"h"}"#).await;
    client
        .send(frame_with_topic(Topic::Record as i32, b"\x08\x01"))
        .await;
    let reason = client.expect_parser(ParserAction::Error).await;
    assert!(reason.contains("not served"), "{reason}");
    client.expect_alive().await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_text_frame_on_the_binary_endpoint_is_refused_and_closed() {
    let server = server().await;
    let mut watcher = bystander(server.local_addr()).await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"j"}"#).await;
    watcher
        .expect_presence(PresenceAction::PresenceJoinAll)
        .await;
    client.send_text("C|CH|ws://x").await;
    let reason = client.expect_parser(ParserAction::Error).await;
    assert!(reason.contains("binary"), "{reason}");
    client.expect_close(1003).await;
    assert_eq!(
        watcher
            .expect_presence(PresenceAction::PresenceLeaveAll)
            .await
            .name,
        "j"
    );
    still_serving(server.local_addr(), &mut watcher).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn an_oversized_message_is_refused_and_closed() {
    let server = server_with(|c| c.limits.max_message_bytes = 1024).await;
    let mut watcher = bystander(server.local_addr()).await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"big"}"#).await;
    watcher
        .expect_presence(PresenceAction::PresenceJoinAll)
        .await;
    let name = "n".repeat(2000);
    client
        .send(protocol::presence::request(
            PresenceAction::Query,
            "q",
            &[name.as_str()],
        ))
        .await;
    client
        .expect_parser(ParserAction::MaximumMessageSizeExceeded)
        .await;
    client.expect_close(1009).await;
    assert_eq!(
        watcher
            .expect_presence(PresenceAction::PresenceLeaveAll)
            .await
            .name,
        "big"
    );
    still_serving(server.local_addr(), &mut watcher).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn login_data_that_is_not_json_closes_that_socket_only() {
    let server = server().await;
    let mut watcher = bystander(server.local_addr()).await;
    for data in ["not json", "\"a json string, not an object\"", "", "[1,2]"] {
        let mut client = RawClient::connect(server.local_addr()).await;
        client
            .send(protocol::connection::challenge("ws://x/deepstream"))
            .await;
        client.expect_connection(ConnectionAction::Accept).await;
        client.send(protocol::auth::request(data)).await;
        client.expect_auth(AuthAction::InvalidMessageData).await;
        client.expect_close(1007).await;
    }
    still_serving(server.local_addr(), &mut watcher).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn messages_before_the_handshake_and_before_login_are_answered() {
    let server = server().await;
    let mut client = RawClient::connect(server.local_addr()).await;
    client.send(protocol::connection::ping()).await;
    client.expect_silence().await; // as deepstream: a ping before the challenge is ignored
    client
        .send(protocol::presence::request(
            PresenceAction::QueryAll,
            "",
            &[] as &[&str],
        ))
        .await;
    client
        .expect_connection(ConnectionAction::InvalidMessage)
        .await;
    client
        .send(protocol::connection::challenge("ws://x/deepstream"))
        .await;
    client.expect_connection(ConnectionAction::Accept).await;
    client
        .send(protocol::connection::challenge("ws://x/deepstream"))
        .await;
    client
        .expect_connection(ConnectionAction::InvalidMessage)
        .await;
    client
        .send(protocol::presence::request(
            PresenceAction::QueryAll,
            "",
            &[] as &[&str],
        ))
        .await;
    client.expect_auth(AuthAction::InvalidMessage).await;
    client
        .send(frame_with_topic(Topic::Event as i32, b"\x08\x02"))
        .await;
    client.expect_auth(AuthAction::InvalidMessage).await;
    client
        .send(protocol::auth::request(r#"{"username":"late"}"#))
        .await;
    client.expect_auth(AuthAction::AuthSuccessful).await;
    client.expect_alive().await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_second_login_is_refused_and_changes_nothing() {
    let server = server().await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"homer"}"#).await;
    client
        .send(protocol::auth::request(r#"{"username":"marge"}"#))
        .await;
    let reason = client.expect_auth(AuthAction::Error).await;
    assert!(reason.contains("already logged in"), "{reason}");
    client
        .send(protocol::presence::request(
            PresenceAction::Query,
            "q",
            &["homer", "marge"],
        ))
        .await;
    let answer = client.expect_presence(PresenceAction::QueryResponse).await;
    assert_eq!(answer.data, r#"{"homer":true,"marge":false}"#);
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn invalid_usernames_and_too_many_attempts() {
    let server = server_with(|c| {
        c.auth = AuthConfig::None {
            allow_anonymous: false,
        }
    })
    .await;
    let mut client = RawClient::connect(server.local_addr()).await;
    client
        .send(protocol::connection::challenge("ws://x/deepstream"))
        .await;
    client.expect_connection(ConnectionAction::Accept).await;
    let long = format!(r#"{{"username":"{}"}}"#, "x".repeat(200));
    for data in [r#"{"username":""}"#, long.as_str(), "{}"] {
        client.send(protocol::auth::request(data)).await;
        let reason = client.expect_auth(AuthAction::AuthUnsuccessful).await;
        assert!(!reason.is_empty(), "a failed login says why");
    }
    client.expect_auth(AuthAction::TooManyAuthAttempts).await;
    client.expect_close(1008).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn absurd_name_lists_are_refused_whole() {
    let server = server().await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"homer"}"#).await;
    let many: Vec<String> = (0..1001).map(|n| format!("user{n}")).collect();
    client
        .send(protocol::presence::request(
            PresenceAction::Subscribe,
            "s",
            &many,
        ))
        .await;
    let refused = client
        .expect_presence(PresenceAction::InvalidPresenceUsers)
        .await;
    assert_eq!(
        (refused.correlation_id.as_str(), refused.original_action),
        ("s", 10)
    );
    let long = "x".repeat(129);
    client
        .send(protocol::presence::request(
            PresenceAction::Query,
            "q",
            &["homer", &long],
        ))
        .await;
    let refused = client
        .expect_presence(PresenceAction::InvalidPresenceUsers)
        .await;
    assert_eq!(refused.correlation_id, "q");
    client
        .send(protocol::presence::request(
            PresenceAction::Query,
            "e",
            &[""],
        ))
        .await;
    client
        .expect_presence(PresenceAction::InvalidPresenceUsers)
        .await;
    client.expect_alive().await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn too_many_subscriptions_are_refused() {
    let server = server_with(|c| c.limits.max_subscriptions_per_connection = 2).await;
    let mut client = RawClient::login(server.local_addr(), r#"{"username":"homer"}"#).await;
    client
        .send(protocol::presence::request(
            PresenceAction::Subscribe,
            "s",
            &["a", "b", "c"],
        ))
        .await;
    let refused = client.expect_presence(PresenceAction::Error).await;
    assert!(
        refused.data.contains("too many subscriptions"),
        "{}",
        refused.data
    );
    client
        .send(protocol::presence::request(
            PresenceAction::Subscribe,
            "t",
            &["a", "b"],
        ))
        .await;
    assert_eq!(
        client
            .expect_presence(PresenceAction::Subscribe)
            .await
            .correlation_id,
        "t"
    );
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_client_that_never_logs_in_is_timed_out() {
    let server = server_with(|c| c.connection.unauthenticated_timeout_ms = 200).await;
    let mut client = RawClient::connect(server.local_addr()).await;
    client
        .send(protocol::connection::challenge("ws://x/deepstream"))
        .await;
    client.expect_connection(ConnectionAction::Accept).await;
    client
        .expect_connection(ConnectionAction::AuthenticationTimeout)
        .await;
    client.expect_close(1008).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_counts_as_a_logout() {
    let server = server_with(|c| c.connection.heartbeat_interval_ms = 150).await;
    let mut watcher = RawClient::login(server.local_addr(), r#"{"username":"watch"}"#).await;
    watcher
        .send(protocol::presence::request(
            PresenceAction::SubscribeAll,
            "",
            &[] as &[&str],
        ))
        .await;
    watcher.expect_presence(PresenceAction::SubscribeAll).await;
    let mut quiet = RawClient::login(server.local_addr(), r#"{"username":"quiet"}"#).await;
    assert_eq!(
        watcher
            .expect_presence(PresenceAction::PresenceJoinAll)
            .await
            .name,
        "quiet"
    );
    // The watcher keeps pinging; the quiet one says nothing for more than 2 x 150 ms.
    let started = std::time::Instant::now();
    let leave = loop {
        watcher.send(protocol::connection::ping()).await;
        match watcher.recv().await {
            Received::Frame(protocol::Incoming::Connection(_)) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Received::Frame(protocol::Incoming::Presence(m)) => break m,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(
        (leave.action(), leave.name.as_str()),
        (PresenceAction::PresenceLeaveAll, "quiet")
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "not before 2 x heartbeat"
    );
    quiet.expect_close(1008).await;
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_a_close_frame() {
    let server = server().await;
    let mut a = RawClient::login(server.local_addr(), r#"{"username":"a"}"#).await;
    let mut b = RawClient::connect(server.local_addr()).await;
    server.shutdown().await.expect("clean shutdown");
    a.expect_close(1001).await;
    b.expect_close(1001).await;
}
