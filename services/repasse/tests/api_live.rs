//! The live feed and the API's writes, against `repasse serve`. Given a served history, when a browser follows
//! `/eventos` and reconnects with `Last-Event-ID`, then it gets the decisions after that one, in order,
//! filtered as asked; when an operator posts facts, then they are written once, named after the operator,
//! and the projector folds them (a sealed parcela's comparison shows the new *ajuste*); anyone else, or a
//! bad body, gets a problem document naming the role or the body.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{HISTORY, get, get_as, path, run, serve_with, token};

/// One SSE event: id, event name and data.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: u64,
    name: String,
    data: Value,
}

/// Opens `/eventos…` and reads `count` events (the body is chunked: decoded here), or fails after 30 s.
fn events(address: &str, target: &str, last_event_id: Option<&str>, count: usize) -> Vec<Event> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let resume = last_event_id.map_or_else(String::new, |id| format!("Last-Event-ID: {id}\r\n"));
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n{resume}\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if line.starts_with("HTTP/1.1") {
            assert!(line.contains(" 200 "), "{line}");
        }
    }
    let mut text = String::new();
    let mut found = Vec::new();
    while found.len() < count {
        // A chunk: its size in hex, CRLF, the bytes, CRLF.
        line.clear();
        reader.read_line(&mut line).unwrap();
        let size = usize::from_str_radix(line.trim(), 16).expect("a chunk size");
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        text.push_str(std::str::from_utf8(&chunk[..size]).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::to_owned)
            };
            if let (Some(id), Some(name), Some(data)) =
                (field("id: "), field("event: "), field("data: "))
            {
                found.push(Event {
                    id: id.parse().unwrap(),
                    name,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
        }
    }
    found.truncate(count);
    found
}

/// One HTTP/1.1 POST: status and body.
fn post(address: &str, target: &str, token: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "POST {target} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn history(dir: &std::path::Path) -> String {
    let log = dir.join("log");
    let mut args = vec!["demo-data", "--log", path(&log)];
    args.extend(HISTORY);
    run(&args);
    path(&log).to_owned()
}

fn wait_ready(address: &str, token: Option<&str>) {
    for _ in 0..300 {
        if get_as(address, "/readyz", token).0 == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("serve never became ready");
}

/// A route answered by a fold of the log: 202 until it is computed, then 200.
fn until_ready(address: &str, target: &str, token: Option<&str>) -> Value {
    for _ in 0..600 {
        let (status, _, body) = get_as(address, target, token);
        match status {
            200 => return serde_json::from_str(&body).unwrap(),
            202 => std::thread::sleep(Duration::from_millis(100)),
            other => panic!("{target}: {other} {body}"),
        }
    }
    panic!("{target} never computed");
}

#[test]
fn the_feed_resumes_after_the_last_event_id_and_filters_by_state_and_tipo() {
    let dir = tempfile::tempdir().unwrap();
    let log = history(dir.path());
    let (mut child, address) = serve_with(&log, &dir.path().join("modelos"), &[]);
    wait_ready(&address, None);

    let first = events(&address, "/eventos?desde=0&uf=RR&tipo=suspensao", None, 6);
    for pair in first.windows(2) {
        assert!(pair[0].id < pair[1].id, "in the stream's order: {first:?}");
    }
    for event in &first {
        assert_eq!(event.name, "suspensao");
        assert!(
            event.data["type"]
                .as_str()
                .unwrap()
                .starts_with("suspension_")
        );
        assert!(
            event.data["about"]["ibge"]
                .as_str()
                .unwrap()
                .starts_with("14"),
            "RR only: {event:?}"
        );
    }
    // A browser that saw the third event reconnects: the fourth comes next, nothing before it.
    let third = first[2].id.to_string();
    let resumed = events(&address, "/eventos?uf=RR&tipo=suspensao", Some(&third), 3);
    assert_eq!(resumed, first[3..]);

    // One team: every event is about it.
    let ine = first[0].data["about"]["ine"].as_str().unwrap().to_owned();
    let team = events(&address, &format!("/eventos?desde=0&ine={ine}"), None, 1);
    assert_eq!(team[0].data["about"]["ine"], ine.as_str());

    for (target, field) in [
        ("/eventos?ine=123", "ine"),
        ("/eventos?uf=XX", "uf"),
        ("/eventos?desde=ontem", "desde"),
        ("/eventos?tipo=Suspensao", "tipo"),
        ("/eventos?cor=azul", "query"),
    ] {
        let (status, body) = get(&address, target);
        assert_eq!(status, 400, "{target}: {body}");
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["field"], field, "{target}");
    }
    // A parcela recomputed from the log alone up to its seal's position gives the seal's hash.
    let (_, seal) = get(&address, "/selos/2024-08");
    let seal: Value = serde_json::from_str(&seal).unwrap();
    let target = format!("/recalculo/2024-08?as_of={}", seal["last_position"]);
    let recomputed = until_ready(&address, &target, None);
    assert_eq!(recomputed["hash"], seal["hash"], "{recomputed}");
    assert_eq!(recomputed["lines"], seal["lines"]);
    let (status, body) = get(&address, "/recalculo/2024-08?as_of=ontem");
    assert_eq!(status, 400, "{body}");

    // A well-formed municipality that Anexo VI does not have, and parcelas the ledger never closed.
    for (target, field) in [
        ("/demonstrativos/2024-08/140099", "ibge"),
        ("/linhas/1999-01/140010", "parcela"),
        ("/demonstrativos/2099-12/140010", "parcela"),
        ("/situacao/2099-12/140010", "competencia"),
    ] {
        let (status, body) = get(&address, target);
        assert_eq!(status, 404, "{target}: {body}");
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["field"], field, "{target}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn only_an_operator_writes_and_every_fact_written_names_who_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = history(dir.path());
    let (operator, a) = token(&["--name", "fns-operacao", "--role", "operator"]);
    let (auditor, b) = token(&["--name", "cgu", "--role", "auditor"]);
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, serde_json::json!({ "tokens": [a, b] }).to_string()).unwrap();
    let (mut child, address) = serve_with(
        &log,
        &dir.path().join("modelos"),
        &["--tokens", path(&tokens)],
    );
    wait_ready(&address, Some(&auditor));

    // An authorized adjustment to a parcela already sealed, for a municipality of RR.
    let fact = r#"{"type":"adjustment_authorized","ibge":"140010","parcela":"2024-08","plano":"eSF_eAP","ine":"0000100387","amount":"1500.00","reason":"Erro do Ministério no cálculo"}"#;
    let body = format!("{fact}\n{{\"type\":\"nada\"}}\n");
    let (status, refused) = post(&address, "/fatos", &auditor, &body);
    assert_eq!((status, &refused["field"]), (403, &Value::from("role")));
    let (status, written) = post(&address, "/fatos", &operator, &body);
    assert_eq!(status, 201, "{written}");
    assert_eq!(written["summary"]["new"], 1);
    assert_eq!(written["summary"]["rejected"], 1);
    assert_eq!(written["quarantine"][0]["line"], 2);
    let (status, again) = post(&address, "/fatos", &operator, &body);
    assert_eq!(
        (status, &again["summary"]["already_present"]),
        (200, &Value::from(1))
    );
    let (status, bad) = post(&address, "/fatos", &operator, "isto não é JSON\n");
    assert_eq!((status, &bad["field"]), (400, &Value::from("body")));

    // The projector folded it: today's computation of the sealed parcela has the ajuste.
    let mut compared = Value::Null;
    for _ in 0..300 {
        let (status, _, body) = get_as(&address, "/comparacao/2024-08", Some(&auditor));
        if status == 200 {
            compared = serde_json::from_str(&body).unwrap();
            if compared["ajustes"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let ajuste = &compared["ajustes"][0];
    assert_eq!(
        (&ajuste["ibge"], &ajuste["sealed"], &ajuste["today"]),
        (
            &Value::from("140010"),
            &Value::from("0.00"),
            &Value::from("1500.00")
        ),
        "{compared}"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // The log itself says who wrote the fact.
    let facts = repasse_eventlog::sled_log::SledLog::open_existing(
        std::path::Path::new(&log),
        "fatos",
        Arc::new(repasse_eventlog::SystemClock),
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let last = runtime.block_on(async {
        use repasse_eventlog::EventLog;
        let end = facts.last_position().await.unwrap();
        facts.read(end, 1).await.unwrap().remove(0)
    });
    let envelope: repasse_proto::Envelope<repasse_proto::Fact> =
        repasse_proto::codec::decode(&last.payload).unwrap();
    assert_eq!(envelope.source.document, "api:fns-operacao:operator");
    assert_eq!(envelope.source.line, Some(1));
}
