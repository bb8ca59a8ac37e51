//! The oracles: what every run must satisfy. Each has a name, which failures report.
//!
//! Safety, on every run:
//! - `model-agreement`: replaying the server's commit log through the reference model gives,
//!   for every input, exactly the deliveries the server made, connection by connection. This
//!   covers "no event without a cause", the multi-device rule (a join only at 0 -> 1 sessions,
//!   a leave only at 1 -> 0) and "no event to a connection that is not subscribed, or after it
//!   unsubscribed or closed".
//! - `alternation`: per device, user and kind of subscription, the events a client receives
//!   alternate join/leave while its subscriptions and connection stay the same.
//! - `delivery`: what a device's client received is, in order, part of what the server sent
//!   to that device's connections: nothing invented, nothing reordered.
//! - `getall-linearizable`: every getAll() answer equals the true online set minus the
//!   caller's user at some instant between the request and its answer.
//! - `clean-slate`: once every client is gone, the server holds no state.
//!
//! Liveness, after the workload ends, faults heal and every timeout has expired:
//! - `converged`: a device subscribed to everyone sees the truth: its final getAll() plus the
//!   events after it equal the online set at the end.
//! - `dead-detected`: a device that died silently is offline within 2 x heartbeat + 500 ms.
//!
//! Coverage counts how often interesting situations occurred; a sweep that never met one of
//! them proves nothing about it.

use std::collections::{BTreeMap, BTreeSet};

use rollcall_conformance::adapter::per_connection;
use rollcall_model::{Input, Message, Model, Visibility};
use serde::Serialize;

use crate::device::Timing;
use crate::schedule::Schedule;
use crate::trace::{Entry, Note, Stamped};

/// Slack allowed beyond twice the heartbeat for a silent death to be noticed.
pub const DEATH_SLACK_MS: u64 = 500;

/// A broken oracle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The oracle's name.
    pub oracle: &'static str,
    /// When (simulated ms) the violation shows.
    pub t_ms: u64,
    /// What exactly is wrong.
    pub detail: String,
}

impl Violation {
    /// A violation of `oracle` at `t_ms`.
    pub fn new(oracle: &'static str, t_ms: u64, detail: String) -> Self {
        Violation {
            oracle,
            t_ms,
            detail,
        }
    }
}

/// How often interesting situations occurred in a run (or a sweep).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Deliveries checked against the model.
    pub events_checked: u64,
    /// getAll() answers checked for linearizability.
    pub queries_checked: u64,
    /// A user's second device logged in while someone watched that user.
    pub second_device_while_watched: u64,
    /// A silently dead connection was closed by the heartbeat timeout.
    pub silent_death_timed_out: u64,
    /// A connection that stopped reading was cut off.
    pub slow_consumer_cut_off: u64,
    /// A client reconnected, restored its subscriptions and received an event through them.
    pub reconnect_restored: u64,
}

impl Coverage {
    /// Adds another run's counts.
    pub fn add(&mut self, other: &Coverage) {
        self.events_checked += other.events_checked;
        self.queries_checked += other.queries_checked;
        self.second_device_while_watched += other.second_device_while_watched;
        self.silent_death_timed_out += other.silent_death_timed_out;
        self.slow_consumer_cut_off += other.slow_consumer_cut_off;
        self.reconnect_restored += other.reconnect_restored;
    }

    /// The situations that never occurred.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        for (count, name) in [
            (
                self.second_device_while_watched,
                "second device joined while watched",
            ),
            (self.silent_death_timed_out, "silent death timed out"),
            (self.slow_consumer_cut_off, "slow consumer cut off"),
            (self.reconnect_restored, "reconnect restored subscriptions"),
        ] {
            if count == 0 {
                missing.push(name);
            }
        }
        missing
    }
}

/// An event as a client sees it: user, joined, delivered for a subscription to everyone.
type Seen = (String, bool, bool);

fn seen(message: &Message) -> Option<Seen> {
    match message {
        Message::JoinAll(u) => Some((u.clone(), true, true)),
        Message::LeaveAll(u) => Some((u.clone(), false, true)),
        Message::Join(u) => Some((u.clone(), true, false)),
        Message::Leave(u) => Some((u.clone(), false, false)),
        _ => None,
    }
}

/// What the commit log says, derived once.
struct Replay {
    /// (time, online set after the entry).
    online: Vec<(u64, BTreeSet<String>)>,
    /// Connection -> host it came from.
    host_of: BTreeMap<u64, String>,
    /// Connection -> events the server sent it, in order.
    sent: BTreeMap<u64, Vec<Seen>>,
    /// Connection -> (opened, closed) times.
    lifetime: BTreeMap<u64, (u64, Option<u64>)>,
}

impl Replay {
    /// The online set in effect at `t_ms` (after every entry stamped at or before it).
    fn online_at(&self, t_ms: u64) -> BTreeSet<String> {
        let index = self.online.partition_point(|(t, _)| *t <= t_ms);
        index
            .checked_sub(1)
            .map(|i| self.online[i].1.clone())
            .unwrap_or_default()
    }

    /// Every online set in effect at some instant of `[from, to]`.
    fn online_during(&self, from: u64, to: u64) -> Vec<BTreeSet<String>> {
        let mut sets = vec![self.online_at(from)];
        sets.extend(
            self.online
                .iter()
                .filter(|(t, _)| *t > from && *t <= to)
                .map(|(_, s)| s.clone()),
        );
        sets
    }
}

/// Checks every oracle; returns the earliest violation and the coverage.
pub fn check(
    schedule: &Schedule,
    trace: &[Stamped],
    timing: &Timing,
) -> (Option<Violation>, Coverage) {
    let mut coverage = Coverage::default();
    let mut violations = Vec::new();
    let replay = match model_agreement(trace, &mut coverage) {
        Ok(replay) => replay,
        Err(violation) => return (Some(violation), coverage),
    };
    let devices: BTreeSet<String> = schedule.devices().iter().map(|d| d.host()).collect();
    for host in &devices {
        let notes: Vec<(u64, &Note)> = trace
            .iter()
            .filter_map(|s| match &s.entry {
                Entry::Device { host: h, note } if h == host => Some((s.t_ms, note)),
                _ => None,
            })
            .collect();
        let user = host
            .trim_start_matches('d')
            .split('-')
            .next()
            .map(|u| format!("u{u}"))
            .unwrap_or_default();
        violations.extend(alternation(host, &notes));
        violations.extend(delivery(host, &notes, &replay));
        violations.extend(linearizable(host, &user, &notes, &replay, &mut coverage));
        violations.extend(converged(host, &user, &notes, &replay, timing));
        coverage.reconnect_restored += reconnects_restored(&notes);
    }
    violations.extend(clean_slate(trace));
    let (late, detected) = dead_detected(trace, &replay, timing);
    violations.extend(late);
    coverage.silent_death_timed_out += detected;
    for stamped in trace {
        if let Entry::Closed { reason, .. } = &stamped.entry {
            if reason == "SlowConsumer" {
                coverage.slow_consumer_cut_off += 1;
            }
        }
    }
    let first = violations.into_iter().min_by_key(|v| v.t_ms);
    (first, coverage)
}

/// `model-agreement`, and the derived facts the other oracles need.
fn model_agreement(trace: &[Stamped], coverage: &mut Coverage) -> Result<Replay, Violation> {
    let config = crate::run::server_config();
    let limits = config.limits.core();
    let limits = rollcall_model::Limits {
        max_name_bytes: limits.max_name_bytes,
        max_names_per_request: limits.max_names_per_request,
        max_subscriptions_per_connection: limits.max_subscriptions_per_connection,
    };
    let mut model = Model::new(limits, Visibility::default());
    let mut replay = Replay {
        online: Vec::new(),
        host_of: BTreeMap::new(),
        sent: BTreeMap::new(),
        lifetime: BTreeMap::new(),
    };
    for stamped in trace {
        let t = stamped.t_ms;
        match &stamped.entry {
            Entry::Opened { conn, host } => {
                replay.host_of.insert(*conn, host.clone());
                replay.lifetime.insert(*conn, (t, None));
            }
            Entry::Closed { conn, .. } => {
                if let Some((_, closed)) = replay.lifetime.get_mut(conn) {
                    closed.get_or_insert(t);
                }
            }
            Entry::Applied {
                input, deliveries, ..
            } => {
                if let Input::Login {
                    user: Some(user), ..
                } = input
                {
                    if model.online().contains(user) && model.is_watched(user) {
                        coverage.second_device_while_watched += 1;
                    }
                }
                let expected = model.apply(input.clone());
                let (want, got) = (per_connection(&expected), per_connection(deliveries));
                if want != got {
                    let detail = format!(
                        "after {input:?}\n  the model delivers {want:?}\n  the server delivered {got:?}"
                    );
                    return Err(Violation::new("model-agreement", t, detail));
                }
                coverage.events_checked += deliveries.len() as u64;
                for delivery in deliveries {
                    if let Some(event) = seen(&delivery.message) {
                        replay.sent.entry(delivery.to.0).or_default().push(event);
                    }
                }
                replay.online.push((t, model.online()));
            }
            Entry::Device { .. } | Entry::Fault(_) => {}
        }
    }
    Ok(replay)
}

/// `alternation`.
fn alternation(host: &str, notes: &[(u64, &Note)]) -> Option<Violation> {
    let mut last: BTreeMap<(String, bool), bool> = BTreeMap::new();
    for (t, note) in notes {
        match note {
            Note::Event {
                user,
                online,
                everyone,
            } => {
                let previous = last.insert((user.clone(), *everyone), *online);
                if previous == Some(*online) {
                    let what = if *online { "joins" } else { "leaves" };
                    let detail = format!("{host} received two {what} of {user} in a row");
                    return Some(Violation::new("alternation", *t, detail));
                }
            }
            Note::Connected
            | Note::Reconnected
            | Note::Disconnected
            | Note::Closed
            | Note::SubscriptionReset => last.clear(),
            _ => {}
        }
    }
    None
}

/// `delivery`: the device's received events are a subsequence of what was sent to it.
fn delivery(host: &str, notes: &[(u64, &Note)], replay: &Replay) -> Option<Violation> {
    let sent: Vec<&Seen> = replay
        .host_of
        .iter()
        .filter(|(_, h)| h.as_str() == host)
        .flat_map(|(conn, _)| replay.sent.get(conn).into_iter().flatten())
        .collect();
    let mut next = 0;
    for (t, note) in notes {
        if let Note::Event {
            user,
            online,
            everyone,
        } = note
        {
            let event = (user.clone(), *online, *everyone);
            match sent[next..].iter().position(|s| **s == event) {
                Some(offset) => next += offset + 1,
                None => {
                    let detail = format!(
                        "{host} received {event:?}, which the server never sent it (in that order)"
                    );
                    return Some(Violation::new("delivery", *t, detail));
                }
            }
        }
    }
    None
}

/// `getall-linearizable`.
fn linearizable(
    host: &str,
    user: &str,
    notes: &[(u64, &Note)],
    replay: &Replay,
    coverage: &mut Coverage,
) -> Option<Violation> {
    for (t, note) in notes {
        let (Note::AllOnline { sent_ms, users } | Note::FinalView { sent_ms, users }) = note else {
            continue;
        };
        coverage.queries_checked += 1;
        let answer: BTreeSet<String> = users.iter().cloned().collect();
        let candidates = replay.online_during(*sent_ms, *t);
        let matches = candidates.iter().any(|online| {
            let mut online = online.clone();
            online.remove(user);
            online == answer
        });
        if !matches {
            let detail = format!(
                "{host} asked getAll() at {sent_ms} ms and got {answer:?} at {t} ms; the online \
                 sets meanwhile were {candidates:?} (minus {user})"
            );
            return Some(Violation::new("getall-linearizable", *t, detail));
        }
    }
    None
}

/// `converged`.
fn converged(
    host: &str,
    user: &str,
    notes: &[(u64, &Note)],
    replay: &Replay,
    timing: &Timing,
) -> Option<Violation> {
    let start = notes
        .iter()
        .rposition(|(_, n)| matches!(n, Note::FinalView { .. }))?;
    let (t, Note::FinalView { users, .. }) = notes[start] else {
        return None;
    };
    let mut view: BTreeSet<String> = users.iter().cloned().collect();
    for (_, note) in &notes[start + 1..] {
        match note {
            Note::Event {
                user,
                online,
                everyone: true,
            } => {
                if *online {
                    view.insert(user.clone());
                } else {
                    view.remove(user);
                }
            }
            Note::Disconnected | Note::SubscriptionReset => return None,
            _ => {}
        }
    }
    let mut truth = replay.online_at(timing.close_ms.saturating_sub(1));
    truth.remove(user);
    (view != truth).then(|| {
        let detail = format!("{host}'s view at the end is {view:?}, the truth is {truth:?}");
        Violation::new("converged", t, detail)
    })
}

/// `clean-slate`.
fn clean_slate(trace: &[Stamped]) -> Option<Violation> {
    let last = trace.iter().rev().find_map(|s| match &s.entry {
        Entry::Applied { core_is_empty, .. } => Some((s.t_ms, *core_is_empty)),
        _ => None,
    })?;
    (!last.1).then(|| {
        Violation::new(
            "clean-slate",
            last.0,
            "every client is gone but the server still holds state".into(),
        )
    })
}

/// `dead-detected`; also counts the silently dead connections the heartbeat closed in time.
fn dead_detected(trace: &[Stamped], replay: &Replay, timing: &Timing) -> (Vec<Violation>, u64) {
    let mut violations = Vec::new();
    let mut detected = 0;
    let limit = 2 * timing.heartbeat_ms + DEATH_SLACK_MS;
    for stamped in trace {
        let Entry::Fault(what) = &stamped.entry else {
            continue;
        };
        let Some(host) = what.strip_prefix("silent death of ") else {
            continue;
        };
        let died = stamped.t_ms;
        for (conn, h) in &replay.host_of {
            let Some((opened, closed)) = replay.lifetime.get(conn) else {
                continue;
            };
            let open_then = *opened <= died && closed.is_none_or(|c| c > died);
            if h != host || !open_then {
                continue;
            }
            if closed.is_none_or(|c| c > died + limit) {
                let detail = format!("{host} died silently at {died} ms; its connection {conn} was still open {limit} ms later");
                violations.push(Violation::new("dead-detected", died + limit, detail));
            } else {
                detected += 1;
            }
        }
    }
    (violations, detected)
}

/// Reconnections followed by an event through the restored subscriptions.
fn reconnects_restored(notes: &[(u64, &Note)]) -> u64 {
    let mut count = 0;
    let mut after_reconnect = false;
    for (_, note) in notes {
        match note {
            Note::Reconnected => after_reconnect = true,
            Note::Event { .. } if after_reconnect => {
                count += 1;
                after_reconnect = false;
            }
            Note::Disconnected | Note::Closed | Note::Connected => after_reconnect = false,
            _ => {}
        }
    }
    count
}
