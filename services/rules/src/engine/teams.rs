//! One competência's teams evaluated by the law ([`crate::law::team::evaluate_team`]) over the fold's state:
//! the view of each team, the national link index the rules read across teams through, the credential
//! limits, and the teams split over the cores.

use std::sync::Arc;

use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela, TeamType};
use rustc_hash::FxHashMap;

use crate::catalog;
use crate::engine::state::State;
use crate::law::record::{HomologationEntry, Position, TeamRecord, homologation_at};
use crate::law::settings::Settings;
use crate::law::status::{Check, TeamStatus};
use crate::law::team::{Inputs, Professionals, TeamView};
use crate::law::validity;

/// Per-competência index over every SCNES link: weekly hours summed over all teams, and how many
/// homologated teams the person is linked to.
#[derive(Default)]
pub(crate) struct LinkIndex {
    by_cpf: FxHashMap<u64, (u16, u8)>,
}

impl Professionals for LinkIndex {
    fn weekly_hours(&self, person: u64) -> u16 {
        self.by_cpf.get(&person).map_or(0, |e| e.0)
    }
    fn homologated_teams(&self, person: u64) -> u8 {
        self.by_cpf.get(&person).map_or(0, |e| e.1)
    }
}

impl LinkIndex {
    pub(crate) fn build(state: &State, c: Competencia) -> LinkIndex {
        let mut by_cpf: FxHashMap<u64, (u16, u8)> = FxHashMap::default();
        if let Some(records) = state.scnes.get(&c) {
            by_cpf.reserve(records.len() * 8);
            for (ine, record) in records.iter().filter(|(_, r)| r.active) {
                let homologated = state.homologated.contains(ine);
                for link in record.links.iter().filter(|l| l.present) {
                    let entry = by_cpf.entry(link.person).or_default();
                    entry.0 = entry.0.saturating_add(u16::from(link.hours));
                    entry.1 = entry.1.saturating_add(u8::from(homologated));
                }
            }
        }
        LinkIndex { by_cpf }
    }

    /// Takes one team's record out of the index (`add` false) or puts it in: what the record added to
    /// `build`'s sums. `false` when a sum is saturated, so the delta cannot be undone exactly: build again.
    pub(crate) fn account(&mut self, record: &TeamRecord, homologated: bool, add: bool) -> bool {
        if !record.active {
            return true;
        }
        for link in record.links.iter().filter(|l| l.present) {
            let entry = self.by_cpf.entry(link.person).or_default();
            if entry.0 == u16::MAX || entry.1 == u8::MAX {
                return false;
            }
            let (hours, teams) = (u16::from(link.hours), u8::from(homologated));
            if add {
                entry.0 = entry.0.saturating_add(hours);
                entry.1 = entry.1.saturating_add(teams);
            } else {
                entry.0 = entry
                    .0
                    .checked_sub(hours)
                    .expect("the record was in the index");
                entry.1 = entry
                    .1
                    .checked_sub(teams)
                    .expect("the record was in the index");
            }
        }
        true
    }
}

/// What evaluating one competência needs besides each team.
pub(crate) struct Context<'a> {
    pub state: &'a State,
    pub c: Competencia,
    pub index: &'a LinkIndex,
    pub previous: &'a LinkIndex,
    pub revoked: &'a FxHashMap<u64, Competencia>,
    pub settings: &'a Settings,
}

impl<'a> Context<'a> {
    /// `indexes`: the link index of `c` and of the competência before.
    pub fn of(
        state: &'a State,
        c: Competencia,
        indexes: (&'a LinkIndex, &'a LinkIndex),
        revoked: &'a FxHashMap<u64, Competencia>,
        settings: &'a Settings,
    ) -> Context<'a> {
        Context {
            state,
            c,
            index: indexes.0,
            previous: indexes.1,
            revoked,
            settings,
        }
    }
}

/// The law's evaluation of one team, over its view of the state.
pub(crate) fn evaluate_team(
    ctx: &Context<'_>,
    ine: Ine,
    entries: &[HomologationEntry],
    trace: Option<&mut Vec<Check>>,
) -> TeamStatus {
    let state = ctx.state;
    let c = ctx.c;
    let view = TeamView {
        ine,
        c,
        homologations: entries,
        cancellations: state.cancellations.get(&ine).map_or(&[], Vec::as_slice),
        record: state.active_record(ine.get(), c),
        prior: state.active_record(ine.get(), c.pred()),
        first_scnes: state.first_scnes[&ine.get()],
        revoked_at: ctx.revoked.get(&ine.get()).copied(),
    };
    let inputs = Inputs {
        history: state,
        current: ctx.index,
        previous: ctx.previous,
        settings: ctx.settings,
    };
    crate::law::team::evaluate_team(&inputs, &view, trace)
}

/// Below this many teams a competência is evaluated on the calling thread: threads cost more than they save.
const PARALLEL_FROM: usize = 4_096;

/// `evaluate_team` over `teams`, in their order, on the available cores: each team's evaluation reads the
/// state and the shared indexes only, so the teams are independent.
pub(crate) fn evaluate_teams(
    ctx: &Context<'_>,
    teams: &[(&Ine, &Vec<HomologationEntry>)],
) -> Vec<TeamStatus> {
    crate::engine::parallel::in_parallel(teams, PARALLEL_FROM, |(ine, entries)| {
        evaluate_team(ctx, **ine, entries, None)
    })
}

/// Every homologated team known in SCNES by competência `c`, sorted by INE.
pub(crate) fn teams_in(state: &State, c: Competencia) -> Vec<(&Ine, &Vec<HomologationEntry>)> {
    state
        .homologations
        .iter()
        .filter(|(ine, _)| {
            state
                .first_scnes
                .get(&ine.get())
                .is_some_and(|first| *first <= c)
        })
        .collect()
}

/// Points each status's agent list at the equal one of the competência before (both sorted by INE): the
/// evaluations keep a status per team per competência, and a team's agents rarely change.
pub(crate) fn share_agents(statuses: &mut [TeamStatus], before: &[TeamStatus]) {
    assert!(
        statuses.is_sorted_by_key(|s| s.ine) && before.is_sorted_by_key(|s| s.ine),
        "statuses are in INE order"
    );
    let mut before = before.iter().peekable();
    for status in statuses.iter_mut() {
        while before.next_if(|b| b.ine < status.ine).is_some() {}
        if let Some(b) = before.next_if(|b| b.ine == status.ine)
            && b.agents == status.agents
        {
            status.agents = Arc::clone(&b.agents);
        }
    }
}

/// What follows the teams' own evaluations: the municipality's credentialed quantity (VAL.CREDENCIADA), and
/// no suspension on a team that is not payable.
pub(crate) fn limit_and_settle(
    ctx: &Context<'_>,
    mut statuses: Vec<TeamStatus>,
) -> Vec<TeamStatus> {
    apply_credential_limits(ctx, &mut statuses);
    statuses.iter_mut().for_each(validity::settle);
    statuses
}

/// VAL.CREDENCIADA over each municipality's payable teams of a type (`validity::beyond_credentialed`).
fn apply_credential_limits(ctx: &Context<'_>, statuses: &mut [TeamStatus]) {
    let state = ctx.state;
    let p = ctx.c.parcela();
    // Per municipality and type: (homologated from, position, index into statuses). Groups are
    // independent, so a hash map serves; the statuses and the homologations are both in INE order, so
    // they are walked together rather than looked up one by one (100,000 teams at each close).
    type Members = Vec<(Parcela, Position, usize)>;
    assert!(
        statuses.is_sorted_by_key(|s| s.ine),
        "statuses are evaluated in INE order"
    );
    let mut groups: FxHashMap<(Ibge, TeamType), Members> = FxHashMap::default();
    let mut homologations = state.homologations.iter().peekable();
    for (i, status) in statuses.iter().enumerate() {
        while homologations
            .next_if(|(ine, _)| **ine < status.ine)
            .is_some()
        {}
        if !status.payable {
            continue;
        }
        let entries = homologations
            .peek()
            .filter(|(ine, _)| **ine == status.ine)
            .map(|(_, entries)| *entries)
            .expect("payable teams are homologated");
        let h = homologation_at(entries, p).expect("payable teams are homologated");
        groups
            .entry((status.ibge, status.team_type))
            .or_default()
            .push((h.from, h.position, i));
    }
    // In key order, to walk the credentials (keyed by municipality, then type) alongside.
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|(key, _)| *key);
    let mut credentials = state.credentials.iter().peekable();
    for ((ibge, team_type), members) in groups {
        let key = (ibge, CredentialType::Team(team_type));
        while credentials.next_if(|(k, _)| **k < key).is_some() {}
        let quantity = credentials
            .peek()
            .filter(|(k, _)| **k == key)
            .map_or(0, |(_, entries)| crate::engine::state::in_force(entries, p));
        for i in validity::beyond_credentialed(members, quantity) {
            statuses[i].payable = false;
            statuses[i].not_valid.insert(catalog::VAL_CREDENCIADA.key);
        }
    }
}
