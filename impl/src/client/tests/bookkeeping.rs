//! The pending-request bookkeeping on its own, without sockets or time passing.

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use crate::client::events::Events;
use crate::client::requests::{Request, Requests, Subscriptions};
use crate::client::{ClientError, ClientEvent};
use crate::protocol::{decode_frame, Incoming, PresenceAction, PresenceMessage};

fn request_of(frame: &Bytes) -> PresenceMessage {
    match decode_frame(frame) {
        Ok(Incoming::Presence(message)) => message,
        other => panic!("not a presence request: {other:?}"),
    }
}

fn ack(action: PresenceAction, correlation_id: &str) -> PresenceMessage {
    PresenceMessage {
        action: action as i32,
        correlation_id: correlation_id.to_owned(),
        is_ack: true,
        ..Default::default()
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

#[test]
fn subscriptions_follow_acks_denials_and_unsubscribes() {
    let (sender, _events) = Events::channel();
    let mut requests = Requests::new(Duration::from_secs(1));
    let now = Instant::now();

    let (reply, mut answer) = oneshot::channel();
    let frame = requests.start(Request::Subscribe(names(&["a", "b", "a", "c"]), reply), now);
    let sent = request_of(&frame);
    assert_eq!(sent.names, names(&["a", "b", "c"]));
    let denial = PresenceMessage {
        action: PresenceAction::MessageDenied as i32,
        original_action: PresenceAction::Subscribe as i32,
        correlation_id: sent.correlation_id.clone(),
        name: "b".into(),
        is_error: true,
        ..Default::default()
    };
    requests.on_presence(denial, &sender);
    requests.on_presence(
        ack(PresenceAction::Subscribe, &sent.correlation_id),
        &sender,
    );
    assert_eq!(
        answer.try_recv().ok().and_then(Result::ok),
        Some(names(&["b"]))
    );

    let (reply, _answer) = oneshot::channel();
    requests.start(Request::SubscribeAll(reply), now);
    requests.on_presence(ack(PresenceAction::SubscribeAll, ""), &sender);
    let expected = Subscriptions {
        all: true,
        names: ["a", "c"].map(String::from).into(),
    };
    assert_eq!(requests.subscriptions(), &expected);

    // Unsubscribing takes effect when sent; UNSUBSCRIBE_ALL leaves the names.
    let (reply, _answer) = oneshot::channel();
    requests.start(Request::Unsubscribe(names(&["a"]), reply), now);
    let (reply, _answer) = oneshot::channel();
    requests.start(Request::UnsubscribeAll(reply), now);
    let expected = Subscriptions {
        all: false,
        names: ["c"].map(String::from).into(),
    };
    assert_eq!(requests.subscriptions(), &expected);
}

#[test]
fn restoring_reports_reconnected_once_everything_is_answered() {
    let (sender, mut events) = Events::channel();
    let mut requests = Requests::new(Duration::from_secs(1));
    let now = Instant::now();

    // Nothing to restore: reconnected at once.
    assert!(requests.restore(now, &sender).is_empty());
    assert_eq!(events.try_recv(), Some(ClientEvent::Reconnected));

    let (reply, _answer) = oneshot::channel();
    let frame = requests.start(Request::Subscribe(names(&["x"]), reply), now);
    let id = request_of(&frame).correlation_id;
    requests.on_presence(ack(PresenceAction::Subscribe, &id), &sender);
    let (reply, _answer) = oneshot::channel();
    requests.start(Request::SubscribeAll(reply), now);
    requests.on_presence(ack(PresenceAction::SubscribeAll, ""), &sender);
    requests.fail_all(|| ClientError::Disconnected);

    let frames = requests.restore(now, &sender);
    let sent: Vec<_> = frames.iter().map(request_of).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].action(), PresenceAction::SubscribeAll);
    assert_eq!(sent[1].action(), PresenceAction::Subscribe);
    assert_eq!(sent[1].names, names(&["x"]));
    requests.on_presence(ack(PresenceAction::SubscribeAll, ""), &sender);
    assert_eq!(events.try_recv(), None);
    assert_eq!(requests.next_deadline(), Some(now + Duration::from_secs(1)));

    // The SUBSCRIBE is never answered: reported, and the reconnection still completes.
    requests.expire(now + Duration::from_secs(1), &sender);
    assert!(matches!(events.try_recv(), Some(ClientEvent::Error { .. })));
    assert_eq!(events.try_recv(), Some(ClientEvent::Reconnected));
    requests.on_presence(
        ack(PresenceAction::Subscribe, &sent[1].correlation_id),
        &sender,
    );
    assert_eq!(events.try_recv(), None);
    assert_eq!(requests.next_deadline(), None);
}

#[test]
fn a_disconnect_fails_everything_in_flight() {
    let (sender, _events) = Events::channel();
    let mut requests = Requests::new(Duration::from_secs(1));
    let now = Instant::now();
    let (reply, mut get_all) = oneshot::channel();
    requests.start(Request::GetAll(reply), now);
    let (reply, mut query) = oneshot::channel();
    requests.start(Request::Query(names(&["a"]), reply), now);
    requests.fail_all(|| ClientError::Disconnected);
    assert!(matches!(
        get_all.try_recv(),
        Ok(Err(ClientError::Disconnected))
    ));
    assert!(matches!(
        query.try_recv(),
        Ok(Err(ClientError::Disconnected))
    ));
    assert_eq!(requests.next_deadline(), None);
    // An answer for a forgotten request changes nothing.
    requests.on_presence(ack(PresenceAction::Subscribe, "2"), &sender);
}
