//! Translation between the model's vocabulary and the core's.
//!
//! Only this module knows both. Inputs go model -> core; outputs come back core -> model, with
//! each core event (one event, many recipients) expanded into one delivery per recipient.

use std::collections::BTreeMap;

use rollcall::core;
use rollcall_model as model;

/// The core's limits equal to the model's.
pub fn limits(limits: &model::Limits) -> core::Limits {
    core::Limits {
        max_name_bytes: limits.max_name_bytes,
        max_names_per_request: limits.max_names_per_request,
        max_subscriptions_per_connection: limits.max_subscriptions_per_connection,
    }
}

/// The core's visibility rules equal to the model's.
pub fn visibility(visibility: &model::Visibility) -> core::Visibility {
    let mut out = core::Visibility::with_unlisted_default(visibility.unlisted_sees_everyone);
    for (viewer, users) in &visibility.lists {
        out.add_list(viewer);
        for user in users {
            out.allow(viewer, user);
        }
    }
    out
}

/// The core input equal to a model input.
pub fn input(input: &model::Input) -> core::Input {
    let c = |conn: model::ConnId| core::ConnId(conn.0);
    match input.clone() {
        model::Input::Open(conn) => core::Input::Open(c(conn)),
        model::Input::Close(conn) => core::Input::Close(c(conn)),
        model::Input::Login { conn, user } => core::Input::Login {
            conn: c(conn),
            user,
        },
        model::Input::SubscribeAll { conn } => core::Input::SubscribeAll { conn: c(conn) },
        model::Input::UnsubscribeAll { conn } => core::Input::UnsubscribeAll { conn: c(conn) },
        model::Input::Subscribe {
            conn,
            correlation_id,
            names,
        } => core::Input::Subscribe {
            conn: c(conn),
            correlation_id,
            names,
        },
        model::Input::Unsubscribe {
            conn,
            correlation_id,
            names,
        } => core::Input::Unsubscribe {
            conn: c(conn),
            correlation_id,
            names,
        },
        model::Input::QueryAll {
            conn,
            correlation_id,
        } => core::Input::QueryAll {
            conn: c(conn),
            correlation_id,
        },
        model::Input::Query {
            conn,
            correlation_id,
            names,
        } => core::Input::Query {
            conn: c(conn),
            correlation_id,
            names,
        },
    }
}

/// The model input equal to a core input (for logs recorded at the server).
pub fn model_input(input: &core::Input) -> model::Input {
    let c = |conn: core::ConnId| model::ConnId(conn.0);
    match input.clone() {
        core::Input::Open(conn) => model::Input::Open(c(conn)),
        core::Input::Close(conn) => model::Input::Close(c(conn)),
        core::Input::Login { conn, user } => model::Input::Login {
            conn: c(conn),
            user,
        },
        core::Input::SubscribeAll { conn } => model::Input::SubscribeAll { conn: c(conn) },
        core::Input::UnsubscribeAll { conn } => model::Input::UnsubscribeAll { conn: c(conn) },
        core::Input::Subscribe {
            conn,
            correlation_id,
            names,
        } => model::Input::Subscribe {
            conn: c(conn),
            correlation_id,
            names,
        },
        core::Input::Unsubscribe {
            conn,
            correlation_id,
            names,
        } => model::Input::Unsubscribe {
            conn: c(conn),
            correlation_id,
            names,
        },
        core::Input::QueryAll {
            conn,
            correlation_id,
        } => model::Input::QueryAll {
            conn: c(conn),
            correlation_id,
        },
        core::Input::Query {
            conn,
            correlation_id,
            names,
        } => model::Input::Query {
            conn: c(conn),
            correlation_id,
            names,
        },
    }
}

fn request(request: core::Request) -> model::Request {
    match request {
        core::Request::Login => model::Request::Login,
        core::Request::SubscribeAll => model::Request::SubscribeAll,
        core::Request::UnsubscribeAll => model::Request::UnsubscribeAll,
        core::Request::Subscribe => model::Request::Subscribe,
        core::Request::Unsubscribe => model::Request::Unsubscribe,
        core::Request::QueryAll => model::Request::QueryAll,
        core::Request::Query => model::Request::Query,
    }
}

fn name_error(error: core::NameError) -> model::NameError {
    match error {
        core::NameError::Empty => model::NameError::Empty,
        core::NameError::TooLong => model::NameError::TooLong,
        core::NameError::ControlCharacter => model::NameError::ControlCharacter,
    }
}

fn rejection(reason: core::Rejection) -> model::Rejection {
    match reason {
        core::Rejection::NotLoggedIn => model::Rejection::NotLoggedIn,
        core::Rejection::AlreadyLoggedIn => model::Rejection::AlreadyLoggedIn,
        core::Rejection::InvalidName { name, error } => model::Rejection::InvalidName {
            name,
            error: name_error(error),
        },
        core::Rejection::TooManyNames { count, max } => {
            model::Rejection::TooManyNames { count, max }
        }
        core::Rejection::TooManySubscriptions { max } => {
            model::Rejection::TooManySubscriptions { max }
        }
    }
}

fn reply(reply: core::Reply) -> model::Message {
    match reply {
        core::Reply::LoggedIn => model::Message::LoggedIn,
        core::Reply::Rejected {
            request: r,
            correlation_id,
            reason,
        } => model::Message::Rejected {
            request: request(r),
            correlation_id,
            reason: rejection(reason),
        },
        core::Reply::Denied {
            request: r,
            correlation_id,
            name,
        } => model::Message::Denied {
            request: request(r),
            correlation_id,
            name,
        },
        core::Reply::AlreadySubscribed { name } => model::Message::AlreadySubscribed { name },
        core::Reply::SubscribeAllAck => model::Message::SubscribeAllAck,
        core::Reply::UnsubscribeAllAck => model::Message::UnsubscribeAllAck,
        core::Reply::SubscribeAck { correlation_id } => {
            model::Message::SubscribeAck { correlation_id }
        }
        core::Reply::UnsubscribeAck { correlation_id } => {
            model::Message::UnsubscribeAck { correlation_id }
        }
        core::Reply::QueryAllResult {
            correlation_id,
            users,
        } => model::Message::QueryAllResult {
            correlation_id,
            users: users.iter().map(|u| u.to_string()).collect(),
        },
        core::Reply::QueryResult {
            correlation_id,
            online,
        } => model::Message::QueryResult {
            correlation_id,
            online,
        },
    }
}

fn event(event: &core::Event) -> model::Message {
    let user = event.user.to_string();
    match event.kind {
        core::EventKind::JoinAll => model::Message::JoinAll(user),
        core::EventKind::Join => model::Message::Join(user),
        core::EventKind::LeaveAll => model::Message::LeaveAll(user),
        core::EventKind::Leave => model::Message::Leave(user),
    }
}

/// The model deliveries equal to the core's outputs, one per recipient, in output order.
pub fn deliveries(outputs: Vec<core::Output>) -> Vec<model::Delivery> {
    let mut out = Vec::new();
    for output in outputs {
        match output {
            core::Output::Reply { to, reply: r } => out.push(model::Delivery {
                to: model::ConnId(to.0),
                message: reply(r),
            }),
            core::Output::Event {
                event: e,
                recipients,
            } => {
                let message = event(&e);
                for to in recipients {
                    out.push(model::Delivery {
                        to: model::ConnId(to.0),
                        message: message.clone(),
                    });
                }
            }
        }
    }
    out
}

/// What each connection receives, in order. Two servers are indistinguishable to their clients
/// exactly when these agree: the interleaving across different connections is not observable.
pub fn per_connection(
    deliveries: &[model::Delivery],
) -> BTreeMap<model::ConnId, Vec<model::Message>> {
    let mut out: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for delivery in deliveries {
        out.entry(delivery.to)
            .or_default()
            .push(delivery.message.clone());
    }
    out
}
