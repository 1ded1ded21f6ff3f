//! The projector: drives the fold of `repasse-rules` from the fact stream into read models.
//!
//! [`fold::fold_log`] is the one place where log records become `Ledger` state: the case runner, the demo,
//! the benchmarks and the long-running projector all go through it.

pub mod fold;
pub mod national;
pub mod replay;

pub use fold::{FoldSummary, fold_log};
