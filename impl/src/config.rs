//! rollcall's configuration: a TOML file, every key optional, with an embedded default that runs
//! on 127.0.0.1:6020 with open authentication and everyone seeing everyone.
//!
//! ```toml
//! [server]
//! host = "127.0.0.1"
//! port = 6020
//!
//! [connection]
//! heartbeat_interval_ms = 30000        # a socket silent for twice this is closed
//! unauthenticated_timeout_ms = 180000  # time allowed between connect and login
//! max_auth_attempts = 3
//!
//! [limits]
//! max_message_bytes = 1048576          # largest accepted WebSocket message
//! outbound_queue_bytes = 4194304       # per connection; a slower reader is disconnected
//! max_name_bytes = 128
//! max_names_per_request = 1000
//! max_subscriptions_per_connection = 10000
//!
//! [auth]
//! type = "none"                        # or "file" (users_file = ...) or "jwt" (secret = ...)
//! allow_anonymous = true
//!
//! [visibility]
//! unlisted_sees_everyone = true
//! [visibility.lists]
//! homer = ["marge", "lisa"]            # homer sees only marge and lisa (and himself)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::core::{Limits, Visibility};

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid configuration {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// The values are individually valid but make no sense together.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen.
    pub server: ServerSection,
    /// Per-connection timing and login policy.
    pub connection: ConnectionSection,
    /// Bounds on what a client may send or cost.
    pub limits: LimitsSection,
    /// How clients prove who they are.
    pub auth: AuthConfig,
    /// Who may see whom.
    pub visibility: VisibilitySection,
}

/// Where to listen.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Address to bind; loopback by default.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            host: "127.0.0.1".into(),
            port: 6020,
        }
    }
}

/// Per-connection timing and login policy.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSection {
    /// The client's ping interval; a connection silent for twice this is closed (a logout).
    pub heartbeat_interval_ms: u64,
    /// How long a connection may stay without logging in.
    pub unauthenticated_timeout_ms: u64,
    /// Failed logins allowed before the connection is closed.
    pub max_auth_attempts: u32,
}

impl Default for ConnectionSection {
    fn default() -> Self {
        ConnectionSection {
            heartbeat_interval_ms: 30_000,
            unauthenticated_timeout_ms: 180_000,
            max_auth_attempts: 3,
        }
    }
}

impl ConnectionSection {
    /// The heartbeat interval.
    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_interval_ms)
    }

    /// How long a connection may be silent before it is closed: twice the heartbeat interval.
    pub fn idle_timeout(&self) -> Duration {
        self.heartbeat_interval() * 2
    }

    /// How long a connection may stay without logging in.
    pub fn unauthenticated_timeout(&self) -> Duration {
        Duration::from_millis(self.unauthenticated_timeout_ms)
    }
}

/// Bounds on what a client may send or cost.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest WebSocket message accepted; a larger one is answered and the socket closed.
    pub max_message_bytes: usize,
    /// Bytes that may wait in one connection's outbound queue; past this the connection is
    /// too slow to keep up and is disconnected.
    pub outbound_queue_bytes: usize,
    /// SPEC.md R2.
    pub max_name_bytes: usize,
    /// SPEC.md R17.
    pub max_names_per_request: usize,
    /// SPEC.md R18.
    pub max_subscriptions_per_connection: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        let core = Limits::default();
        LimitsSection {
            max_message_bytes: 1 << 20,
            outbound_queue_bytes: 4 << 20,
            max_name_bytes: core.max_name_bytes,
            max_names_per_request: core.max_names_per_request,
            max_subscriptions_per_connection: core.max_subscriptions_per_connection,
        }
    }
}

impl LimitsSection {
    /// The limits the core enforces.
    pub fn core(&self) -> Limits {
        Limits {
            max_name_bytes: self.max_name_bytes,
            max_names_per_request: self.max_names_per_request,
            max_subscriptions_per_connection: self.max_subscriptions_per_connection,
        }
    }
}

/// How clients prove who they are.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthConfig {
    /// Trust the client: the user name is the auth data's `username`.
    None {
        /// Whether a login without a user name is accepted (as an invisible anonymous session).
        #[serde(default = "yes")]
        allow_anonymous: bool,
    },
    /// Users and salted password hashes (argon2, PHC strings) from a TOML file.
    File {
        /// The users file: `[users.NAME]` tables with `password_hash` and optional `client_data`.
        users_file: PathBuf,
    },
    /// A signed JSON Web Token in the auth data's `token`; a claim names the user.
    Jwt {
        /// The HMAC secret (HS256/HS384/HS512).
        secret: String,
        /// The claim holding the user name.
        #[serde(default = "subject")]
        username_claim: String,
        /// The accepted algorithm.
        #[serde(default = "hs256")]
        algorithm: String,
        /// Required `aud` claim, if any.
        #[serde(default)]
        audience: Option<String>,
        /// Required `iss` claim, if any.
        #[serde(default)]
        issuer: Option<String>,
    },
}

fn yes() -> bool {
    true
}

fn subject() -> String {
    "sub".into()
}

fn hs256() -> String {
    "HS256".into()
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig::None {
            allow_anonymous: true,
        }
    }
}

/// Who may see whom (SPEC.md R14).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VisibilitySection {
    /// Whether a viewer without a list (and every anonymous connection) sees everyone.
    pub unlisted_sees_everyone: bool,
    /// Viewer -> the users that viewer may see.
    pub lists: BTreeMap<String, Vec<String>>,
}

impl Default for VisibilitySection {
    fn default() -> Self {
        VisibilitySection {
            unlisted_sees_everyone: true,
            lists: BTreeMap::new(),
        }
    }
}

impl VisibilitySection {
    /// The predicate the core applies.
    pub fn core(&self) -> Visibility {
        let mut visibility = Visibility::with_unlisted_default(self.unlisted_sees_everyone);
        for (viewer, users) in &self.lists {
            visibility.add_list(viewer);
            for user in users {
                visibility.allow(viewer, user);
            }
        }
        visibility
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        // A relative users file is found beside the configuration, wherever the server starts.
        if let AuthConfig::File { users_file } = &mut config.auth {
            if let (true, Some(dir)) = (users_file.is_relative(), path.parent()) {
                *users_file = dir.join(&*users_file);
            }
        }
        config.check()?;
        Ok(config)
    }

    /// Rejects values that cannot work.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_string()));
        if self.connection.heartbeat_interval_ms == 0 {
            return invalid("connection.heartbeat_interval_ms must be positive");
        }
        if self.connection.max_auth_attempts == 0 {
            return invalid("connection.max_auth_attempts must be at least 1");
        }
        if self.limits.max_message_bytes < 64 {
            return invalid("limits.max_message_bytes must be at least 64");
        }
        if self.limits.outbound_queue_bytes < self.limits.max_message_bytes {
            return invalid(
                "limits.outbound_queue_bytes must be at least limits.max_message_bytes",
            );
        }
        if self.limits.max_name_bytes == 0 {
            return invalid("limits.max_name_bytes must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_is_loopback_open_auth() {
        let config = Config::default();
        assert_eq!(config.server.host, "127.0.0.1");
        assert_eq!(config.server.port, 6020);
        assert_eq!(
            config.auth,
            AuthConfig::None {
                allow_anonymous: true
            }
        );
        assert!(config.visibility.core().everyone_sees_everyone());
        config.check().expect("the default is valid");
    }

    #[test]
    fn a_full_file_parses() {
        let text = r#"
            [server]
            port = 7000
            [connection]
            heartbeat_interval_ms = 1000
            [auth]
            type = "jwt"
            secret = "s3cret"
            username_claim = "name"
            [visibility]
            unlisted_sees_everyone = false
            [visibility.lists]
            homer = ["marge"]
        "#;
        let config: Config = toml::from_str(text).expect("valid");
        assert_eq!(config.server.port, 7000);
        assert_eq!(config.server.host, "127.0.0.1");
        assert_eq!(config.connection.idle_timeout(), Duration::from_secs(2));
        assert!(
            matches!(config.auth, AuthConfig::Jwt { ref username_claim, .. } if username_claim == "name")
        );
        let visibility = config.visibility.core();
        assert!(visibility.may_see(Some("homer"), "marge"));
        assert!(!visibility.may_see(Some("homer"), "lisa"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(toml::from_str::<Config>("[server]\nprot = 1").is_err());
        assert!(toml::from_str::<Config>("[auth]\ntype = \"ldap\"").is_err());
        let mut config = Config::default();
        config.connection.heartbeat_interval_ms = 0;
        assert!(config.check().is_err());
    }
}
