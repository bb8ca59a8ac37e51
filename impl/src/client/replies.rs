//! Reading what the server sends on the PRESENCE topic.
//!
//! A presence message from the server is one of four things:
//!
//! | the server sends | it is |
//! |---|---|
//! | `PRESENCE_JOIN(_ALL)`, `PRESENCE_LEAVE(_ALL)` `{name}` | an event for [`Events`](super::Events) |
//! | `QUERY_ALL_RESPONSE`, `QUERY_RESPONSE`, an ack (`isAck`) | the answer to a request |
//! | `MESSAGE_DENIED`, `INVALID_PRESENCE_USERS`, `ERROR`, `MESSAGE_PERMISSION_ERROR` | an error about a request, named by `originalAction` and `correlationId` |
//! | `MULTIPLE_SUBSCRIPTIONS`, `NOT_SUBSCRIBED` | a notice; the ack follows |
//!
//! [`classify`] sorts a message into these, naming the request action an answer or error
//! belongs to (for an error, its `originalAction`). Matching it to one pending request is the
//! job of [`super::requests`].

use super::answers::parse_query_data;
use super::events::{ClientEvent, Scope};
use crate::protocol::{PresenceAction, PresenceMessage, Topic};

/// What a presence message from the server is.
pub(crate) enum Classified {
    /// A join or leave.
    Event(ClientEvent),
    /// Something about a request of this action.
    Answer(PresenceAction, Outcome),
    /// Nothing to act on.
    Notice,
}

/// What the server said about a pending request.
pub(crate) enum Outcome {
    /// QUERY_ALL_RESPONSE: the online users.
    Names(Vec<String>),
    /// QUERY_RESPONSE, already parsed.
    Answer(Vec<(String, bool)>),
    /// The acknowledgement of a (un)subscription.
    Ack,
    /// MESSAGE_DENIED for one name, or (`None`) for the whole request.
    Denied(Option<String>),
    /// INVALID_PRESENCE_USERS, ERROR or MESSAGE_PERMISSION_ERROR: the whole request refused,
    /// with the reason; also an unreadable QUERY_RESPONSE.
    Rejected(String),
}

/// Sorts a presence message from the server; takes the names out of `message`, leaving the
/// fields [`error_event`] reads.
pub(crate) fn classify(message: &mut PresenceMessage) -> Classified {
    use PresenceAction::*;
    let action = message.action();
    match action {
        PresenceJoin | PresenceJoinAll | PresenceLeave | PresenceLeaveAll => {
            Classified::Event(ClientEvent::Presence {
                user: std::mem::take(&mut message.name),
                online: matches!(action, PresenceJoin | PresenceJoinAll),
                scope: if matches!(action, PresenceJoinAll | PresenceLeaveAll) {
                    Scope::Everyone
                } else {
                    Scope::User
                },
            })
        }
        QueryAllResponse => {
            Classified::Answer(QueryAll, Outcome::Names(std::mem::take(&mut message.names)))
        }
        QueryResponse => Classified::Answer(
            Query,
            match parse_query_data(&message.data) {
                Ok(results) => Outcome::Answer(results),
                Err(error) => Outcome::Rejected(format!("unreadable QUERY_RESPONSE data: {error}")),
            },
        ),
        Subscribe | Unsubscribe | SubscribeAll | UnsubscribeAll if message.is_ack => {
            Classified::Answer(action, Outcome::Ack)
        }
        MessageDenied => {
            let name = Some(message.name.clone()).filter(|name| !name.is_empty());
            Classified::Answer(original(message), Outcome::Denied(name))
        }
        InvalidPresenceUsers | Error | MessagePermissionError => {
            Classified::Answer(original(message), Outcome::Rejected(describe(message)))
        }
        _ => {
            // MULTIPLE_SUBSCRIPTIONS, NOT_SUBSCRIBED; anything else is not for a client.
            tracing::debug!(?action, name = %message.name, "presence notice");
            Classified::Notice
        }
    }
}

/// The [`ClientEvent::Error`] reporting a presence error no request is waiting for.
pub(crate) fn error_event(message: &PresenceMessage) -> ClientEvent {
    ClientEvent::Error {
        topic: Topic::Presence,
        action: message.action,
        detail: format!(
            "{} (original action {})",
            describe(message),
            message.original_action
        ),
    }
}

/// The request action an error message refers to.
fn original(message: &PresenceMessage) -> PresenceAction {
    PresenceAction::try_from(message.original_action).unwrap_or(PresenceAction::Unknown)
}

/// `"<ACTION>: <data> name=<name>"` for a presence error, e.g.
/// `INVALID_PRESENCE_USERS: "too many names"`.
fn describe(message: &PresenceMessage) -> String {
    let mut text = action_name(message.action());
    if !message.data.is_empty() {
        text.push_str(": ");
        text.push_str(&message.data);
    }
    if !message.name.is_empty() {
        text.push_str(" name=");
        text.push_str(&message.name);
    }
    text
}

/// A presence error action as the protocol spells it (`MESSAGE_DENIED`).
fn action_name(action: PresenceAction) -> String {
    match action {
        PresenceAction::Error => "ERROR".into(),
        PresenceAction::InvalidPresenceUsers => "INVALID_PRESENCE_USERS".into(),
        PresenceAction::MessagePermissionError => "MESSAGE_PERMISSION_ERROR".into(),
        PresenceAction::MessageDenied => "MESSAGE_DENIED".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_their_scope() {
        let mut message = PresenceMessage {
            action: PresenceAction::PresenceLeaveAll as i32,
            name: "bob".into(),
            ..Default::default()
        };
        let Classified::Event(event) = classify(&mut message) else {
            panic!("not an event");
        };
        let expected = ClientEvent::Presence {
            user: "bob".into(),
            online: false,
            scope: Scope::Everyone,
        };
        assert_eq!(event, expected);
    }

    #[test]
    fn errors_name_their_request_and_reason() {
        let mut message = PresenceMessage {
            action: PresenceAction::Error as i32,
            original_action: PresenceAction::Subscribe as i32,
            data: "\"too many subscriptions\"".into(),
            ..Default::default()
        };
        let Classified::Answer(request, Outcome::Rejected(reason)) = classify(&mut message) else {
            panic!("not a rejection");
        };
        assert_eq!(request, PresenceAction::Subscribe);
        assert_eq!(reason, "ERROR: \"too many subscriptions\"");
    }

    #[test]
    fn a_request_echoed_without_ack_and_notices_are_not_answers() {
        for action in [
            PresenceAction::Subscribe,
            PresenceAction::MultipleSubscriptions,
            PresenceAction::NotSubscribed,
        ] {
            let mut message = PresenceMessage {
                action: action as i32,
                ..Default::default()
            };
            assert!(matches!(classify(&mut message), Classified::Notice));
        }
    }
}
