//! The national summary a ministry analyst reads after a run: per UF and plano, the latest parcela's
//! integral, desconto, ajuste and efetivo; eSF paid at 100/75/50/25 %; suspensions by rule; revocations;
//! recomposition due. Pure over the Ledger's outputs.

use std::collections::BTreeMap;

use repasse_proto::{Decision, Money, Parcela, Plano, Uf};
use repasse_rules::Ledger;

#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub integral: Money,
    pub desconto: Money,
    pub ajuste: Money,
    pub efetivo: Money,
}

impl Totals {
    fn add(&mut self, s: &repasse_rules::Statement) {
        self.integral += s.integral;
        self.desconto += s.desconto;
        self.ajuste += s.ajuste;
        self.efetivo += s.efetivo;
    }
}

#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub parcela: Parcela,
    pub teams_evaluated: usize,
    pub teams_payable: usize,
    pub lines: usize,
    pub by_uf: BTreeMap<Uf, BTreeMap<Plano, Totals>>,
    pub by_plano: BTreeMap<Plano, Totals>,
    pub implantacao: Money,
    /// eSF paid at 100 %, 75 %, 50 %, 25 % (suspension 0, 25, 50, 75 %) and withheld in full.
    pub esf_paid_at: [u64; 5],
    /// Teams with each suspension reason in the competência the parcela pays on.
    pub suspensions_by_rule: BTreeMap<String, u64>,
    /// Suspension decisions over the whole history, by kind.
    pub decisions_by_kind: BTreeMap<String, u64>,
    pub recomposition_municipalities: u64,
    pub recomposition_paid: Money,
}

/// Summarises parcela `p` (normally the latest the ledger can compute).
pub fn summarize(ledger: &Ledger, p: Parcela) -> Summary {
    let result = ledger.parcela(p, None);
    let statuses = ledger.evaluate_competencia(p.competencia());
    let mut by_uf: BTreeMap<Uf, BTreeMap<Plano, Totals>> = BTreeMap::new();
    let mut by_plano: BTreeMap<Plano, Totals> = BTreeMap::new();
    for statement in &result.statements {
        let uf = statement
            .ibge
            .uf()
            .expect("valid municipality codes have a UF");
        by_uf
            .entry(uf)
            .or_default()
            .entry(statement.plano)
            .or_default()
            .add(statement);
        by_plano.entry(statement.plano).or_default().add(statement);
    }
    let mut esf_paid_at = [0u64; 5];
    let mut suspensions_by_rule = BTreeMap::new();
    for status in statuses.iter().filter(|s| s.payable) {
        if status.team_type.is_esf() {
            let slot = match status.suspension_pct {
                0 => 0,
                25 => 1,
                50 => 2,
                75 => 3,
                _ => 4,
            };
            esf_paid_at[slot] += 1;
        }
        for reason in status.reasons.iter() {
            *suspensions_by_rule.entry(reason.to_owned()).or_default() += 1;
        }
    }
    let mut decisions_by_kind = BTreeMap::new();
    for decision in ledger.suspension_decisions() {
        *decisions_by_kind
            .entry(Decision::event_type(&decision).to_owned())
            .or_default() += 1;
    }
    let recompositions = ledger.recompositions();
    let due: Vec<_> = recompositions
        .iter()
        .filter(|r| !r.compensation.is_zero())
        .collect();
    let recomposition_paid = due
        .iter()
        .flat_map(|r| &r.parcelas)
        .filter(|x| x.parcela == p)
        .map(|x| x.amount)
        .sum();
    Summary {
        parcela: p,
        teams_evaluated: statuses.len(),
        teams_payable: statuses.iter().filter(|s| s.payable).count(),
        lines: result.lines.len(),
        by_uf,
        by_plano,
        implantacao: result.implantacao.values().copied().sum(),
        esf_paid_at,
        suspensions_by_rule,
        decisions_by_kind,
        recomposition_municipalities: due.len() as u64,
        recomposition_paid,
    }
}
