//! A CNES dump in the published layout, written from a competência's `scnes_team` facts: what `repasse
//! demo-data --formato cnes` and `repasse bench ingest` feed the reader, since no real dump can be
//! downloaded here. Beside the APS teams it writes what a national dump also holds, in the proportions of
//! the 202602 dump (`docs/spec/FORMATS.md` §1: ~124,000 teams, ~860,000 team links, ~6.5 M workload rows,
//! ~7.6 M professionals, for ~100,000 APS teams): teams of other types with their links, hospital shifts
//! of APS professionals in other establishments, and millions of professionals linked to no team.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use repasse_proto::fact::ScnesTeam;
use repasse_proto::{Cns, Competencia, Cpf, Date, ScnesTeamType, TeamFamily};
use rustc_hash::FxHashMap;
use zip::write::SimpleFileOptions;

/// What a written dump holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub teams: u64,
    pub aps_teams: u64,
    pub team_links: u64,
    pub workload_rows: u64,
    pub professionals: u64,
    pub bytes: u64,
}

// The national proportions, per 100 APS teams.
const OTHER_TEAMS_PER_100: usize = 24;
const LINKS_PER_OTHER_TEAM: usize = 6;
const WORKLOAD_ROWS_PER_100: usize = 6_500;
const PROFESSIONALS_PER_100: usize = 7_600;

const TB_EQUIPE: &str = "CO_MUNICIPIO;CO_AREA;SEQ_EQUIPE;CO_UNIDADE;TP_EQUIPE;CO_SUB_TIPO_EQUIPE;NO_REFERENCIA;DT_ATIVACAO;DT_DESATIVACAO;TP_POP_ASSIST_QUILOMB;TP_POP_ASSIST_ASSENT;TP_POP_ASSIST_GERAL;TP_POP_ASSIST_ESCOLA;TP_POP_ASSIST_PRONASCI;TP_POP_ASSIST_INDIGENA;TP_POP_ASSIST_RIBEIRINHA;TP_POP_ASSIST_SITUACAO_RUA;TP_POP_ASSIST_PRIV_LIBERDADE;TP_POP_ASSIST_CONFLITO_LEI;TP_POP_ASSIST_ADOL_CONF_LEI;CO_CNES_UOM;NU_CH_AMB_UOM;CD_MOTIVO_DESATIV;CD_TP_DESATIV;CO_PROF_SUS_PRECEPTOR;CO_CNES_PRECEPTOR;CO_EQUIPE;TO_CHAR(DT_ATUALIZACAO,'DD/MM/YYYY');NO_USUARIO;TO_CHAR(DT_ATUALIZACAO_ORIGEM,'DD/MM/YYYY')";
const RL_EQUIPE_PROF: &str = "CO_MUNICIPIO;CO_AREA;SEQ_EQUIPE;CO_PROFISSIONAL_SUS;CO_UNIDADE;CO_CBO;TP_SUS_NAO_SUS;IND_VINCULACAO;CO_MICROAREA;DT_ENTRADA;DT_DESLIGAMENTO;CO_CNES_OUTRAEQUIPE;CO_MUNICIPIO_OUTRAEQUIPE;CO_AREA_OUTRAEQUIPE;CO_PROFISSIONAL_SUS_COMPL;CO_CBO_CH_COMPL;ST_EQUIPEMINIMA;CO_MUN_ATUACAO;TO_CHAR(DT_ATUALIZACAO,'DD/MM/YYYY');NO_USUARIO;TO_CHAR(DT_ATUALIZACAO_ORIGEM,'DD/MM/YYYY')";
const TB_CARGA: &str = "CO_UNIDADE;CO_PROFISSIONAL_SUS;CO_CBO;TP_SUS_NAO_SUS;IND_VINCULACAO;TP_TERCEIRO_SIH;QT_CARGA_HORARIA_AMBULATORIAL;CO_CONSELHO_CLASSE;NU_REGISTRO;SG_UF_CRM;TP_PRECEPTOR;TP_RESIDENTE;NU_CNPJ_DETALHAMENTO_VINCULO;TO_CHAR(A.DT_ATUALIZACAO,'DD/MM/YYYY');CO_USUARIO;TO_CHAR(A.DT_ATUALIZACAO_ORIGEM,'DD/MM/YYYY');QT_CARGA_HORARIA_OUTROS;QT_CARGA_HOR_HOSP_SUS";
const TB_PROF: &str = "CO_PROFISSIONAL_SUS;'CO_CPF';NO_PROFISSIONAL;CO_CNS;TO_CHAR(DT_ATUALIZACAO,'DD/MM/YYYY');CO_USUARIO;ST_NMPROF_CADSUS;CO_NACIONALIDADE;CO_SEQ_INCLUSAO;TO_CHAR(DT_ATUALIZACAO_ORIGEM,'DD/MM/YYYY');NO_SOCIAL";

/// The published form of a line: every field quoted, `;`, `\n`.
fn line(out: &mut dyn Write, fields: &[&str]) -> io::Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b";")?;
        }
        out.write_all(b"\"")?;
        out.write_all(field.as_bytes())?;
        out.write_all(b"\"")?;
    }
    out.write_all(b"\n")
}

fn header(out: &mut dyn Write, names: &str) -> io::Result<()> {
    line(out, &names.split(';').collect::<Vec<_>>())
}

fn dump_date(d: Date) -> String {
    let iso = d.to_string();
    format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[..4])
}

/// The professional id of the dump for a person of the APS teams (16 digits, not a CPF).
fn team_professional(person: u64) -> String {
    format!(
        "{:016}",
        7_000_000_000_000_000 + person % 1_000_000_000_000_000
    )
}

/// About one person in twenty has the CPF masked in the dump: the CNS names them.
fn masked(person: u64) -> bool {
    person.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59 == 0
}

fn cns_of(n: u64) -> Cns {
    Cns::definitive_from_pis(10_000_000_000 + n % 9_000_000_000)
}

/// Writes `BASE_DE_DADOS_CNES_AAAAMM.ZIP` for competência `c` into `dir` from its teams, deflated at
/// `level` (`None`: the deflate default, as DATASUS's; 1 writes fastest, for a demo).
pub fn write_dump(
    dir: &Path,
    c: Competencia,
    teams: &[ScnesTeam],
    level: Option<i64>,
) -> io::Result<Written> {
    let stamp = c.compact();
    let path = dir.join(format!("BASE_DE_DADOS_CNES_{stamp}.ZIP"));
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&path)?,
    ));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(level)
        .large_file(true);
    let dump = Dump {
        c,
        teams,
        updated: dump_date(c.first_day()),
        other_teams: teams.len() * OTHER_TEAMS_PER_100 / 100,
    };
    let mut written = Written {
        aps_teams: teams.len() as u64,
        teams: (teams.len() + dump.other_teams) as u64,
        ..Written::default()
    };
    let mut member = |table: &str, write: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>| {
        zip.start_file(format!("{table}{stamp}.csv"), options)?;
        let mut out = BufWriter::with_capacity(1 << 20, &mut zip);
        write(&mut out)?;
        out.flush()
    };
    member("tbTipoEquipe", &mut |out| dump.types(out))?;
    member("tbEquipe", &mut |out| dump.teams(out))?;
    let mut hours = FxHashMap::default();
    let mut people = FxHashMap::default();
    member("rlEstabEquipeProf", &mut |out| {
        written.team_links = dump.links(out, &mut hours, &mut people)?;
        Ok(())
    })?;
    let extra_people = (teams.len() * PROFESSIONALS_PER_100 / 100).saturating_sub(people.len());
    member("tbCargaHorariaSus", &mut |out| {
        written.workload_rows = dump.workload(out, std::mem::take(&mut hours), extra_people)?;
        Ok(())
    })?;
    member("tbDadosProfissionalSus", &mut |out| {
        written.professionals = dump.people(out, std::mem::take(&mut people), extra_people)?;
        Ok(())
    })?;
    zip.finish()?.flush()?;
    written.bytes = std::fs::metadata(&path)?.len();
    Ok(written)
}

/// Weekly hours by (unit, professional id, CBO), and each professional id's CPF (if not masked) and CNS.
type Hours = FxHashMap<(String, String, u32), u32>;
type People = FxHashMap<String, (Option<Cpf>, Cns)>;

struct Dump<'a> {
    c: Competencia,
    teams: &'a [ScnesTeam],
    updated: String,
    other_teams: usize,
}

impl Dump<'_> {
    fn types(&self, out: &mut dyn Write) -> io::Result<()> {
        header(out, "TP_EQUIPE;DS_EQUIPE;CO_GRUPO_EQUIPE")?;
        for (code, description) in [
            ("70", "ESF - EQUIPE DE SAUDE DA FAMILIA"),
            ("71", "ESB - EQUIPE DE SAUDE BUCAL"),
            (
                "72",
                "EMULTI - EQUIPE MULTIPROFISSIONAL NA AT. PRIMARIA A SAUDE",
            ),
            ("73", "ECR - EQUIPE DOS CONSULTORIOS NA RUA"),
            (
                "22",
                "EMAD I - EQUIPE MULTIPROFISSIONAL DE ATENCAO DOMICILIAR TIPO I",
            ),
            ("76", "EAP - EQUIPE DE ATENCAO PRIMARIA"),
        ] {
            line(out, &[code, description, "1"])?;
        }
        Ok(())
    }

    /// The municipality of the `i`-th team of another type: spread over those of the APS teams.
    fn other_ibge(&self, i: usize) -> String {
        self.teams[i % self.teams.len().max(1)].ibge.to_string()
    }

    /// tbEquipe: the APS teams, then teams of other types (eCR, EMAD) in other establishments.
    fn teams(&self, out: &mut dyn Write) -> io::Result<()> {
        header(out, TB_EQUIPE)?;
        for team in self.teams {
            let seq = team.ine.get().to_string();
            let unit = format!("{}{}", team.ibge, team.cnes);
            let deactivated = if team.active {
                String::new()
            } else {
                dump_date(self.c.first_day())
            };
            let ibge = team.ibge.to_string();
            let code = type_code(team.team_type);
            team_row(out, &ibge, &seq, &unit, code, &deactivated, &self.updated)?;
        }
        for i in 0..self.other_teams {
            let seq = (9_000_000_000 + i as u64).to_string();
            let ibge = self.other_ibge(i);
            let unit = format!("{ibge}{:07}", 9_000_000 + i % 1_000_000);
            let code = if i % 3 == 0 { "22" } else { "73" };
            team_row(out, &ibge, &seq, &unit, code, "", &self.updated)?;
        }
        Ok(())
    }

    /// rlEstabEquipeProf, collecting each link's hours and each professional: the links written.
    fn links(
        &self,
        out: &mut dyn Write,
        hours: &mut Hours,
        people: &mut People,
    ) -> io::Result<u64> {
        header(out, RL_EQUIPE_PROF)?;
        let mut links = 0;
        for team in self.teams {
            let unit = format!("{}{}", team.ibge, team.cnes);
            let (ibge, seq) = (team.ibge.to_string(), team.ine.get().to_string());
            for p in &team.professionals {
                let person = p.person();
                let id = team_professional(person);
                let cbo = p.cbo.to_string();
                let left = p.left_on.map(dump_date).unwrap_or_default();
                link_row(out, &ibge, &seq, &id, &unit, &cbo, &left, &self.updated)?;
                *hours
                    .entry((unit.clone(), id.clone(), p.cbo.get()))
                    .or_default() += u32::from(p.hours);
                let cpf = p.cpf.filter(|_| !masked(person));
                let cns = p.cns.unwrap_or_else(|| cns_of(person));
                people.insert(id, (cpf, cns));
                links += 1;
            }
        }
        for i in 0..self.other_teams * LINKS_PER_OTHER_TEAM {
            let t = i / LINKS_PER_OTHER_TEAM;
            let ibge = self.other_ibge(t);
            let unit = format!("{ibge}{:07}", 9_000_000 + t % 1_000_000);
            let id = format!("{:016}", 8_100_000_000_000_000 + i as u64);
            let seq = (9_000_000_000 + t as u64).to_string();
            link_row(out, &ibge, &seq, &id, &unit, "225125", "", &self.updated)?;
            hours.insert((unit, id.clone(), 225125), 30);
            people.insert(id, (None, cns_of(500_000_000 + i as u64)));
            links += 1;
        }
        Ok(links)
    }

    /// tbCargaHorariaSus: the team links, one in ten APS professionals' hospital shift elsewhere, then the
    /// links of professionals in no team, up to the national proportion: the rows written.
    fn workload(&self, out: &mut dyn Write, hours: Hours, extra_people: usize) -> io::Result<u64> {
        header(out, TB_CARGA)?;
        let mut rows: Vec<_> = hours.into_iter().collect();
        rows.sort_unstable();
        let mut written = 0u64;
        let updated = &self.updated;
        for ((unit, id, cbo), h) in &rows {
            workload_row(
                out,
                unit,
                id,
                &cbo.to_string(),
                &h.to_string(),
                "0",
                updated,
            )?;
            written += 1;
            if id.starts_with('7') && id.as_bytes()[15] == b'3' {
                workload_row(out, "9999999000001", id, "225125", "0", "30", updated)?;
                written += 1;
            }
        }
        let target = self.teams.len() * WORKLOAD_ROWS_PER_100 / 100;
        for i in 0..target.saturating_sub(written as usize) {
            let person = i % extra_people.max(1);
            let id = format!("{:016}", 8_200_000_000_000_000 + person as u64);
            let unit = format!("{:013}", 5_300_000_000_000u64 + (i % 400_000) as u64);
            let cbo = ["225125", "223505", "322205", "251510", "223208"][i % 5];
            workload_row(out, &unit, &id, cbo, "20", "0", updated)?;
            written += 1;
        }
        Ok(written)
    }

    /// tbDadosProfissionalSus: every professional of a link, then those of no team: the rows written.
    fn people(&self, out: &mut dyn Write, people: People, extra_people: usize) -> io::Result<u64> {
        header(out, TB_PROF)?;
        let mut known: Vec<_> = people.into_iter().collect();
        known.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (id, (cpf, cns)) in &known {
            let cpf = cpf.map(|c| c.to_string()).unwrap_or_default();
            person_row(out, id, &cpf, &cns.to_string(), &self.updated)?;
        }
        for person in 0..extra_people {
            let id = format!("{:016}", 8_200_000_000_000_000 + person as u64);
            let cpf = Cpf::from_base(500_000_000 + person as u64).to_string();
            let cns = cns_of(1_000_000_000 + person as u64).to_string();
            person_row(out, &id, &cpf, &cns, &self.updated)?;
        }
        Ok((known.len() + extra_people) as u64)
    }
}

/// The TP_EQUIPE of the type table written above.
pub(crate) fn type_code(t: ScnesTeamType) -> &'static str {
    match t {
        ScnesTeamType::Exact(t) if t.is_esf() => "70",
        ScnesTeamType::Exact(t) if t.is_eap() => "76",
        ScnesTeamType::Exact(t) if t.is_esb() => "71",
        ScnesTeamType::Exact(_) => "72",
        ScnesTeamType::Family(TeamFamily::Eap) => "76",
        ScnesTeamType::Family(TeamFamily::Esb) => "71",
        ScnesTeamType::Family(TeamFamily::EMulti) => "72",
    }
}

fn team_row(
    out: &mut dyn Write,
    ibge: &str,
    seq: &str,
    unit: &str,
    code: &str,
    deactivated: &str,
    updated: &str,
) -> io::Result<()> {
    let pop = "2";
    line(
        out,
        &[
            ibge,
            "0001",
            seq,
            unit,
            code,
            "",
            "EQUIPE",
            "01/01/2020",
            deactivated,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            pop,
            "",
            "",
            "",
            "",
            "",
            "",
            seq,
            updated,
            "CNES",
            updated,
        ],
    )
}

#[allow(clippy::too_many_arguments)]
fn link_row(
    out: &mut dyn Write,
    ibge: &str,
    seq: &str,
    id: &str,
    unit: &str,
    cbo: &str,
    left: &str,
    updated: &str,
) -> io::Result<()> {
    line(
        out,
        &[
            ibge,
            "0001",
            seq,
            id,
            unit,
            cbo,
            "S",
            "010101",
            "",
            "01/01/2020",
            left,
            "",
            "",
            "",
            "",
            "",
            "1",
            ibge,
            updated,
            "CNES",
            updated,
        ],
    )
}

fn workload_row(
    out: &mut dyn Write,
    unit: &str,
    id: &str,
    cbo: &str,
    ambulatorial: &str,
    hospital: &str,
    updated: &str,
) -> io::Result<()> {
    line(
        out,
        &[
            unit,
            id,
            cbo,
            "S",
            "010101",
            "",
            ambulatorial,
            "",
            "",
            "",
            "2",
            "2",
            "",
            updated,
            "CNES",
            updated,
            "",
            hospital,
        ],
    )
}

fn person_row(
    out: &mut dyn Write,
    id: &str,
    cpf: &str,
    cns: &str,
    updated: &str,
) -> io::Result<()> {
    line(
        out,
        &[
            id,
            cpf,
            "PROFISSIONAL",
            cns,
            updated,
            "CNES",
            "1",
            "10",
            "",
            updated,
            "",
        ],
    )
}
