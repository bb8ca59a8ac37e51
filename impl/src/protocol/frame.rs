//! Turning WebSocket binary frames into messages, and messages into frames.
//!
//! A frame carries one length-delimited envelope:
//!
//! ```text
//! 0b | 10 07 | 1a 07 | 08 03 4a 03 62 6f 62
//! ^    ^       ^       ^
//! |    |       |       inner PresenceMessage: action 3 (QUERY_ALL_RESPONSE), names ["bob"]
//! |    |       field 3 `message`, 7 bytes long
//! |    field 2 `topic` = 7 (PRESENCE)
//! length of the envelope (11 bytes), as a varint
//! ```
//!
//! Decoding therefore runs in four steps, each with its own [`DecodeError`]: read the varint
//! length, check that many bytes are there, decode the envelope ([`Message`]), then decode the
//! inner bytes as the message type of the envelope's topic. Anything after the announced length
//! is ignored: the real server reads only the first message of a frame.
//!
//! Encoding is the reverse, done in a single pass into a buffer allocated at its final size.

use bytes::Bytes;
use prost::Message as _;

use super::actions::Topic;
use super::error::DecodeError;
use super::messages::{AuthMessage, ConnectionMessage, Message, ParserMessage, PresenceMessage};
use super::wire;

/// A decoded frame: the inner message, typed by its topic.
///
/// The server receives [`Incoming::Connection`], [`Incoming::Auth`] and [`Incoming::Presence`]
/// from clients; a client receives those and [`Incoming::Parser`] from the server. Messages of
/// the topics rollcall does not serve (EVENT, RECORD, RPC...) are not decoded further, but are
/// reported as [`Incoming::Other`] so that they can be answered with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A CONNECTION message: challenge, ping, accept...
    Connection(ConnectionMessage),
    /// An AUTH message: login request or its outcome.
    Auth(AuthMessage),
    /// A PARSER message: the server's complaint about an unreadable frame.
    Parser(ParserMessage),
    /// A PRESENCE message: query, subscription, reply or event.
    Presence(PresenceMessage),
    /// A message of a valid topic that rollcall does not serve; its body is not decoded.
    Other {
        /// The envelope's topic ([`Topic`] as a raw number), never PARSER, CONNECTION, AUTH,
        /// PRESENCE or UNKNOWN.
        topic: i32,
    },
}

/// What [`decode_frame`] returns; another name for [`Incoming`].
pub type DecodedMessage = Incoming;

impl Incoming {
    /// The topic the message arrived on.
    pub fn topic(&self) -> Topic {
        match self {
            Incoming::Connection(_) => Topic::Connection,
            Incoming::Auth(_) => Topic::Auth,
            Incoming::Parser(_) => Topic::Parser,
            Incoming::Presence(_) => Topic::Presence,
            Incoming::Other { topic } => Topic::try_from(*topic).unwrap_or(Topic::Unknown),
        }
    }
}

/// Encodes `inner`, a message of `topic`, as a complete WebSocket frame.
///
/// This is the general encoder, for any message struct; the functions of
/// [`connection`](super::connection), [`auth`](super::auth), [`parser`](super::parser) and
/// [`presence`](super::presence) build the frames the protocol actually uses. The output has
/// exactly the bytes prost's `encode_length_delimited` would give for the envelope, written
/// into one buffer of the right size.
pub fn encode_frame(topic: Topic, inner: &impl prost::Message) -> Bytes {
    wire::write_frame(topic, inner.encoded_len(), |buf| {
        // A `BytesMut` grows on demand, so prost cannot run out of room here.
        let encoded = inner.encode(buf);
        debug_assert!(encoded.is_ok(), "BytesMut refused to grow");
    })
}

/// Decodes the first message of a WebSocket binary frame.
///
/// Bytes after the first message are ignored. Never panics, whatever the input: every defect
/// is reported as a [`DecodeError`], which the server answers with `PARSER/UNKNOWN_TOPIC`.
/// Unknown action numbers are not an error here; they stay in the message's `action` field
/// for the caller to judge.
pub fn decode_frame(frame: &[u8]) -> Result<Incoming, DecodeError> {
    if frame.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut rest = frame;
    let declared = prost::decode_length_delimiter(&mut rest).map_err(DecodeError::BadLength)?;
    let envelope = rest.get(..declared).ok_or(DecodeError::Truncated {
        declared,
        available: rest.len(),
    })?;
    let envelope = Message::decode(envelope).map_err(DecodeError::NotProtobuf)?;

    let topic = match Topic::try_from(envelope.topic) {
        Ok(Topic::Unknown) | Err(_) => return Err(DecodeError::UnknownTopic(envelope.topic)),
        Ok(topic) => topic,
    };
    let body = envelope.message.as_slice();
    Ok(match topic {
        Topic::Connection => Incoming::Connection(decode_body(topic, body)?),
        Topic::Auth => Incoming::Auth(decode_body(topic, body)?),
        Topic::Parser => Incoming::Parser(decode_body(topic, body)?),
        Topic::Presence => Incoming::Presence(decode_body(topic, body)?),
        other => Incoming::Other {
            topic: other as i32,
        },
    })
}

/// Decodes the inner bytes of a `topic` envelope as message type `M`.
fn decode_body<M: prost::Message + Default>(topic: Topic, body: &[u8]) -> Result<M, DecodeError> {
    M::decode(body).map_err(|source| DecodeError::InvalidBody { topic, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::actions::{AuthAction, ConnectionAction, PresenceAction};
    use crate::protocol::testutil::{hex, unhex};

    fn decode(frame_hex: &str) -> Result<Incoming, DecodeError> {
        decode_frame(&unhex(frame_hex))
    }

    fn presence(frame_hex: &str) -> PresenceMessage {
        match decode(frame_hex) {
            Ok(Incoming::Presence(message)) => message,
            other => panic!("{frame_hex}: expected a presence message, got {other:?}"),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    /// Every client->server frame of the transcripts that rollcall must understand.
    const CLIENT_FRAMES: &[&str] = &[
        // CONNECTION/CHALLENGE from @deepstream/client 7.0.5, from a raw client, and empty.
        "3f10021a3b08052a1e77733a2f2f3132372e302e302e313a373030312f6465657073747265616d3204302e3161\
         3a05372e302e35420a6a617661736372697074",
        "3b10021a3708052a1e77733a2f2f3132372e302e302e313a363032302f6465657073747265616d3204302e3161\
         3a0372617742087261772d6e6f6465",
        "0610021a020805",
        // CONNECTION/PING
        "0610021a020802",
        // AUTH/REQUEST
        "1c10031a18080212147b22757365726e616d65223a22616c696365227d",
        "0a10031a06080212027b7d",
        "1010031a0c080212086e6f74206a736f6e",
        "2610031a220802121e2261206a736f6e20737472696e672c206e6f7420616e206f626a65637422",
        // PRESENCE requests
        "0610071a020802",
        "0f10071a0b08022a07712d616c6c2d31",
        "2410071a2008042a01304a05616c6963654a03626f624a056361726f6c4a066e6f626f6479",
        "0f10071a0b08042a07712d656d707479",
        "1a10071a1608042a06712d73656c664a04646176654a0464617665",
        "0610071a02080c",
        "0610071a02080d",
        "1010071a0c080a2a01304a05616c696365",
        "1610071a12080a2a0277314a05616c6963654a03626f62",
        "0a10071a06080a2a027333",
        "1810071a14080a2a0265764a0c255f45564552594f4e455f25",
        "1010071a0c080b2a01314a05616c696365",
        "1c10071a18080b2a0275314a106e657665722d73756273637269626564",
        "0910071a050806420178",
        "0610071a020837",
    ];

    #[test]
    fn client_frames_round_trip_byte_for_byte() {
        for frame_hex in CLIENT_FRAMES {
            let decoded = decode(frame_hex);
            let reencoded = match &decoded {
                Ok(Incoming::Connection(m)) => encode_frame(Topic::Connection, m),
                Ok(Incoming::Auth(m)) => encode_frame(Topic::Auth, m),
                Ok(Incoming::Presence(m)) => encode_frame(Topic::Presence, m),
                other => panic!("{frame_hex}: unexpected {other:?}"),
            };
            assert_eq!(&hex(&reencoded), frame_hex);
        }
    }

    #[test]
    fn challenge_of_the_official_client() {
        let decoded = decode(CLIENT_FRAMES[0]);
        let expected = ConnectionMessage {
            action: ConnectionAction::Challenge as i32,
            url: "ws://127.0.0.1:7001/deepstream".to_owned(),
            protocol_version: "0.1a".to_owned(),
            sdk_version: "7.0.5".to_owned(),
            sdk_type: "javascript".to_owned(),
            ..Default::default()
        };
        assert_eq!(decoded, Ok(Incoming::Connection(expected)));
    }

    #[test]
    fn challenge_without_fields_and_ping() {
        let Ok(Incoming::Connection(challenge)) = decode("0610021a020805") else {
            panic!("not a connection message");
        };
        assert_eq!(challenge.action(), ConnectionAction::Challenge);
        assert!(challenge.url.is_empty());
        let Ok(Incoming::Connection(ping)) = decode("0610021a020802") else {
            panic!("not a connection message");
        };
        assert_eq!(ping.action(), ConnectionAction::Ping);
    }

    #[test]
    fn auth_requests() {
        let expected = AuthMessage {
            action: AuthAction::Request as i32,
            data: r#"{"username":"alice"}"#.to_owned(),
            ..Default::default()
        };
        assert_eq!(
            decode("1c10031a18080212147b22757365726e616d65223a22616c696365227d"),
            Ok(Incoming::Auth(expected))
        );
        let Ok(Incoming::Auth(not_json)) = decode("1010031a0c080212086e6f74206a736f6e") else {
            panic!("not an auth message");
        };
        assert_eq!(not_json.data, "not json");
    }

    #[test]
    fn presence_queries() {
        let query_all = presence("0610071a020802");
        assert_eq!(query_all.action(), PresenceAction::QueryAll);
        assert!(query_all.correlation_id.is_empty() && query_all.names.is_empty());

        let with_id = presence("0f10071a0b08022a07712d616c6c2d31");
        assert_eq!(with_id.action(), PresenceAction::QueryAll);
        assert_eq!(with_id.correlation_id, "q-all-1");

        let query = presence(CLIENT_FRAMES[10]);
        assert_eq!(query.action(), PresenceAction::Query);
        assert_eq!(query.correlation_id, "0");
        assert_eq!(query.names, names(&["alice", "bob", "carol", "nobody"]));

        let empty = presence("0f10071a0b08042a07712d656d707479");
        assert_eq!(empty.correlation_id, "q-empty");
        assert!(empty.names.is_empty());

        let duplicates = presence("1a10071a1608042a06712d73656c664a04646176654a0464617665");
        assert_eq!(duplicates.names, names(&["dave", "dave"]));
    }

    #[test]
    fn presence_subscriptions() {
        let all = presence("0610071a02080c");
        assert_eq!(all.action(), PresenceAction::SubscribeAll);
        let none = presence("0610071a02080d");
        assert_eq!(none.action(), PresenceAction::UnsubscribeAll);

        let subscribe = presence("1610071a12080a2a0277314a05616c6963654a03626f62");
        assert_eq!(subscribe.action(), PresenceAction::Subscribe);
        assert_eq!(subscribe.correlation_id, "w1");
        assert_eq!(subscribe.names, names(&["alice", "bob"]));

        let no_names = presence("0a10071a06080a2a027333");
        assert_eq!(no_names.correlation_id, "s3");
        assert!(no_names.names.is_empty());

        let everyone = presence("1810071a14080a2a0265764a0c255f45564552594f4e455f25");
        assert_eq!(everyone.names, names(&["%_EVERYONE_%"]));

        let unsubscribe = presence("1c10071a18080b2a0275314a106e657665722d73756273637269626564");
        assert_eq!(unsubscribe.action(), PresenceAction::Unsubscribe);
        assert_eq!(unsubscribe.correlation_id, "u1");
        assert_eq!(unsubscribe.names, names(&["never-subscribed"]));
    }

    #[test]
    fn server_only_and_unknown_actions_still_decode() {
        let join = presence("0910071a050806420178");
        assert_eq!(join.action(), PresenceAction::PresenceJoin);
        assert_eq!(join.name, "x");

        let unknown = presence("0610071a020837");
        assert_eq!(unknown.action, 55);
        assert_eq!(unknown.action(), PresenceAction::Unknown);
    }

    #[test]
    fn unknown_topic_with_empty_body() {
        assert_eq!(decode("04102a1a00"), Err(DecodeError::UnknownTopic(42)));
    }

    #[test]
    fn garbage_is_a_bad_length() {
        assert!(matches!(decode("ffffff"), Err(DecodeError::BadLength(_))));
    }

    #[test]
    fn only_the_first_message_of_a_frame_is_read() {
        let first = presence("0610071a0208021410071a1008042a067365636f6e644a0467696e61");
        assert_eq!(first.action(), PresenceAction::QueryAll);
        assert!(first.correlation_id.is_empty() && first.names.is_empty());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        assert_eq!(
            decode("0610071a0208"),
            Err(DecodeError::Truncated {
                declared: 6,
                available: 5
            })
        );
        // Length 2, then a key with wire type 7, which does not exist.
        assert!(matches!(decode("020f00"), Err(DecodeError::NotProtobuf(_))));
        // An envelope without a topic.
        assert_eq!(decode("00"), Err(DecodeError::UnknownTopic(0)));
        assert_eq!(decode("021000"), Err(DecodeError::UnknownTopic(0)));
        // A negative topic (ten-byte varint).
        assert_eq!(
            decode("0b10ffffffffffffffffff01"),
            Err(DecodeError::UnknownTopic(-1))
        );
        // A presence body that is not a PresenceMessage: field 4 (data) with invalid UTF-8.
        assert!(matches!(
            decode("0810071a042202c328"),
            Err(DecodeError::InvalidBody {
                topic: Topic::Presence,
                ..
            })
        ));
    }

    #[test]
    fn topics_not_served_are_reported_as_other() {
        // An EVENT and a RECORD message: bodies are not looked at.
        assert_eq!(decode("0610041a020801"), Ok(Incoming::Other { topic: 4 }));
        assert_eq!(decode("0610051a02ffff"), Ok(Incoming::Other { topic: 5 }));
        assert_eq!(decode("021064"), Ok(Incoming::Other { topic: 100 }));
        assert_eq!(
            decode("0610051a020801").map(|m| m.topic()),
            Ok(Topic::Record)
        );
    }

    #[test]
    fn a_missing_body_is_an_empty_message() {
        let bare = presence("021007");
        assert_eq!(bare, PresenceMessage::default());
    }

    #[test]
    fn server_frames_decode_too() {
        let Ok(Incoming::Parser(unknown_topic)) = decode("0610011a020801") else {
            panic!("not a parser message");
        };
        assert_eq!(unknown_topic.action, 1);
        let denied = presence("1310071a0f0866180a2a02733130014203626f62");
        assert_eq!(denied.action(), PresenceAction::MessageDenied);
        assert_eq!(denied.original_action, PresenceAction::Subscribe as i32);
        assert!(denied.is_error);
        assert_eq!(denied.name, "bob");
    }

    /// A tiny deterministic pseudo-random generator (xorshift64*), enough to shake the decoder.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }
    }

    #[test]
    fn never_panics_on_random_or_mangled_input() {
        let seeds: Vec<Vec<u8>> = CLIENT_FRAMES
            .iter()
            .map(|frame_hex| unhex(frame_hex))
            .chain(
                [
                    "0610011a020801",
                    "1310071a0f0866180a2a02733130014203626f62",
                    "0610071a0208021410071a1008042a067365636f6e644a0467696e61",
                ]
                .iter()
                .map(|frame_hex| unhex(frame_hex)),
            )
            .collect();
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut decoded = 0usize;
        for round in 0..100_000 {
            let input: Vec<u8> = match round % 4 {
                // Pure noise, mostly short.
                0 => (0..rng.below(48)).map(|_| rng.next() as u8).collect(),
                // A real frame cut short.
                1 => {
                    let seed = &seeds[rng.below(seeds.len())];
                    seed[..rng.below(seed.len() + 1)].to_vec()
                }
                // A real frame with a few bytes overwritten, inserted or removed.
                _ => {
                    let mut bytes = seeds[rng.below(seeds.len())].clone();
                    for _ in 0..=rng.below(4) {
                        let at = rng.below(bytes.len() + 1);
                        match rng.below(3) {
                            0 if at < bytes.len() => bytes[at] = rng.next() as u8,
                            1 => bytes.insert(at, rng.next() as u8),
                            _ if at < bytes.len() => {
                                bytes.remove(at);
                            }
                            _ => {}
                        }
                    }
                    bytes
                }
            };
            if decode_frame(&input).is_ok() {
                decoded += 1;
            }
        }
        // Sanity check that the mutations did not only produce rejected input.
        assert!(decoded > 1_000, "only {decoded} inputs decoded");
    }
}
