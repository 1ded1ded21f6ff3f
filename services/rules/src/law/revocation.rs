//! RULES.md §4 — SUSP.REVOGACAO: irregularities in `revocation_months` consecutive competências revoke the
//! credenciamento automatically; the team is no longer payable until a new homologation
//! ([`crate::law::validity`] checks that side).

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
