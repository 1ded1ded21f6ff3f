//! RULES.md §3–4 — absences of the minimum team. A1 = the categories absent in C (immediate rules), A2 =
//! absent in both C − 1 and C (the "2 consecutive competências" rules); each situation of Portaria
//! GM/MS 6.907/2025 matches exactly one set.

use crate::catalog;
use crate::category::{Categories, Category, minimum_team};
use crate::law::record::TeamRecord;
use crate::law::settings::Settings;
use crate::law::status::{Fire, TeamStatus};
use crate::law::view::TeamView;

/// The absent categories of a team's minimum team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Absences {
    /// A1: absent in C.
    pub in_c: Categories,
    /// A2: absent in C − 1 and in C.
    pub in_both: Categories,
}

/// A1 and A2 from the records of C and C − 1. A competência without an active record, after the team's
/// first one, has every category absent; months before the first one are never counted (RULES.md §3).
pub fn absences(
    minimum: Categories,
    settings: &Settings,
    view: &TeamView<'_>,
    record: &TeamRecord,
) -> Absences {
    let categories = &settings.categories;
    let in_c = minimum.minus(record.present_categories(categories));
    let in_prior = match view.prior {
        _ if view.c.pred() < view.first_scnes => Categories::default(),
        Some(r) => minimum.minus(r.present_categories(categories)),
        None => minimum,
    };
    Absences {
        in_c,
        in_both: in_c.intersect(in_prior),
    }
}

/// SUSP.25.AUX_OU_ACS (eSF): A2 is exactly {AUX_TEC_ENF} or exactly {ACS}.
pub fn aux_ou_acs(a: Absences) -> bool {
    a.in_both.is_exactly(&[Category::AuxTecEnf]) || a.in_both.is_exactly(&[Category::Acs])
}

/// SUSP.50.AUX_E_ACS (eSF): A2 is exactly {AUX_TEC_ENF, ACS}.
pub fn aux_e_acs(a: Absences) -> bool {
    a.in_both.is_exactly(&[Category::AuxTecEnf, Category::Acs])
}

/// SUSP.75.DUAS_CATEGORIAS (eSF): A2 is one of {MEDICO, ENFERMEIRO} plus one of {ACS, AUX_TEC_ENF}.
pub fn duas_categorias(a: Absences) -> bool {
    a.in_both.len() == 2
        && a.in_both.intersect(Categories::MEDICO_ENFERMEIRO).len() == 1
        && a.in_both.minus(Categories::MEDICO_ENFERMEIRO).len() == 1
}

/// SUSP.75.MED_OU_ENF (eSF, eAP): A2 is exactly {MEDICO} or exactly {ENFERMEIRO}.
pub fn med_ou_enf(a: Absences) -> bool {
    a.in_both.is_exactly(&[Category::Medico]) || a.in_both.is_exactly(&[Category::Enfermeiro])
}

/// SUSP.100.TRES_CATEGORIAS (eSF): A1 has three or more categories (immediate).
pub fn tres_categorias(a: Absences) -> bool {
    a.in_c.len() >= 3
}

/// SUSP.100.MED_E_ENF (eSF, eAP): A1 contains both MEDICO and ENFERMEIRO (immediate).
pub fn med_e_enf(a: Absences) -> bool {
    a.in_c.contains(Category::Medico) && a.in_c.contains(Category::Enfermeiro)
}

/// Every absence rule of the team's type, checked.
pub(crate) fn check(
    settings: &Settings,
    view: &TeamView<'_>,
    record: &TeamRecord,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let t = status.team_type;
    let minimum = minimum_team(t);
    if minimum.is_empty() {
        return;
    }
    let a = absences(minimum, settings, view, record);
    let pos = || {
        std::iter::once(record.position)
            .chain(view.prior.map(|r| r.position))
            .collect::<Vec<_>>()
    };
    let in_both = || {
        (
            format!("ausentes em C − 1 e C: {}", a.in_both.labels()),
            pos(),
        )
    };
    let in_c = || (format!("ausentes em C: {}", a.in_c.labels()), pos());
    if t.is_esf() {
        fire(status, catalog::SUSP_25_AUX_OU_ACS, aux_ou_acs(a), &in_both);
        fire(status, catalog::SUSP_50_AUX_E_ACS, aux_e_acs(a), &in_both);
        fire(
            status,
            catalog::SUSP_75_DUAS_CATEGORIAS,
            duas_categorias(a),
            &in_both,
        );
        fire(
            status,
            catalog::SUSP_100_TRES_CATEGORIAS,
            tres_categorias(a),
            &in_c,
        );
    }
    fire(status, catalog::SUSP_75_MED_OU_ENF, med_ou_enf(a), &in_both);
    fire(status, catalog::SUSP_100_MED_E_ENF, med_e_enf(a), &in_c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Categories;
    use crate::law::given::{self, ACS, AUX, ENFERMEIRO, FULL_ESF, MEDICO, c};

    /// The absences of an eSF in 2025-05 with these categories in C − 1 (`None`: no active record) and C.
    fn absent(prior: Option<&[u32]>, now: &[u32], first: &str) -> Absences {
        let homologations = given::homologated_from("2024-01");
        let record = given::record(now, 3);
        let prior = prior.map(|cbos| given::record(cbos, 2));
        let at = c("2025-05");
        let view = given::view(at, &homologations, Some(&record), prior.as_ref(), c(first));
        absences(Categories::ESF, &given::settings(at), &view, &record)
    }

    #[test]
    fn susp_25_given_the_acs_absent_in_c_minus_1_and_in_c() {
        let a = absent(
            Some(&[MEDICO, ENFERMEIRO, AUX]),
            &[MEDICO, ENFERMEIRO, AUX],
            "2025-01",
        );
        assert!(aux_ou_acs(a) && !aux_e_acs(a) && !duas_categorias(a));
    }

    #[test]
    fn susp_25_not_when_the_acs_is_absent_in_c_only() {
        let a = absent(Some(&FULL_ESF), &[MEDICO, ENFERMEIRO, AUX], "2025-01");
        assert!(!aux_ou_acs(a));
    }

    #[test]
    fn susp_50_aux_e_acs_given_both_absent_in_both_competencias() {
        let a = absent(
            Some(&[MEDICO, ENFERMEIRO]),
            &[MEDICO, ENFERMEIRO],
            "2025-01",
        );
        assert!(aux_e_acs(a) && !aux_ou_acs(a));
    }

    #[test]
    fn susp_75_duas_categorias_given_the_nurse_and_the_acs_absent_twice() {
        let a = absent(Some(&[MEDICO, AUX]), &[MEDICO, AUX], "2025-01");
        assert!(duas_categorias(a) && !med_ou_enf(a) && !tres_categorias(a));
    }

    #[test]
    fn susp_75_med_ou_enf_given_the_doctor_absent_twice() {
        let a = absent(
            Some(&[ENFERMEIRO, AUX, ACS]),
            &[ENFERMEIRO, AUX, ACS],
            "2025-01",
        );
        assert!(med_ou_enf(a) && !med_e_enf(a));
    }

    #[test]
    fn susp_100_tres_categorias_and_med_e_enf_are_immediate() {
        let a = absent(Some(&FULL_ESF), &[ACS], "2025-01");
        assert!(tres_categorias(a) && med_e_enf(a));
        assert!(!med_ou_enf(a), "A2 is empty: nobody was absent in C − 1");
    }

    #[test]
    fn a_competencia_without_a_record_after_the_first_counts_every_category_absent() {
        // RULES.md §3: missing from SCNES in C − 1, without the nurse in C.
        let a = absent(None, &[MEDICO, AUX, ACS], "2025-01");
        assert!(med_ou_enf(a), "{a:?}");
    }

    #[test]
    fn the_month_before_the_first_record_is_never_an_absence() {
        let a = absent(None, &[MEDICO, AUX, ACS], "2025-05");
        assert!(!med_ou_enf(a) && a.in_both.is_empty());
    }
}
