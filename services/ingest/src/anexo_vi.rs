//! Anexo VI of Portaria GM/MS 3.493/2024: the IED stratum, IVS band and 2022 population of every
//! municipality, read from the published file layout (`;`-separated, UTF-8 with BOM, CRLF, thousands
//! separated by `.`, blank separator rows between states). The file ships inside the binary.

use repasse_proto::envelope::SourceRef;
use repasse_proto::fact::{Fact, IedStratum, Municipality};
use repasse_proto::{Estrato, Ibge, Parcela, Uf};

/// The published file, embedded so that the program needs nothing beside it.
pub const FILE_NAME: &str = "anexo-vi-portaria-3493-2024-ied.csv";
pub const EMBEDDED: &[u8] = include_bytes!("../data/anexo-vi-portaria-3493-2024-ied.csv");
pub const SOURCE: &str = "Portaria GM/MS 3.493/2024, Anexo VI";
/// Municipalities in Brazil (IBGE 2022), and so rows in the file.
pub const MUNICIPALITIES: usize = 5_570;
const HEADER: [&str; 7] = [
    "UF",
    "IBGE",
    "Nome do Município",
    "Índice de Vulnerabilidade Social",
    "Número de habitantes segundo o IBGE 2022",
    "Faixa de Porte Populacional segundo o IBGE 2022",
    "Índice de Equidade e Dimensionamento (IED)",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}, linha {line}, campo \"{field}\": {message}")]
pub struct Error {
    pub file: String,
    pub line: usize,
    pub field: &'static str,
    pub message: String,
}

/// One municipality of the annex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnexoRow {
    pub line: usize,
    pub uf: Uf,
    pub ibge: Ibge,
    pub name: String,
    /// Faixa do Índice de Vulnerabilidade Social, 1 to 5.
    pub ivs_band: u8,
    pub population: u32,
    /// Faixa de porte populacional, 1 to 4.
    pub size_band: u8,
    pub stratum: Estrato,
}

/// The embedded annex, parsed.
pub fn rows() -> Vec<AnexoRow> {
    parse(FILE_NAME, EMBEDDED).expect("the embedded Anexo VI is valid (tested)")
}

/// Parses the annex's layout; every error names the file, the line and the field.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<AnexoRow>, Error> {
    let error = |line: usize, field: &'static str, message: String| Error {
        file: file.to_owned(),
        line,
        field,
        message,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|e| error(1, "arquivo", format!("não é UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate();
    let (_, header) = lines
        .next()
        .ok_or_else(|| error(1, "cabeçalho", "arquivo vazio".into()))?;
    if header.split(';').collect::<Vec<_>>() != HEADER {
        return Err(error(
            1,
            "cabeçalho",
            format!("esperado {}", HEADER.join(";")),
        ));
    }
    let mut rows = Vec::with_capacity(MUNICIPALITIES);
    for (index, line) in lines {
        let number = index + 1;
        if line.chars().all(|c| c == ';' || c.is_whitespace()) {
            continue; // The annex separates states with empty rows.
        }
        let cells: Vec<&str> = line.split(';').map(str::trim).collect();
        if cells.len() != HEADER.len() {
            return Err(error(
                number,
                "linha",
                format!(
                    "esperadas {} colunas separadas por ';', há {}",
                    HEADER.len(),
                    cells.len()
                ),
            ));
        }
        rows.push(
            parse_row(number, &cells).map_err(|(field, message)| error(number, field, message))?,
        );
    }
    Ok(rows)
}

fn parse_row(line: usize, cells: &[&str]) -> Result<AnexoRow, (&'static str, String)> {
    let uf: Uf = cells[0]
        .parse()
        .map_err(|e: repasse_proto::UfError| ("UF", e.to_string()))?;
    let ibge: Ibge = cells[1]
        .parse()
        .map_err(|e: repasse_proto::IdError| ("IBGE", e.to_string()))?;
    if ibge.uf() != Some(uf) {
        return Err(("IBGE", format!("código {ibge} não pertence à UF {uf}")));
    }
    let band = |field: &'static str, text: &str, max: u8| -> Result<u8, (&'static str, String)> {
        match text.parse::<u8>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err((
                field,
                format!("\"{text}\": esperado um número de 1 a {max}"),
            )),
        }
    };
    let ivs_band = band("Índice de Vulnerabilidade Social", cells[3], 5)?;
    let digits = cells[4].replace('.', "");
    let population = digits
        .parse::<u32>()
        .ok()
        .filter(|_| !cells[4].starts_with('.') && digits.bytes().all(|b| b.is_ascii_digit()))
        .ok_or((
            "Número de habitantes",
            format!(
                "\"{}\": esperado inteiro com milhar separado por '.', ex. 14.021",
                cells[4]
            ),
        ))?;
    let porte = cells[5].split('-').next().unwrap_or("");
    let size_band = band("Faixa de Porte Populacional", porte, 4)?;
    let stratum = band("IED", cells[6], 4).map(|s| Estrato::new(s).expect("1 to 4"))?;
    Ok(AnexoRow {
        line,
        uf,
        ibge,
        name: cells[2].to_owned(),
        ivs_band,
        population,
        size_band,
        stratum,
    })
}

/// The facts of the annex: each municipality and its stratum from parcela 2024-05 on.
pub fn facts(rows: &[AnexoRow]) -> Vec<(Fact, SourceRef)> {
    let digest = blake3::hash(EMBEDDED).to_hex().to_string();
    let from = Parcela::new(2024, 5).expect("valid parcela");
    let mut out = Vec::with_capacity(rows.len() * 2);
    for row in rows {
        let source = SourceRef {
            document: FILE_NAME.to_owned(),
            digest: Some(digest.clone()),
            line: Some(row.line as u32),
        };
        let municipality = Municipality {
            ibge: row.ibge,
            name: row.name.clone(),
            uf: row.uf,
            population: row.population,
            urban_population: None,
            rural_population: None,
        };
        out.push((Fact::Municipality(municipality), source.clone()));
        let stratum = IedStratum {
            ibge: row.ibge,
            stratum: row.stratum,
            ivs_band: Some(row.ivs_band),
            size_band: Some(row.size_band),
            from_parcela: from,
            source: SOURCE.to_owned(),
        };
        out.push((Fact::IedStratum(stratum), source));
    }
    out
}
