//! Hostile files: one test per class of bad input, each getting its precise refusal or quarantine entry,
//! and corrupted files fed to every reader without a panic.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use repasse_ingest::files::{Error, Parsed};
use repasse_ingest::portarias::{Act, Portaria};
use repasse_ingest::sources::{self, Options, Source};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(relative)
}

const DUMP: &str = "cnes/BASE_DE_DADOS_CNES_202503.ZIP";

/// The members of the good fixture dump, by name, as bytes.
fn members() -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(fixture(DUMP)).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_owned(), bytes)
        })
        .collect()
}

/// A dump with the members given, written to a temporary folder.
fn dump(dir: &Path, name: &str, members: &[(String, Vec<u8>)]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (member, bytes) in members {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(member.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

fn read_cnes(path: &Path) -> Result<Parsed, Error> {
    sources::read(Source::Cnes, path, &Options::default(), &mut |_, _| {})
}

fn refusal(result: Result<Parsed, Error>) -> String {
    match result {
        Err(Error::Refused { reason, .. }) => reason,
        Err(other) => panic!("expected a refusal, got {other}"),
        Ok(parsed) => panic!("expected a refusal, got {} facts", parsed.facts.len()),
    }
}

fn edit(member: &str, change: impl Fn(&[u8]) -> Vec<u8>) -> Vec<(String, Vec<u8>)> {
    members()
        .into_iter()
        .map(|(name, bytes)| {
            let bytes = if name.starts_with(member) {
                change(&bytes)
            } else {
                bytes
            };
            (name, bytes)
        })
        .collect()
}

fn latin1_text(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

#[test]
fn the_good_fixture_reads_whole_with_nothing_set_aside() {
    let parsed = read_cnes(&fixture(DUMP)).unwrap();
    assert!(parsed.quarantine.is_empty(), "{:?}", parsed.quarantine);
    // Six APS teams and the close; the eCR team is not an APS team of these rules.
    assert_eq!(parsed.facts.len(), 7);
}

#[test]
fn a_zip_with_a_member_missing_is_refused_naming_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let without: Vec<_> = members()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("tbCargaHorariaSus"))
        .collect();
    let reason = refusal(read_cnes(&dump(
        dir.path(),
        "BASE_DE_DADOS_CNES_202503.ZIP",
        &without,
    )));
    assert!(
        reason.contains("tabela ausente no zip: tbCargaHorariaSus"),
        "{reason}"
    );
}

#[test]
fn a_truncated_zip_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture(DUMP)).unwrap();
    let path = dir.path().join("BASE_DE_DADOS_CNES_202503.ZIP");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let reason = refusal(read_cnes(&path));
    assert!(reason.contains("zip ilegível ou truncado"), "{reason}");
}

#[test]
fn a_renamed_or_missing_column_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = edit("rlEstabEquipeProf", |b| {
        latin1_bytes(&latin1_text(b).replacen("\"CO_CBO\"", "\"CO_OCUPACAO\"", 1))
    });
    let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &renamed)));
    assert!(
        reason.contains("coluna obrigatória ausente: CO_CBO"),
        "{reason}"
    );
    assert!(reason.contains("rlEstabEquipeProf202503.csv"), "{reason}");
}

#[test]
fn a_table_that_reads_but_holds_nothing_usable_is_refused_naming_it() {
    // Only the header line: a member cut at its first line, or a table the export left empty.
    let header_only = |b: &[u8]| {
        let end = b.iter().position(|c| *c == b'\n').unwrap() + 1;
        b[..end].to_vec()
    };
    let dir = tempfile::tempdir().unwrap();
    for (member, expected) in [
        (
            "tbTipoEquipe",
            "tbTipoEquipe: nenhum tipo de equipe da APS reconhecido",
        ),
        (
            "rlEstabEquipeProf",
            "rlEstabEquipeProf: nenhum profissional vinculado às 6 equipes",
        ),
        (
            "tbCargaHorariaSus",
            "tbCargaHorariaSus: nenhuma carga horária",
        ),
    ] {
        let emptied = edit(member, header_only);
        let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &emptied)));
        assert!(reason.contains(expected), "{member}: {reason}");
        assert!(reason.contains("nada foi gravado"), "{reason}");
    }
    // Descriptions the reader does not know (a renamed type table) are no APS type either.
    let renamed = edit("tbTipoEquipe", |b| {
        let text = ["ESF", "ESB", "EMULTI", "EAP"]
            .iter()
            .fold(latin1_text(b), |t, kind| t.replace(kind, "EQP"));
        latin1_bytes(&text)
    });
    let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &renamed)));
    assert!(reason.contains("nenhum tipo de equipe da APS"), "{reason}");
}

#[test]
fn a_wrong_separator_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let commas = edit("tbEquipe", |b| {
        latin1_bytes(&latin1_text(b).replace("\";\"", "\",\""))
    });
    let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &commas)));
    assert!(reason.contains("separador errado"), "{reason}");
}

#[test]
fn a_table_in_utf8_instead_of_latin1_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = edit("tbDadosProfissionalSus", |b| latin1_text(b).into_bytes());
    let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &utf8)));
    assert!(
        reason.contains("UTF-8") && reason.contains("ISO-8859-1"),
        "{reason}"
    );
}

#[test]
fn members_of_different_competencias_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mixed: Vec<_> = members()
        .into_iter()
        .map(|(n, b)| {
            if n.starts_with("tbEquipe") {
                (n.replace("202503", "202502"), b)
            } else {
                (n, b)
            }
        })
        .collect();
    let reason = refusal(read_cnes(&dump(dir.path(), "a.zip", &mixed)));
    assert!(reason.contains("competências diferentes"), "{reason}");
}

#[test]
fn a_cpf_with_a_wrong_check_digit_is_set_aside_and_the_cns_names_the_person() {
    let dir = tempfile::tempdir().unwrap();
    // The técnico's CPF (base 100000003) with its last digit changed.
    let good = {
        let parsed = read_cnes(&fixture(DUMP)).unwrap();
        parsed.facts.len()
    };
    let wrong = edit("tbDadosProfissionalSus", |b| {
        let text = latin1_text(b);
        let line = text
            .lines()
            .find(|l| l.contains("7060000000000003"))
            .unwrap()
            .to_owned();
        let cpf = line.split(';').nth(1).unwrap().trim_matches('"').to_owned();
        let last = cpf.chars().last().unwrap().to_digit(10).unwrap();
        let bad = format!("{}{}", &cpf[..10], (last + 1) % 10);
        latin1_bytes(&text.replace(&cpf, &bad))
    });
    let parsed = read_cnes(&dump(dir.path(), "a.zip", &wrong)).unwrap();
    assert_eq!(parsed.facts.len(), good);
    assert_eq!(parsed.quarantine.len(), 1, "{:?}", parsed.quarantine);
    let q = &parsed.quarantine[0];
    assert_eq!(q.field, "CO_CPF");
    assert!(
        q.reason.contains("dígito verificador") && q.reason.contains("vale o CNS"),
        "{q:?}"
    );
    assert!(
        !q.value.chars().any(|c| c.is_ascii_digit()) || q.value.contains("ocultados"),
        "no CPF in clear: {q:?}"
    );
    assert!(q.line > 1);
}

#[test]
fn a_repeated_team_row_is_set_aside_and_the_first_kept() {
    let dir = tempfile::tempdir().unwrap();
    let repeated = edit("tbEquipe", |b| {
        let text = latin1_text(b);
        let line = text.lines().nth(1).unwrap().to_owned();
        latin1_bytes(&format!("{text}{line}\n"))
    });
    let parsed = read_cnes(&dump(dir.path(), "a.zip", &repeated)).unwrap();
    assert_eq!(parsed.quarantine.len(), 1);
    assert!(parsed.quarantine[0].reason.contains("equipe repetida"));
}

#[test]
fn a_truncated_line_is_set_aside_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cut = edit("rlEstabEquipeProf", |b| {
        let text = latin1_text(b);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let short: Vec<&str> = lines[2].split(';').take(6).collect();
        lines[2] = short.join(";");
        latin1_bytes(&(lines.join("\n") + "\n"))
    });
    let parsed = read_cnes(&dump(dir.path(), "a.zip", &cut)).unwrap();
    assert_eq!(parsed.quarantine.len(), 1, "{:?}", parsed.quarantine);
    assert_eq!(parsed.quarantine[0].line, 3);
}

#[test]
fn a_payment_label_that_is_no_monthly_parcela_is_set_aside_with_its_path() {
    let parsed = sources::read(
        Source::Fns,
        &fixture("fns/detalhe-pagamento-com-parcela-unica.json"),
        &Options {
            ibge: Some("172120".parse().unwrap()),
            ..Options::default()
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(parsed.facts.len(), 1);
    assert_eq!(parsed.quarantine.len(), 1);
    assert_eq!(parsed.quarantine[0].field, "dados[1].competencia");
    assert!(parsed.quarantine[0].reason.contains("parcela mensal"));
}

#[test]
fn a_sisab_row_cut_short_is_set_aside_and_the_rows_after_it_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RelValidacao.csv");
    let read = |bytes: Vec<u8>| {
        std::fs::write(&path, bytes).unwrap();
        sources::read(Source::Sisab, &path, &Options::default(), &mut |_, _| {})
    };
    // A row broken in the middle of the table: it was taken as the footer's start, dropping the rest.
    let text = latin1_text(&sisab_report(";")).replace(
        "172120;2000002;01;0001234589;70;Reprovado;40;",
        "172120;2000002;01;00012\n345;70",
    );
    let parsed = read(latin1_bytes(&text)).unwrap();
    let cut: Vec<_> = parsed
        .quarantine
        .iter()
        .filter(|q| q.field == "linha")
        .collect();
    assert_eq!(cut.len(), 2, "{:?}", parsed.quarantine);
    assert_eq!((cut[0].line, cut[1].line), (10, 11));
    assert!(cut[0].reason.contains("linha cortada"), "{}", cut[0].reason);
    // The row after the cut one is still read: its INE reaches the quarantine as a bad status.
    assert!(
        parsed
            .quarantine
            .iter()
            .any(|q| q.field == "Validação" && q.line == 13)
    );
    // A file cut inside its last row, with no footer: the piece of row is set aside, not ignored.
    let text = latin1_text(&sisab_report(";"));
    let end = text.find("172120;2000002;01;;;Aprovado").unwrap() + 12;
    let parsed = read(latin1_bytes(&text[..end])).unwrap();
    assert!(
        parsed
            .quarantine
            .iter()
            .any(|q| q.field == "linha" && q.line == 11),
        "{:?}",
        parsed.quarantine
    );
    // A competência given that the report contradicts: refused, not silently moved to another month.
    std::fs::write(&path, sisab_report(";")).unwrap();
    let options = Options {
        competencia: Some("2025-07".parse().unwrap()),
        ..Options::default()
    };
    let reason = refusal(sources::read(
        Source::Sisab,
        &path,
        &options,
        &mut |_, _| {},
    ));
    assert!(
        reason.contains("2025-03") && reason.contains("2025-07"),
        "{reason}"
    );
}

/// A SISAB report as the page returns it: preamble, header, rows with a trailing `;`, footer.
fn sisab_report(separator: &str) -> Vec<u8> {
    let text = [
        "Ministério da Saúde;",
        "Secretaria de Atenção Primária à Saúde;",
        "SISAB - Relatório de Validação;",
        "Competência: MAR/2025;",
        "Período: produção;",
        ";",
        "IBGE;CNES;Tipo Unidade;INE;Tipo Equipe;Validação;Total;",
        "172120;2000001;01;0001234561;70;Aprovado;1.234;",
        "172120;2000001;01;0001234561;70;Reprovado;12;",
        "172120;2000002;01;0001234589;70;Reprovado;40;",
        "172120;2000002;01;;;Aprovado;7;",
        "172120;2000002;01;0001234618;70;Duplicado;3;",
        ";",
        "Fonte: SISAB;",
        "Notas: dados sujeitos a alteração;",
        ";",
    ]
    .join("\n")
    .replace(';', separator);
    latin1_bytes(&text)
}

#[test]
fn the_sisab_report_reads_past_its_preamble_and_footer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("RelValidacao.csv");
    std::fs::write(&path, sisab_report(";")).unwrap();
    let parsed = sources::read(Source::Sisab, &path, &Options::default(), &mut |_, _| {}).unwrap();
    let facts: Vec<String> = parsed
        .facts
        .iter()
        .map(|(f, _)| serde_json::to_string(f).unwrap())
        .collect();
    assert_eq!(facts.len(), 2, "{facts:?}");
    assert!(
        facts[0].contains("0001234561")
            && facts[0].contains("approved")
            && facts[0].contains("2025-03")
    );
    assert!(facts[1].contains("0001234589") && facts[1].contains("rejected"));
    assert_eq!(parsed.quarantine.len(), 1);
    assert_eq!(parsed.quarantine[0].field, "Validação");
    assert_eq!(parsed.quarantine[0].line, 12);
    std::fs::write(&path, sisab_report(",")).unwrap();
    let reason = refusal(sources::read(
        Source::Sisab,
        &path,
        &Options::default(),
        &mut |_, _| {},
    ));
    assert!(reason.contains("separador errado"), "{reason}");
    std::fs::write(&path, latin1_text(&sisab_report(";")).into_bytes()).unwrap();
    let reason = refusal(sources::read(
        Source::Sisab,
        &path,
        &Options::default(),
        &mut |_, _| {},
    ));
    assert!(reason.contains("UTF-8"), "{reason}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every reader, fed a fixture with bytes cut or changed anywhere, refuses or sets aside — never panics.
    #[test]
    fn corrupted_files_never_panic_a_reader(
        which in 0usize..8,
        keep_permille in 500usize..=1000,
        flips in prop::collection::vec((0usize..1000, any::<u8>()), 0..6),
    ) {
        let (source, relative) = [
            (Source::Cnes, DUMP),
            (Source::Relatorio, "relatorio/pagamento-completo-172120-202502.json"),
            (Source::Relatorio, "relatorio/detalhado-172120-202502-eap.json"),
            (Source::Fns, "fns/detalhe-pagamento-com-parcela-unica.json"),
            (Source::Sisab, ""),
            (Source::Parametros, "parametros/com-erros.json"),
            (Source::Portarias, "portarias/credenciamento-esf.csv"),
            (Source::Portarias, "portarias/homologacao-2024-03.csv"),
        ][which];
        let mut bytes = if relative.is_empty() { sisab_report(";") } else { std::fs::read(fixture(relative)).unwrap() };
        for (at, byte) in flips {
            let i = bytes.len() * at / 1000;
            if i < bytes.len() {
                bytes[i] = byte;
            }
        }
        let keep = bytes.len() * keep_permille / 1000;
        bytes.truncate(keep.max(1));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arquivo");
        std::fs::write(&path, &bytes).unwrap();
        let portaria = Portaria {
            act: if which == 6 { Act::Credenciamento } else { Act::Homologacao },
            number: "GM/MS nº 1".into(),
            published_on: "2024-01-02".parse().unwrap(),
            from_parcela: "2024-02".parse().unwrap(),
            // The credenciamento fixture has no type column: the annex's type is given, so its rows are read.
            team_type: (which == 6).then(|| repasse_ingest::portarias::team_type_arg("eSF").unwrap()),
        };
        let options = Options { ibge: Some("172120".parse().unwrap()), parcela: Some("2025-02".parse().unwrap()), portaria: Some(portaria), ..Options::default() };
        let _ = sources::read(source, &path, &options, &mut |_, _| {});
    }
}

#[test]
fn parameter_tables_with_an_unknown_table_or_key_or_a_bad_value_are_set_aside_naming_them() {
    let parsed = sources::read(
        Source::Parametros,
        &fixture("parametros/com-erros.json"),
        &Options::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(parsed.facts.len(), 1);
    let fields: Vec<&str> = parsed.quarantine.iter().map(|q| q.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "[1].table",
            "[2].values.eSF.9",
            "[3].values.eSF.2",
            "[4].from_parcela"
        ]
    );
    assert!(parsed.quarantine[0].reason.contains("PAG.FIXOS"));
    assert_eq!(parsed.quarantine[3].line, 5);
}
