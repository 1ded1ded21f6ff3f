//! The law, apart from the engine: one module per rule family of RULES.md, each rule a pure function over
//! the inputs it names, its doc line citing its id. Nothing here caches, indexes, reads a clock or imports
//! the engine; the engine (the `engine` module beside this one) makes it fast, and [`plain`] evaluates a whole history the
//! simple way, for the engine to be tested against.
//!
//! | family | module | rule ids |
//! |---|---|---|
//! | what the rules read | [`record`], [`view`], [`settings`], [`status`] | |
//! | the order of §2 and §4 for a team | [`team`] | |
//! | §2 validity | [`validity`], [`teto`] | VAL.HOMOLOGADA, VAL.CADASTRADA, VAL.CREDENCIADA, VAL.TETO |
//! | §3–4 absences | [`absences`] | SUSP.25.*, SUSP.50.AUX_E_ACS, SUSP.75.*, SUSP.100.TRES_CATEGORIAS, SUSP.100.MED_E_ENF |
//! | §4 other teams | [`links`] | SUSP.50.DUPLICIDADE, SUSP.100.CARGA_60H |
//! | §4 SISAB | [`sisab`] | SUSP.50.SISAB, SUSP.100.ACS_SISAB |
//! | §4 control bodies | [`control`] | SUSP.100.ORGAO_CONTROLE |
//! | §4 revocation | [`revocation`], [`validity`] | SUSP.REVOGACAO |
//! | §5 amounts | [`payment`] | PAG.* |
//! | §6 recomposition | [`recomposition`] | RECOMP.* |
//! | §7 retroactive credit | [`retro`] | RETRO.* |
//! | §8 specialised outpatient care | [`aae`] | AAE.* |
//! | §9 training adhesion | [`aperf`] | APERF.* |
//! | calendar, categories, IED, parameters | [`crate::calendar`], [`crate::category`], [`crate::ied`], [`crate::params`] | CAL.*, IED.ESTRATO |

pub mod aae;
pub mod absences;
pub mod aperf;
pub mod control;
#[cfg(test)]
pub(crate) mod given;
pub mod links;
pub mod payment;
pub mod plain;
pub mod recomposition;
pub mod record;
pub mod retro;
pub mod revocation;
pub mod settings;
pub mod sisab;
pub mod status;
pub mod team;
pub mod teto;
pub mod validity;
pub mod view;
