//! RULES.md §4 — what a team's professionals do elsewhere: SUSP.50.DUPLICIDADE (eSF) and SUSP.100.CARGA_60H
//! (eSF, eAP), read across every team of the competência through [`Professionals`].

use repasse_proto::ids::masked_person;

use crate::catalog;
use crate::law::record::{Link, TeamRecord};
use crate::law::settings::Settings;
use crate::law::status::{Fire, TeamStatus};
use crate::law::view::{History, Inputs, Professionals, TeamView};

/// All that a team's evaluation reads of one professional across teams: over the weekly hours
/// (SUSP.100.CARGA_60H) and linked to two homologated teams or more (SUSP.50.DUPLICIDADE). A team whose
/// professionals all read the same here evaluates the same (the engine's work-ahead relies on it).
pub fn read_by_rules<P: Professionals>(p: &P, person: u64, settings: &Settings) -> (bool, bool) {
    (
        p.weekly_hours(person) > settings.max_weekly_hours,
        p.homologated_teams(person) >= 2,
    )
}

/// SUSP.50.DUPLICIDADE: a professional of the team with a full workload (≥ `duplicity_min_hours`; a
/// flexible workload does not count, seed 002 §4.2.1) is also linked to another homologated team, in C − 1
/// and in C.
pub fn duplicated<'r, P: Professionals>(
    settings: &Settings,
    record: &'r TeamRecord,
    prior: Option<&TeamRecord>,
    current: &P,
    previous: &P,
) -> Option<&'r Link> {
    let full = |l: &Link| l.present && l.hours >= settings.duplicity_min_hours;
    record.links.iter().filter(|l| full(l)).find(|l| {
        read_by_rules(current, l.person, settings).1
            && prior.is_some_and(|p| p.links.iter().any(|x| x.person == l.person && full(x)))
            && previous.homologated_teams(l.person) >= 2
    })
}

/// SUSP.100.CARGA_60H: a professional of the team with more than `max_weekly_hours` summed over every
/// team and APS service financed by the Ministry, ACS included.
pub fn over_hours<'r, P: Professionals>(
    settings: &Settings,
    record: &'r TeamRecord,
    current: &P,
) -> Option<&'r Link> {
    record
        .links
        .iter()
        .filter(|l| l.present)
        .find(|l| read_by_rules(current, l.person, settings).0)
}

pub(crate) fn check<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    record: &TeamRecord,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let t = status.team_type;
    let settings = inputs.settings;
    if t.is_esf() {
        let found = duplicated(
            settings,
            record,
            view.prior,
            inputs.current,
            inputs.previous,
        );
        fire(
            status,
            catalog::SUSP_50_DUPLICIDADE,
            found.is_some(),
            &|| {
                let detail = match found {
                    Some(l) => format!(
                        "CPF {} vinculado a outra equipe homologada em C − 1 e C",
                        masked_person(l.person)
                    ),
                    None => "nenhum profissional de 40 h vinculado a outra equipe em C − 1 e C"
                        .to_owned(),
                };
                (detail, vec![record.position])
            },
        );
    }
    if t.is_esf_or_eap() {
        let over = over_hours(settings, record, inputs.current);
        fire(status, catalog::SUSP_100_CARGA_60H, over.is_some(), &|| {
            let detail = match over {
                Some(l) => format!(
                    "CPF {} soma {} h semanais em todas as equipes",
                    masked_person(l.person),
                    inputs.current.weekly_hours(l.person)
                ),
                None => format!(
                    "nenhum profissional acima de {} h semanais somadas",
                    settings.max_weekly_hours
                ),
            };
            (detail, vec![record.position])
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::given::{self, ENFERMEIRO, GivenProfessionals, MEDICO, c};

    fn across(entries: &[(u64, (u16, u8))]) -> GivenProfessionals {
        GivenProfessionals(entries.iter().copied().collect())
    }

    #[test]
    fn susp_50_duplicidade_given_a_40h_doctor_in_another_homologated_team_in_c_minus_1_and_c() {
        let settings = given::settings(c("2025-05"));
        let record = given::record(&[MEDICO, ENFERMEIRO], 2);
        let prior = given::record(&[MEDICO, ENFERMEIRO], 1);
        let two_teams = across(&[(1, (80, 2)), (2, (40, 1))]);
        let found = duplicated(&settings, &record, Some(&prior), &two_teams, &two_teams);
        assert_eq!(found.map(|l| l.person), Some(1));
        // Only in C: not yet two competências.
        let before = across(&[(1, (40, 1)), (2, (40, 1))]);
        assert!(duplicated(&settings, &record, Some(&prior), &two_teams, &before).is_none());
        // Not in the team's record of C − 1.
        assert!(duplicated(&settings, &record, None, &two_teams, &two_teams).is_none());
    }

    #[test]
    fn susp_50_duplicidade_a_flexible_workload_does_not_count() {
        let settings = given::settings(c("2025-05"));
        let record = given::record_with(vec![(1, MEDICO, 20), (2, ENFERMEIRO, 40)], 2);
        let prior = given::record_with(vec![(1, MEDICO, 20), (2, ENFERMEIRO, 40)], 1);
        let two_teams = across(&[(1, (60, 2))]);
        assert!(duplicated(&settings, &record, Some(&prior), &two_teams, &two_teams).is_none());
    }

    #[test]
    fn susp_100_carga_60h_given_more_than_60_hours_summed_over_every_team() {
        let settings = given::settings(c("2025-05"));
        let record = given::record(&[MEDICO, ENFERMEIRO], 2);
        assert_eq!(
            over_hours(&settings, &record, &across(&[(2, (61, 1))])).map(|l| l.person),
            Some(2)
        );
        assert!(over_hours(&settings, &record, &across(&[(2, (60, 1))])).is_none());
    }
}
