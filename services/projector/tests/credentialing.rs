//! A credentialing request is a decision point: given a municipality and the portarias before it, when the
//! request arrives, then VAL.TETO's recommendation is published once, on its own subject.

use repasse_projector::step::{Ahead, decide};
use repasse_proto::fact::{Credentialing, CredentialingRequest, Municipality};
use repasse_proto::{CredentialType, Decision, Fact, TeamType, Timestamp, Uf};
use repasse_rules::Ledger;

fn request(id: &str, quantity: u32) -> Fact {
    Fact::CredentialingRequest(CredentialingRequest {
        id: id.into(),
        ibge: "261190".parse().unwrap(),
        team_type: CredentialType::Team(TeamType::Esf),
        quantity,
        requested_on: "2025-02-10".parse().unwrap(),
    })
}

#[test]
fn a_request_above_the_ceiling_is_published_once_as_a_recommendation() {
    let mut ledger = Ledger::default();
    let given = [
        Fact::Municipality(Municipality {
            ibge: "261190".parse().unwrap(),
            name: "Município pequeno".into(),
            uf: Uf::PE,
            population: 3000,
            urban_population: None,
            rural_population: None,
        }),
        Fact::Credentialing(Credentialing {
            ibge: "261190".parse().unwrap(),
            team_type: CredentialType::Team(TeamType::Esf),
            quantity: 1,
            from_parcela: "2024-01".parse().unwrap(),
            portaria: "Portaria de credenciamento".into(),
        }),
    ];
    for (i, fact) in given.iter().enumerate() {
        ledger.apply(i as u64 + 1, fact);
    }
    let mut ahead = Ahead::default();
    let at = Timestamp(1_739_192_700_000);
    let asked = request("PED-1", 2);
    ledger.apply(3, &asked);
    let step = decide(&ledger, 3, &asked, at, &mut ahead).expect("a decision point");
    assert_eq!(step.decisions.len(), 1);
    assert_eq!(step.records.len(), 1);
    assert_eq!(
        step.records[0].subject,
        "decisoes.credenciamento.PE.261190.todos"
    );
    match &step.decisions[0].payload {
        Decision::CredentialingRecommended(r) => {
            assert_eq!(r.recommendation, "acima_do_teto");
            assert_eq!((r.ceiling, r.credentialed, r.requested), (Some(2), 1, 2));
            assert_eq!(r.reasons, ["VAL.TETO"]);
        }
        other => panic!("not a recommendation: {other:?}"),
    }
    // The same request again decides nothing.
    ledger.apply(4, &asked);
    assert!(decide(&ledger, 4, &asked, at, &mut ahead).is_none());
    // Within the ceiling.
    let within = request("PED-2", 1);
    ledger.apply(5, &within);
    let step = decide(&ledger, 5, &within, at, &mut ahead).expect("a decision point");
    match &step.decisions[0].payload {
        Decision::CredentialingRecommended(r) => assert_eq!(r.recommendation, "dentro_do_teto"),
        other => panic!("not a recommendation: {other:?}"),
    }
}
