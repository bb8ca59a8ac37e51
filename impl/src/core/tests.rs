//! One test (at least) per rule of SPEC.md, named after the rule it checks. Outputs are
//! rendered one line per delivery ("2 <- JoinAll marge") so expectations read like transcripts.

use super::*;

const HOMER: u64 = 1;
const MARGE: u64 = 2;
const LISA: u64 = 3;
const MARGE_PHONE: u64 = 4;

/// One line per (recipient, message), in the order each connection receives them.
fn render(outputs: &[Output]) -> Vec<String> {
    let mut lines = Vec::new();
    for output in outputs {
        match output {
            Output::Reply { to, reply } => lines.push(format!("{} <- {reply:?}", to.0)),
            Output::Event { event, recipients } => {
                for to in recipients {
                    lines.push(format!("{} <- {:?} {}", to.0, event.kind, event.user));
                }
            }
        }
    }
    lines
}

struct Harness(Core);

impl Harness {
    fn new() -> Self {
        Harness(Core::default())
    }

    fn with(limits: Limits, visibility: Visibility) -> Self {
        Harness(Core::new(limits, visibility))
    }

    fn run(&mut self, input: Input) -> Vec<String> {
        render(&self.0.apply(input))
    }

    fn login(&mut self, conn: u64, user: &str) -> Vec<String> {
        self.0.apply(Input::Open(ConnId(conn)));
        self.run(Input::Login {
            conn: ConnId(conn),
            user: Some(user.into()),
        })
    }

    fn close(&mut self, conn: u64) -> Vec<String> {
        self.run(Input::Close(ConnId(conn)))
    }

    fn subscribe_all(&mut self, conn: u64) -> Vec<String> {
        self.run(Input::SubscribeAll { conn: ConnId(conn) })
    }

    fn subscribe(&mut self, conn: u64, names: &[&str]) -> Vec<String> {
        let names = names.iter().map(|n| n.to_string()).collect();
        self.run(Input::Subscribe {
            conn: ConnId(conn),
            correlation_id: "c".into(),
            names,
        })
    }

    fn unsubscribe(&mut self, conn: u64, names: &[&str]) -> Vec<String> {
        let names = names.iter().map(|n| n.to_string()).collect();
        self.run(Input::Unsubscribe {
            conn: ConnId(conn),
            correlation_id: "u".into(),
            names,
        })
    }

    fn query(&mut self, conn: u64, names: &[&str]) -> Vec<String> {
        let names = names.iter().map(|n| n.to_string()).collect();
        self.run(Input::Query {
            conn: ConnId(conn),
            correlation_id: "q".into(),
            names,
        })
    }

    fn query_all(&mut self, conn: u64) -> Vec<String> {
        self.run(Input::QueryAll {
            conn: ConnId(conn),
            correlation_id: None,
        })
    }
}

fn lines(expected: &[&str]) -> Vec<String> {
    expected.iter().map(|l| l.to_string()).collect()
}

fn friends_only() -> Visibility {
    let mut visibility = Visibility::with_unlisted_default(false);
    visibility.allow("homer", "marge");
    visibility
}

#[test]
fn r1_inputs_on_unknown_connections_are_ignored() {
    let mut h = Harness::new();
    let ghost = ConnId(99);
    for input in [
        Input::Login {
            conn: ghost,
            user: Some("homer".into()),
        },
        Input::SubscribeAll { conn: ghost },
        Input::UnsubscribeAll { conn: ghost },
        Input::Subscribe {
            conn: ghost,
            correlation_id: "1".into(),
            names: vec!["a".into()],
        },
        Input::Unsubscribe {
            conn: ghost,
            correlation_id: "1".into(),
            names: vec![],
        },
        Input::QueryAll {
            conn: ghost,
            correlation_id: None,
        },
        Input::Query {
            conn: ghost,
            correlation_id: "1".into(),
            names: vec![],
        },
        Input::Close(ghost),
    ] {
        assert!(h.run(input).is_empty());
    }
    assert!(h.0.is_empty());
}

#[test]
fn r1_reopening_an_open_connection_changes_nothing() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.run(Input::Open(ConnId(HOMER)));
    assert!(h.0.roster().contains("homer"));
}

#[test]
fn r2_r3_login_rejections() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    let again = h.run(Input::Login {
        conn: ConnId(HOMER),
        user: Some("marge".into()),
    });
    assert_eq!(
        again,
        lines(&["1 <- Rejected { request: Login, correlation_id: None, reason: AlreadyLoggedIn }"])
    );
    assert!(!h.0.roster().contains("marge"));
    let bad = h.login(MARGE, "mar\u{0}ge");
    assert_eq!(
        bad,
        lines(&[
            "2 <- Rejected { request: Login, correlation_id: None, reason: InvalidName { \
                 name: \"mar\\0ge\", error: ControlCharacter } }"
        ])
    );
    assert_eq!(
        h.run(Input::Login {
            conn: ConnId(MARGE),
            user: None
        }),
        lines(&["2 <- LoggedIn"])
    );
}

#[test]
fn r4_anonymous_sessions_are_never_visible() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    h.run(Input::Open(ConnId(MARGE)));
    assert_eq!(
        h.run(Input::Login {
            conn: ConnId(MARGE),
            user: None
        }),
        lines(&["2 <- LoggedIn"])
    );
    assert_eq!(
        h.query_all(HOMER),
        lines(&["1 <- QueryAllResult { correlation_id: None, users: [] }"])
    );
    assert_eq!(
        h.query_all(MARGE),
        lines(&["2 <- QueryAllResult { correlation_id: None, users: [\"homer\"] }"])
    );
    assert!(h.close(MARGE).is_empty());
}

#[test]
fn r5_only_the_first_session_is_a_join() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    assert_eq!(
        h.login(MARGE, "marge"),
        lines(&["2 <- LoggedIn", "1 <- JoinAll marge"])
    );
    assert_eq!(h.login(MARGE_PHONE, "marge"), lines(&["4 <- LoggedIn"]));
}

#[test]
fn r6_only_the_last_close_is_a_leave() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe(HOMER, &["marge"]);
    h.login(MARGE, "marge");
    h.login(MARGE_PHONE, "marge");
    assert!(h.close(MARGE).is_empty());
    assert_eq!(h.close(MARGE_PHONE), lines(&["1 <- Leave marge"]));
}

#[test]
fn r6_a_closing_connection_gets_nothing_about_its_own_leave() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    h.subscribe(HOMER, &["homer"]);
    h.login(MARGE, "marge");
    h.subscribe(MARGE, &["homer"]);
    assert_eq!(h.close(HOMER), lines(&["2 <- Leave homer"]));
}

#[test]
fn r7_subscribers_of_all_hear_first_then_subscribers_of_the_user() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.login(LISA, "lisa");
    h.subscribe(HOMER, &["marge"]);
    h.subscribe_all(HOMER);
    h.subscribe_all(LISA);
    assert_eq!(
        h.login(MARGE, "marge"),
        lines(&[
            "2 <- LoggedIn",
            "1 <- JoinAll marge",
            "3 <- JoinAll marge",
            "1 <- Join marge"
        ])
    );
    assert_eq!(
        h.close(MARGE),
        lines(&[
            "1 <- LeaveAll marge",
            "3 <- LeaveAll marge",
            "1 <- Leave marge"
        ])
    );
}

#[test]
fn r7_an_event_is_built_once_for_all_its_recipients() {
    let mut core = Core::default();
    for conn in 1..=100 {
        core.apply(Input::Open(ConnId(conn)));
        core.apply(Input::Login {
            conn: ConnId(conn),
            user: None,
        });
        core.apply(Input::SubscribeAll { conn: ConnId(conn) });
    }
    core.apply(Input::Open(ConnId(0)));
    let out = core.apply(Input::Login {
        conn: ConnId(0),
        user: Some("marge".into()),
    });
    assert_eq!(
        out.len(),
        2,
        "one reply and one event, whatever the number of recipients"
    );
    let Output::Event { recipients, .. } = &out[1] else {
        panic!("expected an event")
    };
    assert_eq!(recipients.len(), 100);
}

#[test]
fn r8_get_all_excludes_caller_and_is_sorted() {
    let mut h = Harness::new();
    h.login(LISA, "lisa");
    h.login(MARGE, "marge");
    h.login(HOMER, "homer");
    assert_eq!(
        h.query_all(MARGE),
        lines(&["2 <- QueryAllResult { correlation_id: None, users: [\"homer\", \"lisa\"] }"])
    );
    assert_eq!(
        h.run(Input::QueryAll {
            conn: ConnId(MARGE),
            correlation_id: Some("x".into())
        }),
        lines(&[
            "2 <- QueryAllResult { correlation_id: Some(\"x\"), users: [\"homer\", \"lisa\"] }"
        ])
    );
}

#[test]
fn r9_get_all_of_names_includes_caller_and_collapses_duplicates() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.login(MARGE, "marge");
    assert_eq!(
        h.query(HOMER, &["lisa", "homer", "marge", "lisa"]),
        lines(&[
            "1 <- QueryResult { correlation_id: \"q\", online: [(\"lisa\", false), \
                 (\"homer\", true), (\"marge\", true)] }"
        ])
    );
    assert_eq!(
        h.query(HOMER, &[]),
        lines(&["1 <- QueryResult { correlation_id: \"q\", online: [] }"])
    );
}

#[test]
fn r9_r14_invisible_names_are_denied_and_the_rest_served() {
    let mut h = Harness::with(Limits::default(), friends_only());
    h.login(HOMER, "homer");
    h.login(MARGE, "marge");
    h.login(LISA, "lisa");
    assert_eq!(
        h.query(HOMER, &["lisa", "marge", "homer"]),
        lines(&[
            "1 <- Denied { request: Query, correlation_id: \"q\", name: \"lisa\" }",
            "1 <- QueryResult { correlation_id: \"q\", online: [(\"marge\", true), (\"homer\", true)] }",
        ])
    );
}

#[test]
fn r10_repeated_subscribe_all_is_noted_and_acked() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    assert_eq!(h.subscribe_all(HOMER), lines(&["1 <- SubscribeAllAck"]));
    assert_eq!(
        h.subscribe_all(HOMER),
        lines(&[
            "1 <- AlreadySubscribed { name: None }",
            "1 <- SubscribeAllAck"
        ])
    );
}

#[test]
fn r11_subscribe_notes_repeats_and_acks_once() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe(HOMER, &["erin"]);
    assert_eq!(
        h.subscribe(HOMER, &["erin", "frank", "frank"]),
        lines(&[
            "1 <- AlreadySubscribed { name: Some(\"erin\") }",
            "1 <- SubscribeAck { correlation_id: \"c\" }"
        ])
    );
    assert_eq!(
        h.subscribe(HOMER, &[]),
        lines(&["1 <- SubscribeAck { correlation_id: \"c\" }"])
    );
}

#[test]
fn r11_r14_subscribe_denies_invisible_names_and_serves_the_rest() {
    let mut h = Harness::with(Limits::default(), friends_only());
    h.login(HOMER, "homer");
    assert_eq!(
        h.subscribe(HOMER, &["lisa", "marge"]),
        lines(&[
            "1 <- Denied { request: Subscribe, correlation_id: \"c\", name: \"lisa\" }",
            "1 <- SubscribeAck { correlation_id: \"c\" }",
        ])
    );
    assert_eq!(
        h.login(MARGE, "marge"),
        lines(&["2 <- LoggedIn", "1 <- Join marge"])
    );
    assert_eq!(h.login(LISA, "lisa"), lines(&["3 <- LoggedIn"]));
}

#[test]
fn r12_unsubscribe_is_silent_for_unknown_names_and_always_acked() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe(HOMER, &["marge"]);
    assert_eq!(
        h.unsubscribe(HOMER, &["marge", "never"]),
        lines(&["1 <- UnsubscribeAck { correlation_id: \"u\" }"])
    );
    assert_eq!(h.login(MARGE, "marge"), lines(&["2 <- LoggedIn"]));
}

#[test]
fn r12_r14_unsubscribe_ignores_visibility() {
    let mut h = Harness::with(Limits::default(), friends_only());
    h.login(HOMER, "homer");
    assert_eq!(
        h.unsubscribe(HOMER, &["lisa"]),
        lines(&["1 <- UnsubscribeAck { correlation_id: \"u\" }"])
    );
}

#[test]
fn r13_unsubscribe_all_keeps_per_name_subscriptions() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    h.subscribe(HOMER, &["marge"]);
    for _ in 0..2 {
        let out = h.run(Input::UnsubscribeAll {
            conn: ConnId(HOMER),
        });
        assert_eq!(out, lines(&["1 <- UnsubscribeAllAck"]));
    }
    assert_eq!(
        h.login(MARGE, "marge"),
        lines(&["2 <- LoggedIn", "1 <- Join marge"])
    );
}

#[test]
fn r14_subscribers_of_all_hear_only_of_visible_users() {
    let mut h = Harness::with(Limits::default(), friends_only());
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    assert_eq!(h.login(LISA, "lisa"), lines(&["3 <- LoggedIn"]));
    assert_eq!(
        h.login(MARGE, "marge"),
        lines(&["2 <- LoggedIn", "1 <- JoinAll marge"])
    );
    assert_eq!(
        h.query_all(HOMER),
        lines(&["1 <- QueryAllResult { correlation_id: None, users: [\"marge\"] }"])
    );
    assert_eq!(
        h.query_all(LISA),
        lines(&["3 <- QueryAllResult { correlation_id: None, users: [] }"])
    );
}

#[test]
fn r15_subscribing_sends_no_current_state() {
    let mut h = Harness::new();
    h.login(MARGE, "marge");
    h.login(HOMER, "homer");
    assert_eq!(h.subscribe_all(HOMER), lines(&["1 <- SubscribeAllAck"]));
    assert_eq!(
        h.subscribe(HOMER, &["marge"]),
        lines(&["1 <- SubscribeAck { correlation_id: \"c\" }"])
    );
}

#[test]
fn r16_requests_before_login_are_rejected() {
    let mut h = Harness::new();
    h.run(Input::Open(ConnId(HOMER)));
    assert_eq!(
        h.subscribe_all(HOMER),
        lines(&[
            "1 <- Rejected { request: SubscribeAll, correlation_id: None, reason: NotLoggedIn }"
        ])
    );
    assert_eq!(
        h.query(HOMER, &["marge"]),
        lines(&[
            "1 <- Rejected { request: Query, correlation_id: Some(\"q\"), reason: NotLoggedIn }"
        ])
    );
    h.login(MARGE, "marge");
    assert!(h.close(HOMER).is_empty());
}

#[test]
fn r17_over_long_lists_and_invalid_names_reject_the_whole_request() {
    let limits = Limits {
        max_names_per_request: 2,
        ..Limits::default()
    };
    let mut h = Harness::with(limits, Visibility::everyone());
    h.login(HOMER, "homer");
    assert_eq!(
        h.subscribe(HOMER, &["a", "a", "a"]),
        lines(&[
            "1 <- Rejected { request: Subscribe, correlation_id: Some(\"c\"), reason: \
                 TooManyNames { count: 3, max: 2 } }"
        ])
    );
    assert_eq!(
        h.query(HOMER, &["marge", ""]),
        lines(&[
            "1 <- Rejected { request: Query, correlation_id: Some(\"q\"), reason: \
                 InvalidName { name: \"\", error: Empty } }"
        ])
    );
    h.subscribe(HOMER, &["marge", ""]);
    assert_eq!(h.login(MARGE, "marge"), lines(&["2 <- LoggedIn"]));
}

#[test]
fn r18_subscription_limit_rejects_the_whole_request() {
    let limits = Limits {
        max_subscriptions_per_connection: 2,
        ..Limits::default()
    };
    let mut h = Harness::with(limits, Visibility::everyone());
    h.login(HOMER, "homer");
    h.subscribe(HOMER, &["a"]);
    assert_eq!(
        h.subscribe(HOMER, &["a", "b", "c"]),
        lines(&[
            "1 <- Rejected { request: Subscribe, correlation_id: Some(\"c\"), reason: \
                 TooManySubscriptions { max: 2 } }"
        ])
    );
    assert_eq!(
        h.subscribe(HOMER, &["a", "b"]),
        lines(&[
            "1 <- AlreadySubscribed { name: Some(\"a\") }",
            "1 <- SubscribeAck { correlation_id: \"c\" }"
        ])
    );
}

#[test]
fn r19_events_alternate_within_a_subscription() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe(HOMER, &["marge"]);
    let mut seen = Vec::new();
    for round in 0..2 {
        seen.extend(h.login(MARGE, "marge"));
        seen.extend(h.login(MARGE_PHONE, "marge"));
        seen.extend(h.close(if round == 0 { MARGE } else { MARGE_PHONE }));
        seen.extend(h.close(if round == 0 { MARGE_PHONE } else { MARGE }));
    }
    seen.retain(|line| line.starts_with("1 <- "));
    assert_eq!(
        seen,
        lines(&[
            "1 <- Join marge",
            "1 <- Leave marge",
            "1 <- Join marge",
            "1 <- Leave marge"
        ])
    );
}

#[test]
fn r20_queries_see_every_earlier_input() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.login(MARGE, "marge");
    assert_eq!(
        h.query(HOMER, &["marge"]),
        lines(&["1 <- QueryResult { correlation_id: \"q\", online: [(\"marge\", true)] }"])
    );
    h.close(MARGE);
    assert_eq!(
        h.query(HOMER, &["marge"]),
        lines(&["1 <- QueryResult { correlation_id: \"q\", online: [(\"marge\", false)] }"])
    );
}

#[test]
fn r21_nothing_is_left_behind() {
    let mut h = Harness::new();
    h.login(HOMER, "homer");
    h.subscribe_all(HOMER);
    h.subscribe(HOMER, &["marge", "lisa"]);
    h.login(MARGE, "marge");
    h.login(MARGE_PHONE, "marge");
    h.run(Input::Open(ConnId(LISA)));
    h.subscribe(MARGE, &["homer"]);
    for conn in [HOMER, MARGE, LISA, MARGE_PHONE] {
        h.close(conn);
    }
    assert!(h.0.is_empty());
}
