//! The open competência evaluated ahead of its close. A competência's SCNES records arrive for weeks before
//! its `scnes_closed`; while the projector is idle it evaluates the teams as they stand and keeps that
//! evaluation current team by team (`Ledger::work_ahead`). At the close only the teams whose record changed
//! since, and those sharing a professional with one of them, are evaluated again: SUSP.100.CARGA_60H and
//! SUSP.50.DUPLICIDADE read each professional's hours and homologated teams summed over every team, and
//! nothing else a team's evaluation reads belongs to another team. The close then costs what arrived last,
//! not the nation.
//!
//! Valid only while nothing else reaches the competência: `Ledger::apply` drops it on any fact whose reach
//! (`Reach::of`) includes it, other than the competência's own SCNES records and its close; and it is used
//! only after the statuses and link index of the competência before that it was evaluated after.

use std::sync::Arc;

use repasse_proto::{Competencia, Ine};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::engine::state::State;
use crate::engine::teams::{Context, LinkIndex, evaluate_teams, share_agents, teams_in};
use crate::law::links::read_by_rules;
use crate::law::record::TeamRecord;
use crate::law::settings::Settings;
use crate::law::status::TeamStatus;
use crate::params::Params;

pub(crate) struct Ahead {
    pub c: Competencia,
    /// The statuses of the competência before, as they were when this was evaluated: with them, what it
    /// carries (revocations) and its link index, the teams of `c` evaluate the same.
    before: Arc<Vec<TeamStatus>>,
    previous: Arc<LinkIndex>,
    /// The parameters in force for `c` (a new parameter table reaches every competência: it drops this).
    settings: Settings,
    index: LinkIndex,
    /// Every team of `c`, sorted by INE, before the credential limits (`teams::limit_and_settle`).
    statuses: Vec<TeamStatus>,
    /// Teams whose record of `c` changed since `statuses`, with the record they had then.
    changed: FxHashMap<Ine, Option<TeamRecord>>,
}

impl Ahead {
    /// Evaluates every team of `c` as the records now in the ledger stand.
    pub fn new(
        state: &State,
        params: &Params,
        c: Competencia,
        before: Arc<Vec<TeamStatus>>,
        previous: Arc<LinkIndex>,
        revoked: &FxHashMap<u64, Competencia>,
    ) -> Ahead {
        let index = LinkIndex::build(state, c);
        let settings = Settings::at(params, c);
        let ctx = Context {
            state,
            c,
            index: &index,
            previous: &previous,
            revoked,
            settings: &settings,
        };
        let mut statuses = evaluate_teams(&ctx, &teams_in(state, c));
        // Done here rather than at the close (`teams::share_agents` there then finds them shared).
        share_agents(&mut statuses, &before);
        Ahead {
            c,
            before,
            previous,
            settings,
            index,
            statuses,
            changed: FxHashMap::default(),
        }
    }

    /// Whether this was evaluated after `before`, with `previous` as the link index of the competência
    /// before: only then does it hold for the competência's close.
    pub fn follows(&self, before: &Arc<Vec<TeamStatus>>, previous: &Arc<LinkIndex>) -> bool {
        Arc::ptr_eq(&self.before, before) && Arc::ptr_eq(&self.previous, previous)
    }

    /// Notes, before a record of `c` replaces it, the record the team had (the first time only: the
    /// evaluation holds for that one).
    pub fn record_changes(&mut self, ine: Ine, old: Option<&TeamRecord>) {
        self.changed.entry(ine).or_insert_with(|| old.cloned());
    }

    pub fn is_current(&self) -> bool {
        self.changed.is_empty()
    }

    /// Brings the statuses up to the records now in the ledger: the link index by the changed records'
    /// deltas, then the changed teams evaluated again, with the teams of any professional whose sums now
    /// read differently to the rules (`law::links::read_by_rules`: rarely any). Costs what changed, not the
    /// competência.
    pub fn refresh(&mut self, state: &State, revoked: &FxHashMap<u64, Competencia>) {
        if self.changed.is_empty() {
            return;
        }
        let c = self.c;
        let changed = std::mem::take(&mut self.changed);
        let records = state.scnes.get(&c);
        let settings = &self.settings;
        // What the rules read for each professional of a changed record, before the deltas.
        let mut read_before: FxHashMap<u64, (bool, bool)> = FxHashMap::default();
        for (ine, old) in &changed {
            let new = records.and_then(|r| r.get(&ine.get()));
            for record in [old.as_ref(), new].into_iter().flatten() {
                for link in record.links.iter() {
                    read_before
                        .entry(link.person)
                        .or_insert_with(|| read_by_rules(&self.index, link.person, settings));
                }
            }
        }
        let mut exact = true;
        for (ine, old) in &changed {
            let homologated = state.homologated.contains(&ine.get());
            let new = records.and_then(|r| r.get(&ine.get()));
            for (record, add) in [(old.as_ref(), false), (new, true)] {
                if let Some(record) = record {
                    exact = exact && self.index.account(record, homologated, add);
                }
            }
        }
        if !exact {
            self.index = LinkIndex::build(state, c);
        }
        let flipped: FxHashSet<u64> = read_before
            .into_iter()
            .filter(|(cpf, before)| !exact || *before != read_by_rules(&self.index, *cpf, settings))
            .map(|(cpf, _)| cpf)
            .collect();
        // A team of `c`: homologated and seen in SCNES by `c` (`teams::teams_in`).
        let team = |ine: Ine| {
            let seen = state
                .first_scnes
                .get(&ine.get())
                .is_some_and(|first| *first <= c);
            state.homologations.get_key_value(&ine).filter(|_| seen)
        };
        let mut again: std::collections::BTreeSet<Ine> = changed.keys().copied().collect();
        if !flipped.is_empty() {
            for (ine, record) in records.into_iter().flatten() {
                if record.links.iter().any(|l| flipped.contains(&l.person)) {
                    // The records' keys are INEs.
                    again.insert(Ine::from_number(*ine).expect("an INE"));
                }
            }
        }
        let again: Vec<_> = again.into_iter().filter_map(team).collect();
        let ctx = Context {
            state,
            c,
            index: &self.index,
            previous: &self.previous,
            revoked,
            settings,
        };
        // `again` is in INE order, and so are the statuses evaluated from it.
        let mut fresh = evaluate_teams(&ctx, &again);
        share_agents(&mut fresh, &self.before);
        let mut new_teams = Vec::new();
        for status in fresh {
            match self.statuses.binary_search_by_key(&status.ine, |s| s.ine) {
                Ok(i) => self.statuses[i] = status,
                Err(_) => new_teams.push(status),
            }
        }
        if !new_teams.is_empty() {
            self.statuses.extend(new_teams);
            self.statuses.sort_by_key(|s| s.ine);
        }
    }

    /// The link index of `c` and the statuses of its teams before the credential limits, current.
    pub fn finish(
        mut self,
        state: &State,
        revoked: &FxHashMap<u64, Competencia>,
    ) -> (LinkIndex, Vec<TeamStatus>) {
        self.refresh(state, revoked);
        (self.index, self.statuses)
    }
}
