//! Interop: the official deepstream JavaScript client (`@deepstream/client` 7.0.5, from npm)
//! against rollcall, unchanged. Each test starts a rollcall server in this process on
//! 127.0.0.1 (an ephemeral port) and drives real clients in one node process
//! (`tests/js/actor.js`), through the support code in `rollcall_conformance::interop`.
//!
//! ```text
//! cargo test -p rollcall-conformance --test interop
//! ```
//!
//! Needs Node.js 18+ and npm on PATH; the first run installs the pinned client with `npm ci` in
//! `tests/js`. Client names below are the guide's (Homer, Marge, Lisa; "Client A" is Bart).
//! Where rollcall deliberately differs from deepstream (SPEC.md), the test says which rule.

use std::time::{Duration, Instant};

use rollcall_conformance::interop::{
    config, start_server, start_server_on, ws_url, Actor, Ending, RawClient,
};
use serde_json::json;

/// `("Homer", true)` pairs, as `getAll(names)` answers in key order.
fn online(entries: &[(&str, bool)]) -> Result<Vec<(String, bool)>, String> {
    Ok(entries
        .iter()
        .map(|(name, online)| (name.to_string(), *online))
        .collect())
}

/// Names, as `getAll()` answers them.
fn names(names: &[&str]) -> Result<Vec<String>, String> {
    Ok(names.iter().map(|name| name.to_string()).collect())
}

/// The guide's `getAll` snippets: `getAll((error, usernames) => ...)` answers every other
/// online user (sorted, R8), and `getAll(['Homer', 'Marge', 'Lisa'], (error, result) => ...)`
/// answers each name's status in the order asked (R9).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_get_all_snippets() {
    let server = start_server(config()).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login("client-a", "Bart").await;
    assert_eq!(
        js.get_all("client-a").await,
        names(&[]),
        "nobody else is online yet"
    );

    js.login("marge", "Marge").await;
    js.login("lisa", "Lisa").await;
    js.login("homer", "Homer").await;
    // The guide: ['Homer', 'Marge', 'Lisa']; rollcall answers in byte order (R8).
    assert_eq!(
        js.get_all("client-a").await,
        names(&["Homer", "Lisa", "Marge"])
    );
    assert_eq!(
        js.get_all("homer").await,
        names(&["Bart", "Lisa", "Marge"]),
        "never the caller itself"
    );

    js.close("lisa").await;
    js.settle("client-a").await;
    assert_eq!(
        js.get_all_of("client-a", &["Homer", "Marge", "Lisa"]).await,
        online(&[("Homer", true), ("Marge", true), ("Lisa", false)])
    );
    // The caller's own user is included, duplicates collapse, the order asked is kept (R9).
    assert_eq!(
        js.get_all_of("client-a", &["Lisa", "Bart", "Lisa", "Homer"])
            .await,
        online(&[("Lisa", false), ("Bart", true), ("Homer", true)])
    );
    assert_eq!(js.get_all_of("client-a", &[]).await, online(&[]));
    assert_eq!(js.get_all("client-a").await, names(&["Homer", "Marge"]));

    js.assert_no_errors("client-a");
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// The guide's `subscribe` and `unsubscribe` snippets, with the guide's
/// `presenceCallback(username, login)`: `subscribe(presenceCallback)` hears everyone,
/// `subscribe('Marge', presenceCallback)` hears Marge, `unsubscribe('Marge')` stops the latter
/// and `unsubscribe()` stops all callbacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_subscribe_and_unsubscribe_snippets() {
    let server = start_server(config()).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login("homer", "Homer").await;
    js.login_with("client-a", Some("Bart"), json!({}), true)
        .await;
    js.subscribe_all("client-a").await;
    js.subscribe("client-a", "Marge").await;
    // Subscribing sends no current state (R15): Homer, already online, is not announced.
    js.settle("client-a").await;
    assert_eq!(js.events("client-a"), Vec::<String>::new());

    js.login("marge", "Marge").await;
    js.expect_events("client-a", &["join-all Marge", "join Marge"])
        .await;
    js.login("lisa", "Lisa").await;
    js.expect_events(
        "client-a",
        &["join-all Marge", "join Marge", "join-all Lisa"],
    )
    .await;
    js.close("homer").await;
    js.expect_events(
        "client-a",
        &[
            "join-all Marge",
            "join Marge",
            "join-all Lisa",
            "leave-all Homer",
        ],
    )
    .await;

    js.unsubscribe("client-a", "Marge").await;
    js.close("marge").await;
    js.expect_events(
        "client-a",
        &[
            "join-all Marge",
            "join Marge",
            "join-all Lisa",
            "leave-all Homer",
            "leave-all Marge",
        ],
    )
    .await;

    // Subscribed to Lisa again, then the guide's `unsubscribe()`: no callback fires any more.
    js.subscribe("client-a", "Lisa").await;
    js.unsubscribe_all("client-a").await;
    let before = js.wire("client-a").len();
    js.close("lisa").await;
    js.login("marge", "Marge").await;
    js.settle("client-a").await;
    assert_eq!(
        js.events("client-a"),
        [
            "join-all Marge",
            "join Marge",
            "join-all Lisa",
            "leave-all Homer",
            "leave-all Marge"
        ],
        "no callback after unsubscribe(){}",
        js.context()
    );
    // R13: the client's unsubscribe() sends UNSUBSCRIBE_ALL only, so the server still sends
    // Lisa's per-user leave; the client has no callback left for it.
    let after: Vec<String> = js.wire("client-a").split_off(before);
    assert!(
        after.contains(&"PRESENCE_LEAVE Lisa".to_string()),
        "frames after unsubscribe(): {after:?}"
    );
    assert!(
        !after.iter().any(|frame| frame.contains("_ALL ")),
        "frames after unsubscribe(): {after:?}"
    );

    js.assert_no_errors("client-a");
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// The guide: "if a user logs in on multiple devices, only the first login instance and the
/// last logout instance will be counted" (R5, R6).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_on_two_devices_joins_once_and_leaves_once() {
    let server = start_server(config()).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login("client-a", "Bart").await;
    js.subscribe_all("client-a").await;
    js.subscribe("client-a", "Marge").await;

    js.login("marge-phone", "Marge").await;
    js.expect_events("client-a", &["join-all Marge", "join Marge"])
        .await;
    js.login("marge-laptop", "Marge").await;
    js.settle("client-a").await;
    assert_eq!(
        js.events("client-a"),
        ["join-all Marge", "join Marge"],
        "a second device is no join"
    );
    assert_eq!(
        js.get_all("client-a").await,
        names(&["Marge"]),
        "Marge counts once"
    );

    js.close("marge-phone").await;
    js.settle("client-a").await;
    assert_eq!(
        js.events("client-a"),
        ["join-all Marge", "join Marge"],
        "a remaining device is no leave"
    );
    assert_eq!(
        js.get_all_of("client-a", &["Marge"]).await,
        online(&[("Marge", true)])
    );

    js.close("marge-laptop").await;
    js.expect_events(
        "client-a",
        &[
            "join-all Marge",
            "join Marge",
            "leave-all Marge",
            "leave Marge",
        ],
    )
    .await;
    assert_eq!(js.get_all("client-a").await, names(&[]));
    assert_eq!(
        js.get_all_of("client-a", &["Marge"]).await,
        online(&[("Marge", false)])
    );

    js.assert_no_errors("client-a");
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// A client subscribed both to everyone and to a user hears each transition twice: first the
/// callback of `subscribe(callback)`, then the one of `subscribe(user, callback)` (R7), because
/// the frames arrive in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_of_everyone_and_of_a_user_hears_the_all_callback_first() {
    let server = start_server(config()).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login_with("watcher", Some("Bart"), json!({}), true)
        .await;
    // Per-user first, to show the order does not come from the order of subscription.
    js.subscribe("watcher", "Marge").await;
    js.subscribe_all("watcher").await;
    js.login("marge", "Marge").await;
    js.expect_events("watcher", &["join-all Marge", "join Marge"])
        .await;
    js.close("marge").await;
    js.expect_events(
        "watcher",
        &[
            "join-all Marge",
            "join Marge",
            "leave-all Marge",
            "leave Marge",
        ],
    )
    .await;
    let events: Vec<String> = js
        .wire("watcher")
        .into_iter()
        .filter(|frame| frame.starts_with("PRESENCE_JOIN") || frame.starts_with("PRESENCE_LEAVE"))
        .collect();
    assert_eq!(
        events,
        [
            "PRESENCE_JOIN_ALL Marge",
            "PRESENCE_JOIN Marge",
            "PRESENCE_LEAVE_ALL Marge",
            "PRESENCE_LEAVE Marge"
        ]
    );
    js.assert_no_errors("watcher");
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// Anonymous logins are never reported, by any query or event (R4). deepstream, unlike
/// rollcall, reports them as a user named "open".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_logins_are_never_visible() {
    let server = start_server(config()).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login("watcher", "Bart").await;
    js.subscribe_all("watcher").await;
    js.login_with("anonymous", None, json!({}), false).await;
    js.settle("watcher").await;
    assert_eq!(js.get_all("watcher").await, names(&[]));
    assert_eq!(
        js.get_all_of("watcher", &["open"]).await,
        online(&[("open", false)])
    );
    // The anonymous client may query, and sees the user.
    assert_eq!(js.get_all("anonymous").await, names(&["Bart"]));
    js.close("anonymous").await;
    js.settle("watcher").await;
    assert_eq!(
        js.events("watcher"),
        Vec::<String>::new(),
        "no event about an anonymous session"
    );
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// Visibility lists (R14): homer sees only marge. What homer's client reports when it names
/// lisa: `getAll(['lisa', 'marge'], cb)` calls back with the error "MESSAGE_DENIED" and no
/// result (the client resolves the query with the denial that comes first, and drops the
/// partial answer that follows); `subscribe('lisa', cb)` emits a client error event
/// MESSAGE_DENIED on topic PRESENCE and lisa's transitions never reach homer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_names() {
    let mut config = config();
    config
        .visibility
        .lists
        .insert("homer".into(), vec!["marge".into()]);
    let server = start_server(config).await;
    let mut js = Actor::spawn(&ws_url(&server)).await;
    js.login_with("homer", Some("homer"), json!({}), true).await;
    js.login("marge", "marge").await;
    js.login("lisa", "lisa").await;

    assert_eq!(
        js.get_all("homer").await,
        names(&["marge"]),
        "getAll() leaves out whom homer may not see"
    );
    assert_eq!(
        js.get_all("marge").await,
        names(&["homer", "lisa"]),
        "a viewer without a list sees everyone"
    );

    let mark = js.wire("homer").len();
    assert_eq!(
        js.get_all_of("homer", &["lisa", "marge"]).await,
        Err("MESSAGE_DENIED".into())
    );
    // On the wire: the denial names lisa, and marge is still answered (R9).
    js.sync("homer").await;
    let frames = js.wire("homer").split_off(mark);
    assert!(
        frames.starts_with(&[
            "MESSAGE_DENIED lisa".to_string(),
            "QUERY_RESPONSE".to_string()
        ]),
        "frames answering getAll(['lisa', 'marge']): {frames:?}"
    );
    let answer = js
        .observations()
        .iter()
        .rev()
        .find(|o| o["who"] == "homer" && o["action"] == "QUERY_RESPONSE")
        .map(|o| o["data"].clone());
    assert_eq!(
        answer,
        Some(json!("{\"marge\":true}")),
        "the partial answer names marge only"
    );

    assert_eq!(
        js.get_all_of("homer", &["marge", "homer"]).await,
        online(&[("marge", true), ("homer", true)]),
        "everyone sees themselves"
    );

    js.subscribe("homer", "lisa").await; // the server acknowledges it, denial and all
    js.subscribe("homer", "marge").await;
    js.subscribe_all("homer").await;
    let errors = js.errors("homer");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (&errors[0]["kind"], &errors[0]["topic"]),
        (&json!("MESSAGE_DENIED"), &json!("PRESENCE"))
    );
    assert_eq!(
        (
            &errors[0]["detail"]["originalAction"],
            &errors[0]["detail"]["name"]
        ),
        (&json!("SUBSCRIBE"), &json!("lisa"))
    );

    js.close("lisa").await;
    js.settle("homer").await;
    assert_eq!(
        js.events("homer"),
        Vec::<String>::new(),
        "lisa's leave is not for homer"
    );
    js.close("marge").await;
    js.expect_events("homer", &["leave-all marge", "leave marge"])
        .await;
    js.login("lisa", "lisa").await;
    js.settle("homer").await;
    assert_eq!(
        js.events("homer"),
        ["leave-all marge", "leave marge"],
        "lisa's join is not for homer"
    );
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// A connection that logs in and then sends nothing is closed after twice the heartbeat
/// interval, and its user's subscribers hear the leave. The official client, pinging in time,
/// stays connected throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_dropped_after_two_heartbeat_intervals() {
    let interval = Duration::from_millis(200);
    let mut config = config();
    config.connection.heartbeat_interval_ms = interval.as_millis() as u64;
    let server = start_server(config).await;
    let url = ws_url(&server);
    let mut js = Actor::spawn(&url).await;
    // The client pings every 150 ms: well within the server's 400 ms.
    js.login_with(
        "watcher",
        Some("Bart"),
        json!({"heartbeatInterval": 150}),
        false,
    )
    .await;
    js.subscribe_all("watcher").await;
    js.subscribe("watcher", "quiet").await;

    // The server last hears from `quiet` when its login arrives, after this instant.
    let logged_in = Instant::now();
    let mut quiet = RawClient::login(&url, "quiet").await;
    let limit = interval * 2 + Duration::from_millis(1000);
    let ending = quiet
        .wait_for_end(limit.saturating_sub(logged_in.elapsed()))
        .await;
    let elapsed = logged_in.elapsed();
    let Some(ending) = ending else {
        panic!("a silent connection is open {elapsed:?} after its login (heartbeat {interval:?})");
    };
    assert!(
        elapsed >= interval * 2,
        "closed after {elapsed:?}: before twice the heartbeat interval"
    );
    assert!(
        matches!(ending, Ending::CloseFrame(_)),
        "the server closes with a close frame: {ending:?}"
    );
    js.expect_events(
        "watcher",
        &[
            "join-all quiet",
            "join quiet",
            "leave-all quiet",
            "leave quiet",
        ],
    )
    .await;

    // The pinging client outlives several idle timeouts.
    tokio::time::sleep(interval * 4).await;
    assert_eq!(js.get_all("watcher").await, names(&[]));
    assert_eq!(
        js.states("watcher").last().map(String::as_str),
        Some("OPEN")
    );
    assert!(
        !js.states("watcher")
            .iter()
            .any(|state| state == "RECONNECTING"),
        "{}",
        js.context()
    );
    js.assert_no_errors("watcher");
    js.finish().await;
    server.shutdown().await.expect("clean shutdown");
}

/// The client reconnects by itself after a server restart, logs in again and restores its
/// subscriptions (to everyone and to Marge): a join on the new server reaches both callbacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_restores_its_subscriptions_after_a_server_restart() {
    let first = start_server(config()).await;
    let port = first.local_addr().port();
    let url = ws_url(&first);
    let mut js = Actor::spawn(&url).await;
    let reconnect = json!({
        "reconnectIntervalIncrement": 50,
        "maxReconnectInterval": 200,
        "maxReconnectAttempts": 100,
    });
    js.login_with("watcher", Some("Bart"), reconnect, false)
        .await;
    js.subscribe_all("watcher").await;
    js.subscribe("watcher", "Marge").await;

    let mark = js.mark();
    first.shutdown().await.expect("clean shutdown");
    js.wait_for(mark, "RECONNECTING state after the shutdown", |o| {
        o["who"] == "watcher" && o["state"] == "RECONNECTING"
    })
    .await;
    let second = start_server_on(config(), port, Duration::from_secs(3)).await;
    js.wait_for(mark, "the reconnected client (state OPEN)", |o| {
        o["who"] == "watcher" && o["state"] == "OPEN"
    })
    .await;
    js.sync("watcher").await; // its restored subscriptions have been acknowledged

    js.login("marge", "Marge").await;
    js.expect_events("watcher", &["join-all Marge", "join Marge"])
        .await;
    assert_eq!(js.get_all("watcher").await, names(&["Marge"]));
    let presence_errors: Vec<_> = js
        .errors("watcher")
        .into_iter()
        .filter(|error| error["topic"] != "CONNECTION")
        .collect();
    assert_eq!(
        presence_errors,
        Vec::<serde_json::Value>::new(),
        "{}",
        js.context()
    );
    js.finish().await;
    second.shutdown().await.expect("clean shutdown");
}
