//! Explanations: why a team got its status and its amounts, down to the article, for people (pt-BR) and
//! as JSON.

use std::fmt::Write;

use crate::catalog;
use crate::law::payment::Line;
use crate::law::status::{Check, TeamStatus};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    pub status: TeamStatus,
    /// Rules that fired, in catalog order.
    pub fired: Vec<Check>,
    /// Rules checked that did not fire.
    pub not_fired: Vec<Check>,
    /// The team's lines in the parcela that pays on the competência, with their parameter values.
    pub lines: Vec<Line>,
}

impl Explanation {
    pub fn new(status: TeamStatus, checks: Vec<Check>, lines: Vec<Line>) -> Explanation {
        let order = |c: &Check| {
            catalog::ALL
                .iter()
                .position(|r| r.id == c.rule.id)
                .unwrap_or(usize::MAX)
        };
        let (mut fired, mut not_fired): (Vec<_>, Vec<_>) =
            checks.into_iter().partition(|c| c.fired);
        fired.sort_by_key(order);
        not_fired.sort_by_key(order);
        Explanation {
            status,
            fired,
            not_fired,
            lines,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("explanations serialize")
    }

    pub fn render_pt_br(&self) -> String {
        let s = &self.status;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Equipe {} ({}) — município {} — competência {}",
            s.ine, s.team_type, s.ibge, s.competencia
        );
        let situation = if !s.payable {
            format!("não válida ({})", s.not_valid.join(", "))
        } else if s.suspension_pct > 0 {
            format!(
                "válida, suspensão de {} % ({})",
                s.suspension_pct,
                s.reasons.join(", ")
            )
        } else {
            "válida, sem suspensão".to_owned()
        };
        let _ = writeln!(out, "Situação: {situation}\n");
        let _ = writeln!(out, "Regras aplicadas:");
        write_checks(&mut out, &self.fired);
        let _ = writeln!(out, "\nRegras verificadas que não se aplicam:");
        write_checks(&mut out, &self.not_fired);
        if !self.lines.is_empty() {
            let _ = writeln!(out, "\nParcela {}:", self.lines[0].parcela);
            for line in &self.lines {
                let _ = writeln!(
                    out,
                    "  {:<12} integral {:>16}  desconto {:>16}",
                    line.component.as_str(),
                    line.integral.to_brl(),
                    line.desconto.to_brl()
                );
                for p in &line.params {
                    let _ = writeln!(
                        out,
                        "      {} [{}] versão de {} — {}",
                        p.table, p.key, p.version_from, p.citation
                    );
                }
            }
        }
        out
    }
}

fn write_checks(out: &mut String, checks: &[Check]) {
    if checks.is_empty() {
        let _ = writeln!(out, "  (nenhuma)");
    }
    for check in checks {
        let _ = writeln!(
            out,
            "  {} — {}: {}",
            check.rule.id, check.rule.title, check.detail
        );
        let positions: Vec<String> = check.positions.iter().map(u64::to_string).collect();
        let facts = if positions.is_empty() {
            String::new()
        } else {
            format!("; fatos nas posições {}", positions.join(", "))
        };
        let _ = writeln!(out, "      {}{facts}", check.rule.citation);
    }
}
