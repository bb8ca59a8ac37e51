//! Ready-to-send PRESENCE frames: replies, notices and events of the server, and the requests
//! of a client.
//!
//! These are the hottest messages of the server. A join event is encoded once and the same
//! [`Bytes`] handed to every subscriber's socket (cloning `Bytes` only bumps a reference
//! count), and a QUERY_ALL_RESPONSE may list every online user. So instead of filling a
//! [`PresenceMessage`](super::PresenceMessage), which would copy each name into a `String`, the
//! functions here describe the message with borrowed fields and write it directly into one
//! buffer of the exact final size: one allocation per frame, whatever its content. The unit
//! tests check that the bytes are identical to prost's encoding of the equivalent struct, and
//! to what the real server sends.
//!
//! Which fields each reply sets is copied from the real server's transcripts; for example an
//! ack carries the request's action, its `correlationId` and `isAck`, nothing else:
//!
//! ```text
//! 0c 10 07 1a 08 | 08 0a   2a 02 73 31   38 01
//!                  action  correlationId isAck
//!                  SUBSCRIBE   "s1"      true
//! ```
//!
//! A `correlation_id` argument is always the one of the request being answered, echoed as is;
//! when the request had none it is the empty string, and the field is then left out, exactly as
//! the real server does.

use bytes::{Bytes, BytesMut};

use super::actions::{PresenceAction, Topic};
use super::json::query_response_json;
use super::wire;

/// The name the server reports in a MULTIPLE_SUBSCRIPTIONS notice about a repeated
/// SUBSCRIBE_ALL: the real server files "everyone" subscriptions under this reserved name.
pub const EVERYONE: &str = "%_EVERYONE_%";

// Field numbers of `PresenceMessage`.
const ACTION: u32 = 1;
const ORIGINAL_ACTION: u32 = 3;
const DATA: u32 = 4;
const CORRELATION_ID: u32 = 5;
const IS_ERROR: u32 = 6;
const IS_ACK: u32 = 7;
const NAME: u32 = 8;
const NAMES: u32 = 9;

/// No names, for the messages that carry none.
const NO_NAMES: &[&str] = &[];

/// A presence message described with borrowed fields; the encoding twin of
/// [`PresenceMessage`](super::PresenceMessage), minus `originalTOPIC`, which the server never
/// sets on presence messages.
struct Fields<'a, S> {
    action: PresenceAction,
    original_action: i32,
    data: &'a str,
    correlation_id: &'a str,
    is_error: bool,
    is_ack: bool,
    name: &'a str,
    names: &'a [S],
    /// Further names, written after `names`.
    more_names: &'a [S],
}

impl<'a> Fields<'a, &'static str> {
    /// A message with `action` set and every other field at its default.
    fn new(action: PresenceAction) -> Self {
        Fields {
            action,
            original_action: 0,
            data: "",
            correlation_id: "",
            is_error: false,
            is_ack: false,
            name: "",
            names: NO_NAMES,
            more_names: NO_NAMES,
        }
    }

    /// The same message with a list of names.
    fn with_names<T: AsRef<str>>(self, names: &'a [T]) -> Fields<'a, T> {
        Fields {
            action: self.action,
            original_action: self.original_action,
            data: self.data,
            correlation_id: self.correlation_id,
            is_error: self.is_error,
            is_ack: self.is_ack,
            name: self.name,
            names,
            more_names: &[],
        }
    }
}

impl<S: AsRef<str>> Fields<'_, S> {
    /// Exact encoded size of the message, as prost would compute it.
    fn encoded_len(&self) -> usize {
        let names: usize = self
            .names
            .iter()
            .chain(self.more_names)
            .map(|name| wire::bytes_entry_len(NAMES, name.as_ref().len()))
            .sum();
        wire::int32_field_len(ACTION, self.action as i32)
            + wire::int32_field_len(ORIGINAL_ACTION, self.original_action)
            + wire::str_field_len(DATA, self.data)
            + wire::str_field_len(CORRELATION_ID, self.correlation_id)
            + wire::bool_field_len(IS_ERROR, self.is_error)
            + wire::bool_field_len(IS_ACK, self.is_ack)
            + wire::str_field_len(NAME, self.name)
            + names
    }

    /// Appends the message, fields in field-number order.
    fn write(&self, buf: &mut BytesMut) {
        wire::put_int32_field(buf, ACTION, self.action as i32);
        wire::put_int32_field(buf, ORIGINAL_ACTION, self.original_action);
        wire::put_str_field(buf, DATA, self.data);
        wire::put_str_field(buf, CORRELATION_ID, self.correlation_id);
        wire::put_bool_field(buf, IS_ERROR, self.is_error);
        wire::put_bool_field(buf, IS_ACK, self.is_ack);
        wire::put_str_field(buf, NAME, self.name);
        for name in self.names.iter().chain(self.more_names) {
            wire::put_bytes_entry(buf, NAMES, name.as_ref().as_bytes());
        }
    }

    /// The complete frame.
    fn frame(&self) -> Bytes {
        wire::write_frame(Topic::Presence, self.encoded_len(), |buf| self.write(buf))
    }
}

/// Acknowledges a SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE_ALL or UNSUBSCRIBE_ALL: `{action, isAck}`
/// plus the request's correlation id when it had one.
///
/// The client resolves its pending (un)subscription on this frame, so every such request gets
/// exactly one, even when nothing changed.
pub fn ack(action: PresenceAction, correlation_id: &str) -> Bytes {
    Fields {
        correlation_id,
        is_ack: true,
        ..Fields::new(action)
    }
    .frame()
}

/// A join or leave notification, `{action, name}`, with `action` one of PRESENCE_JOIN,
/// PRESENCE_JOIN_ALL, PRESENCE_LEAVE or PRESENCE_LEAVE_ALL.
///
/// The `*_ALL` form goes to "everyone" subscribers and the plain form to that user's
/// subscribers; the client routes them to different callbacks, so a connection subscribed both
/// ways must receive both frames.
pub fn event(action: PresenceAction, name: &str) -> Bytes {
    Fields {
        name,
        ..Fields::new(action)
    }
    .frame()
}

/// The answer to QUERY_ALL: `{action: QUERY_ALL_RESPONSE, names}`.
///
/// The real protocol has no correlation id here. An empty list leaves `names` out, which the
/// client reads as "nobody".
pub fn query_all_response<S: AsRef<str>>(names: &[S]) -> Bytes {
    query_all_response_to("", names)
}

/// [`query_all_response`] echoing the request's correlation id (left out when empty).
///
/// The official client sends QUERY_ALL without one, and then the answer is byte for byte the
/// real server's; a client that does send one can tell concurrent answers apart.
pub fn query_all_response_to<S: AsRef<str>>(correlation_id: &str, names: &[S]) -> Bytes {
    query_all_response_of_runs(correlation_id, names, &[])
}

/// [`query_all_response_to`] for names given as two consecutive runs (a sorted list with one
/// entry left out), written straight from both without gathering them first.
pub fn query_all_response_of_runs<S: AsRef<str>>(
    correlation_id: &str,
    first: &[S],
    second: &[S],
) -> Bytes {
    let mut fields = Fields {
        correlation_id,
        ..Fields::new(PresenceAction::QueryAllResponse)
    }
    .with_names(first);
    fields.more_names = second;
    fields.frame()
}

/// The answer to QUERY: `{action: QUERY_RESPONSE, data, correlationId}`, where `data_json` is
/// the JSON object text mapping each asked name to whether it is online (see
/// [`query_response_json`]).
pub fn query_response(correlation_id: &str, data_json: &str) -> Bytes {
    Fields {
        data: data_json,
        correlation_id,
        ..Fields::new(PresenceAction::QueryResponse)
    }
    .frame()
}

/// [`query_response`] built straight from the `(name, online)` answers, in the given order.
///
/// Each name should appear once; the real server collapses duplicates of a query, keeping the
/// first position.
pub fn query_response_for<S: AsRef<str>>(correlation_id: &str, results: &[(S, bool)]) -> Bytes {
    query_response(correlation_id, &query_response_json(results))
}

/// The permission rules refused a request: `{action: MESSAGE_DENIED, originalAction,
/// correlationId, isError, name}`.
///
/// `name` is the refused user for a per-name check (QUERY, SUBSCRIBE), `None` for a request
/// about everyone (QUERY_ALL, SUBSCRIBE_ALL).
pub fn denied(original_action: PresenceAction, correlation_id: &str, name: Option<&str>) -> Bytes {
    Fields {
        original_action: original_action as i32,
        correlation_id,
        is_error: true,
        name: name.unwrap_or_default(),
        ..Fields::new(PresenceAction::MessageDenied)
    }
    .frame()
}

/// Notice that a subscription already existed: `{action: MULTIPLE_SUBSCRIPTIONS,
/// originalAction, name}`, sent before the request's ack.
///
/// For a repeated SUBSCRIBE_ALL, `name` is [`EVERYONE`].
pub fn multiple_subscriptions(original_action: PresenceAction, name: &str) -> Bytes {
    Fields {
        original_action: original_action as i32,
        name,
        ..Fields::new(PresenceAction::MultipleSubscriptions)
    }
    .frame()
}

/// Any other presence error: `{action, originalAction, data, correlationId, isError}`, with
/// `action` e.g. INVALID_PRESENCE_USERS, MESSAGE_PERMISSION_ERROR or ERROR and `data` JSON
/// text describing it (empty for none).
pub fn error(
    action: PresenceAction,
    original_action: PresenceAction,
    correlation_id: &str,
    data: &str,
) -> Bytes {
    Fields {
        original_action: original_action as i32,
        data,
        correlation_id,
        is_error: true,
        ..Fields::new(action)
    }
    .frame()
}

/// A client request, `{action, correlationId, names}`: QUERY_ALL, QUERY, SUBSCRIBE,
/// UNSUBSCRIBE, SUBSCRIBE_ALL or UNSUBSCRIBE_ALL.
///
/// The official client sends no correlation id and no names with QUERY_ALL and the `*_ALL`
/// actions; pass `""` and `&[] as &[&str]` to do the same.
pub fn request<S: AsRef<str>>(action: PresenceAction, correlation_id: &str, names: &[S]) -> Bytes {
    Fields {
        correlation_id,
        ..Fields::new(action)
    }
    .with_names(names)
    .frame()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::frame::encode_frame;
    use crate::protocol::messages::PresenceMessage;
    use crate::protocol::testutil::hex;

    /// The same message built as a prost struct, encoded by prost.
    fn reference<S: AsRef<str>>(fields: &Fields<'_, S>) -> Bytes {
        let message = PresenceMessage {
            action: fields.action as i32,
            original_topic: 0,
            original_action: fields.original_action,
            data: fields.data.to_owned(),
            correlation_id: fields.correlation_id.to_owned(),
            is_error: fields.is_error,
            is_ack: fields.is_ack,
            name: fields.name.to_owned(),
            names: fields.names.iter().map(|n| n.as_ref().to_owned()).collect(),
        };
        encode_frame(Topic::Presence, &message)
    }

    #[test]
    fn borrowed_encoding_matches_prost() {
        let long = "é".repeat(200);
        let names = ["a", "", long.as_str(), "bob"];
        let samples = [
            Fields::new(PresenceAction::QueryAll).with_names(NO_NAMES),
            Fields {
                original_action: -1,
                data: "{}",
                correlation_id: "c",
                is_error: true,
                is_ack: true,
                name: &long,
                ..Fields::new(PresenceAction::Error)
            }
            .with_names(&names),
            Fields::new(PresenceAction::Unknown).with_names(NO_NAMES),
            Fields::new(PresenceAction::QueryAllResponse).with_names(&names),
        ];
        for fields in &samples {
            assert_eq!(hex(&fields.frame()), hex(&reference(fields)));
        }
    }

    #[test]
    fn acks_match_the_real_server() {
        use PresenceAction::*;
        assert_eq!(hex(&ack(SubscribeAll, "")), "0810071a04080c3801");
        assert_eq!(hex(&ack(UnsubscribeAll, "")), "0810071a04080d3801");
        assert_eq!(hex(&ack(Subscribe, "0")), "0b10071a07080a2a01303801");
        assert_eq!(hex(&ack(Subscribe, "s1")), "0c10071a08080a2a0273313801");
        assert_eq!(hex(&ack(Subscribe, "w1")), "0c10071a08080a2a0277313801");
        assert_eq!(hex(&ack(Unsubscribe, "1")), "0b10071a07080b2a01313801");
        assert_eq!(hex(&ack(Unsubscribe, "u1")), "0c10071a08080b2a0275313801");
    }

    #[test]
    fn events_match_the_real_server() {
        use PresenceAction::*;
        assert_eq!(
            hex(&event(PresenceJoinAll, "carol")),
            "0d10071a09080742056361726f6c"
        );
        assert_eq!(
            hex(&event(PresenceJoin, "carol")),
            "0d10071a09080642056361726f6c"
        );
        assert_eq!(
            hex(&event(PresenceLeaveAll, "alice")),
            "0d10071a0908094205616c696365"
        );
        assert_eq!(
            hex(&event(PresenceLeave, "frank")),
            "0d10071a09080842056672616e6b"
        );
        assert_eq!(hex(&event(PresenceJoinAll, "h")), "0910071a050807420168");
        assert_eq!(hex(&event(PresenceLeave, "x")), "0910071a050808420178");
    }

    #[test]
    fn query_all_responses_match_the_real_server() {
        assert_eq!(
            hex(&query_all_response(&["bob"])),
            "0b10071a0708034a03626f62"
        );
        assert_eq!(
            hex(&query_all_response(&["alice", "bob"])),
            "1210071a0e08034a05616c6963654a03626f62"
        );
        assert_eq!(
            hex(&query_all_response(&["alice", "bob", "open"])),
            "1810071a1408034a05616c6963654a03626f624a046f70656e"
        );
        let owned = vec!["v2alice".to_owned()];
        assert_eq!(
            hex(&query_all_response(&owned)),
            "0f10071a0b08034a077632616c696365"
        );
        assert_eq!(hex(&query_all_response(NO_NAMES)), "0610071a020803");
    }

    #[test]
    fn query_responses_match_the_real_server() {
        assert_eq!(
            hex(&query_response_for(
                "0",
                &[
                    ("alice", true),
                    ("bob", true),
                    ("carol", false),
                    ("nobody", false)
                ]
            )),
            "4110071a3d080522367b22616c696365223a747275652c22626f62223a747275652c22\
             6361726f6c223a66616c73652c226e6f626f6479223a66616c73657d2a0130"
        );
        assert_eq!(
            hex(&query_response_for(
                "wq",
                &[("alice", true), ("bob", true), ("zed", false)]
            )),
            "3110071a2d080522257b22616c696365223a747275652c22626f62223a747275652c22\
             7a6564223a66616c73657d2a027771"
        );
        assert_eq!(
            hex(&query_response_for("0", &[("open", true), ("OPEN", false)])),
            "2510071a210805221a7b226f70656e223a747275652c224f50454e223a66616c73657d2a0130"
        );
        assert_eq!(
            hex(&query_response("0", "{\"bob\":true}")),
            "1710071a130805220c7b22626f62223a747275657d2a0130"
        );
        let nothing: &[(&str, bool)] = &[];
        assert_eq!(
            hex(&query_response_for("q-empty", nothing)),
            "1310071a0f080522027b7d2a07712d656d707479"
        );
        assert_eq!(
            hex(&query_response_for("q-self", &[("dave", true)])),
            "1d10071a190805220d7b2264617665223a747275657d2a06712d73656c66"
        );
    }

    #[test]
    fn denials_match_the_real_server() {
        use PresenceAction::*;
        assert_eq!(hex(&denied(QueryAll, "", None)), "0a10071a06086618023001");
        assert_eq!(
            hex(&denied(SubscribeAll, "", None)),
            "0a10071a060866180c3001"
        );
        assert_eq!(
            hex(&denied(Query, "q1", Some("bob"))),
            "1310071a0f086618042a02713130014203626f62"
        );
        assert_eq!(
            hex(&denied(Query, "q1", None)),
            "0e10071a0a086618042a0271313001"
        );
        assert_eq!(
            hex(&denied(Subscribe, "s1", Some("bob"))),
            "1310071a0f0866180a2a02733130014203626f62"
        );
    }

    #[test]
    fn multiple_subscriptions_match_the_real_server() {
        assert_eq!(
            hex(&multiple_subscriptions(
                PresenceAction::SubscribeAll,
                EVERYONE
            )),
            "1610071a120867180c420c255f45564552594f4e455f25"
        );
        assert_eq!(
            hex(&multiple_subscriptions(PresenceAction::Subscribe, "erin")),
            "0e10071a0a0867180a42046572696e"
        );
    }

    #[test]
    fn error_sets_every_reply_field() {
        let frame = error(
            PresenceAction::InvalidPresenceUsers,
            PresenceAction::Query,
            "q",
            "\"bad\"",
        );
        let expected = PresenceMessage {
            action: PresenceAction::InvalidPresenceUsers as i32,
            original_action: PresenceAction::Query as i32,
            data: "\"bad\"".to_owned(),
            correlation_id: "q".to_owned(),
            is_error: true,
            ..Default::default()
        };
        assert_eq!(frame, encode_frame(Topic::Presence, &expected));
    }

    #[test]
    fn requests_match_the_official_client() {
        use PresenceAction::*;
        assert_eq!(hex(&request(QueryAll, "", NO_NAMES)), "0610071a020802");
        assert_eq!(hex(&request(SubscribeAll, "", NO_NAMES)), "0610071a02080c");
        assert_eq!(
            hex(&request(UnsubscribeAll, "", NO_NAMES)),
            "0610071a02080d"
        );
        assert_eq!(
            hex(&request(Query, "0", &["alice", "bob", "carol", "nobody"])),
            "2410071a2008042a01304a05616c6963654a03626f624a056361726f6c4a066e6f626f6479"
        );
        assert_eq!(
            hex(&request(Subscribe, "w1", &["alice", "bob"])),
            "1610071a12080a2a0277314a05616c6963654a03626f62"
        );
        assert_eq!(
            hex(&request(Unsubscribe, "1", &["alice"])),
            "1010071a0c080b2a01314a05616c696365"
        );
        assert_eq!(
            hex(&request(Subscribe, "s3", NO_NAMES)),
            "0a10071a06080a2a027333"
        );
    }
}
