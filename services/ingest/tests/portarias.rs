//! The annexes of portarias (`repasse ingest portarias`): what each reads to, and each class of bad input
//! with its precise refusal or quarantine entry.

use std::path::{Path, PathBuf};

use repasse_ingest::files::{Error, Parsed};
use repasse_ingest::portarias::{Act, Portaria, parcela_of, team_type_arg};
use repasse_ingest::sources::{self, Options, Source};
use repasse_proto::Fact;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/portarias")
        .join(relative)
}

fn portaria(act: Act, team_type: Option<&str>) -> Portaria {
    Portaria {
        act,
        number: "GM/MS nº 3.382".into(),
        published_on: "2024-04-04".parse().unwrap(),
        from_parcela: "2024-05".parse().unwrap(),
        team_type: team_type.map(|t| team_type_arg(t).unwrap()),
    }
}

fn read(path: &Path, portaria: Portaria) -> Result<Parsed, Error> {
    let options = Options {
        portaria: Some(portaria),
        ..Options::default()
    };
    sources::read(Source::Portarias, path, &options, &mut |_, _| {})
}

/// `text` written as a file (UTF-8) in a fresh directory.
fn annex(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anexo.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn refusal(result: Result<Parsed, Error>) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(parsed) => panic!("expected a refusal, read {} facts", parsed.facts.len()),
    }
}

fn json(parsed: &Parsed) -> Vec<serde_json::Value> {
    parsed
        .facts
        .iter()
        .map(|(f, _)| serde_json::to_value(f).unwrap())
        .collect()
}

/// Each quarantined row's line and field, in order.
fn set_aside(parsed: &Parsed) -> Vec<(u64, &str)> {
    parsed
        .quarantine
        .iter()
        .map(|q| (q.line, q.field.as_str()))
        .collect()
}

#[test]
fn a_credentialing_annex_in_latin1_with_titles_a_seven_digit_ibge_and_a_total_reads_to_its_quantities()
 {
    let parsed = read(
        &fixture("credenciamento-esf.csv"),
        portaria(Act::Credenciamento, Some("eSF")),
    )
    .unwrap();
    assert!(parsed.quarantine.is_empty(), "{:?}", parsed.quarantine);
    let facts = json(&parsed);
    assert_eq!(facts.len(), 2);
    assert_eq!(
        facts[0]["ibge"], "261180",
        "2611804 is 261180 with its check digit"
    );
    assert_eq!(facts[0]["quantity"], 1);
    assert_eq!(facts[0]["team_type"], "eSF");
    assert_eq!(facts[0]["from_parcela"], "2024-05");
    assert_eq!(
        facts[0]["portaria"],
        "Portaria GM/MS nº 3.382, de 04/04/2024"
    );
    assert_eq!(facts[1]["ibge"], "172120");
    assert_eq!(facts[1]["quantity"], 2);
    assert_eq!(parsed.facts[0].1, 4, "the line of the row in the file");
    let notes = parsed.notes.join(" | ");
    assert!(
        notes.contains("ISO-8859-1") && notes.contains("1 linhas de total"),
        "{notes}"
    );
    assert!(
        notes.contains("--team-type") || notes.contains("dado ao lado"),
        "{notes}"
    );
}

#[test]
fn a_homologation_annex_in_utf8_puts_back_the_zeros_a_spreadsheet_dropped() {
    let parsed = read(
        &fixture("homologacao-2024-01.csv"),
        portaria(Act::Homologacao, None),
    )
    .unwrap();
    let facts = json(&parsed);
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0]["type"], "homologation");
    assert_eq!(facts[0]["ine"], "0001234561");
    assert_eq!(facts[0]["cnes"], "2000001");
    assert_eq!(facts[0]["team_type"], "eSF");
}

#[test]
fn the_older_annex_with_agents_and_teams_gives_one_fact_per_column() {
    let (_dir, path) = annex(
        "UF;CÓD. M.;MUNICÍPIOS;AGENTES;EQUIPES\nAL;2702900;GIRAU DO PONCIANO;81;10\nAL;2702900;GIRAU DO PONCIANO;0;0\n",
    );
    let parsed = read(&path, portaria(Act::Credenciamento, Some("eSF"))).unwrap();
    let facts = json(&parsed);
    assert_eq!(facts.len(), 2, "{facts:?}");
    assert_eq!(
        (
            facts[0]["team_type"].as_str(),
            facts[0]["quantity"].as_u64()
        ),
        (Some("eSF"), Some(10))
    );
    assert_eq!(
        (
            facts[1]["team_type"].as_str(),
            facts[1]["quantity"].as_u64()
        ),
        (Some("ACS"), Some(81))
    );
    // The repeated municipality is set aside, not added: its zeros would add nothing anyway, so it is the
    // first of a second row with quantities that shows it.
    let (_dir, path) = annex(
        "UF;IBGE;MUNICÍPIO;QUANTIDADE\nAL;270290;Girau do Ponciano;3\nAL;270290;Girau do Ponciano;3\n",
    );
    let parsed = read(&path, portaria(Act::Credenciamento, Some("eAP 30h"))).unwrap();
    assert_eq!(parsed.facts.len(), 1);
    assert_eq!(parsed.quarantine.len(), 1);
    assert_eq!(parsed.quarantine[0].line, 3);
    assert!(
        parsed.quarantine[0].reason.contains("linha 2"),
        "{:?}",
        parsed.quarantine[0]
    );
}

#[test]
fn a_shifted_or_wrong_row_is_set_aside_naming_its_line_field_and_reason() {
    let text = "UF;IBGE;MUNICÍPIO;CNES;INE;TIPO DE EQUIPE\n\
                PE;261180;Ribeirão;2000001;0001234561;eSF\n\
                PE;172120;Tocantinópolis;2000002;0001234570;eSF\n\
                PE;261180;Recife;2000003;0001234589;eSF\n\
                PE;2611805;Ribeirão;2000004;0001234597;eSF\n\
                PE;261180;Ribeirão;2000005;00012345600;eSF\n\
                PE;261180;Ribeirão;2000006;0001234618;eSF 60h\n\
                PE;261180;Ribeirão;2000001;1234561;eSF\n\
                PE;269999;Ribeirão;2000007;0001234626;eSF\n\
                TOTAL;;;;;\n";
    let (_dir, path) = annex(text);
    let parsed = read(&path, portaria(Act::Homologacao, None)).unwrap();
    assert_eq!(parsed.facts.len(), 1, "{:?}", json(&parsed));
    let got = set_aside(&parsed);
    assert_eq!(
        got,
        [
            (3, "UF"),
            (4, "MUNICÍPIO"),
            (5, "IBGE"),
            (6, "INE"),
            (7, "TIPO DE EQUIPE"),
            (8, "INE"),
            (9, "IBGE")
        ]
    );
    assert!(parsed.quarantine[0].reason.contains("TO"));
    assert!(parsed.quarantine[1].reason.contains("RIBEIRÃO"));
    assert!(parsed.quarantine[5].reason.contains("linha 2"));
    assert!(parsed.quarantine[6].reason.contains("Anexo VI"));
}

#[test]
fn a_file_without_the_columns_its_act_needs_is_refused_whole_naming_them() {
    let (_dir, path) = annex("UF;IBGE;MUNICÍPIO;CNES\nPE;261180;Ribeirão;2000001\n");
    let reason = refusal(read(&path, portaria(Act::Homologacao, None)));
    assert!(
        reason.contains("INE")
            && reason.contains("TIPO DE EQUIPE")
            && reason.contains("nada foi gravado"),
        "{reason}"
    );
    let reason = refusal(read(&path, portaria(Act::Credenciamento, None)));
    assert!(reason.contains("QUANTIDADE"), "{reason}");
    let (_dir, path) = annex("UF,IBGE,MUNICÍPIO,QUANTIDADE\nPE,261180,Ribeirão,1\n");
    let reason = refusal(read(&path, portaria(Act::Credenciamento, Some("eSF"))));
    assert!(reason.contains("separador"), "{reason}");
    let (_dir, path) = annex("Nome;Valor\nx;1\n");
    let reason = refusal(read(&path, portaria(Act::Cancelamento, None)));
    assert!(reason.contains("cabeçalho"), "{reason}");
    let reason = refusal(sources::read(
        Source::Portarias,
        &path,
        &Options::default(),
        &mut |_, _| {},
    ));
    assert!(
        reason.contains("número") && reason.contains("parcela"),
        "{reason}"
    );
}

#[test]
fn the_first_parcela_and_the_team_type_are_read_as_the_portaria_writes_them() {
    assert_eq!(parcela_of("10/12 de 2025").unwrap().to_string(), "2025-10");
    assert_eq!(
        parcela_of("parcela 01/12 de 2026").unwrap().to_string(),
        "2026-01"
    );
    assert_eq!(parcela_of("2024-05").unwrap().to_string(), "2024-05");
    assert!(parcela_of("Única em 2026").is_err());
    let t = |s: &str| team_type_arg(s).map(|t| t.as_str()).unwrap_or("?");
    assert_eq!(t("eAP 20h"), "eAP20");
    assert_eq!(t("EAP 30 HORAS"), "eAP30");
    assert_eq!(t("eSB 40h Modalidade II"), "eSB2");
    assert_eq!(t("eSB Modalidade I Quilombola"), "eSB1Q");
    assert_eq!(t("eMulti Estratégica"), "eMultiEstrategica");
    assert_eq!(t("Agentes Comunitários de Saúde"), "ACS");
    assert!(team_type_arg("eCR").is_err());
}

#[test]
fn a_cancellation_needs_only_the_ine() {
    let (_dir, path) = annex("INE\n0001234561\n");
    let parsed = read(&path, portaria(Act::Cancelamento, None)).unwrap();
    match &parsed.facts[..] {
        [(Fact::HomologationCancelled(c), 2)] => {
            assert_eq!(c.ine.to_string(), "0001234561");
            assert_eq!(c.from_parcela.to_string(), "2024-05");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_decimal_a_cut_row_and_two_columns_for_one_thing_are_refused_not_guessed() {
    let text = "UF;IBGE;MUNICÍPIO;QUANTIDADE\nPE;261180;Ribeirão;2.0\nTO;172120;Tocantinópolis\nAL;270290;Girau do Ponciano;1.250\nAC;120001;Acrelândia;-\n";
    let (_dir, path) = annex(text);
    let parsed = read(&path, portaria(Act::Credenciamento, Some("eSF"))).unwrap();
    let got = set_aside(&parsed);
    assert_eq!(
        got,
        [(2, "QUANTIDADE"), (3, "linha")],
        "{:?}",
        parsed.quarantine
    );
    let facts = json(&parsed);
    assert_eq!(facts.len(), 1, "a dash is none: {facts:?}");
    assert_eq!(facts[0]["quantity"], 1250);
    let (_dir, path) = annex("UF;IBGE;CÓDIGO;MUNICÍPIO;QUANTIDADE\nPE;261180;261180;Ribeirão;1\n");
    let reason = refusal(read(&path, portaria(Act::Credenciamento, Some("eSF"))));
    assert!(reason.contains("mais de uma coluna para IBGE"), "{reason}");
    // A legend above the table is not taken for its header.
    let (_dir, path) =
        annex("CÓDIGO;DESCRIÇÃO\n70;eSF\nUF;IBGE;MUNICÍPIO;QUANTIDADE\nPE;261180;Ribeirão;1\n");
    let parsed = read(&path, portaria(Act::Credenciamento, Some("eSF"))).unwrap();
    assert_eq!(json(&parsed).len(), 1, "{:?}", parsed.quarantine);
}

#[test]
fn the_portaria_is_named_one_way_however_its_number_was_typed() {
    let named = |number: &str| {
        Portaria {
            number: number.into(),
            ..portaria(Act::Homologacao, None)
        }
        .citation()
    };
    let canonical = "Portaria GM/MS nº 3.382, de 04/04/2024";
    for typed in [
        "GM/MS nº 3.382",
        "gm/ms n° 3382",
        "Portaria GM/MS Nº 3.382",
        "GM/MS no 3382,",
    ] {
        assert_eq!(named(typed), canonical, "{typed}");
    }
    assert_eq!(
        named("SAPS/MS nº 12"),
        "Portaria SAPS/MS nº 12, de 04/04/2024"
    );
}
