//! The law as code: RULES.md §1–10 as pure functions, and the engine that applies them to a
//! national history.
//!
//! - [`law`]: one module per rule family, each rule a pure function over a view of one team (or request)
//!   citing its id; with [`catalog`] (every rule id, title and citation), [`params`] (the portarias' tables
//!   as dated data), [`calendar`], [`category`] and [`ied`]. No I/O, no clock, no floating point, no
//!   caches, and no import of the engine.
//! - [`engine`]: the machinery that makes the law fast at national scale — the fold's state, the
//!   evaluations kept between facts and redone only from what a late fact reaches, the link indexes
//!   across teams, the work ahead while idle, parallel chunks. It depends on the law, never the reverse.
//!
//! The same facts in the same order give byte-identical decisions.

#![deny(clippy::float_arithmetic)]

pub mod calendar;
pub mod catalog;
pub mod category;
pub mod engine;
pub mod explain;
pub mod ied;
pub mod law;
pub mod params;

pub use engine::ledger::Ledger;
pub use engine::parallel::in_parallel;
pub use engine::pay::{ParcelaBasis, ParcelaResult};
pub use engine::state::{CredentialingAssessment, Rejection};
pub use explain::Explanation;
pub use law::payment::{Component, Line, Statement};
pub use law::recomposition::Recomposition;
pub use law::status::TeamStatus;
pub use params::Params;
