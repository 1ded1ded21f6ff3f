//! The engine against the law's plain evaluator: on synthetic histories with late corrections scattered at
//! random (control-body acts reaching back, records corrected after their close, late SISAB uploads,
//! cancelled homologations, professionals moved between teams), the live ledger — which keeps its
//! evaluations between facts and redoes only what a late fact reaches — decides at every decision point
//! what the plain evaluation of the whole history decides.

use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_proto::fact::{
    ControlBodyLifted, ControlBodySuspension, HomologationCancelled, ScnesTeam, SisabProduction,
    SisabStatus,
};
use repasse_proto::{Fact, Uf};
use repasse_rules::Ledger;
use repasse_rules::law::plain::PlainHistory;

/// A small deterministic generator (xorshift): the histories differ by seed and repeat exactly.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The demo history of RR and AP with `late` corrections inserted at random positions after their
/// subject's competência closed.
fn history_with_late_facts(seed: u64, late: usize) -> Vec<Fact> {
    let demo = Demo::new(DemoConfig {
        seed,
        competencias: 14,
        ufs: vec![Uf::RR, Uf::AP],
        ..DemoConfig::default()
    });
    let mut facts: Vec<Fact> = history(&demo).flatten().map(|(fact, _)| fact).collect();
    let records: Vec<ScnesTeam> = facts
        .iter()
        .filter_map(|f| match f {
            Fact::ScnesTeam(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let mut dice = Dice(seed | 1);
    for n in 0..late {
        let record = &records[dice.below(records.len())];
        // After the record's competência closed: somewhere in the rest of the history.
        let closed = facts
            .iter()
            .position(|f| matches!(f, Fact::ScnesClosed(c) if c.competencia == record.competencia))
            .expect("every competência closes");
        let at = closed + 1 + dice.below(facts.len() - closed);
        let fact = match dice.below(6) {
            0 => Fact::ControlBodySuspension(ControlBodySuspension {
                ine: record.ine,
                from_competencia: record.competencia,
                body: "CGU".into(),
                process: format!("00190.{n:06}/2025-01"),
            }),
            1 => Fact::ControlBodyLifted(ControlBodyLifted {
                ine: record.ine,
                from_competencia: record.competencia.succ(),
                report: format!("regularizado {n}"),
            }),
            2 => {
                // The record corrected: inactive, or without its first professional.
                let mut corrected = record.clone();
                if dice.below(2) == 0 {
                    corrected.active = false;
                } else if !corrected.professionals.is_empty() {
                    corrected.professionals.remove(0);
                }
                Fact::ScnesTeam(corrected)
            }
            3 => Fact::SisabProduction(SisabProduction {
                competencia: record.competencia,
                ine: record.ine,
                cpf: None,
                received_on: record.competencia.last_day().add_days(20),
                status: SisabStatus::Approved,
            }),
            4 => Fact::HomologationCancelled(HomologationCancelled {
                ine: record.ine,
                from_parcela: record.competencia.parcela(),
                portaria: format!("Portaria de cancelamento {n}"),
            }),
            _ => {
                // A professional of another team moved into this one: duplicity and summed hours.
                let other = &records[dice.below(records.len())];
                let mut moved = record.clone();
                if let Some(p) = other.professionals.first() {
                    moved.professionals.push(p.clone());
                }
                Fact::ScnesTeam(moved)
            }
        };
        facts.insert(at, fact);
    }
    facts
}

#[test]
fn the_live_engine_decides_what_the_plain_evaluation_decides_at_every_decision_point() {
    for seed in [7, 2024] {
        let facts = history_with_late_facts(seed, 40);
        let mut live = Ledger::default();
        let mut points = 0;
        let mut compared = 0;
        for (i, fact) in facts.iter().enumerate() {
            live.apply(i as u64 + 1, fact);
            // The projector works ahead while idle between facts: so does this ledger, now and then.
            if i % 97 == 0 {
                live.work_ahead();
            }
            if !matches!(fact, Fact::ScnesClosed(_)) {
                continue;
            }
            points += 1;
            let plain = PlainHistory::new(
                facts[..=i]
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (j as u64 + 1, f)),
            )
            .evaluate();
            assert_eq!(
                plain.keys().copied().collect::<Vec<_>>(),
                live.closed_competencias()
            );
            for (c, statuses) in plain {
                compared += statuses.len();
                assert_eq!(
                    live.evaluate_competencia(c),
                    statuses,
                    "seed {seed}: competência {c} after position {}",
                    i + 1
                );
            }
        }
        assert!(points >= 14, "{points} decision points");
        assert!(compared > 10_000, "{compared} statuses compared");
    }
}
