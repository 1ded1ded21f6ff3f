//! Money on rust_decimal: exact arithmetic, rounded once per line to the centavo, half away from zero
//! (PAG.ARREDONDAMENTO). Never `f64`.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("valor inválido \"{input}\": esperado decimal com até 2 casas, ex. 16000.00")]
pub struct MoneyError {
    pub input: String,
}

/// An amount in reais.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// 1234567 → "1.234.567", as people in Brazil read counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn new(amount: Decimal) -> Money {
        Money(amount)
    }
    pub fn amount(self) -> Decimal {
        self.0
    }
    pub fn from_centavos(centavos: i64) -> Money {
        Money(Decimal::new(centavos, 2))
    }
    /// The amount in centavos; the amount must already be centavo-exact.
    pub fn centavos(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        assert!(scaled.fract().is_zero(), "{self:?} is not centavo-exact");
        i64::try_from(scaled).expect("amount fits in i64 centavos")
    }
    /// PAG.ARREDONDAMENTO: to the centavo, half away from zero (2,755.125 → 2,755.13).
    pub fn round_centavo(self) -> Money {
        Money(
            self.0
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }
    /// `pct` % of the amount, exact (not rounded).
    pub fn percent(self, pct: u8) -> Money {
        Money(self.0 * Decimal::from(pct) / Decimal::ONE_HUNDRED)
    }
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `R$ 1.234,56` — how people read money.
    pub fn to_brl(self) -> String {
        let rounded = self.round_centavo();
        let centavos = rounded.0.abs() * Decimal::ONE_HUNDRED;
        let text = centavos.trunc().to_string();
        let text = format!("{text:0>3}");
        let (reais, cents) = text.split_at(text.len() - 2);
        let mut grouped = String::with_capacity(reais.len() + reais.len() / 3);
        for (i, ch) in reais.chars().enumerate() {
            if i > 0 && (reais.len() - i) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(ch);
        }
        let sign = if rounded.0.is_sign_negative() && !rounded.0.is_zero() {
            "-"
        } else {
            ""
        };
        format!("{sign}R$ {grouped},{cents}")
    }
}

impl fmt::Display for Money {
    /// The file form: a plain decimal with two places, `16000.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0;
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.0)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(input: &str) -> Result<Money, MoneyError> {
        let error = || MoneyError {
            input: input.to_owned(),
        };
        let body = input.strip_prefix('-').unwrap_or(input);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let ok = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit())
            && (frac.is_empty() != body.contains('.'));
        if !ok {
            return Err(error());
        }
        Decimal::from_str_exact(input)
            .map(Money)
            .map_err(|_| error())
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            let scaled = self.0 * Decimal::ONE_HUNDRED;
            if !scaled.fract().is_zero() {
                return Err(serde::ser::Error::custom(format!(
                    "valor {} não é exato ao centavo",
                    self.0
                )));
            }
            let centavos = i64::try_from(scaled).map_err(serde::ser::Error::custom)?;
            s.serialize_i64(centavos)
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            String::deserialize(d)?
                .parse()
                .map_err(serde::de::Error::custom)
        } else {
            i64::deserialize(d).map(Money::from_centavos)
        }
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        self.0 -= other.0;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl Mul<Decimal> for Money {
    type Output = Money;
    fn mul(self, factor: Decimal) -> Money {
        Money(self.0 * factor)
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}
impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::new(Decimal::from_str_exact(s).unwrap())
    }

    #[test]
    fn rounds_half_away_from_zero_once() {
        assert_eq!(m("2755.125").round_centavo(), m("2755.13"));
        assert_eq!(m("-2.345").round_centavo(), m("-2.35"));
        assert_eq!(
            m("3673.50").percent(75).round_centavo().to_string(),
            "2755.13"
        );
    }

    #[test]
    fn formats_in_brazilian_reais() {
        assert_eq!(m("1234.56").to_brl(), "R$ 1.234,56");
        assert_eq!(m("1234567.8").to_brl(), "R$ 1.234.567,80");
        assert_eq!(Money::ZERO.to_brl(), "R$ 0,00");
        assert_eq!(m("-0.5").to_brl(), "-R$ 0,50");
        assert_eq!(m("999").to_brl(), "R$ 999,00");
    }

    #[test]
    fn parses_the_file_form_only() {
        assert_eq!("16000.00".parse::<Money>().unwrap().to_string(), "16000.00");
        assert_eq!("-3.5".parse::<Money>().unwrap().to_string(), "-3.50");
        for bad in ["1.234,56", "1.234", "12.", ".5", "abc", "1e3", ""] {
            assert!(bad.parse::<Money>().is_err(), "{bad}");
        }
    }
}
