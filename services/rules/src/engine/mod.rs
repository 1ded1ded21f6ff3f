//! The machinery that applies the law ([`crate::law`]) to a national history fast: it changes when the
//! law is computed, never what it decides (tested against the law's plain evaluation of whole histories).
//!
//! Layers, each importing only those above it: [`parallel`], [`payments`] and [`state`] (the fold) → [`teams`] (one
//! competência's teams through the law, the link index) → [`ahead`] (the open competência evaluated while
//! idle) → [`eval`] (every competência, redone only from what late facts reach) → [`ledger`] (the fold and
//! its caches) → [`queries`], [`pay`] → [`recomposition`], [`reconcile`].

pub mod ahead;
pub mod eval;
pub mod ledger;
pub mod parallel;
pub mod pay;
pub mod payments;
pub mod queries;
pub mod recomposition;
pub mod reconcile;
pub mod state;
pub mod teams;
