//! SISAB validation reports in the published layout (`docs/spec/FORMATS.md` §3), written from a
//! competência's `scnes_team` and `sisab_production` facts: what `repasse demo-data --formato sisab` and
//! `repasse demo --from-files` feed the reader.
//!
//! The report carries no reception date, so the uploads of a competência are split by it: those received
//! on time go to `RelValidacao_AAAAMM.csv` (read with the default, the last on-time day), those received
//! later to `RelValidacao_AAAAMM_recebido_AAAA-MM-DD.csv`, one per date, read with `--received-on` that
//! date. Rows are per team, as the column-selected report is (`colunas=ibge,cnes,tp_unidade,ine,tp_equipe`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use repasse_proto::fact::{ScnesTeam, SisabProduction, SisabStatus};
use repasse_proto::{Competencia, Date, Ine};

use super::Received;
use crate::table::with_thousands;

const MONTHS: [&str; 12] = [
    "JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ",
];

/// One written report and how it is to be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub path: PathBuf,
    pub received: Received,
    pub teams: u64,
}

/// Writes the reports of competência `c` into `dir`: one for the on-time uploads, one per later date.
/// A team's upload with no `scnes_team` of the competência (its unit unknown) is left out, as SISAB
/// validates production against the SCNES.
pub fn write_reports(
    dir: &Path,
    c: Competencia,
    teams: &[ScnesTeam],
    uploads: &[SisabProduction],
) -> io::Result<Vec<Report>> {
    let deadline = repasse_rules::calendar::sisab_deadline(c);
    let units: BTreeMap<Ine, &ScnesTeam> = teams.iter().map(|t| (t.ine, t)).collect();
    let mut by_date: BTreeMap<Option<Date>, Vec<(&ScnesTeam, &SisabProduction)>> = BTreeMap::new();
    for upload in uploads.iter().filter(|u| u.competencia == c) {
        let Some(team) = units.get(&upload.ine) else {
            continue;
        };
        let key = (upload.received_on > deadline).then_some(upload.received_on);
        by_date.entry(key).or_default().push((team, upload));
    }
    let mut written = Vec::with_capacity(by_date.len());
    for (late, rows) in by_date {
        let (name, received) = match late {
            None => (
                format!("RelValidacao_{}.csv", c.compact()),
                Received::Deadline,
            ),
            Some(date) => (
                format!("RelValidacao_{}_recebido_{date}.csv", c.compact()),
                Received::On(date),
            ),
        };
        let path = dir.join(name);
        let text = report_text(c, &rows);
        std::fs::File::create(&path)?.write_all(&latin1_bytes(&text))?;
        written.push(Report {
            path,
            received,
            teams: rows.len() as u64,
        });
    }
    Ok(written)
}

/// The report as the page returns it: preamble, header, rows with a trailing `;`, footer.
fn report_text(c: Competencia, rows: &[(&ScnesTeam, &SisabProduction)]) -> String {
    use std::fmt::Write as _;
    let mut text = format!(
        "Ministério da Saúde;\nSecretaria de Atenção Primária à Saúde;\nSISAB - Relatório de Validação;\n\
         Competência: {}/{};\nPeríodo: produção;\n;\nIBGE;CNES;Tipo Unidade;INE;Tipo Equipe;Validação;Total;\n",
        MONTHS[usize::from(c.month()) - 1],
        c.year()
    );
    for (team, upload) in rows {
        let ine = team.ine.to_string();
        let records = 40 + team.ine.get() % 1_960;
        let (status, total) = match upload.status {
            SisabStatus::Approved => ("Aprovado", records),
            SisabStatus::Rejected => ("Reprovado", records),
        };
        let code = crate::cnes::write::type_code(team.team_type);
        let unit = "02";
        let _ = writeln!(
            text,
            "{};{};{unit};{ine};{code};{status};{};",
            team.ibge,
            team.cnes,
            with_thousands(&total.to_string())
        );
        // Most teams also have a few records rejected: a second row that changes nothing.
        if team.ine.get() % 3 == 0 && upload.status == SisabStatus::Approved {
            let _ = writeln!(
                text,
                "{};{};{unit};{ine};{code};Reprovado;{};",
                team.ibge,
                team.cnes,
                total % 37
            );
        }
    }
    text.push_str(";\nFonte: SISAB;\nNotas: dados sujeitos a alteração;\n;\n");
    text
}

/// ISO-8859-1, as SISAB publishes: every character of the report is in it.
fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("the report's text is latin-1"))
        .collect()
}
