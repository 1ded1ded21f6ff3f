//! Every closed competência evaluated in order (revocation depends on the competências before), and again
//! only from the first competência the facts applied since can reach: the evaluations of the history
//! that the engine keeps between decision points.

use std::collections::BTreeMap;
use std::sync::Arc;

use repasse_proto::{Competencia, Fact, Ine};
use rustc_hash::FxHashMap;

use crate::engine::ahead::Ahead;
use crate::engine::programmes::is_programme_fact;
use crate::engine::state::State;
use crate::engine::teams::{
    Context, LinkIndex, evaluate_teams, limit_and_settle, share_agents, teams_in,
};
use crate::law::revocation;
use crate::law::settings::Settings;
use crate::law::status::TeamStatus;

pub struct Evaluations {
    /// Shared, so that a re-evaluation reuses the competências the new facts cannot reach.
    pub by_competencia: BTreeMap<Competencia, Arc<Vec<TeamStatus>>>,
    /// What the last competência carries to the next: the next evaluation, when the new facts reach
    /// nothing evaluated, starts from it instead of walking every status of the history again.
    carried: Arc<Carried>,
    /// What the competências before the last one carry to it: when the new facts reach only the last
    /// (a SISAB upload of the competência just closed, the usual case), it alone is evaluated again.
    carried_before_last: Arc<Carried>,
    /// The link indexes of the last competência and of the one before it, for the next evaluation to
    /// start from instead of building them again (~800,000 links each at national scale).
    indexes: Option<(Competencia, LinkIndexPair)>,
}

impl Evaluations {
    /// The first competência in which each team was payable.
    pub fn first_payable(&self, ine: Ine) -> Option<Competencia> {
        self.carried.first_payable.get(&ine.get()).copied()
    }

    /// Teams revoked (SUSP.REVOGACAO) up to the last competência, with the competência of the revocation.
    pub(crate) fn revoked(&self) -> &FxHashMap<u64, Competencia> {
        &self.carried.revoked
    }

    /// The link index of `c`: the one kept when `c` is the last competência, else built.
    pub(crate) fn index_of(&self, state: &State, c: Competencia) -> Arc<LinkIndex> {
        match &self.indexes {
            Some((kept, pair)) if *kept == c => Arc::clone(&pair.current),
            _ => Arc::new(LinkIndex::build(state, c)),
        }
    }
}

/// The indexes of a competência and of the one before it.
#[derive(Clone)]
pub(crate) struct LinkIndexPair {
    pub current: Arc<LinkIndex>,
    pub previous: Arc<LinkIndex>,
}

impl LinkIndexPair {
    /// Those `evaluations` keep when `c` is their last competência (`evaluations` must be of the current
    /// state), else built.
    pub fn of(evaluations: &Evaluations, state: &State, c: Competencia) -> LinkIndexPair {
        match &evaluations.indexes {
            Some((kept, pair)) if *kept == c => pair.clone(),
            _ => LinkIndexPair {
                current: Arc::new(LinkIndex::build(state, c)),
                previous: Arc::new(LinkIndex::build(state, c.pred())),
            },
        }
    }
}

/// How far back a fact can change the evaluations: the first competência it can affect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    Nothing,
    From(Competencia),
    Everything,
}

impl Reach {
    /// Conservative by construction: a fact the evaluation does not read reaches nothing; one whose
    /// effect starts at a competência or parcela reaches from there; anything else (parameters,
    /// municipalities, strata, homologations, classifications) reaches everything.
    pub(crate) fn of(fact: &Fact) -> Reach {
        match fact {
            Fact::ScnesTeam(f) => Reach::From(f.competencia),
            Fact::ScnesClosed(f) => Reach::From(f.competencia),
            Fact::SisabProduction(f) => Reach::From(f.competencia),
            Fact::ControlBodySuspension(f) => Reach::From(f.from_competencia),
            Fact::ControlBodyLifted(f) => Reach::From(f.from_competencia),
            // In force for the competências whose parcela is on or after `from_parcela`.
            Fact::Credentialing(f) => Reach::From(f.from_parcela.competencia()),
            Fact::HomologationCancelled(f) => Reach::From(f.from_parcela.competencia()),
            // Read only by the payment and recomposition queries, never by the evaluation.
            Fact::HistoricalTransfer(_)
            | Fact::AdjustmentAuthorized(_)
            | Fact::ParcelaClosed(_)
            | Fact::CredentialingRequest(_)
            | Fact::TransferExecuted(_)
            | Fact::PublishedStatement(_)
            | Fact::PublishedTeam(_) => Reach::Nothing,
            // §7–9: read by their own queries; a `deferido` changes statements, never an evaluation.
            f if is_programme_fact(f) => Reach::Nothing,
            _ => Reach::Everything,
        }
    }

    pub(crate) fn widen(&mut self, other: Reach) {
        *self = match (*self, other) {
            (Reach::Everything, _) | (_, Reach::Everything) => Reach::Everything,
            (Reach::Nothing, x) | (x, Reach::Nothing) => x,
            (Reach::From(a), Reach::From(b)) => Reach::From(a.min(b)),
        };
    }

    pub(crate) fn reaches(self, c: Competencia) -> bool {
        match self {
            Reach::Nothing => false,
            Reach::From(from) => c >= from,
            Reach::Everything => true,
        }
    }
}

/// What one competência's evaluation carries to the next: first payable competência per team, runs of
/// irregular competências (SUSP.REVOGACAO) and revocations.
#[derive(Clone, Default)]
struct Carried {
    first_payable: FxHashMap<u64, Competencia>,
    irregular_run: FxHashMap<u64, revocation::Run>,
    revoked: FxHashMap<u64, Competencia>,
}

impl Carried {
    /// Books one status of competência `c`; returns the team's run of irregular ones (SUSP.REVOGACAO).
    fn advance(&mut self, c: Competencia, status: &TeamStatus) -> revocation::Run {
        let ine = status.ine.get();
        if status.payable {
            self.first_payable.entry(ine).or_insert(c);
        }
        let run = revocation::next_run(self.irregular_run.get(&ine).copied(), c, status);
        self.irregular_run.insert(ine, run);
        run
    }

    fn revoke(&mut self, c: Competencia, ine: u64) {
        self.revoked.insert(ine, c);
        self.irregular_run.insert(ine, (0, c));
    }
}

/// Where `evaluate_all` finds the competência evaluated ahead of its close (`take`), and what it tells
/// when it used it (`used`).
pub(crate) struct AheadSlot<'a> {
    pub take: &'a dyn Fn(Competencia) -> Option<Ahead>,
    pub used: &'a dyn Fn(),
}

/// What an evaluation takes as it was from the stale evaluations, and where it resumes.
#[derive(Default)]
struct Start {
    by_competencia: BTreeMap<Competencia, Arc<Vec<TeamStatus>>>,
    carried: Carried,
    /// What `carried` was cloned from, while it is unchanged: shared rather than cloned again.
    unchanged_from: Option<Arc<Carried>>,
    carried_before_last: Arc<Carried>,
    resume_after: Option<Competencia>,
    indexes: Option<(Competencia, LinkIndexPair)>,
    previous: Option<(Competencia, Arc<LinkIndex>)>,
}

/// The usual decision point: a competência closes after every one evaluated, and nothing since reaches
/// back: take them all as they were, with what the last one carries. Or only the last is reached: take
/// everything before it, with what it carried to the last.
fn start_from(stale: Option<&(Arc<Evaluations>, Reach)>) -> Start {
    let mut start = Start::default();
    let Some((old, reach)) = stale else {
        return start;
    };
    let Some((&last, _)) = old.by_competencia.last_key_value() else {
        return start;
    };
    if !reach.reaches(last) {
        start.by_competencia.clone_from(&old.by_competencia);
        start.carried = (*old.carried).clone();
        start.unchanged_from = Some(Arc::clone(&old.carried));
        start.carried_before_last = Arc::clone(&old.carried_before_last);
        start.resume_after = Some(last);
        // Nothing applied since reaches `last`: its records, hence its index, are as they were.
        start.indexes = old.indexes.clone().filter(|(kept, _)| *kept == last);
        start.previous = start
            .indexes
            .as_ref()
            .map(|(kept, pair)| (*kept, Arc::clone(&pair.current)));
    } else if !reach.reaches(last.pred()) {
        start.by_competencia.clone_from(&old.by_competencia);
        start.by_competencia.remove(&last);
        start.carried = (*old.carried_before_last).clone();
        start.unchanged_from = Some(Arc::clone(&old.carried_before_last));
        start.resume_after = Some(last.pred());
        start.previous = old
            .indexes
            .as_ref()
            .filter(|(kept, _)| *kept == last)
            .map(|(_, pair)| (last.pred(), Arc::clone(&pair.previous)));
    }
    start
}

/// Every closed competência, in order. With `stale` (the previous evaluations and how far back the facts
/// applied since reach), the competências before the first one reached are taken as they were and only
/// the rest is evaluated again; the result is the same as from scratch (tested against it).
pub(crate) fn evaluate_all(
    state: &State,
    params: &crate::params::Params,
    stale: Option<&(Arc<Evaluations>, Reach)>,
    slot: &AheadSlot<'_>,
) -> Evaluations {
    let Start {
        mut by_competencia,
        mut carried,
        mut unchanged_from,
        mut carried_before_last,
        resume_after,
        mut indexes,
        mut previous,
    } = start_from(stale);
    let mut reusing = stale.is_some();
    let last_closed = state.closed.keys().next_back().copied();
    for &c in state.closed.keys() {
        if resume_after.is_some_and(|after| c <= after) {
            continue;
        }
        if Some(c) == last_closed {
            carried_before_last = unchanged_from
                .clone()
                .unwrap_or_else(|| Arc::new(carried.clone()));
        }
        if reusing
            && let Some((old, reach)) = stale
            && !reach.reaches(c)
            && let Some(statuses) = old.by_competencia.get(&c)
        {
            unchanged_from = None;
            for status in statuses.iter() {
                carried.advance(c, status);
                if status.revoked_now {
                    carried.revoke(c, status.ine.get());
                }
            }
            by_competencia.insert(c, Arc::clone(statuses));
            continue;
        }
        reusing = false;
        unchanged_from = None;
        let prior = match previous.take() {
            Some((pc, idx)) if pc == c.pred() => idx,
            _ => Arc::new(LinkIndex::build(state, c.pred())),
        };
        let settings = Settings::at(params, c);
        let before = by_competencia.get(&c.pred());
        let (index, statuses) =
            evaluate_one(state, c, &settings, &prior, &mut carried, before, slot);
        by_competencia.insert(c, Arc::new(statuses));
        let pair = LinkIndexPair {
            current: Arc::clone(&index),
            previous: prior,
        };
        indexes = Some((c, pair));
        previous = Some((c, index));
    }
    Evaluations {
        by_competencia,
        carried: unchanged_from.unwrap_or_else(|| Arc::new(carried)),
        carried_before_last,
        indexes,
    }
}

/// One competência evaluated again: from the evaluation ahead of its close when it followed `before` (the
/// statuses of C − 1) and `prior` (its link index), else every team; then the credential limits and what
/// it carries to the next (revocations).
fn evaluate_one(
    state: &State,
    c: Competencia,
    settings: &Settings,
    prior: &Arc<LinkIndex>,
    carried: &mut Carried,
    before: Option<&Arc<Vec<TeamStatus>>>,
    slot: &AheadSlot<'_>,
) -> (Arc<LinkIndex>, Vec<TeamStatus>) {
    let ahead = (slot.take)(c).filter(|a| before.is_some_and(|b| a.follows(b, prior)));
    let (index, teams) = match ahead {
        Some(open) => {
            (slot.used)();
            open.finish(state, &carried.revoked)
        }
        None => {
            let index = LinkIndex::build(state, c);
            let ctx = Context::of(state, c, (&index, prior), &carried.revoked, settings);
            let teams = evaluate_teams(&ctx, &teams_in(state, c));
            (index, teams)
        }
    };
    let index = Arc::new(index);
    let ctx = Context::of(state, c, (&index, prior), &carried.revoked, settings);
    let mut statuses = limit_and_settle(&ctx, teams);
    for status in &mut statuses {
        if revocation::revokes(carried.advance(c, status), settings.revocation_months) {
            status.revoked_now = true;
            carried.revoke(c, status.ine.get());
        }
    }
    if let Some(before) = before {
        share_agents(&mut statuses, before);
    }
    (index, statuses)
}
