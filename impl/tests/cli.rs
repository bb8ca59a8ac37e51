//! The `rollcall` binary as an operator uses it: help, configuration errors, start on a free
//! port, health check, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_rollcall");

/// A server process that is killed if the test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(BINARY)
        .arg("serve")
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reads stdout");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line:?}"));
    (Server(child), addr.to_string())
}

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("writes");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

#[test]
fn help_explains_every_option() {
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for option in [
        "--config",
        "--host",
        "--port",
        "--heartbeat-interval-ms",
        "--log-level",
    ] {
        assert!(
            help.contains(option),
            "--help does not mention {option}:\n{help}"
        );
    }
}

#[test]
fn a_bad_configuration_is_reported_and_exits_non_zero() {
    let path = std::env::temp_dir().join(format!("rollcall-cli-{}.toml", std::process::id()));
    std::fs::write(&path, "[server]\nprot = 1\n").expect("writes");
    let output = Command::new(BINARY)
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("prot"),
        "the error names the bad key: {stderr}"
    );
}

#[test]
fn serves_a_health_check_and_exits_zero_on_sigterm() {
    let (mut server, addr) = start(&["--log-level", "warn"]);
    assert!(
        addr.starts_with("127.0.0.1:"),
        "loopback by default: {addr}"
    );
    let response = http_get(&addr, "/health-check");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    assert!(status.expect("kill runs").success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.0.try_wait().expect("waits") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit:?}");
}

#[test]
fn hash_password_prints_an_argon2_hash() {
    let mut child = Command::new(BINARY)
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"correct horse\n")
        .expect("writes");
    let output = child.wait_with_output().expect("finishes");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("$argon2id$"));
}
