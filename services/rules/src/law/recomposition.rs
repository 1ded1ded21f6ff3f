//! RULES.md §6 — recomposition (PRC 6/2017 art. 12-T, from Portaria GM/MS 3.493/2024; FAQ Q17):
//! municipalities that receive less eSF/eAP under the new model than in the 12 parcelas before it are
//! compensated, while they keep their teams. The engine sums the series; the formulas are here.

use repasse_proto::{Ibge, Money, Parcela, TeamType};
use rust_decimal::Decimal;

use crate::law::record::Position;
use crate::params::Params;

/// Months in the base and in the new-model window.
pub const WINDOW_MONTHS: i32 = 12;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Recomposition {
    pub ibge: Ibge,
    /// RECOMP.BASE: historical eSF/eAP transfers of 2023-05 … 2024-04.
    pub base: Money,
    pub base_positions: Vec<Position>,
    /// RECOMP.NOVO: replayed efetivo of eSF/eAP in 2024-05 … 2025-04.
    pub novo: Money,
    /// RECOMP.VALOR: (B − N) ÷ 12, zero when N ≥ B.
    pub monthly_value: Money,
    pub compensation: Money,
    /// Equivalent team count in parcela 2024-05.
    pub reference_count: Decimal,
    pub parcelas: Vec<RecompositionParcela>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RecompositionParcela {
    pub parcela: Parcela,
    pub paid: bool,
    pub amount: Money,
    pub equivalent_count: Decimal,
    /// Why it was not paid (pt-BR), or why it was.
    pub reason: String,
}

/// RECOMP.VALOR: if N < B, the monthly recomposition is R = (B − N) ÷ 12 and the compensation R × `factor`
/// (1.10, table RECOMP.FATORES), each rounded once to the centavo; nothing when N ≥ B.
pub fn value(base: Money, novo: Money, factor: Decimal) -> (Money, Money) {
    if novo >= base {
        return (Money::ZERO, Money::ZERO);
    }
    let exact = (base - novo).amount() / Decimal::from(WINDOW_MONTHS);
    (
        Money::new(exact).round_centavo(),
        Money::new(exact * factor).round_centavo(),
    )
}

/// RECOMP.CONDICAO, "until the situation changes" [interp]: the trailing 12 parcelas of eSF/eAP efetivo
/// reached the base (from then on it stops for good).
pub fn reached(trailing: Money, base: Money) -> bool {
    trailing >= base
}

/// RECOMP.CONDICAO for one parcela: paid only while not stopped and while the equivalent team count keeps
/// the reference of parcela 2024-05; with the reason, in Portuguese.
pub fn condition(
    stopped: bool,
    trailing: Money,
    base: Money,
    count: Decimal,
    reference: Decimal,
) -> (bool, String) {
    if stopped {
        (
            false,
            format!(
                "efetivo eSF/eAP das 12 parcelas anteriores ({}) alcançou a base ({})",
                trailing.to_brl(),
                base.to_brl()
            ),
        )
    } else if count < reference {
        (
            false,
            format!("quantidade equivalente de equipes {count} abaixo da de 2024-05 ({reference})"),
        )
    } else {
        (
            true,
            format!("quantidade equivalente de equipes {count} mantida (2024-05: {reference})"),
        )
    }
}

/// RECOMP.CONDICAO [interp]: eSF count 1, eAP 30 h and 20 h their coverage ratios (table RECOMP.FATORES).
pub fn equivalence(params: &Params, team_type: TeamType, p: Parcela) -> Decimal {
    match team_type {
        TeamType::Esf => Decimal::ONE,
        TeamType::Eap30 | TeamType::Eap20 => {
            params.number(crate::params::RECOMP, team_type.as_str(), p)
        }
        _ => Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brl(text: &str) -> Money {
        text.parse().expect("money")
    }

    #[test]
    fn recomp_valor_given_novo_below_the_base_pays_a_twelfth_of_the_gap_times_1_10() {
        let factor: Decimal = "1.10".parse().unwrap();
        let (monthly, compensation) = value(brl("1200000.00"), brl("1080000.00"), factor);
        assert_eq!(monthly, brl("10000.00"));
        assert_eq!(compensation, brl("11000.00"));
        assert_eq!(
            value(brl("100.00"), brl("100.00"), factor),
            (Money::ZERO, Money::ZERO)
        );
    }

    #[test]
    fn recomp_condicao_pays_while_the_teams_are_kept_and_stops_when_the_base_is_reached() {
        let (one, two): (Decimal, Decimal) = (Decimal::ONE, Decimal::TWO);
        assert!(condition(false, brl("1.00"), brl("2.00"), two, two).0);
        assert!(!condition(false, brl("1.00"), brl("2.00"), one, two).0);
        assert!(reached(brl("2.00"), brl("2.00")));
        let (paid, reason) = condition(true, brl("2.00"), brl("2.00"), two, two);
        assert!(!paid && reason.contains("alcançou a base"), "{reason}");
    }

    #[test]
    fn recomp_condicao_an_eap_counts_by_its_coverage_ratio() {
        let params = Params::default();
        let p: Parcela = "2024-05".parse().unwrap();
        assert_eq!(equivalence(&params, TeamType::Esf, p), Decimal::ONE);
        assert_eq!(
            equivalence(&params, TeamType::Eap30, p),
            "0.75".parse().unwrap()
        );
        assert_eq!(
            equivalence(&params, TeamType::Eap20, p),
            "0.5".parse().unwrap()
        );
        assert_eq!(equivalence(&params, TeamType::Esb1, p), Decimal::ZERO);
    }
}
