//! RULES.md §5 — amounts: the line of each team and component, and what a suspension withholds of it
//! (§4). The parameter tables themselves are in [`crate::params`].

use repasse_proto::{Classe, Ibge, Ine, Money, Parcela, Plano, TeamType};

use crate::calendar::{in_transition, novo_modelo_from};
use crate::law::record::HomologationEntry;
use crate::params::{self, ParamUse, Params};

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

/// PAG.FIXO: the fixed component of the team's type, by the municipality's IED stratum for eSF and eAP.
pub fn fixo(params: &Params, t: TeamType, stratum: Option<u8>, p: Parcela) -> Option<ParamUse> {
    let key = if t.is_esf_or_eap() {
        format!("{t}.{}", stratum?)
    } else {
        t.to_string()
    };
    params.money(params::FIXO, &key, p)
}

/// PAG.VINCULO (`params::VINCULO`, eSF and eAP only) and PAG.QUALIDADE (`params::QUALIDADE`): the value of
/// the class; eSB and eMulti take the ladder over ótimo.
pub fn class_value(
    params: &Params,
    t: TeamType,
    table: &'static str,
    class: Classe,
    p: Parcela,
) -> Option<(ParamUse, Money)> {
    if t.is_esf_or_eap() {
        let used = params.money(table, &format!("{t}.{class}"), p)?;
        let value = used.value;
        return Some((used, value));
    }
    let used = params.money(table, &format!("{t}.otimo"), p)?;
    let value = used.value.percent(ladder_pct(class));
    Some((used, value))
}

/// PAG.TRANSICAO: "bom" in the transition; then the team's published class, else its municipality's, else
/// [interp] the default of table `PAG.PADRAO` ("bom").
pub fn class(
    params: &Params,
    p: Parcela,
    team: Option<Classe>,
    municipality: Option<Classe>,
) -> Classe {
    if in_transition(p) {
        return Classe::Bom;
    }
    team.or(municipality).unwrap_or_else(|| {
        params
            .text(params::PADRAO, "classe", p)
            .parse()
            .expect("validated on publish")
    })
}

/// PAG.IMPLANTACAO: once, with the first payable parcela of a team homologated from 2024-05 on (`h`, the
/// homologation in force); the caller knows whether this is that parcela.
pub fn implantacao(
    params: &Params,
    t: TeamType,
    h: Option<&HomologationEntry>,
    p: Parcela,
) -> Option<ParamUse> {
    let h = h?;
    (h.from >= novo_modelo_from()).then(|| params.money(params::IMPLANTACAO, t.as_str(), p))?
}

/// PAG.ACS: per agent, up to the municipality's credentialed vacancies left after the agents before this
/// team (`before`); withheld per agent under SUSP.100.ACS_SISAB. `(value used, integral, desconto)`, or
/// `None` when no agent of the team is paid.
pub fn acs(
    params: &Params,
    p: Parcela,
    vacancies: u32,
    before: u32,
    agents: &[u64],
    suspended: &[u64],
) -> Option<(ParamUse, Money, Money)> {
    let used = params.acs_value(p)?;
    let paid = (vacancies.saturating_sub(before) as usize).min(agents.len());
    if paid == 0 {
        return None;
    }
    let value = used.value;
    let integral = value * rust_decimal::Decimal::from(paid as u64);
    let withheld_agents = agents[..paid]
        .iter()
        .filter(|a| suspended.contains(a))
        .count();
    let desconto = acs_withheld(value, withheld_agents);
    Some((used, integral, desconto))
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
    fn pag_acs_pays_the_vacancies_left_and_withholds_only_suspended_agents() {
        let params = Params::default();
        let p: Parcela = "2025-03".parse().unwrap();
        // 3 vacancies, 1 taken by a team before: 2 of these 3 agents are paid, one of them suspended.
        let (_, integral, desconto) = acs(&params, p, 3, 1, &[10, 20, 30], &[20, 30]).unwrap();
        assert_eq!(integral, brl("6072.00"));
        assert_eq!(desconto, brl("3036.00"));
        assert!(acs(&params, p, 1, 1, &[10], &[]).is_none());
    }

    #[test]
    fn pag_transicao_is_bom_in_the_transition_then_the_team_class_wins() {
        let params = Params::default();
        let transition: Parcela = "2025-04".parse().unwrap();
        let after: Parcela = "2025-05".parse().unwrap();
        assert_eq!(
            class(&params, transition, Some(Classe::Otimo), None),
            Classe::Bom
        );
        assert_eq!(
            class(&params, after, Some(Classe::Otimo), Some(Classe::Regular)),
            Classe::Otimo
        );
        assert_eq!(
            class(&params, after, None, Some(Classe::Regular)),
            Classe::Regular
        );
        assert_eq!(class(&params, after, None, None), Classe::Bom);
    }

    #[test]
    fn pag_fixo_of_an_esf_in_stratum_2_and_an_eap20_in_stratum_3() {
        let params = Params::default();
        let p: Parcela = "2025-03".parse().unwrap();
        assert_eq!(
            fixo(&params, TeamType::Esf, Some(2), p).unwrap().value,
            brl("16000.00")
        );
        assert_eq!(
            fixo(&params, TeamType::Eap20, Some(3), p).unwrap().value,
            brl("5600.00")
        );
        assert!(fixo(&params, TeamType::Esf, None, p).is_none());
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
