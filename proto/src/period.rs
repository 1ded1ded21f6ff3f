//! Competência (the month a SCNES/SISAB record refers to) and parcela (the month of a federal transfer):
//! distinct types over one year-month, so they cannot be mixed up. CAL.PARCELA links them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::date::{Date, MAX_YEAR, MIN_YEAR, last_day_of_month};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} inválida \"{input}\": esperado AAAA-MM ou AAAAMM com mês de 01 a 12")]
pub struct PeriodError {
    pub kind: &'static str,
    pub input: String,
}

/// A calendar month, ordered chronologically.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: u16,
    month: u8,
}

impl YearMonth {
    pub fn new(year: u16, month: u8) -> Option<YearMonth> {
        let ok = (MIN_YEAR..=MAX_YEAR).contains(&i32::from(year)) && (1..=12).contains(&month);
        ok.then_some(YearMonth { year, month })
    }
    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    /// year × 12 + month − 1: consecutive months have consecutive indexes.
    pub fn index(self) -> i32 {
        i32::from(self.year) * 12 + i32::from(self.month) - 1
    }
    pub fn from_index(index: i32) -> YearMonth {
        let ym = YearMonth::new(
            index.div_euclid(12) as u16,
            (index.rem_euclid(12) + 1) as u8,
        );
        ym.expect("month arithmetic stays within the supported years")
    }
    pub fn add_months(self, months: i32) -> YearMonth {
        YearMonth::from_index(self.index() + months)
    }
    pub fn months_since(self, earlier: YearMonth) -> i32 {
        self.index() - earlier.index()
    }
    pub fn succ(self) -> YearMonth {
        self.add_months(1)
    }
    pub fn pred(self) -> YearMonth {
        self.add_months(-1)
    }
    pub fn first_day(self) -> Date {
        Date::new(i32::from(self.year), self.month, 1).expect("valid month")
    }
    pub fn last_day(self) -> Date {
        let year = i32::from(self.year);
        Date::new(year, self.month, last_day_of_month(year, self.month)).expect("valid month")
    }
    /// `AAAAMM`, as SCNES and the payment report write it.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
    pub fn range_inclusive(from: YearMonth, to: YearMonth) -> impl Iterator<Item = YearMonth> {
        (from.index()..=to.index()).map(YearMonth::from_index)
    }
    fn parse(kind: &'static str, input: &str) -> Result<YearMonth, PeriodError> {
        let error = || PeriodError {
            kind,
            input: input.to_owned(),
        };
        // Digits only: a multi-byte character would put the slices below off a character boundary.
        if !input.is_ascii() {
            return Err(error());
        }
        let (y, m) = match input.len() {
            7 if input.as_bytes()[4] == b'-' => (&input[..4], &input[5..]),
            6 => (&input[..4], &input[4..]),
            _ => return Err(error()),
        };
        if !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        YearMonth::new(
            y.parse().map_err(|_| error())?,
            m.parse().map_err(|_| error())?,
        )
        .ok_or_else(error)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for YearMonth {
    type Err = PeriodError;
    fn from_str(input: &str) -> Result<Self, PeriodError> {
        YearMonth::parse("mês", input)
    }
}

macro_rules! period {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(YearMonth);

        impl $name {
            pub const KIND: &'static str = $kind;
            pub fn new(year: u16, month: u8) -> Option<$name> {
                YearMonth::new(year, month).map($name)
            }
            pub fn from_ym(ym: YearMonth) -> $name {
                $name(ym)
            }
            pub fn ym(self) -> YearMonth {
                self.0
            }
            pub fn year(self) -> u16 {
                self.0.year()
            }
            pub fn month(self) -> u8 {
                self.0.month()
            }
            pub fn index(self) -> i32 {
                self.0.index()
            }
            pub fn from_index(index: i32) -> $name {
                $name(YearMonth::from_index(index))
            }
            pub fn add_months(self, months: i32) -> $name {
                $name(self.0.add_months(months))
            }
            pub fn months_since(self, earlier: $name) -> i32 {
                self.0.months_since(earlier.0)
            }
            pub fn succ(self) -> $name {
                self.add_months(1)
            }
            pub fn pred(self) -> $name {
                self.add_months(-1)
            }
            pub fn first_day(self) -> Date {
                self.0.first_day()
            }
            pub fn last_day(self) -> Date {
                self.0.last_day()
            }
            pub fn compact(self) -> String {
                self.0.compact()
            }
            pub fn range_inclusive(from: $name, to: $name) -> impl Iterator<Item = $name> {
                YearMonth::range_inclusive(from.0, to.0).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = PeriodError;
            fn from_str(input: &str) -> Result<Self, PeriodError> {
                YearMonth::parse($kind, input).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() { s.collect_str(self) } else { s.serialize_u32(self.index() as u32) }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
                } else {
                    let index = u32::deserialize(d)? as i32;
                    let year = index.div_euclid(12);
                    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
                        return Err(serde::de::Error::custom(format!("{} fora do intervalo: {index}", $kind)));
                    }
                    Ok($name::from_index(index))
                }
            }
        }
    };
}

period!(
    /// The month a SCNES or SISAB record refers to.
    Competencia, "competência"
);
period!(
    /// The month of a federal transfer.
    Parcela, "parcela"
);

/// CAL.PARCELA: the parcela of month P pays on the SCNES competência P − 2 months (seed 002 §5.2.1; seed 003
/// Q2: parcela 05/2024 ↔ competência 03/2024).
pub const PARCELA_LAG_MONTHS: i32 = 2;

impl Competencia {
    /// CAL.PARCELA: the parcela that pays on this competência.
    pub fn parcela(self) -> Parcela {
        Parcela(self.0.add_months(PARCELA_LAG_MONTHS))
    }
}

impl Parcela {
    /// CAL.PARCELA: the competência this parcela pays on.
    pub fn competencia(self) -> Competencia {
        Competencia(self.0.add_months(-PARCELA_LAG_MONTHS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcela_pays_on_the_competencia_two_months_before() {
        let p: Parcela = "2024-05".parse().unwrap();
        assert_eq!(p.competencia().to_string(), "2024-03");
        let c: Competencia = "202411".parse().unwrap();
        assert_eq!(c.parcela().to_string(), "2025-01");
    }

    #[test]
    fn bad_months_name_the_kind_and_the_input() {
        let e = "2025-13".parse::<Competencia>().unwrap_err().to_string();
        assert_eq!(
            e,
            "competência inválida \"2025-13\": esperado AAAA-MM ou AAAAMM com mês de 01 a 12"
        );
        assert!(
            "2025/01"
                .parse::<Parcela>()
                .unwrap_err()
                .to_string()
                .starts_with("parcela inválida")
        );
    }

    #[test]
    fn ranges_and_arithmetic() {
        let a: Competencia = "2024-11".parse().unwrap();
        let b: Competencia = "2025-02".parse().unwrap();
        let months: Vec<String> = Competencia::range_inclusive(a, b)
            .map(|c| c.compact())
            .collect();
        assert_eq!(months, ["202411", "202412", "202501", "202502"]);
        assert_eq!(b.months_since(a), 3);
        assert_eq!(Competencia::range_inclusive(b, a).count(), 0);
    }
}
