//! The programmes of RULES.md §7–9 for integrators and people: given a case's facts, each decision is
//! published once, at the fact that makes it, on its own subject; and `repasse serve` answers the
//! recommendation, the statement with the credit, the PAR and the enrolment question as the commands do.

use std::time::{Duration, Instant};

use repasse_projector::step::{Ahead, decide};
use repasse_proto::{Decision, Timestamp};
use repasse_rules::Ledger;
use serde_json::Value;

mod common;
use common::{get, repasse};

fn repo(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// Every decision the projector publishes along a case's facts, with its subject.
fn decisions_of(case: &str) -> Vec<(String, Decision)> {
    let case = repasse_cases::read_case(&repo(case)).unwrap();
    let mut ledger = Ledger::default();
    let mut ahead = Ahead::default();
    let mut out = Vec::new();
    for (i, (fact, _)) in case.facts.iter().enumerate() {
        let position = i as u64 + 1;
        ledger.apply(position, fact);
        if let Some(step) = decide(&ledger, position, fact, Timestamp(0), &mut ahead) {
            for (decision, record) in step.decisions.iter().zip(&step.records) {
                out.push((record.subject.clone(), decision.payload.clone()));
            }
        }
    }
    out
}

#[test]
fn a_retroactive_request_is_recommended_when_it_arrives_and_its_credit_published_when_decided() {
    let published = decisions_of("tests/cases/retro-sisab-regularizado-creditado-como-ajuste.json");
    let retro: Vec<&(String, Decision)> = published
        .iter()
        .filter(|(subject, _)| subject.starts_with("decisoes.retroativo."))
        .collect();
    assert_eq!(retro.len(), 2, "{retro:?}");
    assert_eq!(retro[0].0, "decisoes.retroativo.PE.261180.0001234561");
    match &retro[0].1 {
        Decision::RetroRecommended(r) => {
            assert_eq!(
                (r.id.as_str(), r.recommendation.as_str()),
                ("RETRO-1", "elegivel")
            );
            assert_eq!(r.creditable.to_string(), "8000.00");
            assert_eq!(r.deadline.to_string(), "2025-11-30");
            assert!(r.reasons.is_empty());
        }
        other => panic!("not a recommendation: {other:?}"),
    }
    assert_eq!(retro[1].0, "decisoes.retroativo.PE.261180.todos");
    match &retro[1].1 {
        Decision::RetroDecided(d) => {
            assert_eq!(d.decision, "deferido");
            assert_eq!(
                d.credited.map(|m| m.to_string()).as_deref(),
                Some("8000.00")
            );
            assert_eq!(
                d.credited_in.map(|p| p.to_string()).as_deref(),
                Some("2025-09")
            );
        }
        other => panic!("not a decision: {other:?}"),
    }
}

#[test]
fn each_stage_of_a_par_is_published_once_however_many_reports_follow() {
    let published = decisions_of("tests/cases/aae-etapas-pagas-uma-vez.json");
    let stages: Vec<(String, u8, String)> = published
        .iter()
        .filter_map(|(subject, d)| match d {
            Decision::AaeStageDue(s) => Some((subject.clone(), s.stage, s.par_id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            (
                "decisoes.aae.PE.todos.todos".to_owned(),
                1,
                "PAR-PE-1".to_owned()
            ),
            (
                "decisoes.aae.PE.todos.todos".to_owned(),
                2,
                "PAR-PE-1".to_owned()
            ),
        ]
    );
}

#[test]
fn every_adhesion_event_publishes_the_entes_status() {
    let published = decisions_of("tests/cases/aperf-janela-e-exclusao.json");
    let statuses: Vec<(String, String)> = published
        .iter()
        .filter_map(|(subject, d)| match d {
            Decision::AperfAdhesionStatus(s) => Some((subject.clone(), s.status.clone())),
            _ => None,
        })
        .collect();
    let expected = [
        ("260005", "aderida"),
        ("260005", "valida"),
        ("260010", "sem_efeito"),
        ("260010", "sem_efeito"),
        ("260020", "aderida"),
        ("260020", "excluida"),
        ("260020", "sem_efeito"),
        ("260030", "aderida"),
        ("260030", "sem_efeito"),
        ("260030", "valida"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(ibge, status)| {
            (
                format!("decisoes.aperf.PE.{ibge}.todos"),
                (*status).to_owned(),
            )
        })
        .collect();
    assert_eq!(statuses, expected);
}

/// The case's facts as JSON lines for `repasse ingest fatos` (ranges and deadlines expanded).
fn jsonl(case: &str, extra: &[Value]) -> String {
    let case = repasse_cases::read_case(&repo(case)).unwrap();
    let mut out = String::new();
    for (fact, _) in &case.facts {
        out.push_str(&serde_json::to_string(fact).unwrap());
        out.push('\n');
    }
    for fact in extra {
        out.push_str(&format!("{fact}\n"));
    }
    out
}

fn served(address: &str, target: &str, until: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get(address, target);
        if until(status, &body) {
            return (status, body);
        }
        assert!(Instant::now() < deadline, "{target}: {status} {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_api_answers_the_programmes_as_the_commands_compute_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let log = log.to_str().unwrap();
    let closed = serde_json::json!({"type": "parcela_closed", "parcela": "2025-09"});
    let files = [
        jsonl(
            "tests/cases/retro-sisab-regularizado-creditado-como-ajuste.json",
            &[closed],
        ),
        jsonl("tests/cases/aae-etapas-pagas-uma-vez.json", &[]),
        jsonl("tests/cases/aperf-janela-e-exclusao.json", &[]),
    ];
    for (i, text) in files.iter().enumerate() {
        let path = dir.path().join(format!("fatos-{i}.jsonl"));
        std::fs::write(&path, text).unwrap();
        let out = repasse(&["ingest", "fatos", path.to_str().unwrap(), "--log", log]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let command = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.extend(["--log", log, "--json"]);
        let out = repasse(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let retro = command(&["retro", "--id", "RETRO-1"]);
    let cpf = "11122233396";
    let enrolment = command(&["aperf", "--cpf", cpf, "--data", "2026-01-10"]);
    let text =
        String::from_utf8(repasse(&["diff", "--parcela", "2025-06", "--log", log]).stdout).unwrap();
    assert!(
        text.contains("Crédito retroativo RETRO-1") && text.contains("R$ 8.000,00"),
        "{text}"
    );
    let text =
        String::from_utf8(repasse(&["diff", "--parcela", "2025-09", "--log", log]).stdout).unwrap();
    assert!(
        text.contains(
            "Ajuste do município 261180 no plano eSF_eAP: selado R$ 8.000,00, hoje R$ 8.000,00"
        ),
        "{text}"
    );

    let models = dir.path().join("modelos");
    let (mut child, address) = common::serve(log, &models);
    let ready = |status: u16, _: &str| status == 200;
    let (_, body) = served(&address, "/aperf/adesao/260030", ready);
    let (_, body_retro) = served(&address, "/retroativo/RETRO-1", |s, b| {
        s == 200 && b.contains("deferido")
    });
    let (_, statement) = served(&address, "/demonstrativos/2025-09/261180", ready);
    let (_, par) = served(&address, "/aae/PAR-PE-1", ready);
    let (_, answer) = served(
        &address,
        &format!("/aperf/inscricao?cpf={cpf}&data=2026-01-10"),
        ready,
    );
    let (_, ready) = served(&address, "/readyz", ready);
    let suspended = get(&address, "/suspensoes/2025-04?uf=PE&rule=SUSP.50.SISAB");
    let elsewhere = get(&address, "/suspensoes/2025-04?uf=SP");
    let other_rule = get(&address, "/suspensoes/2025-04?rule=SUSP.25.AUX_OU_ACS");
    let bad_rule = get(&address, "/suspensoes/2025-04?rule=VAL.TETO");
    let bad_limit = get(&address, "/suspensoes/2025-04?limit=0");
    let (_, csv_type, suspended_csv) =
        common::get_with_type(&address, "/suspensoes/2025-04?format=csv");
    let statements_csv = get(&address, "/demonstrativos/2025-09?uf=PE&format=csv");
    let statements = get(&address, "/demonstrativos/2025-09?limit=1&offset=0");
    let missing = get(&address, "/retroativo/NAO-EXISTE");
    let bad_cpf = get(&address, "/aperf/inscricao?cpf=11122233300&data=2026-01-10");
    let (_, problem_type, _) =
        common::get_with_type(&address, "/aperf/inscricao?cpf=11122233300&data=2026-01-10");
    let no_date = get(&address, &format!("/aperf/inscricao?cpf={cpf}"));
    let _ = child.kill();
    let _ = child.wait();

    assert!(body.contains("\"events\""), "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body_retro).unwrap(),
        retro[0]
    );
    let statement: Value = serde_json::from_str(&statement).unwrap();
    let plano = &statement["planos"][0];
    assert_eq!(
        (plano["ajuste"].as_str(), plano["efetivo"].as_str()),
        (Some("8000.00"), Some("36000.00"))
    );
    let par: Value = serde_json::from_str(&par).unwrap();
    assert_eq!(par["stages"][1]["due"], true);
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["eligible"], true);
    assert_eq!(answer["eligible"], enrolment["eligible"]);
    assert_eq!(answer["reasons"], enrolment["reasons"]);
    assert_eq!(missing.0, 404);
    // Lists: filtered by UF and rule, paged, and as CSV for a pt-BR spreadsheet.
    let suspended: Value = serde_json::from_str(&suspended.1).unwrap();
    assert_eq!(suspended["total"], 1);
    assert_eq!(suspended["items"][0]["ine"], "0001234561");
    assert_eq!(
        serde_json::from_str::<Value>(&elsewhere.1).unwrap()["total"],
        0
    );
    assert_eq!(
        serde_json::from_str::<Value>(&other_rule.1).unwrap()["total"],
        0
    );
    assert_eq!((bad_rule.0, bad_limit.0), (400, 400));
    assert_eq!(
        serde_json::from_str::<Value>(&bad_rule.1).unwrap()["field"],
        "rule"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&bad_limit.1).unwrap()["field"],
        "limit"
    );
    assert_eq!(csv_type, "text/csv; charset=utf-8");
    assert_eq!(
        suspended_csv,
        "\u{feff}competencia;ibge;ine;tipo;percentual;regras;acs_suspensos\r\n\
         2025-04;261180;0001234561;eSF;50;SUSP.50.SISAB;0\r\n"
    );
    assert!(
        statements_csv
            .1
            .contains("2025-09;261180;eSF_eAP;28000,00;0,00;8000,00;36000,00\r\n"),
        "{}",
        statements_csv.1
    );
    let statements: Value = serde_json::from_str(&statements.1).unwrap();
    assert_eq!(
        (
            statements["total"].as_u64(),
            statements["items"].as_array().map(Vec::len)
        ),
        (Some(1), Some(1))
    );
    // On the embedded log: caught up at the end of the log, no lease.
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(
        (ready["status"].as_str(), ready["lease_held"].is_null()),
        (Some("pronto"), true)
    );
    assert_eq!(bad_cpf.0, 400);
    assert!(bad_cpf.1.contains("CPF"), "{}", bad_cpf.1);
    // RFC 9457: a problem document naming the field.
    assert_eq!(problem_type, "application/problem+json");
    let problem: Value = serde_json::from_str(&bad_cpf.1).unwrap();
    assert_eq!(
        (problem["status"].as_u64(), problem["field"].as_str()),
        (Some(400), Some("cpf"))
    );
    assert_eq!(problem["title"], "Requisição inválida");
    assert_eq!(no_date.0, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&no_date.1).unwrap()["field"],
        "data"
    );
}

#[test]
fn a_par_approved_before_it_is_submitted_decides_nothing_and_stops_nothing() {
    use repasse_proto::Fact;
    use repasse_proto::fact::{ParApproved, ParSubmitted};
    let mut ledger = Ledger::default();
    let mut ahead = Ahead::default();
    let approved = Fact::ParApproved(ParApproved {
        par_id: "PAR-X".into(),
        approved_on: "2025-03-10".parse().unwrap(),
        portaria: "Portaria de aprovação".into(),
        cib_resolution_sent: true,
    });
    ledger.apply(1, &approved);
    let step = decide(&ledger, 1, &approved, Timestamp(0), &mut ahead).expect("a step");
    assert!(step.decisions.is_empty());
    // The submission that follows makes the first stage due, at its own position.
    let submitted = Fact::ParSubmitted(ParSubmitted {
        par_id: "PAR-X".into(),
        uf: repasse_proto::Uf::SE,
        population_covered: 750_000,
        planned_amount: "1000000.00".parse().unwrap(),
    });
    ledger.apply(2, &submitted);
    let step = decide(&ledger, 2, &submitted, Timestamp(0), &mut ahead).expect("a step");
    match &step.decisions[..] {
        [d] => match &d.payload {
            Decision::AaeStageDue(s) => {
                assert_eq!((s.stage, s.amount.to_string()), (1, "300000.00".into()))
            }
            other => panic!("not a stage: {other:?}"),
        },
        other => panic!("one stage expected: {other:?}"),
    }
}
