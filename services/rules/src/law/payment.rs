//! RULES.md §5 — amounts: the line of each team and component, and what a suspension withholds of it
//! (§4). The parameter tables themselves are in [`crate::params`].

use repasse_proto::{Classe, Ibge, Ine, Money, Parcela, Plano, TeamType};

use crate::params::ParamUse;

/// Ladder of the qualidade component of eSB and eMulti, in % of ótimo (RULES.md §5.2).
pub const QUALIDADE_LADDER_PCT: [(Classe, u8); 4] = [
    (Classe::Otimo, 100),
    (Classe::Bom, 75),
    (Classe::Suficiente, 50),
    (Classe::Regular, 25),
];

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    Fixo,
    Vinculo,
    Qualidade,
    Implantacao,
    Acs,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Fixo => "fixo",
            Component::Vinculo => "vinculo",
            Component::Qualidade => "qualidade",
            Component::Implantacao => "implantacao",
            Component::Acs => "acs",
        }
    }
}

/// One ledger line: a team's component in a parcela.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub ine: Ine,
    pub team_type: TeamType,
    pub component: Component,
    pub plano: Plano,
    pub integral: Money,
    pub desconto: Money,
    pub suspension_pct: u8,
    pub reasons: Vec<&'static str>,
    /// The parameter values the line was computed from.
    pub params: Vec<ParamUse>,
}

/// A municipality's totals for one plano in a parcela.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub ibge: Ibge,
    pub parcela: Parcela,
    pub plano: Plano,
    pub integral: Money,
    pub desconto: Money,
    pub ajuste: Money,
    pub efetivo: Money,
}

/// RULES.md §4: proportional suspensions (25/50/75 %) reduce the fixed component only; a 100 % suspension
/// withholds every monthly component of the team's own plano (fixo, vínculo, qualidade).
pub fn withheld(value: Money, suspension_pct: u8, fixed: bool) -> Money {
    if suspension_pct == 100 {
        value
    } else if fixed {
        value.percent(suspension_pct)
    } else {
        Money::ZERO
    }
}

/// PAG.ACS, RULES.md §4: the ACS incentive is a plano of its own, withheld per agent under
/// SUSP.100.ACS_SISAB only, never by the team's percentage.
pub fn acs_withheld(value_per_agent: Money, suspended_agents: usize) -> Money {
    value_per_agent * rust_decimal::Decimal::from(suspended_agents as u64)
}

/// PAG.VINCULO / PAG.QUALIDADE for eSB and eMulti: the class's share of the ótimo value.
pub fn ladder_pct(class: Classe) -> u8 {
    QUALIDADE_LADDER_PCT
        .iter()
        .find(|(c, _)| *c == class)
        .map_or(100, |(_, pct)| *pct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brl(text: &str) -> Money {
        text.parse().expect("money")
    }

    #[test]
    fn given_a_75_pct_suspension_only_the_fixed_component_loses_75_pct() {
        assert_eq!(withheld(brl("16000.00"), 75, true), brl("12000.00"));
        assert_eq!(withheld(brl("6000.00"), 75, false), Money::ZERO);
    }

    #[test]
    fn given_a_100_pct_suspension_every_monthly_component_is_withheld() {
        assert_eq!(withheld(brl("16000.00"), 100, true), brl("16000.00"));
        assert_eq!(withheld(brl("6000.00"), 100, false), brl("6000.00"));
    }

    #[test]
    fn the_acs_incentive_is_withheld_per_suspended_agent_only() {
        assert_eq!(acs_withheld(brl("3036.00"), 0), Money::ZERO);
        assert_eq!(acs_withheld(brl("3036.00"), 2), brl("6072.00"));
    }

    #[test]
    fn the_qualidade_ladder_is_100_75_50_25_pct_of_otimo() {
        let pcts: Vec<u8> = [
            Classe::Otimo,
            Classe::Bom,
            Classe::Suficiente,
            Classe::Regular,
        ]
        .into_iter()
        .map(ladder_pct)
        .collect();
        assert_eq!(pcts, [100, 75, 50, 25]);
    }
}
