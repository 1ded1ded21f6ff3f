//! Properties of the fold: the percentage is the largest reason's, never a sum; the same facts give
//! byte-identical decisions and explanations; no floating point anywhere in the law.

use proptest::prelude::*;
use repasse_proto::fact::*;
use repasse_proto::{Competencia, CredentialType, Fact, Parcela, TeamType};
use repasse_rules::Ledger;

const CBOS: [&str; 4] = ["225142", "223565", "322245", "515105"];

/// A team over four competências: which categories are present each month, SISAB each month, hours of
/// the médico, and whether a control body suspends it from a month.
#[derive(Debug, Clone)]
struct Scenario {
    team_type: TeamType,
    present: Vec<[bool; 4]>,
    sisab: Vec<bool>,
    medico_hours: u8,
    control_from: Option<usize>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::sample::select(vec![TeamType::Esf, TeamType::Eap30, TeamType::Eap20]),
        prop::collection::vec(any::<[bool; 4]>(), 4),
        prop::collection::vec(any::<bool>(), 4),
        20u8..=70,
        prop::option::of(0usize..4),
    )
        .prop_map(
            |(team_type, present, sisab, medico_hours, control_from)| Scenario {
                team_type,
                present,
                sisab,
                medico_hours,
                control_from,
            },
        )
}

fn facts(s: &Scenario) -> Vec<Fact> {
    let ibge = "261180".parse().unwrap();
    let ine = "0001234561".parse().unwrap();
    let first = Competencia::new(2025, 1).unwrap();
    let from = Parcela::new(2024, 1).unwrap();
    let mut facts = vec![
        Fact::IedStratum(IedStratum {
            ibge,
            stratum: repasse_proto::Estrato::new(2).unwrap(),
            ivs_band: None,
            size_band: None,
            from_parcela: from,
            source: "t".into(),
        }),
        Fact::Credentialing(Credentialing {
            ibge,
            team_type: CredentialType::Team(s.team_type),
            quantity: 1,
            from_parcela: from,
            portaria: "t".into(),
        }),
        Fact::Homologation(Homologation {
            ine,
            cnes: "2000001".parse().unwrap(),
            ibge,
            team_type: s.team_type,
            from_parcela: from,
            portaria: "t".into(),
        }),
    ];
    for (m, present) in s.present.iter().enumerate() {
        let competencia = first.add_months(m as i32);
        let professionals = (0..4)
            .filter(|k| present[*k])
            .map(|k| Professional {
                cpf: Some(repasse_proto::Cpf::from_base(100 + k as u64)),
                cns: None,
                cbo: CBOS[k].parse().unwrap(),
                hours: if k == 0 { s.medico_hours } else { 40 },
                left_on: None,
            })
            .collect();
        facts.push(Fact::ScnesTeam(ScnesTeam {
            competencia,
            ine,
            cnes: "2000001".parse().unwrap(),
            ibge,
            team_type: s.team_type.into(),
            active: true,
            professionals,
        }));
        if s.sisab[m] {
            let received_on = repasse_rules::calendar::sisab_deadline(competencia);
            facts.push(Fact::SisabProduction(SisabProduction {
                competencia,
                ine,
                cpf: None,
                received_on,
                status: SisabStatus::Approved,
            }));
        }
        if s.control_from == Some(m) {
            facts.push(Fact::ControlBodySuspension(ControlBodySuspension {
                ine,
                from_competencia: competencia,
                body: "TCU".into(),
                process: "1".into(),
            }));
        }
        facts.push(Fact::ScnesClosed(ScnesClosed { competencia }));
    }
    facts
}

fn fold(facts: &[Fact]) -> Ledger {
    let mut ledger = Ledger::default();
    for (i, fact) in facts.iter().enumerate() {
        ledger.apply(i as u64 + 1, fact);
    }
    ledger
}

/// The percentage a suspension rule id carries (`SUSP.<pct>.…`).
fn pct_of(rule: &str) -> u8 {
    rule.split('.')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("suspension ids carry their percentage")
}

/// Everything the ledger decides, serialized.
fn outputs(ledger: &Ledger) -> String {
    let mut out = String::new();
    for c in ledger.closed_competencias() {
        out += &serde_json::to_string(&ledger.evaluate_competencia(c)).unwrap();
        out += &serde_json::to_string(&ledger.parcela(c.parcela(), None)).unwrap();
        let ine = "0001234561".parse().unwrap();
        if let Some(explanation) = ledger.explain_team(ine, c) {
            out += &explanation.to_json();
            out += &explanation.render_pt_br();
        }
    }
    out + &serde_json::to_string(&ledger.suspension_decisions()).unwrap()
}

/// The decisions by walking the whole history with each team's last payable percentage: what
/// `suspension_decisions_in` computes per competência with a merge against the competência before.
fn decisions_by_history_walk(ledger: &Ledger) -> Vec<(String, u8, u8, bool)> {
    let mut previous = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for c in ledger.closed_competencias() {
        for s in ledger.evaluate_competencia(c) {
            if !s.payable {
                previous.remove(&s.ine);
                continue;
            }
            let before = previous.insert(s.ine, s.suspension_pct).unwrap_or(0);
            if before != s.suspension_pct {
                out.push((format!("{}/{c}", s.ine), before, s.suspension_pct, false));
            }
            if s.revoked_now {
                out.push((format!("{}/{c}", s.ine), 0, 0, true));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_percentage_applied_is_the_largest_reason_never_a_sum(s in scenario()) {
        let ledger = fold(&facts(&s));
        for c in ledger.closed_competencias() {
            for status in ledger.evaluate_competencia(c) {
                let max = status.reasons.iter().map(pct_of).max().unwrap_or(0);
                prop_assert_eq!(status.suspension_pct, max, "{:?}", status);
            }
        }
    }

    #[test]
    fn the_same_facts_give_byte_identical_decisions_and_explanations(s in scenario()) {
        let facts = facts(&s);
        prop_assert_eq!(outputs(&fold(&facts)), outputs(&fold(&facts)));
    }

    #[test]
    fn decisions_per_competencia_equal_the_walk_over_the_whole_history(s in scenario()) {
        use repasse_proto::Decision;
        let ledger = fold(&facts(&s));
        let merged: Vec<_> = ledger
            .suspension_decisions()
            .into_iter()
            .map(|d| match d {
                Decision::SuspensionApplied(d)
                | Decision::SuspensionChanged(d)
                | Decision::SuspensionLifted(d) => {
                    (format!("{}/{}", d.ine, d.competencia), d.previous_pct, d.pct, false)
                }
                Decision::CredentialRevoked(d) => (format!("{}/{}", d.ine, d.competencia), 0, 0, true),
                other => panic!("not a suspension decision: {other:?}"),
            })
            .collect();
        prop_assert_eq!(merged, decisions_by_history_walk(&ledger));
    }

    #[test]
    fn lines_are_rounded_once_to_the_centavo_and_desconto_never_exceeds_integral(s in scenario()) {
        let ledger = fold(&facts(&s));
        for p in ledger.parcelas() {
            for line in ledger.parcela(p, None).lines {
                prop_assert_eq!(line.integral, line.integral.round_centavo());
                prop_assert!(line.desconto <= line.integral);
            }
        }
    }
}

#[test]
fn no_floating_point_type_appears_in_the_law() {
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for word in ["f64", "f32"] {
                let found = text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|token| token == word);
                assert!(!found, "{} uses {word}", path.display());
            }
        }
    }
    assert!(files > 10, "the law's sources were found ({files} files)");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_engine_decides_what_the_plain_evaluation_of_the_law_decides(s in scenario()) {
        let facts = facts(&s);
        let ledger = fold(&facts);
        let plain = repasse_rules::law::plain::PlainHistory::new(
            facts.iter().enumerate().map(|(i, f)| (i as u64 + 1, f)),
        )
        .evaluate();
        prop_assert_eq!(plain.keys().copied().collect::<Vec<_>>(), ledger.closed_competencias());
        for (c, statuses) in plain {
            prop_assert_eq!(ledger.evaluate_competencia(c), statuses);
        }
    }
}
