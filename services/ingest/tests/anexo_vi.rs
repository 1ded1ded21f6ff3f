//! The real Anexo VI: every row read, and the IED computed from IVS and size equals the published stratum.

use repasse_ingest::anexo_vi::{self, AnexoRow, MUNICIPALITIES};
use repasse_rules::ied::{computed_stratum, porte_band};

fn find(rows: &[AnexoRow], ibge: &str) -> AnexoRow {
    rows.iter()
        .find(|r| r.ibge.to_string() == ibge)
        .cloned()
        .unwrap()
}

#[test]
fn the_annex_lists_every_municipality_once() {
    let rows = anexo_vi::rows();
    assert_eq!(rows.len(), MUNICIPALITIES);
    let mut codes: Vec<_> = rows.iter().map(|r| r.ibge).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), MUNICIPALITIES);
    assert_eq!(
        rows.iter()
            .filter(|r| r.uf == repasse_proto::Uf::SP)
            .count(),
        645
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.uf == repasse_proto::Uf::DF)
            .count(),
        1
    );
}

#[test]
fn known_rows_are_read_exactly() {
    let rows = anexo_vi::rows();
    let acrelandia = find(&rows, "120001");
    assert_eq!(
        (
            acrelandia.name.as_str(),
            acrelandia.population,
            acrelandia.stratum.get()
        ),
        ("ACRELÂNDIA", 14_021, 2)
    );
    let palmas = find(&rows, "172100");
    assert_eq!(
        (
            palmas.ivs_band,
            palmas.population,
            palmas.size_band,
            palmas.stratum.get()
        ),
        (4, 302_692, 4, 4)
    );
    assert_eq!(find(&rows, "355030").population, 11_451_999);
}

/// Acceptance: IED.ESTRATO computed from the IVS band and the size band equals the published stratum for
/// all 5,570 rows, and the size band computed from the population equals the file's.
#[test]
fn the_computed_ied_equals_the_published_stratum_for_every_municipality() {
    let rows = anexo_vi::rows();
    let wrong: Vec<_> = rows
        .iter()
        .filter(|r| {
            computed_stratum(r.ivs_band, r.population) != r.stratum
                || porte_band(r.population) != r.size_band
        })
        .map(|r| format!("{} {} (linha {})", r.ibge, r.name, r.line))
        .collect();
    assert!(wrong.is_empty(), "divergem: {wrong:?}");
}

#[test]
fn every_row_becomes_a_municipality_and_its_stratum() {
    let rows = anexo_vi::rows();
    let facts = anexo_vi::facts(&rows);
    assert_eq!(facts.len(), 2 * MUNICIPALITIES);
    assert!(
        facts
            .iter()
            .all(|(_, source)| source.document == anexo_vi::FILE_NAME && source.line.is_some())
    );
}

const HEADER: &str = "UF;IBGE;Nome do Município;Índice de Vulnerabilidade Social;Número de habitantes segundo o IBGE 2022;Faixa de Porte Populacional segundo o IBGE 2022;Índice de Equidade e Dimensionamento (IED)";

fn parse(body: &str) -> Result<Vec<AnexoRow>, anexo_vi::Error> {
    anexo_vi::parse(
        "teste.csv",
        format!("\u{feff}{HEADER}\r\n{body}").as_bytes(),
    )
}

#[test]
fn bad_rows_are_errors_naming_line_and_field() {
    let e = parse("AC;120001;ACRELÂNDIA;2;14.021;1-Até 20mil hab.\r\n").unwrap_err();
    assert_eq!((e.line, e.field), (2, "linha"));
    let e = parse(";;;;;;\r\nAC;120001;ACRELÂNDIA;2;14,021;1-Até 20mil hab.;2\r\n").unwrap_err();
    assert_eq!((e.line, e.field), (3, "Número de habitantes"));
    let e = parse("AC;120001;ACRELÂNDIA;2;14.021;1-Até 20mil hab.;5\r\n").unwrap_err();
    assert_eq!((e.line, e.field), (2, "IED"));
    assert!(
        e.to_string()
            .starts_with("teste.csv, linha 2, campo \"IED\""),
        "{e}"
    );
    let e = parse("PE;120001;ACRELÂNDIA;2;14.021;1-Até 20mil hab.;2\r\n").unwrap_err();
    assert_eq!(e.field, "IBGE");
    let e = anexo_vi::parse("teste.csv", b"UF;IBGE\r\n").unwrap_err();
    assert_eq!((e.line, e.field), (1, "cabeçalho"));
}
