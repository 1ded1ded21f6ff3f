//! `repasse ingest sisab`: SISAB's production validation report ("Relatório de Validação", CSV), as the
//! public page returns it (`docs/spec/FORMATS.md` §3): ISO-8859-1, `;`, a preamble of a few lines before the
//! header, a trailing `;` (an empty last column), `.` as the thousands separator, and footer lines.
//!
//! One `sisab_production` per team (INE) of the report: approved when any of its rows is "Aprovado" with a
//! total above zero, rejected otherwise. The report names no reception date: the uploads it counts are
//! taken as received on the date given (by default the last on-time day, CAL.SISAB_PRAZO), and the
//! summary says so.

use std::path::Path;

pub mod write;

use repasse_proto::fact::{SisabProduction, SisabStatus};
use repasse_proto::{Competencia, Date, Fact, Ine};

use crate::files::{Error, Parsed, Quarantined};
use crate::table::{latin1, normalise};

/// When the uploads of the report were received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// The last on-time day of the competência (CAL.SISAB_PRAZO).
    Deadline,
    On(Date),
}

impl std::str::FromStr for Received {
    type Err = String;
    /// `"deadline"` (as in the case format) or a date `AAAA-MM-DD`.
    fn from_str(text: &str) -> Result<Received, String> {
        if text == "deadline" {
            return Ok(Received::Deadline);
        }
        text.parse()
            .map(Received::On)
            .map_err(|e: repasse_proto::DateError| e.to_string())
    }
}

/// The most preamble lines looked through for the header.
const MAX_PREAMBLE: usize = 20;

/// Reads a report whole: `competencia` where the preamble does not state it.
pub fn read(
    path: &Path,
    competencia: Option<Competencia>,
    received: Received,
) -> Result<Parsed, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::refused(path, format!("não foi possível ler o arquivo: {e}")))?;
    if std::str::from_utf8(&bytes).is_ok() && bytes.iter().any(|b| *b >= 0x80) {
        return Err(Error::refused(
            path,
            "o texto está em UTF-8; esperado ISO-8859-1 (latin-1), como o SISAB publica",
        ));
    }
    let text = latin1(&bytes);
    let file = path.display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let (header_at, [ine_at, status_at, total_at]) = header(path, &lines)?;
    let competencia = resolve_competencia(path, competencia, &lines[..header_at])?;
    let received_on = match received {
        Received::Deadline => repasse_rules::calendar::sisab_deadline(competencia),
        Received::On(date) => date,
    };
    let width = status_at.max(ine_at).max(total_at) + 1;
    let mut parsed = Parsed::default();
    // Per INE: (any approved row with a total, first line).
    let mut teams: std::collections::BTreeMap<Ine, (bool, u32)> = Default::default();
    let split = |line: &str| -> Vec<String> {
        line.split(';')
            .map(|f| f.trim().trim_matches('"').to_owned())
            .collect()
    };
    // The footer (sources, notes) is the short lines after the last full row. A short line before it,
    // or one after it that starts as a row does (a municipality's code), is a row cut short: set aside,
    // never taken as the footer's start, which would drop every row after it.
    let last_full = (header_at + 1..lines.len())
        .rev()
        .find(|i| split(lines[*i]).len() >= width);
    let mut footer = 0u64;
    for (i, line) in lines.iter().enumerate().skip(header_at + 1) {
        let number = (i + 1) as u64;
        if line.trim().is_empty() {
            footer += u64::from(last_full.is_none_or(|last| i > last));
            continue;
        }
        let owned = split(line);
        let fields: Vec<&str> = owned.iter().map(String::as_str).collect();
        if fields.len() < width {
            let starts_as_row = fields.len() > 1
                && !fields[0].is_empty()
                && fields[0].bytes().all(|b| b.is_ascii_digit());
            if last_full.is_some_and(|last| i < last) || starts_as_row {
                let reason = format!(
                    "linha cortada: {} campos, esperados ao menos {width} (arquivo truncado ou linha \
                     partida)",
                    fields.len()
                );
                let value: String = line.chars().take(80).collect();
                let q = Quarantined::new(&file, number, "linha", &value, &reason);
                parsed.quarantine.push(q);
            } else {
                footer += 1;
            }
            continue;
        }
        let (ine, approved) = match row(&fields, [ine_at, status_at, total_at]) {
            Ok(Some(row)) => row,
            Ok(None) => {
                parsed.skipped += 1;
                continue;
            }
            Err((field, value, reason)) => {
                let q = Quarantined::new(&file, number, field, &value, reason);
                parsed.quarantine.push(q);
                continue;
            }
        };
        let entry = teams.entry(ine).or_insert((false, number as u32));
        entry.0 |= approved;
    }
    for (ine, (approved, line)) in teams {
        let status = if approved {
            SisabStatus::Approved
        } else {
            SisabStatus::Rejected
        };
        let fact = Fact::SisabProduction(SisabProduction {
            competencia,
            ine,
            cpf: None,
            received_on,
            status,
        });
        parsed.facts.push((fact, line));
    }
    let deadline = received == Received::Deadline;
    notes(&mut parsed, competencia, received_on, deadline, footer);
    Ok(parsed)
}

/// The summary's notes: the reception date taken, the footer skipped, the rows without a team.
fn notes(parsed: &mut Parsed, competencia: Competencia, on: Date, deadline: bool, footer: u64) {
    parsed.notes.push(format!(
        "competência {competencia}; produção tomada como recebida em {on}{} (o relatório não traz a data de recebimento)",
        if deadline { ", o último dia do prazo (CAL.SISAB_PRAZO)" } else { "" }
    ));
    if footer > 0 {
        parsed
            .notes
            .push(format!("{footer} linhas de rodapé ignoradas"));
    }
    if parsed.skipped > 0 {
        parsed.notes.push(format!(
            "{} linhas de produção sem equipe (INE vazio)",
            parsed.skipped
        ));
    }
}

/// The report's competência: the preamble's, or `given` where it states none; the two contradicting each
/// other refuse the file.
fn resolve_competencia(
    path: &Path,
    competencia: Option<Competencia>,
    preamble: &[&str],
) -> Result<Competencia, Error> {
    let stated = preamble_competencia(preamble);
    match (competencia, stated) {
        (Some(given), Some(stated)) if given != stated => Err(Error::refused(
            path,
            format!(
                "o preâmbulo do relatório diz competência {stated}, e --competencia diz {given}: \
                     confira o arquivo (nada foi gravado)"
            ),
        )),
        (Some(c), _) | (None, Some(c)) => Ok(c),
        (None, None) => Err(Error::refused(
            path,
            "competência não encontrada no preâmbulo do relatório: informe --competencia",
        )),
    }
}

/// The header line's index and the columns INE, Validação and Total in it.
fn header(path: &Path, lines: &[&str]) -> Result<(usize, [usize; 3]), Error> {
    let header_at = lines
        .iter()
        .take(MAX_PREAMBLE)
        .position(|l| {
            let names: Vec<String> = l.split(';').map(normalise).collect();
            names.iter().any(|n| n == "IBGE") && names.iter().any(|n| n == "INE")
        })
        .ok_or_else(|| {
            let reason = if lines.iter().take(MAX_PREAMBLE).any(|l| l.contains(',') && l.to_uppercase().contains("IBGE")) {
                "separador errado: o cabeçalho usa vírgulas; esperado \";\""
            } else {
                "cabeçalho com as colunas IBGE e INE não encontrado nas primeiras linhas: não é o relatório de validação do SISAB"
            };
            Error::refused(path, reason)
        })?;
    let names: Vec<String> = lines[header_at].split(';').map(normalise).collect();
    let column = |name: &str| names.iter().position(|n| n == name);
    let (Some(ine_at), Some(status_at), Some(total_at)) =
        (column("INE"), column("VALIDACAO"), column("TOTAL"))
    else {
        return Err(Error::refused(
            path,
            format!(
                "coluna obrigatória ausente: esperadas INE, Validação e Total (cabeçalho lido: {})",
                lines[header_at]
            ),
        ));
    };
    Ok((header_at, [ine_at, status_at, total_at]))
}

/// A row set aside: the column, its value and why.
type RowError = (&'static str, String, &'static str);

/// One data row: the team and whether it has approved production (`None`: production without a team).
fn row(
    fields: &[&str],
    [ine_at, status_at, total_at]: [usize; 3],
) -> Result<Option<(Ine, bool)>, RowError> {
    let ine_text = fields[ine_at];
    if ine_text.is_empty() || ine_text.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let ine: Ine = format!("{ine_text:0>10}").parse().map_err(|_| {
        (
            "INE",
            ine_text.to_owned(),
            "INE inválido: esperados até 10 dígitos",
        )
    })?;
    let total: u64 = fields[total_at].replace('.', "").parse().map_err(|_| {
        (
            "Total",
            fields[total_at].to_owned(),
            "esperado um número inteiro (milhar com \".\")",
        )
    })?;
    let approved = match normalise(fields[status_at]).as_str() {
        "APROVADO" => true,
        "REPROVADO" => false,
        _ => {
            return Err((
                "Validação",
                fields[status_at].to_owned(),
                "valor de validação desconhecido; esperado \"Aprovado\" ou \"Reprovado\"",
            ));
        }
    };
    Ok(Some((ine, approved && total > 0)))
}

/// The competência a preamble line states: `MAR/2025`, `03/2025` or `202503` after "Competência".
fn preamble_competencia(lines: &[&str]) -> Option<Competencia> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ",
    ];
    for line in lines {
        if !normalise(line).contains("COMPETENCIA") {
            continue;
        }
        for token in line.split(|c: char| c.is_whitespace() || c == ';' || c == ':' || c == '"') {
            let token = token.trim();
            if let Some((m, y)) = token.split_once('/') {
                let month = MONTHS
                    .iter()
                    .position(|x| x.eq_ignore_ascii_case(m))
                    .map(|i| i + 1)
                    .or_else(|| m.parse::<usize>().ok());
                if let (Some(month), Ok(year)) = (month, y.parse::<u16>())
                    && let Some(c) = u8::try_from(month)
                        .ok()
                        .and_then(|m| Competencia::new(year, m))
                {
                    return Some(c);
                }
            } else if token.len() == 6 && token.bytes().all(|b| b.is_ascii_digit()) {
                let year: u16 = token[..4].parse().ok()?;
                let month: u8 = token[4..].parse().ok()?;
                if let Some(c) = Competencia::new(year, month) {
                    return Some(c);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_competencia_is_found_in_the_preamble_in_any_published_form() {
        let c = |s: &str| preamble_competencia(&[s]).map(|c| c.to_string());
        assert_eq!(c("Competência: MAR/2025"), Some("2025-03".into()));
        assert_eq!(c("Competencia;03/2025;"), Some("2025-03".into()));
        assert_eq!(c("Competência 202503"), Some("2025-03".into()));
        assert_eq!(c("Relatório de validação"), None);
    }
}
