//! Every event round-trips through JSON and postcard; old schema versions are read from kept bytes.

use proptest::prelude::*;
use repasse_proto::codec::{self, legacy::MunicipalityV1};
use repasse_proto::decision::{
    CredentialRevoked, ParcelaSealed, PlanoTotals, StatementIssued, SuspensionDecision,
};
use repasse_proto::fact::*;
use repasse_proto::team::{
    Classe, CredentialType, Estrato, Plano, QualityComponent, ScnesTeamType, TeamFamily, TeamType,
};
use repasse_proto::{
    Cbo, Cnes, Cns, Competencia, Cpf, Date, Decision, Envelope, Ibge, Ine, Money, Parcela,
    SourceRef, Timestamp, Uf,
};

fn ine() -> impl Strategy<Value = Ine> {
    (0u64..10_000_000_000).prop_map(|n| format!("{n:010}").parse().unwrap())
}
fn cnes() -> impl Strategy<Value = Cnes> {
    (0u32..10_000_000).prop_map(|n| format!("{n:07}").parse().unwrap())
}
fn ibge() -> impl Strategy<Value = Ibge> {
    (prop::sample::select(Uf::ALL.to_vec()), 0u32..10_000)
        .prop_map(|(uf, n)| format!("{:02}{n:04}", uf.ibge_code()).parse().unwrap())
}
fn cpf() -> impl Strategy<Value = Cpf> {
    (1u32..999_999_999)
        .prop_filter("not all equal digits", |n| n % 111_111_111 != 0)
        .prop_map(|base| Cpf::from_base(u64::from(base)))
}
fn cbo() -> impl Strategy<Value = Cbo> {
    (0u32..1_000_000).prop_map(|n| format!("{n:06}").parse().unwrap())
}
fn competencia() -> impl Strategy<Value = Competencia> {
    (2015u16..2040, 1u8..=12).prop_map(|(y, m)| format!("{y}-{m:02}").parse().unwrap())
}
fn parcela() -> impl Strategy<Value = Parcela> {
    competencia().prop_map(Competencia::parcela)
}
fn date() -> impl Strategy<Value = Date> {
    (2015i32..2040, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}
fn money() -> impl Strategy<Value = Money> {
    (-1_000_000_000i64..1_000_000_000).prop_map(Money::from_centavos)
}
fn text() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ú0-9 ./º-]{0,40}"
}
fn team_type() -> impl Strategy<Value = TeamType> {
    prop::sample::select(TeamType::ALL.to_vec())
}
fn plano() -> impl Strategy<Value = Plano> {
    prop::sample::select(Plano::ALL.to_vec())
}

fn cns() -> impl Strategy<Value = Cns> {
    (10_000_000_000u64..29_999_999_999).prop_map(Cns::definitive_from_pis)
}

/// A professional known by CPF, by CNS (the CPF masked at the source) or by both.
fn professional() -> impl Strategy<Value = Professional> {
    let keys = prop_oneof![
        cpf().prop_map(|c| (Some(c), None)),
        cns().prop_map(|c| (None, Some(c))),
        (cpf(), cns()).prop_map(|(a, b)| (Some(a), Some(b))),
    ];
    (keys, cbo(), 1u8..=60, prop::option::of(date())).prop_map(
        |((cpf, cns), cbo, hours, left_on)| Professional {
            cpf,
            cns,
            cbo,
            hours,
            left_on,
        },
    )
}

fn scnes_team_type() -> impl Strategy<Value = ScnesTeamType> {
    prop_oneof![
        team_type().prop_map(ScnesTeamType::Exact),
        prop::sample::select(TeamFamily::ALL.to_vec()).prop_map(ScnesTeamType::Family),
    ]
}

fn fact() -> impl Strategy<Value = Fact> {
    let uf = prop::sample::select(Uf::ALL.to_vec());
    prop_oneof![
        (
            ibge(),
            text(),
            uf.clone(),
            any::<u32>(),
            prop::option::of(any::<u32>()),
            prop::option::of(any::<u32>())
        )
            .prop_map(
                |(ibge, name, uf, population, urban_population, rural_population)| {
                    Fact::Municipality(Municipality {
                        ibge,
                        name,
                        uf,
                        population,
                        urban_population,
                        rural_population,
                    })
                }
            ),
        (
            ibge(),
            1u8..=4,
            prop::option::of(1u8..=4),
            prop::option::of(1u8..=4),
            parcela(),
            text()
        )
            .prop_map(|(ibge, s, ivs_band, size_band, from_parcela, source)| {
                Fact::IedStratum(IedStratum {
                    ibge,
                    stratum: Estrato::new(s).unwrap(),
                    ivs_band,
                    size_band,
                    from_parcela,
                    source,
                })
            }),
        (
            ibge(),
            prop::option::of(team_type()),
            1u32..500,
            parcela(),
            text()
        )
            .prop_map(
                |(ibge, t, quantity, from_parcela, portaria)| Fact::Credentialing(Credentialing {
                    ibge,
                    team_type: t.map_or(CredentialType::Acs, CredentialType::Team),
                    quantity,
                    from_parcela,
                    portaria
                })
            ),
        (ine(), cnes(), ibge(), team_type(), parcela(), text()).prop_map(
            |(ine, cnes, ibge, team_type, from_parcela, portaria)| Fact::Homologation(
                Homologation {
                    ine,
                    cnes,
                    ibge,
                    team_type,
                    from_parcela,
                    portaria
                }
            )
        ),
        (ine(), parcela(), text()).prop_map(|(ine, from_parcela, portaria)| {
            Fact::HomologationCancelled(HomologationCancelled {
                ine,
                from_parcela,
                portaria,
            })
        }),
        (
            competencia(),
            ine(),
            cnes(),
            ibge(),
            scnes_team_type(),
            any::<bool>(),
            prop::collection::vec(professional(), 0..8)
        )
            .prop_map(
                |(competencia, ine, cnes, ibge, team_type, active, professionals)| {
                    Fact::ScnesTeam(ScnesTeam {
                        competencia,
                        ine,
                        cnes,
                        ibge,
                        team_type,
                        active,
                        professionals,
                    })
                }
            ),
        competencia().prop_map(|competencia| Fact::ScnesClosed(ScnesClosed { competencia })),
        (
            competencia(),
            ine(),
            prop::option::of(cpf()),
            date(),
            any::<bool>()
        )
            .prop_map(
                |(competencia, ine, cpf, received_on, ok)| Fact::SisabProduction(SisabProduction {
                    competencia,
                    ine,
                    cpf,
                    received_on,
                    status: if ok {
                        SisabStatus::Approved
                    } else {
                        SisabStatus::Rejected
                    },
                })
            ),
        (
            ine(),
            ibge(),
            any::<bool>(),
            prop::sample::select(Classe::ALL.to_vec()),
            any::<bool>(),
            parcela()
        )
            .prop_map(|(ine, ibge, by_team, class, vinculo, from_parcela)| {
                Fact::Classification(Classification {
                    target: if by_team {
                        ClassificationTarget::Ine(ine)
                    } else {
                        ClassificationTarget::Ibge(ibge)
                    },
                    component: if vinculo {
                        QualityComponent::Vinculo
                    } else {
                        QualityComponent::Qualidade
                    },
                    class,
                    from_parcela,
                    to_parcela: by_team.then(|| from_parcela.add_months(3)),
                })
            }),
        (ine(), competencia(), text(), text()).prop_map(
            |(ine, from_competencia, body, process)| {
                Fact::ControlBodySuspension(ControlBodySuspension {
                    ine,
                    from_competencia,
                    body,
                    process,
                })
            }
        ),
        (ine(), competencia(), text()).prop_map(|(ine, from_competencia, report)| {
            Fact::ControlBodyLifted(ControlBodyLifted {
                ine,
                from_competencia,
                report,
            })
        }),
        (ibge(), parcela(), plano(), money()).prop_map(|(ibge, parcela, plano, amount)| {
            Fact::HistoricalTransfer(HistoricalTransfer {
                ibge,
                parcela,
                plano,
                amount,
            })
        }),
        (ibge(), parcela(), plano(), money(), text(), date()).prop_map(
            |(ibge, parcela, plano, amount, bank_order, paid_on)| Fact::TransferExecuted(
                TransferExecuted {
                    ibge,
                    parcela,
                    plano,
                    amount,
                    bank_order,
                    paid_on
                }
            )
        ),
        parcela().prop_map(|parcela| Fact::ParcelaClosed(ParcelaClosed { parcela })),
        (
            text(),
            ibge(),
            ine(),
            cnes(),
            any::<bool>(),
            parcela(),
            date(),
            any::<(bool, bool)>()
        )
            .prop_map(
                |(
                    id,
                    ibge,
                    ine,
                    cnes,
                    by_ine,
                    parcela,
                    sei_entered_on,
                    (signed, conforms_to_model),
                )| {
                    Fact::RetroRequest(RetroRequest {
                        id,
                        ibge,
                        uf: ibge.uf().unwrap(),
                        target: if by_ine {
                            TeamRef::Ine(ine)
                        } else {
                            TeamRef::Cnes(cnes)
                        },
                        parcela,
                        irregularity: "SUSP.50.SISAB".to_owned(),
                        justification: "envio tardio aprovado".to_owned(),
                        sei_entered_on,
                        signed,
                        conforms_to_model,
                    })
                }
            ),
        (text(), any::<bool>(), date()).prop_map(|(id, ok, decided_on)| Fact::RetroDecision(
            RetroDecision {
                id,
                decision: if ok {
                    RetroOutcome::Deferido
                } else {
                    RetroOutcome::Indeferido
                },
                decided_on
            }
        )),
        (
            ibge(),
            parcela(),
            plano(),
            prop::option::of(ine()),
            money(),
            text()
        )
            .prop_map(|(ibge, parcela, plano, ine, amount, reason)| {
                Fact::AdjustmentAuthorized(AdjustmentAuthorized {
                    ibge,
                    parcela,
                    plano,
                    ine,
                    amount,
                    reason,
                })
            }),
        (
            text(),
            parcela(),
            text(),
            prop::collection::btree_map("[a-z]{1,6}", "[0-9]{1,5}\\.[0-9]{2}", 0..4)
        )
            .prop_map(
                |(table, from_parcela, portaria, values)| Fact::ParameterTable(ParameterTable {
                    table,
                    from_parcela,
                    portaria,
                    values: ParamValues::from_json(&serde_json::to_value(values).unwrap()).unwrap(),
                })
            ),
        (text(), uf.clone(), any::<u32>(), money()).prop_map(
            |(par_id, uf, population_covered, planned_amount)| {
                Fact::ParSubmitted(ParSubmitted {
                    par_id,
                    uf,
                    population_covered,
                    planned_amount,
                })
            }
        ),
        (text(), date(), text(), any::<bool>()).prop_map(
            |(par_id, approved_on, portaria, cib_resolution_sent)| {
                Fact::ParApproved(ParApproved {
                    par_id,
                    approved_on,
                    portaria,
                    cib_resolution_sent,
                })
            }
        ),
        (text(), money(), date()).prop_map(|(par_id, executed_amount, reported_on)| {
            Fact::ParProduction(ParProduction {
                par_id,
                executed_amount,
                reported_on,
            })
        }),
        (
            text(),
            prop::collection::vec((text(), any::<bool>()), 0..5),
            any::<u16>(),
            any::<u16>(),
            money()
        )
            .prop_map(|(code, procs, tr_days, tm_days, value)| Fact::OciCatalog(
                OciCatalog {
                    code,
                    procedures: procs
                        .into_iter()
                        .map(|(code, mandatory)| OciProcedureSpec { code, mandatory })
                        .collect(),
                    tr_days,
                    tm_days,
                    value,
                }
            )),
        (text(), text(), prop::option::of(text()), text(), date()).prop_map(
            |(apac, person, oci_code, procedure, performed_on)| Fact::OciProcedure(OciProcedure {
                apac,
                person,
                oci_code,
                procedure,
                performed_on
            })
        ),
        (ibge(), uf, any::<bool>(), date(), 0u8..4).prop_map(|(ibge, uf, municipal, on, which)| {
            let event = AperfEvent {
                ente: if municipal {
                    Ente::Municipio(ibge)
                } else {
                    Ente::Estado(uf)
                },
                on,
            };
            match which {
                0 => Fact::AperfAdhesion(event),
                1 => Fact::AperfAdhesionDeleted(event),
                2 => Fact::AperfResultPublished(event),
                _ => Fact::AperfAdhesionSuspended(event),
            }
        }),
    ]
}

fn suspension() -> impl Strategy<Value = SuspensionDecision> {
    (
        ine(),
        ibge(),
        competencia(),
        0u8..=100,
        0u8..=100,
        prop::collection::vec("[A-Z0-9._]{3,20}", 0..3),
    )
        .prop_map(
            |(ine, ibge, competencia, pct, previous_pct, reasons)| SuspensionDecision {
                ine,
                ibge,
                competencia,
                pct,
                previous_pct,
                reasons,
            },
        )
}

fn decision() -> impl Strategy<Value = Decision> {
    let totals = (plano(), money(), money(), money(), money()).prop_map(
        |(plano, integral, desconto, ajuste, efetivo)| PlanoTotals {
            plano,
            integral,
            desconto,
            ajuste,
            efetivo,
        },
    );
    prop_oneof![
        suspension().prop_map(Decision::SuspensionApplied),
        suspension().prop_map(Decision::SuspensionChanged),
        suspension().prop_map(Decision::SuspensionLifted),
        (ine(), ibge(), competencia()).prop_map(|(ine, ibge, competencia)| {
            Decision::CredentialRevoked(CredentialRevoked {
                ine,
                ibge,
                competencia,
                reasons: vec!["SUSP.REVOGACAO".into()],
            })
        }),
        (
            ibge(),
            parcela(),
            prop::collection::vec(totals, 0..5),
            money(),
            "[0-9a-f]{64}"
        )
            .prop_map(|(ibge, parcela, planos, implantacao, hash)| {
                Decision::StatementIssued(StatementIssued {
                    ibge,
                    parcela,
                    planos,
                    implantacao,
                    hash,
                })
            }),
        (parcela(), any::<u64>(), any::<u64>(), "[0-9a-f]{64}").prop_map(
            |(parcela, last_position, lines, hash)| {
                Decision::ParcelaSealed(ParcelaSealed {
                    parcela,
                    last_position,
                    lines,
                    hash,
                })
            }
        ),
    ]
}

fn source() -> impl Strategy<Value = SourceRef> {
    (
        text(),
        prop::option::of("[0-9a-f]{64}"),
        prop::option::of(any::<u32>()),
    )
        .prop_map(|(document, digest, line)| SourceRef {
            document,
            digest,
            line,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_fact_round_trips_through_postcard_and_json(fact in fact(), source in source(), at in 0i64..4_000_000_000_000) {
        let envelope = Envelope::new(fact, source, Timestamp(at)).unwrap();
        let bytes = codec::encode(&envelope).unwrap();
        prop_assert_eq!(&codec::decode::<Fact>(&bytes).unwrap(), &envelope);
        let json = codec::to_json(&envelope);
        prop_assert_eq!(&codec::from_json::<Fact>(&json).unwrap(), &envelope);
        // The case-file form (the fact alone, tagged by "type") round-trips too.
        let alone = serde_json::to_string(&envelope.payload).unwrap();
        prop_assert_eq!(&serde_json::from_str::<Fact>(&alone).unwrap(), &envelope.payload);
    }

    #[test]
    fn every_decision_round_trips_through_postcard_and_json(decision in decision(), at in 0i64..4_000_000_000_000) {
        let envelope = Envelope::new(decision, SourceRef::default(), Timestamp(at)).unwrap();
        let bytes = codec::encode(&envelope).unwrap();
        prop_assert_eq!(&codec::decode::<Decision>(&bytes).unwrap(), &envelope);
        prop_assert_eq!(&codec::from_json::<Decision>(&codec::to_json(&envelope)).unwrap(), &envelope);
    }

    #[test]
    fn a_payload_encoded_ahead_gives_the_envelope_and_json_of_one_encoded_at_once(decision in decision(), fact in fact(), source in source(), at in 0i64..4_000_000_000_000) {
        let stamp = codec::Stamp::new(source.clone(), Timestamp(at));
        let (envelope, json) = codec::Encoded::new(decision.clone()).unwrap().envelope(&stamp);
        let direct = Envelope::new(decision, source.clone(), Timestamp(at)).unwrap();
        prop_assert_eq!(&json, &codec::to_json(&direct));
        prop_assert_eq!(envelope, direct);
        let (envelope, json) = codec::Encoded::new(fact.clone()).unwrap().envelope(&stamp);
        let direct = Envelope::new(fact, source, Timestamp(at)).unwrap();
        prop_assert_eq!(&json, &codec::to_json(&direct));
        prop_assert_eq!(envelope, direct);
    }

    #[test]
    fn the_event_id_depends_on_content_and_source_only(fact in fact(), source in source(), a in any::<i64>(), b in any::<i64>()) {
        let first = Envelope::new(fact.clone(), source.clone(), Timestamp(a)).unwrap();
        let again = Envelope::new(fact, source, Timestamp(b)).unwrap();
        prop_assert_eq!(first.id, again.id);
    }

    #[test]
    fn truncated_wire_bytes_are_an_error_never_a_different_event(fact in fact(), cut in 1usize..64) {
        let envelope = Envelope::new(fact, SourceRef::default(), Timestamp(0)).unwrap();
        let bytes = codec::encode(&envelope).unwrap();
        let keep = bytes.len().saturating_sub(cut);
        if let Ok(decoded) = codec::decode::<Fact>(&bytes[..keep]) {
            prop_assert_ne!(decoded, envelope, "a shorter message decoded to the same event");
        }
    }
}

fn municipality_v1() -> MunicipalityV1 {
    MunicipalityV1 {
        ibge: "261180".parse().unwrap(),
        name: "Ribeirão".into(),
        uf: Uf::PE,
        population: 33_507,
    }
}

const FIXTURE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/municipality-v1.bin"
);

/// Bytes written by the schema-version-1 encoder of `municipality`, kept in `fixtures/`.
fn municipality_v1_fixture() -> Vec<u8> {
    std::fs::read(FIXTURE_PATH).expect("the version-1 fixture is kept in proto/tests/fixtures")
}

#[test]
fn municipality_written_at_version_1_is_upcast_on_read() {
    let fixture = municipality_v1_fixture();
    let envelope = codec::decode::<Fact>(&fixture).expect("version 1 bytes must stay readable");
    let Fact::Municipality(m) = &envelope.payload else {
        panic!("expected a municipality, got {envelope:?}")
    };
    assert_eq!(m.ibge.to_string(), "261180");
    assert_eq!(m.name, "Ribeirão");
    assert_eq!(m.population, 33_507);
    assert_eq!((m.urban_population, m.rural_population), (None, None));
    assert_eq!(envelope.recorded_at, Timestamp(1_717_200_000_000));
    // Re-encoding writes the current version, which is read back unchanged.
    let current = codec::encode(&envelope).unwrap();
    assert_ne!(current, fixture);
    assert_eq!(codec::decode::<Fact>(&current).unwrap(), envelope);
}

#[test]
fn the_fixture_is_what_the_version_1_shape_encodes() {
    // Guards the fixture against accidental edits: the kept bytes are the v1 shape behind a v1 header.
    let payload = postcard::to_stdvec(&municipality_v1()).unwrap();
    assert!(municipality_v1_fixture().ends_with(&payload));
}

#[test]
fn a_version_newer_than_this_build_is_refused_with_its_number() {
    let envelope = codec::decode::<Fact>(&municipality_v1_fixture()).unwrap();
    let json = codec::to_json(&envelope).replace("\"schema_version\":2", "\"schema_version\":9");
    let error = codec::from_json::<Fact>(&json).unwrap_err().to_string();
    assert!(
        error.contains("versão 9") && error.contains("municipality"),
        "{error}"
    );
}

#[test]
fn an_unknown_field_in_a_fact_is_an_error_naming_it() {
    let text = r#"{"type":"scnes_closed","competencia":"2025-01","extra":1}"#;
    let error = serde_json::from_str::<Fact>(text).unwrap_err().to_string();
    assert!(error.contains("extra"), "{error}");
}

#[test]
fn classification_needs_exactly_one_target() {
    let both = r#"{"type":"classification","ine":"0001234561","ibge":"261180","component":"vinculo","class":"bom","from_parcela":"2025-05"}"#;
    assert!(
        serde_json::from_str::<Fact>(both)
            .unwrap_err()
            .to_string()
            .contains("exatamente um")
    );
}

/// Writes the version-1 fixture. Run once, when the fixture is created: `cargo test -p repasse-proto
/// --test codec -- --ignored write_municipality_v1_fixture`. Never regenerate an existing fixture.
#[test]
#[ignore = "writes the fixture file; run only to create it"]
fn write_municipality_v1_fixture() {
    #[derive(serde::Serialize)]
    struct HeaderV1<'a> {
        format: u8,
        id: repasse_proto::EventId,
        event_type: &'a str,
        schema_version: u16,
        about: repasse_proto::About,
        recorded_at: Timestamp,
        source: SourceRef,
    }
    let v1 = municipality_v1();
    let header = HeaderV1 {
        format: codec::WIRE_FORMAT,
        id: repasse_proto::EventId::derive(&[b"fixture municipality v1"]),
        event_type: "municipality",
        schema_version: 1,
        about: repasse_proto::About {
            ibge: Some(v1.ibge),
            ..Default::default()
        },
        recorded_at: Timestamp(1_717_200_000_000),
        source: SourceRef {
            document: "IBGE estimativas 2024".into(),
            digest: None,
            line: Some(1),
        },
    };
    let mut bytes = postcard::to_stdvec(&header).unwrap();
    bytes.extend(postcard::to_stdvec(&v1).unwrap());
    assert!(
        !std::path::Path::new(FIXTURE_PATH).exists(),
        "fixture exists: never regenerate it"
    );
    std::fs::write(FIXTURE_PATH, bytes).unwrap();
}
