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

use repasse_proto::Competencia;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::eval::{Context, LinkIndex, Settings, TeamStatus, evaluate_teams, teams_in};
use crate::ledger::{Ledger, TeamRecord};

pub(crate) struct Ahead {
    pub c: Competencia,
    /// The statuses of the competência before, as they were when this was evaluated: with them, what it
    /// carries (revocations) and its link index, the teams of `c` evaluate the same.
    before: Arc<Vec<TeamStatus>>,
    previous: Arc<LinkIndex>,
    index: LinkIndex,
    /// Every team of `c`, sorted by INE, before the credential limits (`eval::limit_and_settle`).
    statuses: Vec<TeamStatus>,
    /// Teams whose record of `c` changed since `statuses`, with the record they had then.
    changed: FxHashMap<u64, Option<TeamRecord>>,
}

impl Ahead {
    /// Evaluates every team of `c` as the records now in the ledger stand.
    pub fn new(
        ledger: &Ledger,
        c: Competencia,
        before: Arc<Vec<TeamStatus>>,
        previous: Arc<LinkIndex>,
        revoked: &FxHashMap<u64, Competencia>,
    ) -> Ahead {
        let state = &ledger.state;
        let index = LinkIndex::build(state, c);
        let settings = Settings::at(&ledger.params, c);
        let ctx = Context {
            ledger,
            c,
            index: &index,
            previous: &previous,
            revoked,
            settings: &settings,
        };
        let statuses = evaluate_teams(&ctx, &teams_in(state, c));
        Ahead {
            c,
            before,
            previous,
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
    pub fn record_changes(&mut self, ine: u64, old: Option<&TeamRecord>) {
        self.changed.entry(ine).or_insert_with(|| old.cloned());
    }

    pub fn is_current(&self) -> bool {
        self.changed.is_empty()
    }

    /// Brings the statuses up to the records now in the ledger: the link index by the changed records'
    /// deltas, then the changed teams and their neighbours evaluated again.
    pub fn refresh(&mut self, ledger: &Ledger, revoked: &FxHashMap<u64, Competencia>) {
        if self.changed.is_empty() {
            return;
        }
        let state = &ledger.state;
        let changed = std::mem::take(&mut self.changed);
        let records = state.scnes.get(&self.c);
        let mut touched: FxHashSet<u64> = FxHashSet::default();
        let mut exact = true;
        for (ine, old) in &changed {
            let homologated = state.homologated.contains(ine);
            let new = records.and_then(|r| r.get(ine));
            for (record, add) in [(old.as_ref(), false), (new, true)] {
                let Some(record) = record else { continue };
                touched.extend(record.links.iter().map(|l| l.cpf));
                exact = exact && self.index.account(record, homologated, add);
            }
        }
        if !exact {
            self.index = LinkIndex::build(state, self.c);
        }
        let settings = Settings::at(&ledger.params, self.c);
        let ctx = Context {
            ledger,
            c: self.c,
            index: &self.index,
            previous: &self.previous,
            revoked,
            settings: &settings,
        };
        let teams = teams_in(state, self.c);
        let mut old = std::mem::take(&mut self.statuses).into_iter().peekable();
        let mut kept: Vec<Option<TeamStatus>> = Vec::with_capacity(teams.len());
        let mut again = Vec::new();
        for &(ine, entries) in &teams {
            while old.next_if(|s| s.ine < *ine).is_some() {}
            let before = old.next_if(|s| s.ine == *ine);
            let raw = ine.get();
            let dirty = changed.contains_key(&raw)
                || records
                    .and_then(|r| r.get(&raw))
                    .is_some_and(|r| r.links.iter().any(|l| touched.contains(&l.cpf)));
            match before {
                Some(status) if !dirty => kept.push(Some(status)),
                _ => {
                    kept.push(None);
                    again.push((ine, entries));
                }
            }
        }
        let mut fresh = evaluate_teams(&ctx, &again).into_iter();
        self.statuses = kept
            .into_iter()
            .map(|s| {
                s.unwrap_or_else(|| fresh.next().expect("one status per team evaluated again"))
            })
            .collect();
        assert!(
            fresh.next().is_none(),
            "every team evaluated again is placed"
        );
    }

    /// The link index of `c` and the statuses of its teams before the credential limits, current.
    pub fn finish(
        mut self,
        ledger: &Ledger,
        revoked: &FxHashMap<u64, Competencia>,
    ) -> (LinkIndex, Vec<TeamStatus>) {
        self.refresh(ledger, revoked);
        (self.index, self.statuses)
    }
}
