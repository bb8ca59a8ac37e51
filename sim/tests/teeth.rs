//! The simulator has teeth: a catalogue of deliberately wrong servers, each of which must be
//! caught within a stated number of seeds and shrunk to a short case.
//!
//! The wrong servers exist only here, in the simulator's tests: they swap the core's session
//! tracker or rewrite the hub's outputs through the instrumentation hook, never the production
//! code.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rollcall::core::{ConnId, EventKind, Input, Output, SessionTracker};
use rollcall::server::CloseReason;
use rollcall_sim::shrink::shrink;
use rollcall_sim::{run, Params, Schedule, Tap, Variant};

/// Seeds tried before a bug counts as missed.
const SEEDS: u64 = 10;
/// Simulations a shrink may spend.
const SHRINK_BUDGET: usize = 60;
/// The longest acceptable shrunk case, in steps.
const SHORT: usize = 8;

/// Small workloads: bugs show in seconds, and shrinking has less to remove.
fn params() -> Params {
    Params {
        users: 3,
        devices: 2,
        duration_ms: 8_000,
        ..Params::default()
    }
}

/// Finds a failing seed, checks the oracle, shrinks, checks the shrunk case still fails and is
/// short. Returns the shrunk case.
fn caught(variant: Arc<dyn Variant>, oracles: &[&str]) -> Schedule {
    let failing = (0..SEEDS).find_map(|seed| {
        let schedule = Schedule::generate(seed, &params());
        run(&schedule, variant.clone())
            .violation
            .map(|v| (schedule, v))
    });
    let Some((schedule, violation)) = failing else {
        panic!("{} was not caught in {SEEDS} seeds", variant.name());
    };
    assert!(
        oracles.contains(&violation.oracle),
        "{} was caught by {}, expected one of {oracles:?}: {}",
        variant.name(),
        violation.oracle,
        violation.detail
    );
    let small = shrink(&schedule, variant.clone(), violation.oracle, SHRINK_BUDGET);
    let again = run(&small, variant.clone())
        .violation
        .expect("the shrunk case still fails");
    assert_eq!(again.oracle, violation.oracle);
    assert!(
        small.steps.len() <= SHORT,
        "{}: shrunk from {} to {} steps only:\n{}",
        variant.name(),
        schedule.steps.len(),
        small.steps.len(),
        serde_json::to_string_pretty(&small).unwrap_or_default()
    );
    if let Ok(dir) = std::env::var("ROLLCALL_SIM_SAVE_CASES") {
        let path = std::path::Path::new(&dir).join(format!("{}.json", variant.name()));
        std::fs::write(
            path,
            serde_json::to_string_pretty(&small).unwrap_or_default(),
        )
        .expect("writes");
    }
    small
}

/// Reports a leave whenever any device of a user closes (the multi-device rule broken).
struct LeaveOnAnyClose;

impl Variant for LeaveOnAnyClose {
    fn name(&self) -> &str {
        "leave-on-any-close"
    }

    fn tracker(&self) -> Box<dyn SessionTracker + Send> {
        Box::<rollcall_conformance::wrong::LeaveOnAnyClose>::default()
    }
}

/// Keeps sending a user's events to connections that unsubscribed from that user.
struct EventsAfterUnsubscribe;

#[derive(Default)]
struct EventsAfterUnsubscribeTap {
    gone: BTreeMap<ConnId, BTreeSet<String>>,
}

impl Tap for EventsAfterUnsubscribeTap {
    fn tap(&mut self, input: &Input, outputs: &mut Vec<Output>) {
        match input {
            Input::Unsubscribe { conn, names, .. } => {
                self.gone
                    .entry(*conn)
                    .or_default()
                    .extend(names.iter().cloned());
            }
            Input::Subscribe { conn, names, .. } => {
                if let Some(gone) = self.gone.get_mut(conn) {
                    names.iter().for_each(|n| {
                        gone.remove(n);
                    });
                }
            }
            Input::Close(conn) => {
                self.gone.remove(conn);
            }
            _ => {}
        }
        for output in outputs.iter_mut() {
            if let Output::Event { event, recipients } = output {
                if matches!(event.kind, EventKind::Join | EventKind::Leave) {
                    for (conn, users) in &self.gone {
                        if users.contains(&*event.user) && !recipients.contains(conn) {
                            recipients.push(*conn);
                        }
                    }
                }
            }
        }
    }
}

impl Variant for EventsAfterUnsubscribe {
    fn name(&self) -> &str {
        "events-after-unsubscribe"
    }

    fn tap(&self) -> Option<Box<dyn Tap>> {
        Some(Box::<EventsAfterUnsubscribeTap>::default())
    }
}

/// A subscription races the join it should report: the first event a connection would get
/// through a new per-name subscription is lost.
struct SubscribeRacesJoin;

#[derive(Default)]
struct SubscribeRacesJoinTap {
    fresh: BTreeMap<ConnId, BTreeSet<String>>,
}

impl Tap for SubscribeRacesJoinTap {
    fn tap(&mut self, input: &Input, outputs: &mut Vec<Output>) {
        if let Input::Subscribe { conn, names, .. } = input {
            self.fresh
                .entry(*conn)
                .or_default()
                .extend(names.iter().cloned());
        }
        for output in outputs.iter_mut() {
            if let Output::Event { event, recipients } = output {
                if matches!(event.kind, EventKind::Join | EventKind::Leave) {
                    recipients.retain(|conn| {
                        let fresh = self.fresh.get_mut(conn);
                        !fresh.is_some_and(|names| names.remove(&*event.user))
                    });
                }
            }
        }
    }
}

impl Variant for SubscribeRacesJoin {
    fn name(&self) -> &str {
        "subscribe-races-join"
    }

    fn tap(&self) -> Option<Box<dyn Tap>> {
        Some(Box::<SubscribeRacesJoinTap>::default())
    }
}

/// A session closed by the heartbeat timeout is not counted as a logout: nobody hears of it.
struct TimeoutIsNoLogout;

#[derive(Default)]
struct TimeoutIsNoLogoutTap {
    timed_out: BTreeSet<ConnId>,
}

impl Tap for TimeoutIsNoLogoutTap {
    fn closed(&mut self, conn: ConnId, reason: CloseReason) {
        if reason == CloseReason::HeartbeatTimeout {
            self.timed_out.insert(conn);
        }
    }

    fn tap(&mut self, input: &Input, outputs: &mut Vec<Output>) {
        if let Input::Close(conn) = input {
            if self.timed_out.remove(conn) {
                outputs.retain(|o| !matches!(o, Output::Event { .. }));
            }
        }
    }
}

impl Variant for TimeoutIsNoLogout {
    fn name(&self) -> &str {
        "timeout-is-no-logout"
    }

    fn tap(&self) -> Option<Box<dyn Tap>> {
        Some(Box::<TimeoutIsNoLogoutTap>::default())
    }
}

#[test]
fn a_leave_on_any_close_is_caught_and_shrunk() {
    caught(Arc::new(LeaveOnAnyClose), &["model-agreement"]);
}

#[test]
fn events_after_unsubscribe_are_caught_and_shrunk() {
    caught(Arc::new(EventsAfterUnsubscribe), &["model-agreement"]);
}

#[test]
fn a_subscribe_racing_a_join_is_caught_and_shrunk() {
    caught(Arc::new(SubscribeRacesJoin), &["model-agreement"]);
}

#[test]
fn a_timed_out_session_not_counted_as_a_logout_is_caught_and_shrunk() {
    caught(Arc::new(TimeoutIsNoLogout), &["model-agreement"]);
}
