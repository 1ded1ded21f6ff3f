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
