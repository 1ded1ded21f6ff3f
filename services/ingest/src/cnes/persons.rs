//! The last two steps of the dump's join: who each professional is (`tbDadosProfissionalSus`) and the
//! facts, one `scnes_team` per APS team and the competência's close.

use repasse_proto::fact::{Professional, ScnesClosed, ScnesTeam};
use repasse_proto::{Cns, Cpf, Fact};
use rustc_hash::FxHashSet;

use super::{Dump, Kind, PROGRESS_EVERY, Step, is_masked};
use crate::files::{Parsed, Quarantined};
use crate::table::{Column, Input, Table, required};

impl Dump {
    pub(super) fn people(
        &mut self,
        label: &str,
        input: Input,
        progress: &mut dyn FnMut(&str, u64),
    ) -> Step {
        const COLUMNS: [Column; 3] = [
            required("CO_PROFISSIONAL_SUS"),
            required("CO_CPF"),
            required("CO_CNS"),
        ];
        let keep = Some(self.professionals.filter("CO_PROFISSIONAL_SUS"));
        let mut table = Table::open(label, input, b';', &COLUMNS, keep)?;
        self.persons = vec![(None, None); self.professionals.len()];
        let mut masked = 0u64;
        let mut rows = 0u64;
        while let Some(row) = table.next_row()? {
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY) {
                progress(label, rows);
            }
            let Some(professional) = self.professionals.get(row.bytes(0)) else {
                continue;
            };
            let cpf_text = row.text(1);
            let cpf = if is_masked(&cpf_text) {
                masked += 1;
                None
            } else {
                match cpf_text.parse::<Cpf>() {
                    Ok(cpf) => Some(cpf),
                    Err(e) => {
                        self.quarantine(
                            label,
                            &row,
                            "CO_CPF",
                            &cpf_text,
                            &format!("{e}; vale o CNS"),
                        );
                        None
                    }
                }
            };
            let cns_text = row.text(2);
            let cns = if cns_text.is_empty() || cns_text.bytes().all(|b| b == b'0') {
                None
            } else {
                match cns_text.parse::<Cns>() {
                    Ok(cns) => Some(cns),
                    Err(e) => {
                        self.quarantine(label, &row, "CO_CNS", &cns_text, &e.to_string());
                        None
                    }
                }
            };
            self.persons[professional as usize] = (cpf, cns);
        }
        progress(label, rows);
        if masked > 0 {
            self.parsed.notes.push(format!(
                "{masked} profissionais das equipes com CPF mascarado ou ausente no dump: identificados pelo CNS"
            ));
        }
        Ok(())
    }

    /// The teams as facts, sorted by INE, then the competência's close.
    pub(super) fn facts(mut self) -> Parsed {
        self.teams.sort_by_key(|t| t.ine);
        let mut without_hours = 0u64;
        let mut without_person = 0u64;
        let mut families = 0u64;
        let mut shared: FxHashSet<(u32, u32, u32)> = FxHashSet::default();
        let mut shared_links = 0u64;
        let mut facts = Vec::with_capacity(self.teams.len() + 1);
        for team in &self.teams {
            let mut professionals = Vec::with_capacity(team.links.len());
            for link in &team.links {
                let (cpf, cns) = self
                    .persons
                    .get(link.professional as usize)
                    .copied()
                    .unwrap_or((None, None));
                if cpf.is_none() && cns.is_none() {
                    without_person += 1;
                    continue;
                }
                // tbCargaHorariaSus has one row per unit, professional and CBO: two teams of one unit
                // sharing a professional and CBO share that row, so its hours go to the first team (by
                // INE) and the sum over the links stays the unit's.
                let key = (link.unit, link.professional, link.cbo.get());
                let hours = if shared.insert(key) {
                    self.hours.get(&key).copied().unwrap_or(0)
                } else {
                    shared_links += 1;
                    0
                };
                if hours == 0 {
                    without_hours += 1;
                }
                let Ok(hours) = u8::try_from(hours) else {
                    let q = Quarantined::new(
                        &self.zip_name,
                        link.line,
                        "tbCargaHorariaSus",
                        &hours.to_string(),
                        "mais de 255 horas semanais num vínculo",
                    );
                    self.parsed.quarantine.push(q);
                    continue;
                };
                professionals.push(Professional {
                    cpf,
                    cns,
                    cbo: link.cbo,
                    hours,
                    left_on: link.left_on,
                });
            }
            if matches!(team.kind, Kind::Family(_)) {
                families += 1;
            }
            let fact = Fact::ScnesTeam(ScnesTeam {
                competencia: self.competencia,
                ine: team.ine,
                cnes: team.cnes,
                ibge: team.ibge,
                team_type: team.kind.team_type(),
                active: team.active,
                professionals,
            });
            facts.push((fact, u32::try_from(team.line).unwrap_or(u32::MAX)));
        }
        facts.push((
            Fact::ScnesClosed(ScnesClosed {
                competencia: self.competencia,
            }),
            0,
        ));
        if families > 0 {
            self.parsed.notes.push(format!(
                "{families} equipes eAP, eSB ou eMulti: o dump não informa a modalidade (20 h/30 h, I/II, ampliada/complementar/estratégica); vale o tipo homologado"
            ));
        }
        if without_hours > 0 {
            self.parsed.notes.push(format!(
                "{without_hours} vínculos sem carga horária em tbCargaHorariaSus: 0 h"
            ));
        }
        if shared_links > 0 {
            self.parsed.notes.push(format!(
                "{shared_links} vínculos dividem com outra equipe da mesma unidade a linha de carga horária do profissional e CBO: as horas ficam na primeira equipe"
            ));
        }
        if without_person > 0 {
            self.parsed.notes.push(format!(
                "{without_person} vínculos de profissionais sem CPF nem CNS válidos em tbDadosProfissionalSus: fora das equipes"
            ));
        }
        self.parsed.facts = facts;
        self.parsed
    }
}
