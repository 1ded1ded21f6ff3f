//! Amounts (RULES.md §5): one line per team and component, rounded once (PAG.ARREDONDAMENTO), and the
//! municipality's statement per plano orçamentário as the public payment report shows it.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::fact::{ClassificationTarget, RetroOutcome, RetroRequest};
use repasse_proto::{Classe, Ibge, Ine, Money, Parcela, Plano, QualityComponent};

use crate::calendar::novo_modelo_from;
use crate::catalog;
use crate::engine::ledger::Ledger;
use crate::law::payment::{self, Component, Line, Statement, withheld};
use crate::law::status::TeamStatus;
use crate::params::{self, ParamUse};

/// Everything the ledger owes for a parcela.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ParcelaResult {
    pub lines: Vec<Line>,
    pub statements: Vec<Statement>,
    /// Implantation incentives, paid separately from the planos.
    pub implantacao: BTreeMap<Ibge, Money>,
    /// eSF paid at 100 %, 75 %, 50 % and 25 % per municipality (suspension 0, 25, 50, 75 %).
    pub esf_paid_at: BTreeMap<Ibge, [u32; 4]>,
}

/// What a parcela's lines and statements follow from: the statuses of the competência it pays on, and every
/// fact the payment reads directly. Equal bases, equal parcelas: a parcela computed ahead of its close holds
/// while its basis does.
#[derive(Clone, Debug)]
pub struct ParcelaBasis {
    parcela: Parcela,
    statuses: Option<Arc<Vec<TeamStatus>>>,
    payment_epoch: u64,
}

impl ParcelaBasis {
    pub fn parcela(&self) -> Parcela {
        self.parcela
    }

    /// The statuses of the competência the parcela pays on (`None` before the new model or while it is
    /// not closed).
    pub(crate) fn statuses(&self) -> Option<&Arc<Vec<TeamStatus>>> {
        self.statuses.as_ref()
    }
}

impl PartialEq for ParcelaBasis {
    /// The same statuses (the same `Arc`: a re-evaluation makes new ones) and no direct fact since.
    fn eq(&self, other: &ParcelaBasis) -> bool {
        let same_statuses = match (&self.statuses, &other.statuses) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        self.parcela == other.parcela && same_statuses && self.payment_epoch == other.payment_epoch
    }
}

impl Eq for ParcelaBasis {}

impl Ledger {
    /// What parcela `p` computed now would follow from (see [`ParcelaBasis`]).
    pub fn parcela_basis(&self, p: Parcela) -> ParcelaBasis {
        let statuses = (p >= novo_modelo_from())
            .then(|| {
                let evaluations = self.evaluations_through(p.competencia());
                evaluations.by_competencia.get(&p.competencia()).cloned()
            })
            .flatten();
        ParcelaBasis {
            parcela: p,
            statuses,
            payment_epoch: self.payment_epoch,
        }
    }

    /// [`Ledger::parcela_basis`] when it is known without evaluating anything (`None` when facts applied
    /// since the last evaluation reach the competência `p` pays on): what idle work may ask.
    pub fn parcela_basis_if_evaluated(&self, p: Parcela) -> Option<ParcelaBasis> {
        self.is_evaluated_through(p.competencia())
            .then(|| self.parcela_basis(p))
    }

    /// The lines and statements of parcela `p`, for every municipality or one. Empty before the new model or
    /// when the competência it pays on is not closed.
    pub fn parcela(&self, p: Parcela, only: Option<Ibge>) -> ParcelaResult {
        self.parcela_where(p, &|ibge| only.is_none_or(|o| o == ibge))
    }

    /// The lines and statements of parcela `p` for the municipalities `keep` accepts (each computed whole:
    /// ACS vacancies go to a municipality's agents in INE order).
    pub fn parcela_where(&self, p: Parcela, keep: &dyn Fn(Ibge) -> bool) -> ParcelaResult {
        let mut result = ParcelaResult::default();
        if self.lines_where(p, keep, &mut result) {
            self.statements(p, keep, &mut result);
        }
        result
    }

    /// The lines of parcela `p` (no statements): `false` before the new model or while the competência it
    /// pays on is not closed.
    fn lines_where(
        &self,
        p: Parcela,
        keep: &dyn Fn(Ibge) -> bool,
        result: &mut ParcelaResult,
    ) -> bool {
        if p < novo_modelo_from() {
            return false;
        }
        let evaluations = self.evaluations_through(p.competencia());
        let Some(statuses) = evaluations.by_competencia.get(&p.competencia()) else {
            return false;
        };
        // ACS vacancies go to agents in INE order (statuses are sorted by INE).
        let mut agents_used: BTreeMap<Ibge, u32> = BTreeMap::new();
        for status in statuses.iter().filter(|s| s.payable && keep(s.ibge)) {
            let implantation = evaluations.first_payable(status.ine) == Some(status.competencia);
            let used = agents_used.entry(status.ibge).or_default();
            self.team_lines(p, status, implantation, *used, &mut result.lines);
            *used += status.agents.len() as u32;
            if status.team_type.is_esf() {
                let paid = result.esf_paid_at.entry(status.ibge).or_default();
                match status.suspension_pct {
                    0 => paid[0] += 1,
                    25 => paid[1] += 1,
                    50 => paid[2] += 1,
                    75 => paid[3] += 1,
                    _ => {}
                }
            }
        }
        true
    }

    fn team_lines(
        &self,
        p: Parcela,
        status: &TeamStatus,
        implantation: bool,
        agents_before: u32,
        out: &mut Vec<Line>,
    ) {
        let t = status.team_type;
        let stratum = self.stratum(status.ibge, p).map(|(s, _)| s.get());
        let mut push =
            |component: Component, used: Option<ParamUse>, integral: Money, desconto: Money| {
                let params = used.into_iter().collect();
                // The ACS plano carries its agents' suspension (SUSP.100.ACS_SISAB), not the team's.
                let (plano, suspension_pct, reasons) = if component == Component::Acs {
                    let withheld = desconto > Money::ZERO;
                    let reasons = if withheld {
                        vec![catalog::SUSP_100_ACS_SISAB.id]
                    } else {
                        Vec::new()
                    };
                    (Plano::Acs, if withheld { 100 } else { 0 }, reasons)
                } else {
                    (t.plano(), status.suspension_pct, status.reasons.to_vec())
                };
                out.push(Line {
                    ibge: status.ibge,
                    parcela: p,
                    ine: status.ine,
                    team_type: t,
                    component,
                    plano,
                    integral: integral.round_centavo(),
                    desconto: desconto.round_centavo(),
                    suspension_pct,
                    reasons,
                    params,
                });
            };
        let pct = status.suspension_pct;
        let withheld = |value: Money, fixed: bool| withheld(value, pct, fixed);
        if let Some(used) = payment::fixo(&self.params, t, stratum, p) {
            let v = used.value;
            push(Component::Fixo, Some(used), v, withheld(v, true));
        }
        for (component, table, qc) in [
            (
                Component::Vinculo,
                params::VINCULO,
                QualityComponent::Vinculo,
            ),
            (
                Component::Qualidade,
                params::QUALIDADE,
                QualityComponent::Qualidade,
            ),
        ] {
            if component == Component::Vinculo && !t.is_esf_or_eap() {
                continue;
            }
            let class = self.class_of(status.ine, status.ibge, qc, p);
            if let Some((used, value)) = payment::class_value(&self.params, t, table, class, p) {
                push(component, Some(used), value, withheld(value, false));
            }
        }
        if implantation && let Some(used) = self.implantation(status, p) {
            let v = used.value;
            push(Component::Implantacao, Some(used), v, Money::ZERO);
        }
        if !status.agents.is_empty() {
            self.acs_line(p, status, agents_before, &mut push);
        }
    }

    /// PAG.TRANSICAO over the classifications published for the team and for its municipality.
    pub fn class_of(
        &self,
        ine: Ine,
        ibge: Ibge,
        component: QualityComponent,
        p: Parcela,
    ) -> Classe {
        let in_force = |target: ClassificationTarget| {
            self.state
                .classifications
                .get(&(target, component))?
                .iter()
                .filter(|(from, to, ..)| *from <= p && to.is_none_or(|to| p <= to))
                .max_by_key(|(from, _, _, position)| (*from, *position))
                .map(|(_, _, class, _)| *class)
        };
        payment::class(
            &self.params,
            p,
            in_force(ClassificationTarget::Ine(ine)),
            in_force(ClassificationTarget::Ibge(ibge)),
        )
    }

    /// PAG.IMPLANTACAO for the team's homologation in force.
    fn implantation(&self, status: &TeamStatus, p: Parcela) -> Option<ParamUse> {
        let entries = self.state.homologations.get(&status.ine)?;
        let h = crate::law::record::homologation_at(entries, p);
        payment::implantacao(&self.params, status.team_type, h, p)
    }

    /// PAG.ACS over the municipality's credentialed vacancies (agents ordered by INE and CPF [interp]).
    fn acs_line(
        &self,
        p: Parcela,
        status: &TeamStatus,
        before: u32,
        push: &mut dyn FnMut(Component, Option<ParamUse>, Money, Money),
    ) {
        let vacancies = crate::law::team::History::credentialed(
            &self.state,
            status.ibge,
            repasse_proto::CredentialType::Acs,
            p,
        );
        let paid = payment::acs(
            &self.params,
            p,
            vacancies,
            before,
            &status.agents,
            &status.suspended_agents,
        );
        if let Some((used, integral, desconto)) = paid {
            push(Component::Acs, Some(used), integral, desconto);
        }
    }

    fn statements(&self, p: Parcela, keep: &dyn Fn(Ibge) -> bool, result: &mut ParcelaResult) {
        let mut totals: BTreeMap<(Ibge, Plano), (Money, Money)> = BTreeMap::new();
        for line in &result.lines {
            if line.component == Component::Implantacao {
                *result.implantacao.entry(line.ibge).or_default() += line.integral;
                continue;
            }
            let entry = totals.entry((line.ibge, line.plano)).or_default();
            entry.0 += line.integral;
            entry.1 += line.desconto;
        }
        let credits = self.retro_credits(p, keep);
        for (ibge, plano) in credits.keys() {
            totals.entry((*ibge, *plano)).or_default();
        }
        // A plano with an adjustment but no line still has a statement.
        for (ibge, _, plano) in self
            .state
            .adjustments
            .keys()
            .filter(|(i, parcela, _)| *parcela == p && keep(*i))
        {
            totals.entry((*ibge, *plano)).or_default();
        }
        for ((ibge, plano), (integral, desconto)) in totals {
            let ajuste = self
                .state
                .adjustments
                .get(&(ibge, p, plano))
                .map_or(Money::ZERO, |a| a.0)
                + credits.get(&(ibge, plano)).copied().unwrap_or_default();
            let efetivo = integral - desconto + ajuste;
            result.statements.push(Statement {
                ibge,
                parcela: p,
                plano,
                integral,
                desconto,
                ajuste,
                efetivo,
            });
        }
    }
}

impl Ledger {
    /// RETRO.DECISAO: the credits of the requests `deferido` and posted in parcela `p`, per municipality
    /// and plano: an *ajuste* of the statement.
    fn retro_credits(
        &self,
        p: Parcela,
        keep: &dyn Fn(Ibge) -> bool,
    ) -> BTreeMap<(Ibge, Plano), Money> {
        let programmes = &self.state.programmes;
        let mut credits: BTreeMap<(Ibge, Plano), Money> = BTreeMap::new();
        for (id, entry) in &programmes.retro_decisions {
            if entry.posted_in != p || entry.decision.decision != RetroOutcome::Deferido {
                continue;
            }
            let Some((request, _)) = programmes.retro_requests.get(id) else {
                continue;
            };
            // A credit lands after the parcela it returns (a decision logged before its request could
            // name an earlier one): never on it, which would also make the computation circular.
            if !keep(request.ibge) || entry.posted_in <= request.parcela {
                continue;
            }
            for ((_, plano), amount) in self.retro_withheld(request) {
                *credits.entry((request.ibge, plano)).or_default() += amount;
            }
        }
        credits
    }

    /// Where each *ajuste* of a municipality's statements in parcela `p` comes from, per plano: the
    /// Ministry's authorized adjustments (RETRO.DISTINCAO) and the retroactive credits posted in `p`
    /// (RETRO.DECISAO). What reconciliation shows beside an ajuste.
    pub fn ajuste_sources(&self, p: Parcela, ibge: Ibge) -> BTreeMap<Plano, Vec<AjusteSource>> {
        let mut out: BTreeMap<Plano, Vec<AjusteSource>> = BTreeMap::new();
        // The municipality's keys of the parcela only (planos are ordered, eSF_eAP first, AAE last).
        let keys = (ibge, p, Plano::EsfEap)..=(ibge, p, Plano::Aae);
        for ((_, _, plano), (amount, positions)) in self.state.adjustments.range(keys) {
            out.entry(*plano).or_default().push(AjusteSource {
                amount: *amount,
                source: "ajuste autorizado pelo Ministério, sem pedido (RETRO.DISTINCAO)"
                    .to_owned(),
                positions: positions.clone(),
            });
        }
        let programmes = &self.state.programmes;
        for (id, entry) in &programmes.retro_decisions {
            let Some((request, at)) = programmes.retro_requests.get(id) else {
                continue;
            };
            let posted = entry.posted_in == p && entry.posted_in > request.parcela;
            if !posted || request.ibge != ibge || entry.decision.decision != RetroOutcome::Deferido
            {
                continue;
            }
            let mut by_plano: BTreeMap<Plano, Money> = BTreeMap::new();
            for ((_, plano), amount) in self.retro_withheld(request) {
                *by_plano.entry(plano).or_default() += amount;
            }
            for (plano, amount) in by_plano {
                out.entry(plano).or_default().push(AjusteSource {
                    amount,
                    source: format!(
                        "crédito retroativo {id} deferido: {} da parcela {} (RETRO.DECISAO)",
                        request.irregularity, request.parcela
                    ),
                    positions: vec![*at, entry.position],
                });
            }
        }
        out
    }

    /// What the suspension a request is about withheld in its parcela, per team and plano: the ACS line
    /// for SUSP.100.ACS_SISAB, the team's own lines otherwise (RETRO.DECISAO: the amount a `deferido`
    /// returns). Computed from the parcela's lines, so always an earlier parcela than the one credited.
    pub fn retro_withheld(&self, r: &RetroRequest) -> BTreeMap<(Ine, Plano), Money> {
        let teams = self.state.teams_named(r);
        let acs = crate::law::retro::about_acs(r);
        // Lines only: the request's parcela's own credits are not what it withheld (and computing its
        // statements would recurse into every earlier parcela's credits).
        let mut result = ParcelaResult::default();
        self.lines_where(r.parcela, &|i| i == r.ibge, &mut result);
        let lines = result.lines;
        let mut withheld: BTreeMap<(Ine, Plano), Money> = BTreeMap::new();
        for line in lines.iter().filter(|l| teams.contains(&l.ine)) {
            if (line.component == Component::Acs) != acs || line.desconto == Money::ZERO {
                continue;
            }
            *withheld.entry((line.ine, line.plano)).or_default() += line.desconto;
        }
        withheld
    }
}

/// One source of a statement's *ajuste*.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AjusteSource {
    pub amount: Money,
    /// What it is, in Portuguese, with its rule id.
    pub source: String,
    /// The facts behind it.
    pub positions: Vec<crate::law::record::Position>,
}

/// Rule ids that amounts cite.
pub const AMOUNT_RULES: [catalog::Rule; 6] = [
    catalog::PAG_FIXO,
    catalog::PAG_VINCULO,
    catalog::PAG_QUALIDADE,
    catalog::PAG_TRANSICAO,
    catalog::PAG_ACS,
    catalog::PAG_ARREDONDAMENTO,
];
