//! What the binary's integration tests share: running `repasse`, and the small history they load.
// Each test crate uses a part of this.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

/// The synthetic history on two small UFs (RR, AP) of a 100,000-team country, 14 competências: every
/// kind of decision point, in seconds.
/// The roles of `deploy/nats/accounts.conf` whose passwords a server there reads from its environment
/// (`REPASSE_NATS_<ROLE>_PASSWORD`).
pub const NATS_ROLES: [&str; 8] = [
    "ADMIN",
    "INGEST",
    "PROJECTOR",
    "AUDITOR",
    "INTEGRATOR",
    "INTEGRATOR_PE",
    "INTEGRATOR_SP",
    "SYS",
];

pub const HISTORY: [&str; 8] = [
    "--uf",
    "RR",
    "--uf",
    "AP",
    "--teams",
    "100000",
    "--competencias",
    "14",
];

/// Runs the binary, whatever its exit.
pub fn repasse(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repasse"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary and requires success.
pub fn run(args: &[&str]) -> Output {
    let out = repasse(args);
    assert!(
        out.status.success(),
        "repasse {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Its standard output, after a successful run.
pub fn ok(args: &[&str]) -> String {
    String::from_utf8(run(args).stdout).expect("utf-8")
}

pub fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("JSON on stdout")
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// One HTTP/1.1 GET with nothing but the standard library: status and body.
pub fn get(address: &str, target: &str) -> (u16, String) {
    let (status, _, body) = get_with_type(address, target);
    (status, body)
}

/// [`get`], with the response's content type.
pub fn get_with_type(address: &str, target: &str) -> (u16, String, String) {
    get_as(address, target, None)
}

/// [`get_with_type`], with a bearer token when given.
pub fn get_as(address: &str, target: &str, token: Option<&str>) -> (u16, String, String) {
    let mut stream = TcpStream::connect(address)
        .unwrap_or_else(|e| panic!("the API at {address:?} accepts connections: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let authorization =
        token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {address}\r\n{authorization}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers then body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "bodies are sent whole"
    );
    let content_type = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// `repasse serve` on an embedded log, on a free loopback port: the child (kill it at the end) and the
/// address it printed.
pub fn serve(log: &str, models: &Path) -> (std::process::Child, String) {
    serve_with(log, models, &[])
}

/// [`serve`] with more arguments (`--tokens FILE`).
pub fn serve_with(log: &str, models: &Path, more: &[&str]) -> (std::process::Child, String) {
    serve_from(&["--log", log], models, more)
}

/// `repasse serve` on any source of facts (`--log DIR` or `--nats URL`), with more arguments.
pub fn serve_from(source: &[&str], models: &Path, more: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_repasse"))
        .arg("serve")
        .args(source)
        .arg("--read-models")
        .arg(models)
        .args(more)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the address line");
    let address = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("an address")
        .to_owned();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, address)
}

/// A token and its entry for the tokens file, from `repasse token` (the token is the last word on stderr).
pub fn token(args: &[&str]) -> (String, Value) {
    let mut all = vec!["token"];
    all.extend(args);
    let out = run(&all);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let token = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    (token, serde_json::from_slice(&out.stdout).unwrap())
}

/// The small history (`HISTORY`) on an embedded log under `dir`, served behind one token of `role`, once
/// ready: the child (kill it at the end), its address and the token.
pub fn served_history(dir: &Path, name: &str, role: &str) -> (std::process::Child, String, String) {
    let log = dir.join("log");
    let mut args = vec!["demo-data", "--log", path(&log)];
    args.extend(HISTORY);
    run(&args);
    let (token, entry) = token(&["--name", name, "--role", role]);
    let tokens = dir.join("tokens.json");
    std::fs::write(
        &tokens,
        serde_json::json!({ "tokens": [entry] }).to_string(),
    )
    .unwrap();
    let (child, address) = serve_with(
        path(&log),
        &dir.join("modelos"),
        &["--tokens", path(&tokens)],
    );
    for _ in 0..300 {
        if get_as(&address, "/readyz", None).0 == 200 {
            return (child, address, token);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("serve never became ready");
}
