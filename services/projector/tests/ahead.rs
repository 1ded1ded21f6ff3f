//! Work done ahead while the projector is idle changes no decision: the open competência evaluated ahead of
//! its close, kept current record by record, evaluates as from scratch; a parcela drafted ahead gives the
//! statements and seal of one computed at its close, and is not used once a fact changes what it follows from.

use repasse_ingest::demo::{Demo, DemoConfig, history};
use repasse_projector::step::{self, Ahead};
use repasse_proto::fact::{AdjustmentAuthorized, ControlBodySuspension, Professional};
use repasse_proto::{Fact, Money, Plano, Timestamp, Uf};
use repasse_rules::Ledger;

fn demo_facts(competencias: u32) -> Vec<Fact> {
    let demo = Demo::new(DemoConfig {
        competencias,
        ufs: vec![Uf::RR, Uf::AP],
        ..DemoConfig::default()
    });
    history(&demo).flatten().map(|(fact, _)| fact).collect()
}

fn fold(facts: &[Fact]) -> Ledger {
    let mut ledger = Ledger::default();
    for (i, fact) in facts.iter().enumerate() {
        ledger.apply(i as u64 + 1, fact);
    }
    ledger
}

#[test]
fn the_open_competencia_evaluated_ahead_evaluates_as_from_scratch() {
    let mut facts = demo_facts(8);
    let closes: Vec<usize> = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Fact::ScnesClosed(_)))
        .map(|(i, _)| i)
        .collect();
    let close = closes[4];
    let Fact::ScnesClosed(closed) = &facts[close] else {
        unreachable!()
    };
    let c = closed.competencia;
    let block: Vec<usize> = (0..close)
        .filter(|&i| matches!(&facts[i], Fact::ScnesTeam(t) if t.competencia == c))
        .collect();
    let record = |i: usize| match &facts[i] {
        Fact::ScnesTeam(t) => t.clone(),
        _ => unreachable!(),
    };
    // Team A, early in the block: one of its professionals will also work 40 h in team B, whose record is
    // sent again after A's was evaluated ahead. A's own record does not change, but the hours summed over
    // every team put it over 60 h (SUSP.100.CARGA_60H): it must be evaluated again as B's neighbour.
    let a = block
        .iter()
        .map(|&i| record(i))
        .find(|t| {
            t.team_type == repasse_proto::TeamType::Esf.into()
                && t.active
                && t.professionals.iter().any(|p| p.hours >= 30)
        })
        .expect("an eSF team");
    let shared = a
        .professionals
        .iter()
        .find(|p| p.hours >= 30)
        .expect("a 30 h professional")
        .clone();
    let b_at = block[block.len() / 4];
    let mut b = record(b_at);
    assert_ne!(b.ine, a.ine);
    b.professionals.push(Professional {
        hours: 40,
        left_on: None,
        ..shared
    });
    // A late record of the competência before reaches it: the evaluation ahead is dropped and redone.
    let mut late = facts
        .iter()
        .find_map(|f| match f {
            Fact::ScnesTeam(t) if t.competencia == c.pred() && t.ine != a.ine => Some(t.clone()),
            _ => None,
        })
        .expect("a record of the competência before");
    late.active = false;
    // A control-body act from the next competência reaches only that one: the evaluation ahead holds.
    let next_act = Fact::ControlBodySuspension(ControlBodySuspension {
        ine: a.ine,
        from_competencia: c.succ(),
        body: "CGU".into(),
        process: "00190.000004/2025-07".into(),
    });
    let insert = [
        (block[block.len() * 3 / 4], Fact::ScnesTeam(b)),
        (block[block.len() / 2], Fact::ScnesTeam(late)),
        (block[block.len() / 3], next_act),
    ];
    for (at, fact) in insert {
        facts.insert(at, fact);
    }

    let mut live = Ledger::default();
    let mut pieces = 0;
    for (i, fact) in facts.iter().enumerate() {
        live.apply(i as u64 + 1, fact);
        // The projector works ahead between facts when idle: here, after every one.
        pieces += u32::from(live.work_ahead());
        let Fact::ScnesClosed(closed) = fact else {
            continue;
        };
        let fresh = fold(&facts[..=i]);
        let (got, expected) = (
            live.evaluate_competencia(closed.competencia),
            fresh.evaluate_competencia(closed.competencia),
        );
        assert_eq!(got.len(), expected.len(), "teams in {}", closed.competencia);
        let differ = got.iter().zip(&expected).find(|(g, e)| g != e);
        assert!(
            differ.is_none(),
            "competência {} at position {}: ahead {:?}, from scratch {:?}",
            closed.competencia,
            i + 1,
            differ.map(|d| d.0),
            differ.map(|d| d.1)
        );
        assert_eq!(live.suspension_decisions(), fresh.suspension_decisions());
    }
    assert!(pieces > 100, "{pieces} pieces of work ahead");
    // Every close but the first few (no competência before to follow) used the evaluation ahead.
    assert!(
        live.evaluated_ahead() >= closes.len() as u64 - 2,
        "{} of {} closes evaluated ahead",
        live.evaluated_ahead(),
        closes.len()
    );
    // And the shared professional did put A over the limit: the case above tested something.
    let statuses = live.evaluate_competencia(c);
    let a_status = statuses
        .iter()
        .find(|s| s.ine == a.ine)
        .expect("A evaluated");
    assert!(
        a_status
            .reasons
            .iter()
            .any(|r| r == repasse_rules::catalog::SUSP_100_CARGA_60H.id),
        "A: {a_status:?}"
    );
}

/// The step of the fact at `index` (a parcela's close), decided with `ahead`: its records' JSON, and how
/// many municipalities the close computed itself.
fn decide_at(
    ledger: &Ledger,
    facts: &[Fact],
    index: usize,
    ahead: &mut Ahead,
) -> (Vec<String>, usize) {
    let step = step::decide(ledger, index as u64 + 1, &facts[index], Timestamp(0), ahead)
        .expect("a parcela's close is a decision point");
    // The records published are the decisions' own, however they were made (statements encoded ahead).
    assert_eq!(step.records.len(), step.decisions.len());
    for (record, decision) in step.records.iter().zip(&step.decisions) {
        assert_eq!(record, &step::decision_record(decision));
    }
    let json = step
        .records
        .iter()
        .map(|r| String::from_utf8(r.payload.to_vec()).expect("JSON"))
        .collect();
    (json, step.computed_at_close)
}

#[test]
fn a_parcela_drafted_ahead_is_used_only_while_what_it_follows_from_holds() {
    let facts = demo_facts(8);
    let close = facts
        .iter()
        .rposition(|f| matches!(f, Fact::ParcelaClosed(_)))
        .expect("a parcela closes");
    let Fact::ParcelaClosed(closed) = &facts[close] else {
        unreachable!()
    };
    let p = closed.parcela;
    let payable = {
        let ledger = fold(&facts[..close]);
        ledger
            .evaluate_competencia(p.competencia())
            .into_iter()
            .find(|s| s.payable && s.suspension_pct == 0 && s.team_type.is_esf())
            .expect("a payable eSF team")
    };
    // What the close decides with nothing drafted: the reference.
    let reference = |extra: Option<Fact>| {
        let mut prefix = facts[..close].to_vec();
        prefix.extend(extra);
        prefix.push(facts[close].clone());
        let ledger = fold(&prefix);
        let index = prefix.len() - 1;
        let (json, computed) = decide_at(&ledger, &prefix, index, &mut Ahead::default());
        // Nothing drafted: every municipality with a statement (all records but the seal) computed now.
        assert_eq!(computed, json.len() - 1);
        (json, prefix)
    };
    let changes = [
        None,
        // Read by the payment directly: the statement's ajuste.
        Some(Fact::AdjustmentAuthorized(AdjustmentAuthorized {
            ibge: payable.ibge,
            parcela: p,
            plano: Plano::EsfEap,
            ine: None,
            amount: Money::from_centavos(123_456),
            reason: "Ajuste de teste".into(),
        })),
        // Read through the statuses: the team suspended in the competência the parcela pays on.
        Some(Fact::ControlBodySuspension(ControlBodySuspension {
            ine: payable.ine,
            from_competencia: p.competencia(),
            body: "CGU".into(),
            process: "00190.000005/2025-08".into(),
        })),
    ];
    let (plain, _) = reference(None);
    for change in changes {
        let (expected, prefix) = reference(change.clone());
        if change.is_some() {
            assert_ne!(expected, plain, "{change:?} changes the parcela");
        }
        // Drafted to the end before the change, then the change and the close applied.
        let mut ledger = fold(&facts[..close]);
        // As the projector on opening: the history evaluated once.
        ledger.prepare();
        let mut ahead = Ahead::with_draft_ranges_of(4);
        let mut pieces = 0;
        while ahead.work(&ledger) {
            pieces += 1;
        }
        assert!(pieces >= 4, "the draft took {pieces} pieces");
        assert_eq!(ahead.drafted(), Some(p), "the parcela is drafted");
        for (i, fact) in prefix.iter().enumerate().skip(close) {
            ledger.apply(i as u64 + 1, fact);
        }
        let (decided, computed) = decide_at(&ledger, &prefix, prefix.len() - 1, &mut ahead);
        assert_eq!(decided, expected, "after {change:?}");
        // The draft is used whole while it holds, and not at all once a fact changed what it follows from.
        let expected_computed = if change.is_some() {
            decided.len() - 1
        } else {
            0
        };
        assert_eq!(computed, expected_computed, "after {change:?}");
    }
}
