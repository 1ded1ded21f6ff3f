//! Golden cases (`../shared/domain/CASES.md`): the executable form of RULES.md.
//!
//! A case is read with JSON paths in every error ([`format`]), its facts go through the real ingest path
//! into a fresh embedded log, the fold replays them from the log, and every expectation is compared
//! ([`run`]); mismatches are reported as a readable diff ([`report`]).

pub mod file;
pub mod format;
mod programmes;
pub mod report;
pub mod run;
pub mod stream;

pub use format::{Case, Expect, ReadError, read_case};
pub use run::{FileError, Mismatch, Outcome, ledger_for, run_case, run_case_file};
