//! RULES.md §2 — team validity: a team is payable in parcela P only if homologated and not cancelled
//! (VAL.HOMOLOGADA), not revoked (SUSP.REVOGACAO), registered in SCNES for P − 2 (VAL.CADASTRADA, or the
//! 100 % suspension SUSP.100.SEM_CADASTRO from 2025-04 on) and credentialed (VAL.CREDENCIADA).

use repasse_proto::{CredentialType, Parcela};

use crate::catalog;
use crate::law::record::{HomologationEntry, Position};
use crate::law::status::{Note, TeamStatus};
use crate::law::view::{History, Inputs, Professionals, TeamView};

pub(crate) fn check<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    h: Option<&HomologationEntry>,
    status: &mut TeamStatus,
    note: &mut Note<'_>,
) {
    homologada(view, h, status, note);
    revogacao(view, status, note);
    cadastrada(inputs, view, status, note);
    credenciada(inputs.history, view.c.parcela(), status, note);
}

/// VAL.HOMOLOGADA: a homologation with effect on or before P, not cancelled since.
fn homologada(
    view: &TeamView<'_>,
    h: Option<&HomologationEntry>,
    status: &mut TeamStatus,
    note: &mut Note<'_>,
) {
    let p = view.c.parcela();
    let cancelled = view.cancellations.iter().filter(|x| x.0 <= p).max();
    let homologated = match (h, cancelled) {
        (None, _) => {
            note(catalog::VAL_HOMOLOGADA, true, &|| {
                (
                    format!("sem homologação com efeito até a parcela {p}"),
                    vec![],
                )
            });
            false
        }
        (Some(h), Some((from, at))) if *at > h.position => {
            note(catalog::VAL_HOMOLOGADA, true, &|| {
                let detail = format!("homologação cancelada a partir da parcela {from}");
                (detail, vec![h.position, *at])
            });
            false
        }
        (Some(h), _) => {
            note(catalog::VAL_HOMOLOGADA, false, &|| {
                let detail = format!("homologada com efeito a partir da parcela {}", h.from);
                (detail, vec![h.position])
            });
            true
        }
    };
    if !homologated {
        status.payable = false;
        status.not_valid.insert(catalog::VAL_HOMOLOGADA.key);
    }
}

/// SUSP.REVOGACAO: revoked earlier, and no homologation since the revocation's parcela.
fn revogacao(view: &TeamView<'_>, status: &mut TeamStatus, note: &mut Note<'_>) {
    let p = view.c.parcela();
    let Some(revoked_at) = view.revoked_at.filter(|r| *r < view.c) else {
        return;
    };
    let renewed = view
        .homologations
        .iter()
        .any(|e| e.from > revoked_at.parcela() && e.from <= p);
    note(catalog::SUSP_REVOGACAO, !renewed, &|| {
        let detail = format!(
            "credenciamento revogado na competência {revoked_at}; nova homologação: {renewed}"
        );
        (detail, vec![])
    });
    if !renewed {
        status.payable = false;
        status.not_valid.insert(catalog::SUSP_REVOGACAO.key);
    }
}

/// VAL.CADASTRADA, or SUSP.100.SEM_CADASTRO for eSF/eAP from `sem_cadastro_from` on [interp].
fn cadastrada<H: History, P: Professionals>(
    inputs: &Inputs<'_, H, P>,
    view: &TeamView<'_>,
    status: &mut TeamStatus,
    note: &mut Note<'_>,
) {
    let c = view.c;
    let closed = || -> Vec<Position> { inputs.history.closed_at(c).into_iter().collect() };
    match view.record {
        Some(r) => note(catalog::VAL_CADASTRADA, false, &|| {
            (format!("registro ativo no SCNES em {c}"), vec![r.position])
        }),
        None if status.team_type.is_esf_or_eap() && c >= inputs.settings.sem_cadastro_from => {
            note(catalog::SUSP_100_SEM_CADASTRO, true, &|| {
                let detail = format!("sem registro ativo no SCNES em {c} (competência fechada)");
                (detail, closed())
            });
            status.reasons.insert(catalog::SUSP_100_SEM_CADASTRO.key);
            status.suspension_pct = catalog::SUSP_100_SEM_CADASTRO.pct.unwrap_or(100);
        }
        None => {
            note(catalog::VAL_CADASTRADA, true, &|| {
                (format!("sem registro ativo no SCNES em {c}"), closed())
            });
            status.payable = false;
            status.not_valid.insert(catalog::VAL_CADASTRADA.key);
        }
    }
}

/// VAL.CREDENCIADA, the team's own part: some quantity credentialed for its municipality and type. The
/// quantity itself is checked across the municipality's teams by [`beyond_credentialed`].
fn credenciada<H: History>(history: &H, p: Parcela, status: &mut TeamStatus, note: &mut Note<'_>) {
    let (team_type, ibge) = (status.team_type, status.ibge);
    let quantity = history.credentialed(ibge, CredentialType::Team(team_type), p);
    note(catalog::VAL_CREDENCIADA, quantity == 0, &|| {
        let detail =
            format!("{quantity} equipe(s) {team_type} credenciada(s) para {ibge} na parcela {p}");
        (detail, vec![])
    });
    if quantity == 0 && status.payable {
        status.payable = false;
        status.not_valid.insert(catalog::VAL_CREDENCIADA.key);
    }
}

/// VAL.CREDENCIADA across a municipality's payable teams of one type: those beyond the credentialed
/// quantity, most recently homologated first, are not valid. `members` are (homologated from, position of
/// the homologation, any key); returns the keys of the teams beyond the quantity.
pub fn beyond_credentialed<K: Ord + Copy>(
    mut members: Vec<(Parcela, Position, K)>,
    quantity: u32,
) -> impl Iterator<Item = K> {
    members.sort();
    members
        .into_iter()
        .skip(quantity as usize)
        .map(|(_, _, key)| key)
}

/// What follows VAL.CREDENCIADA's limit for a team beyond the quantity, or any team not payable: no
/// suspension on it.
pub fn settle(status: &mut TeamStatus) {
    if !status.payable {
        status.suspension_pct = 0;
        status.reasons = crate::catalog::RuleSet::EMPTY;
        status.suspended_agents = Box::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::given::{self, FULL_ESF, GivenHistory, GivenProfessionals, c};
    use crate::law::team::evaluate_team;
    use crate::law::view::Inputs;

    fn evaluate(has_record: bool, at: &str, credentialed: u32) -> TeamStatus {
        let at = c(at);
        let homologations = given::homologated_from("2024-01");
        let record = given::record(&FULL_ESF, 2);
        let view = given::view(
            at,
            &homologations,
            has_record.then_some(&record),
            None,
            c("2024-01"),
        );
        let history = GivenHistory {
            credentialed,
            ..GivenHistory::default()
        };
        let nobody = GivenProfessionals::default();
        let settings = given::settings(at);
        let inputs = Inputs {
            history: &history,
            current: &nobody,
            previous: &nobody,
            settings: &settings,
        };
        evaluate_team(&inputs, &view, None)
    }

    #[test]
    fn val_cadastrada_before_2025_04_the_missing_record_makes_the_team_not_valid() {
        let s = evaluate(false, "2025-03", 1);
        assert!(!s.payable && s.not_valid.contains(crate::catalog::RuleId::ValCadastrada));
    }

    #[test]
    fn susp_100_sem_cadastro_from_2025_04_the_missing_record_is_a_100_pct_suspension() {
        let s = evaluate(false, "2025-04", 1);
        assert!(s.payable && s.suspension_pct == 100);
        assert!(
            s.reasons
                .contains(crate::catalog::RuleId::Susp100SemCadastro)
        );
    }

    #[test]
    fn val_credenciada_nothing_credentialed_makes_the_team_not_valid() {
        let s = evaluate(true, "2025-04", 0);
        assert!(!s.payable && s.not_valid.contains(crate::catalog::RuleId::ValCredenciada));
        assert!(evaluate(true, "2025-04", 1).payable);
    }

    #[test]
    fn val_credenciada_beyond_the_quantity_the_most_recently_homologated_are_not_valid() {
        let p = |text: &str| text.parse::<Parcela>().unwrap();
        let members = vec![
            (p("2024-08"), 30, 'c'),
            (p("2024-01"), 10, 'a'),
            (p("2024-08"), 20, 'b'),
        ];
        let beyond: Vec<char> = beyond_credentialed(members, 2).collect();
        assert_eq!(beyond, ['c']);
    }
}
