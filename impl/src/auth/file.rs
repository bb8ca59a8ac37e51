//! Password authentication against a users file (`type = "file"`).
//!
//! The operator keeps the users in a TOML file, one table per user:
//!
//! ```toml
//! [users.homer]
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA..."
//! client_data = { role = "admin" }   # optional, any TOML value, sent back on login as JSON
//! ```
//!
//! The file holds no passwords, only argon2 hashes in the PHC string format: the variant
//! (`argon2id`), the version, the cost parameters (memory in KiB, passes, lanes), a random salt
//! and the hash output. [`hash_password`] makes such strings; the `rollcall hash-password`
//! command prints one. Because the parameters travel inside each string, old hashes keep
//! working when the defaults change.
//!
//! The file is read once, when the authenticator is built. Every hash is parsed and checked
//! then, so a typo stops the server at startup with the user's name instead of silently
//! locking that user out. Changes to the file take effect on restart.
//!
//! A login must carry string `username` and `password` fields. Two rules keep the file's
//! contents private from someone probing logins:
//!
//! * **One answer.** An unknown user and a wrong password both get "wrong username or
//!   password".
//! * **One cost.** An unknown user's password is still verified, against a stand-in hash made
//!   at load time with the same parameters as the first user's (in name order), so the response
//!   time does not tell either. Hashes made with different parameters cost differently; keep
//!   them uniform, as `rollcall hash-password` does.
//!
//! The hash outputs are compared in constant time by the argon2 crate. Verification costs
//! milliseconds of CPU by design, so this authenticator reports itself
//! [slow](Authenticator::is_slow).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use argon2::password_hash::Error as PasswordHashError;
use argon2::{
    Algorithm, Argon2, CustomizedPasswordHasher, Params, PasswordHash, PasswordHasher,
    PasswordVerifier, Version,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{string_field, AuthFailure, AuthSetupError, Authenticator, Identity};

/// The one answer for an unknown user and for a wrong password.
const BAD_CREDENTIALS: &str = "wrong username or password";

/// The most memory (KiB) a stored hash may ask for: 1 GiB. Verifying a hash allocates this much,
/// so a mistyped `m=` could otherwise exhaust the machine on the first login.
const MAX_MEMORY_KIB: u32 = 1 << 20;

/// What the stand-in hash for unknown users is a hash of; nothing ever compares equal to it
/// that matters, since an unknown user is denied whatever the verification says.
const STAND_IN_PASSWORD: &[u8] = b"rollcall stand-in password";

/// The stand-in hash's salt; it need not be secret or random, only valid.
const STAND_IN_SALT: &[u8] = b"rollcall-stand-in-salt";

/// Why a password could not be hashed: a failing system random source, or (in principle)
/// invalid parameters.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash password: {0}")]
pub struct HashError(PasswordHashError);

/// Hashes a password for the users file: argon2id with the crate's recommended parameters and a
/// fresh random salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    hash_with_params(password, Params::DEFAULT)
}

/// Hashes with argon2id and the given cost parameters and a random salt.
fn hash_with_params(password: &str, params: Params) -> Result<String, HashError> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(HashError)
}

/// The users file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    /// User name -> entry; a file without users is valid and admits nobody.
    #[serde(default)]
    users: BTreeMap<String, UserEntry>,
}

/// One `[users.NAME]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    /// PHC string of an argon2 hash.
    password_hash: String,
    /// Returned to the client on a successful login.
    #[serde(default)]
    client_data: Option<toml::Value>,
}

/// One user, checked and ready to verify.
struct User {
    hash: PasswordHash,
    client_data: Option<Value>,
}

/// Checks `username`/`password` against the users file; see the
/// [module documentation](self).
pub struct FileAuthenticator {
    users: HashMap<String, User>,
    /// Verified against when the user is unknown, so that costs as much as a known user.
    stand_in: PasswordHash,
}

impl fmt::Debug for FileAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hashes stay out of logs.
        f.debug_struct("FileAuthenticator")
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl FileAuthenticator {
    /// Reads and checks the users file at `path`.
    pub fn load(path: &Path) -> Result<FileAuthenticator, AuthSetupError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuthSetupError::ReadUsers {
            path: path.to_owned(),
            source,
        })?;
        FileAuthenticator::parse(&text, path)
    }

    /// Checks the text of a users file; `path` only names it in errors.
    fn parse(text: &str, path: &Path) -> Result<FileAuthenticator, AuthSetupError> {
        let file: UsersFile =
            toml::from_str(text).map_err(|source| AuthSetupError::ParseUsers {
                path: path.to_owned(),
                source,
            })?;
        let invalid = |user: &str, reason: String| AuthSetupError::InvalidUser {
            path: path.to_owned(),
            user: user.to_owned(),
            reason,
        };
        let mut users = HashMap::with_capacity(file.users.len());
        let mut template = None;
        for (name, entry) in file.users {
            let hash = parse_hash(&entry.password_hash).map_err(|reason| invalid(&name, reason))?;
            let client_data = entry
                .client_data
                .map(toml_to_json)
                .transpose()
                .map_err(|reason| invalid(&name, reason))?;
            template.get_or_insert_with(|| hash.clone());
            users.insert(name, User { hash, client_data });
        }
        if users.is_empty() {
            tracing::warn!(path = %path.display(), "the users file lists no users: every login will fail");
        }
        let stand_in = stand_in_hash(template.as_ref())?;
        Ok(FileAuthenticator { users, stand_in })
    }
}

impl Authenticator for FileAuthenticator {
    fn authenticate(&self, auth_data: &Map<String, Value>) -> Result<Identity, AuthFailure> {
        let name = string_field(auth_data, "username")?
            .ok_or_else(|| AuthFailure::denied("a username is required"))?;
        let password = string_field(auth_data, "password")?
            .ok_or_else(|| AuthFailure::denied("a password is required"))?;
        let argon2 = Argon2::default();
        let Some(user) = self.users.get(name) else {
            // The same work as for a known user; the outcome does not matter.
            let _ = argon2.verify_password(password.as_bytes(), &self.stand_in);
            return Err(AuthFailure::denied(BAD_CREDENTIALS));
        };
        match argon2.verify_password(password.as_bytes(), &user.hash) {
            Ok(()) => Ok(Identity {
                user: Some(name.to_owned()),
                client_data: user.client_data.clone(),
            }),
            Err(PasswordHashError::PasswordInvalid) => Err(AuthFailure::denied(BAD_CREDENTIALS)),
            Err(error) => {
                tracing::warn!(user = name, %error, "password verification failed");
                Err(AuthFailure::denied(BAD_CREDENTIALS))
            }
        }
    }

    fn is_slow(&self) -> bool {
        true
    }
}

/// Parses a stored hash and checks everything verification will rely on, so that a bad entry
/// fails at startup. The reason never quotes the hash.
fn parse_hash(text: &str) -> Result<PasswordHash, String> {
    let hash =
        PasswordHash::new(text).map_err(|error| format!("malformed password_hash: {error}"))?;
    let algorithm = hash.algorithm.as_str();
    if Algorithm::try_from(algorithm).is_err() {
        return Err(format!(
            "password_hash uses {algorithm:?}; only argon2 (argon2id, argon2i, argon2d) is supported"
        ));
    }
    if let Some(version) = hash.version {
        Version::try_from(version)
            .map_err(|_| format!("password_hash has unsupported argon2 version {version}"))?;
    }
    let params = Params::try_from(&hash)
        .map_err(|error| format!("password_hash has invalid argon2 parameters: {error}"))?;
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(format!(
            "password_hash asks for {} KiB of memory, more than the limit of {MAX_MEMORY_KIB} KiB",
            params.m_cost()
        ));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("password_hash lacks its salt or its output".to_string());
    }
    Ok(hash)
}

/// A hash with the same variant, version and parameters as `template` (or the recommended ones
/// when there is no user), for unknown users to be verified against.
fn stand_in_hash(template: Option<&PasswordHash>) -> Result<PasswordHash, HashError> {
    let argon2 = Argon2::default();
    match template {
        Some(template) => {
            let params = Params::try_from(template).map_err(HashError)?;
            argon2.hash_password_customized(
                STAND_IN_PASSWORD,
                STAND_IN_SALT,
                Some(template.algorithm.as_str()),
                template.version,
                params,
            )
        }
        None => argon2.hash_password_with_salt(STAND_IN_PASSWORD, STAND_IN_SALT),
    }
    .map_err(HashError)
}

/// Converts a TOML value to JSON: datetimes become their TOML text, and the only failure is a
/// non-finite float, which JSON cannot represent.
fn toml_to_json(value: toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(text) => Value::String(text),
        toml::Value::Integer(number) => Value::from(number),
        toml::Value::Float(number) => serde_json::Number::from_f64(number)
            .map(Value::Number)
            .ok_or_else(|| format!("client_data holds {number}, which JSON cannot represent"))?,
        toml::Value::Boolean(flag) => Value::Bool(flag),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(toml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(key, value)| Ok((key, toml_to_json(value)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::auth::tests::data;

    /// Hashes with the smallest parameters argon2 allows, so tests stay fast.
    fn cheap_hash(password: &str) -> String {
        let params = Params::new(Params::MIN_M_COST, 1, 1, None).expect("valid parameters");
        hash_with_params(password, params).expect("hashing works")
    }

    fn users_toml() -> String {
        format!(
            r#"
            [users.homer]
            password_hash = "{}"
            client_data = {{ role = "admin", since = 1989-12-17, tags = ["dad"], weight = 108.5 }}

            [users.marge]
            password_hash = "{}"
            "#,
            cheap_hash("donuts"),
            cheap_hash("blue hair"),
        )
    }

    fn authenticator() -> FileAuthenticator {
        FileAuthenticator::parse(&users_toml(), Path::new("users.toml")).expect("valid users")
    }

    fn login(
        auth: &FileAuthenticator,
        user: &str,
        password: &str,
    ) -> Result<Identity, AuthFailure> {
        auth.authenticate(&data(json!({"username": user, "password": password})))
    }

    fn bad_credentials() -> Result<Identity, AuthFailure> {
        Err(AuthFailure::Denied(BAD_CREDENTIALS.into()))
    }

    /// The reason setup gives for a users file whose only user has this hash.
    fn hash_rejection(password_hash: &str) -> String {
        let text = format!("[users.homer]\npassword_hash = \"{password_hash}\"\n");
        match FileAuthenticator::parse(&text, Path::new("users.toml")) {
            Err(AuthSetupError::InvalidUser { user, reason, .. }) => {
                assert_eq!(user, "homer");
                reason
            }
            other => panic!("expected an invalid user, got {other:?}"),
        }
    }

    #[test]
    fn the_right_password_logs_in_with_client_data() {
        let auth = authenticator();
        assert!(auth.is_slow());
        let homer = login(&auth, "homer", "donuts").expect("accepted");
        assert_eq!(homer.user.as_deref(), Some("homer"));
        assert_eq!(
            homer.client_data,
            Some(json!({"role": "admin", "since": "1989-12-17", "tags": ["dad"], "weight": 108.5}))
        );
        assert_eq!(
            login(&auth, "marge", "blue hair"),
            Ok(Identity::user("marge"))
        );
    }

    #[test]
    fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
        let auth = authenticator();
        assert_eq!(login(&auth, "homer", "blue hair"), bad_credentials());
        assert_eq!(login(&auth, "homer", ""), bad_credentials());
        assert_eq!(login(&auth, "bart", "donuts"), bad_credentials());
        assert_eq!(login(&auth, "Homer", "donuts"), bad_credentials());
    }

    #[test]
    fn unknown_users_are_verified_against_a_hash_like_the_first_users() {
        let auth = authenticator();
        let homer = &auth.users["homer"].hash;
        assert_eq!(auth.stand_in.algorithm, homer.algorithm);
        assert_eq!(auth.stand_in.version, homer.version);
        assert_eq!(auth.stand_in.params, homer.params);
        assert_eq!(
            auth.stand_in.hash.map(|output| output.len()),
            homer.hash.map(|output| output.len())
        );
    }

    #[test]
    fn username_and_password_must_be_strings() {
        let auth = authenticator();
        let deny = |reason: &str| Err(AuthFailure::Denied(reason.into()));
        assert_eq!(
            auth.authenticate(&data(json!({"password": "donuts"}))),
            deny("a username is required")
        );
        assert_eq!(
            auth.authenticate(&data(json!({"username": "homer"}))),
            deny("a password is required")
        );
        assert_eq!(
            auth.authenticate(&data(json!({"username": 7, "password": "donuts"}))),
            deny("username must be a string")
        );
        assert_eq!(
            auth.authenticate(&data(json!({"username": "homer", "password": ["donuts"]}))),
            deny("password must be a string")
        );
    }

    #[test]
    fn malformed_hashes_are_rejected_at_setup() {
        let good = cheap_hash("donuts");
        assert!(hash_rejection("donuts").starts_with("malformed password_hash"));
        assert!(hash_rejection("").starts_with("malformed password_hash"));
        assert!(hash_rejection(&good.replacen("$argon2id$", "$scrypt$", 1)).contains("only argon2"));
        assert!(hash_rejection(&good.replacen("v=19", "v=7", 1)).contains("version"));
        assert!(hash_rejection(&good.replacen("t=1", "t=0", 1)).contains("parameters"));
        assert!(hash_rejection(&good.replacen("m=8", "m=4294967295", 1)).contains("limit"));
        let without_output = &good[..good.rfind('$').expect("has an output")];
        assert!(hash_rejection(without_output).contains("lacks"));
        // A rejection never quotes the hash.
        assert!(!hash_rejection(&good.replacen("t=1", "t=0", 1)).contains(&good[30..]));
    }

    #[test]
    fn bad_files_are_rejected_at_setup() {
        let path = Path::new("users.toml");
        let parse = |text: &str| FileAuthenticator::parse(text, path);
        assert!(matches!(
            parse("[users"),
            Err(AuthSetupError::ParseUsers { .. })
        ));
        assert!(matches!(
            parse("[users.homer]\npasword_hash = \"x\""),
            Err(AuthSetupError::ParseUsers { .. })
        ));
        assert!(matches!(
            parse("[users.homer]\nclient_data = 1"),
            Err(AuthSetupError::ParseUsers { .. })
        ));
        let nan = format!(
            "[users.homer]\npassword_hash = \"{}\"\nclient_data = nan\n",
            cheap_hash("donuts")
        );
        assert!(matches!(
            parse(&nan),
            Err(AuthSetupError::InvalidUser { .. })
        ));
    }

    #[test]
    fn a_file_without_users_admits_nobody() {
        let auth = FileAuthenticator::parse("", Path::new("users.toml")).expect("valid");
        assert_eq!(login(&auth, "homer", "donuts"), bad_credentials());
    }

    #[test]
    fn the_file_is_loaded_from_disk() {
        let path: PathBuf = std::env::temp_dir().join(format!(
            "rollcall-auth-users-{}-{:?}.toml",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        std::fs::write(&path, users_toml()).expect("temp file written");
        let loaded = FileAuthenticator::load(&path);
        std::fs::remove_file(&path).expect("temp file removed");
        let auth = loaded.expect("valid users file");
        assert_eq!(
            login(&auth, "homer", "donuts").map(|id| id.user),
            Ok(Some("homer".into()))
        );

        let missing = FileAuthenticator::load(&path).expect_err("the file is gone");
        assert!(missing.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn hash_password_makes_salted_argon2id_strings_the_file_accepts() {
        let first = hash_password("donuts").expect("hashed");
        let second = hash_password("donuts").expect("hashed");
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second, "each hash has its own salt");
        let hash = parse_hash(&first).expect("parses");
        assert!(Argon2::default().verify_password(b"donuts", &hash).is_ok());
        assert!(Argon2::default().verify_password(b"donut", &hash).is_err());
    }
}
