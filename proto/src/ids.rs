//! Identifiers of the health information systems, valid by construction: INE, CNES, IBGE, CPF, CNS, CBO.
//! Text in JSON (zero-padded digits), integers in postcard.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::uf::Uf;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} inválido \"{input}\": esperado {expected} dígitos")]
    WrongLength {
        kind: &'static str,
        input: String,
        expected: &'static str,
    },
    #[error("{kind} inválido \"{input}\": esperados apenas dígitos")]
    NotDigits { kind: &'static str, input: String },
    #[error("{kind} inválido \"{input}\": dígito verificador incorreto")]
    CheckDigit { kind: &'static str, input: String },
    #[error("{kind} inválido \"{input}\": {reason}")]
    Invalid {
        kind: &'static str,
        input: String,
        reason: &'static str,
    },
}

/// Parses exactly `len` ASCII digits.
fn digits(
    kind: &'static str,
    input: &str,
    len: usize,
    expected: &'static str,
) -> Result<u64, IdError> {
    if !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits {
            kind,
            input: input.to_owned(),
        });
    }
    if input.len() != len {
        return Err(IdError::WrongLength {
            kind,
            input: input.to_owned(),
            expected,
        });
    }
    Ok(input
        .bytes()
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
}

fn digit_vec(value: u64, len: usize) -> Vec<u32> {
    format!("{value:0len$}")
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect()
}

/// A fixed-width digit identifier with shared text/serde plumbing.
macro_rules! digit_id {
    ($(#[$meta:meta])* $name:ident($int:ty), $kind:literal, $len:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($int);

        impl $name {
            pub const KIND: &'static str = $kind;
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:0width$}", self.0, width = $len)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() { s.collect_str(self) } else { self.0.serialize(s) }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
                } else {
                    let n = <$int>::deserialize(d)?;
                    format!("{n:0width$}", width = $len).parse().map_err(serde::de::Error::custom)
                }
            }
        }
    };
}

digit_id!(
    /// Identificador Nacional de Equipe: 10 digits.
    Ine(u64), "INE", 10
);
digit_id!(
    /// Cadastro Nacional de Estabelecimentos de Saúde: 7 digits.
    Cnes(u32), "CNES", 7
);
digit_id!(
    /// Municipality code as DATASUS uses it: 6 digits (the 7-digit IBGE form is accepted on input).
    Ibge(u32), "IBGE", 6
);
digit_id!(
    /// Cadastro de Pessoas Físicas, with both check digits verified.
    Cpf(u64), "CPF", 11
);
digit_id!(
    /// Cartão Nacional de Saúde: 15 digits, definitive (1, 2) or provisional (7, 8, 9).
    Cns(u64), "CNS", 15
);
digit_id!(
    /// Classificação Brasileira de Ocupações: 6 digits.
    Cbo(u32), "CBO", 6
);

impl FromStr for Ine {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        digits("INE", input, 10, "10").map(Ine)
    }
}

impl FromStr for Cnes {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        digits("CNES", input, 7, "7").map(|n| Cnes(n as u32))
    }
}

impl FromStr for Cbo {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        digits("CBO", input, 6, "6").map(|n| Cbo(n as u32))
    }
}

impl Ibge {
    pub fn code(self) -> u32 {
        self.0
    }
    pub fn uf_code(self) -> u8 {
        (self.0 / 10_000) as u8
    }
    pub fn uf(self) -> Option<Uf> {
        Uf::from_ibge_code(self.uf_code())
    }
    /// The IBGE verifier digit (weights 1,2,1,2,1,2; products above 9 have their digits summed).
    pub fn verifier(self) -> u32 {
        let sum: u32 = digit_vec(u64::from(self.0), 6)
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let p = d * if i % 2 == 0 { 1 } else { 2 };
                p / 10 + p % 10
            })
            .sum();
        (10 - sum % 10) % 10
    }
    /// The 7-digit form with the verifier digit.
    pub fn with_verifier(self) -> u32 {
        self.0 * 10 + self.verifier()
    }
}

impl FromStr for Ibge {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        if input.len() == 7 {
            let n = digits("IBGE", input, 7, "6 ou 7")?;
            let ibge = Ibge((n / 10) as u32);
            if ibge.uf().is_none() {
                return Err(IdError::Invalid {
                    kind: "IBGE",
                    input: input.into(),
                    reason: "UF inexistente",
                });
            }
            if u64::from(ibge.verifier()) != n % 10 {
                return Err(IdError::CheckDigit {
                    kind: "IBGE",
                    input: input.to_owned(),
                });
            }
            return Ok(ibge);
        }
        let ibge = Ibge(digits("IBGE", input, 6, "6 ou 7")? as u32);
        if ibge.uf().is_none() {
            return Err(IdError::Invalid {
                kind: "IBGE",
                input: input.to_owned(),
                reason: "os dois primeiros dígitos não são o código de uma UF",
            });
        }
        Ok(ibge)
    }
}

/// Mod-11 check digit over `digits` with weights counting down from `first_weight`.
fn cpf_check(digits: &[u32], first_weight: u32) -> u32 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (first_weight - i as u32))
        .sum();
    let rest = (sum * 10) % 11;
    if rest == 10 { 0 } else { rest }
}

impl Cpf {
    /// The CPF whose first nine digits are `base` (mod 10⁹), with both check digits computed; nine equal
    /// digits are nudged, since such numbers are never valid. For synthetic data and tests.
    pub fn from_base(base: u64) -> Cpf {
        let mut d = digit_vec(base % 1_000_000_000, 9);
        if d.iter().all(|x| *x == d[0]) {
            d[8] = (d[8] + 1) % 10;
        }
        let first = cpf_check(&d, 10);
        d.push(first);
        let second = cpf_check(&d, 11);
        d.push(second);
        Cpf(d.iter().fold(0u64, |n, x| n * 10 + u64::from(*x)))
    }

    /// Masks all but the middle digits, for logs: personal data is never logged in full.
    pub fn masked(self) -> String {
        let text = self.to_string();
        format!("***.{}.{}-**", &text[3..6], &text[6..9])
    }
}

impl FromStr for Cpf {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        let plain: String = if input.len() == 14
            && input.as_bytes()[3] == b'.'
            && input.as_bytes()[7] == b'.'
            && input.as_bytes()[11] == b'-'
        {
            input.chars().filter(char::is_ascii_digit).collect()
        } else {
            input.to_owned()
        };
        let n = digits("CPF", &plain, 11, "11").map_err(|e| match e {
            IdError::NotDigits { kind, .. } => IdError::NotDigits {
                kind,
                input: input.to_owned(),
            },
            IdError::WrongLength { kind, expected, .. } => IdError::WrongLength {
                kind,
                input: input.to_owned(),
                expected,
            },
            other => other,
        })?;
        let d = digit_vec(n, 11);
        if d.iter().all(|x| *x == d[0]) {
            return Err(IdError::Invalid {
                kind: "CPF",
                input: input.to_owned(),
                reason: "todos os dígitos iguais",
            });
        }
        if cpf_check(&d[..9], 10) != d[9] || cpf_check(&d[..10], 11) != d[10] {
            return Err(IdError::CheckDigit {
                kind: "CPF",
                input: input.to_owned(),
            });
        }
        Ok(Cpf(n))
    }
}

impl Cns {
    /// A definitive CNS (1 or 2) is generated from an 11-digit PIS by the Ministry's routine.
    pub fn definitive_from_pis(pis: u64) -> Cns {
        let d = digit_vec(pis, 11);
        let mut sum: u32 = d.iter().enumerate().map(|(i, x)| x * (15 - i as u32)).sum();
        let mut dv = 11 - sum % 11;
        if dv == 11 {
            dv = 0;
        }
        let middle = if dv == 10 {
            sum += 2;
            dv = 11 - sum % 11;
            1
        } else {
            0
        };
        Cns(pis * 10_000 + middle * 10 + u64::from(dv))
    }

    fn weighted_sum_ok(n: u64) -> bool {
        let sum: u32 = digit_vec(n, 15)
            .iter()
            .enumerate()
            .map(|(i, d)| d * (15 - i as u32))
            .sum();
        sum.is_multiple_of(11)
    }
}

impl FromStr for Cns {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        let n = digits("CNS", input, 15, "15")?;
        let check = || IdError::CheckDigit {
            kind: "CNS",
            input: input.to_owned(),
        };
        match input.as_bytes()[0] {
            b'1' | b'2' => {
                if Cns::definitive_from_pis(n / 10_000).0 != n || !Cns::weighted_sum_ok(n) {
                    return Err(check());
                }
            }
            b'7'..=b'9' => {
                if !Cns::weighted_sum_ok(n) {
                    return Err(check());
                }
            }
            _ => {
                return Err(IdError::Invalid {
                    kind: "CNS",
                    input: input.to_owned(),
                    reason: "deve começar com 1 ou 2 (definitivo) ou 7, 8, 9 (provisório)",
                });
            }
        }
        Ok(Cns(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_cpfs_parse_with_and_without_punctuation() {
        for cpf in [
            "12345678909",
            "98765432100",
            "11144477735",
            "52998224725",
            "529.982.247-25",
        ] {
            assert!(cpf.parse::<Cpf>().is_ok(), "{cpf}");
        }
        assert_eq!(
            "529.982.247-25".parse::<Cpf>().unwrap().to_string(),
            "52998224725"
        );
    }

    #[test]
    fn a_cpf_with_a_wrong_check_digit_is_rejected_naming_it() {
        let error = "12345678900".parse::<Cpf>().unwrap_err().to_string();
        assert_eq!(
            error,
            "CPF inválido \"12345678900\": dígito verificador incorreto"
        );
        assert!("11111111111".parse::<Cpf>().is_err());
    }

    #[test]
    fn ibge_accepts_the_seven_digit_form_with_its_verifier() {
        // São Paulo 3550308, Recife 2611606, Palmas 1721000.
        assert_eq!("3550308".parse::<Ibge>().unwrap().to_string(), "355030");
        assert_eq!("2611606".parse::<Ibge>().unwrap().to_string(), "261160");
        assert_eq!(
            "1721000".parse::<Ibge>().unwrap().with_verifier(),
            1_721_000
        );
        assert!(matches!(
            "3550309".parse::<Ibge>(),
            Err(IdError::CheckDigit { .. })
        ));
        assert!("995030".parse::<Ibge>().is_err());
    }

    #[test]
    fn ine_needs_exactly_ten_digits() {
        assert_eq!(
            "0001234561".parse::<Ine>().unwrap().to_string(),
            "0001234561"
        );
        assert_eq!(
            "12345".parse::<Ine>().unwrap_err().to_string(),
            "INE inválido \"12345\": esperado 10 dígitos"
        );
        assert!("00012345a1".parse::<Ine>().is_err());
    }

    #[test]
    fn cns_definitive_and_provisional_numbers_are_checked() {
        let definitive = Cns::definitive_from_pis(12_345_678_901);
        assert!(definitive.to_string().parse::<Cns>().is_ok());
        // A provisional number: first digit 7 with a weighted sum divisible by 11.
        let provisional = (700_000_000_000_000u64..)
            .find(|n| Cns::weighted_sum_ok(*n))
            .unwrap();
        assert!(provisional.to_string().parse::<Cns>().is_ok());
        assert!((provisional + 1).to_string().parse::<Cns>().is_err());
        assert!(
            "300000000000000"
                .parse::<Cns>()
                .unwrap_err()
                .to_string()
                .contains("CNS")
        );
    }
}
