//! Queries and subscriptions: what is sent, and how each answer or error resolves it.

use std::time::Duration;

use super::connected;
use super::fake::{self, config, next_event};
use crate::client::{ClientError, ClientEvent, QueryAnswer};
use crate::protocol::{presence, PresenceAction, Topic};

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

#[tokio::test]
async fn get_all_answers_without_correlation_id_are_matched_in_order() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, _events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    let script = async {
        let first = peer.recv_presence(PresenceAction::QueryAll).await;
        let second = peer.recv_presence(PresenceAction::QueryAll).await;
        assert!(!first.correlation_id.is_empty());
        assert_ne!(first.correlation_id, second.correlation_id);
        // deepstream's answers carry no correlation id: first come, first served.
        peer.send(presence::query_all_response(&["bob"])).await;
        peer.send(presence::query_all_response(&["alice", "bob"]))
            .await;
    };
    let (first, second, ()) = tokio::join!(client.get_all(), client.get_all(), script);
    assert_eq!(first.ok(), Some(strings(&["bob"])));
    assert_eq!(second.ok(), Some(strings(&["alice", "bob"])));

    // An empty answer leaves `names` out.
    let script = async {
        peer.recv_presence(PresenceAction::QueryAll).await;
        peer.send(presence::query_all_response::<&str>(&[])).await;
    };
    let (empty, ()) = tokio::join!(client.get_all(), script);
    assert_eq!(empty.ok(), Some(vec![]));
}

#[tokio::test]
async fn get_all_answers_with_a_correlation_id_are_matched_by_it() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, _events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    let script = async {
        let first = peer.recv_presence(PresenceAction::QueryAll).await;
        let second = peer.recv_presence(PresenceAction::QueryAll).await;
        // rollcall echoes the id, so it may answer in any order.
        for (request, names) in [(second, ["second"]), (first, ["first"])] {
            let mut answer = crate::protocol::PresenceMessage {
                action: PresenceAction::QueryAllResponse as i32,
                correlation_id: request.correlation_id,
                ..Default::default()
            };
            answer.names = strings(&names);
            peer.send(crate::protocol::encode_frame(Topic::Presence, &answer))
                .await;
        }
    };
    let (first, second, ()) = tokio::join!(client.get_all(), client.get_all(), script);
    assert_eq!(first.ok(), Some(strings(&["first"])));
    assert_eq!(second.ok(), Some(strings(&["second"])));
}

#[tokio::test]
async fn get_all_of_keeps_the_servers_order_and_lists_denied_names() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, _events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    let script = async {
        let query = peer.recv_presence(PresenceAction::Query).await;
        // Duplicates are sent once.
        assert_eq!(query.names, strings(&["zed", "bob", "alice"]));
        let id = &query.correlation_id;
        peer.send(presence::denied(PresenceAction::Query, id, Some("bob")))
            .await;
        peer.send(presence::query_response_for(
            id,
            &[("zed", false), ("alice", true)],
        ))
        .await;
    };
    let (answer, ()) = tokio::join!(client.get_all_of(&["zed", "bob", "alice", "zed"]), script);
    let expected = QueryAnswer {
        results: vec![("zed".into(), false), ("alice".into(), true)],
        denied: strings(&["bob"]),
    };
    assert_eq!(answer.ok(), Some(expected));

    // Every name refused: resolved at once, as deepstream sends no answer then.
    let script = async {
        let query = peer.recv_presence(PresenceAction::Query).await;
        peer.send(presence::denied(
            PresenceAction::Query,
            &query.correlation_id,
            Some("bob"),
        ))
        .await;
    };
    let (answer, ()) = tokio::join!(client.get_all_of(&["bob"]), script);
    assert_eq!(
        answer.ok().map(|a| (a.results, a.denied)),
        Some((vec![], strings(&["bob"])))
    );

    // A denial naming nobody refuses the whole query (deepstream's second denial).
    let script = async {
        let query = peer.recv_presence(PresenceAction::Query).await;
        peer.send(presence::denied(
            PresenceAction::Query,
            &query.correlation_id,
            None,
        ))
        .await;
    };
    let (answer, ()) = tokio::join!(client.get_all_of(&["bob", "x"]), script);
    assert!(
        matches!(answer, Err(ClientError::Denied { name: None })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn subscribe_is_acked_or_denied() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, _events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    // Acknowledged, with a notice first for a repeated name.
    let script = async {
        let request = peer.recv_presence(PresenceAction::Subscribe).await;
        assert_eq!(request.names, strings(&["alice"]));
        peer.send(presence::multiple_subscriptions(
            PresenceAction::Subscribe,
            "alice",
        ))
        .await;
        peer.send(presence::ack(
            PresenceAction::Subscribe,
            &request.correlation_id,
        ))
        .await;
    };
    let (subscribed, ()) = tokio::join!(client.subscribe("alice"), script);
    assert!(subscribed.is_ok(), "{subscribed:?}");

    // Denied, then acknowledged (rollcall), or denied alone (deepstream).
    for ack in [true, false] {
        let script = async {
            let request = peer.recv_presence(PresenceAction::Subscribe).await;
            let id = &request.correlation_id;
            peer.send(presence::denied(PresenceAction::Subscribe, id, Some("bob")))
                .await;
            if ack {
                peer.send(presence::ack(PresenceAction::Subscribe, id))
                    .await;
            }
        };
        let (subscribed, ()) = tokio::join!(client.subscribe("bob"), script);
        match subscribed {
            Err(ClientError::Denied { name: Some(name) }) => assert_eq!(name, "bob"),
            other => panic!("expected Denied(bob), got {other:?}"),
        }
    }

    // A batch: the refused names come back, the others are subscribed.
    let script = async {
        let request = peer.recv_presence(PresenceAction::Subscribe).await;
        assert_eq!(request.names, strings(&["carol", "bob", "dave"]));
        let id = &request.correlation_id;
        peer.send(presence::denied(PresenceAction::Subscribe, id, Some("bob")))
            .await;
        peer.send(presence::ack(PresenceAction::Subscribe, id))
            .await;
    };
    let (denied, ()) = tokio::join!(client.subscribe_many(&["carol", "bob", "dave"]), script);
    assert_eq!(denied.ok(), Some(strings(&["bob"])));

    // subscribe_all, unsubscribe, unsubscribe_all: one ack each.
    let script = async {
        peer.recv_presence(PresenceAction::SubscribeAll).await;
        peer.send(presence::ack(PresenceAction::SubscribeAll, ""))
            .await;
        let request = peer.recv_presence(PresenceAction::Unsubscribe).await;
        assert_eq!(request.names, strings(&["carol"]));
        peer.send(presence::ack(
            PresenceAction::Unsubscribe,
            &request.correlation_id,
        ))
        .await;
        peer.recv_presence(PresenceAction::UnsubscribeAll).await;
        peer.send(presence::ack(PresenceAction::UnsubscribeAll, ""))
            .await;
    };
    let calls = async {
        (
            client.subscribe_all().await,
            client.unsubscribe("carol").await,
            client.unsubscribe_all().await,
        )
    };
    let ((all, one, none), ()) = tokio::join!(calls, script);
    assert!(
        all.is_ok() && one.is_ok() && none.is_ok(),
        "{all:?} {one:?} {none:?}"
    );
}

#[tokio::test]
async fn whole_request_errors_are_rejections_or_denials() {
    let (mut server, connector, url) = fake::tcp().await;
    let (client, mut events, mut peer) =
        connected(&mut server, connector, config(&url, "homer")).await;

    // Too many names / an invalid name: INVALID_PRESENCE_USERS, no ack follows.
    let script = async {
        let request = peer.recv_presence(PresenceAction::Subscribe).await;
        peer.send(presence::error(
            PresenceAction::InvalidPresenceUsers,
            PresenceAction::Subscribe,
            &request.correlation_id,
            r#""too many names""#,
        ))
        .await;
    };
    let (subscribed, ()) = tokio::join!(client.subscribe_many(&["a", "b"]), script);
    match subscribed {
        Err(ClientError::Rejected { reason }) => {
            assert_eq!(reason, r#"INVALID_PRESENCE_USERS: "too many names""#)
        }
        other => panic!("expected Rejected, got {other:?}"),
    }

    // Too many subscriptions: PRESENCE/ERROR.
    let script = async {
        let request = peer.recv_presence(PresenceAction::Subscribe).await;
        peer.send(presence::error(
            PresenceAction::Error,
            PresenceAction::Subscribe,
            &request.correlation_id,
            r#""too many subscriptions""#,
        ))
        .await;
    };
    let (subscribed, ()) = tokio::join!(client.subscribe("c"), script);
    assert!(
        matches!(subscribed, Err(ClientError::Rejected { .. })),
        "{subscribed:?}"
    );

    // An invalid QUERY.
    let script = async {
        let request = peer.recv_presence(PresenceAction::Query).await;
        peer.send(presence::error(
            PresenceAction::InvalidPresenceUsers,
            PresenceAction::Query,
            &request.correlation_id,
            r#""invalid name""#,
        ))
        .await;
    };
    let (answer, ()) = tokio::join!(client.get_all_of(&[""]), script);
    assert!(
        matches!(answer, Err(ClientError::Rejected { .. })),
        "{answer:?}"
    );

    // getAll() and subscribe_all() denied, as deepstream does it: no correlation id.
    let script = async {
        peer.recv_presence(PresenceAction::QueryAll).await;
        peer.send(presence::denied(PresenceAction::QueryAll, "", None))
            .await;
        peer.recv_presence(PresenceAction::SubscribeAll).await;
        peer.send(presence::denied(PresenceAction::SubscribeAll, "", None))
            .await;
    };
    let calls = async { (client.get_all().await, client.subscribe_all().await) };
    let ((all, subscribed), ()) = tokio::join!(calls, script);
    assert!(
        matches!(all, Err(ClientError::Denied { name: None })),
        "{all:?}"
    );
    assert!(
        matches!(subscribed, Err(ClientError::Denied { name: None })),
        "{subscribed:?}"
    );

    // An error for no pending request is an event.
    peer.send(presence::error(
        PresenceAction::InvalidPresenceUsers,
        PresenceAction::Subscribe,
        "999",
        "",
    ))
    .await;
    assert!(matches!(
        next_event(&mut events).await,
        ClientEvent::Error {
            topic: Topic::Presence,
            action: 100,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn unanswered_requests_time_out_and_late_answers_stay_paired() {
    let (mut server, connector) = fake::duplex();
    let mut config = config("ws://rollcall/deepstream", "homer");
    config.request_timeout = Duration::from_secs(2);
    let (client, _events, mut peer) = connected(&mut server, connector, config).await;

    let started = tokio::time::Instant::now();
    let (late, subscribed) = tokio::join!(client.get_all(), client.subscribe("x"));
    assert!(matches!(late, Err(ClientError::Timeout)), "{late:?}");
    assert!(
        matches!(subscribed, Err(ClientError::Timeout)),
        "{subscribed:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    peer.recv_presence(PresenceAction::QueryAll).await;
    let subscribe = peer.recv_presence(PresenceAction::Subscribe).await;

    // The late answers arrive; the next getAll must get its own answer, not the late one.
    let script = async {
        peer.recv_presence(PresenceAction::QueryAll).await;
        peer.send(presence::ack(
            PresenceAction::Subscribe,
            &subscribe.correlation_id,
        ))
        .await;
        peer.send(presence::query_all_response(&["late"])).await;
        peer.send(presence::query_all_response(&["fresh"])).await;
    };
    let (fresh, ()) = tokio::join!(client.get_all(), script);
    assert_eq!(fresh.ok(), Some(strings(&["fresh"])));
}
