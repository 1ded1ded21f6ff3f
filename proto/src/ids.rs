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

/// A CPF's masked form, `***.456.789-**`: the only form of a CPF that an API response, a decision, a log
/// line or a message meant for people carries (the middle six digits, as the Receita's own receipts show).
pub fn masked_cpf(number: u64) -> String {
    let text = format!("{number:011}");
    format!("***.{}.{}-**", &text[3..6], &text[6..9])
}

/// A person key's masked form: the person key of the rules is a CPF (11 digits) or, where the source masks
/// the CPF, a CNS (15 digits, never below 10¹⁴, so the two never collide). A CNS shows its middle six digits.
pub fn masked_person(key: u64) -> String {
    if key >= 100_000_000_000_000 {
        let text = format!("{key:015}");
        format!("CNS *****{}****", &text[5..11])
    } else {
        masked_cpf(key)
    }
}

/// What an error message shows of a text that was meant to be a CPF: its digits masked but for the middle
/// six of eleven, so that a typo can be found in the file without the message carrying the CPF.
fn masked_input(input: &str) -> String {
    let digits: Vec<char> = input.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && input.is_ascii() {
        let middle: String = digits[3..9].iter().collect();
        format!("***.{}.{}-**", &middle[..3], &middle[3..])
    } else {
        format!("({} caracteres, ocultados)", input.chars().count())
    }
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

/// The `N` decimal digits of `value`, most significant first (zero-padded).
fn digit_array<const N: usize>(value: u64) -> [u32; N] {
    assert!(
        u32::try_from(N).is_ok_and(|n| 10u128.pow(n) > u128::from(value)),
        "{value} has more than {N} digits"
    );
    let mut digits = [0; N];
    let mut rest = value;
    for digit in digits.iter_mut().rev() {
        *digit = (rest % 10) as u32;
        rest /= 10;
    }
    digits
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
                    $name::from_number(<$int>::deserialize(d)?).map_err(serde::de::Error::custom)
                }
            }
        }

        impl $name {
            /// The identifier whose zero-padded digits are `n`, with the checks of its text form. The
            /// binary (postcard) form is read this way: millions of times in a replay, so without text.
            pub fn from_number(n: $int) -> Result<$name, IdError> {
                let input = || format!("{n:0width$}", width = $len);
                if u64::from(n) >= 10u64.pow($len) {
                    return Err(IdError::WrongLength {
                        kind: $kind,
                        input: input(),
                        expected: stringify!($len),
                    });
                }
                $name::checked(n, input)
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

// Identifiers that are any number of their width: no check beyond the digits.
macro_rules! plain_digits {
    ($($name:ident($int:ty), $len:literal);*) => {$(
        impl $name {
            fn checked(n: $int, _input: impl FnOnce() -> String) -> Result<$name, IdError> {
                Ok($name(n))
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(input: &str) -> Result<Self, IdError> {
                let n = digits($name::KIND, input, $len, stringify!($len))?;
                $name::checked(<$int>::try_from(n).expect("the width fits the type"), || input.to_owned())
            }
        }
    )*};
}

plain_digits!(Ine(u64), 10; Cnes(u32), 7; Cbo(u32), 6);

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
        let sum: u32 = digit_array::<6>(u64::from(self.0))
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
    /// The 6-digit code `n` (fewer than a million) of a municipality of an existing UF.
    fn checked(n: u32, input: impl FnOnce() -> String) -> Result<Ibge, IdError> {
        let ibge = Ibge(n);
        if ibge.uf().is_none() {
            return Err(IdError::Invalid {
                kind: "IBGE",
                input: input(),
                reason: "os dois primeiros dígitos não são o código de uma UF",
            });
        }
        Ok(ibge)
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
        let n = digits("IBGE", input, 6, "6 ou 7")?;
        Ibge::checked(n as u32, || input.to_owned())
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
        let mut d = [0; 11];
        d[..9].copy_from_slice(&digit_array::<9>(base % 1_000_000_000));
        if d[..9].iter().all(|x| *x == d[0]) {
            d[8] = (d[8] + 1) % 10;
        }
        d[9] = cpf_check(&d[..9], 10);
        d[10] = cpf_check(&d[..10], 11);
        Cpf(d.iter().fold(0u64, |n, x| n * 10 + u64::from(*x)))
    }

    /// The 11 digits `n` (fewer than 10¹¹), not all equal, with both check digits right.
    fn checked(n: u64, input: impl FnOnce() -> String) -> Result<Cpf, IdError> {
        let d = digit_array::<11>(n);
        if d.iter().all(|x| *x == d[0]) {
            return Err(IdError::Invalid {
                kind: "CPF",
                input: masked_input(&input()),
                reason: "todos os dígitos iguais",
            });
        }
        if cpf_check(&d[..9], 10) != d[9] || cpf_check(&d[..10], 11) != d[10] {
            return Err(IdError::CheckDigit {
                kind: "CPF",
                input: masked_input(&input()),
            });
        }
        Ok(Cpf(n))
    }

    /// Masks all but the middle digits, for logs: personal data is never logged in full.
    pub fn masked(self) -> String {
        masked_cpf(self.0)
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
                input: masked_input(input),
            },
            IdError::WrongLength { kind, expected, .. } => IdError::WrongLength {
                kind,
                input: masked_input(input),
                expected,
            },
            other => other,
        })?;
        Cpf::checked(n, || input.to_owned())
    }
}

impl Cns {
    /// A definitive CNS (1 or 2) is generated from an 11-digit PIS by the Ministry's routine.
    pub fn definitive_from_pis(pis: u64) -> Cns {
        let d = digit_array::<11>(pis);
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
        let sum: u32 = digit_array::<15>(n)
            .iter()
            .enumerate()
            .map(|(i, d)| d * (15 - i as u32))
            .sum();
        sum.is_multiple_of(11)
    }
    /// The 15 digits `n` (fewer than 10¹⁵) of a definitive or provisional number, checked.
    fn checked(n: u64, input: impl FnOnce() -> String) -> Result<Cns, IdError> {
        let valid = match n / 10u64.pow(14) {
            1 | 2 => Cns::definitive_from_pis(n / 10_000).0 == n && Cns::weighted_sum_ok(n),
            7..=9 => Cns::weighted_sum_ok(n),
            _ => {
                return Err(IdError::Invalid {
                    kind: "CNS",
                    input: input(),
                    reason: "deve começar com 1 ou 2 (definitivo) ou 7, 8, 9 (provisório)",
                });
            }
        };
        if !valid {
            return Err(IdError::CheckDigit {
                kind: "CNS",
                input: input(),
            });
        }
        Ok(Cns(n))
    }
}

impl FromStr for Cns {
    type Err = IdError;
    fn from_str(input: &str) -> Result<Self, IdError> {
        let n = digits("CNS", input, 15, "15")?;
        Cns::checked(n, || input.to_owned())
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
    fn a_cpf_with_a_wrong_check_digit_is_rejected_masked() {
        let error = "12345678900".parse::<Cpf>().unwrap_err().to_string();
        assert_eq!(
            error,
            "CPF inválido \"***.456.789-**\": dígito verificador incorreto"
        );
        let error = "11111111111".parse::<Cpf>().unwrap_err().to_string();
        assert!(!error.contains("11111111111"), "{error}");
        let error = "123.456.789-0x".parse::<Cpf>().unwrap_err().to_string();
        assert!(!error.contains("123"), "{error}");
        let error = "1234567890".parse::<Cpf>().unwrap_err().to_string();
        assert!(!error.contains("1234567890"), "{error}");
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

    /// The binary form is checked as the text form is: the same identifier or the same error, for numbers
    /// of the identifier's width, valid or not; a wider number is refused.
    fn binary_agrees_with_text<T>(n: u64, width: usize, from_number: Result<T, IdError>)
    where
        T: FromStr<Err = IdError> + PartialEq + fmt::Debug,
    {
        if u128::from(n) < 10u128.pow(width as u32) {
            assert_eq!(from_number, format!("{n:0width$}").parse::<T>(), "{n}");
        } else {
            assert!(
                matches!(from_number, Err(IdError::WrongLength { .. })),
                "{n}: {from_number:?}"
            );
        }
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn binary_identifiers_are_checked_as_their_text(
            n in prop_oneof![0..10_000_000_000_000_000u64, any::<u64>()],
            base in any::<u64>(),
            pis in 0..100_000_000_000u64,
        ) {
            let valid_cpf = Cpf::from_base(base).get();
            let valid_cns = Cns::definitive_from_pis(pis).get();
            for n in [n, n % 1_000_000, n % 100_000_000_000, valid_cpf, valid_cpf + 1, valid_cns] {
                binary_agrees_with_text(n, 10, Ine::from_number(n));
                binary_agrees_with_text(n, 11, Cpf::from_number(n));
                binary_agrees_with_text(n, 15, Cns::from_number(n));
                if let Ok(n) = u32::try_from(n) {
                    binary_agrees_with_text(u64::from(n), 7, Cnes::from_number(n));
                    binary_agrees_with_text(u64::from(n), 6, Cbo::from_number(n));
                    binary_agrees_with_text(u64::from(n), 6, Ibge::from_number(n));
                }
            }
        }
    }

    #[test]
    fn a_postcard_identifier_is_refused_naming_what_is_wrong() {
        let bytes = postcard::to_allocvec(&12_345_678_900u64).unwrap();
        let error = postcard::from_bytes::<Cpf>(&bytes).unwrap_err();
        assert_eq!(error, postcard::Error::SerdeDeCustom);
        assert_eq!(
            Cpf::from_number(12_345_678_900).unwrap_err().to_string(),
            "CPF inválido \"***.456.789-**\": dígito verificador incorreto"
        );
        // The 7-digit IBGE form is text only: the binary form is the 6-digit code.
        assert!(matches!(
            Ibge::from_number(3_550_308),
            Err(IdError::WrongLength { .. })
        ));
        assert_eq!(
            postcard::from_bytes::<Ibge>(&postcard::to_allocvec(&355_030u32).unwrap()).unwrap(),
            "3550308".parse::<Ibge>().unwrap()
        );
    }
}
