//! THE FOLD: `Ledger::apply` turns facts, in stream order, into state; the queries compute decisions from
//! that state on demand, through the law. The case runner, the projector and the benchmarks all go
//! through here.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use repasse_proto::fact::{Fact, Municipality};
use repasse_proto::{Competencia, Estrato, Ibge, Money, Parcela};
use rust_decimal::Decimal;

use crate::engine::ahead::Ahead;
use crate::engine::eval::{AheadSlot, Evaluations, Reach, evaluate_all};
use crate::engine::state::{CredentialingAssessment, Rejection, State, changes_payment_directly};
use crate::law::record::Position;
use crate::law::status::TeamStatus;
use crate::params::Params;

/// One parcela's entry of the national recomposition series (per municipality, the eSF/eAP efetivo and the
/// equivalent team count) and the statuses it was computed from.
pub(crate) type SeriesCache =
    BTreeMap<Parcela, (Arc<Vec<TeamStatus>>, BTreeMap<Ibge, (Money, Decimal)>)>;

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
    stale: Option<(Arc<Evaluations>, Reach)>,
    /// The national recomposition series per parcela, valid while its competência's statuses are reused.
    pub(crate) series_cache: std::sync::Mutex<SeriesCache>,
    /// The open competência evaluated ahead of its close (`work_ahead`).
    ahead: std::sync::Mutex<Option<Ahead>>,
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
        let reach = Reach::of(fact);
        if let Some(evaluations) = self.cache.take() {
            self.stale = Some((evaluations, Reach::Nothing));
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
        if changes_payment_directly(fact) {
            self.payment_epoch += 1;
        }
        self.state.apply(&mut self.params, position, fact);
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
        Arc::clone(self.cache.get_or_init(|| Arc::new(self.evaluate_all())))
    }

    fn evaluate_all(&self) -> Evaluations {
        let take = |c| self.take_ahead(c);
        let used = || {
            self.ahead_used
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let slot = AheadSlot {
            take: &take,
            used: &used,
        };
        evaluate_all(&self.state, &self.params, self.stale.as_ref(), &slot)
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
                open.refresh(&self.state, base.revoked());
            }
            _ => {
                let open = Ahead::new(
                    &self.state,
                    &self.params,
                    c,
                    Arc::clone(before),
                    previous,
                    base.revoked(),
                );
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
    pub(crate) fn take_ahead(&self, c: Competencia) -> Option<Ahead> {
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
