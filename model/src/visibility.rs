//! Who may see whom (R14).

use std::collections::{BTreeMap, BTreeSet};

/// The predicate "may viewer `a` see user `b`": friend-list presence.
///
/// A viewer with a list sees exactly the users on it; a viewer without one (and every anonymous
/// connection) sees everyone or no one, as `unlisted_sees_everyone` says. Everyone always sees
/// themselves. The default value lets everyone see everyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visibility {
    /// Viewer name -> the users that viewer may see.
    pub lists: BTreeMap<String, BTreeSet<String>>,
    /// Whether a viewer without a list (or an anonymous one) sees every user.
    pub unlisted_sees_everyone: bool,
}

impl Default for Visibility {
    fn default() -> Self {
        Visibility {
            lists: BTreeMap::new(),
            unlisted_sees_everyone: true,
        }
    }
}

impl Visibility {
    /// R14: may the connection logged in as `viewer` (None: anonymous) see `user`?
    pub fn may_see(&self, viewer: Option<&str>, user: &str) -> bool {
        if viewer == Some(user) {
            return true;
        }
        match viewer.and_then(|v| self.lists.get(v)) {
            Some(list) => list.contains(user),
            None => self.unlisted_sees_everyone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R14: lists, the unlisted default, anonymous viewers and self-visibility.
    #[test]
    fn r14_visibility_predicate() {
        let mut v = Visibility::default();
        assert!(v.may_see(Some("homer"), "marge"));
        assert!(v.may_see(None, "marge"));
        v.lists.insert("homer".into(), ["marge".to_string()].into());
        v.unlisted_sees_everyone = false;
        assert!(v.may_see(Some("homer"), "marge"));
        assert!(!v.may_see(Some("homer"), "lisa"));
        assert!(v.may_see(Some("homer"), "homer"));
        assert!(!v.may_see(Some("lisa"), "marge"));
        assert!(v.may_see(Some("lisa"), "lisa"));
        assert!(!v.may_see(None, "marge"));
    }
}
