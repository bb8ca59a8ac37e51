//! The benchmark workloads, written once for every [`Presence`] engine.
//!
//! * [`Fanout`]: `N` watchers, each subscribed to everyone *and* to the user [`JOINER`]. One
//!   cycle is a fresh connection logging in as [`JOINER`] and closing again: a join and a leave,
//!   each delivered twice to every watcher (`*_ALL`, then the per-user event, SPEC.md R7), so
//!   `4 N` deliveries per cycle.
//! * [`Churn`]: `U` users online (one connection each) holding `S` per-name subscriptions in
//!   total, spread evenly over the online users and a pool of [`CHURN_NAMES`] users who come and
//!   go. One cycle is one of those users logging in on a fresh connection and closing it: one
//!   login and one logout, each told to the few connections following that user (about
//!   `S / (U + CHURN_NAMES)`).
//! * [`Queries`]: `U` users online and one more connection that asks: getAll() answers all `U`
//!   names; getAll(names) asks about [`QUERY_NAMES`] names, half of them online.
//!
//! Setups log every connection in before anyone subscribes, so building a fixture delivers
//! nothing and stays linear in its size, even for the model.
//!
//! ```
//! use rollcall_benches::engine::CoreEngine;
//! use rollcall_benches::workload::Fanout;
//!
//! let mut engine = CoreEngine::default();
//! let mut fanout = Fanout::new(&mut engine, 100);
//! // The joiner's ack, then 4 events per watcher.
//! assert_eq!(fanout.cycle(&mut engine), 1 + fanout.deliveries_per_cycle());
//! ```

use crate::engine::Presence;

/// The user whose log-ins the fan-out watchers follow.
pub const JOINER: &str = "joiner";

/// How many distinct users the churn workload logs in and out, in turn.
pub const CHURN_NAMES: usize = 1024;

/// How many names getAll(names) asks about.
pub const QUERY_NAMES: usize = 100;

/// Most names in one subscribe request (the server's `max_names_per_request`).
const NAMES_PER_REQUEST: usize = 1000;

/// The name of the `i`-th online user of a fixture.
pub fn user_name(i: usize) -> String {
    format!("u-{i}")
}

/// The name of the `i`-th user of the churn pool.
pub fn churn_name(i: usize) -> String {
    format!("c-{i}")
}

/// Opens connections `1..=users` and logs each in as [`user_name`]`(i - 1)`.
fn log_in_users<E: Presence>(engine: &mut E, users: usize) {
    for i in 0..users {
        let conn = i as u64 + 1;
        engine.open(conn);
        engine.login(conn, &user_name(i));
    }
}

/// Sends `names` as subscribe requests of at most [`NAMES_PER_REQUEST`] names.
fn subscribe_in_chunks<E: Presence>(engine: &mut E, conn: u64, names: Vec<String>) {
    let mut names = names.into_iter().peekable();
    while names.peek().is_some() {
        let chunk: Vec<String> = names.by_ref().take(NAMES_PER_REQUEST).collect();
        engine.subscribe(conn, chunk);
    }
}

/// One login reaching `N` watchers, then the logout.
pub struct Fanout {
    watchers: usize,
    next_conn: u64,
}

impl Fanout {
    /// Sets up `watchers` logged-in connections subscribed to everyone and to [`JOINER`].
    pub fn new<E: Presence>(engine: &mut E, watchers: usize) -> Self {
        log_in_users(engine, watchers);
        for conn in 1..=watchers as u64 {
            engine.subscribe_all(conn);
            engine.subscribe(conn, vec![JOINER.to_string()]);
        }
        Fanout {
            watchers,
            next_conn: watchers as u64 + 1,
        }
    }

    /// The events one cycle delivers: join and leave, each as `*_ALL` and per-user, to every
    /// watcher.
    pub fn deliveries_per_cycle(&self) -> usize {
        4 * self.watchers
    }

    /// The login half of a cycle: a fresh connection logs in as [`JOINER`]. Returns the
    /// connection and the deliveries.
    pub fn join<E: Presence>(&mut self, engine: &mut E) -> (u64, usize) {
        let conn = self.next_conn;
        self.next_conn += 1;
        engine.open(conn);
        (conn, engine.login(conn, JOINER))
    }

    /// One cycle: [`JOINER`] logs in on a fresh connection, which then closes. Returns the
    /// deliveries (the login's own reply included).
    pub fn cycle<E: Presence>(&mut self, engine: &mut E) -> usize {
        let (conn, joined) = self.join(engine);
        joined + engine.close(conn)
    }
}

/// Logins and logouts with `U` users online and `S` subscriptions.
pub struct Churn {
    next_conn: u64,
    next_name: usize,
    names: Vec<String>,
}

impl Churn {
    /// Sets up `users` online users holding `subscriptions` per-name subscriptions in total
    /// (rounded down to a multiple of `users`; each user follows the same number of distinct
    /// names, spread evenly over the online users and the churn pool).
    pub fn new<E: Presence>(engine: &mut E, users: usize, subscriptions: usize) -> Self {
        log_in_users(engine, users);
        let population = users + CHURN_NAMES;
        let per_user = subscriptions
            .checked_div(users)
            .map_or(0, |n| n.min(population - 1));
        if let Some(step) = population.checked_div(per_user) {
            let step = step.max(1);
            for i in 0..users {
                let names = (1..=per_user)
                    .map(|j| {
                        let k = (i + j * step) % population;
                        if k < users {
                            user_name(k)
                        } else {
                            churn_name(k - users)
                        }
                    })
                    .collect();
                subscribe_in_chunks(engine, i as u64 + 1, names);
            }
        }
        Churn {
            next_conn: users as u64 + 1,
            next_name: 0,
            names: (0..CHURN_NAMES).map(churn_name).collect(),
        }
    }

    /// One cycle: the next user of the pool logs in on a fresh connection, which then closes:
    /// one login and one logout. Returns the deliveries.
    pub fn cycle<E: Presence>(&mut self, engine: &mut E) -> usize {
        let conn = self.next_conn;
        self.next_conn += 1;
        let name = &self.names[self.next_name];
        self.next_name = (self.next_name + 1) % CHURN_NAMES;
        engine.open(conn);
        engine.login(conn, name) + engine.close(conn)
    }
}

/// getAll() and getAll(names) with `U` users online.
pub struct Queries {
    asker: u64,
    names: Vec<String>,
}

impl Queries {
    /// Sets up `users` online users and one more connection, logged in as `asker`, that asks.
    pub fn new<E: Presence>(engine: &mut E, users: usize) -> Self {
        log_in_users(engine, users);
        let asker = users as u64 + 1;
        engine.open(asker);
        engine.login(asker, "asker");
        let names = (0..QUERY_NAMES)
            .map(|i| {
                if i % 2 == 0 && users > 0 {
                    user_name(i * 7919 % users)
                } else {
                    format!("nobody-{i}")
                }
            })
            .collect();
        Queries { asker, names }
    }

    /// The connection that asks.
    pub fn asker(&self) -> u64 {
        self.asker
    }

    /// The [`QUERY_NAMES`] names getAll(names) asks about: half online, half not.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{CoreEngine, HubEngine, ModelEngine};
    use crate::naive::NaiveEngine;

    fn fanout_cycle<E: Presence + Default>() -> usize {
        let mut engine = E::default();
        let mut fanout = Fanout::new(&mut engine, 50);
        assert_eq!(fanout.deliveries_per_cycle(), 200);
        fanout.cycle(&mut engine);
        fanout.cycle(&mut engine)
    }

    #[test]
    fn every_engine_delivers_the_same_fanout() {
        assert_eq!(fanout_cycle::<CoreEngine>(), 201);
        assert_eq!(fanout_cycle::<HubEngine>(), 201);
        assert_eq!(fanout_cycle::<ModelEngine>(), 201);
        assert_eq!(fanout_cycle::<NaiveEngine>(), 201);
    }

    fn churn_total<E: Presence + Default>() -> usize {
        let mut engine = E::default();
        let mut churn = Churn::new(&mut engine, 200, 2000);
        (0..CHURN_NAMES + 10)
            .map(|_| churn.cycle(&mut engine))
            .sum()
    }

    #[test]
    fn every_engine_delivers_the_same_churn() {
        let core = churn_total::<CoreEngine>();
        // Each login is acked; about 2000 / 1224 followers per user hear each transition.
        assert!(core > CHURN_NAMES + 10, "{core}");
        assert_eq!(churn_total::<ModelEngine>(), core);
        assert_eq!(churn_total::<NaiveEngine>(), core);
        assert_eq!(churn_total::<HubEngine>(), core);
    }

    #[test]
    fn queries_answer_on_every_engine() {
        let mut core = CoreEngine::default();
        let queries = Queries::new(&mut core, 300);
        assert_eq!(core.query_all(queries.asker()), 1);
        assert_eq!(core.query(queries.asker(), queries.names().to_vec()), 1);
        let mut naive = NaiveEngine::default();
        let queries = Queries::new(&mut naive, 300);
        assert_eq!(naive.query_all(queries.asker()), 1);
    }
}
