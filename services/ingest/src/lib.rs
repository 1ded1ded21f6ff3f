//! Ingest: turning source files into validated facts and writing them to the fact stream.
//!
//! Every source (the Anexo VI CSV, facts as JSON lines, the synthetic national history, case files through
//! `repasse-cases`)
//! ends in [`writer::FactWriter`], the one path from a fact to the log.

pub mod anexo_vi;
pub mod cnes;
pub mod demo;
pub mod files;
pub mod fns;
pub mod jsonl;
pub mod parametros;
pub mod portarias;
pub mod relatorio;
pub mod sisab;
pub mod sources;
pub mod table;
pub mod writer;

pub use writer::{FactWriter, WriteSummary};
