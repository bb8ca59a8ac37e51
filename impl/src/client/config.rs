//! How a client connects, logs in, keeps its connection alive and comes back after a drop.
//!
//! Everything time-related is a [`Duration`] measured with `tokio::time`, never the wall
//! clock, and the only "random" choices (the jitter of the reconnection delays and the
//! WebSocket handshake key) come from a generator seeded by [`ClientConfig::seed`]. Two
//! clients with the same configuration on the same (simulated) network therefore behave
//! identically, which is what the deterministic simulator relies on.
//!
//! ```
//! use std::time::Duration;
//! use rollcall::client::{ClientConfig, ReconnectPolicy};
//!
//! let mut config = ClientConfig::new("ws://127.0.0.1:6020/deepstream", serde_json::json!({"username": "homer"}));
//! config.request_timeout = Duration::from_secs(2);
//! config.reconnect = ReconnectPolicy { max_attempts: Some(3), ..ReconnectPolicy::default() };
//! ```

use std::time::Duration;

/// Everything [`Client::connect`](super::Client::connect) needs besides the transport.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// The server's URL, `ws://host:port/deepstream`: the WebSocket request goes to its path
    /// (with its host in the `Host` header) and the CHALLENGE announces it.
    pub url: String,
    /// The auth parameters sent as the JSON `data` of AUTH/REQUEST, e.g.
    /// `{"username": "homer"}`; `{}` logs in anonymously where the server allows it.
    pub auth: serde_json::Value,
    /// How often to send CONNECTION/PING once logged in (deepstream's default: 30 s). A
    /// connection on which nothing arrived for twice this long is considered dead. Zero
    /// disables both.
    pub heartbeat_interval: Duration,
    /// How long a request waits for its answer before failing with
    /// [`ClientError::Timeout`](super::ClientError::Timeout). It also bounds a whole
    /// connection attempt (transport, WebSocket upgrade, CHALLENGE and login).
    pub request_timeout: Duration,
    /// What to do when the connection drops.
    pub reconnect: ReconnectPolicy,
    /// Seed of the client's pseudo-random choices: reconnection jitter and WebSocket keys.
    pub seed: u64,
}

impl ClientConfig {
    /// A configuration with deepstream's defaults: heartbeat every 30 s, requests time out
    /// after 10 s, and the default [`ReconnectPolicy`].
    pub fn new(url: impl Into<String>, auth: serde_json::Value) -> Self {
        ClientConfig {
            url: url.into(),
            auth,
            heartbeat_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            reconnect: ReconnectPolicy::default(),
            seed: 0,
        }
    }

    /// The URL of a rollcall (or deepstream) server's binary endpoint at `addr`
    /// (`host:port`): `ws://{addr}/deepstream`.
    pub fn url_for(addr: impl std::fmt::Display) -> String {
        format!("ws://{addr}/deepstream")
    }
}

/// When and how often to reconnect after the connection dropped.
///
/// Attempt `n` (counting from 0) waits `min(initial_delay * multiplier^n, max_delay)`, minus a
/// random fraction of at most `jitter` of it, then connects and logs in again.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// Delay before the first attempt.
    pub initial_delay: Duration,
    /// Upper bound of any delay.
    pub max_delay: Duration,
    /// Growth of the delay from one attempt to the next (1.0 keeps it constant).
    pub multiplier: f64,
    /// Attempts before giving up (`Some(0)`: never reconnect); `None` retries forever.
    pub max_attempts: Option<u32>,
    /// Largest fraction (0.0 to 1.0) randomly taken off each delay, so that many clients
    /// dropped at once do not come back all at the same instant.
    pub jitter: f64,
}

impl Default for ReconnectPolicy {
    /// 1 s, doubling up to 30 s, 5 attempts (deepstream also gives up after 5), 20 % jitter.
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            max_attempts: Some(5),
            jitter: 0.2,
        }
    }
}

impl ReconnectPolicy {
    /// Never reconnect: a dropped connection ends the client.
    pub fn never() -> Self {
        ReconnectPolicy {
            max_attempts: Some(0),
            ..ReconnectPolicy::default()
        }
    }

    /// Whether attempt number `attempt` (counting from 0) is still allowed.
    pub fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempt < max)
    }

    /// The delay before attempt number `attempt` (counting from 0), with jitter drawn from
    /// `rng`.
    pub(crate) fn delay(&self, attempt: u32, rng: &mut SplitMix64) -> Duration {
        let exponent = i32::try_from(attempt).unwrap_or(i32::MAX);
        let grown = self.initial_delay.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let capped = grown.min(self.max_delay.as_secs_f64());
        let jitter = self.jitter.clamp(0.0, 1.0) * rng.next_fraction();
        Duration::try_from_secs_f64(capped * (1.0 - jitter)).unwrap_or(self.max_delay)
    }
}

/// A tiny seeded pseudo-random generator (SplitMix64): enough for jitter and handshake keys,
/// and the same sequence for the same seed on every machine.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 pseudo-random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn next_fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        let policy = ReconnectPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            multiplier: 2.0,
            max_attempts: None,
            jitter: 0.0,
        };
        let mut rng = SplitMix64::new(1);
        let delays: Vec<u128> = (0..6)
            .map(|n| policy.delay(n, &mut rng).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.delay(u32::MAX, &mut rng), policy.max_delay);
    }

    #[test]
    fn jitter_is_bounded_and_seeded() {
        let policy = ReconnectPolicy {
            jitter: 0.5,
            ..ReconnectPolicy::default()
        };
        let run = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..8)
                .map(|n| policy.delay(n, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        for (n, delay) in run(7).into_iter().enumerate() {
            let full = ReconnectPolicy {
                jitter: 0.0,
                ..policy.clone()
            }
            .delay(n as u32, &mut SplitMix64::new(0));
            assert!(delay <= full && delay >= full / 2, "{delay:?} vs {full:?}");
        }
    }

    #[test]
    fn attempts() {
        assert!(!ReconnectPolicy::never().allows(0));
        let three = ReconnectPolicy {
            max_attempts: Some(3),
            ..ReconnectPolicy::default()
        };
        assert!(three.allows(2) && !three.allows(3));
        let forever = ReconnectPolicy {
            max_attempts: None,
            ..ReconnectPolicy::default()
        };
        assert!(forever.allows(u32::MAX));
    }
}
