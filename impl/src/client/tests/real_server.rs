//! The client against the real rollcall server, on 127.0.0.1 with a free port.

use std::time::Duration;

use super::fake::{config, next_event};
use crate::client::{
    Client, ClientConfig, ClientError, ClientEvent, Events, ReconnectPolicy, Scope, TcpConnector,
};
use crate::config::Config;
use crate::server::{self, ServerHandle};

async fn start_server() -> ServerHandle {
    let mut config = Config::default();
    config.server.host = "127.0.0.1".into();
    config.server.port = 0;
    match server::start(config).await {
        Ok(handle) => handle,
        Err(error) => panic!("server start: {error}"),
    }
}

async fn login(server: &ServerHandle, user: &str) -> (Client, Events) {
    login_with(
        server,
        config(&ClientConfig::url_for(server.local_addr()), user),
    )
    .await
}

async fn login_with(server: &ServerHandle, config: ClientConfig) -> (Client, Events) {
    let connector = TcpConnector::new(server.local_addr().to_string());
    let user = config.auth.clone();
    match Client::connect(connector, config).await {
        Ok(connected) => connected,
        Err(error) => panic!("login of {user}: {error}"),
    }
}

fn presence(user: &str, online: bool, scope: Scope) -> ClientEvent {
    ClientEvent::Presence {
        user: user.into(),
        online,
        scope,
    }
}

#[tokio::test]
async fn two_users_see_each_other_join_and_leave() {
    let server = start_server().await;
    let (homer, mut homer_events) = login(&server, "homer").await;
    assert_eq!(homer.get_all().await.ok(), Some(vec![]));
    assert!(homer.subscribe_all().await.is_ok());
    assert!(homer.subscribe("marge").await.is_ok());

    let (marge, _marge_events) = login(&server, "marge").await;
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", true, Scope::Everyone)
    );
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", true, Scope::User)
    );
    assert_eq!(homer.get_all().await.ok(), Some(vec!["marge".to_owned()]));
    let answer = homer.get_all_of(&["marge", "nobody", "homer"]).await;
    let results = answer.map(|answer| answer.results).ok();
    let expected = [("marge", true), ("nobody", false), ("homer", true)]
        .map(|(name, online)| (name.to_owned(), online))
        .to_vec();
    assert_eq!(results, Some(expected));

    // Invalid requests are refused whole.
    let invalid = homer.subscribe("").await;
    assert!(
        matches!(invalid, Err(ClientError::Rejected { .. })),
        "{invalid:?}"
    );

    marge.close().await;
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", false, Scope::Everyone)
    );
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", false, Scope::User)
    );
    homer.close().await;
    if let Err(error) = server.shutdown().await {
        panic!("shutdown: {error}");
    }
}

#[tokio::test]
async fn a_server_restart_is_survived_with_subscriptions_restored() {
    let server = start_server().await;
    let addr = server.local_addr();
    let mut config = config(&ClientConfig::url_for(addr), "homer");
    config.reconnect = ReconnectPolicy {
        initial_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(20),
        multiplier: 1.0,
        max_attempts: Some(100),
        jitter: 0.0,
    };
    let (homer, mut homer_events) = login_with(&server, config).await;
    assert!(homer.subscribe_all().await.is_ok());
    assert!(homer.subscribe("marge").await.is_ok());

    // The server goes away; a new one comes up on the same port.
    if let Err(error) = server.shutdown().await {
        panic!("shutdown: {error}");
    }
    assert_eq!(
        next_event(&mut homer_events).await,
        ClientEvent::Disconnected
    );
    let mut config = Config::default();
    config.server.host = addr.ip().to_string();
    config.server.port = addr.port();
    let server = match server::start(config).await {
        Ok(handle) => handle,
        Err(error) => panic!("restart: {error}"),
    };
    assert_eq!(
        next_event(&mut homer_events).await,
        ClientEvent::Reconnected
    );

    let (_marge, _marge_events) = login(&server, "marge").await;
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", true, Scope::Everyone)
    );
    assert_eq!(
        next_event(&mut homer_events).await,
        presence("marge", true, Scope::User)
    );
}
