//! The online users as this node knows them, kept sorted for getAll (SPEC.md R8).

use std::collections::BTreeSet;

use super::sessions::Transition;
use super::types::UserName;
use super::visibility::Visibility;

/// The set of online users, fed only by transitions. Queries are answered from here.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    online: BTreeSet<UserName>,
}

impl Roster {
    /// Records a transition.
    pub fn apply(&mut self, transition: &Transition) {
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
    pub fn visible_to(&self, viewer: Option<&str>, visibility: &Visibility) -> Vec<UserName> {
        let others = self.online.iter().filter(|u| Some(&***u) != viewer);
        if visibility.everyone_sees_everyone() {
            others.cloned().collect()
        } else {
            others
                .filter(|u| visibility.may_see(viewer, u))
                .cloned()
                .collect()
        }
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
        let names = |v: Vec<UserName>| v.iter().map(|u| u.to_string()).collect::<Vec<_>>();
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
}
