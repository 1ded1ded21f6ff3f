//! The contract against the real answers. Given a served history with an operator's token, when
//! schemathesis (`SCHEMATHESIS`, installed by `scripts/test.sh`) generates requests from `/openapi.json` —
//! schema-valid and schema-violating, stateful sequences included — then no answer is a 5xx and none
//! contradicts the document (status, content type, body schema, headers), with every check on but the
//! ones `tests/contract/schemathesis.toml` names and why. And every route the router serves is in the
//! document, and nothing else is.

use std::process::Command;

mod common;
use common::{get, get_as, served_history};

fn repo(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// A value for each path parameter, so that every templated path can be asked for.
fn sample(template: &str) -> String {
    template
        .replace("{parcela}", "2024-08")
        .replace("{competencia}", "2024-06")
        .replace("{ibge}", "140010")
        .replace("{ine}", "0000100387")
        .replace("{uf}", "RR")
        .replace("{ente}", "140010")
        .replace(['{', '}'], "")
}

#[test]
fn every_route_is_in_the_document_and_schemathesis_finds_no_contradiction() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, token) = served_history(dir.path(), "contrato", "operator");

    // The document names exactly the router's paths, and each of them is a route (not the fallback).
    let (status, body) = get(&address, "/openapi.json");
    assert_eq!(status, 200);
    let document: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut documented: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = repasse_api::openapi::PATHS.to_vec();
    documented.sort_unstable();
    expected.sort_unstable();
    assert_eq!(documented, expected);
    for template in repasse_api::openapi::PATHS {
        if template == "/eventos" {
            continue; // never ends; tests/api_live.rs follows it
        }
        let (_, _, body) = get_as(&address, &sample(template), Some(&token));
        assert!(
            !body.contains("caminho desconhecido"),
            "{template} is not a route"
        );
    }

    let schemathesis = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        panic!("SCHEMATHESIS não aponta o schemathesis: scripts/test.sh o instala em target/")
    });
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261130".to_owned());
    let run = Command::new(&schemathesis)
        .arg("--no-color")
        .arg("--config-file")
        .arg(repo("tests/contract/schemathesis.toml"))
        .arg("run")
        .arg(format!("http://{address}/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", "20", "--max-time", "120", "--seed", &seed])
        // One worker: hypothesis parses lambda sources with CPython's `ast`, which is not safe across
        // threads (a "Runtime Error: AST constructor recursion depth mismatch" with two).
        .args(["--workers", "1"])
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{schemathesis}: {e}"));
    child.kill().unwrap();
    child.wait().unwrap();
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found contradictions (seed {seed}):\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
