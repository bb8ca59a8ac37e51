//! What runs on a simulated device: the real Rust client, driven by the device's steps.

use std::time::Duration;

use futures_util::SinkExt;
use rollcall::client::{Client, ClientConfig, ClientEvent, Events, ReconnectPolicy, Scope};
use rollcall::protocol::{self, PresenceAction};
use tokio_tungstenite::tungstenite::Message;

use crate::network::{now_ms, SimConnector, PORT, SERVER};
use crate::schedule::{derive_seed, user_name, Action, Device, Step};
use crate::trace::{Note, Recorder};

/// Timing shared by the server and the clients of a simulation.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// The heartbeat interval of both sides, milliseconds.
    pub heartbeat_ms: u64,
    /// When the workload ends and the network heals.
    pub end_ms: u64,
    /// When every device takes its final view.
    pub view_ms: u64,
    /// When every device closes.
    pub close_ms: u64,
}

fn client_config(device: Device, seed: u64, timing: Timing) -> ClientConfig {
    let url = format!("ws://{SERVER}:{PORT}/deepstream");
    let mut config = ClientConfig::new(url, serde_json::json!({ "username": device.user_name() }));
    config.heartbeat_interval = Duration::from_millis(timing.heartbeat_ms);
    config.request_timeout = Duration::from_millis(4 * timing.heartbeat_ms);
    config.reconnect = ReconnectPolicy {
        initial_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(1_000),
        multiplier: 2.0,
        max_attempts: Some(30),
        jitter: 0.2,
    };
    config.seed = derive_seed(
        seed,
        1_000 + u64::from(device.user) * 100 + u64::from(device.index),
    );
    config
}

/// A connected client and its event stream.
struct Session {
    client: Client,
    events: Events,
}

/// Runs one device: its steps from the current simulated time on (so a restarted host picks
/// up where the schedule is), then the final view and a clean close.
pub async fn run_device(
    device: Device,
    steps: Vec<Step>,
    seed: u64,
    timing: Timing,
    recorder: Recorder,
) -> Result<(), Box<dyn std::error::Error>> {
    let host = device.host();
    let started = now_ms();
    let mut session: Option<Session> = None;
    let mut subscribed_to_all = false;
    for step in steps.into_iter().filter(|s| s.at_ms >= started) {
        wait_until(step.at_ms, &mut session, &host, &recorder).await;
        perform(
            &step.action,
            device,
            seed,
            timing,
            &mut session,
            &mut subscribed_to_all,
            &recorder,
        )
        .await;
    }
    wait_until(timing.view_ms, &mut session, &host, &recorder).await;
    if let Some(s) = &session {
        if subscribed_to_all {
            let sent_ms = now_ms();
            match s.client.get_all().await {
                Ok(users) => recorder.note(&host, Note::FinalView { sent_ms, users }),
                Err(error) => recorder.note(&host, Note::Failed(format!("final getAll: {error}"))),
            }
        }
    }
    wait_until(timing.close_ms, &mut session, &host, &recorder).await;
    close(&mut session, &host, &recorder).await;
    Ok(())
}

fn record_event(event: ClientEvent, host: &str, recorder: &Recorder) {
    let note = match event {
        ClientEvent::Presence {
            user,
            online,
            scope,
        } => Note::Event {
            user,
            online,
            everyone: scope == Scope::Everyone,
        },
        ClientEvent::Disconnected => Note::Disconnected,
        ClientEvent::Reconnected => Note::Reconnected,
        ClientEvent::GaveUp { .. } => Note::GaveUp,
        ClientEvent::Error { detail, .. } => Note::ServerError(detail),
    };
    recorder.note(host, note);
}

/// Waits until `at_ms`, recording events as they arrive.
async fn wait_until(at_ms: u64, session: &mut Option<Session>, host: &str, recorder: &Recorder) {
    loop {
        let now = now_ms();
        if now >= at_ms {
            return;
        }
        let sleep = tokio::time::sleep(Duration::from_millis(at_ms - now));
        match session {
            None => return sleep.await,
            Some(s) => tokio::select! {
                biased;
                event = s.events.recv() => match event {
                    Some(event) => record_event(event, host, recorder),
                    None => { *session = None; }
                },
                _ = sleep => return,
            },
        }
    }
}

async fn close(session: &mut Option<Session>, host: &str, recorder: &Recorder) {
    if let Some(mut s) = session.take() {
        while let Some(event) = s.events.try_recv() {
            record_event(event, host, recorder);
        }
        s.client.close().await;
        recorder.note(host, Note::Closed);
    }
}

fn names(users: &[u32]) -> Vec<String> {
    users.iter().map(|&u| user_name(u)).collect()
}

async fn perform(
    action: &Action,
    device: Device,
    seed: u64,
    timing: Timing,
    session: &mut Option<Session>,
    subscribed_to_all: &mut bool,
    recorder: &Recorder,
) {
    let host = device.host();
    if let Action::Connect = action {
        if session.is_none() {
            let config = client_config(device, seed, timing);
            match Client::connect(SimConnector, config).await {
                Ok((client, events)) => {
                    recorder.note(&host, Note::Connected);
                    *session = Some(Session { client, events });
                    *subscribed_to_all = false;
                }
                Err(error) => recorder.note(&host, Note::ConnectFailed(error.to_string())),
            }
        }
        return;
    }
    if let Action::Close = action {
        return close(session, &host, recorder).await;
    }
    let Some(s) = session.as_mut() else { return };
    while let Some(event) = s.events.try_recv() {
        record_event(event, &host, recorder);
    }
    recorder.note(&host, Note::Request(format!("{action:?}")));
    let client = &s.client;
    if matches!(
        action,
        Action::SubscribeAll
            | Action::UnsubscribeAll
            | Action::Subscribe { .. }
            | Action::Unsubscribe { .. }
    ) {
        recorder.note(&host, Note::SubscriptionReset);
    }
    let result = match action {
        Action::SubscribeAll => client
            .subscribe_all()
            .await
            .map(|()| *subscribed_to_all = true),
        Action::UnsubscribeAll => {
            *subscribed_to_all = false;
            client.unsubscribe_all().await
        }
        Action::Subscribe { users } => client.subscribe_many(&names(users)).await.map(|_| ()),
        Action::Unsubscribe { users } => client.unsubscribe_many(&names(users)).await.map(|_| ()),
        Action::QueryAll => {
            let sent_ms = now_ms();
            client
                .get_all()
                .await
                .map(|users| recorder.note(&host, Note::AllOnline { sent_ms, users }))
        }
        Action::Query { users } => client.get_all_of(&names(users)).await.map(|_| ()),
        _ => Ok(()),
    };
    if let Err(error) = result {
        recorder.note(&host, Note::Failed(error.to_string()));
    }
}

/// A connection that logs in, subscribes to everyone, asks `requests` times who is online,
/// and never reads an answer: the server must cut it off.
pub async fn run_slow_consumer(
    user: String,
    requests: usize,
    until_ms: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let stream = turmoil::net::TcpStream::connect((SERVER, PORT)).await?;
    let url = format!("ws://{SERVER}:{PORT}/deepstream");
    let (mut ws, _) = tokio_tungstenite::client_async(url.as_str(), stream).await?;
    let none: &[&str] = &[];
    let login = [
        protocol::connection::challenge(&url),
        protocol::auth::request(&serde_json::json!({ "username": user }).to_string()),
        protocol::presence::request(PresenceAction::SubscribeAll, "", none),
    ];
    for frame in login {
        ws.send(Message::Binary(frame)).await?;
    }
    // One question at a time, so the answers leave the server one write at a time and fill
    // the network's buffers, then the connection's outbox.
    for _ in 0..requests {
        let query = protocol::presence::request(PresenceAction::QueryAll, "", none);
        if ws.send(Message::Binary(query)).await.is_err() {
            break; // cut off
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let now = now_ms();
    if until_ms > now {
        tokio::time::sleep(Duration::from_millis(until_ms - now)).await;
    }
    Ok(())
}
