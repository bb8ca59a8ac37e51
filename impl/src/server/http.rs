//! The HTTP front door of every connection: a health check, or the upgrade to WebSocket.
//!
//! Every client arrives as an HTTP/1.1 request on the one port. `GET /health-check` is answered
//! and the connection closed; `GET /deepstream` with a valid WebSocket upgrade becomes a
//! deepstream connection; anything else gets a plain HTTP error that says what is served.
//! The request head is read by hand (bounded in size and time) so that both routes share the
//! port and the WebSocket handshake needs no second buffer.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

/// The path of the binary deepstream protocol.
pub const WEBSOCKET_PATH: &str = "/deepstream";
/// The path of the health check.
pub const HEALTH_PATH: &str = "/health-check";
/// Largest accepted request head.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Time allowed for the request head to arrive.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// What became of a connection's first request.
pub enum Front<S> {
    /// The connection is now a WebSocket.
    WebSocket(Box<WebSocketStream<S>>),
    /// A plain HTTP request was answered (the status is given for the log).
    Answered(u16),
}

/// Why no answer could be given.
#[derive(Debug, thiserror::Error)]
pub enum FrontError {
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The request head did not arrive in time.
    #[error("no request within {HEAD_TIMEOUT:?}")]
    Timeout,
    /// The client closed before sending a whole request head.
    #[error("connection closed before a request was read")]
    Closed,
}

/// Reads the first request and answers it.
pub async fn accept<S>(mut stream: S, config: WebSocketConfig) -> Result<Front<S>, FrontError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (head, leftover) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(result) => result?,
        Err(_) => return Err(FrontError::Timeout),
    };
    let Some(head) = head else {
        respond(&mut stream, 431, "request head too large\n").await?;
        return Ok(Front::Answered(431));
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    let parsed = matches!(request.parse(&head), Ok(httparse::Status::Complete(_)));
    let (method, path) = (request.method.unwrap_or(""), request.path.unwrap_or(""));
    let status = if !parsed {
        respond(&mut stream, 400, "malformed HTTP request\n").await?;
        400
    } else if method != "GET" {
        respond(&mut stream, 405, "only GET is served\n").await?;
        405
    } else if path == HEALTH_PATH {
        respond(&mut stream, 200, "OK\n").await?;
        200
    } else if path != WEBSOCKET_PATH {
        let body = "rollcall serves the deepstream binary protocol on /deepstream and \
                    a health check on /health-check\n";
        respond(&mut stream, 404, body).await?;
        404
    } else {
        match upgrade_key(request.headers) {
            Ok(key) => {
                let response = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    derive_accept_key(key.as_bytes())
                );
                stream.write_all(response.as_bytes()).await?;
                let ws = WebSocketStream::from_partially_read(
                    stream,
                    leftover,
                    Role::Server,
                    Some(config),
                )
                .await;
                return Ok(Front::WebSocket(Box::new(ws)));
            }
            Err(problem) => {
                respond(&mut stream, 426, problem).await?;
                426
            }
        }
    };
    Ok(Front::Answered(status))
}

/// The `Sec-WebSocket-Key` of a valid upgrade request, or what is wrong with it.
fn upgrade_key<'a>(headers: &[httparse::Header<'a>]) -> Result<&'a str, &'static str> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
    };
    let has_token = |name: &str, token: &str| {
        header(name).is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
        return Err("/deepstream is a WebSocket endpoint: send a WebSocket upgrade\n");
    }
    if header("sec-websocket-version").map(str::trim) != Some("13") {
        return Err("unsupported WebSocket version: use 13\n");
    }
    header("sec-websocket-key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or("missing Sec-WebSocket-Key\n")
}

/// Reads up to the end of the request head. Returns the head (None if it is too large) and
/// any bytes read past it.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(Option<Vec<u8>>, Vec<u8>), FrontError> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(FrontError::Closed);
        }
        let searched_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer[searched_from..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
        {
            let end = searched_from + end + 4;
            let leftover = buffer.split_off(end);
            return Ok((Some(buffer), leftover));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Ok((None, Vec::new()));
        }
    }
}

async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(request: &str) -> String {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        client.write_all(request.as_bytes()).await.expect("write");
        let front = accept(server, WebSocketConfig::default())
            .await
            .expect("answered");
        assert!(matches!(front, Front::Answered(_)));
        let mut response = String::new();
        client.read_to_string(&mut response).await.expect("read");
        response
    }

    #[tokio::test]
    async fn health_check_answers_ok() {
        let response = answer("GET /health-check HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("OK\n"));
    }

    #[tokio::test]
    async fn other_paths_and_bad_upgrades_are_explained() {
        assert!(answer("GET /deepstream-v3 HTTP/1.1\r\n\r\n")
            .await
            .starts_with("HTTP/1.1 404"));
        assert!(answer("POST /deepstream HTTP/1.1\r\n\r\n")
            .await
            .starts_with("HTTP/1.1 405"));
        assert!(answer("GET /deepstream HTTP/1.1\r\n\r\n")
            .await
            .starts_with("HTTP/1.1 426"));
        assert!(answer("GARBAGE\r\n\r\n").await.starts_with("HTTP/1.1 400"));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(10_000));
        assert!(answer(&huge).await.starts_with("HTTP/1.1 431"));
    }

    #[tokio::test]
    async fn an_upgrade_switches_protocols() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let request = "GET /deepstream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
                       Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        client.write_all(request.as_bytes()).await.expect("write");
        let front = accept(server, WebSocketConfig::default())
            .await
            .expect("answered");
        assert!(matches!(front, Front::WebSocket(_)));
        let mut response = vec![0u8; 256];
        let n = client.read(&mut response).await.expect("read");
        let response = String::from_utf8_lossy(&response[..n]);
        assert!(response.starts_with("HTTP/1.1 101"), "{response}");
        assert!(
            response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "RFC 6455's example key"
        );
    }
}
