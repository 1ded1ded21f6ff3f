//! Reconciliation as a read model and an API route: the Ministry's report and the Fund's orders imported
//! through their readers, before and after the parcela's close, and `GET /conciliacao/{parcela}/{ibge}`
//! answering what `repasse reconcile` computes.

use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{get, repasse};

fn repo(relative: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn the_reconciliation_of_a_parcela_is_served_as_the_command_computes_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let log = log.to_str().unwrap();
    // The case's registry and SCNES facts, then the parcela's close between the report and the orders.
    let case: Value = serde_json::from_str(
        &std::fs::read_to_string(repo(
            "tests/cases/conciliacao-relatorio-e-ordens-do-fundo.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let mut lines = String::new();
    for fact in case["facts"].as_array().unwrap() {
        if fact["type"] == "file" {
            continue;
        }
        let mut fact = fact.clone();
        if fact["received_on"] == "deadline" {
            fact["received_on"] = "2025-01-10".into();
        }
        lines.push_str(&format!("{fact}\n"));
    }
    let facts = dir.path().join("fatos.jsonl");
    std::fs::write(&facts, lines).unwrap();
    let closed = dir.path().join("fechamento.jsonl");
    std::fs::write(
        &closed,
        "{\"type\":\"parcela_closed\",\"parcela\":\"2025-02\"}\n",
    )
    .unwrap();
    let steps: [Vec<String>; 5] = [
        vec!["fatos".into(), facts.display().to_string()],
        vec![
            "relatorio".into(),
            repo("tests/fixtures/relatorio/pagamento-completo-172120-202502.json"),
        ],
        vec!["fatos".into(), closed.display().to_string()],
        vec![
            "relatorio".into(),
            repo("tests/fixtures/relatorio/detalhado-172120-202502-eap.json"),
            "--ibge".into(),
            "172120".into(),
            "--parcela".into(),
            "2025-02".into(),
        ],
        vec![
            "fns".into(),
            repo("tests/fixtures/fns/detalhe-pagamento-172120-2025.json"),
            "--ibge".into(),
            "172120".into(),
        ],
    ];
    for step in &steps {
        let mut args = vec!["ingest"];
        args.extend(step.iter().map(String::as_str));
        args.extend(["--log", log]);
        let out = repasse(&args);
        assert!(
            out.status.success(),
            "{step:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let computed: Value = serde_json::from_slice(
        &repasse(&["reconcile", "--parcela", "2025-02", "--log", log, "--json"]).stdout,
    )
    .unwrap();

    let models = dir.path().join("modelos");
    let (mut child, address) = common::serve(log, &models);
    let deadline = Instant::now() + Duration::from_secs(60);
    let served = loop {
        let (status, body) = get(&address, "/conciliacao/2025-02/172120");
        // The last fact (the Fund's order) is the one that completes the reconciliation.
        if status == 200 && body.contains("pago_a_menos") {
            break serde_json::from_str::<Value>(&body).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no reconciliation served: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(served, computed);
    assert_eq!(
        served[0]["findings"],
        serde_json::json!(["relatorio_diverge", "pago_a_menos"])
    );
    assert_eq!(served[0]["teams"][0]["ine"], "0001234561");
}
