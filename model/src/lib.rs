//! The executable specification of rollcall's presence semantics.
//!
//! `SPEC.md` at the repository root states the rules in prose, numbered R1, R2, ...; this crate
//! states them again as code, each rule in exactly one place, with the rule's number beside it.
//! It is written to be obviously right, not fast: it keeps only the raw facts (which connections
//! are open, who each is logged in as, what each subscribed to) and derives everything else,
//! such as the set of online users, from them on every step.
//!
//! The production core in the `rollcall` crate must produce exactly the same outputs for every
//! schedule of inputs; the conformance tests drive both and compare them.
//!
//! ```
//! use rollcall_model::{ConnId, Input, Model, Message};
//!
//! let mut model = Model::default();
//! let (watcher, marge) = (ConnId(1), ConnId(2));
//! model.apply(Input::Open(watcher));
//! model.apply(Input::Login { conn: watcher, user: Some("homer".into()) });
//! model.apply(Input::SubscribeAll { conn: watcher });
//! model.apply(Input::Open(marge));
//! let out = model.apply(Input::Login { conn: marge, user: Some("marge".into()) });
//! assert!(out.iter().any(|d| d.to == watcher && d.message == Message::JoinAll("marge".into())));
//! ```

mod limits;
mod message;
mod model;
mod visibility;

pub use limits::{validate_name, Limits, NameError};
pub use message::{ConnId, Delivery, Input, Message, Rejection, Request};
pub use model::Model;
pub use visibility::Visibility;

#[cfg(test)]
mod tests;
