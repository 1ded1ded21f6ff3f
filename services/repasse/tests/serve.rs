//! `repasse serve` as an operator runs it: the projector following a real `nats-server` and the HTTP API
//! over its read models in the same process. The seals and statements it serves are checked against
//! `repasse replay` on an embedded copy of the same history (computed from the log alone, by another
//! process); malformed and unknown requests get 400 and 404 naming the field; a `repasse rebuild` while it
//! serves moves the API to the new generation with the same answers; SIGTERM stops it cleanly.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use repasse_eventlog::testing::NatsServer;
use serde_json::Value;

mod common;
use common::{HISTORY, get, ok, path, run};

/// No run of 11 digits (a CPF in clear) in a response meant for people.
fn assert_no_cpf_in_clear(body: &str) {
    let longest = body
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest < 11, "a run of {longest} digits: {body}");
}

fn get_json(address: &str, target: &str) -> Value {
    let (status, body) = get(address, target);
    assert_eq!(status, 200, "GET {target}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

struct Served {
    child: Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str, state: &Path) -> Served {
    let (child, address) = common::serve_from(&["--nats", url], state, &[]);
    Served { child, address }
}

/// Waits until the served generation is `generation` with its checkpoint at `position`.
fn wait_until(address: &str, generation: &str, position: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (status, body) = get(address, "/saude");
        if status == 200 {
            let health: Value = serde_json::from_str(&body).expect("JSON");
            if health["generation"] == generation && health["checkpoint"]["position"] == position {
                return health;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the API did not reach {generation} at {position}: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_api_serves_the_read_models_the_log_alone_reproduces_and_follows_a_rebuild() {
    let nats = NatsServer::start().expect("nats-server");
    let url = nats.url();
    let dir = tempfile::tempdir().unwrap();
    let (log, state) = (dir.path().join("log"), dir.path().join("estado"));
    let mut args = vec!["demo-data", "--nats", &url];
    args.extend(HISTORY);
    ok(&args);
    let mut args = vec!["demo-data", "--log", path(&log)];
    args.extend(HISTORY);
    let written = String::from_utf8(run(&args).stderr).expect("utf-8");
    let facts: u64 = written
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("demo-data says how many facts it wrote");

    let served = serve(&url, &state);
    let health = wait_until(&served.address, "g000001", facts);
    assert!(health["checkpoint"]["decisions"].as_u64().unwrap() > 0);

    // Every seal served is what the log alone gives for that parcela.
    let seals = get_json(&served.address, "/selos");
    let seals = seals.as_array().expect("a list of seals");
    assert_eq!(seals.len(), 13, "parcelas 2024-05 to 2025-05");
    for seal in [&seals[0], &seals[seals.len() - 1]] {
        let parcela = seal["parcela"].as_str().unwrap();
        let replayed: Value = serde_json::from_str(&ok(&[
            "replay",
            "--log",
            path(&log),
            "--parcela",
            parcela,
            "--json",
        ]))
        .unwrap();
        assert_eq!(seal["hash"], replayed["hash"], "seal of {parcela}");
        assert_eq!(seal["lines"], replayed["lines"], "lines of {parcela}");
        assert_eq!(
            get_json(&served.address, &format!("/selos/{parcela}")),
            *seal
        );
    }

    // A municipality's statement and lines, against the replay of that municipality.
    let last = seals[seals.len() - 1]["parcela"]
        .as_str()
        .unwrap()
        .to_owned();
    let boa_vista: Value = serde_json::from_str(&ok(&[
        "replay",
        "--log",
        path(&log),
        "--parcela",
        &last,
        "--ibge",
        "1400100",
        "--json",
    ]))
    .unwrap();
    // Caught up, holding the publisher's lease: ready.
    let ready = get_json(&served.address, "/readyz");
    assert_eq!(
        (ready["status"].as_str(), ready["lease_held"].as_bool()),
        (Some("pronto"), Some(true))
    );
    assert_eq!(get(&served.address, "/livez").0, 200);
    let statement = get_json(&served.address, &format!("/demonstrativos/{last}/1400100"));
    assert_eq!(statement["hash"], boa_vista["hash"]);
    let lines = get_json(&served.address, &format!("/linhas/{last}/140010"));
    assert_eq!(
        lines.as_array().unwrap().len() as u64,
        boa_vista["lines"].as_u64().unwrap()
    );
    let (_, body) = get(&served.address, "/situacao/2025-03/140010");
    assert_no_cpf_in_clear(&body);
    let statuses: Value = serde_json::from_str(&body).unwrap();
    let statuses = statuses.as_array().unwrap();
    let agents: Vec<&str> = statuses
        .iter()
        .flat_map(|s| s["agents"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(!agents.is_empty(), "Boa Vista's teams have agents");
    assert!(
        agents
            .iter()
            .all(|a| a.starts_with("***.") && a.ends_with("-**")),
        "{agents:?}"
    );
    assert!(!statuses.is_empty() && statuses.iter().all(|s| s["ibge"] == "140010"));
    // The explanation of a suspended team, if this history has one in 2025-03.
    if let Some(suspended) = statuses.iter().find(|s| s["suspension_pct"] != 0) {
        let ine = suspended["ine"].as_str().unwrap();
        let (_, body) = get(&served.address, &format!("/explicacoes/2025-03/{ine}"));
        assert_no_cpf_in_clear(&body);
        let explanation: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(explanation["status"]["ine"], ine);
    }

    // Bad requests name the field and what was expected; unknown ones say what is missing.
    let (status, body) = get(&served.address, "/selos/2024-13");
    assert_eq!(status, 400);
    assert!(
        body.contains("parcela inválida") && body.contains("AAAA-MM"),
        "{body}"
    );
    let (status, body) = get(&served.address, "/situacao/2025-03/1400101");
    assert_eq!(status, 400);
    assert!(body.contains("IBGE inválido"), "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["field"],
        "ibge"
    );
    let (status, body) = get(&served.address, "/explicacoes/2025-03/12");
    assert_eq!(status, 400);
    assert!(body.contains("INE inválido"), "{body}");
    let (status, body) = get(&served.address, "/selos/2020-01");
    assert_eq!(status, 404);
    assert!(body.contains("2020-01 não foi selada"), "{body}");
    let (status, _) = get(&served.address, "/nada");
    assert_eq!(status, 404);

    // A rebuild while it serves: the API answers from the old generation until the projector moves, then
    // from the new one, with the same seals.
    ok(&["rebuild", "--nats", &url, "--read-models", path(&state)]);
    wait_until(&served.address, "g000002", facts);
    assert_eq!(
        get_json(&served.address, "/selos").as_array().unwrap(),
        seals
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while state.join("g000001").exists() {
        assert!(Instant::now() < deadline, "the old generation is removed");
        std::thread::sleep(Duration::from_millis(100));
    }

    // SIGTERM: a clean stop.
    let mut served = served;
    let pid = served.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "serve stops cleanly on SIGTERM: {exit:?}");
}
