//! Open authentication (`type = "none"`): the client says who it is and is believed.
//!
//! This is deepstream's default and fits trusted networks and development: the user name is
//! the auth data's `username`, checked only for being a string (whether it is a valid name is
//! the core's business). A login without a `username` is an anonymous session, which sees
//! presence but is never listed, unless `allow_anonymous = false` turns it away.

use serde_json::{Map, Value};

use super::{string_field, AuthFailure, Authenticator, Identity};

/// Accepts any `username` as given; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct NoneAuthenticator {
    allow_anonymous: bool,
}

impl NoneAuthenticator {
    /// An authenticator that trusts the client's `username`, and accepts a login without one
    /// as anonymous when `allow_anonymous` is true.
    pub fn new(allow_anonymous: bool) -> NoneAuthenticator {
        NoneAuthenticator { allow_anonymous }
    }
}

impl Authenticator for NoneAuthenticator {
    fn authenticate(&self, auth_data: &Map<String, Value>) -> Result<Identity, AuthFailure> {
        match string_field(auth_data, "username")? {
            Some(user) => Ok(Identity::user(user)),
            None if self.allow_anonymous => Ok(Identity::anonymous()),
            None => Err(AuthFailure::denied("a username is required")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::tests::data;

    #[test]
    fn a_username_is_taken_as_given() {
        let auth = NoneAuthenticator::new(false);
        let identity = auth
            .authenticate(&data(json!({"username": "homer", "password": "ignored"})))
            .expect("accepted");
        assert_eq!(identity, Identity::user("homer"));
    }

    #[test]
    fn no_username_is_anonymous_when_allowed() {
        let auth = NoneAuthenticator::new(true);
        assert_eq!(
            auth.authenticate(&data(json!({}))),
            Ok(Identity::anonymous())
        );
        assert_eq!(
            auth.authenticate(&data(json!({"username": null}))),
            Ok(Identity::anonymous())
        );
    }

    #[test]
    fn no_username_is_denied_when_anonymous_is_not_allowed() {
        let auth = NoneAuthenticator::new(false);
        assert_eq!(
            auth.authenticate(&data(json!({}))),
            Err(AuthFailure::Denied("a username is required".into()))
        );
    }

    #[test]
    fn a_username_that_is_not_a_string_is_denied() {
        for allow_anonymous in [true, false] {
            let auth = NoneAuthenticator::new(allow_anonymous);
            for username in [
                json!(42),
                json!(["homer"]),
                json!({"name": "homer"}),
                json!(true),
            ] {
                assert_eq!(
                    auth.authenticate(&data(json!({ "username": username }))),
                    Err(AuthFailure::Denied("username must be a string".into()))
                );
            }
        }
    }
}
