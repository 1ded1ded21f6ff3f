//! IED.ESTRATO: the stratum is a published fact (Anexo VI); the ledger also computes it to flag a
//! disagreement. IED = (faixa IVS × 0.3 + faixa porte × 0.2) ÷ 0.5 (FAQ Q4), on rust_decimal.

use repasse_proto::Estrato;
use rust_decimal::Decimal;

/// Porte faixa upper bounds: ≤ 20,000 → 1; ≤ 50,000 → 2; ≤ 100,000 → 3; else 4.
pub const PORTE_LIMITS: [u32; 3] = [20_000, 50_000, 100_000];

pub fn porte_band(population: u32) -> u8 {
    1 + PORTE_LIMITS
        .iter()
        .filter(|limit| population > **limit)
        .count() as u8
}

/// The IED index, exact.
pub fn ied(ivs_band: u8, population: u32) -> Decimal {
    let ivs = Decimal::from(ivs_band) * Decimal::new(3, 1);
    let porte = Decimal::from(porte_band(population)) * Decimal::new(2, 1);
    (ivs + porte) / Decimal::new(5, 1)
}

/// Cut-offs verified on all 5,570 rows of Anexo VI: ≤ 1.5 → 1; ≤ 2.0 → 2; ≤ 3.0 → 3; else 4.
pub fn computed_stratum(ivs_band: u8, population: u32) -> Estrato {
    let value = ied(ivs_band, population);
    let cuts = [
        Decimal::new(15, 1),
        Decimal::new(20, 1),
        Decimal::new(30, 1),
    ];
    let stratum = 1 + cuts.iter().filter(|cut| value > **cut).count() as u8;
    Estrato::new(stratum).expect("1 to 4 by construction")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ied_of_known_municipalities() {
        // Acrelândia: IVS 2, 14,021 inhabitants: (0.6 + 0.2) / 0.5 = 1.6 → stratum 2.
        assert_eq!(ied(2, 14_021), Decimal::new(16, 1));
        assert_eq!(computed_stratum(2, 14_021).get(), 2);
        // Palmas: IVS 4, 302,692: (1.2 + 0.8) / 0.5 = 4.0 → 4. Tupirama: IVS 4, 1,909: 2.8 → 3.
        assert_eq!(computed_stratum(4, 302_692).get(), 4);
        assert_eq!(computed_stratum(4, 1_909).get(), 3);
        assert_eq!(computed_stratum(1, 5_654).get(), 1);
    }

    #[test]
    fn porte_bands_have_inclusive_upper_limits() {
        assert_eq!(
            [
                porte_band(20_000),
                porte_band(20_001),
                porte_band(100_000),
                porte_band(100_001)
            ],
            [1, 2, 3, 4]
        );
    }
}
