//! Delta debugging: make a failing schedule as small as possible while the same oracle still
//! fails.
//!
//! Tried in order, each kept only if the failure persists: dropping every step of a device,
//! dropping chunks of steps (halves, quarters, ... single steps), dropping faults, and pulling
//! steps earlier (shorter delays, shorter runs).

use std::sync::Arc;

use crate::run::run;
use crate::schedule::{Action, Schedule};
use crate::variant::Variant;

/// Shrinks `schedule`, which fails `oracle` on `variant`, within `budget` runs.
pub fn shrink(
    schedule: &Schedule,
    variant: Arc<dyn Variant>,
    oracle: &str,
    budget: usize,
) -> Schedule {
    let spent = std::cell::Cell::new(0usize);
    let fails = |candidate: &Schedule| {
        spent.set(spent.get() + 1);
        run(candidate, variant.clone())
            .violation
            .is_some_and(|v| v.oracle == oracle)
    };
    let left = || spent.get() < budget;
    let mut best = fit(schedule.clone());
    let mut progress = true;
    while progress && left() {
        progress = false;
        // Whole devices.
        for device in best.devices() {
            let candidate = fit(without(&best, |s| s.device == device));
            if candidate.steps.len() < best.steps.len() && left() && fails(&candidate) {
                best = candidate;
                progress = true;
            }
        }
        // Faults first, then chunks of any steps.
        let faults = |s: &crate::schedule::Step| {
            matches!(
                s.action,
                Action::Latency { .. }
                    | Action::SlowConsumer
                    | Action::Crash
                    | Action::SilentDeath
                    | Action::Partition { .. }
            )
        };
        for index in (0..best.steps.len()).rev() {
            if index < best.steps.len() && faults(&best.steps[index]) && left() {
                let mut candidate = best.clone();
                candidate.steps.remove(index);
                let candidate = fit(candidate);
                if fails(&candidate) {
                    best = candidate;
                    progress = true;
                }
            }
        }
        let mut chunk = best.steps.len().div_ceil(2);
        while chunk >= 1 && left() {
            let mut start = 0;
            while start < best.steps.len() && left() {
                let mut candidate = best.clone();
                let end = (start + chunk).min(candidate.steps.len());
                candidate.steps.drain(start..end);
                let candidate = fit(candidate);
                if fails(&candidate) {
                    best = candidate;
                    progress = true;
                } else {
                    start += chunk;
                }
            }
            chunk /= 2;
        }
        // Shorter delays: pull every step halfway towards the previous one.
        if left() && best.steps.len() > 1 {
            let mut candidate = best.clone();
            let mut previous = 0;
            for step in &mut candidate.steps {
                let pulled = previous + (step.at_ms - previous) / 2;
                previous = step.at_ms;
                step.at_ms = pulled;
            }
            let candidate = fit(candidate);
            if candidate != best && fails(&candidate) {
                best = candidate;
                progress = true;
            }
        }
    }
    best
}

fn without(schedule: &Schedule, drop: impl Fn(&crate::schedule::Step) -> bool) -> Schedule {
    let mut out = schedule.clone();
    out.steps.retain(|s| !drop(s));
    out
}

/// Shrinks the schedule's shape to what its steps use: fewer hosts, a shorter run.
fn fit(mut schedule: Schedule) -> Schedule {
    schedule.params.users = schedule
        .steps
        .iter()
        .map(|s| s.device.user + 1)
        .max()
        .unwrap_or(1);
    schedule.params.devices = schedule
        .steps
        .iter()
        .map(|s| s.device.index + 1)
        .max()
        .unwrap_or(1);
    schedule.params.duration_ms = schedule.steps.last().map_or(0, |s| s.at_ms + 1);
    schedule.steps.sort_by_key(|s| (s.at_ms, s.device));
    schedule
}
