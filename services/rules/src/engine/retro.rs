//! RULES.md §7 through the ledger: every retroactive-credit request assessed against what the ledger itself
//! decided for its teams and parcela ([`crate::law::retro`]), the Ministry's decision, and the credit a
//! `deferido` posts as an *ajuste* (computed by the statements, `Ledger::retro_withheld`).

use repasse_proto::fact::{RetroOutcome, RetroRequest};
use repasse_proto::{Money, Parcela};

use crate::engine::ledger::Ledger;
use crate::engine::programmes::DecisionEntry;
use crate::law::record::{Position, homologation_at};
use crate::law::retro::{self, Assessment, TeamFacts};
use crate::law::settings::Settings;
use crate::params::PRAZOS;

/// A request, the ledger's recommendation on it, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RetroCase {
    pub id: String,
    pub position: Position,
    pub request: RetroRequest,
    pub assessment: Assessment,
    /// The Ministry's decision, once a fact.
    pub decision: Option<RetroOutcome>,
    pub decided_on: Option<repasse_proto::Date>,
    /// The parcela a `deferido` is credited in, and the amount (what the suspension withheld).
    pub credited_in: Option<Parcela>,
    pub credited: Option<Money>,
}

impl Ledger {
    /// Every retroactive-credit request, by id.
    pub fn retro_cases(&self) -> Vec<RetroCase> {
        let ids: Vec<&String> = self.state.programmes.retro_requests.keys().collect();
        ids.into_iter()
            .filter_map(|id| self.retro_case(id))
            .collect()
    }

    /// A request assessed as the ledger stands now (an as-of replay gives it as it was).
    pub fn retro_case(&self, id: &str) -> Option<RetroCase> {
        let (request, position) = self.state.programmes.retro_requests.get(id)?;
        let assessment = self.assess_retro(request);
        let decision: Option<&DecisionEntry> = self.state.programmes.retro_decisions.get(id);
        let deferido = decision.filter(|d| d.decision.decision == RetroOutcome::Deferido);
        let credited = deferido.filter(|d| d.posted_in > request.parcela).map(|_| {
            self.retro_withheld(request)
                .values()
                .fold(Money::ZERO, |sum, m| sum + *m)
        });
        Some(RetroCase {
            id: id.to_owned(),
            position: *position,
            request: request.clone(),
            assessment,
            decision: decision.map(|d| d.decision.decision),
            decided_on: decision.map(|d| d.decision.decided_on),
            credited_in: credited.and(deferido.map(|d| d.posted_in)),
            credited,
        })
    }

    /// The request at `position`, if the fact there is its first (what the projector publishes once).
    pub fn retro_case_at(&self, id: &str, position: Position) -> Option<RetroCase> {
        self.retro_case(id).filter(|c| c.position == position)
    }

    /// The decision on request `id`, if the fact at `position` is it.
    pub fn retro_decision_at(&self, id: &str, position: Position) -> Option<RetroCase> {
        let entry = self.state.programmes.retro_decisions.get(id)?;
        (entry.position == position)
            .then(|| self.retro_case(id))
            .flatten()
    }

    fn assess_retro(&self, r: &RetroRequest) -> Assessment {
        let c = r.parcela.competencia();
        let settings = Settings::at(&self.params, c);
        let withheld = self.retro_withheld(r);
        let acs = retro::about_acs(r);
        let statuses: Vec<_> = self
            .state
            .teams_named(r)
            .into_iter()
            .map(|ine| (ine, self.team_status(ine, c)))
            .collect();
        let teams: Vec<TeamFacts<'_>> = statuses
            .iter()
            .map(|(ine, status)| {
                let entries = self.state.homologations.get(ine);
                let h = entries.and_then(|e| homologation_at(e, r.parcela));
                let sisab_regularised = status.as_ref().and_then(|s| {
                    if acs {
                        (!s.suspended_agents.is_empty()).then(|| {
                            s.suspended_agents.iter().all(|agent| {
                                retro::sisab_regularised(
                                    &settings,
                                    &self.state,
                                    *ine,
                                    Some(*agent),
                                    c,
                                )
                            })
                        })
                    } else {
                        s.reasons
                            .contains(crate::catalog::RuleId::Susp50Sisab)
                            .then(|| {
                                retro::sisab_regularised(&settings, &self.state, *ine, None, c)
                            })
                    }
                });
                TeamFacts {
                    ine: *ine,
                    homologated: h.is_some(),
                    in_municipality: h.is_none_or(|h| h.ibge == r.ibge),
                    status: status.as_ref(),
                    sisab_regularised,
                    withheld: withheld
                        .iter()
                        .filter(|((i, _), _)| i == ine)
                        .fold(Money::ZERO, |sum, (_, m)| sum + *m),
                }
            })
            .collect();
        let uf_matches = r.ibge.uf() == Some(r.uf);
        let months = self.params.count(PRAZOS, "retro_prazo_meses", r.parcela) as i32;
        retro::assess(r, uf_matches, months, &teams)
    }
}

impl RetroCase {
    /// The recommendation published for integrators (`decisoes.retroativo.<uf>.<ibge>.<ine|todos>`).
    pub fn recommended(&self) -> repasse_proto::Decision {
        use repasse_proto::decision::RetroRecommended;
        repasse_proto::Decision::RetroRecommended(RetroRecommended {
            id: self.id.clone(),
            ibge: self.request.ibge,
            ine: match self.request.target {
                repasse_proto::fact::TeamRef::Ine(ine) => Some(ine),
                repasse_proto::fact::TeamRef::Cnes(_) => None,
            },
            parcela: self.request.parcela,
            recommendation: self.assessment.recommendation.as_str().to_owned(),
            deadline: self.assessment.deadline,
            creditable: self.assessment.creditable(),
            reasons: self
                .assessment
                .reasons()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        })
    }

    /// The Ministry's decision and the credit it posts, published for integrators.
    pub fn decided(&self) -> Option<repasse_proto::Decision> {
        use repasse_proto::decision::RetroDecided;
        Some(repasse_proto::Decision::RetroDecided(RetroDecided {
            id: self.id.clone(),
            ibge: self.request.ibge,
            parcela: self.request.parcela,
            decision: match self.decision? {
                RetroOutcome::Deferido => "deferido",
                RetroOutcome::Indeferido => "indeferido",
            }
            .to_owned(),
            recommendation: self.assessment.recommendation.as_str().to_owned(),
            credited_in: self.credited_in,
            credited: self.credited,
        }))
    }
}
