//! RULES.md §7 — retroactive credit and adjustments (NT 829/2022, seed 002). A request is assessed against
//! what the ledger itself decided for the team in the parcela; the Ministry's decision is a fact, and a
//! `deferido` posts the withheld amount as an *ajuste* of the next open parcela (RETRO.DECISAO).

use repasse_proto::fact::RetroRequest;
use repasse_proto::{Competencia, Date, Ine, Money, Parcela};

use crate::catalog::{self, Rule, RuleId};
use crate::law::settings::Settings;
use crate::law::status::TeamStatus;
use crate::law::view::History;

/// What the ledger recommends to the Ministry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    Elegivel,
    Inelegivel,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Elegivel => "elegivel",
            Recommendation::Inelegivel => "inelegivel",
        }
    }
}

/// One rule of §7 checked against a request: `against` when it makes the request ineligible.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RetroCheck {
    pub rule: Rule,
    pub against: bool,
    pub detail: String,
}

/// What the ledger knows of one team a request names, for the parcela it names.
#[derive(Clone, Debug)]
pub struct TeamFacts<'a> {
    pub ine: Ine,
    /// Homologated and not cancelled at the parcela (§6.1.c).
    pub homologated: bool,
    /// Its homologation is in the request's municipality (RETRO.FLUXO).
    pub in_municipality: bool,
    /// The team's status in the competência the parcela pays on; `None` when the ledger has none (the
    /// competência is not closed, or the team was never evaluated).
    pub status: Option<&'a TeamStatus>,
    /// RETRO.SISAB: every competência behind the suspension was later sent and approved before its
    /// discard date (`None` when no SISAB suspension is in question).
    pub sisab_regularised: Option<bool>,
    /// What the suspension the request is about withheld in the parcela.
    pub withheld: Money,
}

/// A request assessed: the recommendation, every rule checked, and what a `deferido` would credit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Assessment {
    pub recommendation: Recommendation,
    pub checks: Vec<RetroCheck>,
    pub deadline: Date,
    /// The teams found eligible and what each had withheld.
    pub eligible_teams: Vec<(Ine, Money)>,
}

impl Assessment {
    /// The rule ids that made the request ineligible (empty when eligible), sorted.
    pub fn reasons(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = self
            .checks
            .iter()
            .filter(|c| c.against)
            .map(|c| c.rule.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// What a `deferido` credits: the withheld amount of the eligible teams.
    pub fn creditable(&self) -> Money {
        self.eligible_teams
            .iter()
            .fold(Money::ZERO, |sum, (_, m)| sum + *m)
    }
}

/// RETRO.PRAZO: the last day a request about parcela `p` may enter SEI: the last day of `p` + `months`
/// (NT 829/2022 §5.2.2). [interp] The seed's table has typos against a constant + 5 months; a calendar
/// deadline (SEI takes requests on any day), so the last day counts even on a weekend.
pub fn deadline(p: Parcela, months: i32) -> Date {
    p.add_months(months).last_day()
}

/// RETRO.INELEGIVEL: suspensions that are never eligible — duplicity and absence of professionals
/// (§5.1.4), control bodies (§5.1.3), and a team without SCNES record, which is not valid (§5.1.6).
pub fn never_eligible(rule: RuleId) -> bool {
    matches!(
        rule,
        RuleId::Susp25AuxOuAcs
            | RuleId::Susp50AuxEAcs
            | RuleId::Susp75DuasCategorias
            | RuleId::Susp75MedOuEnf
            | RuleId::Susp100TresCategorias
            | RuleId::Susp100MedEEnf
            | RuleId::Susp50Duplicidade
            | RuleId::Susp100OrgaoControle
            | RuleId::Susp100SemCadastro
            | RuleId::SuspRevogacao
    )
}

/// RETRO.FORMA: the form checks of §6.1's observation — signed, on the Anexo I model, complete (a
/// justification, and an irregularity that names a suspension or validity rule of the catalog).
pub fn form_problems(r: &RetroRequest) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if !r.signed {
        problems.push("sem assinatura");
    }
    if !r.conforms_to_model {
        problems.push("fora do modelo do Anexo I");
    }
    if r.justification.trim().is_empty() {
        problems.push("sem justificativa");
    }
    if irregularity_named(r).is_none() {
        problems.push("irregularidade não é uma regra de suspensão ou de validade do catálogo");
    }
    problems
}

/// The suspension or validity rule the request names as its irregularity, if it is one of the catalog.
pub fn irregularity_named(r: &RetroRequest) -> Option<Rule> {
    catalog::find(r.irregularity.trim())
        .filter(|rule| rule.id.starts_with("SUSP.") || rule.id.starts_with("VAL."))
}

/// RETRO.INELEGIVEL on what the request itself names: a never-eligible suspension, or a validity rule (a
/// team not valid is not suspended, §5.1.6).
pub fn named_never_eligible(r: &RetroRequest) -> bool {
    irregularity_named(r)
        .is_some_and(|rule| rule.id.starts_with("VAL.") || never_eligible(rule.key))
}

/// The suspension rule the request names, if it is one of the catalog.
pub fn suspension_named(r: &RetroRequest) -> Option<Rule> {
    catalog::find(r.irregularity.trim()).filter(|rule| rule.id.starts_with("SUSP."))
}

/// Whether the request is about one agent's ACS line (SUSP.100.ACS_SISAB) rather than the team's
/// percentage: which lines its credit returns.
pub fn about_acs(r: &RetroRequest) -> bool {
    suspension_named(r).is_some_and(|rule| rule.key == RuleId::Susp100AcsSisab)
}

/// Assesses a request (RETRO.FLUXO, RETRO.PRAZO, RETRO.FORMA, RETRO.INELEGIVEL, RETRO.SISAB,
/// RETRO.DISTINCAO) against the teams it names and what the ledger decided for them.
/// [interp] Every rule that fails is a reason; RETRO.DISTINCAO (nothing was withheld) only where nothing
/// else stops the team. A team is eligible when neither the suspension the ledger decided nor the one the
/// request names is never-eligible; the request is eligible when the form, flow and deadline hold and at
/// least one team it names (in its municipality) is.
pub fn assess(
    r: &RetroRequest,
    municipality_uf_matches: bool,
    deadline_months: i32,
    teams: &[TeamFacts<'_>],
) -> Assessment {
    let mut checks = Vec::new();
    let mut check = |rule: Rule, against: bool, detail: String| {
        checks.push(RetroCheck {
            rule,
            against,
            detail,
        });
    };
    let problems = form_problems(r);
    let form_detail = if problems.is_empty() {
        "assinado, no modelo do Anexo I, com justificativa e irregularidade".to_owned()
    } else {
        problems.join("; ")
    };
    check(catalog::RETRO_FORMA, !problems.is_empty(), form_detail);
    let strangers: Vec<String> = teams
        .iter()
        .filter(|t| !t.in_municipality)
        .map(|t| t.ine.to_string())
        .collect();
    let flow_ok = municipality_uf_matches && strangers.is_empty() && !teams.is_empty();
    let flow_detail = if !municipality_uf_matches {
        format!(
            "encaminhado pela SES de {}, mas o município {} é de outra UF",
            r.uf, r.ibge
        )
    } else if teams.is_empty() {
        "o pedido não identifica equipe homologada no município (INE ou CNES)".to_owned()
    } else if !strangers.is_empty() {
        format!("equipe(s) {} de outro município", strangers.join(", "))
    } else {
        format!("município {} → SES {} → Ministério", r.ibge, r.uf)
    };
    check(catalog::RETRO_FLUXO, !flow_ok, flow_detail);
    let last_day = deadline(r.parcela, deadline_months);
    let late = r.sei_entered_on > last_day;
    check(
        catalog::RETRO_PRAZO,
        late,
        format!(
            "entrada no SEI em {}, prazo até {} (parcela {} + {deadline_months} meses)",
            r.sei_entered_on.format_br(),
            last_day.format_br(),
            r.parcela
        ),
    );
    let acs = about_acs(r);
    let mut eligible_teams = Vec::new();
    // A team of another municipality fails RETRO.FLUXO; nothing else is judged of it.
    for team in teams.iter().filter(|t| t.in_municipality) {
        let verdict = team_verdict(r, acs, team);
        for (rule, against, detail) in verdict.checks {
            check(rule, against, format!("equipe {}: {detail}", team.ine));
        }
        if verdict.eligible {
            eligible_teams.push((team.ine, team.withheld));
        }
    }
    let ineligible = checks.iter().any(|c| c.against);
    let recommendation = if ineligible || eligible_teams.is_empty() {
        Recommendation::Inelegivel
    } else {
        Recommendation::Elegivel
    };
    Assessment {
        recommendation,
        checks,
        deadline: last_day,
        eligible_teams,
    }
}

struct TeamVerdict {
    eligible: bool,
    checks: Vec<(Rule, bool, String)>,
}

/// RETRO.INELEGIVEL, RETRO.SISAB and RETRO.DISTINCAO for one team.
fn team_verdict(r: &RetroRequest, acs: bool, team: &TeamFacts<'_>) -> TeamVerdict {
    let mut checks = Vec::new();
    let named_barred = named_never_eligible(r);
    let ineligible = |detail: String| TeamVerdict {
        eligible: false,
        checks: vec![(catalog::RETRO_INELEGIVEL, true, detail)],
    };
    let Some(status) = team.status.filter(|_| team.homologated) else {
        return ineligible(if team.homologated {
            format!(
                "sem decisão do razão para a competência {} (não fechada ou equipe não avaliada)",
                r.parcela.competencia()
            )
        } else {
            "equipe sem homologação no município ou com homologação cancelada".to_owned()
        });
    };
    if !status.payable {
        return ineligible(format!(
            "equipe não válida na competência {} ({}): não é suspensão",
            status.competencia,
            status.not_valid.join(", ")
        ));
    }
    let barred: Vec<&'static str> = status
        .reasons
        .iter()
        .filter(|id| catalog::find(id).is_some_and(|rule| never_eligible(rule.key)))
        .collect();
    let suspended = if acs {
        !status.suspended_agents.is_empty()
    } else {
        status.suspension_pct > 0
    };
    let decided = if acs {
        format!(
            "{} ACS suspenso(s) por SUSP.100.ACS_SISAB",
            status.suspended_agents.len()
        )
    } else if suspended {
        format!(
            "suspensão de {} % por {}",
            status.suspension_pct,
            status.reasons.join(", ")
        )
    } else {
        "sem suspensão decidida".to_owned()
    };
    let detail = if !barred.is_empty() && !acs {
        format!("{decided}: {} nunca elegível", barred.join(", "))
    } else if named_barred {
        format!(
            "irregularidade informada {} nunca elegível ({decided})",
            r.irregularity
        )
    } else {
        format!(
            "{decided}: passível de crédito (informada {})",
            r.irregularity
        )
    };
    checks.push((
        catalog::RETRO_INELEGIVEL,
        named_barred || (!acs && !barred.is_empty()),
        detail,
    ));
    if let Some(regularised) = team.sisab_regularised {
        let detail = if regularised {
            "competências faltantes enviadas e aprovadas antes do descarte".to_owned()
        } else {
            "competências faltantes não aprovadas antes do descarte (CAL.SISAB_DESCARTE)".to_owned()
        };
        checks.push((catalog::RETRO_SISAB, !regularised, detail));
    }
    let stopped = checks.iter().any(|(_, against, _)| *against);
    // Whether the ledger suspended the team decides, not the amount: before the new model (parcelas
    // before 2024-05) the ledger computes no lines, and a suspension there withheld what it withheld.
    let nothing = !suspended;
    let detail = if nothing {
        "nada suspenso na parcela: erro do Ministério é ajuste, sem pedido".to_owned()
    } else {
        format!("suspenso na parcela: {}", team.withheld.to_brl())
    };
    checks.push((catalog::RETRO_DISTINCAO, nothing && !stopped, detail));
    let eligible = !checks.iter().any(|(_, against, _)| *against);
    TeamVerdict { eligible, checks }
}

/// RETRO.SISAB: every competência behind a SISAB suspension of competência `c` — the team's window, or
/// one agent's — has approved production received before its discard date (CAL.SISAB_DESCARTE; NT 829/2022
/// §5.1.2). For an agent, the team's own upload counts as its agents' (as SUSP.100.ACS_SISAB reads it).
pub fn sisab_regularised<H: History>(
    settings: &Settings,
    history: &H,
    ine: Ine,
    agent: Option<u64>,
    c: Competencia,
) -> bool {
    let window = if agent.is_some() {
        settings.acs_months
    } else {
        settings.sisab_months
    };
    (0..window).map(|k| c.add_months(-k)).all(|m| {
        let Some(discard) = settings.discard_from(m) else {
            return false;
        };
        let kept = |who: Option<u64>| {
            history
                .upload(ine, who, m)
                .and_then(|u| u.approved)
                .is_some_and(|(received, _)| received < discard)
        };
        kept(agent) || (agent.is_some() && kept(None))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_the_last_day_of_the_parcela_plus_five_months() {
        let p = |s: &str| s.parse::<Parcela>().unwrap();
        // Seed 002 §5.2.2: parcela March → August; parcela December → May of the next year (the seed's
        // table says June: one of its typos).
        assert_eq!(deadline(p("2022-03"), 5).to_string(), "2022-08-31");
        assert_eq!(deadline(p("2022-12"), 5).to_string(), "2023-05-31");
        assert_eq!(deadline(p("2023-09"), 5).to_string(), "2024-02-29");
    }

    #[test]
    fn duplicity_absence_control_and_no_record_are_never_eligible_and_sisab_may_be() {
        for rule in catalog::ALL.iter().filter(|r| r.id.starts_with("SUSP.")) {
            let expected = !matches!(
                rule.key,
                RuleId::Susp50Sisab | RuleId::Susp100AcsSisab | RuleId::Susp100Carga60h
            );
            assert_eq!(never_eligible(rule.key), expected, "{}", rule.id);
        }
    }
}
