//! The configurable login methods end to end: a users file with argon2 hashes (found beside
//! the configuration file) and signed JSON Web Tokens, with client data in AUTH_SUCCESSFUL.

use rollcall::config::{AuthConfig, Config};
use rollcall::protocol::{self, AuthAction, ConnectionAction};
use rollcall::server::start;
use rollcall_conformance::raw::RawClient;

async fn try_login(addr: std::net::SocketAddr, auth_json: &str) -> (AuthAction, String) {
    let mut client = RawClient::connect(addr).await;
    client
        .send(protocol::connection::challenge("ws://x/deepstream"))
        .await;
    client.expect_connection(ConnectionAction::Accept).await;
    client.send(protocol::auth::request(auth_json)).await;
    match client.recv().await {
        rollcall_conformance::raw::Received::Frame(protocol::Incoming::Auth(m)) => {
            (m.action(), m.data)
        }
        other => panic!("expected an AUTH answer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_users_file_beside_the_configuration_checks_passwords() {
    let dir = std::env::temp_dir().join(format!("rollcall-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let hash = rollcall::auth::hash_password("d'oh").expect("hashes");
    let users = format!(
        "[users.homer]\npassword_hash = \"{hash}\"\nclient_data = {{ role = \"safety\" }}\n"
    );
    std::fs::write(dir.join("users.toml"), users).expect("writes users");
    let config_text = "[server]\nport = 0\n[auth]\ntype = \"file\"\nusers_file = \"users.toml\"\n";
    std::fs::write(dir.join("rollcall.toml"), config_text).expect("writes config");
    let config = Config::load(&dir.join("rollcall.toml")).expect("loads");
    let server = start(config).await.expect("starts");
    let addr = server.local_addr();

    let (action, data) = try_login(addr, r#"{"username":"homer","password":"d'oh"}"#).await;
    assert_eq!(action, AuthAction::AuthSuccessful);
    assert_eq!(data, r#"{"role":"safety"}"#);
    let (action, wrong) = try_login(addr, r#"{"username":"homer","password":"woohoo"}"#).await;
    assert_eq!(action, AuthAction::AuthUnsuccessful);
    let (action, unknown) = try_login(addr, r#"{"username":"flanders","password":"d'oh"}"#).await;
    assert_eq!(action, AuthAction::AuthUnsuccessful);
    assert_eq!(
        wrong, unknown,
        "an unknown user and a wrong password look the same"
    );

    server.shutdown().await.expect("stops");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_signed_token_names_the_user() {
    let secret = "correct horse battery staple";
    let mut config = Config::default();
    config.server.port = 0;
    config.auth = AuthConfig::Jwt {
        secret: secret.into(),
        username_claim: "sub".into(),
        algorithm: "HS256".into(),
        audience: None,
        issuer: None,
    };
    let server = start(config).await.expect("starts");
    let claims = serde_json::json!({ "sub": "marge", "exp": 4_102_444_800u64, "client_data": { "hair": "blue" } });
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).expect("a key");
    let token =
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).expect("signs");
    let (action, data) = try_login(
        server.local_addr(),
        &serde_json::json!({ "token": token }).to_string(),
    )
    .await;
    assert_eq!(action, AuthAction::AuthSuccessful);
    assert_eq!(data, r#"{"hair":"blue"}"#);
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"wrong secret").expect("a key"),
    )
    .expect("signs");
    let (action, _) = try_login(
        server.local_addr(),
        &serde_json::json!({ "token": forged }).to_string(),
    )
    .await;
    assert_eq!(action, AuthAction::AuthUnsuccessful);
    server.shutdown().await.expect("stops");
}
