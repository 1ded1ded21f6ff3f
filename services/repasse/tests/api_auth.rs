//! Access to the API: tokens made by `repasse token`, kept hashed in the operator's file, a role each. Given
//! a served log, when a request comes without a token, with an unknown one, or from an integrator asking
//! for another state, then a 401 or 403 problem names the header or the role; otherwise the answer is the
//! read model. Health routes stay open, and a malformed tokens file stops `serve` naming the entry.

use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{get_as, repasse, token};

fn repo(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn problem(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn tokens_and_roles_decide_who_reads_what() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let log = log.to_str().unwrap();
    let case = repasse_cases::read_case(&repo(
        "tests/cases/retro-sisab-regularizado-creditado-como-ajuste.json",
    ))
    .unwrap();
    let facts: String = case
        .facts
        .iter()
        .map(|(f, _)| format!("{}\n", serde_json::to_string(f).unwrap()))
        .collect();
    let file = dir.path().join("fatos.jsonl");
    std::fs::write(&file, facts).unwrap();
    let out = repasse(&["ingest", "fatos", file.to_str().unwrap(), "--log", log]);
    assert!(out.status.success());

    let (auditor, a) = token(&["--name", "tcu", "--role", "auditor"]);
    let (pe, b) = token(&["--name", "ses-pe", "--role", "integrator", "--uf", "PE"]);
    let (sp, c) = token(&["--name", "ses-sp", "--role", "integrator", "--uf", "SP"]);
    assert!(a["blake3"].as_str().unwrap().len() == 64 && !a.to_string().contains(&auditor));
    let tokens = dir.path().join("tokens.json");
    std::fs::write(
        &tokens,
        serde_json::json!({ "tokens": [a, b, c] }).to_string(),
    )
    .unwrap();

    // A malformed file: serve refuses to start, naming the file and the entry.
    let bad = dir.path().join("ruim.json");
    std::fs::write(
        &bad,
        r#"{"tokens":[{"name":"x","role":"auditor","blake3":"abc"}]}"#,
    )
    .unwrap();
    let models = dir.path().join("modelos");
    let refused = repasse(&[
        "serve",
        "--log",
        log,
        "--read-models",
        models.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tokens",
        bad.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("ruim.json") && stderr.contains("tokens[0]"),
        "{stderr}"
    );

    let (mut child, address) =
        common::serve_with(log, &models, &["--tokens", tokens.to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while get_as(&address, "/readyz", None).0 != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let statement = "/demonstrativos/2025-06/261180";
    let anonymous = get_as(&address, statement, None);
    let unknown = get_as(&address, statement, Some("0123"));
    let as_auditor = get_as(&address, statement, Some(&auditor));
    let as_pe = get_as(&address, statement, Some(&pe));
    let as_sp = get_as(&address, statement, Some(&sp));
    let pe_list = get_as(&address, "/suspensoes/2025-04?uf=PE", Some(&pe));
    let pe_national = get_as(&address, "/suspensoes/2025-04", Some(&pe));
    // A second uf= after its own: the handlers read the last one, so the check reads them all.
    let pe_smuggled = get_as(&address, "/suspensoes/2025-04?uf=PE&uf=SP", Some(&pe));
    let pe_feed_smuggled = get_as(&address, "/eventos?uf=PE&uf=SP", Some(&pe));
    let live = get_as(&address, "/livez", None);
    let metrics = get_as(&address, "/metrics", None);
    // Signing in to the page: the cookie is Secure when a TLS proxy says the request came over https.
    let plain = sign_in(&address, &auditor, false);
    let proxied = sign_in(&address, &auditor, true);
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(live.0, 200);
    let cookie = |head: &str| -> String {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .unwrap_or_else(|| panic!("a cookie in {head}"))
            .to_owned()
    };
    assert!(plain.starts_with("HTTP/1.1 303"), "{plain}");
    assert!(
        cookie(&plain).contains("HttpOnly") && !cookie(&plain).contains("Secure"),
        "{plain}"
    );
    assert!(cookie(&proxied).contains("; Secure"), "{proxied}");
    assert_eq!(pe_smuggled.0, 403, "{}", pe_smuggled.2);
    assert_eq!(pe_feed_smuggled.0, 403, "{}", pe_feed_smuggled.2);
    // Prometheus, open like the health routes: the projector's progress and each route's latency.
    assert_eq!(
        (metrics.0, metrics.1.as_str()),
        (200, "text/plain; version=0.0.4")
    );
    let value = |name: &str| -> f64 {
        metrics
            .2
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} in\n{}", metrics.2))
    };
    assert_eq!(value("repasse_facts_behind"), 0.0);
    assert_eq!(value("repasse_lease_held"), -1.0);
    assert!(value("repasse_decision_points_total") > 0.0);
    assert!(value("repasse_fact_position") > 0.0);
    assert_eq!(
        value("repasse_http_request_seconds_count{route=\"/demonstrativos/{parcela}/{ibge}\"}"),
        2.0,
        "the auditor's and PE's requests (those refused stop at the token, before the route)"
    );
    assert_eq!((anonymous.0, unknown.0), (401, 401));
    assert_eq!(anonymous.1, "application/problem+json");
    assert_eq!(problem(&anonymous.2)["field"], "Authorization");
    assert_eq!((as_auditor.0, as_pe.0, pe_list.0), (200, 200, 200));
    assert_eq!(as_auditor.2, as_pe.2);
    assert_eq!((as_sp.0, pe_national.0), (403, 403));
    let forbidden = problem(&as_sp.2);
    assert_eq!(forbidden["field"], "role");
    let detail = forbidden["detail"].as_str().unwrap();
    assert!(
        detail.contains("integrator") && detail.contains("SP") && detail.contains("261180"),
        "{detail}"
    );
}

/// The head of the answer to the page's sign-in form, sent as a browser would (through a TLS proxy when
/// `https`).
fn sign_in(address: &str, token: &str, https: bool) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let body = format!("token={token}");
    let proxy = if https {
        "X-Forwarded-Proto: https\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "POST /painel/entrar HTTP/1.1\r\nHost: {address}\r\n{proxy}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split("\r\n\r\n").next().unwrap().to_owned()
}
