//! VAL.TETO on a credentialing request, through the fold: the recommendation, and a request the ledger
//! cannot assess refused by name instead of stopping the fold.

use repasse_proto::fact::{CredentialingRequest, Municipality, ParamValues, ParameterTable};
use repasse_proto::{CredentialType, Fact, TeamType, Uf};
use repasse_rules::Ledger;
use repasse_rules::law::teto::Recommendation;

fn municipality() -> Fact {
    Fact::Municipality(Municipality {
        ibge: "261190".parse().unwrap(),
        name: "Município pequeno".into(),
        uf: Uf::PE,
        population: 3000,
        urban_population: None,
        rural_population: None,
    })
}

fn request(id: &str) -> Fact {
    Fact::CredentialingRequest(CredentialingRequest {
        id: id.into(),
        ibge: "261190".parse().unwrap(),
        team_type: CredentialType::Team(TeamType::Esf),
        quantity: 3,
        requested_on: "2025-02-10".parse().unwrap(),
    })
}

#[test]
fn given_3000_inhabitants_when_3_esf_are_requested_then_it_is_above_the_ceiling_of_2() {
    let mut ledger = Ledger::default();
    ledger.apply(1, &municipality());
    ledger.apply(2, &request("PED-1"));
    let assessed = ledger
        .credentialing_request_at("PED-1", 2)
        .expect("assessed");
    assert_eq!(assessed.recommendation, Recommendation::AcimaDoTeto);
    assert_eq!(assessed.ceiling.as_ref().map(|c| c.value), Some(2));
    assert!(ledger.rejections().is_empty());
}

#[test]
fn a_request_against_a_ceiling_table_with_a_zero_divisor_is_refused_by_name_not_a_panic() {
    let mut ledger = Ledger::default();
    ledger.apply(1, &municipality());
    let zero = serde_json::json!({"eSF": "0.00"});
    ledger.apply(
        2,
        &Fact::ParameterTable(ParameterTable {
            table: "VAL.TETO".into(),
            from_parcela: "2025-01".parse().unwrap(),
            portaria: "Portaria com divisor nulo".into(),
            values: ParamValues::from_json(&zero).unwrap(),
        }),
    );
    ledger.apply(3, &request("PED-2"));
    assert!(ledger.credentialing_request_at("PED-2", 3).is_none());
    let refused = ledger
        .rejections()
        .iter()
        .find(|r| r.position == 3)
        .expect("the request is refused");
    assert_eq!(refused.rule, "VAL.TETO");
    assert!(
        refused.message.contains("PED-2") && refused.message.contains("divisores positivos"),
        "{}",
        refused.message
    );
}
