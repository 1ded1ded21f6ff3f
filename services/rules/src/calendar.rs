//! The calendar rules that need the law's parameters: CAL.SISAB_PRAZO, CAL.SISAB_DESCARTE, CAL.NOVO_MODELO.

use repasse_proto::calendar::nth_business_day;
use repasse_proto::{Competencia, Date, Parcela};

/// CAL.SISAB_PRAZO: production of C is on time if received by this business day of C + 1 (NT 829/2022 §4.3).
pub const SISAB_DEADLINE_BUSINESS_DAY: u8 = 10;
/// CAL.SISAB_DESCARTE [interp]: received on or after deadline + 4 calendar months is discarded.
pub const SISAB_DISCARD_MONTHS: i32 = 4;
/// CAL.NOVO_MODELO: the first parcela of Portaria 3.493/2024.
pub const NOVO_MODELO_FROM: (u16, u8) = (2024, 5);
/// CAL.NOVO_MODELO: the last parcela of the transition.
pub const TRANSICAO_UNTIL: (u16, u8) = (2025, 4);

/// CAL.SISAB_PRAZO: the last on-time day for production of competência `c`.
pub fn sisab_deadline(c: Competencia) -> Date {
    nth_business_day(c.ym().succ(), SISAB_DEADLINE_BUSINESS_DAY)
}

/// CAL.SISAB_DESCARTE: from this day on, production of `c` is discarded for every purpose.
pub fn sisab_discard_from(c: Competencia) -> Date {
    sisab_deadline(c).add_months(SISAB_DISCARD_MONTHS)
}

pub fn novo_modelo_from() -> Parcela {
    Parcela::new(NOVO_MODELO_FROM.0, NOVO_MODELO_FROM.1).expect("valid parcela")
}

/// CAL.NOVO_MODELO: parcelas 2024-05 … 2025-04 are the transition.
pub fn in_transition(p: Parcela) -> bool {
    let until = Parcela::new(TRANSICAO_UNTIL.0, TRANSICAO_UNTIL.1).expect("valid parcela");
    p >= novo_modelo_from() && p <= until
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_tenth_business_day_of_the_next_month() {
        let c: Competencia = "2025-03".parse().unwrap();
        assert_eq!(sisab_deadline(c).to_string(), "2025-04-14");
        assert_eq!(sisab_discard_from(c).to_string(), "2025-08-14");
    }

    #[test]
    fn the_transition_spans_twelve_parcelas() {
        let from = novo_modelo_from();
        assert!(in_transition(from) && in_transition(from.add_months(11)));
        assert!(!in_transition(from.add_months(12)) && !in_transition(from.add_months(-1)));
    }
}
