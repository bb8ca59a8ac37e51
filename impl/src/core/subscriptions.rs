//! Who follows whom, and the fan-out of a transition to its followers (SPEC.md R7).
//!
//! Two indexes make the fan-out O(followers): the set of connections subscribed to everyone,
//! and, per watched user, the set of connections subscribed to that user. A third map, per
//! connection, lets a close or an unsubscribe find its entries without scanning.

use indexmap::{IndexMap, IndexSet};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use super::sessions::Transition;
use super::types::{ConnId, Event, EventKind, Output, UserName};
use super::visibility::Visibility;

/// The subscription indexes of one node. Iteration order is insertion order (with swap-removal),
/// so a schedule always fans out in the same order.
#[derive(Clone, Debug, Default)]
pub struct Subscriptions {
    /// Subscribers of everyone, with the identity they view as (for R14 filtering).
    everyone: IndexMap<ConnId, Option<UserName>, FxBuildHasher>,
    /// Watched user -> the connections subscribed to that user.
    watchers: FxHashMap<UserName, IndexSet<ConnId, FxBuildHasher>>,
    /// Connection -> the users it is subscribed to by name.
    followed: FxHashMap<ConnId, FxHashSet<UserName>>,
}

impl Subscriptions {
    /// R10: subscribes `conn` to everyone; returns false if it already was.
    pub fn subscribe_all(&mut self, conn: ConnId, viewer: Option<UserName>) -> bool {
        self.everyone.insert(conn, viewer).is_none()
    }

    /// R13: unsubscribes `conn` from everyone; per-name subscriptions stay.
    pub fn unsubscribe_all(&mut self, conn: ConnId) {
        self.everyone.swap_remove(&conn);
    }

    /// Is `conn` subscribed to `user` by name?
    pub fn follows(&self, conn: ConnId, user: &str) -> bool {
        self.followed
            .get(&conn)
            .is_some_and(|users| users.contains(user))
    }

    /// How many per-name subscriptions `conn` holds (R18).
    pub fn follow_count(&self, conn: ConnId) -> usize {
        self.followed.get(&conn).map_or(0, FxHashSet::len)
    }

    /// R11: subscribes `conn` to `user` by name (idempotent).
    pub fn follow(&mut self, conn: ConnId, user: &str) {
        let user: UserName = match self.watchers.get_key_value(user) {
            Some((interned, _)) => interned.clone(),
            None => user.into(),
        };
        self.watchers.entry(user.clone()).or_default().insert(conn);
        self.followed.entry(conn).or_default().insert(user);
    }

    /// R12: unsubscribes `conn` from `user`; nothing happens if it was not subscribed.
    pub fn unfollow(&mut self, conn: ConnId, user: &str) {
        let Some(users) = self.followed.get_mut(&conn) else {
            return;
        };
        if users.remove(user) {
            if users.is_empty() {
                self.followed.remove(&conn);
            }
            self.drop_watcher(user, conn);
        }
    }

    /// R6: forgets every subscription of a closing connection.
    pub fn remove_connection(&mut self, conn: ConnId) {
        self.everyone.swap_remove(&conn);
        for user in self.followed.remove(&conn).unwrap_or_default() {
            self.drop_watcher(&user, conn);
        }
    }

    fn drop_watcher(&mut self, user: &str, conn: ConnId) {
        if let Some(conns) = self.watchers.get_mut(user) {
            conns.swap_remove(&conn);
            if conns.is_empty() {
                self.watchers.remove(user);
            }
        }
    }

    /// R7: the outputs of one transition: the `*_ALL` event to subscribers of everyone who may
    /// see the user, then the per-user event to the user's subscribers. Each event is built once
    /// and names all its recipients; a transition with no recipient produces nothing.
    pub fn fan_out(&self, transition: &Transition, visibility: &Visibility, out: &mut Vec<Output>) {
        let (user, all_kind, one_kind) = match transition {
            Transition::Joined(user) => (user, EventKind::JoinAll, EventKind::Join),
            Transition::Left(user) => (user, EventKind::LeaveAll, EventKind::Leave),
        };
        let everyone: Vec<ConnId> = if visibility.everyone_sees_everyone() {
            self.everyone.keys().copied().collect()
        } else {
            let sees = |(_, viewer): &(&ConnId, &Option<UserName>)| {
                visibility.may_see(viewer.as_deref(), user)
            };
            self.everyone
                .iter()
                .filter(sees)
                .map(|(conn, _)| *conn)
                .collect()
        };
        if !everyone.is_empty() {
            let event = Event {
                kind: all_kind,
                user: user.clone(),
            };
            out.push(Output::Event {
                event,
                recipients: everyone,
            });
        }
        if let Some(watchers) = self.watchers.get(&**user) {
            let event = Event {
                kind: one_kind,
                user: user.clone(),
            };
            out.push(Output::Event {
                event,
                recipients: watchers.iter().copied().collect(),
            });
        }
    }

    /// True when no subscription of any kind is held (R21).
    pub fn is_empty(&self) -> bool {
        self.everyone.is_empty() && self.watchers.is_empty() && self.followed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, user: &str, recipients: &[u64]) -> Output {
        let recipients = recipients.iter().map(|&c| ConnId(c)).collect();
        Output::Event {
            event: Event {
                kind,
                user: user.into(),
            },
            recipients,
        }
    }

    #[test]
    fn r7_all_subscribers_first_then_the_users_subscribers() {
        let mut subs = Subscriptions::default();
        subs.subscribe_all(ConnId(1), Some("homer".into()));
        subs.subscribe_all(ConnId(2), None);
        subs.follow(ConnId(1), "marge");
        subs.follow(ConnId(3), "marge");
        let mut out = Vec::new();
        subs.fan_out(
            &Transition::Joined("marge".into()),
            &Visibility::everyone(),
            &mut out,
        );
        let expected = vec![
            event(EventKind::JoinAll, "marge", &[1, 2]),
            event(EventKind::Join, "marge", &[1, 3]),
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn r13_r14_filtering_and_unsubscribe_all() {
        let mut subs = Subscriptions::default();
        let mut friends = Visibility::with_unlisted_default(false);
        friends.allow("homer", "marge");
        subs.subscribe_all(ConnId(1), Some("homer".into()));
        subs.subscribe_all(ConnId(2), Some("lisa".into()));
        subs.follow(ConnId(2), "marge");
        let mut out = Vec::new();
        subs.fan_out(&Transition::Left("marge".into()), &friends, &mut out);
        let expected = vec![
            event(EventKind::LeaveAll, "marge", &[1]),
            event(EventKind::Leave, "marge", &[2]),
        ];
        assert_eq!(out, expected);
        subs.unsubscribe_all(ConnId(1));
        subs.unsubscribe_all(ConnId(2));
        out.clear();
        subs.fan_out(&Transition::Left("marge".into()), &friends, &mut out);
        assert_eq!(out, vec![event(EventKind::Leave, "marge", &[2])]);
    }

    #[test]
    fn r12_r21_unfollow_and_close_leave_nothing_behind() {
        let mut subs = Subscriptions::default();
        subs.follow(ConnId(1), "marge");
        subs.follow(ConnId(1), "lisa");
        subs.follow(ConnId(2), "marge");
        subs.subscribe_all(ConnId(2), None);
        assert_eq!(subs.follow_count(ConnId(1)), 2);
        subs.unfollow(ConnId(1), "marge");
        subs.unfollow(ConnId(1), "never");
        assert!(!subs.follows(ConnId(1), "marge") && subs.follows(ConnId(1), "lisa"));
        subs.remove_connection(ConnId(1));
        subs.remove_connection(ConnId(2));
        assert!(subs.is_empty());
    }
}
