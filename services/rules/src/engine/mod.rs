//! The machinery that applies the law ([`crate::law`]) to a national history fast: it changes when the
//! law is computed, never what it decides (tested against the law's plain evaluation of whole histories).
//!
//! Layers, each importing only those above it: [`parallel`], [`payments`], [`programmes`] and [`state`] (the fold) → [`teams`] (one
//! competência's teams through the law, the link index) → [`ahead`] (the open competência evaluated while
//! idle) → [`eval`] (every competência, redone only from what late facts reach) → [`ledger`] (the fold and
//! its caches) → [`queries`], [`pay`] → [`recomposition`], [`reconcile`] → [`retro`], [`aae`], [`aperf`] (the
//! programmes of §7–9).

pub mod aae;
pub mod ahead;
pub mod aperf;
pub mod eval;
pub mod ledger;
pub mod parallel;
pub mod pay;
pub mod payments;
pub mod programmes;
pub mod queries;
pub mod recomposition;
pub mod reconcile;
pub mod retro;
pub mod state;
pub mod teams;
