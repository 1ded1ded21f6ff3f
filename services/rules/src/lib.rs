//! The law as code: RULES.md §1–6 and §10 as pure functions over a fold of facts.
//!
//! No I/O, no clock, no floating point: every date comes from a fact, money is `rust_decimal`, and the same
//! facts in the same order give byte-identical decisions. [`Ledger`] is the fold; its queries compute team
//! statuses ([`eval`]), amounts and statements ([`pay`]), recomposition ([`recomposition`]), the decisions
//! published to integrators and explanations ([`explain`]).

#![deny(clippy::float_arithmetic)]

mod ahead;
pub mod bench;
pub mod calendar;
pub mod catalog;
pub mod category;
pub mod eval;
pub mod explain;
pub mod ied;
pub mod ledger;
pub mod params;
pub mod pay;
mod queries;
pub mod recomposition;

pub use eval::TeamStatus;
pub use explain::Explanation;
pub use ledger::{Ledger, Rejection};
pub use params::Params;
pub use pay::{Component, Line, ParcelaBasis, ParcelaResult, Statement};
pub use recomposition::Recomposition;
