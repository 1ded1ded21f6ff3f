//! The evaluation the projector's decision points reuse (competências the new facts cannot reach are
//! kept) equals the evaluation from scratch, at every decision point of a synthetic history.

use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_proto::decision::Decision;
use repasse_proto::fact::{ControlBodyLifted, ControlBodySuspension};
use repasse_proto::{Fact, TeamType, Uf};
use repasse_rules::Ledger;

#[test]
fn reusing_unreached_competencias_gives_the_evaluation_from_scratch_at_every_decision_point() {
    let demo = Demo::new(DemoConfig {
        competencias: 16,
        ufs: vec![Uf::RR, Uf::AP],
        ..DemoConfig::default()
    });
    let mut facts: Vec<Fact> = history(&demo).flatten().map(|(fact, _)| fact).collect();
    // Corrections reaching back into closed competências, as late control-body acts would: inserted after
    // the 15th decision point, suspending from (and lifting at) competências closed long before.
    let team = facts
        .iter()
        .find_map(|f| match f {
            Fact::ScnesTeam(t) if t.team_type == TeamType::Esf.into() => Some(t.clone()),
            _ => None,
        })
        .expect("an eSF team");
    let at = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Fact::ScnesClosed(_) | Fact::ParcelaClosed(_)))
        .nth(15)
        .map(|(i, _)| i + 1)
        .expect("15 decision points");
    let from = team.competencia.add_months(2);
    facts.insert(
        at,
        Fact::ControlBodySuspension(ControlBodySuspension {
            ine: team.ine,
            from_competencia: from,
            body: "CGU".into(),
            process: "00190.000001/2025-11".into(),
        }),
    );
    facts.insert(
        at + 1,
        Fact::ControlBodyLifted(ControlBodyLifted {
            ine: team.ine,
            from_competencia: from.add_months(3),
            report: "Regularizado".into(),
        }),
    );
    // and a SCNES record corrected after its competência closed (the team deactivated).
    let mut late_record = team.clone();
    late_record.active = false;
    facts.insert(at + 2, Fact::ScnesTeam(late_record));
    // A team under a control-body suspension from its first competência, never lifted: irregular in every
    // competência, revoked (SUSP.REVOGACAO) at the twelfth. The SISAB uploads of that competência arrive after
    // its close and reach it alone, so the evaluation redoes only it, from what the ones before carried.
    let revoked = facts
        .iter()
        .filter_map(|f| match f {
            Fact::ScnesTeam(t) if t.team_type == TeamType::Esf.into() && t.ine != team.ine => {
                Some(t.clone())
            }
            _ => None,
        })
        .next()
        .expect("a second eSF team");
    let first_close = facts
        .iter()
        .position(|f| matches!(f, Fact::ScnesClosed(_)))
        .expect("a closed competência");
    facts.insert(
        first_close,
        Fact::ControlBodySuspension(ControlBodySuspension {
            ine: revoked.ine,
            from_competencia: revoked.competencia,
            body: "TCU".into(),
            process: "00190.000002/2024-03".into(),
        }),
    );
    // A suspension reaching the very competência a parcela pays on, arriving just before that parcela
    // closes: its lines must not come from the evaluations computed before it.
    let (last_close, paid) = facts
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f {
            Fact::ParcelaClosed(p) => Some((i, p.parcela)),
            _ => None,
        })
        .next_back()
        .expect("a closed parcela");
    facts.insert(
        last_close,
        Fact::ControlBodySuspension(ControlBodySuspension {
            ine: team.ine,
            from_competencia: paid.competencia(),
            body: "CGU".into(),
            process: "00190.000003/2025-06".into(),
        }),
    );
    let mut live = Ledger::default();
    let mut points = 0;
    for (i, fact) in facts.iter().enumerate() {
        let position = i as u64 + 1;
        live.apply(position, fact);
        if !matches!(fact, Fact::ScnesClosed(_) | Fact::ParcelaClosed(_)) {
            continue;
        }
        points += 1;
        // The live ledger is queried at every decision point (so its next evaluation reuses this one);
        // a fresh ledger folds the same prefix and evaluates once, from scratch.
        let mut fresh = Ledger::default();
        for (j, fact) in facts[..=i].iter().enumerate() {
            fresh.apply(j as u64 + 1, fact);
        }
        // First, as the projector's decision point does: a closing parcela's lines, from evaluations that
        // may be stale for the competências after the one it pays on.
        if let Fact::ParcelaClosed(closed) = fact {
            assert_eq!(
                live.parcela(closed.parcela, None).lines,
                fresh.parcela(closed.parcela, None).lines,
                "parcela {} at position {position}",
                closed.parcela
            );
        }
        for c in fresh.closed_competencias() {
            assert_eq!(
                live.evaluate_competencia(c),
                fresh.evaluate_competencia(c),
                "competência {c} at position {position}"
            );
        }
        assert_eq!(live.suspension_decisions(), fresh.suspension_decisions());
        assert_eq!(
            live.recompositions(),
            fresh.recompositions(),
            "position {position}"
        );
    }
    assert!(points > 20, "{points} decision points");
    let revocations = live
        .suspension_decisions()
        .into_iter()
        .filter(|d| matches!(d, Decision::CredentialRevoked(r) if r.ine == revoked.ine))
        .count();
    assert_eq!(revocations, 1, "the suspended team is revoked once");
    assert!(
        !live.recompositions().is_empty(),
        "the history has recompositions to compare"
    );
}
