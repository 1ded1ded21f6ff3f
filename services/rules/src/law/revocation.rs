//! RULES.md §4 — SUSP.REVOGACAO: irregularities in `revocation_months` consecutive competências revoke the
//! credenciamento automatically; the team is no longer payable until a new homologation
//! (the validity module checks that side).

use repasse_proto::Competencia;

use crate::law::status::TeamStatus;

/// A team's run of consecutive irregular competências: (length, last competência counted).
pub type Run = (u32, Competencia);

/// The run after `status`, the team's status in `c` (a payable team with a suspension reason is
/// irregular); `previous` is the run after the competência before, if the team had one.
pub fn next_run(previous: Option<Run>, c: Competencia, status: &TeamStatus) -> Run {
    let (length, last) = previous.unwrap_or((0, c));
    if status.payable && !status.reasons.is_empty() {
        if length > 0 && last == c.pred() {
            (length + 1, c)
        } else {
            (1, c)
        }
    } else {
        (0, c)
    }
}

/// Whether the run revokes the credenciamento in this competência.
pub fn revokes(run: Run, revocation_months: u32) -> bool {
    run.0 == revocation_months
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::RuleId;
    use crate::law::given::c;
    use repasse_proto::TeamType;

    fn status(at: Competencia, irregular: bool) -> TeamStatus {
        let mut s = TeamStatus {
            ine: crate::law::given::ine(),
            ibge: crate::law::given::ibge(),
            team_type: TeamType::Esf,
            competencia: at,
            has_record: true,
            payable: true,
            suspension_pct: 0,
            reasons: crate::catalog::RuleSet::EMPTY,
            not_valid: crate::catalog::RuleSet::EMPTY,
            revoked_now: false,
            agents: std::sync::Arc::default(),
            suspended_agents: Box::default(),
        };
        if irregular {
            s.reasons.insert(RuleId::Susp50Sisab);
            s.suspension_pct = 50;
        }
        s
    }

    #[test]
    fn susp_revogacao_counts_consecutive_irregular_competencias_and_revokes_at_the_twelfth() {
        let mut run = None;
        let mut at = c("2024-05");
        for month in 1..=12 {
            let next = next_run(run, at, &status(at, true));
            assert_eq!(next.0, month);
            assert_eq!(revokes(next, 12), month == 12);
            run = Some(next);
            at = at.succ();
        }
    }

    #[test]
    fn a_regular_competencia_or_a_gap_starts_the_count_again() {
        let run = next_run(None, c("2025-01"), &status(c("2025-01"), true));
        let run = next_run(Some(run), c("2025-02"), &status(c("2025-02"), false));
        assert_eq!(run.0, 0);
        let run = next_run(
            Some((5, c("2025-01"))),
            c("2025-03"),
            &status(c("2025-03"), true),
        );
        assert_eq!(run.0, 1, "2025-02 was not counted: the run restarts");
    }
}
