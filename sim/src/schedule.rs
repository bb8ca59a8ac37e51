//! Workloads: what happens to which device, and when, generated from one seed.
//!
//! A [`Schedule`] is fully materialized: a list of timed [`Step`]s, serializable to JSON, so a
//! failing run can be shrunk by editing the list and replayed without the generator. Every
//! step is total: one that does not apply (a close of a device that is not connected, a restart
//! of a device that is running) does nothing, so any sub-list of a schedule is a schedule.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A device: the `index`-th device of user `user`. Each device is a simulated host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Device {
    /// Which user (`u0`, `u1`, ...).
    pub user: u32,
    /// Which of the user's devices.
    pub index: u32,
}

impl Device {
    /// The simulated host's name.
    pub fn host(&self) -> String {
        format!("d{}-{}", self.user, self.index)
    }

    /// The user this device logs in as.
    pub fn user_name(&self) -> String {
        user_name(self.user)
    }
}

/// The name of user number `n`.
pub fn user_name(n: u32) -> String {
    format!("u{n}")
}

/// Something that happens at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// The device connects and logs in (if it is not connected).
    Connect,
    /// The device closes its connection cleanly.
    Close,
    /// The device subscribes to everyone.
    SubscribeAll,
    /// The device ends its subscription to everyone.
    UnsubscribeAll,
    /// The device subscribes to these users.
    Subscribe {
        /// User numbers.
        users: Vec<u32>,
    },
    /// The device unsubscribes from these users.
    Unsubscribe {
        /// User numbers.
        users: Vec<u32>,
    },
    /// getAll().
    QueryAll,
    /// getAll(names).
    Query {
        /// User numbers.
        users: Vec<u32>,
    },
    /// The device's host crashes: its sockets are reset.
    Crash,
    /// The device is cut off from the server, then crashes: the server learns only through
    /// its heartbeat timeout.
    SilentDeath,
    /// The device's host restarts (after a crash); it is disconnected until its next connect.
    Restart,
    /// A separate connection logs in as the device's user, subscribes to everyone, and stops
    /// reading: the server must cut it off without slowing anyone.
    SlowConsumer,
    /// The device is cut off from the server for a while, then the network heals: its client
    /// notices through its heartbeat, reconnects and restores its subscriptions.
    Partition {
        /// How long the partition lasts, milliseconds.
        ms: u64,
    },
    /// Network latency between every host and the server changes.
    Latency {
        /// Largest one-way delay, milliseconds.
        max_ms: u64,
    },
}

/// One timed action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Simulated milliseconds from the start.
    pub at_ms: u64,
    /// Which device (ignored by [`Action::Latency`]).
    pub device: Device,
    /// What happens.
    pub action: Action,
}

/// Which faults a generated workload may contain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Crashes and restarts.
    pub crash: bool,
    /// Partition-then-crash deaths only the heartbeat can detect.
    pub silent_death: bool,
    /// Connections that stop reading.
    pub slow_consumer: bool,
    /// Latency changes.
    pub latency: bool,
    /// Temporary partitions between a device and the server.
    pub partition: bool,
}

impl Faults {
    /// Every kind of fault.
    pub fn all() -> Faults {
        Faults {
            crash: true,
            silent_death: true,
            slow_consumer: true,
            latency: true,
            partition: true,
        }
    }

    /// No fault at all.
    pub fn none() -> Faults {
        Faults {
            crash: false,
            silent_death: false,
            slow_consumer: false,
            latency: false,
            partition: false,
        }
    }
}

/// The shape of a generated workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// How many users.
    pub users: u32,
    /// Devices per user.
    pub devices: u32,
    /// Length of the workload, simulated milliseconds (the settle phase comes after).
    pub duration_ms: u64,
    /// Which faults may happen.
    pub faults: Faults,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            users: 4,
            devices: 2,
            duration_ms: 20_000,
            faults: Faults::all(),
        }
    }
}

/// A complete, replayable workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The master seed it was generated from; also seeds the network and the runtime.
    pub seed: u64,
    /// The shape it was generated with.
    pub params: Params,
    /// The steps, in time order.
    pub steps: Vec<Step>,
}

/// Derives an independent seed for one purpose from the master seed (SplitMix64).
pub fn derive_seed(master: u64, purpose: u64) -> u64 {
    let mut z = master ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed purposes.
pub const WORKLOAD: u64 = 1;
/// Seed purpose of the simulated network.
pub const NETWORK: u64 = 2;

impl Schedule {
    /// Generates the workload of `seed`.
    pub fn generate(seed: u64, params: &Params) -> Schedule {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, WORKLOAD));
        let mut steps = Vec::new();
        let users = params.users.max(1);
        let devices: Vec<Device> = (0..users)
            .flat_map(|user| (0..params.devices.max(1)).map(move |index| Device { user, index }))
            .collect();
        for &device in &devices {
            let mut at = rng.random_range(0..1_000u64);
            let mut connected = false;
            let mut crashed = false;
            while at < params.duration_ms {
                let action = next_action(&mut rng, params, users, connected, crashed);
                match action {
                    Action::Connect => connected = true,
                    Action::Close => connected = false,
                    Action::Crash | Action::SilentDeath => (connected, crashed) = (false, true),
                    Action::Restart => crashed = false,
                    _ => {}
                }
                steps.push(Step {
                    at_ms: at,
                    device,
                    action,
                });
                at += rng.random_range(50..1_500u64);
            }
        }
        if params.faults.latency {
            for _ in 0..rng.random_range(0..4u32) {
                let at_ms = rng.random_range(0..params.duration_ms.max(1));
                let max_ms = rng.random_range(1..200u64);
                let device = devices[0];
                steps.push(Step {
                    at_ms,
                    device,
                    action: Action::Latency { max_ms },
                });
            }
        }
        steps.sort_by_key(|s| (s.at_ms, s.device));
        Schedule {
            seed,
            params: params.clone(),
            steps,
        }
    }

    /// The end of the workload, simulated milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.params
            .duration_ms
            .max(self.steps.last().map_or(0, |s| s.at_ms + 1))
    }

    /// Every device the schedule mentions or its shape implies.
    pub fn devices(&self) -> Vec<Device> {
        let mut devices: Vec<Device> = (0..self.params.users)
            .flat_map(|user| (0..self.params.devices).map(move |index| Device { user, index }))
            .chain(self.steps.iter().map(|s| s.device))
            .collect();
        devices.sort();
        devices.dedup();
        devices
    }
}

fn pick_users(rng: &mut ChaCha8Rng, users: u32) -> Vec<u32> {
    // One more than the real users, so a name nobody logs in as is asked about too.
    (0..rng.random_range(1..=3u32))
        .map(|_| rng.random_range(0..=users))
        .collect()
}

fn next_action(
    rng: &mut ChaCha8Rng,
    params: &Params,
    users: u32,
    connected: bool,
    crashed: bool,
) -> Action {
    if crashed {
        return Action::Restart;
    }
    if !connected {
        return Action::Connect;
    }
    let faults = &params.faults;
    loop {
        let action = match rng.random_range(0..100u32) {
            0..=14 => Action::Subscribe {
                users: pick_users(rng, users),
            },
            15..=22 => Action::Unsubscribe {
                users: pick_users(rng, users),
            },
            23..=32 => Action::SubscribeAll,
            33..=36 => Action::UnsubscribeAll,
            37..=51 => Action::QueryAll,
            52..=63 => Action::Query {
                users: pick_users(rng, users),
            },
            64..=79 => Action::Close,
            80..=85 if faults.crash => Action::Crash,
            86..=89 if faults.silent_death => Action::SilentDeath,
            90..=93 if faults.slow_consumer => Action::SlowConsumer,
            94..=99 if faults.partition => Action::Partition {
                ms: rng.random_range(2_500..6_000u64),
            },
            _ => continue,
        };
        return action;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        let params = Params::default();
        assert_eq!(
            Schedule::generate(7, &params),
            Schedule::generate(7, &params)
        );
        assert_ne!(
            Schedule::generate(7, &params),
            Schedule::generate(8, &params)
        );
    }

    #[test]
    fn schedules_round_trip_through_json() {
        let schedule = Schedule::generate(3, &Params::default());
        let text = serde_json::to_string(&schedule).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Schedule>(&text).expect("parses"),
            schedule
        );
    }
}
