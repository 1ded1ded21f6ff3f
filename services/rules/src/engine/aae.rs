//! RULES.md §8 through the ledger: each PAR's incentive and its two stages, and every APAC of the OCI
//! programme judged ([`crate::law::aae`]).

use std::collections::BTreeMap;

use repasse_proto::fact::OciProcedure;
use repasse_proto::{Date, Money, Parcela, Plano, Uf};

use crate::catalog;
use crate::engine::ledger::Ledger;
use crate::engine::programmes::Par;
use crate::engine::reconcile::{Finding, classify};
use crate::law::aae::{self, OciOutcome};
use crate::law::record::Position;
use crate::params::ParamUse;

/// One stage of a PAR's incentive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Stage {
    pub stage: u8,
    pub amount: Money,
    pub due: bool,
    /// The date and position of the fact that made it due.
    pub due_on: Option<Date>,
    #[serde(skip)]
    pub due_at: Option<Position>,
    /// The parcela it is paid in: the first not closed when it became due, from the month it did.
    pub parcela: Option<Parcela>,
    pub detail: String,
}

/// A stage in a UF's AAE statement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StageRef {
    pub par_id: String,
    pub stage: u8,
    pub amount: Money,
}

/// What the PAR incentive owes a UF's entes in a parcela (plano `AAE`), against the Fund's orders.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AaeReconciliation {
    pub uf: Uf,
    pub parcela: Parcela,
    pub owed: Money,
    /// What the Fund's orders of plano `AAE` paid the UF's entes; `None` when no order of the parcela was
    /// imported.
    pub paid: Option<Money>,
    pub findings: Vec<Finding>,
    pub stages: Vec<StageRef>,
    pub bank_orders: Vec<String>,
}

/// A PAR: its band, incentive and stages, with the rule checks behind them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParStatus {
    pub par_id: String,
    pub uf: Option<Uf>,
    pub population_covered: Option<u32>,
    pub planned: Option<Money>,
    pub executed: Money,
    pub incentive: Money,
    pub incentive_param: Option<ParamUse>,
    pub band: String,
    pub adhesion: String,
    pub stages: Vec<Stage>,
}

/// An APAC of the OCI programme: the OCI judged, or a procedure billed on its own, with what it
/// duplicates.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApacResult {
    pub apac: String,
    pub oci_code: Option<String>,
    /// `None` for an APAC of procedures billed on their own, or an OCI missing from the catalogue.
    pub outcome: Option<OciOutcome>,
    /// Procedures of this APAC billed both on their own and inside an OCI for the same person and month.
    pub double_billed: Vec<String>,
    pub detail: String,
}

impl Ledger {
    /// Every PAR, by id.
    pub fn pars(&self) -> Vec<ParStatus> {
        let pars = &self.state.programmes.pars;
        pars.iter()
            .map(|(id, par)| self.par_status(id, par))
            .collect()
    }

    pub fn par(&self, id: &str) -> Option<ParStatus> {
        let par = self.state.programmes.pars.get(id)?;
        Some(self.par_status(id, par))
    }

    /// The stages that became due at the fact at `position` (what the projector publishes, once each).
    pub fn aae_stages_due_at(
        &self,
        par_id: &str,
        position: Position,
    ) -> Vec<repasse_proto::Decision> {
        // A PAR not yet submitted (an approval or report logged first) has no UF and no stage due.
        let Some((status, uf)) = self.par(par_id).and_then(|s| s.uf.map(|uf| (s, uf))) else {
            return Vec::new();
        };
        status
            .stages
            .iter()
            .filter(|s| s.due && s.due_at == Some(position))
            .map(|s| {
                repasse_proto::Decision::AaeStageDue(repasse_proto::decision::AaeStageDue {
                    par_id: status.par_id.clone(),
                    uf,
                    stage: s.stage,
                    amount: s.amount,
                    due_on: s.due_on.expect("a due stage has its date"),
                    reasons: vec![
                        catalog::AAE_ADESAO.id.to_owned(),
                        catalog::AAE_INCENTIVO.id.to_owned(),
                        catalog::AAE_ETAPAS.id.to_owned(),
                    ],
                })
            })
            .collect()
    }

    fn par_status(&self, id: &str, par: &Par) -> ParStatus {
        let submitted = par.submitted.as_ref().map(|(s, at)| (s, *at));
        // AAE.ADESAO: the first approval with the CIB resolution sent, once the PAR is submitted.
        let complete = par
            .approvals
            .iter()
            .find(|(a, _)| aae::adhesion_complete(true, a.cib_resolution_sent));
        let adhesion = match (submitted, complete, par.approvals.first()) {
            (None, ..) => "PAR não submetido".to_owned(),
            (Some(_), Some((a, _)), _) => format!(
                "PAR aprovado em {} ({}) com resolução CIB enviada",
                a.approved_on.format_br(),
                a.portaria
            ),
            (Some(_), None, Some(_)) => "PAR aprovado, resolução CIB não enviada".to_owned(),
            (Some(_), None, None) => "PAR submetido, aguardando aprovação da SAES".to_owned(),
        };
        // Due at the later of the submission and the approval.
        let adhered = submitted
            .zip(complete)
            .map(|((_, s_at), (a, a_at))| (a.approved_on, (*a_at).max(s_at)));
        let at_parcela = |d: Date| Parcela::from_ym(d.year_month());
        let (incentive_param, band) = match submitted {
            Some((s, _)) => {
                let at =
                    adhered.map_or(crate::calendar::novo_modelo_from(), |(d, _)| at_parcela(d));
                aae::incentive(&self.params, at, s.population_covered)
            }
            None => (None, "PAR não submetido".to_owned()),
        };
        let incentive = incentive_param.as_ref().map_or(Money::ZERO, |u| u.value);
        let amount = aae::stage_amount(incentive);
        let planned = submitted.map(|(s, _)| s.planned_amount);
        // AAE.ETAPAS II [interp]: production reports add up; the stage is due at the report that crosses half.
        let mut executed = Money::ZERO;
        let mut crossed: Option<(Date, Position)> = None;
        for (report, at) in &par.production {
            executed += report.executed_amount;
            if crossed.is_none() && planned.is_some_and(|p| aae::half_executed(p, executed)) {
                crossed = Some((report.reported_on, *at));
            }
        }
        let payable = incentive > Money::ZERO;
        let stage_one = Stage {
            stage: 1,
            amount,
            due: payable && adhered.is_some(),
            due_on: adhered.filter(|_| payable).map(|(d, _)| d),
            due_at: adhered.filter(|_| payable).map(|(_, at)| at),
            parcela: adhered
                .filter(|_| payable)
                .map(|(d, at)| self.open_parcela(d, at)),
            detail: if payable {
                adhesion.clone()
            } else {
                format!("sem incentivo: {band}")
            },
        };
        let two = adhered
            .zip(crossed)
            .filter(|_| payable)
            .map(
                |((d1, at1), (d2, at2))| {
                    if at2 > at1 { (d2, at2) } else { (d1, at1) }
                },
            );
        let stage_two = Stage {
            stage: 2,
            amount,
            due: two.is_some(),
            due_on: two.map(|(d, _)| d),
            due_at: two.map(|(_, at)| at),
            parcela: two.map(|(d, at)| self.open_parcela(d, at)),
            detail: format!(
                "executado {} de {} previstos",
                executed.to_brl(),
                planned.unwrap_or_default().to_brl()
            ),
        };
        ParStatus {
            par_id: id.to_owned(),
            uf: par.uf(),
            population_covered: submitted.map(|(s, _)| s.population_covered),
            planned,
            executed,
            incentive,
            incentive_param,
            band,
            adhesion,
            stages: vec![stage_one, stage_two],
        }
    }

    /// AAE.ETAPAS: the parcela a stage due on `on` (at `position`) is paid in: the first from that month on
    /// that the Fund had not closed by then [interp, as RETRO.DECISAO].
    fn open_parcela(&self, on: Date, position: Position) -> Parcela {
        let from = Parcela::from_ym(on.year_month());
        crate::engine::programmes::first_open(&self.state.parcelas_closed, from, position)
    }

    /// The PAR incentive owed in parcela `p` per UF, against what the Fund's orders of plano `AAE` paid the
    /// UF's entes (the orders name a municipality: the UF is its code's), every difference classified.
    pub fn aae_reconcile(&self, p: Parcela) -> Vec<AaeReconciliation> {
        let mut by_uf: std::collections::BTreeMap<Uf, AaeReconciliation> =
            std::collections::BTreeMap::new();
        let fresh = |uf: Uf| AaeReconciliation {
            uf,
            parcela: p,
            owed: Money::ZERO,
            paid: None,
            findings: Vec::new(),
            stages: Vec::new(),
            bank_orders: Vec::new(),
        };
        for par in self.pars() {
            let Some(uf) = par.uf else { continue };
            for stage in par.stages.iter().filter(|s| s.due && s.parcela == Some(p)) {
                let row = by_uf.entry(uf).or_insert_with(|| fresh(uf));
                row.owed += stage.amount;
                row.stages.push(StageRef {
                    par_id: par.par_id.clone(),
                    stage: stage.stage,
                    amount: stage.amount,
                });
            }
        }
        let paid = &self.state.payments.paid;
        let known = paid.keys().any(|(_, parcela, _)| *parcela == p);
        for ((ibge, parcela, plano), order) in paid {
            let Some(uf) = ibge.uf().filter(|_| *parcela == p && *plano == Plano::Aae) else {
                continue;
            };
            let row = by_uf.entry(uf).or_insert_with(|| fresh(uf));
            *row.paid.get_or_insert(Money::ZERO) += order.amount;
            row.bank_orders.extend(order.orders.iter().cloned());
        }
        by_uf
            .into_values()
            .map(|mut row| {
                if known && row.paid.is_none() {
                    row.paid = Some(Money::ZERO);
                }
                row.findings = classify(row.owed, row.owed, None, row.paid);
                row
            })
            .collect()
    }

    /// Every APAC of the OCI programme judged (AAE.OCI), by APAC number.
    pub fn apacs(&self) -> Vec<ApacResult> {
        let programmes = &self.state.programmes;
        let mut by_apac: BTreeMap<&str, Vec<&OciProcedure>> = BTreeMap::new();
        for (p, _) in &programmes.oci_procedures {
            by_apac.entry(p.apac.as_str()).or_default().push(p);
        }
        let inside: Vec<&OciProcedure> = programmes
            .oci_procedures
            .iter()
            .map(|(p, _)| p)
            .filter(|p| p.oci_code.is_some())
            .collect();
        by_apac
            .into_iter()
            .map(|(apac, procedures)| {
                let oci_code = procedures.iter().find_map(|p| p.oci_code.clone());
                let catalog = oci_code
                    .as_ref()
                    .and_then(|code| programmes.oci_catalog.get(code));
                let outcome = catalog.map(|(c, _)| aae::conclude(c, apac, &procedures));
                let mut double_billed: Vec<String> = procedures
                    .iter()
                    .filter(|alone| inside.iter().any(|i| aae::double_billed(alone, i)))
                    .map(|p| p.procedure.clone())
                    .collect();
                double_billed.sort();
                double_billed.dedup();
                let detail = match (&oci_code, &outcome) {
                    (None, _) => "procedimentos cobrados isoladamente".to_owned(),
                    (Some(code), None) => format!("OCI {code} fora do catálogo"),
                    (Some(_), Some(o)) if o.concluded => format!(
                        "concluída adequadamente em {} dias (tR {}, tM {})",
                        o.days, o.tr_days, o.tm_days
                    ),
                    (Some(_), Some(o)) if !o.missing.is_empty() => {
                        format!("obrigatórios não registrados: {}", o.missing.join(", "))
                    }
                    (Some(_), Some(o)) => format!(
                        "{} dias do primeiro ao último procedimento, acima do tM de {}",
                        o.days, o.tm_days
                    ),
                };
                ApacResult {
                    apac: apac.to_owned(),
                    oci_code,
                    outcome,
                    double_billed,
                    detail,
                }
            })
            .collect()
    }
}
