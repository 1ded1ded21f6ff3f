//! The projector: drives the fold of `repasse-rules` from the fact stream into read models.
//!
//! [`fold::fold_log`] is the one place where log records become `Ledger` state: the case runner, the demo,
//! the benchmarks and the long-running projector all go through it.

pub mod diff;
pub mod export;
pub mod fold;
pub mod lease;
pub mod national;
pub mod programmes;
pub mod project;
pub mod publish;
pub mod replay;
pub mod restore;
pub mod step;
pub mod store;

pub use fold::{FoldSummary, Folder, fold_log};
