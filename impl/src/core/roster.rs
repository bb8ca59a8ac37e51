//! The online users as this node knows them, kept sorted for getAll (SPEC.md R8).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::sessions::Transition;
use super::types::{UserList, UserName};
use super::visibility::Visibility;

/// The set of online users, fed only by transitions. Queries are answered from here.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    online: BTreeSet<UserName>,
    /// The sorted online users as one shared list, built on the first getAll() after a change.
    snapshot: Option<Arc<[UserName]>>,
}

impl Roster {
    /// Records a transition.
    pub fn apply(&mut self, transition: &Transition) {
        self.snapshot = None;
        match transition {
            Transition::Joined(user) => self.online.insert(user.clone()),
            Transition::Left(user) => self.online.remove(user),
        };
    }

    /// Is `user` online?
    pub fn contains(&self, user: &str) -> bool {
        self.online.contains(user)
    }

    /// R8: the online users `viewer` may see, without `viewer` itself, in ascending byte order.
    pub fn visible_to(&mut self, viewer: Option<&str>, visibility: &Visibility) -> UserList {
        if visibility.everyone_sees_everyone() {
            let online = &self.online;
            let snapshot = self
                .snapshot
                .get_or_insert_with(|| online.iter().cloned().collect());
            let skip = viewer.and_then(|v| snapshot.binary_search_by(|u| (**u).cmp(v)).ok());
            return UserList::new(snapshot.clone(), skip);
        }
        let visible: Arc<[UserName]> = self
            .online
            .iter()
            .filter(|u| Some(&***u) != viewer && visibility.may_see(viewer, u))
            .cloned()
            .collect();
        UserList::new(visible, None)
    }

    /// How many users are online.
    pub fn len(&self) -> usize {
        self.online.len()
    }

    /// True when nobody is online.
    pub fn is_empty(&self) -> bool {
        self.online.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(name: &str) -> Transition {
        Transition::Joined(name.into())
    }

    #[test]
    fn r8_visible_to_is_sorted_excludes_the_viewer_and_filters() {
        let mut roster = Roster::default();
        for name in ["marge", "homer", "lisa"] {
            roster.apply(&joined(name));
        }
        let names = |v: UserList| v.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let everyone = Visibility::everyone();
        assert_eq!(
            names(roster.visible_to(Some("lisa"), &everyone)),
            ["homer", "marge"]
        );
        assert_eq!(
            names(roster.visible_to(None, &everyone)),
            ["homer", "lisa", "marge"]
        );
        let mut friends = Visibility::with_unlisted_default(false);
        friends.allow("homer", "marge");
        assert_eq!(names(roster.visible_to(Some("homer"), &friends)), ["marge"]);
        roster.apply(&Transition::Left("marge".into()));
        assert!(!roster.contains("marge"));
        assert_eq!(roster.len(), 2);
    }

    #[test]
    fn r8_r20_the_shared_list_is_reused_until_the_roster_changes() {
        let mut roster = Roster::default();
        for name in ["marge", "homer"] {
            roster.apply(&joined(name));
        }
        let everyone = Visibility::everyone();
        let first = roster.visible_to(Some("homer"), &everyone);
        let second = roster.visible_to(Some("marge"), &everyone);
        assert_eq!((first.len(), second.len()), (1, 1));
        assert!(
            first.shares_names_with(&second),
            "one list, shared by both answers"
        );
        roster.apply(&joined("lisa"));
        let third = roster.visible_to(Some("homer"), &everyone);
        let names: Vec<_> = third.iter().map(|u| u.to_string()).collect();
        assert_eq!(names, ["lisa", "marge"], "a change is seen at once");
    }
}
