//! `repasse ingest cnes`: the monthly CNES dump `BASE_DE_DADOS_CNES_AAAAMM.ZIP`, read as a stream out of the
//! zip (it is ~700 MB; nothing is unpacked), its tables joined into one `scnes_team` per APS team and a
//! `scnes_closed` for the competência (`docs/spec/FORMATS.md` §1).
//!
//! The joins, in the order the members are read:
//! - `tbTipoEquipe`: which TP_EQUIPE codes are APS teams, by their description (codes are never hard-coded);
//! - `tbEquipe`: the APS teams, keyed by (CO_MUNICIPIO, SEQ_EQUIPE); the INE is CO_EQUIPE, checked against
//!   SEQ_EQUIPE; the CNES is the last 7 characters of CO_UNIDADE;
//! - `rlEstabEquipeProf`: each team's professional links (CBO, entry, leaving);
//! - `tbCargaHorariaSus`: the weekly hours of each link, by (CO_UNIDADE, CO_PROFISSIONAL_SUS, CO_CBO) —
//!   ambulatorial, other and hospital hours of that unit's link summed. Only team links are kept, so a
//!   professional's hours elsewhere (a hospital shift in another unit) never reach the 60 h rule, which
//!   sums the team links the facts carry (RULES.md SUSP.100.CARGA_60H);
//! - `tbDadosProfissionalSus`: the person — the CPF where published and valid, else the CNS.
//!
//! Memory is bounded by the APS teams and their links (~124,000 and ~860,000 nationally), never by the
//! millions of workload and professional rows, which are streamed past.

use std::fs::File;
use std::path::Path;

use repasse_proto::{
    Cbo, Cnes, Cns, Competencia, Cpf, Date, Ibge, Ine, ScnesTeamType, TeamFamily, TeamType,
};
use rustc_hash::{FxHashMap, FxHashSet};

mod persons;
pub mod write;

use crate::files::{Error, Parsed, Quarantined};
use crate::table::{
    Column, Input, KeyFilter, Row, Table, dump_date, hours, optional, required, unaccented,
};

/// The members read, by table name.
pub const TABLES: [&str; 5] = [
    "tbTipoEquipe",
    "tbEquipe",
    "rlEstabEquipeProf",
    "tbCargaHorariaSus",
    "tbDadosProfissionalSus",
];

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 20;

/// The APS kind of a team type, as the rules know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Esf,
    Family(TeamFamily),
}

impl Kind {
    /// By the description of `tbTipoEquipe` (`"ESF - EQUIPE DE SAUDE DA FAMILIA"`): its acronym before the
    /// dash, else the long name. Other team types (eCR, prisional, Melhor em Casa…) are not APS teams of
    /// these rules.
    fn of_description(text: &str) -> Option<Kind> {
        let plain = unaccented(text).to_uppercase();
        let acronym = plain
            .split(['-', '–'])
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        match acronym.as_str() {
            "ESF" => return Some(Kind::Esf),
            "EAP" => return Some(Kind::Family(TeamFamily::Eap)),
            "ESB" => return Some(Kind::Family(TeamFamily::Esb)),
            "EMULTI" => return Some(Kind::Family(TeamFamily::EMulti)),
            _ => {}
        }
        let name = plain.trim();
        if name == "EQUIPE DE SAUDE DA FAMILIA" {
            Some(Kind::Esf)
        } else if name == "EQUIPE DE ATENCAO PRIMARIA" {
            Some(Kind::Family(TeamFamily::Eap))
        } else if name == "EQUIPE DE SAUDE BUCAL" {
            Some(Kind::Family(TeamFamily::Esb))
        } else if name.starts_with("EQUIPE MULTIPROFISSIONAL") {
            Some(Kind::Family(TeamFamily::EMulti))
        } else {
            None
        }
    }

    fn team_type(self) -> ScnesTeamType {
        match self {
            Kind::Esf => ScnesTeamType::Exact(TeamType::Esf),
            Kind::Family(f) => ScnesTeamType::Family(f),
        }
    }
}

struct Team {
    ine: Ine,
    ibge: Ibge,
    cnes: Cnes,
    kind: Kind,
    active: bool,
    line: u64,
    links: Vec<LinkRow>,
}

struct LinkRow {
    unit: u32,
    professional: u32,
    cbo: Cbo,
    left_on: Option<Date>,
    line: u64,
}

/// Byte strings numbered in order of first sight: units and professionals are joined by number.
#[derive(Default)]
struct Interner(FxHashMap<Box<[u8]>, u32>);

impl Interner {
    fn intern(&mut self, bytes: &[u8]) -> u32 {
        if let Some(n) = self.0.get(bytes) {
            return *n;
        }
        let n = u32::try_from(self.0.len()).expect("fewer than 2³² keys");
        self.0.insert(bytes.into(), n);
        n
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, bytes: &[u8]) -> Option<u32> {
        self.0.get(bytes).copied()
    }

    /// A filter of the keys for the reading thread of `column`. Most of the millions of workload and
    /// professional rows name people of no APS team: ruled out there by 4 bits per key (512 KiB for the
    /// ~900,000 professionals of the national APS teams, within L2), they never reach the hash table,
    /// whose probes were cache misses and most of the join's time.
    fn filter(&self, column: &'static str) -> KeyFilter {
        let bits = KeyFilter::bits(self.0.keys().map(|k| &k[..]), 4);
        KeyFilter {
            column,
            bits: std::sync::Arc::new(bits),
        }
    }
}

/// Reads a dump whole (nothing is written): the facts, or the reason it is refused.
pub fn read(path: &Path, progress: &mut dyn FnMut(&str, u64)) -> Result<Parsed, Error> {
    let file = File::open(path)
        .map_err(|e| Error::refused(path, format!("não foi possível ler o arquivo: {e}")))?;
    let zip = zip::ZipArchive::new(file).map_err(|e| {
        Error::refused(
            path,
            format!("zip ilegível ou truncado ({e}); esperado o BASE_DE_DADOS_CNES_AAAAMM.ZIP do DATASUS"),
        )
    })?;
    let (members, competencia) = members(path, &zip)?;
    let zip_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut dump = Dump {
        competencia,
        last_day: competencia.last_day(),
        parsed: Parsed::default(),
        zip_name,
        kinds: FxHashMap::default(),
        teams: Vec::new(),
        team_keys: FxHashMap::default(),
        units: Interner::default(),
        professionals: Interner::default(),
        hours: FxHashMap::default(),
        persons: Vec::new(),
    };
    for (table, member) in TABLES.iter().zip(&members) {
        let entry = Input::Zip {
            path: path.to_owned(),
            member: member.clone(),
        };
        let label = format!("{}:{member}", dump.zip_name);
        let result = match *table {
            "tbTipoEquipe" => dump.team_types(&label, entry, progress),
            "tbEquipe" => dump.teams(&label, entry, progress),
            "rlEstabEquipeProf" => dump.links(&label, entry, progress),
            "tbCargaHorariaSus" => dump.workload(&label, entry, progress),
            _ => dump.people(&label, entry, progress),
        };
        result.map_err(|e| Error::refused(path, e.to_string()))?;
    }
    dump.complete().map_err(|why| Error::refused(path, why))?;
    Ok(dump.facts())
}

/// The member of each table, and the competência their names carry (all the same).
fn members(path: &Path, zip: &zip::ZipArchive<File>) -> Result<([String; 5], Competencia), Error> {
    let names: Vec<&str> = zip.file_names().collect();
    let mut found: Vec<String> = Vec::new();
    let mut competencia: Option<(Competencia, String)> = None;
    for table in TABLES {
        let member = names.iter().find_map(|name| {
            let base = name.rsplit('/').next().unwrap_or(name);
            let stem = base
                .strip_suffix(".csv")
                .or_else(|| base.strip_suffix(".CSV"))?;
            let rest = stem
                .get(..table.len())
                .filter(|p| p.eq_ignore_ascii_case(table))?;
            let digits = &stem[rest.len()..];
            (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| ((*name).to_owned(), digits.to_owned()))
        });
        let Some((member, digits)) = member else {
            return Err(Error::refused(
                path,
                format!("tabela ausente no zip: {table} (esperado um membro {table}AAAAMM.csv)"),
            ));
        };
        let c: Competencia = format!("{}-{}", &digits[..4], &digits[4..])
            .parse()
            .map_err(|e| {
                Error::refused(path, format!("{member}: competência do nome inválida: {e}"))
            })?;
        match &competencia {
            Some((first, other)) if *first != c => {
                return Err(Error::refused(
                    path,
                    format!("membros de competências diferentes: {other} e {member}"),
                ));
            }
            Some(_) => {}
            None => competencia = Some((c, member.clone())),
        }
        found.push(member);
    }
    let members: [String; 5] = found.try_into().expect("one member per table");
    Ok((members, competencia.expect("five members found").0))
}

struct Dump {
    competencia: Competencia,
    last_day: Date,
    parsed: Parsed,
    zip_name: String,
    kinds: FxHashMap<Box<[u8]>, Kind>,
    teams: Vec<Team>,
    team_keys: FxHashMap<(u32, u64), usize>,
    units: Interner,
    professionals: Interner,
    /// Weekly hours by (unit, professional, CBO), for the team links only.
    hours: FxHashMap<(u32, u32, u32), u32>,
    /// Per professional number: (CPF, CNS) once read.
    persons: Vec<(Option<Cpf>, Option<Cns>)>,
}

type Step = Result<(), crate::table::TableError>;

impl Dump {
    /// A dump whose tables read but say nothing usable is refused, not taken as a month in which every
    /// team lost its professionals (which would suspend the whole country): no APS team type recognised,
    /// APS teams without a single professional link, links without a single workload row.
    fn complete(&self) -> Result<(), String> {
        let nothing = "nada foi gravado";
        if self.kinds.is_empty() {
            return Err(format!(
                "tbTipoEquipe: nenhum tipo de equipe da APS reconhecido em DS_EQUIPE (esperadas as \
                 descrições de eSF, eAP, eSB e eMulti; docs/spec/FORMATS.md §1); {nothing}"
            ));
        }
        let links: usize = self.teams.iter().map(|t| t.links.len()).sum();
        if !self.teams.is_empty() && links == 0 {
            return Err(format!(
                "rlEstabEquipeProf: nenhum profissional vinculado às {} equipes da APS de tbEquipe; \
                 {nothing}",
                self.teams.len()
            ));
        }
        if links > 0 && self.hours.values().all(|h| *h == 0) {
            return Err(format!(
                "tbCargaHorariaSus: nenhuma carga horária (ou só zeros) para os {links} vínculos às \
                 equipes da APS; {nothing}"
            ));
        }
        Ok(())
    }

    fn quarantine(&mut self, label: &str, row: &Row<'_>, field: &str, value: &str, reason: &str) {
        let q = Quarantined::new(label, row.line, field, value, reason);
        self.parsed.quarantine.push(q);
    }

    fn team_types(&mut self, label: &str, input: Input, _: &mut dyn FnMut(&str, u64)) -> Step {
        let columns = [required("TP_EQUIPE"), required("DS_EQUIPE")];
        let mut table = Table::open(label, input, b';', &columns, None)?;
        let mut recognised = Vec::new();
        while let Some(row) = table.next_row()? {
            let description = row.text(1);
            if let Some(kind) = Kind::of_description(&description) {
                recognised.push(format!(
                    "{} ({description}) → {}",
                    row.text(0),
                    kind.team_type()
                ));
                self.kinds.insert(row.bytes(0).into(), kind);
            }
        }
        self.parsed.notes.push(format!(
            "tipos de equipe da APS reconhecidos em tbTipoEquipe: {}",
            if recognised.is_empty() {
                "nenhum".to_owned()
            } else {
                recognised.join("; ")
            }
        ));
        Ok(())
    }

    fn teams(&mut self, label: &str, input: Input, progress: &mut dyn FnMut(&str, u64)) -> Step {
        const COLUMNS: [Column; 7] = [
            required("CO_MUNICIPIO"),
            required("SEQ_EQUIPE"),
            required("CO_UNIDADE"),
            required("TP_EQUIPE"),
            required("DT_ATIVACAO"),
            required("DT_DESATIVACAO"),
            optional("CO_EQUIPE"),
        ];
        let mut table = Table::open(label, input, b';', &COLUMNS, None)?;
        let mut rows = 0u64;
        while let Some(row) = table.next_row()? {
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                progress(label, rows);
            }
            let Some(kind) = self.kinds.get(row.bytes(3)).copied() else {
                self.parsed.skipped += 1;
                continue;
            };
            match self.team(&row, kind) {
                Ok(team) => {
                    let key = (team.ibge.get(), team.ine.get());
                    if self.team_keys.contains_key(&key) {
                        let value = team.ine.to_string();
                        self.quarantine(
                            label,
                            &row,
                            "SEQ_EQUIPE",
                            &value,
                            "equipe repetida no tbEquipe: vale a primeira linha",
                        );
                        continue;
                    }
                    self.team_keys.insert(key, self.teams.len());
                    self.teams.push(team);
                }
                Err((field, value, reason)) => self.quarantine(label, &row, field, &value, &reason),
            }
        }
        progress(label, rows);
        Ok(())
    }

    fn team(&self, row: &Row<'_>, kind: Kind) -> Result<Team, (&'static str, String, String)> {
        let at = |field: &'static str, i: usize| move |e: String| (field, row.text(i), e);
        if !row.is_complete() {
            return Err((
                "linha",
                String::new(),
                "linha com menos colunas que o cabeçalho".into(),
            ));
        }
        let ibge: Ibge = row
            .text(0)
            .parse()
            .map_err(|e: repasse_proto::IdError| e.to_string())
            .map_err(at("CO_MUNICIPIO", 0))?;
        let seq = row.text(1);
        let seq_number: u64 = seq
            .parse()
            .map_err(|_| ("SEQ_EQUIPE", seq.clone(), "esperado um número".to_owned()))?;
        let co_equipe = row.text(6);
        let ine_text = if co_equipe.is_empty() {
            seq.clone()
        } else {
            co_equipe.clone()
        };
        let padded = format!("{ine_text:0>10}");
        let ine: Ine = padded
            .parse()
            .map_err(|e: repasse_proto::IdError| ("CO_EQUIPE", ine_text.clone(), e.to_string()))?;
        if ine.get() != seq_number {
            return Err((
                "CO_EQUIPE",
                co_equipe,
                format!("INE diverge do SEQ_EQUIPE {seq}"),
            ));
        }
        let unit = row.text(2);
        let cnes: Cnes = unit
            .get(unit.len().saturating_sub(7)..)
            .filter(|_| unit.len() >= 7)
            .ok_or_else(|| "CO_UNIDADE com menos de 7 caracteres".to_owned())
            .and_then(|t| t.parse().map_err(|e: repasse_proto::IdError| e.to_string()))
            .map_err(at("CO_UNIDADE", 2))?;
        let activated = dump_date(&row.text(4)).map_err(at("DT_ATIVACAO", 4))?;
        let deactivated = dump_date(&row.text(5)).map_err(at("DT_DESATIVACAO", 5))?;
        let Some(activated) = activated else {
            return Err((
                "DT_ATIVACAO",
                row.text(4),
                "data de ativação obrigatória".into(),
            ));
        };
        // Active in C: activated by its last day and not deactivated by then (FORMATS.md §1).
        let active = activated <= self.last_day && deactivated.is_none_or(|d| d > self.last_day);
        Ok(Team {
            ine,
            ibge,
            cnes,
            kind,
            active,
            line: row.line,
            links: Vec::new(),
        })
    }

    fn links(&mut self, label: &str, input: Input, progress: &mut dyn FnMut(&str, u64)) -> Step {
        const COLUMNS: [Column; 7] = [
            required("CO_MUNICIPIO"),
            required("SEQ_EQUIPE"),
            required("CO_PROFISSIONAL_SUS"),
            required("CO_UNIDADE"),
            required("CO_CBO"),
            required("DT_ENTRADA"),
            required("DT_DESLIGAMENTO"),
        ];
        let mut table = Table::open(label, input, b';', &COLUMNS, None)?;
        let mut rows = 0u64;
        let mut seen: FxHashSet<(usize, u32, u32)> = FxHashSet::default();
        let mut repeated = 0u64;
        while let Some(row) = table.next_row()? {
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                progress(label, rows);
            }
            let team = number(row.bytes(0))
                .zip(number(row.bytes(1)))
                .and_then(|(ibge, seq)| {
                    self.team_keys
                        .get(&(u32::try_from(ibge).ok()?, seq))
                        .copied()
                });
            let Some(team) = team else {
                self.parsed.skipped += 1;
                continue;
            };
            if !row.is_complete() {
                self.quarantine(
                    label,
                    &row,
                    "linha",
                    "",
                    "linha com menos colunas que o cabeçalho",
                );
                continue;
            }
            let cbo: Cbo = match row.text(4).parse() {
                Ok(cbo) => cbo,
                Err(e) => {
                    let e: repasse_proto::IdError = e;
                    self.quarantine(label, &row, "CO_CBO", &row.text(4), &e.to_string());
                    continue;
                }
            };
            let (entered, left) = match (dump_date(&row.text(5)), dump_date(&row.text(6))) {
                (Ok(e), Ok(l)) => (e, l),
                (Err(e), _) => {
                    self.quarantine(label, &row, "DT_ENTRADA", &row.text(5), &e);
                    continue;
                }
                (_, Err(e)) => {
                    self.quarantine(label, &row, "DT_DESLIGAMENTO", &row.text(6), &e);
                    continue;
                }
            };
            if entered.is_some_and(|d| d > self.last_day) {
                self.parsed.skipped += 1;
                continue;
            }
            let professional = self.professionals.intern(row.bytes(2));
            let unit = self.units.intern(row.bytes(3));
            if !seen.insert((team, professional, cbo.get())) {
                repeated += 1;
                continue;
            }
            self.teams[team].links.push(LinkRow {
                unit,
                professional,
                cbo,
                left_on: left,
                line: row.line,
            });
        }
        progress(label, rows);
        if repeated > 0 {
            self.parsed.notes.push(format!(
                "{repeated} vínculos repetidos (mesma equipe, profissional e CBO) em rlEstabEquipeProf: contados uma vez"
            ));
        }
        for team in &self.teams {
            for link in &team.links {
                self.hours
                    .insert((link.unit, link.professional, link.cbo.get()), 0);
            }
        }
        Ok(())
    }

    fn workload(&mut self, label: &str, input: Input, progress: &mut dyn FnMut(&str, u64)) -> Step {
        const COLUMNS: [Column; 6] = [
            required("CO_UNIDADE"),
            required("CO_PROFISSIONAL_SUS"),
            required("CO_CBO"),
            required("QT_CARGA_HORARIA_AMBULATORIAL"),
            required("QT_CARGA_HORARIA_OUTROS"),
            required("QT_CARGA_HOR_HOSP_SUS"),
        ];
        let keep = Some(self.professionals.filter("CO_PROFISSIONAL_SUS"));
        let mut table = Table::open(label, input, b';', &COLUMNS, keep)?;
        let mut rows = 0u64;
        while let Some(row) = table.next_row()? {
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                progress(label, rows);
            }
            // Most rows are links to no APS team: two lookups and they are past.
            let Some(professional) = self.professionals.get(row.bytes(1)) else {
                continue;
            };
            let Some(unit) = self.units.get(row.bytes(0)) else {
                continue;
            };
            let Some(cbo) = number(row.bytes(2)).and_then(|c| u32::try_from(c).ok()) else {
                continue;
            };
            let Some(slot) = self.hours.get_mut(&(unit, professional, cbo)) else {
                continue;
            };
            let mut total = 0;
            for (i, field) in [
                (3, "QT_CARGA_HORARIA_AMBULATORIAL"),
                (4, "QT_CARGA_HORARIA_OUTROS"),
                (5, "QT_CARGA_HOR_HOSP_SUS"),
            ] {
                match hours(row.bytes(i)) {
                    Ok(h) => total += h,
                    Err(reason) => {
                        let value = row.text(i);
                        let q = Quarantined::new(label, row.line, field, &value, &reason);
                        self.parsed.quarantine.push(q);
                    }
                }
            }
            *slot += total;
        }
        progress(label, rows);
        Ok(())
    }
}

/// A CPF the dump does not publish: empty, all zeros or nines, or masked with non-digits.
fn is_masked(text: &str) -> bool {
    text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || text.bytes().all(|b| b == b'0')
        || text == "99999999999"
}

fn number(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 19 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aps_team_types_are_known_by_their_description() {
        assert_eq!(
            Kind::of_description("ESF - EQUIPE DE SAUDE DA FAMILIA"),
            Some(Kind::Esf)
        );
        assert_eq!(
            Kind::of_description("ESB - EQUIPE DE SAUDE BUCAL"),
            Some(Kind::Family(TeamFamily::Esb))
        );
        assert_eq!(
            Kind::of_description("EMULTI - EQUIPE MULTIPROFISSIONAL NA AT. PRIMARIA A SAUDE"),
            Some(Kind::Family(TeamFamily::EMulti))
        );
        assert_eq!(
            Kind::of_description("EAP - EQUIPE DE ATENÇÃO PRIMÁRIA"),
            Some(Kind::Family(TeamFamily::Eap))
        );
        assert_eq!(
            Kind::of_description("ECR - EQUIPE DOS CONSULTORIOS NA RUA"),
            None
        );
        assert_eq!(
            Kind::of_description("EAPP - EQUIPE DE ATENCAO PRIMARIA PRISIONAL"),
            None
        );
        assert_eq!(
            Kind::of_description("EMAD I - EQUIPE MULTIDISCIPLINAR DE ATENCAO DOMICILIAR"),
            None
        );
    }

    #[test]
    fn masked_cpfs_are_told_from_wrong_ones() {
        assert!(is_masked(""));
        assert!(is_masked("***.***.***-**"));
        assert!(is_masked("00000000000"));
        assert!(!is_masked("52998224725"));
        assert!(!is_masked("52998224726"));
    }
}
