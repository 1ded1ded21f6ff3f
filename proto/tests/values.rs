//! Every invalid identifier is rejected with a message naming the identifier and the input (a CPF's masked,
//! never in clear); every valid one round-trips through text, JSON and postcard.

use proptest::prelude::*;
use repasse_proto::{Cbo, Cnes, Competencia, Cpf, Ibge, Ine, Money, Parcela};

fn assert_names<T: std::str::FromStr>(input: &str, kind: &str) -> Result<(), TestCaseError>
where
    T::Err: std::fmt::Display,
{
    match input.parse::<T>() {
        Ok(_) => Err(TestCaseError::fail(format!("{kind} {input:?} accepted"))),
        Err(error) => {
            let message = error.to_string();
            prop_assert!(message.contains(kind), "{message}");
            if kind == "CPF" {
                // Personal data: the message shows the middle six digits of eleven, or nothing.
                let shown = if input.len() == 11 {
                    format!("\"***.{}.{}-**\"", &input[3..6], &input[6..9])
                } else {
                    "ocultados".to_owned()
                };
                prop_assert!(message.contains(&shown), "{message}");
                prop_assert!(input.len() < 4 || !message.contains(input), "{message}");
            } else {
                prop_assert!(message.contains(&format!("\"{input}\"")), "{message}");
            }
            Ok(())
        }
    }
}

fn roundtrip<T>(value: T) -> Result<(), TestCaseError>
where
    T: std::fmt::Display
        + std::str::FromStr
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
    T::Err: std::fmt::Debug,
{
    prop_assert_eq!(&value.to_string().parse::<T>().unwrap(), &value);
    prop_assert_eq!(
        &serde_json::from_str::<T>(&serde_json::to_string(&value).unwrap()).unwrap(),
        &value
    );
    prop_assert_eq!(
        &postcard::from_bytes::<T>(&postcard::to_stdvec(&value).unwrap()).unwrap(),
        &value
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn identifiers_of_the_wrong_length_are_rejected_by_name(digits in "[0-9]{1,16}") {
        if digits.len() != 10 { assert_names::<Ine>(&digits, "INE")?; }
        if digits.len() != 7 { assert_names::<Cnes>(&digits, "CNES")?; }
        if digits.len() != 6 { assert_names::<Cbo>(&digits, "CBO")?; }
        if digits.len() != 6 && digits.len() != 7 { assert_names::<Ibge>(&digits, "IBGE")?; }
        if digits.len() != 11 { assert_names::<Cpf>(&digits, "CPF")?; }
    }

    #[test]
    fn identifiers_with_non_digits_are_rejected_by_name(text in "[0-9]{2,5}[a-zA-Z .-][0-9]{2,5}") {
        assert_names::<Ine>(&text, "INE")?;
        assert_names::<Cnes>(&text, "CNES")?;
        assert_names::<Ibge>(&text, "IBGE")?;
    }

    #[test]
    fn a_cpf_with_a_changed_check_digit_is_rejected(base in 1u64..999_999_999, delta in 1u64..10) {
        let valid = repasse_rules_free_cpf(base);
        let last = valid.as_bytes()[10] - b'0';
        let changed = format!("{}{}", &valid[..10], (u64::from(last) + delta) % 10);
        prop_assert!(valid.parse::<Cpf>().is_ok() || valid.bytes().all(|b| b == valid.as_bytes()[0]));
        assert_names::<Cpf>(&changed, "CPF")?;
    }

    #[test]
    fn valid_values_round_trip_through_text_json_and_postcard(
        ine in 0u64..10_000_000_000, cnes in 0u32..10_000_000, cbo in 0u32..1_000_000,
        year in 1900u16..2199, month in 1u8..=12, centavos in -1_000_000_000_000i64..1_000_000_000_000,
    ) {
        roundtrip(format!("{ine:010}").parse::<Ine>().unwrap())?;
        roundtrip(format!("{cnes:07}").parse::<Cnes>().unwrap())?;
        roundtrip(format!("{cbo:06}").parse::<Cbo>().unwrap())?;
        roundtrip(Competencia::new(year, month).unwrap())?;
        roundtrip(Parcela::new(year, month).unwrap())?;
        roundtrip(Money::from_centavos(centavos))?;
    }

    #[test]
    fn competencia_arithmetic_is_consistent(year in 1950u16..2150, month in 1u8..=12, n in -600i32..600) {
        let c = Competencia::new(year, month).unwrap();
        prop_assert_eq!(c.add_months(n).add_months(-n), c);
        prop_assert_eq!(c.add_months(n).months_since(c), n);
        prop_assert_eq!(c.parcela().competencia(), c);
    }
}

/// A CPF with both check digits computed independently of the crate's code: the oracle of the check-digit
/// property must not share the code it checks (`Cpf::from_base`).
fn repasse_rules_free_cpf(base: u64) -> String {
    let mut d: Vec<u64> = format!("{base:09}")
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    for n in [9u64, 10] {
        let sum: u64 = d
            .iter()
            .enumerate()
            .map(|(i, x)| x * (n + 1 - i as u64))
            .sum();
        let rest = (sum * 10) % 11;
        d.push(if rest == 10 { 0 } else { rest });
    }
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

proptest! {
    /// Raw strings stop at the edge: whatever text arrives (a URL segment, a file's field), parsing it
    /// answers a value or an error, never a panic — multi-byte characters where digits are expected
    /// included (schemathesis found `/selos/0\u{80}\u{80}0` panicking on a byte slice).
    #[test]
    fn every_value_type_parses_any_text_without_panicking(text in "\\PC{0,12}|[0-9\\-]{0,4}\\PC{0,3}[0-9\\-]{0,4}") {
        let _ = text.parse::<Competencia>();
        let _ = text.parse::<Parcela>();
        let _ = text.parse::<repasse_proto::YearMonth>();
        let _ = text.parse::<Ibge>();
        let _ = text.parse::<Ine>();
        let _ = text.parse::<Cnes>();
        let _ = text.parse::<Cbo>();
        let _ = text.parse::<Cpf>();
        let _ = text.parse::<repasse_proto::Cns>();
        let _ = text.parse::<Money>();
        let _ = text.parse::<repasse_proto::Date>();
        let _ = text.parse::<repasse_proto::Timestamp>();
        let _ = text.parse::<repasse_proto::Uf>();
        let _ = text.parse::<repasse_proto::fact::Ente>();
        let _ = text.parse::<repasse_proto::EventId>();
    }
}

#[test]
fn a_period_with_multibyte_characters_is_an_error() {
    for text in [
        "0\u{80}\u{80}0",
        "\u{80}\u{10000}",
        "2024-\u{e9}",
        "20\u{e9}-01",
    ] {
        assert!(text.parse::<Competencia>().is_err(), "{text:?}");
        assert!(text.parse::<Parcela>().is_err(), "{text:?}");
    }
}
