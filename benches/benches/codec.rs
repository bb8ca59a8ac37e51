//! Codec: encoding and decoding of every presence message.
//!
//! * `encode/rollcall/<message>`: rollcall's borrowed-field encoders
//!   (`rollcall::protocol::presence`), which write the frame in one pass into one buffer of
//!   the exact size. Baseline `encode/prost/<message>`: the straightforward way, filling a
//!   prost `PresenceMessage` (copying every string into it) and encoding it with
//!   `encode_frame`. Both give the same bytes.
//! * `decode/rollcall/<message>`: `decode_frame`, envelope then body, as the server and the
//!   client read every frame. Baseline `decode/prost-body/<message>`: prost decoding the inner
//!   `PresenceMessage` alone, a lower bound that skips the envelope and its checks.
//!
//! Messages: the four events, the four acks, getAll answers of 10 and 1 000 names, a getAll
//! answer of 100 names, a denial, a MULTIPLE_SUBSCRIPTIONS notice, an error, and the six client
//! requests.
//!
//! ```text
//! cargo bench -p rollcall-benches --bench codec
//! ```

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use prost::Message as _;
use rollcall::protocol::{
    decode_frame, encode_frame, presence, Message, PresenceAction, PresenceMessage, Topic,
};

/// One message: how rollcall encodes it, and the same message as a prost struct.
struct Case {
    name: &'static str,
    encode: Box<dyn Fn() -> Bytes>,
    message: PresenceMessage,
}

fn names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

fn message(action: PresenceAction) -> PresenceMessage {
    PresenceMessage {
        action: action as i32,
        ..Default::default()
    }
}

fn cases() -> Vec<Case> {
    use PresenceAction::*;
    let mut cases = Vec::new();
    let user = "user-4711";
    for (name, action) in [
        ("event JOIN_ALL", PresenceJoinAll),
        ("event JOIN", PresenceJoin),
        ("event LEAVE_ALL", PresenceLeaveAll),
        ("event LEAVE", PresenceLeave),
    ] {
        cases.push(Case {
            name,
            encode: Box::new(move || presence::event(action, user)),
            message: PresenceMessage {
                name: user.into(),
                ..message(action)
            },
        });
    }
    for (name, action, id) in [
        ("ack SUBSCRIBE_ALL", SubscribeAll, ""),
        ("ack UNSUBSCRIBE_ALL", UnsubscribeAll, ""),
        ("ack SUBSCRIBE", Subscribe, "s1"),
        ("ack UNSUBSCRIBE", Unsubscribe, "u1"),
    ] {
        cases.push(Case {
            name,
            encode: Box::new(move || presence::ack(action, id)),
            message: PresenceMessage {
                correlation_id: id.into(),
                is_ack: true,
                ..message(action)
            },
        });
    }
    for (name, count) in [
        ("QUERY_ALL_RESPONSE 10 names", 10),
        ("QUERY_ALL_RESPONSE 1000 names", 1000),
    ] {
        let list = names("user", count);
        cases.push(Case {
            name,
            encode: Box::new({
                let list = list.clone();
                move || presence::query_all_response(&list)
            }),
            message: PresenceMessage {
                names: list,
                ..message(QueryAllResponse)
            },
        });
    }
    let results: Vec<(String, bool)> = names("user", 100)
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, i % 2 == 0))
        .collect();
    cases.push(Case {
        name: "QUERY_RESPONSE 100 names",
        encode: Box::new({
            let results = results.clone();
            move || presence::query_response_for("q1", &results)
        }),
        message: PresenceMessage {
            data: rollcall::protocol::query_response_json(&results),
            correlation_id: "q1".into(),
            ..message(QueryResponse)
        },
    });
    cases.push(Case {
        name: "MESSAGE_DENIED",
        encode: Box::new(|| presence::denied(Query, "q1", Some("bob"))),
        message: PresenceMessage {
            original_action: Query as i32,
            correlation_id: "q1".into(),
            is_error: true,
            name: "bob".into(),
            ..message(MessageDenied)
        },
    });
    cases.push(Case {
        name: "MULTIPLE_SUBSCRIPTIONS",
        encode: Box::new(|| presence::multiple_subscriptions(Subscribe, "erin")),
        message: PresenceMessage {
            original_action: Subscribe as i32,
            name: "erin".into(),
            ..message(MultipleSubscriptions)
        },
    });
    cases.push(Case {
        name: "INVALID_PRESENCE_USERS",
        encode: Box::new(|| presence::error(InvalidPresenceUsers, Query, "q", "\"bad name\"")),
        message: PresenceMessage {
            original_action: Query as i32,
            data: "\"bad name\"".into(),
            correlation_id: "q".into(),
            is_error: true,
            ..message(InvalidPresenceUsers)
        },
    });
    let none: &[&str] = &[];
    for (name, action, id, count) in [
        ("request QUERY_ALL", QueryAll, "", 0),
        ("request QUERY 100 names", Query, "0", 100),
        ("request SUBSCRIBE 10 names", Subscribe, "1", 10),
        ("request UNSUBSCRIBE 10 names", Unsubscribe, "2", 10),
        ("request SUBSCRIBE_ALL", SubscribeAll, "", 0),
        ("request UNSUBSCRIBE_ALL", UnsubscribeAll, "", 0),
    ] {
        let list = names("user", count);
        cases.push(Case {
            name,
            encode: Box::new({
                let list = list.clone();
                move || {
                    if list.is_empty() {
                        presence::request(action, id, none)
                    } else {
                        presence::request(action, id, &list)
                    }
                }
            }),
            message: PresenceMessage {
                correlation_id: id.into(),
                names: list,
                ..message(action)
            },
        });
    }
    cases
}

fn codec(c: &mut Criterion) {
    let cases = cases();
    let mut encode = c.benchmark_group("codec/encode");
    for case in &cases {
        let frame = (case.encode)();
        assert_eq!(
            frame,
            encode_frame(Topic::Presence, &case.message),
            "{}: rollcall and prost disagree",
            case.name
        );
        encode.bench_function(BenchmarkId::new("rollcall", case.name), |b| {
            b.iter(|| black_box((case.encode)()))
        });
        encode.bench_function(BenchmarkId::new("prost", case.name), |b| {
            b.iter(|| {
                let message = black_box(&case.message).clone();
                black_box(encode_frame(Topic::Presence, &message))
            })
        });
    }
    encode.finish();

    let mut decode = c.benchmark_group("codec/decode");
    for case in &cases {
        let frame = (case.encode)();
        let body = Message::decode_length_delimited(&frame[..])
            .expect("an envelope")
            .message;
        decode.bench_function(BenchmarkId::new("rollcall", case.name), |b| {
            b.iter(|| black_box(decode_frame(black_box(&frame))))
        });
        decode.bench_function(BenchmarkId::new("prost-body", case.name), |b| {
            b.iter(|| black_box(PresenceMessage::decode(black_box(&body[..]))))
        });
    }
    decode.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1));
    targets = codec
}
criterion_main!(benches);
