//! Token authentication (`type = "jwt"`): an application server vouches for the user.
//!
//! In this setup rollcall never sees a password. The application's own backend, which already
//! knows who the user is, signs a JSON Web Token with a secret it shares with rollcall, and
//! the client logs in with `{"token": "eyJ..."}`. rollcall checks:
//!
//! 1. the signature, with the shared secret and the one configured HMAC algorithm (HS256,
//!    HS384 or HS512; a token naming any other algorithm, `none` included, is refused);
//! 2. `exp`, which must be present and not in the past (with the jsonwebtoken crate's default
//!    leeway of 60 seconds for clock skew);
//! 3. `aud` and `iss`, which must be present and match when `audience` / `issuer` are
//!    configured. When no audience is configured a token that names one is refused, as
//!    RFC 7519 asks of a recipient the token is not addressed to.
//!
//! The user name is the string claim named by `username_claim` (`sub` unless configured), and
//! the `client_data` claim, if present, is sent back to the client. A token cannot log in
//! anonymously.
//!
//! A refused token gets a short reason such as "invalid token: expired", enough for a
//! developer to fix their backend and nothing about the secret.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{string_field, AuthFailure, AuthSetupError, Authenticator, Identity};

/// The claim whose value is returned to the client on login.
const CLIENT_DATA_CLAIM: &str = "client_data";

/// Checks HMAC-signed JSON Web Tokens; see the [module documentation](self).
pub struct JwtAuthenticator {
    key: DecodingKey,
    validation: Validation,
    username_claim: String,
}

impl std::fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("JwtAuthenticator")
            .field("algorithms", &self.validation.algorithms)
            .field("username_claim", &self.username_claim)
            .finish_non_exhaustive()
    }
}

impl JwtAuthenticator {
    /// An authenticator accepting tokens signed with `secret` using `algorithm` (`HS256`,
    /// `HS384` or `HS512`, any case), naming the user in the string claim `username_claim`, and
    /// addressed to `audience` and issued by `issuer` when those are given.
    pub fn new(
        secret: &str,
        username_claim: &str,
        algorithm: &str,
        audience: Option<&str>,
        issuer: Option<&str>,
    ) -> Result<JwtAuthenticator, AuthSetupError> {
        let algorithm = match algorithm.to_ascii_uppercase().as_str() {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            _ => return Err(AuthSetupError::UnsupportedAlgorithm(algorithm.to_owned())),
        };
        let key =
            DecodingKey::from_secret(secret.as_bytes()).map_err(|_| AuthSetupError::EmptySecret)?;
        let mut validation = Validation::new(algorithm);
        let mut required = vec!["exp"];
        if let Some(audience) = audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        if let Some(issuer) = issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        Ok(JwtAuthenticator {
            key,
            validation,
            username_claim: username_claim.to_owned(),
        })
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate(&self, auth_data: &Map<String, Value>) -> Result<Identity, AuthFailure> {
        let token = string_field(auth_data, "token")?
            .ok_or_else(|| AuthFailure::denied("a token is required"))?;
        let mut claims =
            jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
                .map_err(|error| invalid(&reason(error.kind())))?
                .claims;
        let user = match claims.get(&self.username_claim) {
            Some(Value::String(user)) => user.clone(),
            Some(_) => {
                return Err(invalid(&format!(
                    "{} must be a string",
                    self.username_claim
                )))
            }
            None => return Err(invalid(&format!("missing claim {}", self.username_claim))),
        };
        let client_data = claims
            .remove(CLIENT_DATA_CLAIM)
            .filter(|data| !data.is_null());
        Ok(Identity {
            user: Some(user),
            client_data,
        })
    }
}

/// A denial for a token that was refused for `reason`.
fn invalid(reason: &str) -> AuthFailure {
    AuthFailure::denied(format!("invalid token: {reason}"))
}

/// A short, secret-free description of why a token was refused. Claim names come from the
/// validation settings, never from the token.
fn reason(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "expired".into(),
        ErrorKind::ImmatureSignature => "not valid yet".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm => "algorithm not accepted".into(),
        ErrorKind::InvalidAudience => "wrong audience".into(),
        ErrorKind::InvalidIssuer => "wrong issuer".into(),
        ErrorKind::InvalidSubject => "wrong subject".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        ErrorKind::InvalidClaimFormat(claim) => format!("malformed claim {claim}"),
        _ => "malformed".into(),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{encode, get_current_timestamp, EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::auth::tests::data;

    const SECRET: &str = "correct horse battery staple";

    fn authenticator() -> JwtAuthenticator {
        JwtAuthenticator::new(SECRET, "sub", "HS256", None, None).expect("valid settings")
    }

    fn sign_with(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
        let key = EncodingKey::from_secret(secret.as_bytes()).expect("non-empty secret");
        encode(&Header::new(algorithm), claims, &key).expect("signed")
    }

    fn sign(claims: Value) -> String {
        sign_with(Algorithm::HS256, SECRET, &claims)
    }

    fn in_an_hour() -> u64 {
        get_current_timestamp() + 3600
    }

    fn login(auth: &JwtAuthenticator, token: &str) -> Result<Identity, AuthFailure> {
        auth.authenticate(&data(json!({ "token": token })))
    }

    fn refused(reason: &str) -> Result<Identity, AuthFailure> {
        Err(AuthFailure::Denied(format!("invalid token: {reason}")))
    }

    #[test]
    fn a_valid_token_names_the_user_and_carries_client_data() {
        let auth = authenticator();
        let token =
            sign(json!({"sub": "homer", "exp": in_an_hour(), "client_data": {"role": "admin"}}));
        assert_eq!(
            login(&auth, &token),
            Ok(Identity {
                user: Some("homer".into()),
                client_data: Some(json!({"role": "admin"})),
            })
        );
        let plain = sign(json!({"sub": "marge", "exp": in_an_hour()}));
        assert_eq!(login(&auth, &plain), Ok(Identity::user("marge")));
    }

    #[test]
    fn the_username_claim_is_configurable() {
        let auth = JwtAuthenticator::new(SECRET, "name", "hs512", None, None).expect("valid");
        let token = sign_with(
            Algorithm::HS512,
            SECRET,
            &json!({"sub": "42", "name": "homer", "exp": in_an_hour()}),
        );
        assert_eq!(login(&auth, &token), Ok(Identity::user("homer")));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let auth = authenticator();
        let token = sign(json!({"sub": "homer", "exp": get_current_timestamp() - 3600}));
        assert_eq!(login(&auth, &token), refused("expired"));
        let forever = sign(json!({"sub": "homer"}));
        assert_eq!(login(&auth, &forever), refused("missing claim exp"));
    }

    #[test]
    fn a_token_signed_otherwise_is_refused() {
        let auth = authenticator();
        let claims = json!({"sub": "homer", "exp": in_an_hour()});
        let forged = sign_with(Algorithm::HS256, "guess", &claims);
        assert_eq!(login(&auth, &forged), refused("bad signature"));
        let other_algorithm = sign_with(Algorithm::HS384, SECRET, &claims);
        assert_eq!(
            login(&auth, &other_algorithm),
            refused("algorithm not accepted")
        );
    }

    #[test]
    fn a_missing_or_non_string_username_claim_is_refused() {
        let auth = authenticator();
        let anonymous = sign(json!({"exp": in_an_hour()}));
        assert_eq!(login(&auth, &anonymous), refused("missing claim sub"));
        let numeric = sign(json!({"sub": 42, "exp": in_an_hour()}));
        assert_eq!(login(&auth, &numeric), refused("sub must be a string"));
    }

    #[test]
    fn audience_and_issuer_are_checked_when_configured() {
        let auth = JwtAuthenticator::new(
            SECRET,
            "sub",
            "HS256",
            Some("rollcall"),
            Some("springfield"),
        )
        .expect("valid");
        let exp = in_an_hour();
        let good =
            sign(json!({"sub": "homer", "exp": exp, "aud": "rollcall", "iss": "springfield"}));
        assert_eq!(login(&auth, &good), Ok(Identity::user("homer")));
        let wrong_audience =
            sign(json!({"sub": "homer", "exp": exp, "aud": "other", "iss": "springfield"}));
        assert_eq!(login(&auth, &wrong_audience), refused("wrong audience"));
        let no_audience = sign(json!({"sub": "homer", "exp": exp, "iss": "springfield"}));
        assert_eq!(login(&auth, &no_audience), refused("missing claim aud"));
        let wrong_issuer =
            sign(json!({"sub": "homer", "exp": exp, "aud": "rollcall", "iss": "shelbyville"}));
        assert_eq!(login(&auth, &wrong_issuer), refused("wrong issuer"));
    }

    #[test]
    fn a_token_addressed_to_someone_when_no_audience_is_configured_is_refused() {
        let token = sign(json!({"sub": "homer", "exp": in_an_hour(), "aud": "elsewhere"}));
        assert_eq!(login(&authenticator(), &token), refused("wrong audience"));
    }

    #[test]
    fn the_token_field_must_be_a_well_formed_string() {
        let auth = authenticator();
        assert_eq!(
            auth.authenticate(&data(json!({"username": "homer"}))),
            Err(AuthFailure::Denied("a token is required".into()))
        );
        assert_eq!(
            auth.authenticate(&data(json!({"token": 1}))),
            Err(AuthFailure::Denied("token must be a string".into()))
        );
        for garbage in ["", "abc", "a.b.c", "..", "\u{0}.\u{0}.\u{0}"] {
            assert_eq!(login(&auth, garbage), refused("malformed"), "{garbage:?}");
        }
        let unsigned = "eyJhbGciOiJIUzI1NiJ9.e30.";
        assert_eq!(login(&auth, unsigned), refused("bad signature"));
    }

    #[test]
    fn only_hmac_algorithms_and_non_empty_secrets_are_accepted_at_setup() {
        for algorithm in ["RS256", "ES256", "EdDSA", "none", ""] {
            assert!(
                matches!(
                    JwtAuthenticator::new(SECRET, "sub", algorithm, None, None),
                    Err(AuthSetupError::UnsupportedAlgorithm(name)) if name == algorithm
                ),
                "{algorithm}"
            );
        }
        assert!(matches!(
            JwtAuthenticator::new("", "sub", "HS256", None, None),
            Err(AuthSetupError::EmptySecret)
        ));
    }
}
