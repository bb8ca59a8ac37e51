//! Scenarios written as a person would tell them, and their transcripts.
//!
//! A [`Scenario`] names its connections ("homer-laptop") and lists what happens to them; a
//! [`Server`] (the model or the core) plays it; [`render`] writes what each connection receives
//! after each step, connections in the order they were introduced. The same scenario rendered
//! from the model and from the core must read the same.

use rollcall::core::Core;
use rollcall_model::{ConnId, Delivery, Input, Message, Model, Request};

use crate::adapter;

/// Something that takes presence inputs and says what they deliver.
pub trait Server {
    /// Applies one input.
    fn apply(&mut self, input: &Input) -> Vec<Delivery>;
}

impl Server for Model {
    fn apply(&mut self, input: &Input) -> Vec<Delivery> {
        Model::apply(self, input.clone())
    }
}

impl Server for Core {
    fn apply(&mut self, input: &Input) -> Vec<Delivery> {
        adapter::deliveries(Core::apply(self, adapter::input(input)))
    }
}

/// A story: named connections and the steps that happen to them.
#[derive(Default)]
pub struct Scenario {
    labels: Vec<String>,
    steps: Vec<(String, Vec<Input>)>,
}

impl Scenario {
    /// An empty story.
    pub fn new() -> Self {
        Scenario::default()
    }

    fn conn(&mut self, label: &str) -> ConnId {
        let index = match self.labels.iter().position(|l| l == label) {
            Some(index) => index,
            None => {
                self.labels.push(label.to_string());
                self.labels.len() - 1
            }
        };
        ConnId(index as u64)
    }

    fn step(mut self, label: &str, text: String, input: impl FnOnce(ConnId) -> Vec<Input>) -> Self {
        let conn = self.conn(label);
        self.steps.push((format!("{label}: {text}"), input(conn)));
        self
    }

    /// `label` connects and logs in as `user`.
    pub fn login(self, label: &str, user: &str) -> Self {
        let user = user.to_string();
        self.step(label, format!("login as {user}"), |conn| {
            vec![
                Input::Open(conn),
                Input::Login {
                    conn,
                    user: Some(user),
                },
            ]
        })
    }

    /// `label` closes its connection.
    pub fn close(self, label: &str) -> Self {
        self.step(label, "close".into(), |conn| vec![Input::Close(conn)])
    }

    /// `label` calls `getAll()`.
    pub fn get_all(self, label: &str) -> Self {
        self.step(label, "getAll()".into(), |conn| {
            vec![Input::QueryAll {
                conn,
                correlation_id: None,
            }]
        })
    }

    /// `label` calls `getAll(names)`.
    pub fn get_all_of(self, label: &str, names: &[&str]) -> Self {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        self.step(label, format!("getAll({names:?})"), |conn| {
            vec![Input::Query {
                conn,
                correlation_id: "1".into(),
                names,
            }]
        })
    }

    /// `label` calls `subscribe(callback)`.
    pub fn subscribe_all(self, label: &str) -> Self {
        self.step(label, "subscribe(callback)".into(), |conn| {
            vec![Input::SubscribeAll { conn }]
        })
    }

    /// `label` calls `subscribe(name, callback)`.
    pub fn subscribe(self, label: &str, name: &str) -> Self {
        let names = vec![name.to_string()];
        self.step(label, format!("subscribe({name:?}, callback)"), |conn| {
            vec![Input::Subscribe {
                conn,
                correlation_id: "2".into(),
                names,
            }]
        })
    }

    /// `label` calls `unsubscribe(name)`.
    pub fn unsubscribe(self, label: &str, name: &str) -> Self {
        let names = vec![name.to_string()];
        self.step(label, format!("unsubscribe({name:?})"), |conn| {
            vec![Input::Unsubscribe {
                conn,
                correlation_id: "3".into(),
                names,
            }]
        })
    }

    /// `label` calls `unsubscribe()`: on the wire, unsubscribe-all.
    pub fn unsubscribe_all(self, label: &str) -> Self {
        self.step(label, "unsubscribe()".into(), |conn| {
            vec![Input::UnsubscribeAll { conn }]
        })
    }
}

/// Plays `scenario` on `server` and writes the transcript.
pub fn render(scenario: &Scenario, server: &mut impl Server) -> String {
    let mut text = String::new();
    for (description, inputs) in &scenario.steps {
        text.push_str(&format!("> {description}\n"));
        let deliveries: Vec<Delivery> = inputs.iter().flat_map(|i| server.apply(i)).collect();
        for (conn, messages) in adapter::per_connection(&deliveries) {
            let label = scenario
                .labels
                .get(conn.0 as usize)
                .map_or("?", String::as_str);
            for message in messages {
                text.push_str(&format!("    {label} <- {}\n", describe(&message)));
            }
        }
    }
    text
}

/// One message, as the wire would name it.
pub fn describe(message: &Message) -> String {
    match message {
        Message::LoggedIn => "AUTH_SUCCESSFUL".into(),
        Message::Rejected {
            request,
            correlation_id,
            reason,
        } => {
            format!(
                "rejected {} {correlation_id:?}: {reason:?}",
                request_name(*request)
            )
        }
        Message::Denied {
            request,
            correlation_id,
            name,
        } => {
            format!(
                "MESSAGE_DENIED {} {correlation_id:?} {name:?}",
                request_name(*request)
            )
        }
        Message::AlreadySubscribed { name } => match name {
            Some(name) => format!("MULTIPLE_SUBSCRIPTIONS {name:?}"),
            None => "MULTIPLE_SUBSCRIPTIONS everyone".into(),
        },
        Message::SubscribeAllAck => "SUBSCRIBE_ALL ack".into(),
        Message::UnsubscribeAllAck => "UNSUBSCRIBE_ALL ack".into(),
        Message::SubscribeAck { correlation_id } => format!("SUBSCRIBE ack {correlation_id:?}"),
        Message::UnsubscribeAck { correlation_id } => format!("UNSUBSCRIBE ack {correlation_id:?}"),
        Message::QueryAllResult { users, .. } => format!("QUERY_ALL_RESPONSE {users:?}"),
        Message::QueryResult { online, .. } => {
            let pairs: Vec<String> = online.iter().map(|(n, o)| format!("{n:?}: {o}")).collect();
            format!("QUERY_RESPONSE {{{}}}", pairs.join(", "))
        }
        Message::JoinAll(user) => format!("PRESENCE_JOIN_ALL {user}"),
        Message::Join(user) => format!("PRESENCE_JOIN {user}"),
        Message::LeaveAll(user) => format!("PRESENCE_LEAVE_ALL {user}"),
        Message::Leave(user) => format!("PRESENCE_LEAVE {user}"),
    }
}

fn request_name(request: Request) -> &'static str {
    match request {
        Request::Login => "login",
        Request::SubscribeAll => "SUBSCRIBE_ALL",
        Request::UnsubscribeAll => "UNSUBSCRIBE_ALL",
        Request::Subscribe => "SUBSCRIBE",
        Request::Unsubscribe => "UNSUBSCRIBE",
        Request::QueryAll => "QUERY_ALL",
        Request::Query => "QUERY",
    }
}
