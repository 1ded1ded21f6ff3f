//! RULES.md §4 — SUSP.100.ORGAO_CONTROLE: a control body's suspension (PRC 6/2017 art. 12-N) is in force
//! for the team from its competência until lifted.

use repasse_proto::Competencia;

use crate::catalog;
use crate::law::record::Position;
use crate::law::status::{Fire, TeamStatus};
use crate::law::view::{History, TeamView};

/// The control body's act in force in `c`: the latest suspension or lifting from on or before it.
pub fn in_force(
    acts: &[(Competencia, bool, Position)],
    c: Competencia,
) -> Option<&(Competencia, bool, Position)> {
    acts.iter().filter(|e| e.0 <= c).max_by_key(|e| (e.0, e.2))
}

pub(crate) fn check<H: History>(
    history: &H,
    view: &TeamView<'_>,
    status: &mut TeamStatus,
    fire: &mut Fire<'_>,
) {
    let act = in_force(history.control(view.ine), view.c);
    let fired = matches!(act, Some((_, true, _)));
    fire(
        status,
        catalog::SUSP_100_ORGAO_CONTROLE,
        fired,
        &|| match act {
            Some((from, true, at)) => (
                format!("suspensão por órgão de controle desde {from}"),
                vec![*at],
            ),
            Some((from, false, at)) => {
                (format!("suspensão levantada a partir de {from}"), vec![*at])
            }
            None => ("nenhuma suspensão por órgão de controle".to_owned(), vec![]),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::given::c;

    #[test]
    fn susp_100_orgao_controle_is_in_force_from_its_competencia_until_lifted() {
        let acts = [(c("2025-02"), true, 10), (c("2025-05"), false, 20)];
        assert_eq!(in_force(&acts, c("2025-01")), None);
        assert_eq!(in_force(&acts, c("2025-02")).map(|a| a.1), Some(true));
        assert_eq!(in_force(&acts, c("2025-04")).map(|a| a.1), Some(true));
        assert_eq!(in_force(&acts, c("2025-05")).map(|a| a.1), Some(false));
    }

    #[test]
    fn of_two_acts_for_the_same_competencia_the_later_fact_holds() {
        let acts = [(c("2025-02"), false, 30), (c("2025-02"), true, 10)];
        assert_eq!(in_force(&acts, c("2025-03")).map(|a| a.1), Some(false));
    }
}
