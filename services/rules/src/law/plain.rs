//! The plain evaluator: a whole history evaluated the simple way — every competência from scratch, every
//! team looked up in plain maps, every professional's sums counted afresh. Slow and plainly right: the
//! engine, which keeps evaluations between facts and redoes only what a late fact reaches, is tested
//! against it (`services/rules/tests/properties.rs`, `services/projector/tests/plain.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use repasse_proto::fact::{Fact, SisabStatus};
use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela, TeamType};

use crate::law::record::{HomologationEntry, Link, Position, TeamRecord, Upload, homologation_at};
use crate::law::settings::Settings;
use crate::law::status::TeamStatus;
use crate::law::team::{History, Inputs, Professionals, TeamView, evaluate_team};
use crate::law::{revocation, validity};
use crate::params::Params;

/// What the rules read of a history, in plain maps.
#[derive(Default)]
pub struct PlainHistory {
    pub params: Params,
    credentials: Vec<(Ibge, CredentialType, Parcela, u32)>,
    homologations: BTreeMap<Ine, Vec<HomologationEntry>>,
    cancellations: BTreeMap<Ine, Vec<(Parcela, Position)>>,
    records: BTreeMap<Competencia, BTreeMap<Ine, TeamRecord>>,
    first_scnes: BTreeMap<Ine, Competencia>,
    agent_first: BTreeMap<(Ine, u64), Competencia>,
    closed: BTreeMap<Competencia, Position>,
    uploads: BTreeMap<(Ine, Option<u64>, Competencia), Upload>,
    control: BTreeMap<Ine, Vec<(Competencia, bool, Position)>>,
}

impl PlainHistory {
    /// Every fact, in stream order, with its position.
    pub fn new<'f>(facts: impl IntoIterator<Item = (Position, &'f Fact)>) -> PlainHistory {
        let mut h = PlainHistory::default();
        for (position, fact) in facts {
            h.add(position, fact);
        }
        h
    }

    fn add(&mut self, position: Position, fact: &Fact) {
        match fact {
            Fact::Credentialing(f) => {
                self.credentials
                    .push((f.ibge, f.team_type, f.from_parcela, f.quantity));
            }
            Fact::Homologation(f) => {
                self.homologations
                    .entry(f.ine)
                    .or_default()
                    .push(HomologationEntry {
                        ibge: f.ibge,
                        cnes: f.cnes,
                        team_type: f.team_type,
                        from: f.from_parcela,
                        position,
                    });
            }
            Fact::HomologationCancelled(f) => self
                .cancellations
                .entry(f.ine)
                .or_default()
                .push((f.from_parcela, position)),
            Fact::ScnesTeam(f) => {
                let last_day = f.competencia.last_day();
                let links: Vec<Link> = f
                    .professionals
                    .iter()
                    .map(|p| Link::of(p, last_day))
                    .collect();
                for link in &links {
                    let first = self
                        .agent_first
                        .entry((f.ine, link.person))
                        .or_insert(f.competencia);
                    *first = (*first).min(f.competencia);
                }
                let first = self.first_scnes.entry(f.ine).or_insert(f.competencia);
                *first = (*first).min(f.competencia);
                let record = TeamRecord {
                    ibge: f.ibge,
                    team_type: f.team_type,
                    active: f.active,
                    links: Arc::from(links),
                    position,
                };
                self.records
                    .entry(f.competencia)
                    .or_default()
                    .insert(f.ine, record);
            }
            Fact::ScnesClosed(f) => {
                self.closed.entry(f.competencia).or_insert(position);
            }
            Fact::SisabProduction(f) => {
                let key = (f.ine, f.cpf.map(|c| c.get()), f.competencia);
                let upload = self.uploads.entry(key).or_insert(Upload {
                    approved: None,
                    first: position,
                });
                let earlier = upload
                    .approved
                    .is_none_or(|(received, _)| f.received_on < received);
                if f.status == SisabStatus::Approved && earlier {
                    upload.approved = Some((f.received_on, position));
                }
            }
            Fact::ControlBodySuspension(f) => {
                self.control
                    .entry(f.ine)
                    .or_default()
                    .push((f.from_competencia, true, position))
            }
            Fact::ControlBodyLifted(f) => {
                self.control
                    .entry(f.ine)
                    .or_default()
                    .push((f.from_competencia, false, position))
            }
            Fact::ParameterTable(f) => {
                // A malformed table changes nothing (the engine lists it among its rejections).
                let _ = self.params.publish(f, position);
            }
            _ => {}
        }
    }

    fn active(&self, ine: Ine, c: Competencia) -> Option<&TeamRecord> {
        self.records
            .get(&c)
            .and_then(|r| r.get(&ine))
            .filter(|r| r.active)
    }

    /// Each person's summed weekly hours and homologated teams over the active records of `c`.
    fn professionals(&self, c: Competencia) -> PlainProfessionals {
        let mut sums: BTreeMap<u64, (u16, u8)> = BTreeMap::new();
        for (ine, record) in self.records.get(&c).into_iter().flatten() {
            if !record.active {
                continue;
            }
            let homologated = u8::from(self.homologations.contains_key(ine));
            for link in record.links.iter().filter(|l| l.present) {
                let sum = sums.entry(link.person).or_default();
                sum.0 = sum.0.saturating_add(u16::from(link.hours));
                sum.1 = sum.1.saturating_add(homologated);
            }
        }
        PlainProfessionals(sums)
    }

    /// Every closed competência's team statuses, in order, each sorted by INE.
    pub fn evaluate(&self) -> BTreeMap<Competencia, Vec<TeamStatus>> {
        let mut out = BTreeMap::new();
        let mut runs: BTreeMap<Ine, revocation::Run> = BTreeMap::new();
        let mut revoked: BTreeMap<Ine, Competencia> = BTreeMap::new();
        for &c in self.closed.keys() {
            let settings = Settings::at(&self.params, c);
            let (current, previous) = (self.professionals(c), self.professionals(c.pred()));
            let inputs = Inputs {
                history: self,
                current: &current,
                previous: &previous,
                settings: &settings,
            };
            let mut statuses: Vec<TeamStatus> = self
                .homologations
                .iter()
                .filter(|(ine, _)| self.first_scnes.get(ine).is_some_and(|f| *f <= c))
                .map(|(ine, entries)| {
                    let view = TeamView {
                        ine: *ine,
                        c,
                        homologations: entries,
                        cancellations: self.cancellations.get(ine).map_or(&[], Vec::as_slice),
                        record: self.active(*ine, c),
                        prior: self.active(*ine, c.pred()),
                        first_scnes: self.first_scnes[ine],
                        revoked_at: revoked.get(ine).copied(),
                    };
                    evaluate_team(&inputs, &view, None)
                })
                .collect();
            self.limit(c.parcela(), &mut statuses);
            for status in &mut statuses {
                validity::settle(status);
                let run = revocation::next_run(runs.get(&status.ine).copied(), c, status);
                runs.insert(status.ine, run);
                if revocation::revokes(run, settings.revocation_months) {
                    status.revoked_now = true;
                    revoked.insert(status.ine, c);
                    runs.insert(status.ine, (0, c));
                }
            }
            out.insert(c, statuses);
        }
        out
    }

    /// VAL.CREDENCIADA across each municipality's payable teams of a type.
    fn limit(&self, p: Parcela, statuses: &mut [TeamStatus]) {
        let groups: BTreeSet<(Ibge, TeamType)> = statuses
            .iter()
            .filter(|s| s.payable)
            .map(|s| (s.ibge, s.team_type))
            .collect();
        for (ibge, team_type) in groups {
            let members = statuses
                .iter()
                .enumerate()
                .filter(|(_, s)| s.payable && s.ibge == ibge && s.team_type == team_type)
                .map(|(i, s)| {
                    let h = homologation_at(&self.homologations[&s.ine], p)
                        .expect("payable teams are homologated");
                    (h.from, h.position, i)
                })
                .collect();
            let quantity = self.credentialed(ibge, CredentialType::Team(team_type), p);
            let beyond: Vec<usize> = validity::beyond_credentialed(members, quantity).collect();
            for i in beyond {
                statuses[i].payable = false;
                statuses[i]
                    .not_valid
                    .insert(crate::catalog::RuleId::ValCredenciada);
            }
        }
    }
}

impl History for PlainHistory {
    fn credentialed(&self, ibge: Ibge, t: CredentialType, p: Parcela) -> u32 {
        self.credentials
            .iter()
            .filter(|(i, ct, from, _)| *i == ibge && *ct == t && *from <= p)
            .map(|e| e.3)
            .sum()
    }
    fn upload(&self, ine: Ine, agent: Option<u64>, m: Competencia) -> Option<Upload> {
        self.uploads.get(&(ine, agent, m)).copied()
    }
    fn control(&self, ine: Ine) -> &[(Competencia, bool, Position)] {
        self.control.get(&ine).map_or(&[], Vec::as_slice)
    }
    fn agent_first(&self, ine: Ine, agent: u64) -> Option<Competencia> {
        self.agent_first.get(&(ine, agent)).copied()
    }
    fn closed_at(&self, c: Competencia) -> Option<Position> {
        self.closed.get(&c).copied()
    }
}

struct PlainProfessionals(BTreeMap<u64, (u16, u8)>);

impl Professionals for PlainProfessionals {
    fn weekly_hours(&self, person: u64) -> u16 {
        self.0.get(&person).map_or(0, |e| e.0)
    }
    fn homologated_teams(&self, person: u64) -> u8 {
        self.0.get(&person).map_or(0, |e| e.1)
    }
}
