//! One test (at least) per rule of SPEC.md, named after the rule it checks.

use crate::*;

const HOMER: ConnId = ConnId(1);
const MARGE: ConnId = ConnId(2);
const LISA: ConnId = ConnId(3);
const MARGE_PHONE: ConnId = ConnId(4);

fn s(name: &str) -> String {
    name.to_string()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| s(n)).collect()
}

fn login(model: &mut Model, conn: ConnId, user: &str) -> Vec<Delivery> {
    model.apply(Input::Open(conn));
    model.apply(Input::Login {
        conn,
        user: Some(s(user)),
    })
}

fn to(conn: ConnId, message: Message) -> Delivery {
    Delivery { to: conn, message }
}

fn query_all(model: &mut Model, conn: ConnId) -> Vec<Delivery> {
    model.apply(Input::QueryAll {
        conn,
        correlation_id: None,
    })
}

fn all_result(conn: ConnId, users: &[&str]) -> Vec<Delivery> {
    vec![to(
        conn,
        Message::QueryAllResult {
            correlation_id: None,
            users: names(users),
        },
    )]
}

fn subscribe(model: &mut Model, conn: ConnId, list: &[&str]) -> Vec<Delivery> {
    model.apply(Input::Subscribe {
        conn,
        correlation_id: s("c"),
        names: names(list),
    })
}

#[test]
fn r1_inputs_on_unknown_connections_are_ignored() {
    let mut model = Model::default();
    let ghost = ConnId(99);
    for input in [
        Input::Login {
            conn: ghost,
            user: Some(s("homer")),
        },
        Input::SubscribeAll { conn: ghost },
        Input::UnsubscribeAll { conn: ghost },
        Input::Subscribe {
            conn: ghost,
            correlation_id: s("1"),
            names: names(&["a"]),
        },
        Input::Unsubscribe {
            conn: ghost,
            correlation_id: s("1"),
            names: names(&["a"]),
        },
        Input::QueryAll {
            conn: ghost,
            correlation_id: None,
        },
        Input::Query {
            conn: ghost,
            correlation_id: s("1"),
            names: names(&["a"]),
        },
        Input::Close(ghost),
    ] {
        assert_eq!(model.apply(input), vec![]);
    }
    assert!(model.is_empty());
}

#[test]
fn r1_reopening_an_open_connection_changes_nothing() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::Open(HOMER));
    assert_eq!(model.online(), [s("homer")].into());
}

#[test]
fn r3_login_rejections() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    let again = model.apply(Input::Login {
        conn: HOMER,
        user: Some(s("marge")),
    });
    let reason = Rejection::AlreadyLoggedIn;
    let rejected = Message::Rejected {
        request: Request::Login,
        correlation_id: None,
        reason,
    };
    assert_eq!(again, vec![to(HOMER, rejected)]);
    assert_eq!(model.online(), [s("homer")].into());

    let out = login(&mut model, MARGE, "");
    let reason = Rejection::InvalidName {
        name: s(""),
        error: NameError::Empty,
    };
    let rejected = Message::Rejected {
        request: Request::Login,
        correlation_id: None,
        reason,
    };
    assert_eq!(out, vec![to(MARGE, rejected)]);
    // The connection stays open and may log in properly afterwards.
    let out = model.apply(Input::Login {
        conn: MARGE,
        user: Some(s("marge")),
    });
    assert_eq!(out, vec![to(MARGE, Message::LoggedIn)]);
}

#[test]
fn r4_anonymous_sessions_are_never_visible() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    model.apply(Input::Open(MARGE));
    let out = model.apply(Input::Login {
        conn: MARGE,
        user: None,
    });
    assert_eq!(out, vec![to(MARGE, Message::LoggedIn)]);
    assert_eq!(query_all(&mut model, HOMER), all_result(HOMER, &[]));
    assert_eq!(model.apply(Input::Close(MARGE)), vec![]);
}

#[test]
fn r4_r8_anonymous_callers_see_everyone_by_default() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::Open(LISA));
    model.apply(Input::Login {
        conn: LISA,
        user: None,
    });
    assert_eq!(query_all(&mut model, LISA), all_result(LISA, &["homer"]));
}

#[test]
fn r5_only_the_first_session_is_a_join() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    let first = login(&mut model, MARGE, "marge");
    assert_eq!(
        first,
        vec![
            to(MARGE, Message::LoggedIn),
            to(HOMER, Message::JoinAll(s("marge")))
        ]
    );
    let second = login(&mut model, MARGE_PHONE, "marge");
    assert_eq!(second, vec![to(MARGE_PHONE, Message::LoggedIn)]);
}

#[test]
fn r6_only_the_last_close_is_a_leave() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    subscribe(&mut model, HOMER, &["marge"]);
    login(&mut model, MARGE, "marge");
    login(&mut model, MARGE_PHONE, "marge");
    assert_eq!(model.apply(Input::Close(MARGE)), vec![]);
    assert_eq!(
        model.apply(Input::Close(MARGE_PHONE)),
        vec![to(HOMER, Message::Leave(s("marge")))]
    );
}

#[test]
fn r6_a_closing_connection_gets_nothing_about_its_own_leave() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    subscribe(&mut model, HOMER, &["homer"]);
    login(&mut model, MARGE, "marge");
    subscribe(&mut model, MARGE, &["homer"]);
    assert_eq!(
        model.apply(Input::Close(HOMER)),
        vec![to(MARGE, Message::Leave(s("homer")))]
    );
}

#[test]
fn r7_subscribers_of_all_hear_first_then_subscribers_of_the_user() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    login(&mut model, LISA, "lisa");
    subscribe(&mut model, HOMER, &["marge"]);
    model.apply(Input::SubscribeAll { conn: HOMER });
    model.apply(Input::SubscribeAll { conn: LISA });
    let out = login(&mut model, MARGE, "marge");
    assert_eq!(
        out,
        vec![
            to(MARGE, Message::LoggedIn),
            to(HOMER, Message::JoinAll(s("marge"))),
            to(LISA, Message::JoinAll(s("marge"))),
            to(HOMER, Message::Join(s("marge"))),
        ]
    );
    let out = model.apply(Input::Close(MARGE));
    assert_eq!(
        out,
        vec![
            to(HOMER, Message::LeaveAll(s("marge"))),
            to(LISA, Message::LeaveAll(s("marge"))),
            to(HOMER, Message::Leave(s("marge"))),
        ]
    );
}

#[test]
fn r8_get_all_excludes_caller_and_is_sorted() {
    let mut model = Model::default();
    login(&mut model, LISA, "lisa");
    login(&mut model, MARGE, "marge");
    login(&mut model, HOMER, "homer");
    assert_eq!(
        query_all(&mut model, MARGE),
        all_result(MARGE, &["homer", "lisa"])
    );
    let out = model.apply(Input::QueryAll {
        conn: MARGE,
        correlation_id: Some(s("q")),
    });
    let users = names(&["homer", "lisa"]);
    let result = Message::QueryAllResult {
        correlation_id: Some(s("q")),
        users,
    };
    assert_eq!(out, vec![to(MARGE, result)]);
}

#[test]
fn r9_get_all_of_names_includes_caller_and_collapses_duplicates() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    login(&mut model, MARGE, "marge");
    let out = model.apply(Input::Query {
        conn: HOMER,
        correlation_id: s("q"),
        names: names(&["lisa", "homer", "marge", "lisa"]),
    });
    let online = vec![(s("lisa"), false), (s("homer"), true), (s("marge"), true)];
    assert_eq!(
        out,
        vec![to(
            HOMER,
            Message::QueryResult {
                correlation_id: s("q"),
                online
            }
        )]
    );
    let empty = model.apply(Input::Query {
        conn: HOMER,
        correlation_id: s("e"),
        names: vec![],
    });
    let result = Message::QueryResult {
        correlation_id: s("e"),
        online: vec![],
    };
    assert_eq!(empty, vec![to(HOMER, result)]);
}

fn friends_only() -> Visibility {
    let mut visibility = Visibility {
        unlisted_sees_everyone: false,
        ..Visibility::default()
    };
    visibility.lists.insert(s("homer"), [s("marge")].into());
    visibility
}

#[test]
fn r9_r14_invisible_names_are_denied_and_the_rest_served() {
    let mut model = Model::new(Limits::default(), friends_only());
    login(&mut model, HOMER, "homer");
    login(&mut model, MARGE, "marge");
    login(&mut model, LISA, "lisa");
    let out = model.apply(Input::Query {
        conn: HOMER,
        correlation_id: s("q"),
        names: names(&["lisa", "marge", "homer"]),
    });
    let denied = Message::Denied {
        request: Request::Query,
        correlation_id: s("q"),
        name: s("lisa"),
    };
    let online = vec![(s("marge"), true), (s("homer"), true)];
    let result = Message::QueryResult {
        correlation_id: s("q"),
        online,
    };
    assert_eq!(out, vec![to(HOMER, denied), to(HOMER, result)]);
}

#[test]
fn r10_repeated_subscribe_all_is_noted_and_acked() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    let first = model.apply(Input::SubscribeAll { conn: HOMER });
    assert_eq!(first, vec![to(HOMER, Message::SubscribeAllAck)]);
    let second = model.apply(Input::SubscribeAll { conn: HOMER });
    let noted = Message::AlreadySubscribed { name: None };
    assert_eq!(
        second,
        vec![to(HOMER, noted), to(HOMER, Message::SubscribeAllAck)]
    );
}

#[test]
fn r11_subscribe_notes_repeats_and_acks_once() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    subscribe(&mut model, HOMER, &["erin"]);
    let out = subscribe(&mut model, HOMER, &["erin", "frank", "frank"]);
    let noted = Message::AlreadySubscribed {
        name: Some(s("erin")),
    };
    let ack = Message::SubscribeAck {
        correlation_id: s("c"),
    };
    assert_eq!(out, vec![to(HOMER, noted), to(HOMER, ack.clone())]);
    assert_eq!(subscribe(&mut model, HOMER, &[]), vec![to(HOMER, ack)]);
}

#[test]
fn r11_r14_subscribe_denies_invisible_names_and_serves_the_rest() {
    let mut model = Model::new(Limits::default(), friends_only());
    login(&mut model, HOMER, "homer");
    let out = subscribe(&mut model, HOMER, &["lisa", "marge"]);
    let denied = Message::Denied {
        request: Request::Subscribe,
        correlation_id: s("c"),
        name: s("lisa"),
    };
    let ack = Message::SubscribeAck {
        correlation_id: s("c"),
    };
    assert_eq!(out, vec![to(HOMER, denied), to(HOMER, ack)]);
    let out = login(&mut model, MARGE, "marge");
    assert_eq!(
        out,
        vec![
            to(MARGE, Message::LoggedIn),
            to(HOMER, Message::Join(s("marge")))
        ]
    );
    assert_eq!(
        login(&mut model, LISA, "lisa"),
        vec![to(LISA, Message::LoggedIn)]
    );
}

#[test]
fn r12_unsubscribe_is_silent_for_unknown_names_and_always_acked() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    subscribe(&mut model, HOMER, &["marge"]);
    let out = model.apply(Input::Unsubscribe {
        conn: HOMER,
        correlation_id: s("u"),
        names: names(&["marge", "never"]),
    });
    assert_eq!(
        out,
        vec![to(
            HOMER,
            Message::UnsubscribeAck {
                correlation_id: s("u")
            }
        )]
    );
    assert_eq!(
        login(&mut model, MARGE, "marge"),
        vec![to(MARGE, Message::LoggedIn)]
    );
}

#[test]
fn r12_r14_unsubscribe_ignores_visibility() {
    let mut model = Model::new(Limits::default(), friends_only());
    login(&mut model, HOMER, "homer");
    let out = model.apply(Input::Unsubscribe {
        conn: HOMER,
        correlation_id: s("u"),
        names: names(&["lisa"]),
    });
    assert_eq!(
        out,
        vec![to(
            HOMER,
            Message::UnsubscribeAck {
                correlation_id: s("u")
            }
        )]
    );
}

#[test]
fn r13_unsubscribe_all_keeps_per_name_subscriptions() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    subscribe(&mut model, HOMER, &["marge"]);
    let out = model.apply(Input::UnsubscribeAll { conn: HOMER });
    assert_eq!(out, vec![to(HOMER, Message::UnsubscribeAllAck)]);
    let again = model.apply(Input::UnsubscribeAll { conn: HOMER });
    assert_eq!(again, vec![to(HOMER, Message::UnsubscribeAllAck)]);
    let out = login(&mut model, MARGE, "marge");
    assert_eq!(
        out,
        vec![
            to(MARGE, Message::LoggedIn),
            to(HOMER, Message::Join(s("marge")))
        ]
    );
}

#[test]
fn r14_subscribers_of_all_hear_only_of_visible_users() {
    let mut model = Model::new(Limits::default(), friends_only());
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    assert_eq!(
        login(&mut model, LISA, "lisa"),
        vec![to(LISA, Message::LoggedIn)]
    );
    let out = login(&mut model, MARGE, "marge");
    assert_eq!(
        out,
        vec![
            to(MARGE, Message::LoggedIn),
            to(HOMER, Message::JoinAll(s("marge")))
        ]
    );
    assert_eq!(query_all(&mut model, HOMER), all_result(HOMER, &["marge"]));
    assert_eq!(query_all(&mut model, LISA), all_result(LISA, &[]));
}

#[test]
fn r15_subscribing_sends_no_current_state() {
    let mut model = Model::default();
    login(&mut model, MARGE, "marge");
    login(&mut model, HOMER, "homer");
    let out = model.apply(Input::SubscribeAll { conn: HOMER });
    assert_eq!(out, vec![to(HOMER, Message::SubscribeAllAck)]);
    let out = subscribe(&mut model, HOMER, &["marge"]);
    assert_eq!(
        out,
        vec![to(
            HOMER,
            Message::SubscribeAck {
                correlation_id: s("c")
            }
        )]
    );
}

#[test]
fn r16_requests_before_login_are_rejected() {
    let mut model = Model::default();
    model.apply(Input::Open(HOMER));
    let rejected = |request, correlation_id: Option<&str>| {
        let correlation_id = correlation_id.map(s);
        vec![to(
            HOMER,
            Message::Rejected {
                request,
                correlation_id,
                reason: Rejection::NotLoggedIn,
            },
        )]
    };
    assert_eq!(
        model.apply(Input::SubscribeAll { conn: HOMER }),
        rejected(Request::SubscribeAll, None)
    );
    assert_eq!(
        query_all(&mut model, HOMER),
        rejected(Request::QueryAll, None)
    );
    assert_eq!(
        subscribe(&mut model, HOMER, &["marge"]),
        rejected(Request::Subscribe, Some("c"))
    );
    login(&mut model, MARGE, "marge");
    assert_eq!(model.apply(Input::Close(HOMER)), vec![]);
}

#[test]
fn r17_over_long_lists_and_invalid_names_reject_the_whole_request() {
    let limits = Limits {
        max_names_per_request: 2,
        ..Limits::default()
    };
    let mut model = Model::new(limits, Visibility::default());
    login(&mut model, HOMER, "homer");
    let out = subscribe(&mut model, HOMER, &["a", "a", "a"]);
    let reason = Rejection::TooManyNames { count: 3, max: 2 };
    let rejected = Message::Rejected {
        request: Request::Subscribe,
        correlation_id: Some(s("c")),
        reason,
    };
    assert_eq!(out, vec![to(HOMER, rejected)]);
    let out = subscribe(&mut model, HOMER, &["marge", ""]);
    let reason = Rejection::InvalidName {
        name: s(""),
        error: NameError::Empty,
    };
    let rejected = Message::Rejected {
        request: Request::Subscribe,
        correlation_id: Some(s("c")),
        reason,
    };
    assert_eq!(out, vec![to(HOMER, rejected)]);
    // Nothing was subscribed by either rejected request.
    assert_eq!(
        login(&mut model, MARGE, "marge"),
        vec![to(MARGE, Message::LoggedIn)]
    );
}

#[test]
fn r18_subscription_limit_rejects_the_whole_request() {
    let limits = Limits {
        max_subscriptions_per_connection: 2,
        ..Limits::default()
    };
    let mut model = Model::new(limits, Visibility::default());
    login(&mut model, HOMER, "homer");
    subscribe(&mut model, HOMER, &["a"]);
    let out = subscribe(&mut model, HOMER, &["a", "b", "c"]);
    let reason = Rejection::TooManySubscriptions { max: 2 };
    let rejected = Message::Rejected {
        request: Request::Subscribe,
        correlation_id: Some(s("c")),
        reason,
    };
    assert_eq!(out, vec![to(HOMER, rejected)]);
    let out = subscribe(&mut model, HOMER, &["a", "b"]);
    let noted = Message::AlreadySubscribed { name: Some(s("a")) };
    let ack = Message::SubscribeAck {
        correlation_id: s("c"),
    };
    assert_eq!(out, vec![to(HOMER, noted), to(HOMER, ack)]);
}

#[test]
fn r19_events_alternate_within_a_subscription() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    subscribe(&mut model, HOMER, &["marge"]);
    let mut seen = Vec::new();
    for (i, conn) in [MARGE, MARGE_PHONE, MARGE, MARGE_PHONE]
        .into_iter()
        .enumerate()
    {
        seen.extend(login(&mut model, conn, "marge"));
        if i % 2 == 1 {
            seen.extend(model.apply(Input::Close(MARGE)));
            seen.extend(model.apply(Input::Close(MARGE_PHONE)));
        }
    }
    let events: Vec<_> = seen
        .into_iter()
        .filter(|d| d.to == HOMER)
        .map(|d| d.message)
        .collect();
    let (join, leave) = (Message::Join(s("marge")), Message::Leave(s("marge")));
    assert_eq!(events, vec![join.clone(), leave.clone(), join, leave]);
}

#[test]
fn r20_queries_see_every_earlier_input() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    login(&mut model, MARGE, "marge");
    assert_eq!(query_all(&mut model, HOMER), all_result(HOMER, &["marge"]));
    model.apply(Input::Close(MARGE));
    assert_eq!(query_all(&mut model, HOMER), all_result(HOMER, &[]));
}

#[test]
fn r21_nothing_is_left_behind() {
    let mut model = Model::default();
    login(&mut model, HOMER, "homer");
    model.apply(Input::SubscribeAll { conn: HOMER });
    subscribe(&mut model, HOMER, &["marge"]);
    login(&mut model, MARGE, "marge");
    model.apply(Input::Open(LISA));
    for conn in [HOMER, MARGE, LISA] {
        model.apply(Input::Close(conn));
    }
    assert!(model.is_empty());
    assert!(model.online().is_empty());
}
