//! `repasse demo-data`: a deterministic national synthetic history on the real 5,570 municipalities of
//! Anexo VI: ~100,000 teams of every type in proportions like the real ones, ~750,000 professional links a
//! competência, 24 competências, and the irregularities the rules exist for (absences, late and missing
//! SISAB uploads, duplicated professionals, 60 h overloads, control-body suspensions, new homologations,
//! cancellations, historical transfers for recomposition). Same seed, same facts, byte for byte.

use repasse_proto::fact::*;
use repasse_proto::{
    Classe, Cnes, Competencia, Cpf, CredentialType, Ibge, Ine, Money, Parcela, Plano,
    QualityComponent, SourceRef, TeamType,
};
use repasse_rules::calendar::sisab_deadline;

use crate::anexo_vi::{self, AnexoRow};

pub mod published;

#[derive(Clone, Debug)]
pub struct DemoConfig {
    pub seed: u64,
    pub teams: u32,
    pub first: Competencia,
    pub competencias: u32,
    /// Only the municipalities of these UFs (all when empty): small histories for tests and trials.
    pub ufs: Vec<repasse_proto::Uf>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 2024,
            teams: 100_000,
            first: Competencia::new(2024, 3).expect("valid"),
            competencias: 24,
            ufs: Vec::new(),
        }
    }
}

/// Shares of the team types (roughly the real mix) and their links.
const MIX: [(TeamType, u32); 10] = [
    (TeamType::Esf, 580),
    (TeamType::Eap30, 40),
    (TeamType::Eap20, 40),
    (TeamType::Esb1, 140),
    (TeamType::Esb2, 80),
    (TeamType::Esb1Q, 20),
    (TeamType::Esb2Q, 20),
    (TeamType::EMultiAmpliada, 30),
    (TeamType::EMultiComplementar, 30),
    (TeamType::EMultiEstrategica, 20),
];

const MEDICO: u32 = 225142;
const ENFERMEIRO: u32 = 223565;
const AUX: u32 = 322245;
const ACS: u32 = 515105;

#[derive(Clone, Debug)]
struct Member {
    person: u32,
    cbo: u32,
    hours: u8,
}

#[derive(Clone, Debug)]
struct Team {
    ine: Ine,
    cnes: Cnes,
    ibge: Ibge,
    team_type: TeamType,
    homologated_from: Parcela,
    cancelled_from: Option<Parcela>,
    members: Vec<Member>,
}

/// The generated world: municipalities, teams and people, from which each competência's facts follow.
pub struct Demo {
    config: DemoConfig,
    rows: Vec<AnexoRow>,
    teams: Vec<Team>,
    people: Vec<Cpf>,
}

/// SplitMix64 over (seed, keys): irregularities are a pure function of who and when.
fn hash(seed: u64, keys: &[u64]) -> u64 {
    let mut z = seed ^ 0x9E37_79B9_7F4A_7C15;
    for key in keys {
        z = z.wrapping_add(*key).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

fn cbo(code: u32) -> repasse_proto::Cbo {
    repasse_proto::Cbo::from_number(code).expect("valid CBO")
}

impl Demo {
    pub fn new(config: DemoConfig) -> Demo {
        let all = anexo_vi::rows();
        // Teams are shared by population over the whole country, then the UFs kept: a UF gets its share of
        // a nation of `teams` teams, so its municipalities stay within their VAL.TETO ceilings.
        let total_population: u64 = all.iter().map(|r| u64::from(r.population)).sum();
        let rows: Vec<AnexoRow> = all
            .into_iter()
            .filter(|r| {
                config.ufs.is_empty() || r.ibge.uf().is_some_and(|uf| config.ufs.contains(&uf))
            })
            .collect();
        let (mut teams, mut people_count) = (Vec::new(), 0u32);
        let homologation_base = Parcela::new(2024, 1).expect("valid");
        let last = config
            .first
            .add_months(config.competencias as i32 - 1)
            .parcela();
        for row in &rows {
            for (kind, (team_type, share)) in MIX.iter().enumerate() {
                let expected =
                    u64::from(row.population) * u64::from(config.teams) * u64::from(*share);
                let whole = expected / (total_population * 1000);
                let fraction = expected % (total_population * 1000);
                let extra = hash(config.seed, &[u64::from(row.ibge.code()), kind as u64, 1])
                    % (total_population * 1000)
                    < fraction;
                let mut count = whole + u64::from(extra);
                if *team_type == TeamType::Esf {
                    count = count.max(1);
                }
                for _ in 0..count {
                    let index = teams.len() as u64;
                    let h = hash(config.seed, &[index, 2]);
                    // 4 % are homologated later, from the new model on (they receive the implantation incentive).
                    let homologated_from = if h % 100 < 4 {
                        homologation_base.add_months(6 + (h / 100 % 16) as i32)
                    } else {
                        homologation_base
                    };
                    let cancelled_from = (h / 10_000 % 1000 < 2)
                        .then(|| homologated_from.add_months(10 + (h % 7) as i32))
                        .filter(|p| *p <= last);
                    let members = members(*team_type, &mut people_count, h);
                    teams.push(Team {
                        ine: format!("{:010}", 100_000 + index)
                            .parse()
                            .expect("valid INE"),
                        cnes: format!("{:07}", 2_000_000 + index / 3)
                            .parse()
                            .expect("valid CNES"),
                        ibge: row.ibge,
                        team_type: *team_type,
                        homologated_from,
                        cancelled_from,
                        members,
                    });
                }
            }
        }
        let people = (0..people_count)
            .map(|i| Cpf::from_base(u64::from(i) * 7 + 1_000))
            .collect();
        Demo {
            config,
            rows,
            teams,
            people,
        }
    }

    /// The seed the history was generated from.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    pub fn teams(&self) -> usize {
        self.teams.len()
    }

    pub fn competencias(&self) -> impl Iterator<Item = Competencia> + '_ {
        (0..self.config.competencias as i32).map(|m| self.config.first.add_months(m))
    }

    fn source(&self, what: &str) -> SourceRef {
        SourceRef {
            document: format!("demo-data semente {} ({what})", self.config.seed),
            digest: None,
            line: None,
        }
    }

    /// Municipalities, strata, credenciamentos, homologations and historical transfers.
    pub fn initial_facts(&self) -> Vec<(Fact, SourceRef)> {
        let mut facts = anexo_vi::facts(&self.rows);
        let source = self.source("portarias");
        let from = Parcela::new(2024, 1).expect("valid");
        let mut by_municipality: std::collections::BTreeMap<(Ibge, CredentialType), u32> =
            std::collections::BTreeMap::new();
        for team in &self.teams {
            *by_municipality
                .entry((team.ibge, CredentialType::Team(team.team_type)))
                .or_default() += 1;
            let agents = team.members.iter().filter(|m| m.cbo == ACS).count() as u32;
            *by_municipality
                .entry((team.ibge, CredentialType::Acs))
                .or_default() += agents;
        }
        for ((ibge, team_type), quantity) in by_municipality {
            // A few municipalities have fewer ACS vacancies than agents: the extra agents are not paid.
            let quantity = if team_type == CredentialType::Acs
                && hash(self.config.seed, &[u64::from(ibge.code()), 3]).is_multiple_of(10)
            {
                quantity * 9 / 10
            } else {
                quantity
            };
            if quantity > 0 {
                let credentialing = Credentialing {
                    ibge,
                    team_type,
                    quantity,
                    from_parcela: from,
                    portaria: "Portaria de credenciamento (demo)".into(),
                };
                facts.push((Fact::Credentialing(credentialing), source.clone()));
            }
        }
        for team in &self.teams {
            let homologation = Homologation {
                ine: team.ine,
                cnes: team.cnes,
                ibge: team.ibge,
                team_type: team.team_type,
                from_parcela: team.homologated_from,
                portaria: format!(
                    "Portaria de homologação {} (demo)",
                    team.homologated_from.compact()
                ),
            };
            facts.push((Fact::Homologation(homologation), source.clone()));
        }
        facts.extend(self.historical_transfers());
        facts
    }

    /// RECOMP.BASE input: what each municipality received for eSF/eAP in 2023-05 … 2024-04, between 80 %
    /// and 125 % of what its teams earn under the new model, so that some municipalities are owed
    /// recomposition.
    fn historical_transfers(&self) -> Vec<(Fact, SourceRef)> {
        let source = self.source("relatório de pagamentos do FNS");
        let mut per_month: std::collections::BTreeMap<Ibge, i64> =
            std::collections::BTreeMap::new();
        for team in self.teams.iter().filter(|t| {
            t.team_type.is_esf_or_eap()
                && t.homologated_from < Parcela::new(2024, 5).expect("valid")
        }) {
            let centavos = match team.team_type {
                TeamType::Esf => 2_600_000,
                TeamType::Eap30 => 1_500_000,
                _ => 1_050_000,
            };
            *per_month.entry(team.ibge).or_default() += centavos;
        }
        let mut facts = Vec::new();
        for (ibge, centavos) in per_month {
            let factor = 80 + (hash(self.config.seed, &[u64::from(ibge.code()), 4]) % 46) as i64;
            let amount = Money::from_centavos(centavos * factor / 100);
            for parcela in Parcela::range_inclusive(
                Parcela::new(2023, 5).expect("valid"),
                Parcela::new(2024, 4).expect("valid"),
            ) {
                let transfer = HistoricalTransfer {
                    ibge,
                    parcela,
                    plano: Plano::EsfEap,
                    amount,
                };
                facts.push((Fact::HistoricalTransfer(transfer), source.clone()));
            }
        }
        facts
    }

    /// Everything reported about competência `c`, in arrival order: SCNES records and its closing, then the
    /// SISAB uploads (sent in the following month), control-body acts, cancellations, classifications and
    /// the closing of the parcela already paid.
    pub fn competencia_facts(&self, c: Competencia) -> Vec<(Fact, SourceRef)> {
        let seed = self.config.seed;
        let (scnes, sisab, dou) = (
            self.source("SCNES"),
            self.source("SISAB"),
            self.source("DOU"),
        );
        let mut facts = Vec::with_capacity(self.teams.len() * 2 + 16);
        let month = c.index() as u64;
        for (t, team) in self.teams.iter().enumerate() {
            if team.homologated_from.competencia() > c {
                continue;
            }
            facts.push((
                Fact::ScnesTeam(self.scnes_record(t, team, c)),
                scnes.clone(),
            ));
        }
        facts.push((Fact::ScnesClosed(ScnesClosed { competencia: c }), scnes));
        for (t, team) in self
            .teams
            .iter()
            .enumerate()
            .filter(|(_, team)| team.homologated_from.competencia() <= c)
        {
            let (t64, h) = (t as u64, hash(seed, &[t as u64, month, 5]));
            let missing_episode = hash(seed, &[t64, month / 6, 6]) % 1000 < 6 && month % 6 < 3;
            let deadline = sisab_deadline(c);
            let received_on = match h % 1000 {
                _ if missing_episode => continue,
                0..15 => continue,
                15..35 => deadline.add_days(12),
                _ => deadline.add_days(-((h / 1000 % 8) as i32)),
            };
            let upload = SisabProduction {
                competencia: c,
                ine: team.ine,
                cpf: None,
                received_on,
                status: SisabStatus::Approved,
            };
            facts.push((Fact::SisabProduction(upload), sisab.clone()));
        }
        for (t, team) in self
            .teams
            .iter()
            .enumerate()
            .filter(|(_, team)| team.team_type.is_esf_or_eap())
        {
            let h = hash(seed, &[t as u64, month / 6, 7]);
            if h % 10_000 < 8 && month.is_multiple_of(6) {
                let suspension = ControlBodySuspension {
                    ine: team.ine,
                    from_competencia: c,
                    body: "CGU".into(),
                    process: format!("00190.{:06}/2025-{:02}", t % 1_000_000, h % 100),
                };
                facts.push((Fact::ControlBodySuspension(suspension), dou.clone()));
            }
            if h % 10_000 < 8 && month % 6 == 3 {
                let lifted = ControlBodyLifted {
                    ine: team.ine,
                    from_competencia: c,
                    report: "Relatório de regularização (demo)".into(),
                };
                facts.push((Fact::ControlBodyLifted(lifted), dou.clone()));
            }
            if team.cancelled_from.is_some_and(|p| p.competencia() == c) {
                let cancelled = HomologationCancelled {
                    ine: team.ine,
                    from_parcela: c.parcela(),
                    portaria: "Portaria de cancelamento (demo)".into(),
                };
                facts.push((Fact::HomologationCancelled(cancelled), dou.clone()));
            }
        }
        if c == Competencia::new(2025, 3).expect("valid") {
            facts.extend(self.classifications(&dou));
        }
        if c > self.config.first {
            facts.push((
                Fact::ParcelaClosed(ParcelaClosed {
                    parcela: c.pred().parcela(),
                }),
                self.source("FNS"),
            ));
        }
        facts
    }

    /// Classifications published for parcela 2025-05 on, per municipality (PAG.VINCULO, PAG.QUALIDADE).
    fn classifications(&self, source: &SourceRef) -> Vec<(Fact, SourceRef)> {
        let mut facts = Vec::with_capacity(self.rows.len() * 2);
        for row in &self.rows {
            for (k, component) in [QualityComponent::Vinculo, QualityComponent::Qualidade]
                .into_iter()
                .enumerate()
            {
                let class =
                    match hash(self.config.seed, &[u64::from(row.ibge.code()), k as u64, 8]) % 10 {
                        0..2 => Classe::Otimo,
                        2..6 => Classe::Bom,
                        6..9 => Classe::Suficiente,
                        _ => Classe::Regular,
                    };
                let published = Classification {
                    target: ClassificationTarget::Ibge(row.ibge),
                    component,
                    class,
                    from_parcela: Parcela::new(2025, 5).expect("valid"),
                    to_parcela: None,
                };
                facts.push((Fact::Classification(published), source.clone()));
            }
        }
        facts
    }

    /// The team's SCNES record in `c`, with its absences and shared professionals.
    fn scnes_record(&self, t: usize, team: &Team, c: Competencia) -> ScnesTeam {
        let (seed, month, t64) = (self.config.seed, c.index() as u64, t as u64);
        // An absence episode: some categories missing for 1 to 3 months of a 4-month window.
        let episode = hash(seed, &[t64, month / 4, 9]);
        let absent: &[u32] = if episode % 1000 < 30
            && month % 4 >= episode / 1000 % 3
            && month % 4 < episode / 1000 % 3 + 1 + episode / 7 % 3
        {
            const PATTERNS: [&[u32]; 8] = [
                &[AUX],
                &[ACS],
                &[AUX, ACS],
                &[MEDICO],
                &[ENFERMEIRO],
                &[MEDICO, ACS],
                &[MEDICO, ENFERMEIRO],
                &[ENFERMEIRO, AUX, ACS],
            ];
            PATTERNS[(episode / 100_000 % 8) as usize]
        } else {
            &[]
        };
        let mut professionals: Vec<Professional> = team
            .members
            .iter()
            .filter(|m| !absent.contains(&m.cbo))
            .map(|m| Professional {
                cpf: Some(self.people[m.person as usize]),
                cns: None,
                cbo: cbo(m.cbo),
                hours: m.hours,
                left_on: None,
            })
            .collect();
        // Shared professionals: the médico of a neighbouring team also here with 20 h (duplicity for that
        // team), or a nurse of a neighbouring team with 30 h more (over 60 h for both).
        let shared = hash(seed, &[t64, month / 6, 10]);
        if let Some(other) = self.teams.get(t + 1).filter(|_| shared % 1000 < 4)
            && let Some(medico) = other.members.iter().find(|m| m.cbo == MEDICO)
        {
            professionals.push(Professional {
                cpf: Some(self.people[medico.person as usize]),
                cns: None,
                cbo: cbo(MEDICO),
                hours: 20,
                left_on: None,
            });
        }
        if let Some(other) = self.teams.get(t + 2).filter(|_| shared / 1000 % 1000 < 3)
            && let Some(nurse) = other.members.iter().find(|m| m.cbo == ENFERMEIRO)
        {
            professionals.push(Professional {
                cpf: Some(self.people[nurse.person as usize]),
                cns: None,
                cbo: cbo(ENFERMEIRO),
                hours: 30,
                left_on: None,
            });
        }
        ScnesTeam {
            competencia: c,
            ine: team.ine,
            cnes: team.cnes,
            ibge: team.ibge,
            team_type: team.team_type.into(),
            active: true,
            professionals,
        }
    }
}

/// The professionals of a new team (each a new person).
fn members(team_type: TeamType, people: &mut u32, h: u64) -> Vec<Member> {
    let mut next = |cbo: u32, hours: u8| {
        *people += 1;
        Member {
            person: *people - 1,
            cbo,
            hours,
        }
    };
    match team_type {
        TeamType::Esf => {
            let mut m = vec![next(MEDICO, 40), next(ENFERMEIRO, 40), next(AUX, 40)];
            m.extend((0..6 + h / 1_000_000 % 5).map(|_| next(ACS, 40)));
            m
        }
        TeamType::Eap30 => vec![next(MEDICO, 30), next(ENFERMEIRO, 30), next(AUX, 30)],
        TeamType::Eap20 => vec![next(MEDICO, 20), next(ENFERMEIRO, 20)],
        t if t.is_esb() => vec![next(223208, 40), next(322430, 40), next(322425, 40)],
        _ => [251510, 223605, 223710, 251605, 223905]
            .iter()
            .map(|c| next(*c, 30))
            .collect(),
    }
}

/// The whole history in order: initial facts, then each competência.
pub fn history(demo: &Demo) -> impl Iterator<Item = Vec<(Fact, SourceRef)>> + '_ {
    std::iter::once(demo.initial_facts())
        .chain(demo.competencias().map(|c| demo.competencia_facts(c)))
}
