//! What the rules read of the facts, in the shape they read it: a team's SCNES record, its homologations,
//! its SISAB uploads. The engine's fold keeps these; the plain evaluator builds them its own way.

use std::sync::Arc;

use repasse_proto::{Date, Ibge, Parcela, ScnesTeamType, TeamType};
use rustc_hash::FxHashMap;

use crate::category::{Categories, Category};

/// A fact's position in the fact stream: what an explanation cites.
pub type Position = u64;

/// A professional link in a team's SCNES record, compact for national scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The person key: the CPF, or the CNS where the source masks the CPF (`Professional::person`).
    pub person: u64,
    /// The category is resolved at evaluation time, from the CBO table in force (`params::CBO`).
    pub cbo: u32,
    pub hours: u8,
    /// Linked on the competência's last day (no desligamento on or before it).
    pub present: bool,
}

impl Link {
    /// A professional of a `scnes_team` fact of a competência whose last day is `last_day`.
    pub fn of(p: &repasse_proto::fact::Professional, last_day: Date) -> Link {
        Link {
            person: p.person(),
            cbo: p.cbo.get(),
            hours: p.hours,
            present: p.left_on.is_none_or(|left| left > last_day),
        }
    }
}

/// A team's SCNES record of one competência.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRecord {
    pub ibge: Ibge,
    /// As SCNES states it; the rules apply `ScnesTeamType::resolve` with the homologated type.
    pub team_type: ScnesTeamType,
    pub active: bool,
    /// Shared with the team's record of the competência before when equal: SCNES repeats a stable
    /// team month after month, and at national scale the repeated lists were most of the fold's memory.
    pub links: Arc<[Link]>,
    pub position: Position,
}

impl TeamRecord {
    /// RULES.md §3: the categories with at least one professional present on the competência's last day.
    pub fn present_categories(&self, categories: &FxHashMap<u32, Category>) -> Categories {
        self.links
            .iter()
            .filter(|l| l.present)
            .filter_map(|l| categories.get(&l.cbo).copied())
            .fold(Categories::default(), Categories::with)
    }
}

/// A homologation portaria of the team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HomologationEntry {
    pub ibge: Ibge,
    /// The establishment named by the portaria (a retroactive-credit request may name it instead of the INE).
    pub cnes: repasse_proto::Cnes,
    pub team_type: TeamType,
    pub from: Parcela,
    pub position: Position,
}

/// The homologation in force at `p`: the latest with effect on or before it.
pub fn homologation_at(entries: &[HomologationEntry], p: Parcela) -> Option<&HomologationEntry> {
    entries
        .iter()
        .filter(|e| e.from <= p)
        .max_by_key(|e| (e.from, e.position))
}

/// What counts of a competência's SISAB uploads: the earliest approved one (an earlier upload is on time
/// whenever a later one is) and the first of any status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upload {
    pub approved: Option<(Date, Position)>,
    pub first: Position,
}

impl Upload {
    /// CAL.SISAB_PRAZO: approved and received by the deadline.
    pub fn valid_by(&self, deadline: Date) -> Option<Position> {
        self.approved
            .filter(|(received, _)| *received <= deadline)
            .map(|(_, position)| position)
    }
}
