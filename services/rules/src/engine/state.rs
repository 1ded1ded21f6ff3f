//! The fold's state: what `Ledger::apply` keeps of every fact, shaped for the rules to read
//! ([`crate::law::record`]) and indexed for national scale. The rules read it through
//! [`History`](crate::law::team::History) only.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::fact::{
    Classification, ClassificationTarget, Credentialing, CredentialingRequest, Fact, Municipality,
    ScnesTeam, SisabProduction, SisabStatus,
};
use repasse_proto::{
    Competencia, CredentialType, Estrato, Ibge, Ine, Money, Parcela, Plano, QualityComponent,
};
use rustc_hash::FxHashMap;

use crate::catalog;
use crate::law::record::{HomologationEntry, Link, Position, TeamRecord, Upload};
use crate::law::team::History;
use crate::params::Params;

/// A fact the fold refused, with the rule that refused it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub position: Position,
    pub rule: &'static str,
    pub message: String,
}

pub(crate) type ClassificationEntry = (Parcela, Option<Parcela>, repasse_proto::Classe, Position);

/// A credenciamento in force from a parcela: (from, quantity, position).
pub(crate) type Credential = (Parcela, u32, Position);

#[derive(Default)]
pub(crate) struct State {
    pub municipalities: BTreeMap<Ibge, (Municipality, Position)>,
    pub strata: BTreeMap<Ibge, Vec<(Parcela, Estrato, Position)>>,
    pub credentials: BTreeMap<(Ibge, CredentialType), Vec<Credential>>,
    pub homologations: BTreeMap<Ine, Vec<HomologationEntry>>,
    /// The INEs of `homologations`, for the national link index.
    pub homologated: rustc_hash::FxHashSet<u64>,
    pub cancellations: BTreeMap<Ine, Vec<(Parcela, Position)>>,
    pub scnes: BTreeMap<Competencia, FxHashMap<u64, TeamRecord>>,
    pub closed: BTreeMap<Competencia, Position>,
    pub first_scnes: FxHashMap<u64, Competencia>,
    /// First competência each agent appears in each team (for SUSP.100.ACS_SISAB counting).
    pub agent_first: FxHashMap<(u64, u64), Competencia>,
    /// Team production: (ine, competência index) → its uploads (on time or not is decided at evaluation,
    /// against the deadline in force).
    pub sisab: FxHashMap<(u64, i32), Upload>,
    /// One ACS agent's production: (ine, cpf, competência index).
    pub sisab_agent: FxHashMap<(u64, u64, i32), Upload>,
    pub control: BTreeMap<Ine, Vec<(Competencia, bool, Position)>>,
    /// Published classifications by target and component: (from, to, class, position).
    pub classifications:
        BTreeMap<(ClassificationTarget, QualityComponent), Vec<ClassificationEntry>>,
    pub historical: BTreeMap<(Ibge, Plano, Parcela), (Money, Vec<Position>)>,
    pub adjustments: BTreeMap<(Ibge, Parcela, Plano), (Money, Vec<Position>)>,
    pub parcelas_closed: BTreeMap<Parcela, Position>,
    /// VAL.TETO assessments of credentialing requests, by request id.
    pub credentialing_requests: BTreeMap<String, CredentialingAssessment>,
    pub rejections: Vec<Rejection>,
    /// The Fund's orders and the published report, for reconciliation only.
    pub payments: crate::engine::payments::PaymentFacts,
    /// The facts of §7–9.
    pub programmes: crate::engine::programmes::ProgrammeFacts,
}

/// A credentialing request and what VAL.TETO recommends for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialingAssessment {
    pub request: CredentialingRequest,
    pub position: Position,
    pub recommendation: crate::law::teto::Recommendation,
    /// `None` where the law sets no ceiling for the type.
    pub ceiling: Option<crate::law::teto::Ceiling>,
    /// Quantity credentialed by the portarias published before the request.
    pub credentialed: u32,
}

impl State {
    /// Folds one fact in (the caller keeps positions increasing).
    pub(crate) fn apply(&mut self, params: &mut Params, position: Position, fact: &Fact) {
        let s = self;
        match fact {
            Fact::Municipality(m) => {
                s.municipalities.insert(m.ibge, (m.clone(), position));
            }
            Fact::IedStratum(f) => sorted_insert(
                s.strata.entry(f.ibge).or_default(),
                (f.from_parcela, f.stratum, position),
            ),
            Fact::Credentialing(f) => s.apply_credentialing(f, position),
            Fact::CredentialingRequest(f) => s.apply_credentialing_request(params, f, position),
            Fact::Homologation(f) => {
                let entry = HomologationEntry {
                    ibge: f.ibge,
                    cnes: f.cnes,
                    team_type: f.team_type,
                    from: f.from_parcela,
                    position,
                };
                s.homologations.entry(f.ine).or_default().push(entry);
                s.homologated.insert(f.ine.get());
            }
            Fact::HomologationCancelled(f) => s
                .cancellations
                .entry(f.ine)
                .or_default()
                .push((f.from_parcela, position)),
            Fact::ScnesTeam(f) => apply_scnes(s, f, position),
            Fact::ScnesClosed(f) => {
                s.closed.entry(f.competencia).or_insert(position);
            }
            Fact::SisabProduction(f) => apply_sisab(s, f, position),
            Fact::Classification(f) => apply_classification(s, f, position),
            Fact::ControlBodySuspension(f) => {
                sorted_insert(
                    s.control.entry(f.ine).or_default(),
                    (f.from_competencia, true, position),
                );
            }
            Fact::ControlBodyLifted(f) => {
                sorted_insert(
                    s.control.entry(f.ine).or_default(),
                    (f.from_competencia, false, position),
                );
            }
            Fact::HistoricalTransfer(f) => {
                let entry = s
                    .historical
                    .entry((f.ibge, f.plano, f.parcela))
                    .or_insert((Money::ZERO, Vec::new()));
                entry.0 += f.amount;
                entry.1.push(position);
            }
            Fact::AdjustmentAuthorized(f) => {
                let entry = s
                    .adjustments
                    .entry((f.ibge, f.parcela, f.plano))
                    .or_insert((Money::ZERO, Vec::new()));
                entry.0 += f.amount;
                entry.1.push(position);
            }
            Fact::ParcelaClosed(f) => {
                s.parcelas_closed.entry(f.parcela).or_insert(position);
            }
            Fact::ParameterTable(f) => {
                if let Err(error) = params.publish(f, position) {
                    let rejection = Rejection {
                        position,
                        rule: "PARAMETROS",
                        message: error.to_string(),
                    };
                    s.rejections.push(rejection);
                }
            }
            Fact::TransferExecuted(_) | Fact::PublishedStatement(_) | Fact::PublishedTeam(_) => {
                s.payments.apply(position, fact)
            }
            Fact::RetroRequest(_)
            | Fact::RetroDecision(_)
            | Fact::ParSubmitted(_)
            | Fact::ParApproved(_)
            | Fact::ParProduction(_)
            | Fact::OciCatalog(_)
            | Fact::OciProcedure(_)
            | Fact::AperfAdhesion(_)
            | Fact::AperfAdhesionDeleted(_)
            | Fact::AperfResultPublished(_)
            | Fact::AperfAdhesionSuspended(_) => {
                s.programmes.apply(position, fact, &s.parcelas_closed)
            }
        }
    }

    /// A credenciamento portaria applies as published (RULES.md §2: never trimmed by VAL.TETO).
    fn apply_credentialing(&mut self, f: &Credentialing, position: Position) {
        sorted_insert(
            self.credentials.entry((f.ibge, f.team_type)).or_default(),
            (f.from_parcela, f.quantity, position),
        );
    }

    /// VAL.TETO on a credentialing request, assessed with what the ledger knows at the request: the
    /// municipality's population, the portarias published before it, the divisors in force at its month.
    /// The first fact with an id is the request; a repeated id changes nothing.
    fn apply_credentialing_request(
        &mut self,
        params: &Params,
        f: &CredentialingRequest,
        position: Position,
    ) {
        let s = self;
        if s.credentialing_requests.contains_key(&f.id) {
            return;
        }
        let Some((municipality, _)) = s.municipalities.get(&f.ibge) else {
            s.rejections.push(Rejection {
                position,
                rule: catalog::VAL_TETO.id,
                message: format!(
                    "pedido de credenciamento {}: município {} desconhecido (fato municipality ausente)",
                    f.id, f.ibge
                ),
            });
            return;
        };
        let at = Parcela::from_ym(f.requested_on.year_month());
        let divisor = |key: &str| {
            params
                .money(crate::params::TETO, key, at)
                .map(|u| u.value.amount())
        };
        let divisors = match (
            divisor("eSF"),
            divisor("ACS.urbano"),
            divisor("ACS.rural_norte"),
        ) {
            (Some(esf), Some(acs_urban), Some(acs_rural_north))
                if [esf, acs_urban, acs_rural_north]
                    .iter()
                    .all(|d| *d > rust_decimal::Decimal::ZERO) =>
            {
                crate::law::teto::Divisors {
                    esf,
                    acs_urban,
                    acs_rural_north,
                }
            }
            _ => {
                s.rejections.push(Rejection {
                    position,
                    rule: catalog::VAL_TETO.id,
                    message: format!(
                        "pedido de credenciamento {}: a tabela VAL.TETO em {at} não tem os três divisores positivos",
                        f.id
                    ),
                });
                return;
            }
        };
        let credentialed: u32 = s
            .credentials
            .get(&(f.ibge, f.team_type))
            .map_or(0, |v| v.iter().map(|e| e.1).sum());
        let ceiling = crate::law::teto::ceiling(&divisors, municipality, f.team_type);
        let recommendation =
            crate::law::teto::recommend(ceiling.as_ref(), credentialed, f.quantity);
        let assessment = CredentialingAssessment {
            request: f.clone(),
            position,
            recommendation,
            ceiling,
            credentialed,
        };
        s.credentialing_requests.insert(f.id.clone(), assessment);
    }
}

impl CredentialingAssessment {
    /// The decision published for integrators (`decisoes.credenciamento.<uf>.<ibge>.todos`).
    pub fn decision(&self) -> repasse_proto::Decision {
        use repasse_proto::decision::CredentialingRecommended;
        let basis = match &self.ceiling {
            Some(c) => format!(
                "teto {} ({}); já credenciado {}, pedido {}",
                c.value, c.basis, self.credentialed, self.request.quantity
            ),
            None => format!(
                "sem teto populacional para {}; já credenciado {}, pedido {}",
                self.request.team_type, self.credentialed, self.request.quantity
            ),
        };
        repasse_proto::Decision::CredentialingRecommended(CredentialingRecommended {
            id: self.request.id.clone(),
            ibge: self.request.ibge,
            team_type: self.request.team_type,
            recommendation: self.recommendation.as_str().to_owned(),
            ceiling: self.ceiling.as_ref().map(|c| c.value),
            credentialed: self.credentialed,
            requested: self.request.quantity,
            basis,
            reasons: vec![catalog::VAL_TETO.id.to_owned()],
        })
    }
}

fn sorted_insert<K: Ord + Copy, A, B>(list: &mut Vec<(K, A, B)>, item: (K, A, B)) {
    let at = list.partition_point(|e| e.0 <= item.0);
    list.insert(at, item);
}

fn apply_scnes(s: &mut State, f: &ScnesTeam, position: Position) {
    let last_day = f.competencia.last_day();
    let links = f
        .professionals
        .iter()
        .map(|p| Link::of(p, last_day))
        .collect::<Vec<_>>();
    let ine = f.ine.get();
    let first = s.first_scnes.entry(ine).or_insert(f.competencia);
    *first = (*first).min(f.competencia);
    for link in &links {
        let first = s
            .agent_first
            .entry((ine, link.person))
            .or_insert(f.competencia);
        *first = (*first).min(f.competencia);
    }
    let links = match s
        .scnes
        .get(&f.competencia.pred())
        .and_then(|records| records.get(&ine))
    {
        Some(before) if *before.links == *links => Arc::clone(&before.links),
        _ => Arc::from(links),
    };
    let record = TeamRecord {
        ibge: f.ibge,
        team_type: f.team_type,
        active: f.active,
        links,
        position,
    };
    s.scnes
        .entry(f.competencia)
        .or_default()
        .insert(ine, record);
}

/// Keeps what decides whether a competência has valid production (CAL.SISAB_PRAZO, at evaluation).
fn apply_sisab(s: &mut State, f: &SisabProduction, position: Position) {
    let approved = (f.status == SisabStatus::Approved).then_some((f.received_on, position));
    let keep = |upload: &mut Upload| {
        if let Some((received, _)) = approved
            && upload
                .approved
                .is_none_or(|(earliest, _)| received < earliest)
        {
            upload.approved = approved;
        }
    };
    let fresh = Upload {
        approved: None,
        first: position,
    };
    match f.cpf {
        Some(cpf) => keep(
            s.sisab_agent
                .entry((f.ine.get(), cpf.get(), f.competencia.index()))
                .or_insert(fresh),
        ),
        None => keep(
            s.sisab
                .entry((f.ine.get(), f.competencia.index()))
                .or_insert(fresh),
        ),
    }
}

fn apply_classification(s: &mut State, f: &Classification, position: Position) {
    let entry = (f.from_parcela, f.to_parcela, f.class, position);
    s.classifications
        .entry((f.target, f.component))
        .or_default()
        .push(entry);
}

/// What the rules read of the other facts ([`crate::law::team::History`]), from the fold's indexes.
impl History for State {
    fn credentialed(&self, ibge: Ibge, t: CredentialType, p: Parcela) -> u32 {
        self.credentials
            .get(&(ibge, t))
            .map_or(0, |entries| in_force(entries, p))
    }

    fn upload(&self, ine: Ine, agent: Option<u64>, m: Competencia) -> Option<Upload> {
        match agent {
            Some(cpf) => self.sisab_agent.get(&(ine.get(), cpf, m.index())),
            None => self.sisab.get(&(ine.get(), m.index())),
        }
        .copied()
    }

    fn control(&self, ine: Ine) -> &[(Competencia, bool, Position)] {
        self.control.get(&ine).map_or(&[], Vec::as_slice)
    }

    fn agent_first(&self, ine: Ine, agent: u64) -> Option<Competencia> {
        self.agent_first.get(&(ine.get(), agent)).copied()
    }

    fn closed_at(&self, c: Competencia) -> Option<Position> {
        self.closed.get(&c).copied()
    }
}

impl State {
    /// The teams a retroactive-credit request names: its INE, or the teams homologated at its CNES in its
    /// municipality at its parcela (RETRO.FLUXO: "INE da equipe ou CNES do serviço").
    pub(crate) fn teams_named(&self, r: &repasse_proto::fact::RetroRequest) -> Vec<Ine> {
        use repasse_proto::fact::TeamRef;
        match r.target {
            TeamRef::Ine(ine) => vec![ine],
            TeamRef::Cnes(cnes) => self
                .homologations
                .iter()
                .filter(|(_, entries)| {
                    crate::law::record::homologation_at(entries, r.parcela)
                        .is_some_and(|h| h.cnes == cnes && h.ibge == r.ibge)
                })
                .map(|(ine, _)| *ine)
                .collect(),
        }
    }

    /// The team's active SCNES record in a competência, if any.
    pub(crate) fn active_record(&self, ine: u64, c: Competencia) -> Option<&TeamRecord> {
        self.scnes
            .get(&c)
            .and_then(|m| m.get(&ine))
            .filter(|r| r.active)
    }
}

/// What a municipality's credentialings of one type add up to at `p` (each portaria adds).
pub(crate) fn in_force(entries: &[Credential], p: Parcela) -> u32 {
    entries.iter().filter(|e| e.0 <= p).map(|e| e.1).sum()
}

/// Whether a fact can change a parcela's lines or statements other than through the team statuses: what the
/// payment reads from the state itself (parameters, strata, homologations, credentials, classifications,
/// adjustments, municipalities). Every fact not listed as read only through the statuses, or not at all, is.
pub(crate) fn changes_payment_directly(fact: &Fact) -> bool {
    let through_statuses_or_not_at_all = matches!(
        fact,
        Fact::ScnesTeam(_)
            | Fact::ScnesClosed(_)
            | Fact::SisabProduction(_)
            | Fact::ControlBodySuspension(_)
            | Fact::ControlBodyLifted(_)
            | Fact::HomologationCancelled(_)
            | Fact::ParcelaClosed(_)
            | Fact::HistoricalTransfer(_)
            | Fact::CredentialingRequest(_)
            | Fact::TransferExecuted(_)
            | Fact::PublishedStatement(_)
            | Fact::PublishedTeam(_)
    );
    // Of §7–9, only a retroactive credit reaches an APS statement (as an ajuste).
    let other_programme = crate::engine::programmes::is_programme_fact(fact)
        && !matches!(fact, Fact::RetroRequest(_) | Fact::RetroDecision(_));
    !through_statuses_or_not_at_all && !other_programme
}
