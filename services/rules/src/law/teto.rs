//! VAL.TETO — the population ceiling on credentialing (RULES.md §2; FAQ Portaria GM/MS 3.493/2024 Q15–Q16).
//!
//! The ceiling is checked on a municipality's *request* for credentialing, and its outcome is a
//! recommendation. A `credentialing` fact is a published portaria: the Ministry has decided, and the ledger
//! applies it as published, never trimmed by this formula.

use repasse_proto::fact::Municipality;
use repasse_proto::{CredentialType, Region, TeamType, Uf};
use rust_decimal::Decimal;

/// The divisors of the formula, in inhabitants per team or per agent (table `VAL.TETO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divisors {
    pub esf: Decimal,
    pub acs_urban: Decimal,
    pub acs_rural_north: Decimal,
}

/// A ceiling and how it was computed, for the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ceiling {
    pub value: u32,
    pub basis: String,
}

/// VAL.TETO [interp]: fractions round up; eSF = population ÷ 2,000; ACS = urban ÷ 400, plus rural ÷ 280 in
/// the North region, MA and MT, each part rounded up; without the urban/rural split the whole population
/// counts as urban. Other team types have no ceiling in the law (`None`).
pub fn ceiling(divisors: &Divisors, m: &Municipality, t: CredentialType) -> Option<Ceiling> {
    match t {
        CredentialType::Team(TeamType::Esf) => Some(Ceiling {
            value: ceil_div(m.population, divisors.esf),
            basis: format!("população {} ÷ {}", m.population, divisors.esf.normalize()),
        }),
        CredentialType::Acs => {
            let urban = m.urban_population.unwrap_or(m.population);
            let mut value = ceil_div(urban, divisors.acs_urban);
            let mut basis = format!(
                "população urbana {urban} ÷ {}",
                divisors.acs_urban.normalize()
            );
            if rural_counts(m.uf)
                && let Some(rural) = m.rural_population
            {
                value = value.saturating_add(ceil_div(rural, divisors.acs_rural_north));
                basis.push_str(&format!(
                    " + população rural {rural} ÷ {} (Norte, MA e MT)",
                    divisors.acs_rural_north.normalize()
                ));
            }
            Some(Ceiling { value, basis })
        }
        CredentialType::Team(_) => None,
    }
}

/// The rural population counts towards the ACS ceiling in the states of the North region, Maranhão and
/// Mato Grosso (Q16).
pub fn rural_counts(uf: Uf) -> bool {
    matches!(uf.region(), Region::Norte) || matches!(uf, Uf::MA | Uf::MT)
}

/// What VAL.TETO recommends for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recommendation {
    /// credentialed + requested ≤ ceiling, or the type has no ceiling.
    DentroDoTeto,
    AcimaDoTeto,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::DentroDoTeto => "dentro_do_teto",
            Recommendation::AcimaDoTeto => "acima_do_teto",
        }
    }
}

/// VAL.TETO: within the ceiling when what is already credentialed plus what is requested does not exceed it.
pub fn recommend(ceiling: Option<&Ceiling>, credentialed: u32, requested: u32) -> Recommendation {
    match ceiling {
        Some(c) if u64::from(credentialed) + u64::from(requested) > u64::from(c.value) => {
            Recommendation::AcimaDoTeto
        }
        _ => Recommendation::DentroDoTeto,
    }
}

fn ceil_div(population: u32, divisor: Decimal) -> u32 {
    assert!(divisor > Decimal::ZERO, "VAL.TETO divisors are positive");
    u32::try_from((Decimal::from(population) / divisor).ceil()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use repasse_proto::Ibge;

    fn divisors() -> Divisors {
        Divisors {
            esf: Decimal::from(2000),
            acs_urban: Decimal::from(400),
            acs_rural_north: Decimal::from(280),
        }
    }

    fn municipality(
        uf: Uf,
        population: u32,
        urban: Option<u32>,
        rural: Option<u32>,
    ) -> Municipality {
        Municipality {
            ibge: "261190".parse::<Ibge>().expect("an IBGE code"),
            name: "Caso".to_owned(),
            uf,
            population,
            urban_population: urban,
            rural_population: rural,
        }
    }

    #[test]
    fn given_3000_inhabitants_the_esf_ceiling_rounds_up_to_2() {
        let m = municipality(Uf::PE, 3000, None, None);
        let c = ceiling(&divisors(), &m, CredentialType::Team(TeamType::Esf)).expect("eSF has one");
        assert_eq!(c.value, 2);
        assert_eq!(c.basis, "população 3000 ÷ 2000");
    }

    #[test]
    fn given_a_northern_state_the_rural_population_adds_its_own_rounded_part() {
        let m = municipality(Uf::AM, 10_000, Some(4_001), Some(5_999));
        let c = ceiling(&divisors(), &m, CredentialType::Acs).expect("ACS has one");
        // ⌈4001 ÷ 400⌉ = 11, ⌈5999 ÷ 280⌉ = 22.
        assert_eq!(c.value, 33);
        let south = municipality(Uf::PR, 10_000, Some(4_001), Some(5_999));
        let c = ceiling(&divisors(), &south, CredentialType::Acs).expect("ACS has one");
        assert_eq!(c.value, 11);
    }

    #[test]
    fn without_the_split_the_whole_population_is_urban() {
        let m = municipality(Uf::MA, 1_000, None, None);
        let c = ceiling(&divisors(), &m, CredentialType::Acs).expect("ACS has one");
        assert_eq!(c.value, 3);
    }

    #[test]
    fn when_credentialed_plus_requested_reaches_the_ceiling_it_is_within_and_one_more_is_above() {
        let c = Ceiling {
            value: 5,
            basis: String::new(),
        };
        assert_eq!(recommend(Some(&c), 3, 2), Recommendation::DentroDoTeto);
        assert_eq!(recommend(Some(&c), 3, 3), Recommendation::AcimaDoTeto);
        assert_eq!(recommend(None, 300, 300), Recommendation::DentroDoTeto);
    }

    #[test]
    fn other_team_types_have_no_ceiling() {
        let m = municipality(Uf::PE, 3000, None, None);
        assert!(ceiling(&divisors(), &m, CredentialType::Team(TeamType::Eap30)).is_none());
    }
}
