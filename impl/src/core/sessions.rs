//! Counting sessions per user and deciding when a user comes online or goes offline.
//!
//! This is the half of presence that decides; [`super::subscriptions`] is the half that tells.
//! On a single node the decision is local. In a cluster it comes from the cluster's ordered log,
//! and the same [`Transition`] values drive the local fan-out, which is why the two are apart.

use rustc_hash::FxHashMap;

use super::types::UserName;

/// A user's change of state: the only thing subscribers are ever told about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The user came online (0 -> 1 sessions, R5).
    Joined(UserName),
    /// The user went offline (1 -> 0 sessions, R6).
    Left(UserName),
}

/// Decides transitions from session starts and ends.
///
/// [`Sessions`] is the implementation rollcall runs; the trait is the seam where the decision is
/// made, so that tests can put a deliberately wrong decider in and watch the checks catch it.
pub trait SessionTracker {
    /// A session of `user` started. Returns the interned name (shared with every later event
    /// about the user) and the transition, if this session brought the user online.
    fn session_started(&mut self, user: &str) -> (UserName, Option<Transition>);
    /// A session of `user` ended. Returns the transition, if it took the user offline.
    fn session_ended(&mut self, user: &UserName) -> Option<Transition>;
    /// True when no session is counted (R21).
    fn is_empty(&self) -> bool;
}

/// A boxed tracker is a tracker, so a test harness can choose one at run time.
impl<T: SessionTracker + ?Sized> SessionTracker for Box<T> {
    fn session_started(&mut self, user: &str) -> (UserName, Option<Transition>) {
        (**self).session_started(user)
    }

    fn session_ended(&mut self, user: &UserName) -> Option<Transition> {
        (**self).session_ended(user)
    }

    fn is_empty(&self) -> bool {
        (**self).is_empty()
    }
}

/// Reference counts of sessions per user: O(1) per login and per close.
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    counts: FxHashMap<UserName, (UserName, u32)>,
}

impl Sessions {
    /// How many sessions `user` has open.
    pub fn count(&self, user: &str) -> u32 {
        self.counts.get(user).map_or(0, |(_, n)| *n)
    }
}

impl SessionTracker for Sessions {
    fn session_started(&mut self, user: &str) -> (UserName, Option<Transition>) {
        if let Some((name, count)) = self.counts.get_mut(user) {
            *count += 1;
            return (name.clone(), None);
        }
        let name: UserName = user.into();
        self.counts.insert(name.clone(), (name.clone(), 1));
        (name.clone(), Some(Transition::Joined(name)))
    }

    fn session_ended(&mut self, user: &UserName) -> Option<Transition> {
        let (_, count) = self.counts.get_mut(&**user)?;
        *count -= 1;
        if *count > 0 {
            return None;
        }
        self.counts
            .remove(&**user)
            .map(|(name, _)| Transition::Left(name))
    }

    fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r5_r6_only_first_start_and_last_end_are_transitions() {
        let mut sessions = Sessions::default();
        let (marge, first) = sessions.session_started("marge");
        assert_eq!(first, Some(Transition::Joined(marge.clone())));
        let (again, second) = sessions.session_started("marge");
        assert!(
            std::sync::Arc::ptr_eq(&marge, &again),
            "the name is interned once"
        );
        assert_eq!(second, None);
        assert_eq!(sessions.count("marge"), 2);
        assert_eq!(sessions.session_ended(&marge), None);
        assert_eq!(
            sessions.session_ended(&marge),
            Some(Transition::Left(marge.clone()))
        );
        assert_eq!(
            sessions.session_ended(&marge),
            None,
            "an unknown end is harmless"
        );
        assert!(sessions.is_empty());
    }
}
