//! `repasse ingest portarias`: the lists a portaria publishes in its DOU annexes — teams homologated (one
//! INE a row), quantities credentialed per municipality, homologations cancelled — as a CSV made of the
//! annex's table (`;`, UTF-8 or ISO-8859-1, title lines such as "ANEXO I" above the header allowed).
//!
//! What is in the portaria's articles and not in its annex is given beside the file: the act, the
//! portaria's number and date, and the parcela its effects start from ("efeitos financeiros a partir da
//! parcela 10/12 de 2025"). The team type is a column (`TIPO DE EQUIPE`) or, where the annex is one per
//! type (Anexo I: eSF, Anexo II: eAP …), given beside the file too.
//!
//! Columns are matched by name, accent- and case-blind, in any order: the annexes vary (`UF | IBGE |
//! MUNICÍPIO`, `UF | MUNICÍPIO | IBGE`, `CÓD. MUN.`, 6 or 7 digits). Every row is checked against Anexo VI
//! of Portaria 3.493/2024 — the municipality exists, its UF and name agree — so a shifted column is set
//! aside rather than credited to another municipality. Subtotal rows ("Total da UF") are skipped.

use std::collections::BTreeMap;
use std::path::Path;

use repasse_proto::fact::{Credentialing, Homologation, HomologationCancelled};
use repasse_proto::{Cnes, CredentialType, Date, Fact, Ibge, Ine, Parcela, TeamType};

use crate::anexo_vi::{self, AnexoRow};
use crate::files::{Error, Parsed, Quarantined};
use crate::table::{latin1, normalise, with_thousands};

mod columns;
use columns::{Columns, ambiguous, known};

/// What a portaria's annex lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// INEs homologated (VAL.HOMOLOGADA): `homologation` facts.
    Homologacao,
    /// Quantities credentialed per municipality (VAL.CREDENCIADA): `credentialing` facts.
    Credenciamento,
    /// INEs whose homologation is cancelled: `homologation_cancelled` facts.
    Cancelamento,
}

impl std::str::FromStr for Act {
    type Err = String;
    fn from_str(text: &str) -> Result<Act, String> {
        match normalise(text).as_str() {
            "HOMOLOGACAO" => Ok(Act::Homologacao),
            "CREDENCIAMENTO" => Ok(Act::Credenciamento),
            "CANCELAMENTO" => Ok(Act::Cancelamento),
            _ => Err(format!(
                "ato desconhecido \"{text}\": esperado homologacao, credenciamento ou cancelamento"
            )),
        }
    }
}

/// The portaria an annex belongs to, as given beside the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Portaria {
    pub act: Act,
    /// Its number as published: `GM/MS nº 3.382`.
    pub number: String,
    pub published_on: Date,
    /// The first parcela its effects reach.
    pub from_parcela: Parcela,
    /// The annex's team type, when it has no column of its own.
    pub team_type: Option<CredentialType>,
}

impl Portaria {
    /// How the facts name it, in one spelling whatever was typed (`GM/MS nº 3.382`, `gm/ms n° 3382`,
    /// `Portaria GM/MS Nº 3.382`): `Portaria GM/MS nº 3.382, de 04/04/2024`. The facts' ids derive from it,
    /// so the same annex imported again adds nothing.
    pub fn citation(&self) -> String {
        let mut words = Vec::new();
        for word in self.number.split_whitespace() {
            let bare = word.trim_end_matches(',');
            let digits: String = bare.chars().filter(char::is_ascii_digit).collect();
            let marker = matches!(
                normalise(bare).as_str(),
                "N" | "NO" | "NUMERO" | "NRO" | "PORTARIA"
            );
            if !digits.is_empty() && bare.chars().all(|c| c.is_ascii_digit() || c == '.') {
                words.push(format!("nº {}", with_thousands(&digits)));
            } else if !marker && !bare.is_empty() {
                words.push(bare.to_uppercase());
            }
        }
        let d = self.published_on;
        format!(
            "Portaria {}, de {:02}/{:02}/{}",
            words.join(" "),
            d.day(),
            d.month(),
            d.year()
        )
    }
}

/// The most title lines looked through for the header.
const MAX_PREAMBLE: usize = 20;

/// Reads an annex whole for `portaria`.
pub fn read(path: &Path, portaria: &Portaria) -> Result<Parsed, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::refused(path, format!("não foi possível ler o arquivo: {e}")))?;
    let (text, encoding) = match std::str::from_utf8(&bytes) {
        Ok(text) => (text.trim_start_matches('\u{feff}').to_owned(), "UTF-8"),
        Err(_) => (latin1(&bytes), "ISO-8859-1"),
    };
    let records = split(path, &text)?;
    let (header_at, columns) = header(path, &records, portaria)?;
    let anexo: BTreeMap<Ibge, AnexoRow> =
        anexo_vi::rows().into_iter().map(|r| (r.ibge, r)).collect();
    let mut reader = Rows {
        file: path.display().to_string(),
        portaria,
        citation: portaria.citation(),
        columns,
        anexo,
        parsed: Parsed::default(),
        seen: BTreeMap::new(),
        totals: 0,
    };
    for (line, cells) in &records[header_at + 1..] {
        reader.row(*line, cells);
    }
    let Rows {
        mut parsed, totals, ..
    } = reader;
    // The facts come from the portaria, whatever the file is called: imported again, they add nothing.
    parsed.document = Some(portaria.citation());
    parsed.notes.push(format!(
        "{}, {}; efeitos a partir da parcela {}; texto lido como {encoding}",
        act_name(portaria.act),
        portaria.citation(),
        portaria.from_parcela
    ));
    if totals > 0 {
        parsed
            .notes
            .push(format!("{totals} linhas de total ignoradas"));
    }
    if columns.tipo.is_none()
        && let Some(t) = portaria.team_type
    {
        parsed.notes.push(format!(
            "tipo de equipe {} dado ao lado do arquivo (o anexo não tem a coluna)",
            t.as_str()
        ));
    }
    Ok(parsed)
}

fn act_name(act: Act) -> &'static str {
    match act {
        Act::Homologacao => "homologação",
        Act::Credenciamento => "credenciamento",
        Act::Cancelamento => "cancelamento de homologação",
    }
}

/// The file's records with their line numbers, blank records left out.
fn split(path: &Path, text: &str) -> Result<Vec<(u64, Vec<String>)>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            Error::refused(path, format!("linha {line}: CSV ilegível: {e}"))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().any(|c| !c.is_empty()) {
            records.push((line, cells));
        }
    }
    Ok(records)
}

/// The header's index among the records and its columns, or why the file is refused.
fn header(
    path: &Path,
    records: &[(u64, Vec<String>)],
    portaria: &Portaria,
) -> Result<(usize, Columns), Error> {
    let found = records.iter().take(MAX_PREAMBLE).position(|(_, cells)| {
        let names: Vec<String> = cells.iter().map(|c| normalise(c)).collect();
        let columns = Columns::of(&names);
        // A code column beside another the annexes have, or only columns they have: a legend line
        // ("CÓDIGO;DESCRIÇÃO") is no header.
        let others = [
            columns.uf,
            columns.municipio,
            columns.cnes,
            columns.tipo,
            columns.quantidade,
            columns.agentes,
        ];
        let all_known = names.iter().all(|n| known(n));
        (columns.ibge.is_some() || columns.ine.is_some())
            && (all_known || others.iter().any(Option::is_some))
    });
    let Some(at) = found else {
        let commas = records.iter().take(MAX_PREAMBLE).any(|(_, cells)| {
            cells.len() == 1 && (cells[0].contains(',') || cells[0].contains('\t'))
        });
        let reason = if commas {
            "separador errado: esperado \";\" entre as colunas"
        } else {
            "cabeçalho com a coluna IBGE ou INE não encontrado nas primeiras linhas: não é a tabela de um anexo"
        };
        return Err(Error::refused(path, reason));
    };
    let names: Vec<String> = records[at].1.iter().map(|c| normalise(c)).collect();
    if let Some(reason) = ambiguous(&names) {
        return Err(Error::refused(
            path,
            format!("linha {}: {reason}", records[at].0),
        ));
    }
    let mut columns = Columns::of(&names);
    columns.width = names.len();
    let missing = columns.missing(portaria.act, portaria.team_type.is_some());
    if !missing.is_empty() {
        return Err(Error::refused(
            path,
            format!(
                "linha {}: coluna obrigatória ausente para {}: {} (cabeçalho lido: {})",
                records[at].0,
                act_name(portaria.act),
                missing.join(", "),
                records[at].1.join(";")
            ),
        ));
    }
    Ok((at, columns))
}

/// A row set aside: the column, its value and why.
type RowError = (&'static str, String, String);

/// The rows' reader: what it has seen, to set aside a repeated row.
struct Rows<'a> {
    file: String,
    portaria: &'a Portaria,
    citation: String,
    columns: Columns,
    anexo: BTreeMap<Ibge, AnexoRow>,
    parsed: Parsed,
    /// The key of each row read (an INE, or a municipality and type) and its line.
    seen: BTreeMap<String, u64>,
    totals: u64,
}

impl Rows<'_> {
    fn row(&mut self, line: u64, cells: &[String]) {
        if cells.iter().any(|c| normalise(c).starts_with("TOTAL")) {
            self.totals += 1;
            return;
        }
        if cells.len() < self.columns.width {
            let reason = format!(
                "linha com {} colunas, o cabeçalho tem {}: linha cortada ou colunas fora do lugar",
                cells.len(),
                self.columns.width
            );
            let q = Quarantined::new(&self.file, line, "linha", &cells.join(";"), &reason);
            self.parsed.quarantine.push(q);
            return;
        }
        let facts = match self.facts(cells) {
            Ok(facts) => facts,
            Err((field, value, reason)) => {
                let q = Quarantined::new(&self.file, line, field, &value, &reason);
                self.parsed.quarantine.push(q);
                return;
            }
        };
        for (key, fact) in facts {
            if let Some(first) = self.seen.get(&key) {
                let reason = format!("linha repetida: o mesmo {key} já está na linha {first}");
                let q = Quarantined::new(&self.file, line, key_field(&fact), &key, &reason);
                self.parsed.quarantine.push(q);
                continue;
            }
            self.seen.insert(key, line);
            self.parsed.facts.push((fact, line as u32));
        }
    }

    /// The facts of a data row, each with the key a repeated row would share.
    fn facts(&self, cells: &[String]) -> Result<Vec<(String, Fact)>, RowError> {
        let cell = |at: Option<usize>| at.and_then(|i| cells.get(i)).map(String::as_str);
        let ibge = self.municipality(cells)?;
        let from_parcela = self.portaria.from_parcela;
        let portaria = self.citation.clone();
        match self.portaria.act {
            Act::Homologacao | Act::Cancelamento => {
                let ine: Ine = digits(cell(self.columns.ine), 10, "INE")?;
                let key = format!("INE {ine}");
                if self.portaria.act == Act::Cancelamento {
                    let fact = HomologationCancelled {
                        ine,
                        from_parcela,
                        portaria,
                    };
                    return Ok(vec![(key, Fact::HomologationCancelled(fact))]);
                }
                let cnes: Cnes = digits(cell(self.columns.cnes), 7, "CNES")?;
                let CredentialType::Team(team_type) = self.team_type(cells)? else {
                    return Err((
                        "TIPO DE EQUIPE",
                        "ACS".into(),
                        "ACS não é uma equipe homologada por INE".into(),
                    ));
                };
                let ibge = ibge.ok_or(("IBGE", String::new(), "campo vazio".to_owned()))?;
                let fact = Homologation {
                    ine,
                    cnes,
                    ibge,
                    team_type,
                    from_parcela,
                    portaria,
                };
                Ok(vec![(key, Fact::Homologation(fact))])
            }
            Act::Credenciamento => {
                let ibge = ibge.ok_or(("IBGE", String::new(), "campo vazio".to_owned()))?;
                let mut facts = Vec::new();
                let counts = [
                    (self.columns.quantidade, "QUANTIDADE"),
                    (self.columns.agentes, "AGENTES"),
                ];
                for (at, field) in counts {
                    let Some(text) = cell(at) else { continue };
                    let quantity =
                        quantity(text).map_err(|reason| (field, text.to_owned(), reason))?;
                    if quantity == 0 {
                        continue;
                    }
                    let team_type = if field == "AGENTES" {
                        CredentialType::Acs
                    } else {
                        self.team_type(cells)?
                    };
                    let key = format!("município {ibge} e tipo {}", team_type.as_str());
                    let fact = Credentialing {
                        ibge,
                        team_type,
                        quantity,
                        from_parcela,
                        portaria: portaria.clone(),
                    };
                    facts.push((key, Fact::Credentialing(fact)));
                }
                Ok(facts)
            }
        }
    }

    /// The row's municipality, checked against Anexo VI (`None` where the annex has no IBGE column).
    fn municipality(&self, cells: &[String]) -> Result<Option<Ibge>, RowError> {
        let cell = |at: Option<usize>| at.and_then(|i| cells.get(i)).map(String::as_str);
        let Some(text) = cell(self.columns.ibge) else {
            return Ok(None);
        };
        let ibge: Ibge = text
            .parse()
            .map_err(|e: repasse_proto::IdError| ("IBGE", text.to_owned(), e.to_string()))?;
        let row = self.anexo.get(&ibge).ok_or_else(|| {
            let reason = "município fora do Anexo VI da Portaria 3.493/2024".to_owned();
            ("IBGE", text.to_owned(), reason)
        })?;
        if let Some(uf) = cell(self.columns.uf).filter(|u| !u.is_empty())
            && !uf.eq_ignore_ascii_case(row.uf.as_str())
        {
            let reason = format!("a UF do município {ibge} é {}", row.uf.as_str());
            return Err(("UF", uf.to_owned(), reason));
        }
        if let Some(name) = cell(self.columns.municipio).filter(|n| !n.is_empty())
            && normalise(name) != normalise(&row.name)
        {
            let reason = format!("o município {ibge} é {} no Anexo VI", row.name);
            return Err(("MUNICÍPIO", name.to_owned(), reason));
        }
        Ok(Some(ibge))
    }

    /// The row's team type, or the annex's.
    fn team_type(&self, cells: &[String]) -> Result<CredentialType, RowError> {
        let text = self
            .columns
            .tipo
            .and_then(|i| cells.get(i))
            .map(String::as_str)
            .filter(|t| !t.is_empty());
        match (text, self.portaria.team_type) {
            (Some(text), _) => team_type_of(text).ok_or_else(|| {
                let reason = "tipo de equipe desconhecido; esperado eSF, eAP 20h, eAP 30h, eSB I, eSB II, eSB I/II quilombola ou assentamento, eMulti ampliada, complementar ou estratégica, ou ACS".to_owned();
                ("TIPO DE EQUIPE", text.to_owned(), reason)
            }),
            (None, Some(t)) => Ok(t),
            (None, None) => Err(("TIPO DE EQUIPE", String::new(), "campo vazio e nenhum --team-type dado".to_owned())),
        }
    }
}

/// The field a repeated fact is named by.
fn key_field(fact: &Fact) -> &'static str {
    match fact {
        Fact::Credentialing(_) => "IBGE",
        _ => "INE",
    }
}

/// A code of `width` digits; a spreadsheet's lost leading zeros are put back (INE and CNES carry no
/// check digit, so padding cannot make another valid code of a wrong one).
fn digits<T: std::str::FromStr>(
    text: Option<&str>,
    width: usize,
    field: &'static str,
) -> Result<T, RowError>
where
    T::Err: std::fmt::Display,
{
    let text = text.unwrap_or("").trim();
    if text.is_empty() || text.len() > width || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err((
            field,
            text.to_owned(),
            format!("esperados até {width} dígitos"),
        ));
    }
    format!("{text:0>width$}")
        .parse()
        .map_err(|e: T::Err| (field, text.to_owned(), e.to_string()))
}

/// A count as the annexes print it (`1.234`, `.` only between groups of three); an empty cell or `-` is
/// none. `2.0` (a spreadsheet's decimal) is refused, never read as 20.
fn quantity(text: &str) -> Result<u32, String> {
    let text = text.trim();
    if text.is_empty() || text == "-" {
        return Ok(0);
    }
    let groups: Vec<&str> = text.split('.').collect();
    let grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if !grouped
        || groups[0].is_empty()
        || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("esperado um número inteiro de equipes ou vagas (milhar com \".\")".into());
    }
    groups
        .concat()
        .parse()
        .map_err(|_| "número grande demais".into())
}

/// A team type as the annexes write it (`eSF`, `eAP 30h`, `eSB 40h Modalidade I`, `eMulti Ampliada`).
pub fn team_type_of(text: &str) -> Option<CredentialType> {
    let n = normalise(text);
    if let Ok(t) = text.trim().parse::<CredentialType>() {
        return Some(t);
    }
    let quilombola = n.contains("QUILOMB") || n.contains("ASSENT");
    let t = match n.as_str() {
        "ACS" | "AGENTES" | "AGENTECOMUNITARIODESAUDE" | "AGENTESCOMUNITARIOSDESAUDE" => {
            return Some(CredentialType::Acs);
        }
        "ESF" | "EQUIPEDESAUDEDAFAMILIA" | "SAUDEDAFAMILIA" => TeamType::Esf,
        _ if n.starts_with("EAP") => match &n[3..] {
            "20" | "20H" | "20HORAS" => TeamType::Eap20,
            "30" | "30H" | "30HORAS" => TeamType::Eap30,
            _ => return None,
        },
        _ if n.starts_with("ESB") => {
            let rest = n[3..]
                .trim_start_matches("40H")
                .trim_start_matches("MODALIDADE");
            let rest = rest.split("QUILOMB").next().unwrap_or("");
            let rest = rest.split("ASSENT").next().unwrap_or("");
            match (rest, quilombola) {
                ("I" | "1", false) => TeamType::Esb1,
                ("II" | "2", false) => TeamType::Esb2,
                ("I" | "1", true) => TeamType::Esb1Q,
                ("II" | "2", true) => TeamType::Esb2Q,
                _ => return None,
            }
        }
        _ if n.starts_with("EMULTI") => match &n[6..] {
            "AMPLIADA" => TeamType::EMultiAmpliada,
            "COMPLEMENTAR" => TeamType::EMultiComplementar,
            "ESTRATEGICA" => TeamType::EMultiEstrategica,
            _ => return None,
        },
        _ => return None,
    };
    Some(CredentialType::Team(t))
}

/// The parcela a portaria's effects start from, as given beside the file: `2025-10`, or as the article
/// says it, `10/12 de 2025` (parcela 10 of the 2025 cycle).
pub fn parcela_of(text: &str) -> Result<Parcela, String> {
    if let Ok(parcela) = text.trim().parse::<Parcela>() {
        return Ok(parcela);
    }
    let trimmed = text.trim();
    let label = trimmed
        .strip_prefix("parcela ")
        .or_else(|| trimmed.strip_prefix("Parcela "))
        .unwrap_or(trimmed);
    crate::fns::parcela_of_label(label)
        .map_err(|_| format!("parcela \"{text}\": esperado AAAA-MM ou \"PP/12 de AAAA\""))
}

/// A team type given beside the file, in any of the annexes' spellings.
pub fn team_type_arg(text: &str) -> Result<CredentialType, String> {
    team_type_of(text).ok_or_else(|| {
        format!("tipo de equipe \"{text}\" desconhecido: esperado eSF, eAP20, eAP30, eSB1, eSB2, eSB1Q, eSB2Q, eMultiAmpliada, eMultiComplementar, eMultiEstrategica ou ACS")
    })
}
