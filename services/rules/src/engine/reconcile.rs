//! Reconciliation: for a municipality and plano, what the rules say was owed, what the Ministry's payment
//! report published, and what the Fund's payment orders paid — every difference classified and traced to
//! the teams behind it. It reads decisions, never makes one: the facts it folds reach no evaluation.

use std::collections::{BTreeMap, BTreeSet};

use repasse_proto::fact::PublishedTeam;
use repasse_proto::{Ibge, Ine, Money, Parcela, Plano};

use crate::catalog::RuleId;
use crate::engine::ledger::Ledger;
use crate::engine::payments::PaymentFacts;
use crate::law::payment::{Component, Line};
use crate::law::record::Position;
use crate::law::status::TeamStatus;

/// A difference found, by the codes of CASES.md.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Finding {
    /// The published report's efetivo differs from the ledger's.
    #[serde(rename = "relatorio_diverge")]
    RelatorioDiverge,
    #[serde(rename = "pago_a_menos")]
    PagoAMenos,
    #[serde(rename = "pago_a_mais")]
    PagoAMais,
    #[serde(rename = "nao_pago")]
    NaoPago,
    #[serde(rename = "pago_sem_devido")]
    PagoSemDevido,
}

impl Finding {
    pub fn code(self) -> &'static str {
        match self {
            Finding::RelatorioDiverge => "relatorio_diverge",
            Finding::PagoAMenos => "pago_a_menos",
            Finding::PagoAMais => "pago_a_mais",
            Finding::NaoPago => "nao_pago",
            Finding::PagoSemDevido => "pago_sem_devido",
        }
    }

    /// What an analyst reads.
    pub fn label_pt(self) -> &'static str {
        match self {
            Finding::RelatorioDiverge => "relatório publicado diverge do razão",
            Finding::PagoAMenos => "pago a menos",
            Finding::PagoAMais => "pago a mais",
            Finding::NaoPago => "não pago",
            Finding::PagoSemDevido => "pago sem ser devido",
        }
    }
}

/// One team whose published detail differs from the ledger's decision, field by field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TeamDifference {
    pub ine: Ine,
    /// `campo: publicado X, razão Y`, one per field that differs.
    pub fields: Vec<String>,
    /// The rules the ledger applied to the team in the competência.
    pub ledger_reasons: Vec<&'static str>,
    pub position: Position,
}

/// A municipality's plano in a parcela, owed against reported against paid.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    /// The ledger's efetivo for the plano (zero where it owes nothing).
    pub owed: Money,
    /// The ledger's implantation incentives of the plano's teams: paid by the Fund beside the efetivo.
    pub implantacao: Money,
    /// The report's efetivo, where the report was imported.
    pub reported: Option<Money>,
    /// The Fund's orders, where any order of the municipality was imported.
    pub paid: Option<Money>,
    pub findings: Vec<Finding>,
    /// Teams whose published detail differs from the ledger (where the detail was imported).
    pub teams: Vec<TeamDifference>,
    /// The ledger's lines of the plano with a desconto: the teams behind what was withheld.
    pub withheld: Vec<Line>,
    /// Where the plano's *ajuste* comes from: authorized adjustments and retroactive credits.
    pub ajustes: Vec<crate::engine::pay::AjusteSource>,
    pub bank_orders: Vec<String>,
    /// The facts compared: the report's line and the Fund's orders.
    pub positions: Vec<Position>,
}

/// The findings for one plano: `due` is what the Fund should transfer (efetivo plus implantation).
pub fn classify(
    owed: Money,
    due: Money,
    reported: Option<Money>,
    paid: Option<Money>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if reported.is_some_and(|r| r != owed) {
        findings.push(Finding::RelatorioDiverge);
    }
    if let Some(paid) = paid {
        let owes = due > Money::ZERO;
        if !owes && paid > Money::ZERO {
            findings.push(Finding::PagoSemDevido);
        } else if owes && paid.is_zero() {
            findings.push(Finding::NaoPago);
        } else if owes && paid < due {
            findings.push(Finding::PagoAMenos);
        } else if owes && paid > due {
            findings.push(Finding::PagoAMais);
        }
    }
    findings
}

impl Ledger {
    /// The municipalities of which a published report line, team detail or payment order of parcela `p`
    /// was imported.
    pub fn payment_municipalities(&self, p: Parcela) -> BTreeSet<Ibge> {
        let facts = &self.state.payments;
        let mut out: BTreeSet<Ibge> = facts
            .paid
            .keys()
            .chain(facts.published.keys())
            .filter(|(_, parcela, plano)| *parcela == p && *plano != Plano::Aae)
            .map(|(ibge, _, _)| *ibge)
            .collect();
        out.extend(
            facts
                .published_teams
                .keys()
                .filter(|(_, parcela)| *parcela == p)
                .map(|(ibge, _)| *ibge),
        );
        out
    }

    /// The reconciliation of parcela `p`, for every municipality or one, sorted by municipality and plano.
    pub fn reconcile(&self, p: Parcela, only: Option<Ibge>) -> Vec<Reconciliation> {
        let facts: &PaymentFacts = &self.state.payments;
        let keep = |ibge: Ibge| only.is_none_or(|o| o == ibge);
        let result = self.parcela(p, only);
        // Grouped once: a national parcela has ~28,000 statements and hundreds of thousands of lines.
        let owed_by: BTreeMap<(Ibge, Plano), Money> = result
            .statements
            .iter()
            .map(|s| ((s.ibge, s.plano), s.efetivo))
            .collect();
        let mut lines_by: BTreeMap<(Ibge, Plano), Vec<&Line>> = BTreeMap::new();
        for line in &result.lines {
            lines_by
                .entry((line.ibge, line.plano))
                .or_default()
                .push(line);
        }
        let mut keys: BTreeSet<(Ibge, Plano)> = owed_by.keys().copied().collect();
        // The PAR incentive is reconciled per UF, on its own (`Ledger::aae_reconcile`).
        let in_parcela = |(ibge, parcela, plano): &(Ibge, Parcela, Plano)| {
            *parcela == p && keep(*ibge) && *plano != Plano::Aae
        };
        keys.extend(
            facts
                .published
                .keys()
                .filter(|k| in_parcela(k))
                .map(|k| (k.0, k.2)),
        );
        keys.extend(
            facts
                .paid
                .keys()
                .filter(|k| in_parcela(k))
                .map(|k| (k.0, k.2)),
        );
        // The municipalities whose orders were imported (any parcela): one with none is "not imported",
        // not "not paid" — orders are fetched per municipality, and one municipality's file says nothing
        // of the others.
        let payments_known: BTreeSet<Ibge> = facts
            .paid
            .keys()
            .filter(|(ibge, _, plano)| keep(*ibge) && *plano != Plano::Aae)
            .map(|(ibge, _, _)| *ibge)
            .collect();
        let statuses = self.statuses(p.competencia());
        keys.into_iter()
            .map(|(ibge, plano)| {
                let owed = owed_by.get(&(ibge, plano)).copied().unwrap_or(Money::ZERO);
                let plano_lines: &[&Line] = lines_by.get(&(ibge, plano)).map_or(&[], Vec::as_slice);
                let implantacao = plano_lines
                    .iter()
                    .filter(|l| l.component == Component::Implantacao)
                    .fold(Money::ZERO, |sum, l| sum + l.integral);
                let published = facts.published.get(&(ibge, p, plano));
                let paid = facts.paid.get(&(ibge, p, plano));
                let paid_amount = payments_known
                    .contains(&ibge)
                    .then(|| paid.map_or(Money::ZERO, |x| x.amount));
                let reported = published.map(|(s, _)| s.efetivo);
                let mut findings = classify(owed, owed + implantacao, reported, paid_amount);
                // The report's implantation incentives, apart from its efetivo as in the ledger's
                // statement: a difference there is the report's too.
                if published.is_some_and(|(s, _)| s.implantacao != implantacao)
                    && !findings.contains(&Finding::RelatorioDiverge)
                {
                    findings.insert(0, Finding::RelatorioDiverge);
                }
                let teams = facts
                    .published_teams
                    .get(&(ibge, p))
                    .map(|teams| team_differences(teams, &statuses, plano))
                    .unwrap_or_default();
                let mut positions: Vec<Position> =
                    published.map(|(_, at)| *at).into_iter().collect();
                positions.extend(paid.iter().flat_map(|x| x.positions.iter().copied()));
                Reconciliation {
                    ibge,
                    parcela: p,
                    plano,
                    owed,
                    implantacao,
                    reported,
                    paid: paid_amount,
                    findings,
                    teams,
                    withheld: plano_lines
                        .iter()
                        .filter(|l| l.desconto > Money::ZERO)
                        .map(|l| (*l).clone())
                        .collect(),
                    ajustes: self
                        .ajuste_sources(p, ibge)
                        .remove(&plano)
                        .unwrap_or_default(),
                    bank_orders: paid.map(|x| x.orders.clone()).unwrap_or_default(),
                    positions,
                }
            })
            .collect()
    }
}

/// The published teams of `plano` (by the ledger's type of the team; a team the ledger does not know is
/// counted under eSF/eAP, the plano the report's team detail covers) whose detail differs from the ledger.
fn team_differences(
    teams: &BTreeMap<Ine, (PublishedTeam, Position)>,
    statuses: &[TeamStatus],
    plano: Plano,
) -> Vec<TeamDifference> {
    let mut out = Vec::new();
    for (ine, (published, position)) in teams {
        let status = statuses
            .binary_search_by_key(ine, |s| s.ine)
            .ok()
            .map(|i| &statuses[i]);
        let team_plano = status.map_or(Plano::EsfEap, |s| s.team_type.plano());
        if team_plano != plano {
            continue;
        }
        let fields = compare(published, status);
        if !fields.is_empty() {
            out.push(TeamDifference {
                ine: *ine,
                fields,
                ledger_reasons: status.map(|s| s.reasons.to_vec()).unwrap_or_default(),
                position: *position,
            });
        }
    }
    out
}

/// The §3 rules of absent categories: what the report calls composition.
const COMPOSITION_RULES: [RuleId; 7] = [
    RuleId::Susp25AuxOuAcs,
    RuleId::Susp50AuxEAcs,
    RuleId::Susp75DuasCategorias,
    RuleId::Susp75MedOuEnf,
    RuleId::Susp100TresCategorias,
    RuleId::Susp100MedEEnf,
    RuleId::Susp100SemCadastro,
];

/// Field by field, what the report says of a team against what the ledger decided.
fn compare(published: &PublishedTeam, status: Option<&TeamStatus>) -> Vec<String> {
    let Some(status) = status else {
        return vec![
            "equipe: publicada no relatório, sem decisão do razão na competência".to_owned(),
        ];
    };
    let yes_no = |b: bool| if b { "sim" } else { "não" };
    let mut fields = Vec::new();
    let mut flag = |name: &str, published: bool, ledger: bool| {
        if published != ledger {
            fields.push(format!(
                "{name}: publicado {}, razão {}",
                yes_no(published),
                yes_no(ledger)
            ));
        }
    };
    let has = |rule: RuleId| status.reasons.contains(rule);
    flag("pagamento válido", published.paid, status.payable);
    flag(
        "suspensão por duplicidade",
        published.duplicity,
        has(RuleId::Susp50Duplicidade),
    );
    flag(
        "suspensão por produção",
        published.production,
        has(RuleId::Susp50Sisab),
    );
    let composition_pct = COMPOSITION_RULES
        .iter()
        .filter(|r| has(**r))
        .filter_map(|r| r.rule().pct)
        .max()
        .unwrap_or(0);
    flag(
        "suspensão por composição",
        published.composition,
        composition_pct > 0,
    );
    flag(
        "suspensão por órgão de controle",
        published.control_body,
        has(RuleId::Susp100OrgaoControle),
    );
    flag(
        "profissional acima da carga horária",
        published.over_hours,
        has(RuleId::Susp100Carga60h),
    );
    if let Some(pct) = published.composition_pct {
        let ledger = 100 - composition_pct;
        if pct != ledger {
            fields.push(format!("composição: publicado {pct} %, razão {ledger} %"));
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(reais: i64) -> Money {
        Money::from_centavos(reais * 100)
    }

    #[test]
    fn each_difference_is_classified_by_its_code() {
        assert_eq!(classify(m(100), m(100), Some(m(100)), Some(m(100))), vec![]);
        assert_eq!(
            classify(m(100), m(100), Some(m(90)), None),
            vec![Finding::RelatorioDiverge]
        );
        assert_eq!(
            classify(m(100), m(100), None, Some(m(90))),
            vec![Finding::PagoAMenos]
        );
        assert_eq!(
            classify(m(100), m(100), None, Some(m(110))),
            vec![Finding::PagoAMais]
        );
        assert_eq!(
            classify(m(100), m(100), None, Some(Money::ZERO)),
            vec![Finding::NaoPago]
        );
        assert_eq!(
            classify(Money::ZERO, Money::ZERO, None, Some(m(5))),
            vec![Finding::PagoSemDevido]
        );
        // Payments not imported for the parcela: nothing is said about them.
        assert_eq!(classify(m(100), m(100), None, None), vec![]);
        // The implantation incentive is paid beside the efetivo.
        assert_eq!(classify(m(100), m(130), None, Some(m(130))), vec![]);
    }
}
