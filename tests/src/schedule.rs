//! Random schedules of presence inputs, run through the model and the core side by side.
//!
//! A schedule is a server configuration (limits, visibility rules) and a list of [`Step`]s over
//! a small pool of connections and users, so that collisions (two devices of one user, a
//! subscriber of a user who logs in, a close of an unknown connection) happen often. Every step
//! is total (SPEC.md R1), so any sub-list of a schedule is a schedule: proptest shrinks a
//! failure by dropping and simplifying steps.

use std::collections::BTreeSet;
use std::fmt::Debug;

use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use rollcall::core::{Core, SessionTracker};
use rollcall_model::{ConnId, Delivery, Input, Limits, Model, Visibility};

use crate::adapter;

/// The users schedules are made of.
pub const USERS: [&str; 4] = ["homer", "marge", "lisa", "bart"];
/// Names no login or request may use (R2): empty, too long, a control character.
pub const INVALID_NAMES: [&str; 3] = ["", "toolongname", "ba\u{7}rt"];
/// How many distinct connections schedules use.
pub const CONNECTIONS: u64 = 6;

/// One step of a schedule: a single input, or a connect (open then log in) as one unit so that
/// shrunk schedules stay short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Open then log in.
    Connect {
        /// The connection.
        conn: u64,
        /// The user; `None` for anonymous.
        user: Option<String>,
    },
    /// Any single input.
    Input(Input),
}

impl Step {
    /// The inputs this step stands for.
    pub fn inputs(&self) -> Vec<Input> {
        match self {
            Step::Connect { conn, user } => vec![
                Input::Open(ConnId(*conn)),
                Input::Login {
                    conn: ConnId(*conn),
                    user: user.clone(),
                },
            ],
            Step::Input(input) => vec![input.clone()],
        }
    }
}

/// The server configuration of a schedule.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Request limits (small, so schedules reach them).
    pub limits: Limits,
    /// Who may see whom.
    pub visibility: Visibility,
}

/// The reference state: the model, and what the last step delivered.
#[derive(Clone, Debug)]
pub struct Reference {
    /// The configuration both sides run with.
    pub setup: Setup,
    /// The model after every step so far.
    pub model: Model,
    /// What the last step delivered according to the model.
    pub last: Vec<Delivery>,
}

fn limits() -> impl Strategy<Value = Limits> {
    (5usize..=8, 1usize..=5, 1usize..=4).prop_map(|(bytes, names, subscriptions)| Limits {
        max_name_bytes: bytes,
        max_names_per_request: names,
        max_subscriptions_per_connection: subscriptions,
    })
}

fn user_name() -> impl Strategy<Value = String> {
    prop::sample::select(USERS.as_slice()).prop_map(str::to_string)
}

fn visibility() -> impl Strategy<Value = Visibility> {
    let lists = btree_map(user_name(), btree_set(user_name(), 0..3), 0..4);
    prop_oneof![
        2 => Just(Visibility::default()),
        1 => (lists, any::<bool>()).prop_map(|(lists, unlisted_sees_everyone)| Visibility {
            lists,
            unlisted_sees_everyone,
        }),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => user_name(),
        1 => prop::sample::select(INVALID_NAMES.as_slice()).prop_map(str::to_string),
    ]
}

fn login_user() -> impl Strategy<Value = Option<String>> {
    prop_oneof![8 => name().prop_map(Some), 1 => Just(None)]
}

fn names() -> impl Strategy<Value = Vec<String>> {
    vec(name(), 0..5)
}

fn correlation_id() -> impl Strategy<Value = String> {
    (0u8..3).prop_map(|n| format!("c{n}"))
}

fn conn() -> impl Strategy<Value = ConnId> {
    (0..CONNECTIONS).prop_map(ConnId)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..CONNECTIONS, login_user()).prop_map(|(conn, user)| Step::Connect { conn, user }),
        1 => conn().prop_map(|c| Step::Input(Input::Open(c))),
        1 => (conn(), login_user()).prop_map(|(conn, user)| Step::Input(Input::Login { conn, user })),
        3 => conn().prop_map(|c| Step::Input(Input::Close(c))),
        2 => conn().prop_map(|conn| Step::Input(Input::SubscribeAll { conn })),
        1 => conn().prop_map(|conn| Step::Input(Input::UnsubscribeAll { conn })),
        3 => (conn(), correlation_id(), names()).prop_map(|(conn, correlation_id, names)| {
            Step::Input(Input::Subscribe { conn, correlation_id, names })
        }),
        2 => (conn(), correlation_id(), names()).prop_map(|(conn, correlation_id, names)| {
            Step::Input(Input::Unsubscribe { conn, correlation_id, names })
        }),
        2 => (conn(), prop::option::of(correlation_id())).prop_map(|(conn, correlation_id)| {
            Step::Input(Input::QueryAll { conn, correlation_id })
        }),
        2 => (conn(), correlation_id(), names()).prop_map(|(conn, correlation_id, names)| {
            Step::Input(Input::Query { conn, correlation_id, names })
        }),
    ]
}

/// The reference state machine: schedules are generated here and applied to the model.
pub struct PresenceMachine;

impl ReferenceStateMachine for PresenceMachine {
    type State = Reference;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Reference> {
        (limits(), visibility())
            .prop_map(|(limits, visibility)| Reference {
                model: Model::new(limits.clone(), visibility.clone()),
                setup: Setup { limits, visibility },
                last: Vec::new(),
            })
            .boxed()
    }

    fn transitions(_: &Reference) -> BoxedStrategy<Step> {
        step().boxed()
    }

    fn apply(mut state: Reference, step: &Step) -> Reference {
        state.last = step
            .inputs()
            .into_iter()
            .flat_map(|i| state.model.apply(i))
            .collect();
        state
    }
}

/// The core, with session tracker `S`, checked against the model after every step: each
/// connection must receive exactly what the model says, and the online sets must agree.
pub struct CoreAgainstModel<S>(std::marker::PhantomData<S>);

impl<S: SessionTracker + Default + 'static> StateMachineTest for CoreAgainstModel<S> {
    type SystemUnderTest = Core<S>;
    type Reference = PresenceMachine;

    fn init_test(reference: &Reference) -> Core<S> {
        let setup = &reference.setup;
        let limits = adapter::limits(&setup.limits);
        Core::with_tracker(limits, adapter::visibility(&setup.visibility), S::default())
    }

    fn apply(mut core: Core<S>, reference: &Reference, step: Step) -> Core<S> {
        let outputs = step
            .inputs()
            .iter()
            .flat_map(|i| core.apply(adapter::input(i)))
            .collect();
        let actual = adapter::per_connection(&adapter::deliveries(outputs));
        let expected = adapter::per_connection(&reference.last);
        assert_eq!(
            actual, expected,
            "the core and the model disagree after {step:?}"
        );
        core
    }

    fn check_invariants(core: &Core<S>, reference: &Reference) {
        let online: BTreeSet<String> = USERS
            .iter()
            .chain(&INVALID_NAMES)
            .filter(|u| core.roster().contains(u))
            .map(|u| u.to_string())
            .collect();
        assert_eq!(online, reference.model.online(), "the online sets disagree");
        assert_eq!(
            core.roster().len(),
            online.len(),
            "the core has users no schedule made"
        );
        assert_eq!(
            core.is_empty(),
            reference.model.is_empty(),
            "R21: one side kept state"
        );
    }
}

/// Anything that can be printed, for failure messages.
pub fn show(steps: &[Step]) -> String {
    steps.iter().map(|s| format!("  {s:?}\n")).collect()
}
