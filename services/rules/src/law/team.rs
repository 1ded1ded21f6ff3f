//! The order in which RULES.md §2 and §4 are applied to one team in one competência ([`evaluate_team`]),
//! over what the rules read of it ([`crate::law::view`]).

use std::sync::Arc;

use crate::catalog::{Rule, RuleSet};
use crate::law::record::homologation_at;
use crate::law::status::{Check, Detail, TeamStatus};
use crate::law::{absences, control, links, sisab, validity};

pub use crate::law::view::{History, Inputs, Professionals, TeamView};

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
    // A record that names only the family takes the modality of the homologation in force.
    let homologated = h.unwrap_or(latest).team_type;
    let (ibge, team_type) = view.record.map_or((latest.ibge, latest.team_type), |r| {
        (r.ibge, r.team_type.resolve(homologated))
    });
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
