//! THE FOLD: `Ledger::apply` turns facts, in stream order, into state; the queries compute decisions from
//! that state on demand. The case runner, the projector and the benchmarks all go through here.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use repasse_proto::QualityComponent;

use repasse_proto::fact::{
    Classification, ClassificationTarget, Credentialing, CredentialingRequest, Fact, Municipality,
    ScnesTeam, SisabProduction, SisabStatus,
};
use repasse_proto::{
    Competencia, CredentialType, Estrato, Ibge, Ine, Money, Parcela, Plano, TeamType,
};
use rustc_hash::FxHashMap;

use crate::catalog;
use crate::category::{Categories, Category};
use crate::eval::Evaluations;
use crate::params::{self, Params};

/// A fact's position in the fact stream.
pub type Position = u64;

/// A professional link in a team's SCNES record, compact for national scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub cpf: u64,
    /// The category is resolved at evaluation time, from the CBO table in force (`params::CBO`).
    pub cbo: u32,
    pub hours: u8,
    /// Linked on the competência's last day (no desligamento on or before it).
    pub present: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRecord {
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub active: bool,
    /// Shared with the team's record of the competência before when equal: SCNES repeats a stable
    /// team month after month, and at national scale the repeated lists were most of the fold's memory.
    pub links: Arc<[Link]>,
    pub position: Position,
}

impl TeamRecord {
    pub fn present_categories(&self, categories: &FxHashMap<u32, Category>) -> Categories {
        self.links
            .iter()
            .filter(|l| l.present)
            .filter_map(|l| categories.get(&l.cbo).copied())
            .fold(Categories::default(), Categories::with)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HomologationEntry {
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub from: Parcela,
    pub position: Position,
}

/// What counts of a competência's SISAB uploads: the earliest approved one (an earlier upload is on time
/// whenever a later one is) and the first of any status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upload {
    pub approved: Option<(repasse_proto::Date, Position)>,
    pub first: Position,
}

impl Upload {
    /// CAL.SISAB_PRAZO: approved and received by the deadline.
    pub fn valid_by(&self, deadline: repasse_proto::Date) -> Option<Position> {
        self.approved
            .filter(|(received, _)| *received <= deadline)
            .map(|(_, position)| position)
    }
}

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

/// The folded state of the fact stream and the decisions computed from it.
#[derive(Default)]
pub struct Ledger {
    pub(crate) params: Params,
    pub(crate) state: State,
    pub(crate) last_position: Position,
    cache: OnceLock<Arc<Evaluations>>,
    /// The last evaluations computed and how far back the facts applied since can reach: the next
    /// evaluation reuses the competências before that (the projector's decision points then cost one
    /// competência, not the whole history).
    stale: Option<(Arc<Evaluations>, crate::eval::Reach)>,
    /// The national recomposition series per parcela, valid while its competência's statuses are reused.
    pub(crate) series_cache: std::sync::Mutex<crate::recomposition::SeriesCache>,
    /// The open competência evaluated ahead of its close (`work_ahead`).
    ahead: std::sync::Mutex<Option<crate::ahead::Ahead>>,
    /// Closes whose evaluation started from the one ahead (`evaluated_ahead`).
    pub(crate) ahead_used: std::sync::atomic::AtomicU64,
    /// Counts the facts that change a parcela's lines other than through the evaluations (`parcela_basis`).
    pub(crate) payment_epoch: u64,
}

impl Ledger {
    pub fn new(params: Params) -> Ledger {
        Ledger {
            params,
            ..Ledger::default()
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The last position applied.
    pub fn last_position(&self) -> Position {
        self.last_position
    }

    /// Facts refused by a rule (a request the ledger cannot assess, malformed parameter tables), in order.
    pub fn rejections(&self) -> &[Rejection] {
        &self.state.rejections
    }

    /// Applies one fact. Cheap: decisions are computed by the queries.
    pub fn apply(&mut self, position: Position, fact: &Fact) {
        debug_assert!(
            position > self.last_position,
            "facts are applied in stream order"
        );
        self.last_position = position;
        let reach = crate::eval::Reach::of(fact);
        if let Some(evaluations) = self.cache.take() {
            self.stale = Some((evaluations, crate::eval::Reach::Nothing));
        }
        if let Some((_, dirty)) = self.stale.as_mut() {
            dirty.widen(reach);
        }
        let ahead = self
            .ahead
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(open) = ahead.as_mut() {
            match fact {
                Fact::ScnesTeam(f) if f.competencia == open.c => {
                    let old = self.state.scnes.get(&open.c);
                    open.record_changes(f.ine, old.and_then(|r| r.get(&f.ine.get())));
                }
                Fact::ScnesClosed(f) if f.competencia == open.c => {}
                _ if reach.reaches(open.c) => *ahead = None,
                _ => {}
            }
        }
        if crate::pay::changes_payment_directly(fact) {
            self.payment_epoch += 1;
        }
        let s = &mut self.state;
        match fact {
            Fact::Municipality(m) => {
                s.municipalities.insert(m.ibge, (m.clone(), position));
            }
            Fact::IedStratum(f) => sorted_insert(
                s.strata.entry(f.ibge).or_default(),
                (f.from_parcela, f.stratum, position),
            ),
            Fact::Credentialing(f) => self.apply_credentialing(f, position),
            Fact::CredentialingRequest(f) => self.apply_credentialing_request(f, position),
            Fact::Homologation(f) => {
                let entry = HomologationEntry {
                    ibge: f.ibge,
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
                if let Err(error) = self.params.publish(f, position) {
                    let rejection = Rejection {
                        position,
                        rule: "PARAMETROS",
                        message: error.to_string(),
                    };
                    self.state.rejections.push(rejection);
                }
            }
            // `kept_not_folded`, listed again so that a new kind of fact fails to compile until placed.
            Fact::TransferExecuted(_)
            | Fact::RetroRequest(_)
            | Fact::RetroDecision(_)
            | Fact::ParSubmitted(_)
            | Fact::ParApproved(_)
            | Fact::ParProduction(_)
            | Fact::OciCatalog(_)
            | Fact::OciProcedure(_)
            | Fact::AperfAdhesion(_)
            | Fact::AperfAdhesionDeleted(_)
            | Fact::AperfResultPublished(_)
            | Fact::AperfAdhesionSuspended(_) => debug_assert!(kept_not_folded(fact)),
        }
    }

    /// A credenciamento portaria applies as published (RULES.md §2: never trimmed by VAL.TETO).
    fn apply_credentialing(&mut self, f: &Credentialing, position: Position) {
        sorted_insert(
            self.state
                .credentials
                .entry((f.ibge, f.team_type))
                .or_default(),
            (f.from_parcela, f.quantity, position),
        );
    }

    /// VAL.TETO on a credentialing request, assessed with what the ledger knows at the request: the
    /// municipality's population, the portarias published before it, the divisors in force at its month.
    /// The first fact with an id is the request; a repeated id changes nothing.
    fn apply_credentialing_request(&mut self, f: &CredentialingRequest, position: Position) {
        let s = &mut self.state;
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
        let at = Parcela::new(
            u16::try_from(f.requested_on.year()).unwrap_or(u16::MAX),
            f.requested_on.month(),
        )
        .expect("a date's month is a valid period");
        let divisor = |key: &str| {
            self.params
                .money(params::TETO, key, at)
                .map(|u| u.value.amount())
        };
        let divisors = match (
            divisor("eSF"),
            divisor("ACS.urbano"),
            divisor("ACS.rural_norte"),
        ) {
            (Some(esf), Some(acs_urban), Some(acs_rural_north)) => crate::law::teto::Divisors {
                esf,
                acs_urban,
                acs_rural_north,
            },
            _ => {
                s.rejections.push(Rejection {
                    position,
                    rule: catalog::VAL_TETO.id,
                    message: format!(
                        "pedido de credenciamento {}: tabela VAL.TETO sem divisores em {at}",
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

    /// Every credentialing request assessed (VAL.TETO), by id.
    pub fn credentialing_requests(&self) -> impl Iterator<Item = &CredentialingAssessment> {
        self.state.credentialing_requests.values()
    }

    /// The assessment of the request `id`, if the fact at `position` made it.
    pub fn credentialing_request_at(
        &self,
        id: &str,
        position: Position,
    ) -> Option<&CredentialingAssessment> {
        self.state
            .credentialing_requests
            .get(id)
            .filter(|a| a.position == position)
    }

    /// Computes the evaluations and the national recomposition series now, so that the next query after
    /// new facts only computes what they reach (the projector does this on start, before following).
    pub fn prepare(&self) {
        let _ = self.evaluations();
        let _ = self.recompositions();
    }

    /// All evaluations, computed once per state.
    pub(crate) fn evaluations(&self) -> Arc<Evaluations> {
        Arc::clone(
            self.cache
                .get_or_init(|| Arc::new(crate::eval::evaluate_all(self, self.stale.as_ref()))),
        )
    }

    /// Evaluations whose statuses of `c` and of every competência before it are current: the last ones
    /// computed when no fact applied since reaches `c` (a parcela closing on C − 1 while uploads of C arrive
    /// does not wait for C to be evaluated again), else all of them, computed now.
    pub(crate) fn evaluations_through(&self, c: Competencia) -> Arc<Evaluations> {
        if self.cache.get().is_none()
            && let Some((evaluations, reach)) = &self.stale
            && !reach.reaches(c)
            && evaluations.by_competencia.contains_key(&c)
        {
            return Arc::clone(evaluations);
        }
        self.evaluations()
    }

    /// Evaluates the open competência (the one after the last closed, whose SCNES records are arriving) as
    /// its records stand, or brings that evaluation up to the records applied since; `false` when there was
    /// nothing to do. Changes no decision: the competência's close evaluates the same, in less time.
    pub fn work_ahead(&self) -> bool {
        let Some(&last) = self.state.closed.keys().next_back() else {
            return false;
        };
        let c = last.succ();
        if !self.state.scnes.contains_key(&c) {
            return false;
        }
        let base = self.evaluations_through(last);
        let Some((&evaluated, before)) = base.by_competencia.last_key_value() else {
            return false;
        };
        if evaluated != last {
            return false;
        }
        let previous = base.index_of(&self.state, last);
        let mut ahead = self
            .ahead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match ahead.as_mut() {
            Some(open) if open.c == c && open.follows(before, &previous) => {
                if open.is_current() {
                    return false;
                }
                open.refresh(self, base.revoked());
            }
            _ => {
                let open =
                    crate::ahead::Ahead::new(self, c, Arc::clone(before), previous, base.revoked());
                *ahead = Some(open);
            }
        }
        true
    }

    /// How many competências' closes were evaluated from the evaluation ahead (`work_ahead`) rather than
    /// from scratch.
    pub fn evaluated_ahead(&self) -> u64 {
        self.ahead_used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The evaluation ahead of `c`'s close, if there is one (`work_ahead`).
    pub(crate) fn take_ahead(&self, c: Competencia) -> Option<crate::ahead::Ahead> {
        let mut ahead = self
            .ahead
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ahead.take_if(|a| a.c == c)
    }

    /// Whether `evaluations_through(c)` would answer without evaluating.
    pub(crate) fn is_evaluated_through(&self, c: Competencia) -> bool {
        self.cache.get().is_some()
            || self.stale.as_ref().is_some_and(|(evaluations, reach)| {
                !reach.reaches(c) && evaluations.by_competencia.contains_key(&c)
            })
    }

    /// Competências whose SCNES data is complete (`scnes_closed`), in order.
    pub fn closed_competencias(&self) -> Vec<Competencia> {
        self.state.closed.keys().copied().collect()
    }

    /// Parcelas the ledger can compute: new model, paying on a closed competência.
    pub fn parcelas(&self) -> Vec<Parcela> {
        let from = crate::calendar::novo_modelo_from();
        self.state
            .closed
            .keys()
            .map(|c| c.parcela())
            .filter(|p| *p >= from)
            .collect()
    }

    /// The position of the first `scnes_closed` of `c` (later ones change nothing).
    pub fn competencia_closed_at(&self, c: Competencia) -> Option<Position> {
        self.state.closed.get(&c).copied()
    }

    pub fn closed_parcelas(&self) -> &BTreeMap<Parcela, Position> {
        &self.state.parcelas_closed
    }

    pub fn municipality(&self, ibge: Ibge) -> Option<&Municipality> {
        self.state.municipalities.get(&ibge).map(|m| &m.0)
    }

    pub fn municipalities(&self) -> impl Iterator<Item = &Municipality> {
        self.state.municipalities.values().map(|m| &m.0)
    }

    /// The IBGE codes split in ranges of `size` known municipalities, `[from, to)` with open ends, in order:
    /// computing a parcela range by range (`parcela_where`) gives what one pass gives, since each
    /// municipality is computed whole, with less held at once.
    pub fn municipality_ranges(&self, size: usize) -> Vec<(Option<Ibge>, Option<Ibge>)> {
        assert!(size > 0, "a range holds at least one municipality");
        let mut bounds = vec![None];
        bounds.extend(
            self.state
                .municipalities
                .keys()
                .skip(size)
                .step_by(size)
                .map(|ibge| Some(*ibge)),
        );
        bounds.push(None);
        bounds.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// The IED stratum in force at a parcela (IED.ESTRATO), with the position that established it.
    pub fn stratum(&self, ibge: Ibge, at: Parcela) -> Option<(Estrato, Position)> {
        let versions = self.state.strata.get(&ibge)?;
        versions
            .iter()
            .rev()
            .find(|(from, ..)| *from <= at)
            .map(|(_, s, p)| (*s, *p))
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

/// Facts of RULES.md §7–9 (retroactive credit, AAE, training adhesion) and payments executed: kept in the
/// log, read by no rule of this fold yet (`Ledger::apply` ignores them; they reach nothing).
pub(crate) fn kept_not_folded(fact: &Fact) -> bool {
    matches!(
        fact,
        Fact::TransferExecuted(_)
            | Fact::RetroRequest(_)
            | Fact::RetroDecision(_)
            | Fact::ParSubmitted(_)
            | Fact::ParApproved(_)
            | Fact::ParProduction(_)
            | Fact::OciCatalog(_)
            | Fact::OciProcedure(_)
            | Fact::AperfAdhesion(_)
            | Fact::AperfAdhesionDeleted(_)
            | Fact::AperfResultPublished(_)
            | Fact::AperfAdhesionSuspended(_)
    )
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
        .map(|p| Link {
            cpf: p.cpf.get(),
            cbo: p.cbo.get(),
            hours: p.hours,
            present: p.left_on.is_none_or(|left| left > last_day),
        })
        .collect::<Vec<_>>();
    let ine = f.ine.get();
    let first = s.first_scnes.entry(ine).or_insert(f.competencia);
    *first = (*first).min(f.competencia);
    for link in &links {
        let first = s
            .agent_first
            .entry((ine, link.cpf))
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
