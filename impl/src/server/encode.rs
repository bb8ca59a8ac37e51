//! The core's replies and events as deepstream frames: the one place that maps rollcall's
//! presence semantics onto the wire.
//!
//! | core output | frame |
//! |---|---|
//! | `LoggedIn` | `AUTH/AUTH_SUCCESSFUL {data: client data}` |
//! | `Rejected{Login, InvalidName}` | `AUTH/AUTH_UNSUCCESSFUL {data: "invalid username: ..."}` |
//! | `Rejected{Login, AlreadyLoggedIn}` | `AUTH/ERROR {data: "already logged in"}` |
//! | `Rejected{_, NotLoggedIn}` | `AUTH/INVALID_MESSAGE` (as deepstream) |
//! | `Rejected{_, TooManyNames or InvalidName}` | `PRESENCE/INVALID_PRESENCE_USERS {originalAction, correlationId, isError, data}` |
//! | `Rejected{_, TooManySubscriptions}` | `PRESENCE/ERROR {originalAction, correlationId, isError, data}` |
//! | `Denied` | `PRESENCE/MESSAGE_DENIED {originalAction, correlationId, isError, name}` |
//! | `AlreadySubscribed` | `PRESENCE/MULTIPLE_SUBSCRIPTIONS {originalAction, name}` |
//! | acks | `{action, correlationId, isAck}` |
//! | `QueryAllResult` | `PRESENCE/QUERY_ALL_RESPONSE {names, correlationId if the request had one}` |
//! | `QueryResult` | `PRESENCE/QUERY_RESPONSE {data: {"name":bool,...}, correlationId}` |
//! | events | `PRESENCE/PRESENCE_JOIN[_ALL]` or `PRESENCE_LEAVE[_ALL] {name}` |
//!
//! `data` fields are JSON text, so human-readable reasons are sent as JSON strings.

use bytes::Bytes;

use crate::core::{Event, EventKind, Rejection, Reply, Request};
use crate::protocol::{auth, presence, push_json_string, PresenceAction};

/// A reason as JSON text (a JSON string).
pub fn json_text(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len() + 2);
    push_json_string(&mut out, reason);
    out
}

/// The presence action a request was made with (deepstream's `originalAction`).
fn original_action(request: Request) -> PresenceAction {
    match request {
        Request::SubscribeAll => PresenceAction::SubscribeAll,
        Request::UnsubscribeAll => PresenceAction::UnsubscribeAll,
        Request::Subscribe => PresenceAction::Subscribe,
        Request::Unsubscribe => PresenceAction::Unsubscribe,
        Request::QueryAll => PresenceAction::QueryAll,
        Request::Query | Request::Login => PresenceAction::Query,
    }
}

/// The frame for one reply. `client_data` is the JSON text handed back on a successful login.
pub fn reply(reply: &Reply, client_data: Option<&str>) -> Bytes {
    match reply {
        Reply::LoggedIn => auth::successful(client_data),
        Reply::Rejected {
            request,
            correlation_id,
            reason,
        } => rejected(*request, correlation_id.as_deref().unwrap_or(""), reason),
        Reply::Denied {
            request,
            correlation_id,
            name,
        } => presence::denied(original_action(*request), correlation_id, Some(name)),
        Reply::AlreadySubscribed { name: None } => {
            presence::multiple_subscriptions(PresenceAction::SubscribeAll, presence::EVERYONE)
        }
        Reply::AlreadySubscribed { name: Some(name) } => {
            presence::multiple_subscriptions(PresenceAction::Subscribe, name)
        }
        Reply::SubscribeAllAck => presence::ack(PresenceAction::SubscribeAll, ""),
        Reply::UnsubscribeAllAck => presence::ack(PresenceAction::UnsubscribeAll, ""),
        Reply::SubscribeAck { correlation_id } => {
            presence::ack(PresenceAction::Subscribe, correlation_id)
        }
        Reply::UnsubscribeAck { correlation_id } => {
            presence::ack(PresenceAction::Unsubscribe, correlation_id)
        }
        Reply::QueryAllResult {
            correlation_id,
            users,
        } => {
            let (first, second) = users.runs();
            presence::query_all_response_of_runs(
                correlation_id.as_deref().unwrap_or(""),
                first,
                second,
            )
        }
        Reply::QueryResult {
            correlation_id,
            online,
        } => presence::query_response_for(correlation_id, online),
    }
}

fn rejected(request: Request, correlation_id: &str, reason: &Rejection) -> Bytes {
    match (request, reason) {
        (_, Rejection::NotLoggedIn) => auth::invalid_message(),
        (Request::Login, Rejection::AlreadyLoggedIn) => {
            auth::error(&json_text("already logged in"))
        }
        (Request::Login, Rejection::InvalidName { error, .. }) => {
            auth::unsuccessful(&json_text(&format!("invalid username: {error}")))
        }
        (_, Rejection::TooManyNames { count, max }) => presence::error(
            PresenceAction::InvalidPresenceUsers,
            original_action(request),
            correlation_id,
            &json_text(&format!(
                "too many names in one request: {count}, at most {max}"
            )),
        ),
        (_, Rejection::InvalidName { name, error }) => presence::error(
            PresenceAction::InvalidPresenceUsers,
            original_action(request),
            correlation_id,
            &json_text(&format!("invalid name {name:?}: {error}")),
        ),
        (_, Rejection::TooManySubscriptions { max }) => presence::error(
            PresenceAction::Error,
            original_action(request),
            correlation_id,
            &json_text(&format!(
                "too many subscriptions: at most {max} per connection"
            )),
        ),
        (_, Rejection::AlreadyLoggedIn) => auth::error(&json_text("already logged in")),
    }
}

/// The frame for one event; built once, written to every recipient.
pub fn event(event: &Event) -> Bytes {
    let action = match event.kind {
        EventKind::JoinAll => PresenceAction::PresenceJoinAll,
        EventKind::Join => PresenceAction::PresenceJoin,
        EventKind::LeaveAll => PresenceAction::PresenceLeaveAll,
        EventKind::Leave => PresenceAction::PresenceLeave,
    };
    presence::event(action, &event.user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::NameError;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn frames_match_the_real_servers_bytes() {
        let ack = Reply::SubscribeAck {
            correlation_id: "s1".into(),
        };
        assert_eq!(hex(&reply(&ack, None)), "0c10071a08080a2a0273313801");
        let again = Reply::AlreadySubscribed { name: None };
        assert_eq!(
            hex(&reply(&again, None)),
            "1610071a120867180c420c255f45564552594f4e455f25"
        );
        let all = Reply::QueryAllResult {
            correlation_id: None,
            users: crate::core::UserList::new(vec!["alice".into(), "bob".into()].into(), Some(0)),
        };
        assert_eq!(hex(&reply(&all, None)), "0b10071a0708034a03626f62");
        let join = Event {
            kind: EventKind::JoinAll,
            user: "erin".into(),
        };
        assert_eq!(hex(&event(&join)), "0c10071a08080742046572696e");
        let denied = Reply::Denied {
            request: Request::Subscribe,
            correlation_id: "s1".into(),
            name: "bob".into(),
        };
        assert_eq!(
            hex(&reply(&denied, None)),
            "1310071a0f0866180a2a02733130014203626f62"
        );
        let not_logged_in = Reply::Rejected {
            request: Request::QueryAll,
            correlation_id: None,
            reason: Rejection::NotLoggedIn,
        };
        assert_eq!(hex(&reply(&not_logged_in, None)), "0610031a020865");
    }

    #[test]
    fn rejections_carry_a_readable_json_reason() {
        let reason = Rejection::InvalidName {
            name: "".into(),
            error: NameError::Empty,
        };
        let frame = reply(
            &Reply::Rejected {
                request: Request::Subscribe,
                correlation_id: Some("c".into()),
                reason,
            },
            None,
        );
        let decoded = crate::protocol::decode_frame(&frame).expect("decodes");
        let crate::protocol::Incoming::Presence(message) = decoded else {
            panic!("presence")
        };
        assert_eq!(message.action(), PresenceAction::InvalidPresenceUsers);
        assert_eq!(message.original_action, PresenceAction::Subscribe as i32);
        assert_eq!(message.correlation_id, "c");
        assert_eq!(message.data, "\"invalid name \\\"\\\": the name is empty\"");
    }
}
