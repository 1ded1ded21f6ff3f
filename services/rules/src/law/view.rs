//! What the rules read of one team in one competência ([`TeamView`]), and what they read across teams and
//! sources through a narrow interface ([`History`], [`Professionals`]) that the engine implements over its
//! indexes and the plain evaluator over plain maps.

use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela};

use crate::law::record::{HomologationEntry, Position, TeamRecord, Upload};
use crate::law::settings::Settings;

/// What the rules read of one team in one competência C.
pub struct TeamView<'a> {
    pub ine: Ine,
    pub c: Competencia,
    /// Every homologation portaria of the team (at least one).
    pub homologations: &'a [HomologationEntry],
    /// Cancellations of its homologation: (from parcela, position).
    pub cancellations: &'a [(Parcela, Position)],
    /// Its active SCNES record of C and of C − 1, if any.
    pub record: Option<&'a TeamRecord>,
    pub prior: Option<&'a TeamRecord>,
    /// Its first competência in SCNES: counting starts there (RULES.md §4).
    pub first_scnes: Competencia,
    /// The competência of a SUSP.REVOGACAO decided before C, if any.
    pub revoked_at: Option<Competencia>,
}

/// What the rules read of the other facts: credentialing, SISAB uploads, control bodies, closures.
pub trait History {
    /// VAL.CREDENCIADA: the quantity credentialed for a municipality and type in force at `p`.
    fn credentialed(&self, ibge: Ibge, t: CredentialType, p: Parcela) -> u32;
    /// The team's uploads of competência `m` (`agent` `None`), or one agent's.
    fn upload(&self, ine: Ine, agent: Option<u64>, m: Competencia) -> Option<Upload>;
    /// Control body suspensions and liftings of the team: (from, suspended, position).
    fn control(&self, ine: Ine) -> &[(Competencia, bool, Position)];
    /// The first competência the agent appears in the team's SCNES records.
    fn agent_first(&self, ine: Ine, agent: u64) -> Option<Competencia>;
    /// The position of the first `scnes_closed` of `c`.
    fn closed_at(&self, c: Competencia) -> Option<Position>;
}

/// What the rules read across every team of a competência, per professional: SUSP.100.CARGA_60H and
/// SUSP.50.DUPLICIDADE.
pub trait Professionals {
    /// Weekly hours summed over every team and APS service financed by the Ministry.
    fn weekly_hours(&self, person: u64) -> u16;
    /// Homologated teams the professional is linked to.
    fn homologated_teams(&self, person: u64) -> u8;
}

/// Everything but the team itself that a team's evaluation reads.
pub struct Inputs<'a, H: History, P: Professionals> {
    pub history: &'a H,
    /// The professionals of C and of C − 1.
    pub current: &'a P,
    pub previous: &'a P,
    pub settings: &'a Settings,
}
