//! What the rules decided for one team in one competência, and the trace of every rule checked.

use std::sync::Arc;

use repasse_proto::{Competencia, Ibge, Ine, TeamType};

use crate::catalog::{Rule, RuleSet};
use crate::law::record::Position;

/// What the rules decided for one team in one competência.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TeamStatus {
    pub ine: Ine,
    pub ibge: Ibge,
    pub team_type: TeamType,
    pub competencia: Competencia,
    pub has_record: bool,
    pub payable: bool,
    pub suspension_pct: u8,
    /// Suspension rules that hold (listed sorted by id).
    pub reasons: RuleSet,
    /// Validity rules that failed (the team is not payable), listed sorted by id.
    pub not_valid: RuleSet,
    /// SUSP.REVOGACAO was decided in this competência.
    pub revoked_now: bool,
    /// ACS present in the team (CPF), sorted, and those under SUSP.100.ACS_SISAB.
    /// Shared with the team's status in the competência before when equal (`share_agents`).
    /// Serialized masked (`***.456.789-**`): a status is what APIs and read models show people.
    #[serde(serialize_with = "masked_cpfs")]
    pub agents: Arc<[u64]>,
    #[serde(serialize_with = "masked_cpfs")]
    pub suspended_agents: Box<[u64]>,
}

fn masked_cpfs<S: serde::Serializer>(cpfs: &[u64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        cpfs.iter()
            .map(|cpf| repasse_proto::ids::masked_person(*cpf)),
    )
}

/// One rule checked for an explanation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub rule: Rule,
    pub fired: bool,
    pub detail: String,
    pub positions: Vec<Position>,
}

/// What a checked rule shows in an explanation: its detail and the fact positions behind it, built lazily
/// (formatting it for every team was a third of the evaluation).
pub type Detail<'d> = &'d dyn Fn() -> (String, Vec<Position>);

/// Records one rule checked: `(rule, fired, detail)`.
pub type Note<'n> = dyn FnMut(Rule, bool, Detail<'_>) + 'n;

/// Records one suspension rule checked, adding it to the status when it holds, with the percentage the
/// catalog gives it (`Rule::team_pct`): `(status, rule, fired, detail)`.
pub type Fire<'f> = dyn FnMut(&mut TeamStatus, Rule, bool, Detail<'_>) + 'f;
