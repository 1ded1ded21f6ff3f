//! A synthetic national competência for `repasse bench rules`: 100,000 teams with ~800,000 links, some
//! professionals in two teams (duplicity) and some above 60 h, evaluated through the real fold.

use std::time::Instant;

use repasse_proto::fact::{
    Credentialing, Fact, Homologation, Professional, ScnesClosed, ScnesTeam, SisabProduction,
    SisabStatus,
};
use repasse_proto::{Competencia, CredentialType, Ibge, Ine, Parcela, TeamType};

use repasse_rules::Ledger;
use repasse_rules::calendar::sisab_deadline;

/// Figures of one run.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub teams: u32,
    pub links: u64,
    pub facts: u64,
    pub fold_ms: u128,
    /// Validity and suspensions of every team in C − 1 and C (the fold evaluates closed competências in
    /// order, as SUSP.REVOGACAO needs), national link indexes (duplicity, 60 h) included.
    pub competencias_evaluated: usize,
    pub evaluate_ms: u128,
    pub evaluate_ms_per_competencia: u128,
    pub parcela_ms: u128,
    pub suspended_teams: u64,
    pub lines: u64,
}

/// A deterministic generator (SplitMix64), so the benchmark needs no RNG crate.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CBOS: [(u32, u8); 4] = [(225142, 40), (223565, 40), (322245, 40), (515105, 40)];

/// The facts of two consecutive competências (C − 1 and C) of a national history.
pub fn national_facts(teams: u32, links_per_team: u32, seed: u64) -> Vec<Fact> {
    let mut rng = SplitMix(seed);
    let c = Competencia::new(2025, 6).expect("valid");
    let from = Parcela::new(2024, 1).expect("valid");
    let ibges: Vec<Ibge> = (0..5_570u32)
        .map(|i| {
            format!("{}{:04}", [11, 26, 29, 31, 35, 43, 52][i as usize % 7], i)
                .parse()
                .expect("ibge")
        })
        .collect();
    let mut facts = Vec::with_capacity(teams as usize * 3 + 10_000);
    for ibge in &ibges {
        let credential = Credentialing {
            ibge: *ibge,
            team_type: CredentialType::Team(TeamType::Esf),
            quantity: teams / 5_000 + 40,
            from_parcela: from,
            portaria: "bench".into(),
        };
        facts.push(Fact::Credentialing(credential));
    }
    let total_links = u64::from(teams) * u64::from(links_per_team);
    for competencia in [c.pred(), c] {
        for t in 0..teams {
            let ine: Ine = format!("{:010}", 1_000_000 + u64::from(t))
                .parse()
                .expect("ine");
            let ibge = ibges[t as usize % ibges.len()];
            if competencia == c.pred() {
                facts.push(Fact::Homologation(Homologation {
                    ine,
                    cnes: "2000001".parse().expect("cnes"),
                    ibge,
                    team_type: TeamType::Esf,
                    from_parcela: from,
                    portaria: "bench".into(),
                }));
            }
            let mut professionals = Vec::with_capacity(links_per_team as usize);
            for k in 0..links_per_team {
                // Mostly the team's own professionals; ~0.5 % shared with a random team (duplicity, 60 h).
                let base = if rng.below(200) == 0 {
                    rng.below(total_links)
                } else {
                    u64::from(t) * u64::from(links_per_team) + u64::from(k)
                };
                let (cbo, hours) = CBOS[(k as usize).min(3)];
                professionals.push(Professional {
                    cpf: Some(repasse_proto::Cpf::from_base(base)),
                    cns: None,
                    cbo: format!("{cbo}").parse().expect("cbo"),
                    hours,
                    left_on: None,
                });
            }
            facts.push(Fact::ScnesTeam(ScnesTeam {
                competencia,
                ine,
                cnes: "2000001".parse().expect("cnes"),
                ibge,
                team_type: TeamType::Esf.into(),
                active: true,
                professionals,
            }));
            if rng.below(50) != 0 {
                facts.push(Fact::SisabProduction(SisabProduction {
                    competencia,
                    ine,
                    cpf: None,
                    received_on: sisab_deadline(competencia),
                    status: SisabStatus::Approved,
                }));
            }
        }
        facts.push(Fact::ScnesClosed(ScnesClosed { competencia }));
    }
    facts
}

/// Folds the synthetic facts and times the evaluation of the last competência and its parcela.
pub fn run(teams: u32, links_per_team: u32, seed: u64) -> Report {
    let facts = national_facts(teams, links_per_team, seed);
    let started = Instant::now();
    let mut ledger = Ledger::default();
    for (i, fact) in facts.iter().enumerate() {
        ledger.apply(i as u64 + 1, fact);
    }
    let fold_ms = started.elapsed().as_millis();
    let c = Competencia::new(2025, 6).expect("valid");
    let started = Instant::now();
    let statuses = ledger.evaluate_competencia(c);
    let evaluate_ms = started.elapsed().as_millis();
    let started = Instant::now();
    let parcela = ledger.parcela(c.parcela(), None);
    let parcela_ms = started.elapsed().as_millis();
    Report {
        teams,
        links: u64::from(teams) * u64::from(links_per_team),
        facts: facts.len() as u64,
        fold_ms,
        competencias_evaluated: ledger.closed_competencias().len(),
        evaluate_ms,
        evaluate_ms_per_competencia: evaluate_ms
            / ledger.closed_competencias().len().max(1) as u128,
        parcela_ms,
        suspended_teams: statuses.iter().filter(|s| s.suspension_pct > 0).count() as u64,
        lines: parcela.lines.len() as u64,
    }
}
