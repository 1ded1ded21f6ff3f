//! RULES.md §4 — production in SISAB: SUSP.50.SISAB (the team, eSF and eAP) and SUSP.100.ACS_SISAB (one
//! agent), with CAL.SISAB_PRAZO deciding what is valid production.

use std::sync::Arc;

use repasse_proto::{Competencia, Ine};

use crate::catalog;
use crate::category::Category;
use crate::law::record::{HomologationEntry, Position, TeamRecord};
use crate::law::settings::Settings;
use crate::law::status::{Fire, TeamStatus};
use crate::law::view::{History, Inputs, Professionals, TeamView};

/// CAL.SISAB_PRAZO: valid production of the team (or of one agent) in `m`, by the deadline in force.
pub fn produced<H: History>(
    settings: &Settings,
    history: &H,
    ine: Ine,
    agent: Option<u64>,
    m: Competencia,
) -> Option<Position> {
    let deadline = settings.deadline(m)?;
    history.upload(ine, agent, m)?.valid_by(deadline)
}

/// SUSP.50.SISAB: no valid production in the last `sisab_months` competências up to C, counting from the
/// team's first payable competência (its first in SCNES, or its homologation if later) [interp].
pub(crate) fn check_team<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    h: &HomologationEntry,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let (c, settings) = (view.c, inputs.settings);
    let start = view.first_scnes.max(h.from.competencia());
    let window = settings.sisab_months;
    let oldest = c.add_months(-(window - 1));
    let counted = oldest >= start;
    let valid = || {
        (0..window)
            .rev()
            .filter_map(|k| produced(settings, inputs.history, view.ine, None, c.add_months(-k)))
    };
    let fired = counted && valid().next().is_none();
    fire(status, catalog::SUSP_50_SISAB, fired, &|| {
        let valid: Vec<Position> = valid().collect();
        let detail = if counted {
            format!(
                "{} de {window} competências ({oldest} a {c}) com produção válida no prazo",
                valid.len(),
            )
        } else {
            format!("contagem começa em {start}: menos de {window} competências a considerar")
        };
        (detail, valid)
    });
}

/// SUSP.100.ACS_SISAB: an agent without valid production in `acs_months` consecutive competências, counted
/// from the agent's first competência in the team. [interp] The team's own upload (without CPF) counts as
/// its agents' production. Suspends that agent's ACS line only: not a reason of the team's percentage.
pub(crate) fn check_agents<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    record: &TeamRecord,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let (c, settings, history) = (view.c, inputs.settings, inputs.history);
    let mut agents: Vec<u64> = record
        .links
        .iter()
        .filter(|l| l.present && settings.categories.get(&l.cbo) == Some(&Category::Acs))
        .map(|l| l.person)
        .collect();
    agents.sort_unstable();
    agents.dedup();
    let window = settings.acs_months;
    let from = c.add_months(-(window - 1));
    let suspended: Vec<u64> = agents
        .iter()
        .copied()
        .filter(|&cpf| {
            let start = history.agent_first(view.ine, cpf).unwrap_or(c);
            from >= start
                && !(0..window).map(|k| c.add_months(-k)).any(|m| {
                    produced(settings, history, view.ine, Some(cpf), m).is_some()
                        || produced(settings, history, view.ine, None, m).is_some()
                })
        })
        .collect();
    let fired = !suspended.is_empty();
    let count = suspended.len();
    status.suspended_agents = suspended.into_boxed_slice();
    fire(status, catalog::SUSP_100_ACS_SISAB, fired, &|| {
        let detail = format!(
            "{count} de {} ACS sem produção válida em {window} competências",
            agents.len()
        );
        (detail, vec![record.position])
    });
    status.agents = Arc::from(agents);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RuleId;
    use crate::law::given::{self, FULL_ESF, GivenHistory, GivenProfessionals, c};
    use crate::law::team::evaluate_team;
    use crate::law::view::Inputs;

    fn evaluate(history: &GivenHistory, at: &str) -> TeamStatus {
        let at = c(at);
        let homologations = given::homologated_from("2024-01");
        let record = given::record(&FULL_ESF, 5);
        let prior = given::record(&FULL_ESF, 4);
        let view = given::view(
            at,
            &homologations,
            Some(&record),
            Some(&prior),
            c("2024-01"),
        );
        let nobody = GivenProfessionals::default();
        let settings = given::settings(at);
        let inputs = Inputs {
            history,
            current: &nobody,
            previous: &nobody,
            settings: &settings,
        };
        evaluate_team(&inputs, &view, None)
    }

    fn credentialed() -> GivenHistory {
        GivenHistory {
            credentialed: 1,
            ..GivenHistory::default()
        }
    }

    #[test]
    fn susp_50_sisab_given_no_valid_production_in_three_consecutive_competencias() {
        let none = credentialed();
        let s = evaluate(&none, "2025-05");
        assert!(s.reasons.contains(RuleId::Susp50Sisab) && s.suspension_pct == 50);
    }

    #[test]
    fn susp_50_sisab_one_upload_on_the_deadline_within_the_window_is_enough() {
        let one = credentialed().on_time(c("2025-04"), 9);
        assert!(
            !evaluate(&one, "2025-05")
                .reasons
                .contains(RuleId::Susp50Sisab)
        );
        // Outside the window (C − 3) it no longer counts.
        let old = credentialed().on_time(c("2025-02"), 9);
        assert!(
            evaluate(&old, "2025-05")
                .reasons
                .contains(RuleId::Susp50Sisab)
        );
    }

    #[test]
    fn cal_sisab_prazo_an_upload_after_the_deadline_is_not_valid_production() {
        let mut late = credentialed();
        let m = c("2025-04");
        let after = crate::calendar::sisab_deadline(m).add_days(1);
        late.uploads.insert(
            (None, m),
            crate::law::record::Upload {
                approved: Some((after, 9)),
                first: 9,
            },
        );
        let settings = given::settings(c("2025-05"));
        assert_eq!(produced(&settings, &late, given::ine(), None, m), None);
    }
}
