//! A case that is wrong or unreadable is reported with the JSON path of the problem (the golden cases
//! themselves run one test each in `tests/cases.rs`).

use std::path::PathBuf;

use repasse_cases::format::parse_case;
use repasse_cases::run_case;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

#[tokio::test]
async fn a_wrong_expectation_is_a_mismatch_naming_its_path() {
    let text =
        std::fs::read_to_string(cases_dir().join("esf-acs-absent-two-competencias.json")).unwrap();
    let case = parse_case(
        "x.json",
        &text.replacen("\"suspension_pct\": 25", "\"suspension_pct\": 50", 1),
    )
    .unwrap();
    let outcome = run_case(&case).await.unwrap();
    assert_eq!(outcome.mismatches.len(), 1);
    let mismatch = &outcome.mismatches[0];
    assert_eq!(
        (
            mismatch.path.as_str(),
            mismatch.expected.as_str(),
            mismatch.actual.as_str()
        ),
        ("expect.teams[1].suspension_pct", "50", "25")
    );
}

#[test]
fn unreadable_cases_name_the_json_path_and_what_was_expected() {
    let cases = [
        (
            r#"{"name":"x","facts":[{"type":"scnes_clossed","competencia":"2025-01"}]}"#,
            "facts[0].type",
            "scnes_closed",
        ),
        (
            r#"{"name":"x","facts":[{"type":"scnes_closed","competencia":"2025-13"}]}"#,
            "facts[0].competencia",
            "competência inválida",
        ),
        (
            r#"{"name":"x","facts":[],"expect":{"teams":[{"ine":"123","competencia":"2025-01"}]}}"#,
            "expect.teams[0].ine",
            "INE inválido",
        ),
        (
            r#"{"name":"x","facts":[],"expect":{"lines":[{"ibge":"261180","parcela":"2025-01","ine":"0001234561","component":"bonus"}]}}"#,
            "expect.lines[0].component",
            "bonus",
        ),
        (
            r#"{"name":"x","facts":[],"extra":1}"#,
            "$.extra",
            "campo desconhecido",
        ),
        (
            r#"{"name":"x","facts":[{"type":"scnes_team","competencia":"2025-03..2025-01"}]}"#,
            "facts[0].competencia",
            "invertido",
        ),
        ("{not json", "$", "linha 1"),
    ];
    for (text, path, message) in cases {
        let error = parse_case("caso.json", text).unwrap_err();
        assert_eq!(error.path, path, "{error}");
        assert!(error.message.contains(message), "{error}");
        assert!(error.to_string().starts_with("caso.json: "), "{error}");
    }
}

/// A case of more facts than a case read whole may hold (`MAX_CASE_FACTS`): `run_case_file` reads it as a
/// stream, chunk by chunk, and checks it like any other.
#[tokio::test]
async fn a_case_beyond_the_whole_read_limit_runs_as_a_stream() {
    use repasse_proto::Cpf;
    const TEAMS: u64 = 1_500;
    let mut facts = vec![
        serde_json::json!({"type": "municipality", "ibge": "261180", "name": "Ribeirão", "uf": "PE", "population": 9_000_000}),
        serde_json::json!({"type": "ied_stratum", "ibge": "261180", "stratum": 2, "from_parcela": "2024-05", "source": "Anexo VI"}),
        serde_json::json!({"type": "credentialing", "ibge": "261180", "team_type": "eSF", "quantity": TEAMS, "from_parcela": "2023-01", "portaria": "caso"}),
        serde_json::json!({"type": "scnes_closed", "competencia": "2023-01..2025-12"}),
    ];
    for team in 0..TEAMS {
        let ine = format!("{:010}", 1_000_000 + team);
        let professionals: Vec<_> = ["225142", "223565", "322245", "515105"]
            .iter()
            .enumerate()
            .map(|(k, cbo)| {
                let cpf = Cpf::from_base(team * 4 + k as u64 + 1).to_string();
                serde_json::json!({"cpf": cpf, "cbo": cbo, "hours": 40})
            })
            .collect();
        facts.push(serde_json::json!({"type": "homologation", "ine": ine, "cnes": "2000001", "ibge": "261180", "team_type": "eSF", "from_parcela": "2023-01", "portaria": "caso"}));
        facts.push(serde_json::json!({"type": "scnes_team", "competencia": "2023-01..2025-12", "ine": ine, "cnes": "2000001", "ibge": "261180", "team_type": "eSF", "active": true, "professionals": professionals}));
        facts.push(serde_json::json!({"type": "sisab_production", "competencia": "2023-01..2025-12", "ine": ine, "received_on": "deadline", "status": "approved"}));
    }
    // The expectations come after the facts, as a file written by a program may put them.
    let case = serde_json::json!({
        "facts": facts,
        "name": "nacional-em-fluxo",
        "expect": {"teams": [
            {"ine": "0001000000", "competencia": "2025-12", "payable": true, "suspension_pct": 0},
            {"ine": format!("{:010}", 1_000_000 + TEAMS - 1), "competencia": "2025-12", "payable": true, "suspension_pct": 0}
        ]}
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nacional-em-fluxo.json");
    std::fs::write(&file, serde_json::to_vec(&case).unwrap()).unwrap();
    // Read whole, it is refused naming the limit and the way to run it.
    let whole = repasse_cases::read_case(&file).unwrap_err();
    assert!(whole.message.contains("repasse case run"), "{whole}");
    let outcome = repasse_cases::run_case_file(&file).await.unwrap();
    assert!(
        outcome.facts > repasse_cases::format::MAX_CASE_FACTS,
        "{} facts",
        outcome.facts
    );
    assert_eq!(outcome.name, "nacional-em-fluxo");
    assert_eq!(outcome.checks, 4);
    assert!(outcome.mismatches.is_empty(), "{:?}", outcome.mismatches);
}
