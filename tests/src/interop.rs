//! Interop machinery: the official deepstream JavaScript client (`@deepstream/client` 7.0.5, from
//! npm) against a rollcall server running in the test process.
//!
//! The tests live in `tests/tests/interop.rs`:
//!
//! ```text
//! cargo test -p rollcall-conformance --test interop
//! ```
//!
//! They need Node.js 18 or later, with `node` and `npm` on `PATH` (or named by the `ROLLCALL_NODE`
//! and `ROLLCALL_NPM` environment variables). The first run installs the client pinned by
//! `tests/js/package-lock.json` with `npm ci` (once, even when tests run in parallel); later runs
//! reuse `tests/js/node_modules`.
//!
//! One test drives one [`Actor`]: a node process running `tests/js/actor.js`, which holds any
//! number of named clients, takes one JSON command per line on stdin and prints one JSON
//! observation per line on stdout (what each call answered, every presence callback, every error
//! and connection state the client reports). The process is killed when the [`Actor`] is dropped,
//! exits by itself when its stdin closes, and gives up on its own after a hard timeout, so no test
//! leaves a process behind. [`RawClient`] speaks the wire protocol directly, for what the official
//! client cannot do (such as staying silent after login).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::{SinkExt, StreamExt};
use rollcall::config::Config;
use rollcall::server::{ServerError, ServerHandle};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long one command may take to be answered by the actor.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for an expected event.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long to let the server act on something it cannot confirm (another connection closing)
/// before checking that nothing happened.
pub const SETTLE: Duration = Duration::from_millis(200);

/// The actor's own limit: past it, the node process exits with an error whatever happens.
const ACTOR_HARD_TIMEOUT: Duration = Duration::from_secs(30);

/// The oldest Node.js major version the interop tests accept.
const NODE_MIN_MAJOR: u32 = 18;

/// How long `npm ci` may take.
const NPM_TIMEOUT: Duration = Duration::from_secs(300);

/// The node project holding the actor and the pinned client.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}

/// The node executable, after checking its version and installing the client if needed.
///
/// Panics with an explanation when Node.js 18+ or npm is missing or the install fails.
pub async fn node() -> PathBuf {
    static NODE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let prepared = tokio::task::spawn_blocking(|| NODE.get_or_init(prepare_node).clone())
        .await
        .expect("preparing node panicked");
    match prepared {
        Ok(node) => node,
        Err(why) => panic!("{why}"),
    }
}

/// Checks the node version and runs `npm ci` once when the client is not installed.
fn prepare_node() -> Result<PathBuf, String> {
    let node =
        std::env::var_os("ROLLCALL_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let required = format!(
        "Node.js {NODE_MIN_MAJOR}+ is required for the interop tests (tests/tests/interop.rs): \
         install it with npm and put `node` on PATH, or set ROLLCALL_NODE to the node executable"
    );
    let output = std::process::Command::new(&node)
        .arg("--version")
        .output()
        .map_err(|error| format!("{required} (running {}: {error})", node.display()))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok());
    match major {
        Some(major) if output.status.success() && major >= NODE_MIN_MAJOR => {}
        _ => return Err(format!("{required} (found {version:?})")),
    }
    install_client()?;
    Ok(node)
}

/// Whether the pinned client is installed in `tests/js/node_modules`.
fn client_installed() -> bool {
    js_dir()
        .join("node_modules/@deepstream/client/package.json")
        .is_file()
}

/// Runs `npm ci` in `tests/js` unless the client is there already, holding a lock file so that
/// concurrent test processes never run npm at the same time.
fn install_client() -> Result<(), String> {
    if client_installed() {
        return Ok(());
    }
    let _lock = InstallLock::acquire()?;
    if client_installed() {
        return Ok(()); // another process installed it while this one waited
    }
    let npm = std::env::var_os("ROLLCALL_NPM").map_or_else(|| PathBuf::from("npm"), PathBuf::from);
    let dir = js_dir();
    let mut child = std::process::Command::new(&npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            format!(
                "Node.js {NODE_MIN_MAJOR}+ with npm is required for the interop tests: cannot run {} ({error})",
                npm.display()
            )
        })?;
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > NPM_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`npm ci` in {} took more than {NPM_TIMEOUT:?}",
                    dir.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(error) => return Err(format!("waiting for `npm ci`: {error}")),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    if !status.success() || !client_installed() {
        return Err(format!(
            "`npm ci` in {} failed ({status}):\n{stderr}",
            dir.display()
        ));
    }
    Ok(())
}

/// A lock file beside `package.json`, held while npm runs.
struct InstallLock(PathBuf);

impl InstallLock {
    /// A lock older than this was left by a process that died while installing.
    const STALE: Duration = Duration::from_secs(600);

    fn acquire() -> Result<InstallLock, String> {
        let path = js_dir().join(".npm-ci.lock");
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(InstallLock(path)),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
                    if age.is_some_and(|age| age > Self::STALE) {
                        let _ = std::fs::remove_file(&path);
                    } else if started.elapsed() > NPM_TIMEOUT {
                        return Err(format!(
                            "{} is held by another process for more than {NPM_TIMEOUT:?}",
                            path.display()
                        ));
                    } else {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
                Err(error) => return Err(format!("cannot create {}: {error}", path.display())),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The default configuration on an ephemeral loopback port.
pub fn config() -> Config {
    let mut config = Config::default();
    config.server.host = "127.0.0.1".into();
    config.server.port = 0;
    config
}

/// Starts a server with `config`, on loopback whatever the configuration says.
pub async fn start_server(mut config: Config) -> ServerHandle {
    config.server.host = "127.0.0.1".into();
    rollcall::server::start(config)
        .await
        .expect("the server starts")
}

/// Starts a server with `config` on loopback port `port`, retrying for up to `within` while the
/// port is still taken (by a server that is just stopping).
pub async fn start_server_on(mut config: Config, port: u16, within: Duration) -> ServerHandle {
    config.server.host = "127.0.0.1".into();
    config.server.port = port;
    let started = Instant::now();
    loop {
        match rollcall::server::start(config.clone()).await {
            Ok(handle) => return handle,
            Err(ServerError::Bind { .. }) if started.elapsed() < within => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("cannot start a server on 127.0.0.1:{port}: {error}"),
        }
    }
}

/// The WebSocket URL of the binary endpoint of `server`.
pub fn ws_url(server: &ServerHandle) -> String {
    format!("ws://{}/deepstream", server.local_addr())
}

/// A node process driving official clients: commands in, observations out (see the module docs
/// and `tests/js/actor.js`).
pub struct Actor {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    history: Vec<Value>,
    stderr: Arc<Mutex<String>>,
    next_id: u64,
}

impl Actor {
    /// Starts `tests/js/actor.js` against the server at `url` (`ws://HOST:PORT/deepstream`).
    pub async fn spawn(url: &str) -> Actor {
        let node = node().await;
        let mut child = Command::new(node)
            .arg("actor.js")
            .arg(url)
            .current_dir(js_dir())
            .env(
                "ACTOR_TIMEOUT_MS",
                ACTOR_HARD_TIMEOUT.as_millis().to_string(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 8192];
            while let Ok(read) = stderr_pipe.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                let mut text = sink.lock().expect("stderr buffer");
                text.push_str(&String::from_utf8_lossy(&buffer[..read]));
                // Keep the tail only: it is for failure messages.
                if text.len() > 64 * 1024 {
                    let mut cut = text.len() - 48 * 1024;
                    while !text.is_char_boundary(cut) {
                        cut += 1;
                    }
                    text.drain(..cut);
                }
            }
        });
        Actor {
            child,
            stdin,
            lines,
            history: Vec::new(),
            stderr,
            next_id: 0,
        }
    }

    /// Every observation so far, in arrival order.
    pub fn observations(&self) -> &[Value] {
        &self.history
    }

    /// The number of observations so far, to look only at later ones with [`Actor::wait_for`].
    pub fn mark(&self) -> usize {
        self.history.len()
    }

    /// What went on, for failure messages: the last observations and the client's frame trace.
    pub fn context(&self) -> String {
        let mut text = String::from("\n--- last observations (stdout of actor.js) ---\n");
        let from = self.history.len().saturating_sub(60);
        for observation in &self.history[from..] {
            let _ = writeln!(text, "{observation}");
        }
        text.push_str("--- frames and console (stderr of actor.js) ---\n");
        let stderr = self.stderr.lock().expect("stderr buffer");
        let lines: Vec<&str> = stderr.lines().collect();
        for line in &lines[lines.len().saturating_sub(80)..] {
            let _ = writeln!(text, "{line}");
        }
        text
    }

    /// Reads observations until `done` holds for the history or `limit` passes; says which.
    async fn pump_until(&mut self, limit: Duration, done: impl Fn(&[Value]) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if done(&self.history) {
                return true;
            }
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Err(_) => return false,
                Ok(None) => {
                    // Give the stderr reader a moment to collect the last words.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let status = self.child.try_wait().ok().flatten();
                    panic!(
                        "actor.js ended unexpectedly (status {status:?}){}",
                        self.context()
                    );
                }
                Ok(Some(line)) => match serde_json::from_str::<Value>(&line) {
                    Ok(observation) => self.history.push(observation),
                    Err(_) => panic!(
                        "actor.js printed a line that is not JSON: {line:?}{}",
                        self.context()
                    ),
                },
            }
        }
    }

    /// Waits for the first observation after `mark` that satisfies `matches`; panics, naming
    /// `what`, if none arrives within [`EVENT_TIMEOUT`].
    pub async fn wait_for(
        &mut self,
        mark: usize,
        what: &str,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let found = |history: &[Value]| history.iter().skip(mark).any(&matches);
        if !self.pump_until(EVENT_TIMEOUT, found).await {
            panic!("no {what} within {EVENT_TIMEOUT:?}{}", self.context());
        }
        self.history
            .iter()
            .skip(mark)
            .find(|observation| matches(observation))
            .cloned()
            .expect("found")
    }

    /// Sends one command and returns its reply. Panics if the actor rejects the command or does
    /// not answer within [`CALL_TIMEOUT`].
    pub async fn call(&mut self, mut command: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        command["id"] = json!(id);
        let mut line = command.to_string();
        line.push('\n');
        let stdin = self.stdin.as_mut().expect("the actor is running");
        if let Err(error) = stdin.write_all(line.as_bytes()).await {
            panic!(
                "cannot send {command} to actor.js: {error}{}",
                self.context()
            );
        }
        let answered = |history: &[Value]| history.iter().rev().any(|o| o["id"] == json!(id));
        if !self.pump_until(CALL_TIMEOUT, answered).await {
            panic!(
                "no answer to {command} within {CALL_TIMEOUT:?}{}",
                self.context()
            );
        }
        let reply = self
            .history
            .iter()
            .rev()
            .find(|o| o["id"] == json!(id))
            .cloned()
            .expect("found");
        if reply["event"] != "reply" {
            panic!("actor.js refused {command}: {reply}{}", self.context());
        }
        reply
    }

    /// Creates client `who` and logs in as `user` with the default client options.
    pub async fn login(&mut self, who: &str, user: &str) {
        self.login_with(who, Some(user), json!({}), false).await;
    }

    /// Creates client `who` and logs in as `user` (anonymously with `None`), with `options`
    /// merged into the client options; `wire` also reports every presence frame it receives.
    pub async fn login_with(&mut self, who: &str, user: Option<&str>, options: Value, wire: bool) {
        let mut command = json!({"cmd": "login", "who": who, "options": options, "wire": wire});
        if let Some(user) = user {
            command["user"] = json!(user);
        }
        let reply = self.call(command).await;
        assert_eq!(
            reply["ok"],
            json!(true),
            "login of {who} as {user:?} failed: {reply}{}",
            self.context()
        );
    }

    /// `client.presence.getAll((error, usernames) => ...)`: the usernames, or the error.
    pub async fn get_all(&mut self, who: &str) -> Result<Vec<String>, String> {
        let reply = self.call(json!({"cmd": "getAll", "who": who})).await;
        if let Some(error) = reply["error"].as_str() {
            return Err(error.to_string());
        }
        match serde_json::from_value::<Option<Vec<String>>>(reply["result"].clone()) {
            // An empty answer carries no names at all: the client then reports `undefined`.
            Ok(names) => Ok(names.unwrap_or_default()),
            Err(_) => panic!("getAll() of {who} answered {reply}{}", self.context()),
        }
    }

    /// `client.presence.getAll(names, (error, result) => ...)`: the result's entries in the
    /// client's key order, or the error.
    pub async fn get_all_of(
        &mut self,
        who: &str,
        names: &[&str],
    ) -> Result<Vec<(String, bool)>, String> {
        let reply = self
            .call(json!({"cmd": "getAll", "who": who, "names": names}))
            .await;
        if let Some(error) = reply["error"].as_str() {
            return Err(error.to_string());
        }
        let (Some(keys), Some(result)) = (reply["keys"].as_array(), reply["result"].as_object())
        else {
            panic!(
                "getAll({names:?}) of {who} answered {reply}{}",
                self.context()
            );
        };
        let entry = |key: &Value| -> Option<(String, bool)> {
            let key = key.as_str()?;
            Some((key.to_string(), result.get(key)?.as_bool()?))
        };
        match keys.iter().map(entry).collect::<Option<Vec<_>>>() {
            Some(entries) => Ok(entries),
            None => panic!(
                "getAll({names:?}) of {who} answered {reply}{}",
                self.context()
            ),
        }
    }

    /// `client.presence.subscribe(presenceCallback)`, then [`Actor::sync`].
    pub async fn subscribe_all(&mut self, who: &str) {
        let reply = self.call(json!({"cmd": "subscribe", "who": who})).await;
        self.check_synced(who, &reply);
    }

    /// `client.presence.subscribe(user, presenceCallback)`, then [`Actor::sync`].
    pub async fn subscribe(&mut self, who: &str, user: &str) {
        let reply = self
            .call(json!({"cmd": "subscribe", "who": who, "user": user}))
            .await;
        self.check_synced(who, &reply);
    }

    /// `client.presence.unsubscribe(user)`, then [`Actor::sync`].
    pub async fn unsubscribe(&mut self, who: &str, user: &str) {
        let reply = self
            .call(json!({"cmd": "unsubscribe", "who": who, "user": user}))
            .await;
        self.check_synced(who, &reply);
    }

    /// `client.presence.unsubscribe()`, then [`Actor::sync`].
    pub async fn unsubscribe_all(&mut self, who: &str) {
        let reply = self.call(json!({"cmd": "unsubscribe", "who": who})).await;
        self.check_synced(who, &reply);
    }

    /// Waits until the server has answered everything client `who` sent (a getAll() round trip
    /// after the client's subscription batch), and checks every subscription request was
    /// acknowledged.
    pub async fn sync(&mut self, who: &str) {
        let reply = self.call(json!({"cmd": "sync", "who": who})).await;
        self.check_synced(who, &reply);
    }

    fn check_synced(&self, who: &str, reply: &Value) {
        assert_eq!(
            reply["error"],
            Value::Null,
            "the getAll() that syncs {who} failed: {reply}{}",
            self.context()
        );
        assert_eq!(
            reply["unacked"],
            json!([]),
            "the server did not acknowledge these requests of {who}: {reply}{}",
            self.context()
        );
    }

    /// Lets the server act on what it cannot confirm (another connection closing), then syncs
    /// `who`: after this, events that were going to reach `who` have.
    pub async fn settle(&mut self, who: &str) {
        tokio::time::sleep(SETTLE).await;
        self.sync(who).await;
    }

    /// `client.close()`, answered once the socket is closed.
    pub async fn close(&mut self, who: &str) {
        self.call(json!({"cmd": "close", "who": who})).await;
    }

    /// The presence callbacks client `who` received, in order: `"join-all Marge"` and
    /// `"leave-all Marge"` from `subscribe(callback)`, `"join Marge"` and `"leave Marge"` from
    /// `subscribe('Marge', callback)` (with the subscription named if it differs from the user).
    pub fn events(&self, who: &str) -> Vec<String> {
        let mut events = Vec::new();
        for observation in self.of(who) {
            let event = observation["event"].as_str().unwrap_or_default();
            let user = observation["user"].as_str().unwrap_or("<not a string>");
            match event {
                "join-all" | "leave-all" => events.push(format!("{event} {user}")),
                "join" | "leave" => match observation["sub"].as_str() {
                    Some(sub) if sub == user => events.push(format!("{event} {user}")),
                    sub => events.push(format!("{event} {user} (callback of {sub:?})")),
                },
                _ => {}
            }
        }
        events
    }

    /// Waits until client `who` has received as many presence callbacks as `expected` lists
    /// (all of them so far, not only new ones), then checks they are exactly those.
    pub async fn expect_events(&mut self, who: &str, expected: &[&str]) {
        let count = |history: &[Value]| {
            history
                .iter()
                .filter(|o| o["who"] == who)
                .filter(|o| {
                    matches!(
                        o["event"].as_str(),
                        Some("join-all" | "leave-all" | "join" | "leave")
                    )
                })
                .count()
        };
        self.pump_until(EVENT_TIMEOUT, |history| count(history) >= expected.len())
            .await;
        let events = self.events(who);
        assert_eq!(
            events,
            expected,
            "the presence callbacks of {who}{}",
            self.context()
        );
    }

    /// The errors client `who` reported (`client.on('error', ...)`): observations with
    /// `kind` (such as `MESSAGE_DENIED`), `topic` and `detail`.
    pub fn errors(&self, who: &str) -> Vec<Value> {
        self.of(who)
            .filter(|o| o["event"] == "error")
            .cloned()
            .collect()
    }

    /// Checks client `who` reported no error at all.
    pub fn assert_no_errors(&self, who: &str) {
        let errors = self.errors(who);
        assert!(
            errors.is_empty(),
            "{who} reported errors: {errors:?}{}",
            self.context()
        );
    }

    /// Checks no client printed a warning (the client warns of requests never acknowledged).
    pub fn assert_no_warnings(&self) {
        let warnings = self.warnings();
        assert!(
            warnings.is_empty(),
            "the clients warned: {warnings:?}{}",
            self.context()
        );
    }

    /// The warnings the clients printed (such as a missing acknowledgement).
    pub fn warnings(&self) -> Vec<String> {
        self.history
            .iter()
            .filter(|o| o["event"] == "warning")
            .map(|o| o["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The connection states client `who` went through.
    pub fn states(&self, who: &str) -> Vec<String> {
        self.of(who)
            .filter(|o| o["event"] == "state")
            .map(|o| o["state"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The presence frames client `who` received (for a client logged in with `wire`), as
    /// `"ACTION name"` (or just `"ACTION"` when the frame names nobody).
    pub fn wire(&self, who: &str) -> Vec<String> {
        self.of(who)
            .filter(|o| o["event"] == "wire")
            .map(|o| match o["name"].as_str() {
                Some(name) => format!("{} {name}", o["action"].as_str().unwrap_or_default()),
                None => o["action"].as_str().unwrap_or_default().to_string(),
            })
            .collect()
    }

    fn of<'a>(&'a self, who: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.history.iter().filter(move |o| o["who"] == who)
    }

    /// Closes every client, ends the actor and checks it exited cleanly and that no client
    /// warned (the client warns of requests the server never acknowledged).
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let status = match tokio::time::timeout(CALL_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(error)) => panic!("waiting for actor.js: {error}"),
            Err(_) => panic!(
                "actor.js did not exit within {CALL_TIMEOUT:?} of its input closing{}",
                self.context()
            ),
        };
        // The process is gone: its output ends.
        while let Ok(Some(line)) = tokio::time::timeout(CALL_TIMEOUT, self.lines.recv()).await {
            if let Ok(observation) = serde_json::from_str(&line) {
                self.history.push(observation);
            }
        }
        assert!(
            status.success(),
            "actor.js exited with {status}{}",
            self.context()
        );
        self.assert_no_warnings();
    }
}

/// A message the server sent, as [`RawClient`] decodes it: topic and action numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// TOPIC (2 CONNECTION, 3 AUTH, 7 PRESENCE, ...).
    pub topic: u64,
    /// The topic's action.
    pub action: u64,
}

/// TOPIC CONNECTION.
pub const TOPIC_CONNECTION: u64 = 2;
/// TOPIC AUTH.
pub const TOPIC_AUTH: u64 = 3;
/// CONNECTION action CHALLENGE.
pub const CONNECTION_CHALLENGE: u64 = 5;
/// CONNECTION action ACCEPT.
pub const CONNECTION_ACCEPT: u64 = 4;
/// AUTH action REQUEST.
pub const AUTH_REQUEST: u64 = 2;
/// AUTH action AUTH_SUCCESSFUL.
pub const AUTH_SUCCESSFUL: u64 = 3;

/// How a [`RawClient`]'s connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The server sent a close frame, with its code and reason if any.
    CloseFrame(Option<(u16, String)>),
    /// The TCP connection ended without a close frame.
    Dropped,
}

/// A WebSocket client speaking the binary protocol by hand (tokio-tungstenite): it sends only
/// what it is told to, so it can, for example, log in and then stay silent.
pub struct RawClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawClient {
    /// Connects to `url`, completes the challenge and logs in as `user`.
    pub async fn login(url: &str, user: &str) -> RawClient {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the WebSocket upgrade succeeds");
        let mut client = RawClient { ws };
        let mut challenge = Vec::new();
        put_varint_field(&mut challenge, 1, CONNECTION_CHALLENGE);
        put_bytes_field(&mut challenge, 5, url.as_bytes());
        put_bytes_field(&mut challenge, 6, b"0.1a");
        put_bytes_field(&mut challenge, 8, b"rollcall-interop");
        client.send(TOPIC_CONNECTION, &challenge).await;
        assert_eq!(
            client.recv().await,
            Frame {
                topic: TOPIC_CONNECTION,
                action: CONNECTION_ACCEPT
            }
        );
        let mut auth = Vec::new();
        put_varint_field(&mut auth, 1, AUTH_REQUEST);
        put_bytes_field(
            &mut auth,
            2,
            json!({ "username": user }).to_string().as_bytes(),
        );
        client.send(TOPIC_AUTH, &auth).await;
        assert_eq!(
            client.recv().await,
            Frame {
                topic: TOPIC_AUTH,
                action: AUTH_SUCCESSFUL
            }
        );
        client
    }

    /// Sends one message: `varint(len) ++ Message { topic = 2; message = 3 }`.
    pub async fn send(&mut self, topic: u64, message: &[u8]) {
        let mut outer = Vec::new();
        put_varint_field(&mut outer, 2, topic);
        put_bytes_field(&mut outer, 3, message);
        let mut frame = Vec::new();
        put_varint(&mut frame, outer.len() as u64);
        frame.extend_from_slice(&outer);
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .expect("the frame is sent");
    }

    /// The next message from the server (within [`CALL_TIMEOUT`]).
    pub async fn recv(&mut self) -> Frame {
        loop {
            let next = tokio::time::timeout(CALL_TIMEOUT, self.ws.next()).await;
            match next {
                Ok(Some(Ok(Message::Binary(data)))) => {
                    return decode(&data).unwrap_or_else(|| panic!("undecodable frame {data:02x?}"))
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
    }

    /// Reads (and discards) messages until the connection ends, without sending anything;
    /// `None` if it is still open after `limit`.
    pub async fn wait_for_end(&mut self, limit: Duration) -> Option<Ending> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Some(Ending::CloseFrame(
                        frame.map(|frame| (u16::from(frame.code), frame.reason.to_string())),
                    ))
                }
                Ok(Some(Ok(_))) => {}
                Ok(None | Some(Err(_))) => return Some(Ending::Dropped),
            }
        }
    }
}

fn put_varint(buffer: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        buffer.push((value as u8) | 0x80);
        value >>= 7;
    }
    buffer.push(value as u8);
}

fn put_varint_field(buffer: &mut Vec<u8>, field: u64, value: u64) {
    put_varint(buffer, field << 3);
    put_varint(buffer, value);
}

fn put_bytes_field(buffer: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_varint(buffer, (field << 3) | 2);
    put_varint(buffer, bytes.len() as u64);
    buffer.extend_from_slice(bytes);
}

fn get_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

/// One field of a protobuf message (fixed-width fields are skipped).
#[derive(Clone, Copy)]
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The varint and length-delimited fields of one protobuf message, with their numbers.
fn fields(mut bytes: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = get_varint(&mut bytes)?;
        let value = match key & 7 {
            0 => Field::Varint(get_varint(&mut bytes)?),
            2 => {
                let len = usize::try_from(get_varint(&mut bytes)?).ok()?;
                let value = bytes.get(..len)?;
                bytes = &bytes[len..];
                Field::Bytes(value)
            }
            1 => {
                bytes = bytes.get(8..)?;
                continue;
            }
            5 => {
                bytes = bytes.get(4..)?;
                continue;
            }
            _ => return None,
        };
        fields.push((key >> 3, value));
    }
    Some(fields)
}

fn varint_field(fields: &[(u64, Field<'_>)], number: u64) -> Option<u64> {
    fields.iter().find_map(|(field, value)| match value {
        Field::Varint(value) if *field == number => Some(*value),
        _ => None,
    })
}

fn bytes_field<'a>(fields: &[(u64, Field<'a>)], number: u64) -> Option<&'a [u8]> {
    fields.iter().find_map(|(field, value)| match value {
        Field::Bytes(value) if *field == number => Some(*value),
        _ => None,
    })
}

/// Topic and action of a server frame.
fn decode(mut frame: &[u8]) -> Option<Frame> {
    let len = usize::try_from(get_varint(&mut frame)?).ok()?;
    let outer = fields(frame.get(..len)?)?;
    let topic = varint_field(&outer, 2)?;
    let inner = fields(bytes_field(&outer, 3)?)?;
    // A zero action is not encoded at all.
    let action = varint_field(&inner, 1).unwrap_or(0);
    Some(Frame { topic, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_the_protocol_notes_decode() {
        // PROTOCOL.md: CONNECTION/ACCEPT and a QUERY_ALL_RESPONSE naming "bob".
        assert_eq!(
            decode(&[0x06, 0x10, 0x02, 0x1a, 0x02, 0x08, 0x04]),
            Some(Frame {
                topic: 2,
                action: 4
            })
        );
        let bob = [
            0x0b, 0x10, 0x07, 0x1a, 0x07, 0x08, 0x03, 0x4a, 0x03, 0x62, 0x6f, 0x62,
        ];
        assert_eq!(
            decode(&bob),
            Some(Frame {
                topic: 7,
                action: 3
            })
        );
        assert_eq!(decode(&[0x06, 0x10]), None);
    }

    #[test]
    fn varints_round_trip() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut buffer = Vec::new();
            put_varint(&mut buffer, value);
            assert_eq!(get_varint(&mut buffer.as_slice()), Some(value));
        }
    }
}
