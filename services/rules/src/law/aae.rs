//! RULES.md §8 — the specialised outpatient care programme (Portaria GM/MS 3.492/2024, seed 004): the PAR's
//! incentive by population band, its two stages of 50 %, and the OCIs concluded adequately.

use repasse_proto::fact::{OciCatalog, OciProcedure};
use repasse_proto::{Date, Money, Parcela};

use crate::params::{self, ParamUse, Params};

/// AAE.INCENTIVO: the PAR's total incentive by the population it covers (art. 15 §1º), with the parameter
/// used and how the band was chosen. `None` below every band (100,000 inhabitants or fewer).
/// [interp] Exactly 500,000 falls in no band of the text (II starts above 500,000, III ends at 499,999):
/// it gets band III, and the explanation says so.
pub fn incentive(params: &Params, at: Parcela, population: u32) -> (Option<ParamUse>, String) {
    let (key, detail) = match population {
        p if p > 1_000_000 => (
            "mais_de_1000000",
            "mais de 1.000.000 de habitantes (inciso I)",
        ),
        p if p > 500_000 => ("mais_de_500000", "mais de 500.000 a 1.000.000 (inciso II)"),
        500_000 => (
            "mais_de_100000",
            "exatamente 500.000: fora das faixas do texto; aplicada a do inciso III [interp]",
        ),
        p if p > 100_000 => ("mais_de_100000", "mais de 100.000 a 499.999 (inciso III)"),
        _ => {
            let detail = format!(
                "{} habitantes: até 100.000, sem incentivo",
                repasse_proto::money::thousands(u64::from(population))
            );
            return (None, detail);
        }
    };
    let used = params.money(params::AAE_INCENTIVO, key, at);
    (used, detail.to_owned())
}

/// AAE.ETAPAS: each stage is half of the incentive (art. 15 §2º).
pub fn stage_amount(incentive: Money) -> Money {
    incentive.percent(50).round_centavo()
}

/// AAE.ADESAO and AAE.ETAPAS I: the first stage is due once the PAR is approved by SAES with the CIB's
/// resolution sent (art. 8º III, art. 11, art. 15 §3º).
pub fn adhesion_complete(approved: bool, cib_resolution_sent: bool) -> bool {
    approved && cib_resolution_sent
}

/// AAE.ETAPAS II: the second stage is due once 50 % of the PAR's planned financial production is executed
/// (art. 15 §2º II). [interp] `par_production` facts report amounts executed, which add up.
pub fn half_executed(planned: Money, executed: Money) -> bool {
    planned > Money::ZERO && executed.centavos() * 2 >= planned.centavos()
}

/// An OCI's APAC judged (art. 14 §2º III, art. 16 I).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OciOutcome {
    pub apac: String,
    pub oci_code: String,
    /// Every mandatory procedure recorded and first-to-last ≤ tM.
    pub concluded: bool,
    /// Mandatory procedures of the catalogue not recorded in the APAC.
    pub missing: Vec<String>,
    /// Days from the first to the last procedure.
    pub days: i32,
    pub tr_days: u16,
    pub tm_days: u16,
    /// What the OCI finances: its value when concluded adequately, else zero.
    pub financed: Money,
}

/// AAE.OCI: whether an OCI's APAC was concluded adequately: all mandatory procedures recorded and the time
/// from the first to the last procedure within tM (tR is shown, never decisive).
pub fn conclude(catalog: &OciCatalog, apac: &str, procedures: &[&OciProcedure]) -> OciOutcome {
    let missing: Vec<String> = catalog
        .procedures
        .iter()
        .filter(|spec| spec.mandatory)
        .filter(|spec| !procedures.iter().any(|p| p.procedure == spec.code))
        .map(|spec| spec.code.clone())
        .collect();
    let first = procedures.iter().map(|p| p.performed_on).min();
    let last = procedures.iter().map(|p| p.performed_on).max();
    let days = match (first, last) {
        (Some(a), Some(b)) => b.days_since_epoch() - a.days_since_epoch(),
        _ => 0,
    };
    let concluded =
        !procedures.is_empty() && missing.is_empty() && days <= i32::from(catalog.tm_days);
    OciOutcome {
        apac: apac.to_owned(),
        oci_code: catalog.code.clone(),
        concluded,
        missing,
        days,
        tr_days: catalog.tr_days,
        tm_days: catalog.tm_days,
        financed: if concluded {
            catalog.value
        } else {
            Money::ZERO
        },
    }
}

/// AAE.OCI (art. 14 §2º IV): a procedure billed on its own for a person while the same procedure is
/// billed inside an OCI for the same person in the same period. [interp] The period is the month of
/// production (the SIA/SUS competência) of either record.
pub fn double_billed(alone: &OciProcedure, inside: &OciProcedure) -> bool {
    alone.oci_code.is_none()
        && inside.oci_code.is_some()
        && alone.person == inside.person
        && alone.procedure == inside.procedure
        && same_month(alone.performed_on, inside.performed_on)
}

fn same_month(a: Date, b: Date) -> bool {
    a.year() == b.year() && a.month() == b.month()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(population: u32) -> Option<String> {
        let at = crate::calendar::novo_modelo_from();
        incentive(&Params::default(), at, population)
            .0
            .map(|u| u.value.to_string())
    }

    #[test]
    fn the_bands_of_article_15_at_their_edges() {
        assert_eq!(band(1_000_001).as_deref(), Some("1200000.00"));
        assert_eq!(band(1_000_000).as_deref(), Some("600000.00"));
        assert_eq!(band(500_001).as_deref(), Some("600000.00"));
        assert_eq!(band(500_000).as_deref(), Some("360000.00"));
        assert_eq!(band(100_001).as_deref(), Some("360000.00"));
        assert_eq!(band(100_000), None);
    }

    #[test]
    fn half_the_planned_production_is_reached_at_exactly_half() {
        let m = |s: &str| s.parse::<Money>().unwrap();
        assert!(!half_executed(m("1000000.00"), m("499999.99")));
        assert!(half_executed(m("1000000.00"), m("500000.00")));
        assert!(!half_executed(Money::ZERO, Money::ZERO));
    }
}
