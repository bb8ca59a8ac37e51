//! Authentication: deciding who a client is from the data it logs in with.
//!
//! A deepstream client logs in by sending `AUTH/REQUEST` with a JSON object, the *auth data*.
//! The official client passes through whatever the application gives it, typically
//! `{"username": "homer"}` or `{"username": "homer", "password": "..."}` or
//! `{"token": "eyJ..."}`. The protocol does not say what the object means; deciding that is
//! the job of an [`Authenticator`]. It looks at the auth data and answers with either an
//! [`Identity`] (the user name the core counts as online, or none for an anonymous session,
//! plus optional `client_data` sent back to the client) or an [`AuthFailure`] whose text the
//! client receives in `AUTH_UNSUCCESSFUL`.
//!
//! Three authenticators are built in, one per `type` of the `[auth]` configuration section
//! ([`AuthConfig`]):
//!
//! | `type` | auth data              | user name                                          |
//! |--------|------------------------|----------------------------------------------------|
//! | `none` | `username` (optional)  | taken on trust; absent is anonymous, if allowed    |
//! | `file` | `username`, `password` | checked against argon2 hashes in a users file      |
//! | `jwt`  | `token`                | a claim of a JSON Web Token signed with HMAC       |
//!
//! [`from_config`] builds the configured one once, at startup, and hands back a shared
//! `Arc<dyn Authenticator>`. Everything that can be checked before the first client arrives is
//! checked there and reported as an [`AuthSetupError`]: an unreadable users file, a malformed
//! password hash, an algorithm that is not HMAC. A server that starts is therefore one whose
//! logins can only fail because of what a client sent.
//!
//! Two kinds of error, two audiences: an [`AuthSetupError`] is for the operator and may name
//! files and users; an [`AuthFailure`] is for an anonymous, possibly hostile client and never
//! reveals more than the client already knows. In particular the `file` authenticator gives the
//! same answer, after the same amount of work, for an unknown user and for a wrong password.
//!
//! Verifying a password hash deliberately takes milliseconds of CPU. An authenticator whose
//! [`Authenticator::is_slow`] is true should be called from a blocking thread (for example
//! `tokio::task::spawn_blocking`) so one login never stalls the other connections.
//!
//! ```
//! use rollcall::auth::{self, AuthFailure};
//! use rollcall::config::AuthConfig;
//!
//! let authenticator = auth::from_config(&AuthConfig::None { allow_anonymous: false })?;
//!
//! let login = serde_json::json!({ "username": "homer" });
//! let identity = authenticator.authenticate(login.as_object().unwrap()).unwrap();
//! assert_eq!(identity.user.as_deref(), Some("homer"));
//!
//! let nobody = serde_json::Map::new();
//! let failure = authenticator.authenticate(&nobody).unwrap_err();
//! assert!(matches!(failure, AuthFailure::Denied(reason) if reason == "a username is required"));
//! # Ok::<(), auth::AuthSetupError>(())
//! ```
//!
//! [`AuthConfig`]: crate::config::AuthConfig

pub mod file;
pub mod jwt;
pub mod none;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::AuthConfig;

pub use file::{hash_password, FileAuthenticator, HashError};
pub use jwt::JwtAuthenticator;
pub use none::NoneAuthenticator;

/// Who a successful login is: what the core needs to count the session and what the client
/// gets back in `AUTH/AUTH_SUCCESSFUL`.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// The user the session counts for; `None` is an anonymous session, never listed as online.
    pub user: Option<String>,
    /// Data sent back to the client with the successful login (a role, a display name...).
    pub client_data: Option<Value>,
}

impl Identity {
    /// A session that belongs to no user.
    pub fn anonymous() -> Identity {
        Identity {
            user: None,
            client_data: None,
        }
    }

    /// A session of `user`, without client data.
    pub fn user(user: impl Into<String>) -> Identity {
        Identity {
            user: Some(user.into()),
            client_data: None,
        }
    }
}

/// Why a login failed. The text is sent to the client, so it never contains a secret and
/// never reveals whether a user exists.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AuthFailure {
    /// The credentials were missing, malformed or wrong.
    #[error("{0}")]
    Denied(String),
}

impl AuthFailure {
    /// A denial with this reason.
    fn denied(reason: impl Into<String>) -> AuthFailure {
        AuthFailure::Denied(reason.into())
    }
}

/// Why the configured authentication cannot start; reported to the operator at startup.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// The users file could not be read.
    #[error("cannot read users file {path}: {source}")]
    ReadUsers {
        /// The users file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The users file is not valid TOML for the `[users.NAME]` schema.
    #[error("invalid users file {path}: {source}")]
    ParseUsers {
        /// The users file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// One user's entry is unusable: a malformed or non-argon2 hash, or client data that has
    /// no JSON equivalent.
    #[error("invalid users file {path}: user {user:?}: {reason}")]
    InvalidUser {
        /// The users file.
        path: PathBuf,
        /// The user whose entry is wrong.
        user: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The stand-in hash that makes unknown users cost as much as known ones could not be made.
    #[error("cannot prepare password verification: {0}")]
    Hashing(#[from] HashError),
    /// The JWT algorithm is not one of HS256, HS384, HS512.
    #[error("unsupported JWT algorithm {0:?}: use HS256, HS384 or HS512")]
    UnsupportedAlgorithm(String),
    /// The JWT secret is empty, which would let anyone sign tokens.
    #[error("the JWT secret must not be empty")]
    EmptySecret,
}

/// Decides who a client is from its auth data. Implementations are shared by every connection,
/// hence `Send + Sync`.
pub trait Authenticator: Send + Sync + 'static {
    /// Checks the auth data of one login attempt.
    fn authenticate(&self, auth_data: &Map<String, Value>) -> Result<Identity, AuthFailure>;

    /// True when [`authenticate`](Authenticator::authenticate) may take long (password
    /// hashing) and should run on a blocking thread rather than on the async reactor.
    fn is_slow(&self) -> bool {
        false
    }
}

/// Builds the authenticator the configuration asks for, loading and checking everything it
/// needs (users file, hashes, algorithm) up front.
pub fn from_config(config: &AuthConfig) -> Result<Arc<dyn Authenticator>, AuthSetupError> {
    Ok(match config {
        AuthConfig::None { allow_anonymous } => Arc::new(NoneAuthenticator::new(*allow_anonymous)),
        AuthConfig::File { users_file } => Arc::new(FileAuthenticator::load(users_file)?),
        AuthConfig::Jwt {
            secret,
            username_claim,
            algorithm,
            audience,
            issuer,
        } => Arc::new(JwtAuthenticator::new(
            secret,
            username_claim,
            algorithm,
            audience.as_deref(),
            issuer.as_deref(),
        )?),
    })
}

/// Reads an optional string field of the auth data: absent and `null` are `None`, any other
/// non-string value is a denial naming the field.
fn string_field<'a>(
    auth_data: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, AuthFailure> {
    match auth_data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(AuthFailure::denied(format!("{field} must be a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Turns a `json!` object literal into auth data.
    pub(super) fn data(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("auth data must be an object, got {other}"),
        }
    }

    #[test]
    fn string_fields_are_read_and_others_denied() {
        let auth_data = data(serde_json::json!({"a": "x", "b": null, "c": 3}));
        assert_eq!(string_field(&auth_data, "a"), Ok(Some("x")));
        assert_eq!(string_field(&auth_data, "b"), Ok(None));
        assert_eq!(string_field(&auth_data, "missing"), Ok(None));
        assert_eq!(
            string_field(&auth_data, "c"),
            Err(AuthFailure::Denied("c must be a string".into()))
        );
    }

    #[test]
    fn from_config_builds_each_kind() {
        let none = from_config(&AuthConfig::None {
            allow_anonymous: true,
        })
        .expect("none");
        assert!(!none.is_slow());
        let jwt = from_config(&AuthConfig::Jwt {
            secret: "s3cret".into(),
            username_claim: "sub".into(),
            algorithm: "HS256".into(),
            audience: None,
            issuer: None,
        })
        .expect("jwt");
        assert!(!jwt.is_slow());
        let missing = from_config(&AuthConfig::File {
            users_file: "/nonexistent/rollcall-users.toml".into(),
        });
        assert!(matches!(missing, Err(AuthSetupError::ReadUsers { .. })));
    }
}
