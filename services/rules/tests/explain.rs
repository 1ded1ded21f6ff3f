//! Given the facts of a team that lost its médico and enfermeiro, when the auditor asks why, then the
//! explanation names the rule, its citation, the facts behind it and the amounts withheld.

use repasse_proto::fact::*;
use repasse_proto::{CredentialType, Fact, TeamType};
use repasse_rules::Ledger;

fn given_a_team_without_medico_and_enfermeiro_in_2024_07() -> Ledger {
    let ibge = "172120".parse().unwrap();
    let ine = "0001234561".parse().unwrap();
    let professional = |base: u64, cbo: &str| Professional {
        cpf: Some(repasse_proto::Cpf::from_base(base)),
        cns: None,
        cbo: cbo.parse().unwrap(),
        hours: 40,
        left_on: None,
    };
    let team = |competencia: &str, professionals| {
        Fact::ScnesTeam(ScnesTeam {
            competencia: competencia.parse().unwrap(),
            ine,
            cnes: "2000001".parse().unwrap(),
            ibge,
            team_type: TeamType::Esf.into(),
            active: true,
            professionals,
        })
    };
    let facts = [
        Fact::IedStratum(IedStratum {
            ibge,
            stratum: repasse_proto::Estrato::new(3).unwrap(),
            ivs_band: None,
            size_band: None,
            from_parcela: "2024-05".parse().unwrap(),
            source: "Anexo VI".into(),
        }),
        Fact::Credentialing(Credentialing {
            ibge,
            team_type: CredentialType::Team(TeamType::Esf),
            quantity: 1,
            from_parcela: "2024-01".parse().unwrap(),
            portaria: "P".into(),
        }),
        Fact::Homologation(Homologation {
            ine,
            cnes: "2000001".parse().unwrap(),
            ibge,
            team_type: TeamType::Esf,
            from_parcela: "2024-01".parse().unwrap(),
            portaria: "P".into(),
        }),
        team(
            "2024-06",
            vec![
                professional(1, "225142"),
                professional(2, "223565"),
                professional(3, "322245"),
                professional(4, "515105"),
            ],
        ),
        team(
            "2024-07",
            vec![professional(3, "322245"), professional(4, "515105")],
        ),
        Fact::ScnesClosed(ScnesClosed {
            competencia: "2024-06".parse().unwrap(),
        }),
        Fact::ScnesClosed(ScnesClosed {
            competencia: "2024-07".parse().unwrap(),
        }),
    ];
    let mut ledger = Ledger::default();
    for (i, fact) in facts.iter().enumerate() {
        ledger.apply(i as u64 + 1, fact);
    }
    ledger
}

#[test]
fn the_explanation_cites_the_rule_the_facts_and_the_amounts() {
    let ledger = given_a_team_without_medico_and_enfermeiro_in_2024_07();
    let explanation = ledger
        .explain_team("0001234561".parse().unwrap(), "2024-07".parse().unwrap())
        .unwrap();
    let fired: Vec<_> = explanation.fired.iter().map(|c| c.rule.id).collect();
    assert_eq!(fired, ["SUSP.100.MED_E_ENF"]);
    let check = &explanation.fired[0];
    assert_eq!(
        check.positions,
        [5, 4],
        "the SCNES records of C and C − 1 (stream positions)"
    );
    assert!(
        check.detail.contains("médico") && check.detail.contains("enfermeiro"),
        "{}",
        check.detail
    );
    assert!(
        explanation
            .not_fired
            .iter()
            .any(|c| c.rule.id == "VAL.HOMOLOGADA" && c.positions == [3])
    );
    let text = explanation.render_pt_br();
    for expected in [
        "suspensão de 100 %",
        "Portaria GM/MS 6.907/2025",
        "R$ 14.000,00",
        "PAG.FIXO [eSF.3]",
        "posições 5, 4",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let json: serde_json::Value = serde_json::from_str(&explanation.to_json()).unwrap();
    assert_eq!(
        json["lines"][0]["params"][0]["citation"],
        "Portaria GM/MS 3.493/2024 (FAQ Q4–Q11, Figura 3)"
    );
}

#[test]
fn a_team_never_evaluated_has_no_explanation() {
    let ledger = given_a_team_without_medico_and_enfermeiro_in_2024_07();
    assert!(
        ledger
            .explain_team("0009999993".parse().unwrap(), "2024-07".parse().unwrap())
            .is_none()
    );
    assert!(
        ledger
            .explain_team("0001234561".parse().unwrap(), "2024-08".parse().unwrap())
            .is_none()
    );
}
