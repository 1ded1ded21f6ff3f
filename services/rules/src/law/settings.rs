//! The parameters of RULES.md §1–4 in force for one competência (tables `REGRAS.PRAZOS` and
//! `CBO.CATEGORIA`, read at the parcela that pays on it).

use repasse_proto::{Competencia, Date};
use rustc_hash::FxHashMap;

use crate::category::Category;
use crate::params::{PRAZOS, Params};

pub struct Settings {
    pub categories: FxHashMap<u32, Category>,
    /// SUSP.50.SISAB: consecutive competências without valid production.
    pub sisab_months: i32,
    /// SUSP.100.ACS_SISAB.
    pub acs_months: i32,
    /// SUSP.REVOGACAO [interp]: consecutive irregular competências.
    pub revocation_months: u32,
    /// SUSP.100.CARGA_60H: more than this many weekly hours summed over all teams.
    pub max_weekly_hours: u16,
    /// SUSP.50.DUPLICIDADE: links with fewer weekly hours (flexible workload) do not count.
    pub duplicity_min_hours: u8,
    /// SUSP.100.SEM_CADASTRO replaces VAL.CADASTRADA for eSF/eAP from this competência [interp].
    pub sem_cadastro_from: Competencia,
    /// CAL.SISAB_DESCARTE: production received this many months after its deadline is discarded.
    pub discard_months: i32,
    /// CAL.SISAB_PRAZO: the deadline of each competência the rules look back at.
    deadlines: Vec<(Competencia, Date)>,
}

impl Settings {
    pub fn at(params: &Params, c: Competencia) -> Settings {
        let p = c.parcela();
        let count = |key| params.count(PRAZOS, key, p);
        let day = u8::try_from(count("sisab_dia_util"))
            .unwrap_or(u8::MAX)
            .clamp(1, 23);
        let sisab_months = count("sisab_competencias").max(1) as i32;
        let acs_months = count("acs_sisab_competencias").max(1) as i32;
        let lookback = sisab_months.max(acs_months);
        let deadlines = (0..lookback)
            .map(|k| c.add_months(-k))
            .map(|m| {
                (
                    m,
                    repasse_proto::calendar::nth_business_day(m.ym().succ(), day),
                )
            })
            .collect();
        Settings {
            categories: params.categories(p),
            sisab_months,
            acs_months,
            revocation_months: count("revogacao_competencias").max(1),
            max_weekly_hours: u16::try_from(count("carga_maxima_horas")).unwrap_or(u16::MAX),
            duplicity_min_hours: u8::try_from(count("duplicidade_horas_minimas"))
                .unwrap_or(u8::MAX),
            sem_cadastro_from: params
                .text(PRAZOS, "sem_cadastro_desde", p)
                .parse()
                .expect("validated on publish"),
            discard_months: count("sisab_descarte_meses") as i32,
            deadlines,
        }
    }

    /// CAL.SISAB_DESCARTE: from this day on, production of `m` is discarded for every purpose.
    pub fn discard_from(&self, m: Competencia) -> Option<Date> {
        self.deadline(m).map(|d| d.add_months(self.discard_months))
    }

    /// CAL.SISAB_PRAZO: the deadline of competência `m`, for the competências the rules look back at.
    pub fn deadline(&self, m: Competencia) -> Option<Date> {
        self.deadlines
            .iter()
            .find(|(c, _)| *c == m)
            .map(|(_, d)| *d)
    }
}
