//! The predicate "may viewer a see user b" (SPEC.md R14), built for the fan-out path.

use rustc_hash::{FxHashMap, FxHashSet};

use super::types::UserName;

/// Friend-list presence: a viewer with a list sees exactly the users on it; a viewer without one,
/// and every anonymous connection, sees everyone or no one; everyone sees themselves.
///
/// The common configuration, everyone sees everyone, is recognised once so that the fan-out of
/// an event to subscribers of everyone does no per-recipient check at all.
#[derive(Clone, Debug)]
pub struct Visibility {
    lists: FxHashMap<UserName, FxHashSet<UserName>>,
    unlisted_sees_everyone: bool,
}

impl Default for Visibility {
    fn default() -> Self {
        Visibility::everyone()
    }
}

impl Visibility {
    /// Everyone sees everyone: deepstream's `allow: true`.
    pub fn everyone() -> Self {
        Visibility {
            lists: FxHashMap::default(),
            unlisted_sees_everyone: true,
        }
    }

    /// No lists yet; viewers without a list see everyone or no one.
    pub fn with_unlisted_default(unlisted_sees_everyone: bool) -> Self {
        Visibility {
            lists: FxHashMap::default(),
            unlisted_sees_everyone,
        }
    }

    /// Puts `user` on `viewer`'s list (creating the list, which replaces the default for them).
    pub fn allow(&mut self, viewer: &str, user: &str) {
        self.lists
            .entry(viewer.into())
            .or_default()
            .insert(user.into());
    }

    /// Gives `viewer` a list, possibly empty, so they no longer follow the default.
    pub fn add_list(&mut self, viewer: &str) {
        self.lists.entry(viewer.into()).or_default();
    }

    /// True when every viewer sees every user, so callers may skip the per-user check.
    pub fn everyone_sees_everyone(&self) -> bool {
        self.unlisted_sees_everyone && self.lists.is_empty()
    }

    /// R14: may the connection logged in as `viewer` (`None`: anonymous) see `user`?
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

    #[test]
    fn r14_visibility_predicate() {
        let mut v = Visibility::with_unlisted_default(false);
        v.allow("homer", "marge");
        v.add_list("bart");
        assert!(!v.everyone_sees_everyone());
        assert!(v.may_see(Some("homer"), "marge"));
        assert!(!v.may_see(Some("homer"), "lisa"));
        assert!(v.may_see(Some("lisa"), "lisa"));
        assert!(!v.may_see(Some("lisa"), "marge"));
        assert!(!v.may_see(Some("bart"), "marge"));
        assert!(!v.may_see(None, "marge"));
        let mut open = Visibility::everyone();
        assert!(open.everyone_sees_everyone() && open.may_see(None, "marge"));
        open.add_list("bart");
        assert!(!open.may_see(Some("bart"), "marge") && open.may_see(Some("lisa"), "marge"));
    }
}
