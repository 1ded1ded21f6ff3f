//! One team in one competência: what the rules read of it ([`TeamView`]), what they read across teams and
//! sources through a narrow interface ([`History`], [`Professionals`]), and the order in which RULES.md
//! §2 and §4 are applied to it ([`evaluate_team`]).

use std::sync::Arc;

use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela};

use crate::catalog::{Rule, RuleSet};
use crate::law::record::{HomologationEntry, Position, TeamRecord, Upload, homologation_at};
use crate::law::settings::Settings;
use crate::law::status::{Check, Detail, TeamStatus};
use crate::law::{absences, control, links, sisab, validity};

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

/// RULES.md §2 then §4 for one team; with `trace`, every rule checked is recorded with its detail.
pub fn evaluate_team<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    mut trace: Option<&mut Vec<Check>>,
) -> TeamStatus {
    let p = view.c.parcela();
    let h = homologation_at(view.homologations, p);
    let latest = view
        .homologations
        .iter()
        .max_by_key(|e| (e.from, e.position))
        .expect("at least one homologation");
    let (ibge, team_type) = view
        .record
        .map_or((latest.ibge, latest.team_type), |r| (r.ibge, r.team_type));
    let mut status = TeamStatus {
        ine: view.ine,
        ibge,
        team_type,
        competencia: view.c,
        has_record: view.record.is_some(),
        payable: true,
        suspension_pct: 0,
        reasons: RuleSet::EMPTY,
        not_valid: RuleSet::EMPTY,
        revoked_now: false,
        agents: Arc::default(),
        suspended_agents: Box::default(),
    };
    let mut note = |rule: Rule, fired: bool, detail: Detail<'_>| {
        if let Some(trace) = trace.as_deref_mut() {
            let (detail, positions) = detail();
            trace.push(Check {
                rule,
                fired,
                detail,
                positions,
            });
        }
    };
    validity::check(inputs, view, h, &mut status, &mut note);
    if !status.payable {
        return status;
    }
    let h = h.expect("payable teams are homologated");
    // The percentage applied is the largest of the rules that hold; they never add up.
    // Each rule's percentage is the catalog's (`Rule::team_pct`).
    let mut fire = |status: &mut TeamStatus, rule: Rule, fired: bool, detail: Detail<'_>| {
        note(rule, fired, detail);
        if fired && let Some(pct) = rule.team_pct() {
            status.reasons.insert(rule.key);
            status.suspension_pct = status.suspension_pct.max(pct);
        }
    };
    if let Some(record) = view.record {
        absences::check(inputs.settings, view, record, &mut status, &mut fire);
        links::check(inputs, view, record, &mut status, &mut fire);
        sisab::check_agents(inputs, view, record, &mut status, &mut fire);
    }
    if team_type.is_esf_or_eap() {
        sisab::check_team(inputs, view, h, &mut status, &mut fire);
        control::check(inputs.history, view, &mut status, &mut fire);
    }
    status
}
