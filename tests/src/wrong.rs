//! Deliberately wrong pieces of a presence server, to prove that the checks catch real bugs.
//! They live in this test-support crate only; the production server never links them.

use rollcall::core::{SessionTracker, Sessions, Transition, UserName};

/// Counts sessions correctly but announces a leave whenever any device of a user closes: the
/// classic multi-device bug (against SPEC.md R6).
#[derive(Default)]
pub struct LeaveOnAnyClose(Sessions);

impl SessionTracker for LeaveOnAnyClose {
    fn session_started(&mut self, user: &str) -> (UserName, Option<Transition>) {
        self.0.session_started(user)
    }

    fn session_ended(&mut self, user: &UserName) -> Option<Transition> {
        self.0.session_ended(user);
        Some(Transition::Left(user.clone()))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
